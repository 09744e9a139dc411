// The CLI's command table: each command is a file in cli/commands/ that adds its
// subcommand (flags, help) and returns what runs when it was chosen. main.cpp lists the
// commands and owns only the global options and the one top-level error handler.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include <freezer/config.hpp>

#include "engine/session.hpp"
#include "report.hpp"

namespace freezer::cli {

enum Exit { kOk = 0, kFailed = 1, kUsage = 2, kInternal = 3, kInterrupted = 130 };

struct Globals {
    std::string directory;
    std::string config;
    std::string color = "auto";
    bool json = false;
    bool verbose = false;
};

// A wrong use of the command line: printed as "freezer: error: ...", exit 2.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

using Run = std::function<int()>;
// Adds the subcommand to `app` and returns what runs it; `g` is filled by then.
using AddCommand = Run (*)(CLI::App& app, const Globals& g);

struct Command {
    const char* name;
    AddCommand add;
};

// The shared prologue of the commands that read freezer.yaml.
std::filesystem::path config_path(const Globals& g);
void print_plugin_warnings(const Session& session, const Globals& g);
// Loads (and with `check_backends`, checks) freezer.yaml; prints every diagnostic one
// way, with the count of errors. nullopt after errors. With `partial` (freezer check):
// after errors, it gets what could be read (LoadResult::partial), and `errors_out` the
// error lines, so that the caller can go on checking and report them too.
std::optional<config::Project> load_project(const Session& session, const Globals& g, bool check_backends,
                                            const std::string& backend_override = "",
                                            std::optional<config::Project>* partial = nullptr,
                                            std::vector<std::string>* errors_out = nullptr);

// Every command, in the order `--help` lists them.
Run add_build(CLI::App&, const Globals&);
Run add_watch(CLI::App&, const Globals&);
Run add_smoke(CLI::App&, const Globals&);
Run add_matrix(CLI::App&, const Globals&);
Run add_compare(CLI::App&, const Globals&);
Run add_explain(CLI::App&, const Globals&);
Run add_plan(CLI::App&, const Globals&);
Run add_trace(CLI::App&, const Globals&);
Run add_audit(CLI::App&, const Globals&);
Run add_cache(CLI::App&, const Globals&);
Run add_init(CLI::App&, const Globals&);
Run add_check(CLI::App&, const Globals&);
Run add_backends(CLI::App&, const Globals&);
Run add_clean(CLI::App&, const Globals&);

}  // namespace freezer::cli

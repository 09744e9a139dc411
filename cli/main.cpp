// The `freezer` command: the global options, the command table, and the one place
// that turns an error into a message and an exit code. Each command lives in
// cli/commands/; the work is in the core's engine/ API.
//
// Exit codes: 0 success (built or skipped), 1 a build failed, 2 usage or configuration
// error, 3 internal error, 130 interrupted.
#include <fmt/format.h>

#include "command.hpp"
#include "platform/os.hpp"
#include "util/error.hpp"
#include "util/interrupt.hpp"

#ifndef FREEZER_VERSION
#define FREEZER_VERSION "0.0.0"
#endif

using namespace freezer;
using namespace freezer::cli;

namespace {

constexpr Command kCommands[] = {
    {"build", add_build},   {"watch", add_watch}, {"smoke", add_smoke}, {"matrix", add_matrix},   {"compare", add_compare},
    {"explain", add_explain}, {"plan", add_plan}, {"trace", add_trace}, {"cache", add_cache}, {"init", add_init},     {"check", add_check},
    {"audit", add_audit},
    {"backends", add_backends}, {"clean", add_clean},
};

constexpr const char* kAbout =
    "freezer: freezes Python sidecars (CLI tools, HTTP servers) into standalone executables\n"
    "with interchangeable packagers, rebuilding only what changed.\n\n"
    "  freezer build              build every sidecar in ./freezer.yaml that changed\n"
    "  freezer build -j 2         ... two CPUs' worth at a time\n"
    "  freezer build api --force  rebuild one sidecar from scratch\n"
    "  freezer watch              build, then rebuild each sidecar when its inputs change\n"
    "  freezer smoke              run the smoke tests on what is installed\n"
    "  freezer compare api --backends pyinstaller,nuitka,pex-scie --html report.html\n"
    "  freezer init --from-tauri src-tauri/tauri.conf.json\n"
    "  freezer explain api        would the next build skip, restore or build api, and why\n"
    "  freezer plan api           the exact commands a build of api would run, not run\n"
    "  freezer trace api --write  run api unfrozen; add the imports and files it needs\n"
    "  freezer audit api          what api's bundle holds, by package, and what changed\n"
    "  freezer cache stats        what the artifact cache holds\n"
    "  freezer check              validate freezer.yaml and find each backend's tool\n"
    "  freezer backends           list backend plugins and their tools\n";

void add_globals(CLI::App& app, Globals& g) {
    app.set_version_flag("--version", fmt::format("freezer {} ({} platform layer)", FREEZER_VERSION, os::name()));
    app.require_subcommand(1);
    app.add_option("-C", g.directory, "Run as if started in DIR")->type_name("DIR");
    app.add_option("--config", g.config, "Path of freezer.yaml (default: ./freezer.yaml)")->type_name("FILE");
    app.add_option("--color", g.color, "Colour output: auto, always or never")
        ->check(CLI::IsMember({"auto", "always", "never"}));
    app.add_flag("--json", g.json, "Print a JSON report on stdout instead of text");
    app.add_flag("-v,--verbose", g.verbose, "Say why each sidecar is rebuilt");
}

}  // namespace

int main(int argc, char** argv) {
    install_interrupt_handler();
    CLI::App app{kAbout, "freezer"};
    Globals g;
    add_globals(app, g);
    std::vector<std::pair<CLI::App*, Run>> commands;
    for (const auto& c : kCommands) {
        auto run = c.add(app, g);
        commands.emplace_back(app.get_subcommand(c.name), std::move(run));
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? kOk : kUsage;
    }
    try {
        for (auto& [cmd, run] : commands)
            if (*cmd) return run();
    } catch (const UsageError& e) {
        fmt::print(stderr, "freezer: error: {}\n", e.what());
        return kUsage;
    } catch (const Error& e) {
        fmt::print(stderr, "freezer: {}{}\n", e.kind() == Error::Kind::internal ? "internal error: " : "error: ", e.what());
        return exit_code(e.kind());
    } catch (const std::exception& e) {
        fmt::print(stderr, "freezer: internal error: {}\n", e.what());
        return kInternal;
    }
    return kUsage;
}

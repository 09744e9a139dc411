// freezer build: freeze what changed.
#include <algorithm>
#include <chrono>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/builder.hpp"
#include "command.hpp"
#include "junit.hpp"
#include "util/interrupt.hpp"

namespace freezer::cli {
using nlohmann::json;

namespace {

struct BuildFlags {
    std::vector<std::string> sidecars;
    bool force = false;
    std::string backend;
    int jobs = 0;
    bool fail_fast = false;
    std::string only;   // SIDECAR:BACKEND, one cell of the CI matrix
    std::string junit;  // write JUnit XML here
    int heartbeat = static_cast<int>(kDefaultHeartbeat.count());
};

// Generated folders belong in .gitignore; said once something was generated, never on
// the no-change path.
void warn_if_not_ignored(const config::Project& project, Reporter& reporter) {
    const auto missing = generated_not_ignored(project);
    if (!missing.empty())
        reporter.warning(fmt::format("{} {} not in .gitignore: generated files should stay out of git (add: {})",
                                     fmt::join(missing, " and "), missing.size() == 1 ? "is" : "are",
                                     fmt::join(missing, " ")));
}

int run_build(const Globals& g, BuildFlags flags) {
    if (!flags.only.empty()) {
        const auto colon = flags.only.find(':');
        if (colon == std::string::npos || colon == 0 || colon + 1 == flags.only.size() || !flags.sidecars.empty() ||
            !flags.backend.empty())
            throw UsageError("--only takes one SIDECAR:BACKEND (a cell of 'freezer matrix'), without other sidecars or "
                             "--backend");
        flags.sidecars = {flags.only.substr(0, colon)};
        flags.backend = flags.only.substr(colon + 1);
    }
    const auto start = std::chrono::steady_clock::now();
    Session session;
    print_plugin_warnings(session, g);
    auto project = load_project(session, g, true, flags.backend);
    if (!project) return kUsage;

    TerminalReporter reporter(make_style(g.color, stdout), g.verbose, g.json, is_terminal(stdout),
                              std::chrono::seconds(flags.heartbeat));
    Builder builder(*project, session.host(), reporter);
    const BuildOptions opts{flags.sidecars, flags.force, flags.backend, flags.jobs, flags.fail_fast};
    const auto results = builder.build(opts);
    const auto total =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    if (std::any_of(results.begin(), results.end(),
                    [](const auto& r) { return r.status == Status::built || r.status == Status::restored; }))
        warn_if_not_ignored(*project, reporter);
    const bool failed = std::any_of(results.begin(), results.end(), [](const auto& r) {
        return r.status == Status::failed || r.status == Status::cancelled;
    });
    const int code = interrupt_requested() ? kInterrupted : failed ? kFailed : kOk;
    if (!flags.junit.empty()) write_junit(flags.junit, "freezer build", results);
    if (g.json) {
        json out = {{"freezer", FREEZER_VERSION}, {"format", kReportFormat}, {"command", "build"},
                    {"project", project->file.string()}, {"duration_ms", total.count()},
                    {"jobs", builder.budget(opts)}, {"exit_code", code}, {"sidecars", json::array()}};
        for (const auto& r : results) out["sidecars"].push_back(to_json(r));
        fmt::print("{}\n", out.dump(2));
    } else {
        reporter.summary(results, total);
        if (interrupt_requested()) fmt::print(stderr, "freezer: interrupted\n");
    }
    return code;
}

}  // namespace

Run add_build(CLI::App& app, const Globals& g) {
    auto flags = std::make_shared<BuildFlags>();
    auto* cmd = app.add_subcommand(
        "build",
        "Freeze the sidecars whose inputs, config or tools changed since their last good build.\n"
        "Unchanged ones are skipped. Outputs go to dist/<sidecar>/; logs to .freezer/logs/.");
    cmd->add_option("sidecars", flags->sidecars, "Sidecars to build (default: all)")->type_name("SIDECAR");
    cmd->add_flag("-f,--force", flags->force,
                  "Rebuild even if up to date, and drop the packager's cache (PyInstaller --clean)");
    cmd->add_option("--backend", flags->backend, "Use this packager instead of the configured one")->type_name("NAME");
    cmd->add_option("-j,--jobs", flags->jobs,
                    "CPU budget shared by parallel builds (default: freezer.yaml's jobs, else the CPUs)")
        ->type_name("N")
        ->check(CLI::Range(1, 1024));
    cmd->add_flag("--fail-fast", flags->fail_fast, "After the first failure, stop the other builds and start no more");
    cmd->add_option("--only", flags->only, "Build one cell of 'freezer matrix' (e.g. api:nuitka)")
        ->type_name("SIDECAR:BACKEND");
    cmd->add_option("--junit", flags->junit, "Also write a JUnit XML report (one testcase per sidecar:backend)")
        ->type_name("FILE");
    cmd->add_option("--heartbeat", flags->heartbeat,
                    "When output is not a terminal, say every N seconds that a build is still running, with its "
                    "CPU time and memory (default 30; 0: never). The packager's own phases are shown as they come")
        ->type_name("SECONDS")
        ->check(CLI::Range(0, 86400));
    cmd->fallthrough();
    return [&g, flags] { return run_build(g, *flags); };
}

}  // namespace freezer::cli

// freezer smoke: the smoke tests again, on what is installed.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/builder.hpp"
#include "command.hpp"
#include "junit.hpp"

namespace freezer::cli {
using nlohmann::json;

namespace {

struct SmokeFlags {
    std::vector<std::string> sidecars;
    std::string backend;
    std::string junit;
};

void print_line(const SidecarResult& r, const Style& style) {
    if (r.status == Status::skipped) {
        fmt::print("freezer: {} {}: {}\n", style.bold(r.name), style.dim("no smoke test"), r.reason);
    } else if (r.status == Status::built) {
        fmt::print("freezer: {} smoke test {} in {}: {}\n", style.bold(r.name), style.green("passed"),
                   human_duration(r.duration), r.smoke.message);
    } else {
        fmt::print("freezer: {} smoke test {}: {}\n", style.bold(r.name), style.red("FAILED"), r.error);
        for (const auto& l : r.log_tail) fmt::print("  {} {}\n", style.dim("|"), l);
    }
}

int run_smoke(const Globals& g, const SmokeFlags& flags) {
    const auto style = make_style(g.color, stdout);
    Session session;
    auto project = load_project(session, g, true, flags.backend);
    if (!project) return kUsage;
    TerminalReporter reporter(style, g.verbose, true, false);
    Builder builder(*project, session.host(), reporter);
    const auto results = builder.smoke(flags.sidecars, flags.backend);
    int failed = 0;
    json out = {{"format", kReportFormat}, {"command", "smoke"}, {"sidecars", json::array()}};
    for (const auto& r : results) {
        const char* status = r.status == Status::skipped ? "skipped" : r.status == Status::built ? "passed" : "failed";
        failed += r.status == Status::failed;
        out["sidecars"].push_back({{"sidecar", r.name}, {"backend", r.backend}, {"status", status},
                                   {"message", r.status == Status::failed ? r.error
                                               : r.smoke.message.empty()  ? r.reason
                                                                          : r.smoke.message},
                                   {"artifact", r.artifact.string()}, {"duration_ms", r.duration.count()},
                                   {"output_tail", r.log_tail}});
        if (!g.json) print_line(r, style);
    }
    out["exit_code"] = failed ? kFailed : kOk;
    if (!flags.junit.empty()) write_junit(flags.junit, "freezer smoke", results);
    if (g.json) fmt::print("{}\n", out.dump(2));
    return failed ? kFailed : kOk;
}

}  // namespace

Run add_smoke(CLI::App& app, const Globals& g) {
    auto flags = std::make_shared<SmokeFlags>();
    auto* cmd = app.add_subcommand("smoke", "Run the smoke tests again on the installed binaries (dist/<sidecar>/)");
    cmd->add_option("sidecars", flags->sidecars, "Sidecars to test (default: all)")->type_name("SIDECAR");
    cmd->add_option("--backend", flags->backend, "Test the build made with this packager")->type_name("NAME");
    cmd->add_option("--junit", flags->junit, "Also write a JUnit XML report")->type_name("FILE");
    cmd->fallthrough();
    return [&g, flags] { return run_smoke(g, *flags); };
}

}  // namespace freezer::cli

// freezer check: freezer.yaml valid, every backend's tool found, and every sidecar's
// build planned (so a setting the backend refuses, such as a mode it cannot build, is
// reported here and not by the build), without running anything.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "engine/builder.hpp"

namespace freezer::cli {
using nlohmann::json;

namespace {

int run_check(const Globals& g) {
    Session session;
    print_plugin_warnings(session, g);
    // Every problem in one run: after configuration errors, check goes on with what
    // could be read (the sidecars without errors of their own) to find the interpreter
    // and the tools, so that the user does not fix one stage at a time.
    std::optional<config::Project> partial;
    std::vector<std::string> config_errors;
    auto project = load_project(session, g, true, "", &partial, &config_errors);
    if (!project && !partial) return kUsage;  // not even YAML: nothing to go on with
    if (!project) project = std::move(partial);
    int problems = static_cast<int>(config_errors.size());
    ProjectCheck result;
    std::string python_problem;
    try {
        result = session.check(*project);
    } catch (const Error& e) {
        // No interpreter: no tool can be probed either (they run on it).
        ++problems;
        python_problem = e.what();
        fmt::print(stderr, "freezer: error: {}\n", python_problem);
    }
    TerminalReporter quiet(make_style("never", stderr), false, true, false);
    Builder builder(*project, session.host(), quiet);
    json out = {{"format", kReportFormat}, {"command", "check"}, {"project", project->file.string()},
                {"python", {{"path", result.python}, {"version", result.python_version}}},
                {"config_errors", config_errors},
                {"sidecars", json::array()}};
    if (!python_problem.empty()) out["python"] = {{"path", project->python}, {"problem", python_problem}};
    if (!g.json && python_problem.empty())
        fmt::print("python: {} ({} {})\n", result.python, result.python_implementation, result.python_version);
    for (const auto& sc : result.sidecars) {
        json j = {{"sidecar", sc.sidecar}, {"backend", sc.backend}, {"tool_found", sc.tool.found},
                  {"tool_version", sc.tool.version}};
        if (!sc.tool.found) {
            ++problems;
            j["problem"] = sc.tool.problem;
            j["install_hint"] = sc.tool.install_hint;
            fmt::print(stderr, "freezer: error: sidecar '{}': {}\n  how to fix: {}\n", sc.sidecar, sc.tool.problem,
                       sc.tool.install_hint);
        } else {
            try {
                const auto d = builder.dry_run(sc.sidecar, {});
                j["steps"] = d.plan.steps.size();
                if (!g.json)
                    fmt::print("sidecar {}: {} {} ({} mode, {}), {} step{} planned\n", sc.sidecar, sc.backend,
                               sc.tool.version, sc.mode, sc.entry, d.plan.steps.size(),
                               d.plan.steps.size() == 1 ? "" : "s");
            } catch (const Error& e) {
                ++problems;
                j["problem"] = e.what();
                fmt::print(stderr, "freezer: error: {}\n", e.what());
            }
        }
        out["sidecars"].push_back(j);
    }
    out["ok"] = problems == 0;
    if (g.json)
        fmt::print("{}\n", out.dump(2));
    else if (!problems)
        fmt::print("freezer: {} is valid: {} sidecar{}, every backend's tool found, every build planned\n",
                   project->file.string(),
                   project->sidecars.size(), project->sidecars.size() == 1 ? "" : "s");
    else
        fmt::print(stderr, "freezer: check found {} problem{}: each is above, with how to fix it\n", problems,
                   problems == 1 ? "" : "s");
    return problems ? kUsage : kOk;
}

}  // namespace

Run add_check(CLI::App& app, const Globals& g) {
    auto* cmd = app.add_subcommand("check", "Validate freezer.yaml, find every backend's tool, and plan every sidecar's build\n"
                                            "(a mode or layout its backend refuses is an error here), without building; every problem\n"
                                            "at once: after configuration errors it still probes the interpreter and the tools");
    cmd->fallthrough();
    return [&g] { return run_check(g); };
}

}  // namespace freezer::cli

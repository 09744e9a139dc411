// freezer check: freezer.yaml valid, and every backend's tool found.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "command.hpp"

namespace freezer::cli {
using nlohmann::json;

namespace {

int run_check(const Globals& g) {
    Session session;
    print_plugin_warnings(session, g);
    auto project = load_project(session, g, true);
    if (!project) return kUsage;
    const auto result = session.check(*project);
    int problems = 0;
    json out = {{"format", kReportFormat}, {"command", "check"}, {"project", project->file.string()},
                {"python", {{"path", result.python}, {"version", result.python_version}}},
                {"sidecars", json::array()}};
    if (!g.json) fmt::print("python: {} ({} {})\n", result.python, result.python_implementation, result.python_version);
    for (const auto& sc : result.sidecars) {
        json j = {{"sidecar", sc.sidecar}, {"backend", sc.backend}, {"tool_found", sc.tool.found},
                  {"tool_version", sc.tool.version}};
        if (!sc.tool.found) {
            ++problems;
            j["problem"] = sc.tool.problem;
            j["install_hint"] = sc.tool.install_hint;
            fmt::print(stderr, "freezer: error: sidecar '{}': {}\n  how to fix: {}\n", sc.sidecar, sc.tool.problem,
                       sc.tool.install_hint);
        } else if (!g.json) {
            fmt::print("sidecar {}: {} {} ({} mode, {})\n", sc.sidecar, sc.backend, sc.tool.version, sc.mode, sc.entry);
        }
        out["sidecars"].push_back(j);
    }
    out["ok"] = problems == 0;
    if (g.json)
        fmt::print("{}\n", out.dump(2));
    else if (!problems)
        fmt::print("freezer: {} is valid: {} sidecar{}, every backend's tool found\n", project->file.string(),
                   project->sidecars.size(), project->sidecars.size() == 1 ? "" : "s");
    return problems ? kUsage : kOk;
}

}  // namespace

Run add_check(CLI::App& app, const Globals& g) {
    auto* cmd = app.add_subcommand("check", "Validate freezer.yaml and find every backend's tool, without building");
    cmd->fallthrough();
    return [&g] { return run_check(g); };
}

}  // namespace freezer::cli

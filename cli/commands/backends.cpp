// freezer backends: the plugins found, and whether their tools are installed.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "command.hpp"

namespace freezer::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json to_json(const BackendInfo& b) {
    json j = {{"name", b.name}, {"version", b.version}, {"file", b.file.string()}};
    if (!b.description.empty()) j["description"] = b.description;
    j["tool"] = {{"found", b.tool.found}, {"version", b.tool.version}, {"command", b.tool.command}};
    if (!b.tool.found) {
        j["tool"]["problem"] = b.tool.problem;
        if (!b.tool.install_hint.empty()) j["tool"]["install_hint"] = b.tool.install_hint;
    }
    return j;
}

void print_backend(const BackendInfo& b, const Style& style) {
    fmt::print("{} {}  {}\n", style.bold(b.name), b.version, style.dim(b.file.string()));
    if (!b.description.empty()) fmt::print("  {}\n", b.description);
    if (b.tool.found)
        fmt::print("  tool: {} {} ({})\n", style.green("found"), b.tool.version, b.tool.command);
    else
        fmt::print("  tool: {} {}\n  install: {}\n", style.red("not found:"), b.tool.problem,
                   b.tool.install_hint.empty() ? "?" : b.tool.install_hint);
}

int run_backends(const Globals& g) {
    const auto style = make_style(g.color, stdout);
    Session session;
    // Probe with the project's interpreter when there is a project, else python3.
    std::string python;
    fs::path project_dir = fs::current_path();
    if (fs::exists(config_path(g))) {
        const auto r = session.load(config_path(g), false);
        if (r.project) {
            python = r.project->python;
            project_dir = r.project->dir;
        }
    }
    const auto report = session.describe(python, project_dir);
    json out = {{"format", kReportFormat}, {"search_path", json::array()}, {"backends", json::array()},
                {"errors", json::array()}};
    for (const auto& d : report.search_path) out["search_path"].push_back(d.string());
    for (const auto& b : report.backends) {
        out["backends"].push_back(to_json(b));
        if (!g.json) print_backend(b, style);
    }
    for (const auto& [file, error] : report.errors) {
        out["errors"].push_back({{"file", file.string()}, {"error", error}});
        if (!g.json) fmt::print(stderr, "freezer: {} {}\n", style.yellow("warning:"), error);
    }
    if (g.json) {
        fmt::print("{}\n", out.dump(2));
        return kOk;
    }
    for (const auto& s : report.shadowed)
        fmt::print("  (shadowed by an earlier plugin of the same name: {})\n", s.string());
    if (report.backends.empty())
        fmt::print("freezer: no backend plugins found; searched: {}\n",
                   fmt::join(out["search_path"].get<std::vector<std::string>>(), ", "));
    return kOk;
}

}  // namespace

Run add_backends(CLI::App& app, const Globals& g) {
    auto* cmd = app.add_subcommand(
        "backends", "List the backend plugins found, their versions and whether their tools are installed");
    cmd->fallthrough();
    return [&g] { return run_backends(g); };
}

}  // namespace freezer::cli

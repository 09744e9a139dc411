// freezer matrix: the CI matrix of sidecar x backend.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "command.hpp"

namespace freezer::cli {
using nlohmann::json;

namespace {

int run_matrix(const Globals& g, const std::string& format) {
    Session session;
    auto project = load_project(session, g, true);
    if (!project) return kUsage;
    const auto cells = project->matrix_cells();
    if (format == "gitlab") {
        // GitLab CI: `parallel: matrix:` of a job; each job gets SIDECAR and BACKEND.
        fmt::print("parallel:\n  matrix:\n");
        for (const auto& c : cells) fmt::print("    - SIDECAR: \"{}\"\n      BACKEND: \"{}\"\n", c.sidecar, c.backend);
        return kOk;
    }
    json include = json::array();
    for (const auto& c : cells) include.push_back({{"sidecar", c.sidecar}, {"backend", c.backend}});
    if (format == "json")
        fmt::print("{}\n", include.dump(2));
    else  // github: one line, for `echo "matrix=$(freezer matrix)" >> "$GITHUB_OUTPUT"`
        fmt::print("{}\n", json{{"include", include}}.dump());
    return kOk;
}

}  // namespace

Run add_matrix(CLI::App& app, const Globals& g) {
    auto format = std::make_shared<std::string>("github");
    auto* cmd = app.add_subcommand(
        "matrix", "Print the CI matrix of sidecar x backend (freezer.yaml 'matrix:'; default: each sidecar with its "
                  "backend); build a cell with 'freezer build --only SIDECAR:BACKEND'");
    cmd->add_option("--format", *format, "github (strategy.matrix JSON), gitlab (parallel:matrix YAML) or json")
        ->check(CLI::IsMember({"github", "gitlab", "json"}));
    cmd->fallthrough();
    return [&g, format] { return run_matrix(g, *format); };
}

}  // namespace freezer::cli

// freezer clean: forget builds (engine/clean.hpp says exactly what goes).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/clean.hpp"
#include "command.hpp"

namespace freezer::cli {
using nlohmann::json;

namespace {

int run_clean(const Globals& g, const CleanOptions& options) {
    Session session;
    auto project = load_project(session, g, false);
    if (!project) return kUsage;
    const auto report = clean(*project, options);
    if (g.json) {
        json removed = json::array();
        for (const auto& p : report.removed) removed.push_back(p.string());
        fmt::print("{}\n", json{{"format", kReportFormat}, {"command", "clean"}, {"sidecars", report.sidecars},
                                {"backend", options.backend}, {"removed", removed}}
                               .dump(2));
        return kOk;
    }
    if (report.sidecars.empty()) {
        fmt::print("freezer: emptied the {} cache {} ({} files)\n", options.backend,
                   report.removed.empty() ? "(it was empty)" : report.removed.front().string(), report.files);
        return kOk;
    }
    for (const auto& name : report.sidecars)
        fmt::print("freezer: cleaned {}{}{}\n", name, options.backend.empty() ? "" : " (" + options.backend + " build)",
                   options.caches ? " with its packager caches" : "");
    return kOk;
}

}  // namespace

Run add_clean(CLI::App& app, const Globals& g) {
    auto options = std::make_shared<CleanOptions>();
    auto* cmd = app.add_subcommand(
        "clean",
        "Forget sidecars' builds: state, logs, installed outputs (every backend's) and the stage.\n"
        "  freezer clean api                  every build of api\n"
        "  freezer clean --backend nuitka api only api's Nuitka build (dist/api@nuitka/ or dist/api/)\n"
        "  freezer clean --backend nuitka     empty Nuitka's own cache (ccache, ...); builds stay");
    cmd->add_option("sidecars", options->sidecars, "Sidecars to clean (default: all)")->type_name("SIDECAR");
    cmd->add_flag("--cache", options->caches, "Also drop their packager work folders");
    cmd->add_option("--backend", options->backend,
                    "Only the builds made with this packager; without sidecars, empty its whole cache")
        ->type_name("NAME");
    cmd->fallthrough();
    return [&g, options] { return run_clean(g, *options); };
}

}  // namespace freezer::cli

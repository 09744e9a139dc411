// freezer explain: would the next build skip, restore or build a sidecar, and why.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/builder.hpp"
#include "command.hpp"

namespace freezer::cli {
using nlohmann::json;

namespace {

std::string describe(const Explanation& x) {
    switch (x.action) {
        case Explanation::Action::skip:
            return x.resmoke ? "skip it (and run its changed smoke test on the installed binary)" : "skip it: nothing changed";
        case Explanation::Action::restore:
            return fmt::format("restore it from the {} cache (built {}, which took {:.1f}s), without running {}",
                               x.from_remote ? "remote" : "local", x.cached_at, x.cached_build_ms / 1000.0, x.backend);
        case Explanation::Action::build: return fmt::format("build it with {} {}", x.backend, x.tool_version);
    }
    return "";
}

int run_explain(const Globals& g, const std::string& sidecar, const std::string& backend) {
    const auto style = make_style(g.color, stdout);
    Session session;
    print_plugin_warnings(session, g);
    auto project = load_project(session, g, true, backend);
    if (!project) return kUsage;
    TerminalReporter reporter(style, false, true, false);
    const auto x = Builder(*project, session.host(), reporter).explain(sidecar, backend);
    if (g.json) {
        const auto or_null = [](const std::string& s) { return s.empty() ? json(nullptr) : json(s); };
        json out = {{"format", kReportFormat}, {"command", "explain"}, {"sidecar", x.sidecar},
                    {"backend", x.backend}, {"action", to_string(x.action)},
                    {"source", x.action == Explanation::Action::restore ? json(x.from_remote ? "remote" : "local")
                                                                        : json(nullptr)},
                    {"key", x.key}, {"previous_key", or_null(x.previous_key)}, {"reason", x.reason},
                    {"changes", x.changes},
                    {"build_path", or_null(x.build_path)}, {"fast_path", x.fast_path}};
        fmt::print("{}\n", out.dump(2));
        return kOk;
    }
    fmt::print("freezer: the next build of {} ({}) would {}\n", style.bold(x.sidecar), x.backend, describe(x));
    fmt::print("  key {}", x.key);
    if (!x.previous_key.empty()) fmt::print(", last good build {} ({})", x.previous_key, x.previous_built_at);
    fmt::print("\n");
    if (x.action != Explanation::Action::skip) {
        if (x.changes.empty()) fmt::print("  because: {}\n", x.reason);
        for (const auto& c : x.changes) fmt::print("  because: {}\n", c);
        if (!x.build_path.empty()) fmt::print("  {}\n", x.build_path);
    }
    return kOk;
}

}  // namespace

Run add_explain(CLI::App& app, const Globals& g) {
    auto sidecar = std::make_shared<std::string>();
    auto backend = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand(
        "explain", "Say whether the next build of a sidecar would skip, restore from the cache or build, and why:\n"
                   "the inputs added, removed or modified, the config keys and tool versions that changed");
    cmd->add_option("sidecar", *sidecar, "The sidecar")->type_name("SIDECAR")->required();
    cmd->add_option("--backend", *backend, "As built with this packager")->type_name("NAME");
    cmd->fallthrough();
    return [&g, sidecar, backend] { return run_explain(g, *sidecar, *backend); };
}

}  // namespace freezer::cli

// freezer plan: the exact steps a sidecar's build would run (argv, environment, folder,
// files written), computed by its backend and not run: a dry run, as `ninja -n` is.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/builder.hpp"
#include "engine/step_runner.hpp"
#include "command.hpp"

namespace freezer::cli {
using nlohmann::json;

namespace {

// "2h", "30m", "45s", "1.5s": a timeout as freezer.yaml would write it.
std::string timeout_text(std::chrono::milliseconds t) {
    const auto ms = t.count();
    if (ms % 3'600'000 == 0) return fmt::format("{}h", ms / 3'600'000);
    if (ms % 60'000 == 0) return fmt::format("{}m", ms / 60'000);
    if (ms % 1000 == 0) return fmt::format("{}s", ms / 1000);
    return fmt::format("{}ms", ms);
}

// The timeout a run step gets, and the setting that gives it.
std::pair<std::chrono::milliseconds, const char*> step_timeout(const sdk::Step& st, const config::Sidecar& sc) {
    return st.network ? std::pair{sc.timeouts.network, "timeouts.network"} : std::pair{sc.timeouts.step, "timeouts.step"};
}

json plan_json(const DryRun& d, const config::Sidecar& sc) {
    json steps = json::array();
    for (const auto& st : d.plan.steps) {
        json env = json::object();
        for (const auto& [k, v] : st.env) env[k] = v;
        if (st.kind == sdk::Step::Kind::run)
            steps.push_back({{"kind", "run"}, {"description", st.description}, {"argv", st.argv}, {"env", env},
                             {"cwd", st.cwd.empty() ? json(nullptr) : json(st.cwd)}, {"network", st.network},
                             {"timeout_ms", step_timeout(st, sc).first.count()}});
        else if (st.kind == sdk::Step::Kind::remove)
            steps.push_back({{"kind", "remove"}, {"description", st.description}, {"path", st.path}});
        else
            steps.push_back({{"kind", "write_file"}, {"description", st.description}, {"path", st.path},
                             {"content", st.content}});
    }
    const auto& x = d.decision;
    return {{"format", kReportFormat},
            {"command", "plan"},
            {"sidecar", x.sidecar},
            {"backend", x.backend},
            {"action", to_string(x.action)},
            {"reason", x.reason},
            {"build_path", x.build_path.empty() ? json(nullptr) : json(x.build_path)},
            {"fast_path", x.fast_path},
            {"key", x.key},
            {"cpu_tokens", d.cpu_tokens},
            {"cpu_budget", d.cpu_budget},
            {"steps", steps},
            {"artifact_dir", d.plan.artifact_dir},
            {"executable", d.plan.executable.empty() ? json(nullptr) : json(d.plan.executable)},
            {"standalone", d.plan.standalone},
            {"report", d.plan.report.empty() ? json(nullptr) : json(d.plan.report)},
            {"phases", d.plan.phases}};
}

void print_plan(const DryRun& d, const config::Sidecar& sc, const Style& style) {
    const auto& x = d.decision;
    if (x.action == Explanation::Action::skip)
        fmt::print("freezer: {} with {}: up to date, a build would skip it\n", style.bold(x.sidecar), x.backend);
    else
        fmt::print("freezer: {} with {}: a build would {} ({})\n", style.bold(x.sidecar), x.backend,
                   x.action == Explanation::Action::restore ? "restore it from the cache" : "run these steps", x.reason);
    if (x.action == Explanation::Action::build && !x.build_path.empty()) fmt::print("  {}\n", x.build_path);
    fmt::print("{} step{} of a build, with {} of {} CPU tokens; nothing was run:\n", d.plan.steps.size(),
               d.plan.steps.size() == 1 ? "" : "s", d.cpu_tokens, d.cpu_budget);
    int n = 0;
    for (const auto& st : d.plan.steps) {
        ++n;
        if (st.kind == sdk::Step::Kind::remove) {
            fmt::print("\n{}. {}\n   remove {}\n", n, style.bold(st.description), st.path);
            continue;
        }
        if (st.kind == sdk::Step::Kind::write_file) {
            fmt::print("\n{}. {}\n   write {} ({} bytes)\n", n, style.bold(st.description), st.path, st.content.size());
            continue;
        }
        fmt::print("\n{}. {}\n", n, style.bold(st.description));
        if (!st.cwd.empty()) fmt::print("   cwd: {}\n", st.cwd);
        for (const auto& [k, v] : st.env) fmt::print("   env: {}={}\n", k, shell_quote(v));
        fmt::print("   $ {}\n", shell_command(st.argv));
        const auto [timeout, key] = step_timeout(st, sc);
        fmt::print("   timeout: {} ({}{})\n", timeout_text(timeout), key,
                   st.network ? ": it resolves or downloads" : "");
    }
    fmt::print("\nartifact: {}{}{}\n", d.plan.artifact_dir,
               d.plan.executable.empty() ? "" : ", executable " + d.plan.executable,
               d.plan.standalone ? "" : " (needs Python on the target)");
    if (!d.plan.report.empty()) fmt::print("bundle listing from: {}\n", d.plan.report);
}

int run_plan(const Globals& g, const std::string& sidecar, const BuildOptions& options) {
    const auto style = make_style(g.color, stdout);
    Session session;
    print_plugin_warnings(session, g);
    auto project = load_project(session, g, true, options.backend_override);
    if (!project) return kUsage;
    TerminalReporter reporter(style, false, true, false);
    const auto d = Builder(*project, session.host(), reporter).dry_run(sidecar, options);
    const auto* sc = project->find(sidecar);  // dry_run() threw if there were none
    if (g.json)
        fmt::print("{}\n", plan_json(d, *sc).dump(2));
    else
        print_plan(d, *sc, style);
    return kOk;
}

}  // namespace

Run add_plan(CLI::App& app, const Globals& g) {
    auto sidecar = std::make_shared<std::string>();
    auto options = std::make_shared<BuildOptions>();
    auto* cmd = app.add_subcommand(
        "plan", "Print the exact steps a sidecar's build would run (commands, environment, working folder,\n"
                "files written), as its backend plans them, without running anything. With --json, for scripts:\n"
                "  freezer plan api\n"
                "  freezer plan api --backend nuitka --force --json");
    cmd->add_option("sidecar", *sidecar, "The sidecar")->type_name("SIDECAR")->required();
    cmd->add_option("--backend", options->backend_override, "As built with this packager")->type_name("NAME");
    cmd->add_flag("--force", options->force, "The plan of a clean build (the packager's caches dropped)");
    cmd->add_option("-j,--jobs", options->jobs, "The CPU budget to plan for (default: freezer.yaml's jobs, or all CPUs)")
        ->type_name("N");
    cmd->fallthrough();
    return [&g, sidecar, options] { return run_plan(g, *sidecar, *options); };
}

}  // namespace freezer::cli

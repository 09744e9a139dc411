// The `freezer` command: argument parsing and printing; the work is in freezer_core.
//
// Exit codes: 0 success (built or skipped), 1 a build failed, 2 usage or configuration
// error, 3 internal error, 130 interrupted.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "build/builder.hpp"
#include "cache/artifact_cache.hpp"
#include "compare.hpp"
#include "compare_report.hpp"
#include "plugins/plugin_host.hpp"
#include "process/process.hpp"
#include "plugins/project_check.hpp"
#include "junit.hpp"
#include "report.hpp"
#include "util/atomic_file.hpp"
#include "tauri_init.hpp"
#include "plugins/toolchain.hpp"

#ifndef FREEZER_VERSION
#define FREEZER_VERSION "0.0.0"
#endif

namespace fs = std::filesystem;
using namespace freezer;
using nlohmann::json;

namespace {

enum Exit { kOk = 0, kFailed = 1, kUsage = 2, kInternal = 3, kInterrupted = 130 };

struct Globals {
    std::string directory;
    std::string config;
    std::string color = "auto";
    bool json = false;
    bool verbose = false;
};

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Runs `work`; a problem that stops a run before anything is built (a missing tool or
// interpreter, a bad --backend) is printed, and the caller returns exit code 2.
template <class Work>
bool run_setup(Work&& work) {
    try {
        work();
        return true;
    } catch (const SetupError& e) {
        fmt::print(stderr, "freezer: error: {}\n", e.what());
    } catch (const ToolError& e) {
        fmt::print(stderr, "freezer: error: {}\n", e.what());
    }
    return false;
}

fs::path config_path(const Globals& g) {
    const fs::path base = g.directory.empty() ? fs::current_path() : fs::absolute(g.directory);
    if (!g.directory.empty() && !fs::is_directory(base))
        throw UsageError(fmt::format("-C {}: no such folder", g.directory));
    if (!g.config.empty()) {
        const fs::path c = g.config;
        return c.is_absolute() ? c : base / c;
    }
    return base / "freezer.yaml";
}

// Loads freezer.yaml and runs the plugin checks; prints every diagnostic. Returns the
// project, or nullopt after printing errors.
std::optional<config::Project> load_checked(const Globals& g, const PluginHost& host,
                                            const std::string& backend_override,
                                            cli::Style style) {
    auto result = config::load_project(config_path(g));
    std::vector<sdk::Diagnostic> diags = result.diagnostics;
    if (result.project) {
        auto more = check_backends(*result.project, host, backend_override);
        diags.insert(diags.end(), more.begin(), more.end());
    }
    int errors = 0;
    for (const auto& d : diags) {
        const bool error = d.severity == sdk::Diagnostic::Severity::error;
        errors += error;
        auto text = config::format_diagnostic(d);
        fmt::print(stderr, "{}\n", error ? style.red(text) : style.yellow(text));
    }
    if (errors) {
        fmt::print(stderr, "freezer: {} error{} in {}; nothing was built\n", errors,
                   errors == 1 ? "" : "s", config_path(g).string());
        return std::nullopt;
    }
    return std::move(result.project);
}

void print_plugin_errors(const PluginHost& host, cli::Style style) {
    for (const auto& e : host.errors())
        fmt::print(stderr, "freezer: {} {}\n", style.yellow("warning:"), e.message);
}

// Generated folders belong in .gitignore; say so once something was generated. Asked
// only after a build, never on the no-change path.
void warn_if_not_ignored(const config::Project& project, Reporter& reporter) {
    std::vector<std::string> missing;
    for (const auto& dir : {project.dir / ".freezer", project.output_dir}) {
        ProcessSpec git;
        git.argv = {"git", "check-ignore", "-q", dir.string()};
        git.cwd = project.dir.string();
        git.capture = true;
        git.timeout = std::chrono::seconds(10);
        const auto r = run_process(git);
        if (r.started && r.exit_code == 1)  // 1: inside a repository and not ignored
            missing.push_back(fs::relative(dir, project.dir).string() + "/");
    }
    if (!missing.empty())
        reporter.warning(fmt::format("{} {} not in .gitignore: generated files should stay out of git "
                                     "(add: {})",
                                     fmt::join(missing, " and "), missing.size() == 1 ? "is" : "are",
                                     fmt::join(missing, " ")));
}

struct BuildFlags {
    bool force = false;
    std::string backend;
    int jobs = 0;
    bool fail_fast = false;
    std::string only;   // SIDECAR:BACKEND, one cell of the CI matrix
    std::string junit;  // write JUnit XML here
};

int cmd_build(const Globals& g, std::vector<std::string> sidecars, BuildFlags flags) {
    if (!flags.only.empty()) {
        const auto colon = flags.only.find(':');
        if (colon == std::string::npos || colon == 0 || colon + 1 == flags.only.size() || !sidecars.empty() ||
            !flags.backend.empty())
            throw UsageError("--only takes one SIDECAR:BACKEND (a cell of 'freezer matrix'), without other "
                             "sidecars or --backend");
        sidecars = {flags.only.substr(0, colon)};
        flags.backend = flags.only.substr(colon + 1);
    }
    const std::string& backend = flags.backend;
    const auto style = cli::make_style(g.color, stdout);
    const auto start = std::chrono::steady_clock::now();
    PluginHost host(plugin_search_path());
    print_plugin_errors(host, style);
    auto project = load_checked(g, host, backend, cli::make_style(g.color, stderr));
    if (!project) return kUsage;

    cli::TerminalReporter reporter(style, g.verbose, g.json, cli::is_terminal(stdout));
    Builder builder(*project, host, reporter);
    BuildOptions opts{sidecars, flags.force, backend, flags.jobs, flags.fail_fast};
    std::vector<SidecarResult> results;
    if (!run_setup([&] { results = builder.build(opts); })) return kUsage;
    const auto total = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    if (std::any_of(results.begin(), results.end(),
                    [](const auto& r) { return r.status == Status::built || r.status == Status::restored; }))
        warn_if_not_ignored(*project, reporter);
    const bool failed = std::any_of(results.begin(), results.end(), [](const auto& r) {
        return r.status == Status::failed || r.status == Status::cancelled;
    });
    const int code = interrupt_requested() ? kInterrupted : failed ? kFailed : kOk;
    if (!flags.junit.empty()) cli::write_junit(flags.junit, "freezer build", results);
    if (g.json) {
        json out = {{"freezer", FREEZER_VERSION}, {"format", 1}, {"command", "build"},
                    {"project", project->file.string()}, {"duration_ms", total.count()},
                    {"jobs", builder.budget(opts)}, {"exit_code", code}, {"sidecars", json::array()}};
        for (const auto& r : results) out["sidecars"].push_back(cli::to_json(r));
        fmt::print("{}\n", out.dump(2));
    } else {
        reporter.summary(results, total);
        if (interrupt_requested()) fmt::print(stderr, "freezer: interrupted\n");
    }
    return code;
}

int cmd_smoke(const Globals& g, const std::vector<std::string>& sidecars, const std::string& backend,
              const std::string& junit) {
    const auto style = cli::make_style(g.color, stdout);
    PluginHost host(plugin_search_path());
    auto project = load_checked(g, host, backend, cli::make_style(g.color, stderr));
    if (!project) return kUsage;
    cli::TerminalReporter reporter(style, g.verbose, true, false);
    Builder builder(*project, host, reporter);
    std::vector<SidecarResult> results;
    try {
        results = builder.smoke(sidecars, backend);
    } catch (const std::exception& e) {
        fmt::print(stderr, "freezer: error: {}\n", e.what());
        return kUsage;
    }
    int failed = 0;
    json out = {{"format", 1}, {"command", "smoke"}, {"sidecars", json::array()}};
    for (const auto& r : results) {
        const char* status = r.status == Status::skipped ? "skipped" : r.status == Status::built ? "passed" : "failed";
        failed += r.status == Status::failed;
        out["sidecars"].push_back({{"sidecar", r.name}, {"backend", r.backend}, {"status", status},
                                   {"message", r.status == Status::failed ? r.error : r.smoke.empty() ? r.reason : r.smoke},
                                   {"artifact", r.artifact.string()}, {"duration_ms", r.duration.count()},
                                   {"output_tail", r.log_tail}});
        if (g.json) continue;
        if (r.status == Status::skipped)
            fmt::print("freezer: {} {}: {}\n", style.bold(r.name), style.dim("no smoke test"), r.reason);
        else if (r.status == Status::built)
            fmt::print("freezer: {} smoke test {} in {}: {}\n", style.bold(r.name), style.green("passed"),
                       cli::human_duration(r.duration), r.smoke);
        else {
            fmt::print("freezer: {} smoke test {}: {}\n", style.bold(r.name), style.red("FAILED"), r.error);
            for (const auto& l : r.log_tail) fmt::print("  {} {}\n", style.dim("|"), l);
        }
    }
    out["exit_code"] = failed ? kFailed : kOk;
    if (!junit.empty()) cli::write_junit(junit, "freezer smoke", results);
    if (g.json) fmt::print("{}\n", out.dump(2));
    return failed ? kFailed : kOk;
}

int cmd_matrix(const Globals& g, const std::string& format) {
    PluginHost host(plugin_search_path());
    auto project = load_checked(g, host, "", cli::make_style(g.color, stderr));
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

struct CompareFlags {
    std::vector<std::string> backends;
    int runs = 5;
    int jobs = 0;
    bool markdown = false;
    std::string html;
    std::string junit;
    std::string scratch;
    bool keep_scratch = false;
};

int cmd_compare(const Globals& g, const std::vector<std::string>& sidecars, const CompareFlags& flags) {
    const auto err_style = cli::make_style(g.color, stderr);
    PluginHost host(plugin_search_path());
    print_plugin_errors(host, err_style);
    // The user's project is only read: its own checks, not the compared backends'
    // (a missing backend is a row of the report, not an error).
    auto loaded = config::load_project(config_path(g));
    for (const auto& d : loaded.diagnostics) {
        const bool error = d.severity == sdk::Diagnostic::Severity::error;
        const auto text = config::format_diagnostic(d);
        fmt::print(stderr, "{}\n", error ? err_style.red(text) : err_style.yellow(text));
    }
    if (!loaded.project) return kUsage;
    CompareOptions opts;
    opts.sidecars = sidecars;
    opts.backends = flags.backends;
    opts.runs = flags.runs;
    opts.jobs = flags.jobs;
    opts.scratch = flags.scratch;
    opts.keep_scratch = flags.keep_scratch || !flags.scratch.empty();
    CompareReport report;
    const auto progress = [&](const std::string& line) {
        fmt::print(stderr, "freezer compare: {}\n", line);
        std::fflush(stderr);
    };
    if (!run_setup([&] { report = run_compare(*loaded.project, host, opts, progress); })) return kUsage;
    if (!flags.html.empty()) {
        write_file_atomically(flags.html, cli::compare_html(report, FREEZER_VERSION));
        fmt::print(stderr, "freezer compare: wrote {}\n", flags.html);
    }
    if (!flags.junit.empty()) cli::write_junit(flags.junit, "freezer compare", cli::compare_results(report));
    if (g.json)
        fmt::print("{}\n", cli::compare_json(report, FREEZER_VERSION).dump(2));
    else if (flags.markdown)
        fmt::print("{}", cli::compare_markdown(report));
    else
        fmt::print("{}", cli::compare_table(report, cli::make_style(g.color, stdout)));
    if (interrupt_requested()) return kInterrupted;
    const bool failed = std::any_of(report.rows.begin(), report.rows.end(), [](const auto& r) { return r.status == "failed"; });
    return failed ? kFailed : kOk;
}

std::string ago(std::filesystem::file_time_type t) {
    const auto age = std::chrono::duration_cast<std::chrono::seconds>(std::filesystem::file_time_type::clock::now() - t).count();
    if (age < 120) return fmt::format("{}s ago", age);
    if (age < 7200) return fmt::format("{}m ago", age / 60);
    if (age < 172800) return fmt::format("{}h ago", age / 3600);
    return fmt::format("{}d ago", age / 86400);
}

int cmd_cache(const Globals& g, const std::string& action, const std::string& max_size) {
    auto loaded = config::load_project(config_path(g));
    if (!loaded.project) {
        for (const auto& d : loaded.diagnostics) fmt::print(stderr, "{}\n", config::format_diagnostic(d));
        return kUsage;
    }
    const auto& project = *loaded.project;
    ArtifactCache cache(project.cache_dir / "artifacts", project.cache_max_size);
    const auto style = cli::make_style(g.color, stdout);
    if (action == "stats") {
        const auto st = cache.stats();
        const double pct = st.max_size ? 100.0 * static_cast<double>(st.bytes) / static_cast<double>(st.max_size) : 0;
        if (g.json) {
            json out = {{"format", 1}, {"command", "cache stats"}, {"dir", cache.dir().string()},
                        {"entries", st.entries}, {"blobs", st.blobs}, {"bytes", st.bytes}, {"max_size", st.max_size},
                        {"temp_files", st.temp_files}, {"remote", project.remote_cache ? json(project.remote_cache->url) : json(nullptr)},
                        {"list", json::array()}};
            for (const auto& e : st.list)
                out["list"].push_back({{"key", e.key}, {"sidecar", e.sidecar}, {"backend", e.backend},
                                       {"size", e.size}, {"created_at", e.created_at}});
            fmt::print("{}\n", out.dump(2));
            return kOk;
        }
        fmt::print("artifact cache {}\n  {} entr{}, {} file{}, {} of {} ({:.0f}%){}\n", cache.dir().string(), st.entries,
                   st.entries == 1 ? "y" : "ies", st.blobs, st.blobs == 1 ? "" : "s", cli::human_size(st.bytes),
                   cli::human_size(st.max_size), pct,
                   st.temp_files ? fmt::format(", {} temp file{}", st.temp_files, st.temp_files == 1 ? "" : "s") : "");
        if (project.remote_cache)
            fmt::print("  remote: {}{}\n", project.remote_cache->url, project.remote_cache->read_only ? " (read only)" : "");
        for (const auto& e : st.list)
            fmt::print("  {:<28} {}  {:>9}  built {}  used {}\n", e.sidecar + "@" + e.backend, style.dim(e.key.substr(0, 12)),
                       cli::human_size(e.size), e.created_at, ago(e.last_used));
        return kOk;
    }
    PruneResult r;
    if (action == "clear") {
        r = cache.clear();
    } else {
        std::optional<std::uint64_t> limit;
        if (!max_size.empty()) {
            limit = config::parse_size(max_size);
            if (!limit) throw UsageError(fmt::format("--max-size {}: expected a size such as 5GB or 500MB", max_size));
        }
        r = cache.prune(limit);
    }
    if (g.json)
        fmt::print("{}\n", json{{"format", 1}, {"command", "cache " + action}, {"entries_removed", r.entries_removed},
                                {"blobs_removed", r.blobs_removed}, {"bytes_freed", r.bytes_freed},
                                {"temp_files_removed", r.temps_swept}}.dump(2));
    else
        fmt::print("freezer: {} {}: removed {} entr{} and {} file{} ({}){}\n", action == "clear" ? "cleared" : "pruned",
                   cache.dir().string(), r.entries_removed, r.entries_removed == 1 ? "y" : "ies", r.blobs_removed,
                   r.blobs_removed == 1 ? "" : "s", cli::human_size(r.bytes_freed),
                   r.temps_swept ? fmt::format(", {} stale temp file{}", r.temps_swept, r.temps_swept == 1 ? "" : "s") : "");
    return kOk;
}

int cmd_explain(const Globals& g, const std::string& sidecar, const std::string& backend_flag) {
    const auto style = cli::make_style(g.color, stdout);
    PluginHost host(plugin_search_path());
    print_plugin_errors(host, cli::make_style(g.color, stderr));
    auto project = load_checked(g, host, backend_flag, cli::make_style(g.color, stderr));
    if (!project) return kUsage;
    const auto* sc = project->find(sidecar);
    if (!sc) throw UsageError(fmt::format("no sidecar named '{}' in {}", sidecar, project->file.string()));
    const std::string backend = backend_flag.empty() ? sc->backend : backend_flag;
    cli::TerminalReporter reporter(style, false, true, false);
    Builder builder(*project, host, reporter);
    Evaluation ev;
    if (!run_setup([&] { ev = builder.evaluate(*sc, backend, false); })) return kUsage;
    const bool remote = ev.source == Evaluation::Source::remote;
    const std::string action = ev.up_to_date ? "skip" : ev.cached ? "restore" : "build";
    std::string what;
    if (ev.up_to_date)
        what = ev.resmoke ? "skip it (and run its changed smoke test on the installed binary)" : "skip it: nothing changed";
    else if (ev.cached)
        what = fmt::format("restore it from the {} cache (built {}, which took {:.1f}s), without running {}",
                           remote ? "remote" : "local", ev.cached->created_at, ev.cached->build_ms / 1000.0, backend);
    else
        what = fmt::format("build it with {} {}", backend, ev.tool.version);
    if (g.json) {
        json out = {{"format", 1}, {"command", "explain"}, {"sidecar", sc->name}, {"backend", backend},
                    {"action", action}, {"source", ev.cached ? json(remote ? "remote" : "local") : json(nullptr)},
                    {"key", ev.key.key.hex()}, {"previous_key", ev.previous ? json(ev.previous->key.hex()) : json(nullptr)},
                    {"reason", ev.reason}, {"changes", ev.changes}};
        fmt::print("{}\n", out.dump(2));
        return kOk;
    }
    fmt::print("freezer: the next build of {} ({}) would {}\n", style.bold(sc->name), backend, what);
    fmt::print("  key {}", ev.key.key.hex());
    if (ev.previous) fmt::print(", last good build {} ({})", ev.previous->key.hex(), ev.previous->built_at);
    fmt::print("\n");
    if (!ev.up_to_date) {
        if (ev.changes.empty()) fmt::print("  because: {}\n", ev.reason);
        for (const auto& c : ev.changes) fmt::print("  because: {}\n", c);
    }
    return kOk;
}

int cmd_init(const Globals& g, const std::string& tauri_conf, bool overwrite) {
    const fs::path target = config_path(g);
    if (fs::exists(target) && !overwrite) {
        fmt::print(stderr, "freezer: error: {} already exists; pass --force to replace it\n", target.string());
        return kUsage;
    }
    std::string text;
    try {
        text = tauri_conf.empty() ? init_template({}, "") : init_from_tauri(tauri_conf, target.parent_path());
    } catch (const std::exception& e) {
        fmt::print(stderr, "freezer: error: {}\n", e.what());
        return kUsage;
    }
    write_file_atomically(target, text);
    fmt::print("freezer: wrote {}; fill in each sidecar's root and entry, then run 'freezer check'\n",
               target.string());
    return kOk;
}

// Probes the tool of every backend a project uses (or of every plugin).
int cmd_check(const Globals& g) {
    const auto style = cli::make_style(g.color, stderr);
    PluginHost host(plugin_search_path());
    print_plugin_errors(host, style);
    auto project = load_checked(g, host, "", style);
    if (!project) return kUsage;
    Toolchain tools(project->dir / ".freezer" / "state" / "probes.json");
    int problems = 0;
    json out = {{"format", 1}, {"command", "check"}, {"project", project->file.string()},
                {"sidecars", json::array()}};
    try {
        const auto& py = tools.interpreter(project->python, project->dir);
        out["python"] = {{"path", py.path}, {"version", py.version}};
        if (!g.json) fmt::print("python: {} ({} {})\n", py.path, py.implementation, py.version);
        for (const auto& sc : project->sidecars) {
            const auto b = host.find(sc.backend);
            const auto facts = tools.tool(*b, py);
            json j = {{"sidecar", sc.name}, {"backend", sc.backend}, {"tool_found", facts.found},
                      {"tool_version", facts.version}};
            if (!facts.found) {
                ++problems;
                const auto hint = unwrap(*b, "install_hint", b->abi().install_hint());
                j["problem"] = facts.problem;
                j["install_hint"] = hint;
                fmt::print(stderr, "freezer: error: sidecar '{}': {}\n  how to fix: {}\n", sc.name,
                           facts.problem, hint);
            } else if (!g.json) {
                fmt::print("sidecar {}: {} {} ({} mode, {})\n", sc.name, sc.backend, facts.version,
                           sc.mode, sc.entry.empty() ? "module " + sc.module : sc.entry);
            }
            out["sidecars"].push_back(j);
        }
        tools.save();
    } catch (const ToolError& e) {
        fmt::print(stderr, "freezer: error: {}\n", e.what());
        return kUsage;
    }
    out["ok"] = problems == 0;
    if (g.json)
        fmt::print("{}\n", out.dump(2));
    else if (!problems)
        fmt::print("freezer: {} is valid: {} sidecar{}, every backend's tool found\n",
                   project->file.string(), project->sidecars.size(),
                   project->sidecars.size() == 1 ? "" : "s");
    return problems ? kUsage : kOk;
}

int cmd_backends(const Globals& g) {
    const auto style = cli::make_style(g.color, stdout);
    const auto search = plugin_search_path();
    PluginHost host(search);
    // Probe with the project's interpreter when there is a project, else python3.
    std::string python_cfg;
    fs::path project_dir = fs::current_path();
    if (fs::exists(config_path(g))) {
        auto r = config::load_project(config_path(g));
        if (r.project) {
            python_cfg = r.project->python;
            project_dir = r.project->dir;
        }
    }
    json out = {{"format", 1}, {"search_path", json::array()}, {"backends", json::array()},
                {"errors", json::array()}};
    for (const auto& d : search) out["search_path"].push_back(d.string());
    std::optional<Interpreter> py;
    std::string py_error;
    // Probes are not cached here: this is the command that says what is there now.
    Toolchain tools{fs::path()};
    try {
        py = tools.interpreter(python_cfg, project_dir);
    } catch (const ToolError& e) {
        py_error = e.what();
    }
    for (const auto& b : host.backends()) {
        json j = {{"name", b->name()}, {"version", b->version()}, {"file", b->file().string()}};
        const auto describe = b->abi().describe();
        if (auto* s = std::get_if<std::string>(&describe)) j["description"] = *s;
        const auto hint = b->abi().install_hint();
        sdk::ToolFacts facts;
        if (py) {
            try {
                facts = tools.tool(*b, *py);
            } catch (const BackendError& e) {
                facts.problem = e.what();
            }
        } else {
            facts.problem = py_error;
        }
        j["tool"] = {{"found", facts.found}, {"version", facts.version},
                     {"command", py ? py->path + " " + facts.path : ""}};
        if (!facts.found) {
            j["tool"]["problem"] = facts.problem;
            if (auto* s = std::get_if<std::string>(&hint)) j["tool"]["install_hint"] = *s;
        }
        out["backends"].push_back(j);
        if (g.json) continue;
        fmt::print("{} {}  {}\n", style.bold(b->name()), b->version(), style.dim(b->file().string()));
        if (j.contains("description")) fmt::print("  {}\n", j["description"].get<std::string>());
        if (facts.found)
            fmt::print("  tool: {} {} ({} {})\n", style.green("found"), facts.version, py->path, facts.path);
        else
            fmt::print("  tool: {} {}\n  install: {}\n", style.red("not found:"), facts.problem,
                       std::holds_alternative<std::string>(hint) ? std::get<std::string>(hint) : "?");
    }
    for (const auto& e : host.errors()) {
        out["errors"].push_back({{"file", e.file.string()}, {"error", e.message}});
        if (!g.json) fmt::print(stderr, "freezer: {} {}\n", style.yellow("warning:"), e.message);
    }
    for (const auto& s : host.shadowed())
        if (!g.json) fmt::print("  (shadowed by an earlier plugin of the same name: {})\n", s.string());
    if (g.json) {
        fmt::print("{}\n", out.dump(2));
    } else if (host.backends().empty()) {
        fmt::print("freezer: no backend plugins found; searched: {}\n",
                   fmt::join(out["search_path"].get<std::vector<std::string>>(), ", "));
    }
    return kOk;
}

int cmd_clean(const Globals& g, const std::vector<std::string>& sidecars, bool cache, const std::string& backend) {
    auto result = config::load_project(config_path(g));
    if (!result.project) {
        for (const auto& d : result.diagnostics) fmt::print(stderr, "{}\n", config::format_diagnostic(d));
        return kUsage;
    }
    const auto& project = *result.project;
    const fs::path fz = project.dir / ".freezer";
    std::error_code ec;
    if (!backend.empty()) {
        // Only that packager's own cache (work dirs, ccache, PEX_ROOT, ...): builds,
        // state and outputs stay, and the next build of a changed sidecar starts cold.
        const auto dir = project.cache_dir / "backends" / backend;
        const auto removed = fs::remove_all(dir, ec);
        if (ec) {
            fmt::print(stderr, "freezer: error: cannot remove {}: {}\n", dir.string(), ec.message());
            return kFailed;
        }
        if (!g.json) fmt::print("freezer: emptied the {} cache {} ({} files)\n", backend, dir.string(), removed);
        return kOk;
    }
    std::vector<std::string> names = sidecars;
    if (names.empty())
        for (const auto& s : project.sidecars) names.push_back(s.name);
    for (const auto& name : names) {
        if (!project.find(name)) {
            fmt::print(stderr, "freezer: error: no sidecar named '{}'\n", name);
            return kUsage;
        }
        // State first: without it nothing counts as built, whatever remains on disk.
        for (const auto& e : fs::directory_iterator(fz / "state", ec))
            if (e.path().filename().string().rfind(name + "@", 0) == 0) fs::remove(e.path(), ec);
        fs::remove_all(fz / "stage" / name, ec);
        fs::remove(fz / "logs" / (name + ".log"), ec);
        fs::remove_all(project.output_dir / name, ec);
        if (cache)
            for (const auto& b : fs::directory_iterator(project.cache_dir / "backends", ec))
                fs::remove_all(b.path() / name, ec);
        if (!g.json) fmt::print("freezer: cleaned {}{}\n", name, cache ? " (with its backend caches)" : "");
    }
    return kOk;
}

}  // namespace

int main(int argc, char** argv) {
    install_interrupt_handler();
    CLI::App app{
        "freezer: freezes Python sidecars (CLI tools, HTTP servers) into standalone executables\n"
        "with interchangeable packagers, rebuilding only what changed.\n\n"
        "  freezer build              build every sidecar in ./freezer.yaml that changed\n"
        "  freezer build -j 2         ... two CPUs' worth at a time\n"
        "  freezer build api --force  rebuild one sidecar from scratch\n"
        "  freezer smoke              run the smoke tests on what is installed\n"
        "  freezer compare api --backends pyinstaller,nuitka,pex-scie --html report.html\n"
        "  freezer init --from-tauri src-tauri/tauri.conf.json\n"
        "  freezer explain api        would the next build skip, restore or build api, and why\n"
        "  freezer cache stats        what the artifact cache holds\n"
        "  freezer check              validate freezer.yaml and find each backend's tool\n"
        "  freezer backends           list backend plugins and their tools\n",
        "freezer"};
    app.set_version_flag("--version", std::string("freezer ") + FREEZER_VERSION);
    app.require_subcommand(1);
    Globals g;
    app.add_option("-C", g.directory, "Run as if started in DIR")->type_name("DIR");
    app.add_option("--config", g.config, "Path of freezer.yaml (default: ./freezer.yaml)")
        ->type_name("FILE");
    app.add_option("--color", g.color, "Colour output: auto, always or never")
        ->check(CLI::IsMember({"auto", "always", "never"}));
    app.add_flag("--json", g.json, "Print a JSON report on stdout instead of text");
    app.add_flag("-v,--verbose", g.verbose, "Say why each sidecar is rebuilt");

    std::vector<std::string> sidecars;
    BuildFlags flags;
    auto* build = app.add_subcommand(
        "build",
        "Freeze the sidecars whose inputs, config or tools changed since their last good build.\n"
        "Unchanged ones are skipped. Outputs go to dist/<sidecar>/; logs to .freezer/logs/.");
    build->add_option("sidecars", sidecars, "Sidecars to build (default: all)")->type_name("SIDECAR");
    build->add_flag("-f,--force", flags.force,
                    "Rebuild even if up to date, and drop the packager's cache (PyInstaller --clean)");
    build->add_option("--backend", flags.backend, "Use this packager instead of the configured one")
        ->type_name("NAME");
    build->add_option("-j,--jobs", flags.jobs,
                      "CPU budget shared by parallel builds (default: freezer.yaml's jobs, else the CPUs)")
        ->type_name("N")
        ->check(CLI::Range(1, 1024));
    build->add_flag("--fail-fast", flags.fail_fast,
                    "After the first failure, stop the other builds and start no more");
    build->add_option("--only", flags.only, "Build one cell of 'freezer matrix' (e.g. api:nuitka)")
        ->type_name("SIDECAR:BACKEND");
    build->add_option("--junit", flags.junit, "Also write a JUnit XML report (one testcase per sidecar:backend)")
        ->type_name("FILE");
    build->fallthrough();

    std::string smoke_backend;
    auto* smoke = app.add_subcommand(
        "smoke", "Run the smoke tests again on the installed binaries (dist/<sidecar>/)");
    smoke->add_option("sidecars", sidecars, "Sidecars to test (default: all)")->type_name("SIDECAR");
    smoke->add_option("--backend", smoke_backend, "Test the build made with this packager")->type_name("NAME");
    std::string smoke_junit;
    smoke->add_option("--junit", smoke_junit, "Also write a JUnit XML report")->type_name("FILE");
    smoke->fallthrough();

    std::string matrix_format = "github";
    auto* matrix = app.add_subcommand(
        "matrix", "Print the CI matrix of sidecar x backend (freezer.yaml 'matrix:'; default: each sidecar with its "
                  "backend); build a cell with 'freezer build --only SIDECAR:BACKEND'");
    matrix->add_option("--format", matrix_format, "github (strategy.matrix JSON), gitlab (parallel:matrix YAML) or json")
        ->check(CLI::IsMember({"github", "gitlab", "json"}));
    matrix->fallthrough();

    CompareFlags compare_flags;
    auto* compare = app.add_subcommand(
        "compare",
        "Freeze the same sidecars with several packagers and compare build times, size and start-up.\n"
        "Works in a scratch copy with empty caches: your tree, dist/, .freezer/ and caches are not touched.\n"
        "Per sidecar x backend: cold build, no-change build, rebuild after a one-line change, peak RSS and CPU,\n"
        "size (and file count), start-up (first run, then median and p90 of --runs runs of the smoke test).\n"
        "A backend that is missing or fails gets its row with the reason. Exit 1 when a build or smoke test failed.\n\n"
        "  freezer compare api --backends pyinstaller,nuitka,pex-scie --html compare.html\n"
        "  freezer compare --backends pyinstaller,nuitka --markdown >> \"$GITHUB_STEP_SUMMARY\"");
    compare->add_option("sidecars", sidecars, "Sidecars to compare (default: all)")->type_name("SIDECAR");
    compare->add_option("--backends", compare_flags.backends, "Packagers to compare, comma-separated")
        ->type_name("A,B,...")
        ->delimiter(',')
        ->required();
    compare->add_option("--runs", compare_flags.runs, "Start-up runs after the first, and no-change builds (default 5)")
        ->type_name("N")
        ->check(CLI::Range(1, 1000));
    compare->add_option("-j,--jobs", compare_flags.jobs, "CPU budget of each build (default: every CPU)")
        ->type_name("N")
        ->check(CLI::Range(1, 1024));
    compare->add_flag("--markdown", compare_flags.markdown, "Print a Markdown table (for a CI step summary)");
    compare->add_option("--html", compare_flags.html, "Also write a self-contained HTML report with bar charts")
        ->type_name("FILE");
    compare->add_option("--junit", compare_flags.junit, "Also write JUnit XML (one testcase per sidecar:backend)")
        ->type_name("FILE");
    compare->add_option("--scratch", compare_flags.scratch, "Work in this empty folder and keep it (default: a temp folder, removed)")
        ->type_name("DIR");
    compare->add_flag("--keep-scratch", compare_flags.keep_scratch, "Keep the scratch copy (its logs) for a look afterwards");
    compare->fallthrough();

    std::string explain_sidecar, explain_backend;
    auto* explain = app.add_subcommand(
        "explain", "Say whether the next build of a sidecar would skip, restore from the cache or build, and why:\n"
                   "the inputs added, removed or modified, the config keys and tool versions that changed");
    explain->add_option("sidecar", explain_sidecar, "The sidecar")->type_name("SIDECAR")->required();
    explain->add_option("--backend", explain_backend, "As built with this packager")->type_name("NAME");
    explain->fallthrough();

    std::string cache_action, cache_max_size;
    auto* cache = app.add_subcommand(
        "cache", "The artifact cache (<cache.dir>/artifacts): every build that passed its smoke test, by key");
    cache->add_option("action", cache_action,
                      "stats: entries and size; prune: keep the most recently used within cache.max_size "
                      "(or --max-size) and sweep stale temp files; clear: empty it")
        ->check(CLI::IsMember({"stats", "prune", "clear"}))
        ->required();
    cache->add_option("--max-size", cache_max_size, "prune: keep this much instead of cache.max_size")->type_name("SIZE");
    cache->fallthrough();

    std::string tauri_conf;
    bool init_force = false;
    auto* init = app.add_subcommand(
        "init", "Write a starting freezer.yaml (with --from-tauri: one sidecar per bundle.externalBin entry)");
    init->add_option("--from-tauri", tauri_conf, "Path of tauri.conf.json")->type_name("FILE");
    init->add_flag("--force", init_force, "Replace an existing freezer.yaml");
    init->fallthrough();

    auto* check = app.add_subcommand(
        "check", "Validate freezer.yaml and find every backend's tool, without building");
    check->fallthrough();
    auto* backends = app.add_subcommand(
        "backends", "List the backend plugins found, their versions and whether their tools are installed");
    backends->fallthrough();
    bool clean_cache = false;
    std::string clean_backend;
    auto* clean = app.add_subcommand(
        "clean", "Forget sidecars' builds: state, stage, logs and installed outputs");
    clean->add_option("sidecars", sidecars, "Sidecars to clean (default: all)")->type_name("SIDECAR");
    clean->add_flag("--cache", clean_cache, "Also drop their packager caches");
    clean->add_option("--backend", clean_backend, "Only empty this packager's cache (keeps builds and outputs)")
        ->type_name("NAME");
    clean->fallthrough();

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? kOk : kUsage;
    }
    try {
        if (*build) return cmd_build(g, sidecars, flags);
        if (*smoke) return cmd_smoke(g, sidecars, smoke_backend, smoke_junit);
        if (*matrix) return cmd_matrix(g, matrix_format);
        if (*compare) return cmd_compare(g, sidecars, compare_flags);
        if (*explain) return cmd_explain(g, explain_sidecar, explain_backend);
        if (*cache) return cmd_cache(g, cache_action, cache_max_size);
        if (*init) return cmd_init(g, tauri_conf, init_force);
        if (*check) return cmd_check(g);
        if (*backends) return cmd_backends(g);
        if (*clean) return cmd_clean(g, sidecars, clean_cache, clean_backend);
    } catch (const UsageError& e) {
        fmt::print(stderr, "freezer: error: {}\n", e.what());
        return kUsage;
    } catch (const BackendError& e) {
        fmt::print(stderr, "freezer: error: {}\n", e.what());
        return kInternal;
    } catch (const std::exception& e) {
        fmt::print(stderr, "freezer: internal error: {}\n", e.what());
        return kInternal;
    }
    return kUsage;
}

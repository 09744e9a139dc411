// freezer watch: build the watched sidecars, then rebuild each one whose inputs change,
// until Ctrl-C. Each rebuild is a plain `freezer build` of the sidecars a burst of saves
// touched (stage, smoke test, install, Tauri copy, cache), so what is installed is always
// a binary that passed its smoke test, and a failed build keeps the one before.
//
// The loop: wait on the watcher (core/platform/file_watch.hpp) in ticks, so that the
// interrupt flag is seen; map each change to the sidecars it feeds (watch_map.hpp) and
// drop the rest; once a change matters, wait for `--debounce` of quiet (an editor's save
// is several events, a `git checkout` hundreds), then build. Changes made during a build
// wait in the kernel's queue and start the next one.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <mutex>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "engine/builder.hpp"
#include "engine/layout.hpp"
#include "engine/watch_map.hpp"
#include "platform/file_watch.hpp"
#include "util/interrupt.hpp"

namespace freezer::cli {
namespace fs = std::filesystem;
using nlohmann::json;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

namespace {

// How often the wait looks at the interrupt flag: a signal delivered to another thread
// does not interrupt poll(), so the flag is also read at every tick.
constexpr milliseconds kTick{200};
// A burst that never pauses (a file rewritten in a loop) is built anyway after this.
constexpr milliseconds kMaxBurst{5000};
// Paths named in one JSON line at most.
constexpr std::size_t kMaxShownPaths = 100;

struct WatchFlags {
    std::vector<std::string> sidecars;
    int debounce_ms = 200;
    int jobs = 0;
};

std::string local_time() {
    const auto t = ::time(nullptr);
    struct tm tm {};
    ::localtime_r(&t, &tm);
    return fmt::format("{:02}:{:02}:{:02}", tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string utc_time() {
    const auto t = ::time(nullptr);
    struct tm tm {};
    ::gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

// One line per sidecar built, not `freezer build`'s block and table: a watch runs for
// hours next to a dev server, and each save should cost the terminal one line. On a
// terminal, what is running shows on a last line that the results overwrite.
class WatchReporter final : public Reporter {
public:
    WatchReporter(Style style, bool verbose, bool quiet, bool live)
        : style_(style), verbose_(verbose), quiet_(quiet), live_(live && !quiet) {}

    // The project of the build that runs now, to tell whether a failed one had a
    // previous binary to keep.
    void set_project(const config::Project* project) { project_ = project; }

    void warning(const std::string& message) override {
        std::lock_guard g(mutex_);
        clear_live();
        fmt::print(stderr, "freezer: {} {}\n", style_.yellow("warning:"), message);
        std::fflush(stderr);
        draw_live();
    }

    void phase(const std::string& sidecar, const std::string&, Phase phase, const std::string&) override {
        if (!live_) return;
        std::lock_guard g(mutex_);
        running_[sidecar] = phase;
        draw_live();
    }

    void finished(const SidecarResult& r) override {
        std::lock_guard g(mutex_);
        running_.erase(r.name);
        if (quiet_) return;
        clear_live();
        print_result(r);
        draw_live();
        std::fflush(stdout);
    }

    // A line of its own, stamped like the results (a reload, an error of the whole run).
    void note(const std::string& text, bool error = false) {
        std::lock_guard g(mutex_);
        clear_live();
        auto* out = quiet_ || error ? stderr : stdout;
        fmt::print(out, "{} {}\n", style_.dim(local_time()), error ? style_.red(text) : text);
        std::fflush(out);
        draw_live();
    }

private:
    void print_result(const SidecarResult& r) {
        const auto stamp = style_.dim(local_time());
        const auto name = style_.bold(r.name);
        switch (r.status) {
            case Status::built:
            case Status::restored:
                // With a fast-path backend, which path the build took is half of the story.
                fmt::print("{} {} {} in {} ({}{})\n", stamp, name, style_.green(to_string(r.status)),
                           human_duration(r.duration), r.reason, r.build_path.empty() ? "" : "; " + r.build_path);
                if (verbose_) {
                    for (const auto& c : r.changes) fmt::print("  because: {}\n", c);
                    if (r.smoke.ran) fmt::print("  smoke test passed: {}\n", r.smoke.message);
                    if (!r.tauri_copy.empty()) fmt::print("  tauri: {}\n", r.tauri_copy.string());
                }
                break;
            case Status::skipped:
                fmt::print("{} {} {}{}\n", stamp, name, style_.green("up to date"),
                           r.reason == "up to date" ? "" : " (" + r.reason + ")");
                break;
            case Status::cancelled:
                fmt::print("{} {} {}: {}\n", stamp, name, style_.yellow("cancelled"), r.error);
                break;
            case Status::failed:
                fmt::print("{} {} {} after {}: {}{}\n", stamp, name, style_.red("FAILED"), human_duration(r.duration),
                           r.error, kept(r));
                print_failure_tail(style_, r);
                break;
        }
    }

    // What a failed build left installed: the builder never installs one, so the
    // previous binary, if there is one, is still what `tauri dev` runs.
    std::string kept(const SidecarResult& r) const {
        if (r.error.find("was kept") != std::string::npos || !project_) return "";
        const auto* sc = project_->find(r.name);
        if (!sc) return "";
        const Layout layout(*project_);
        const auto dir = layout.installed_dir(Layout::output_name(*sc, r.backend));
        std::error_code ec;
        if (!fs::is_directory(dir, ec)) return "; nothing is installed yet";
        const auto rel = dir.lexically_relative(project_->dir).generic_string();
        const bool inside = !rel.empty() && rel != ".." && rel.rfind("../", 0) != 0;
        return fmt::format("; the previous binary in {}/ was kept", inside ? rel : dir.string());
    }

    void clear_live() {
        if (drawn_) std::fputs("\r\033[2K", stdout);
        drawn_ = false;
    }
    void draw_live() {
        clear_live();
        if (!live_ || running_.empty()) return;
        std::vector<std::string> parts;
        for (const auto& [name, phase] : running_) parts.push_back(fmt::format("{} {}", name, to_string(phase)));
        std::fputs(style_.dim(fmt::format("{} {}...", local_time(), fmt::join(parts, ", "))).c_str(), stdout);
        std::fflush(stdout);
        drawn_ = true;
    }

    Style style_;
    bool verbose_, quiet_, live_;
    const config::Project* project_ = nullptr;
    std::mutex mutex_;
    std::map<std::string, Phase> running_;
    bool drawn_ = false;
};

// What one debounced burst of changes asks for.
struct Pending {
    std::vector<std::string> sidecars;  // in freezer.yaml's order
    std::vector<std::string> paths;     // as shown, first change first, each once
    bool config = false;                // freezer.yaml changed
    bool overflow = false;              // changes were lost: rebuild everything watched
    bool empty() const { return sidecars.empty() && !config && !overflow; }
};

// The watcher and the map it was made from: replaced together when freezer.yaml changes.
struct Watch {
    WatchMap map;
    FileWatcher watcher;
};

Watch start_watch(const config::Project& project, const std::vector<std::string>& sidecars, WatchReporter& reporter) {
    Watch w{WatchMap(project, sidecars), FileWatcher()};
    for (const auto& warning : w.watcher.add_tree(w.map.root(), w.map.filter())) reporter.warning(warning);
    return w;
}

// Waits for a change that matters, then for `quiet` without another. Returns empty when
// the interrupt flag is set.
Pending wait_for_changes(Watch& w, milliseconds quiet, WatchReporter& reporter) {
    Pending p;
    std::set<std::string> seen;
    Clock::time_point first{}, last{};
    while (!interrupt_requested()) {
        auto timeout = kTick;
        if (!p.empty()) {
            const auto deadline = std::min(last + quiet, first + kMaxBurst);
            const auto now = Clock::now();
            if (now >= deadline) break;
            timeout = std::min(kTick, std::chrono::ceil<milliseconds>(deadline - now));
        }
        auto batch = w.watcher.wait(timeout);
        for (const auto& warning : batch.warnings) reporter.warning(warning);
        bool matters = batch.overflow;
        p.overflow = p.overflow || batch.overflow;
        for (const auto& c : batch.changes) {
            // A folder that appears brings its files as changes of their own.
            if (c.is_dir && (c.kind == FileChange::Kind::created || c.kind == FileChange::Kind::moved_in)) continue;
            const bool config = !c.is_dir && w.map.is_config(c.path);
            const auto names = config ? std::vector<std::string>{} : w.map.affected(c.path, c.is_dir);
            if (!config && names.empty()) continue;
            matters = true;
            p.config = p.config || config;
            for (const auto& n : names)
                if (std::find(p.sidecars.begin(), p.sidecars.end(), n) == p.sidecars.end()) p.sidecars.push_back(n);
            const auto shown = w.map.shown(c.path);
            if (seen.insert(shown).second) p.paths.push_back(shown);
        }
        if (matters) {
            last = Clock::now();
            if (first == Clock::time_point{}) first = last;
        }
    }
    if (interrupt_requested()) return {};
    // Build in freezer.yaml's order, whatever order the saves came in.
    std::vector<std::string> ordered;
    for (const auto& n : w.map.sidecars())
        if (std::find(p.sidecars.begin(), p.sidecars.end(), n) != p.sidecars.end()) ordered.push_back(n);
    p.sidecars = std::move(ordered);
    return p;
}

struct Trigger {
    const char* kind;  // start, change, config, overflow
    std::vector<std::string> paths;
};

// One normal build of `names`, reported as a line per sidecar, or one JSON line. False
// when Ctrl-C cancelled it.
bool rebuild(const config::Project& project, const Session& session, WatchReporter& reporter, const Globals& g,
             const WatchFlags& flags, const std::vector<std::string>& names, const Trigger& trigger) {
    const auto start = Clock::now();
    std::vector<SidecarResult> results;
    std::string error;
    bool cancelled = false;
    reporter.set_project(&project);
    try {
        Builder builder(project, session.host(), reporter);
        results = builder.build(BuildOptions{names, false, "", flags.jobs, false});
    } catch (const Error& e) {
        // A problem of the whole run (an entry file deleted, the interpreter gone): the
        // next save may fix it, so it is reported and the watch goes on.
        if (e.kind() == Error::Kind::internal) throw;
        cancelled = e.kind() == Error::Kind::cancelled;
        error = e.what();
        if (!cancelled) reporter.note(fmt::format("error: {}; nothing was installed, still watching", error), true);
    }
    cancelled = cancelled || std::any_of(results.begin(), results.end(),
                                         [](const auto& r) { return r.status == Status::cancelled; });
    if (g.json) {
        const auto ms = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
        json out = {{"freezer", FREEZER_VERSION}, {"format", kReportFormat}, {"command", "watch"},
                    {"time", utc_time()},       {"trigger", trigger.kind},   {"changed", json::array()},
                    {"duration_ms", ms.count()}, {"sidecars", json::array()}};
        for (std::size_t i = 0; i < trigger.paths.size() && i < kMaxShownPaths; ++i)
            out["changed"].push_back(trigger.paths[i]);
        for (const auto& r : results) out["sidecars"].push_back(to_json(r));
        if (!error.empty()) out["error"] = error;
        fmt::print("{}\n", out.dump());
        std::fflush(stdout);
    }
    return !cancelled;
}

int run_watch(const Globals& g, const WatchFlags& flags) {
    Session session;
    print_plugin_warnings(session, g);
    auto project = load_project(session, g, true);
    if (!project) return kUsage;
    WatchReporter reporter(make_style(g.color, stdout), g.verbose, g.json, is_terminal(stdout));
    // From here on the first Ctrl-C (or SIGTERM) only sets the flag, as it does while a
    // packager runs: the wait sees it within a tick and ends the watch with 0, a build
    // stops as `freezer build` does. A second one still exits at once.
    InterruptScope scope;
    auto watch = std::make_unique<Watch>(start_watch(*project, flags.sidecars, reporter));
    std::FILE* notes = g.json ? stderr : stdout;
    fmt::print(notes, "freezer: watching {} under {} ({} folders; debounce {}ms); Ctrl-C stops\n",
               fmt::join(watch->map.sidecars(), ", "), watch->map.root().string(), watch->watcher.watched_folders(),
               flags.debounce_ms);
    std::fflush(notes);

    // A first build, so that dist/ and the Tauri copy are fresh before anything runs them.
    bool interrupted = !rebuild(*project, session, reporter, g, flags, watch->map.sidecars(), {"start", {}});
    while (!interrupted) {
        auto pending = wait_for_changes(*watch, milliseconds(flags.debounce_ms), reporter);
        if (interrupt_requested()) break;
        Trigger trigger{"change", pending.paths};
        auto names = pending.sidecars;
        if (pending.config) {
            // A config with errors is reported and the watch goes on with the one it had;
            // the sidecars that the other changes touched are still built with it.
            std::optional<config::Project> next;
            try {
                next = load_project(session, g, true);
                if (next) {
                    auto fresh = std::make_unique<Watch>(start_watch(*next, flags.sidecars, reporter));
                    project = std::move(next);
                    watch = std::move(fresh);
                    names = watch->map.sidecars();
                    trigger.kind = "config";
                    reporter.note(fmt::format("{} changed: reloaded; building {}", project->file.filename().string(),
                                              fmt::join(names, ", ")));
                } else {
                    reporter.note(fmt::format("{} has errors: still watching with the previous one; fix it and save",
                                              project->file.filename().string()),
                                  true);
                }
            } catch (const Error& e) {  // a watched sidecar gone from it, or no more watches
                if (e.kind() == Error::Kind::internal) throw;
                reporter.note(fmt::format("{}; still watching with the previous {}", e.what(),
                                          project->file.filename().string()),
                              true);
            }
        }
        if (pending.overflow) {
            names = watch->map.sidecars();
            trigger.kind = "overflow";
            reporter.note("too many changes at once to follow them one by one: building every watched sidecar");
        }
        if (names.empty()) continue;
        interrupted = !rebuild(*project, session, reporter, g, flags, names, trigger);
    }
    if (interrupted) {
        fmt::print(stderr, "freezer: interrupted\n");
        return kInterrupted;
    }
    fmt::print(notes, "freezer: stopped\n");
    return kOk;
}

}  // namespace

Run add_watch(CLI::App& app, const Globals& g) {
    auto flags = std::make_shared<WatchFlags>();
    auto* cmd = app.add_subcommand(
        "watch",
        "Build the sidecars, then rebuild each one when its inputs change, until Ctrl-C.\n"
        "\n"
        "What it watches: the files each sidecar's build reads (under its root, matched by its\n"
        "inputs' include and exclude globs, plus its entry and data files), and freezer.yaml.\n"
        "A change to freezer.yaml reloads it and rebuilds every watched sidecar; a freezer.yaml\n"
        "with errors is reported and the previous one stays in use. freezer's own output\n"
        "(.freezer/, dist/, the Tauri binaries folder) and .git, __pycache__, node_modules and\n"
        ".venv are never watched, so a build never starts another.\n"
        "\n"
        "Saves are debounced: the build starts once no input changed for --debounce\n"
        "milliseconds, and builds only the sidecars those saves touched. Each build is a\n"
        "`freezer build` of them: smoke-tested, installed to dist/ and the Tauri copy, cached;\n"
        "a build that fails keeps the previous binary. One line per sidecar built (--json: one\n"
        "JSON object per build, per line).\n"
        "\n"
        "With Tauri: run it next to the frontend's dev server, e.g. in tauri.conf.json\n"
        "  \"beforeDevCommand\": \"npm run dev & freezer watch\"\n"
        "(Tauri waits for devUrl, which the dev server answers.) The first build starts at once,\n"
        "while Cargo compiles the app, and is a skip in milliseconds when nothing changed, so\n"
        "the sidecar is in src-tauri/binaries/ when the app starts it. Each later build that\n"
        "passes its smoke test replaces it there, and `tauri dev` restarts the app with it\n"
        "(unless .gitignore or .taurignore lists that folder). On a fresh clone, run\n"
        "`freezer build` once first: Tauri will not compile while a sidecar is missing.");
    cmd->add_option("sidecars", flags->sidecars, "Sidecars to watch (default: all)")->type_name("SIDECAR");
    cmd->add_option("--debounce", flags->debounce_ms,
                    "Quiet time after the last change before building, in milliseconds (default: 200)")
        ->type_name("MS")
        ->check(CLI::Range(0, 60000));
    cmd->add_option("-j,--jobs", flags->jobs,
                    "CPU budget shared by parallel builds (default: freezer.yaml's jobs, else the CPUs)")
        ->type_name("N")
        ->check(CLI::Range(1, 1024));
    cmd->fallthrough();
    return [&g, flags] { return run_watch(g, *flags); };
}

}  // namespace freezer::cli

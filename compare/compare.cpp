#include "compare.hpp"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "util/atomic_file.hpp"
#include "engine/build_log.hpp"
#include "engine/build_state.hpp"
#include "engine/builder.hpp"
#include "engine/layout.hpp"
#include "inputs/input_set.hpp"
#include "process/process.hpp"
#include "plugins/project_check.hpp"
#include "process/smoke_test.hpp"
#include "plugins/toolchain.hpp"

namespace freezer {
namespace fs = std::filesystem;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

double percentile(std::vector<double> samples, double p) {
    if (samples.empty()) return 0;
    std::sort(samples.begin(), samples.end());
    if (p == 50 && samples.size() % 2 == 0)
        return (samples[samples.size() / 2 - 1] + samples[samples.size() / 2]) / 2.0;
    // Nearest rank: the smallest sample with at least p% of the samples at or below it.
    const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(samples.size())));
    return samples[std::clamp<std::size_t>(rank, 1, samples.size()) - 1];
}

std::vector<CompositionPart> composition(const BundleContents& contents, std::size_t top) {
    std::vector<CompositionPart> out;
    CompositionPart rest{kEverythingElse, 0};
    for (const auto& p : contents.packages()) {
        if (out.size() < top)
            out.push_back({p.name, p.bytes});
        else
            rest.bytes += p.bytes;
    }
    if (rest.bytes > 0) out.push_back(std::move(rest));
    return out;
}

namespace {

// The inner builds report through this: warnings become progress lines, the rest is
// what the comparison itself says.
class QuietReporter final : public Reporter {
public:
    explicit QuietReporter(const CompareProgress& progress) : progress_(progress) {}
    void warning(const std::string& message) override {
        std::lock_guard lock(mutex_);
        if (progress_) progress_("warning: " + message);
    }
    void phase(const std::string&, const std::string&, Phase, const std::string&) override {}
    void finished(const SidecarResult&) override {}

private:
    const CompareProgress& progress_;
    std::mutex mutex_;
};

fs::path make_scratch(const CompareOptions& options) {
    if (!options.scratch.empty()) {
        std::error_code ec;
        if (fs::exists(options.scratch, ec) && !fs::is_empty(options.scratch, ec))
            throw SetupError(fmt::format("--scratch {} is not empty; compare starts from nothing",
                                         options.scratch.string()));
        fs::create_directories(options.scratch, ec);
        if (ec) throw SetupError(fmt::format("cannot create {}: {}", options.scratch.string(), ec.message()));
        return fs::absolute(options.scratch);
    }
    std::string tmpl = (fs::temp_directory_path() / "freezer-compare-XXXXXX").string();
    if (!::mkdtemp(tmpl.data()))
        throw SetupError(fmt::format("cannot create a scratch folder under {}: {}",
                                     fs::temp_directory_path().string(), std::strerror(errno)));
    return tmpl;
}

// The input to edit for the one-line change: the entry script, the module's
// __main__.py or <module>.py, else the first Python input.
std::string change_target(const config::Sidecar& sc, const std::vector<InputFile>& files) {
    auto has = [&](const std::string& p) {
        return std::any_of(files.begin(), files.end(), [&](const auto& f) { return f.path == p; });
    };
    std::vector<std::string> candidates;
    if (!sc.entry.empty()) candidates.push_back(fs::path(sc.entry).lexically_normal().generic_string());
    if (!sc.module.empty()) {
        std::string m = sc.module;
        std::replace(m.begin(), m.end(), '.', '/');
        candidates.insert(candidates.end(), {m + "/__main__.py", m + ".py", m + "/__init__.py"});
    }
    for (const auto& c : candidates)
        if (has(c)) return c;
    for (const auto& f : files)
        if (f.path.size() > 3 && f.path.compare(f.path.size() - 3, 3, ".py") == 0) return f.path;
    return files.empty() ? "" : files.front().path;
}

// Copies what the sidecar's builds can see: its inputs, with every backend's extra
// inputs (spec files). Symbolic links are followed, as the builds follow them.
std::vector<InputFile> copy_inputs(const config::Project& project, const config::Sidecar& sc,
                                   const std::vector<std::string>& extras, const fs::path& to) {
    std::vector<std::string> explicit_paths = extras;
    for (const auto& d : sc.data) explicit_paths.push_back(d.src);
    if (!sc.entry.empty()) explicit_paths.push_back(sc.entry);
    const fs::path root = project.dir / sc.root;
    auto scan = scan_inputs(root, GlobSet(sc.inputs.include), GlobSet(sc.inputs.exclude), explicit_paths);
    for (const auto& f : scan.files) {
        const fs::path dst = to / sc.root / f.path;
        fs::create_directories(dst.parent_path());
        fs::copy_file(root / f.path, dst, fs::copy_options::overwrite_existing);
    }
    return std::move(scan.files);
}

std::string describe_smoke(const config::Smoke& s) {
    if (s.http) return "http: GET " + s.http->path;
    if (s.run) return fmt::format("run: {}", s.run->args.empty() ? "(no arguments)" : fmt::format("{}", fmt::join(s.run->args, " ")));
    return "";
}

BuildFigures figures(const SidecarResult& r) {
    return {true, r.duration, r.cpu, r.peak_rss_kb, r.metrics};
}

// How many of a failure log's last lines a row keeps, as the build keeps of its own.
constexpr std::size_t kTailLines = 30;

// What every sidecar x backend shares: the user's project and the comparison's settings.
struct Context {
    const config::Project& user;
    const PluginHost& host;
    const CompareOptions& options;
    const std::string& python;  // the interpreter as the user's project resolves it
    int jobs;
    const CompareProgress& progress;
};

// Measures one sidecar x backend in a project of its own under `cell`, so that nothing one
// packager leaves behind (caches, staged files, state) reaches the next: one phase after
// the other, each filling in `row`.
struct Measurement {
    const Context& ctx;
    const fs::path cell;
    config::Project project;
    CompareRow row;
    std::string who;  // "api x nuitka", as every progress line starts
    std::shared_ptr<LoadedBackend> backend;
    std::vector<InputFile> inputs;  // as copied into the scratch project
    fs::path final_artifact;
    fs::path final_log;  // the log of the build that made final_artifact
    QuietReporter quiet;
    BuildOptions build_opts;

    Measurement(const Context& c, const config::Sidecar& user_sc, const std::string& backend_name, const fs::path& dir)
        : ctx(c), cell(dir), project(c.user), quiet(c.progress), build_opts{{user_sc.name}, false, "", c.jobs, false} {
        row.sidecar = user_sc.name;
        row.backend = backend_name;
        row.smoke_configured = user_sc.smoke.run || user_sc.smoke.http;
        row.startup.what = describe_smoke(user_sc.smoke);
        who = fmt::format("{} x {}", row.sidecar, row.backend);
        project.dir = cell / "project";
        project.file = project.dir / ctx.user.file.filename();
        project.cache_dir = cell / "cache";
        project.output_dir = cell / "dist";
        project.tauri_dir.reset();
        project.remote_cache.reset();  // a cold build is a build: no restores, no uploads
        project.python = ctx.python;
        project.sidecars = {user_sc};
        project.sidecars.front().backend = backend_name;
        project.matrix = {};
        // Each packager in a mode it builds: the sidecar's, else the backend's first (pex
        // and shiv build one file, cx_Freeze a folder); the row says which.
        if (const auto b = c.host.find(backend_name)) {
            const auto modes = b->abi().modes();
            if (const auto* m = std::get_if<std::vector<std::string>>(&modes);
                m && !m->empty() && std::find(m->begin(), m->end(), user_sc.mode) == m->end())
                project.sidecars.front().mode = m->front();
        }
        row.mode = project.sidecars.front().mode;
    }

    CompareRow run() {
        if (prepare() && measure_cold()) {
            measure_no_change();
            measure_change();
            measure_startup();
        }
        return row;
    }

    const config::Sidecar& sc() const { return project.sidecars.front(); }
    void say(const std::string& line) const { if (ctx.progress) ctx.progress(line); }
    bool missing(const std::string& reason) {  // the row's end: a plugin, tool or setting is not there
        row.status = "missing";
        row.reason = reason;
        say(fmt::format("{}: {}", who, row.reason));
        return false;
    }
    SidecarResult build() {
        Builder builder(project, ctx.host, quiet);  // a fresh one, as a new `freezer build` is
        return builder.build(build_opts).front();
    }

    // The row's end: a build or smoke test failed. The row keeps what was said about it:
    // `output`, what the binary printed (a failed smoke test), and the log of the build
    // (`build_log`), copied to <cell>/failure.log with `more` lines after it, because the
    // cell's next build would write over the original. The first failure is the row's:
    // the rebuild after a failed no-change build adds none.
    void fail(const std::string& reason, const fs::path& build_log, const std::vector<std::string>& output,
              const std::vector<std::string>& more = {}) {
        if (row.status == "failed") return;
        row.status = "failed";
        row.reason = reason;
        row.output_tail = output;
        row.log = cell / "failure.log";
        std::error_code ec;
        fs::create_directories(cell, ec);
        const bool copied = !build_log.empty() && fs::is_regular_file(build_log, ec) &&
                            fs::copy_file(build_log, row.log, fs::copy_options::overwrite_existing, ec);
        {
            std::ofstream out(row.log, copied ? std::ios::app : std::ios::trunc);
            if (!copied)
                out << fmt::format("freezer compare: the build left no log{}\n",
                                   build_log.empty() ? "" : " at " + build_log.string());
            for (const auto& line : more) out << line << '\n';
        }
        if (!fs::is_regular_file(row.log, ec)) row.log = build_log;  // no room for the copy: the original
        row.log_tail = tail_lines(row.log, kTailLines);
        say(fmt::format("{}: FAILED: {}", who, row.reason));
    }
    // A failed build `r`, its log and, when its smoke test failed, what the binary printed.
    void fail(const std::string& reason, const SidecarResult& r) {
        fail(reason, r.log, r.smoke.ran && !r.smoke.passed ? r.smoke.output : std::vector<std::string>{});
    }

    // 0. The plugin, its settings and a copy of the inputs; false when one is missing.
    bool prepare() {
        backend = ctx.host.find(row.backend);
        if (!backend) {
            std::vector<std::string> names;
            for (const auto& b : ctx.host.backends()) names.push_back(b->name());
            return missing(fmt::format("no backend plugin named '{}' (found: {})", row.backend,
                                       names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "))));
        }
        std::vector<std::string> problems;
        for (const auto& d : check_backends(project, ctx.host))
            if (d.severity == sdk::Diagnostic::Severity::error) problems.push_back(config::format_diagnostic(d));
        if (problems.empty()) {
            try {
                const auto opt = sc().backends.count(row.backend) ? sc().backends.at(row.backend) : sdk::Option{};
                std::vector<std::string> extras;
                for (const auto& e : unwrap(*backend, "extra_inputs", backend->abi().extra_inputs(opt)))
                    extras.push_back(e.path);
                inputs = copy_inputs(ctx.user, sc(), extras, project.dir);
                std::string text;
                read_file(ctx.user.file, text);
                write_file_atomically(project.file, "# freezer compare holds the project in memory; this copy is "
                                                    "for reference\n" + text);
            } catch (const std::exception& e) {
                problems.push_back(fmt::format("cannot copy the inputs: {}", e.what()));
            }
        }
        return problems.empty() || missing(fmt::format("{}", fmt::join(problems, "; ")));
    }

    // 1. Cold; false when nothing was built to go on with.
    bool measure_cold() {
        say(fmt::format("{}: cold build ...", who));
        SidecarResult cold;
        try {
            cold = build();
        } catch (const std::exception& e) {  // SetupError: the tool or interpreter is not there
            return missing(e.what());
        }
        {
            Toolchain t(Layout(project).probes_file());
            try {
                row.tool_version = t.tool(*backend, t.interpreter(project.python, project.dir)).version;
            } catch (const std::exception&) {
            }
        }
        row.cold = figures(cold);
        if (cold.status != Status::built) {
            fail("cold build: " + cold.error, cold);
            read_composition(cold);  // what made it too large, say
            return false;
        }
        row.smoke_passed = cold.smoke.passed || !cold.smoke.ran;
        row.smoke = cold.smoke.message;
        describe_artifact(cold);
        say(fmt::format("{}: cold build {:.1f}s, {} bytes in {} file{}", who, cold.duration.count() / 1000.0,
                        row.size, row.files, row.files == 1 ? "" : "s"));
        return true;
    }

    // Size, files, composition and start-up describe the last good build, the one left
    // on disk.
    void describe_artifact(const SidecarResult& r) {
        final_artifact = r.artifact;
        final_log = r.log;
        row.size = r.size;
        row.artifact = fs::relative(r.artifact, project.output_dir).generic_string();
        row.files = 0;
        for (auto it = fs::recursive_directory_iterator(r.artifact.parent_path());
             it != fs::recursive_directory_iterator(); ++it)
            row.files += it->is_regular_file();
        read_composition(r);
    }

    // What the build `r` put in its artifact, from the listing it recorded (also when it
    // failed later, e.g. over max_size); one left by an earlier build (this one's listing
    // failed, with a warning) would describe another artifact.
    void read_composition(const SidecarResult& r) {
        row.composition.clear();
        const auto listing = StateStore(Layout(project).state_dir()).load_contents(sc().name, row.backend);
        if (!listing || r.key.empty() || listing->value("key", "") != r.key) return;
        try {
            row.composition = composition(BundleContents::from_json(*listing));
        } catch (const std::exception& e) {
            say(fmt::format("{}: the bundle listing is malformed ({}); no composition", who, e.what()));
        }
    }

    // 2. No change: N more builds, each of them a skip.
    void measure_no_change() {
        for (int i = 0; i < ctx.options.runs && !interrupt_requested(); ++i) {
            const auto t = Clock::now();
            const auto r = build();
            const std::chrono::duration<double, std::milli> took = Clock::now() - t;
            if (r.status != Status::skipped) {
                fail(fmt::format("no-change build {} was not a skip ({}: {})", i + 1, to_string(r.status),
                                 r.status == Status::failed ? r.error : r.reason),
                     r);
                break;
            }
            row.no_change_samples_ms.push_back(took.count());
        }
        if (!row.no_change_samples_ms.empty()) row.no_change_ms = percentile(row.no_change_samples_ms, 50);
    }

    // 3. A one-line change to one input.
    void measure_change() {
        row.changed_file = change_target(sc(), inputs);
        if (row.changed_file.empty()) return;
        {
            std::ofstream edit(project.dir / sc().root / row.changed_file, std::ios::app);
            edit << "\n_freezer_compare_edit = 1  # one line added by freezer compare\n";
        }
        say(fmt::format("{}: rebuild after a one-line change to {} ...", who, row.changed_file));
        const auto r = build();
        row.change = figures(r);
        if (r.status != Status::built) {
            fail("rebuild after a one-line change: " + r.error, r);
        } else {
            say(fmt::format("{}: rebuilt in {:.1f}s", who, r.duration.count() / 1000.0));
            describe_artifact(r);
        }
    }

    // 4. Start-up, of the final build: one run on a fresh HOME, then N on the same one.
    void measure_startup() {
        if (!row.smoke_configured || row.status != "ok") return;
        const auto state = StateStore(Layout(project).state_dir()).load(sc().name, row.backend);
        SmokeEnvironment how{project.python, state ? state->output.standalone : true, cell / "run-home"};
        for (int i = 0; i <= ctx.options.runs && !interrupt_requested(); ++i) {
            const auto o = run_smoke_test(sc().smoke, final_artifact, how);
            if (!o.passed) {
                row.smoke_passed = false;
                row.smoke = o.message;
                const auto run = fmt::format("smoke run {} of {}", i + 1, ctx.options.runs + 1);
                // The log is of the build that made the binary; what the binary printed
                // follows it, as a build's log shows a failed smoke test.
                std::vector<std::string> more = {
                    fmt::format("freezer compare: {} ({}) FAILED: {}", run, o.mode, o.message)};
                for (const auto& line : o.output_tail) more.push_back("  | " + line);
                fail(fmt::format("{}: {}", run, o.message), final_log, o.output_tail, more);
                return;
            }
            if (i == 0)
                row.startup.first = o.startup;
            else
                row.startup.samples.push_back(o.startup);
        }
        row.startup.measured = true;
        std::vector<double> samples;
        for (const auto& s : row.startup.samples) samples.push_back(static_cast<double>(s.count()));
        row.startup.median_ms = percentile(samples, 50);
        row.startup.p90_ms = percentile(samples, 90);
        say(fmt::format("{}: start-up first {}ms, median {:.0f}ms, p90 {:.0f}ms over {} runs", who,
                        row.startup.first.count(), row.startup.median_ms, row.startup.p90_ms,
                        row.startup.samples.size()));
    }
};

}  // namespace

CompareReport run_compare(const config::Project& user, const PluginHost& host, const CompareOptions& options,
                          const CompareProgress& progress) {
    const auto started = Clock::now();
    auto say = [&](const std::string& line) {
        if (progress) progress(line);
    };
    CompareReport report;
    report.backends = options.backends;
    report.runs = options.runs;
    report.started_at = iso8601_utc_now();
    report.project = user.file.string();
    report.cpus = std::max(1u, std::thread::hardware_concurrency());
    report.jobs = options.jobs > 0 ? options.jobs : static_cast<int>(report.cpus);
    if (options.backends.empty()) throw SetupError("--backends names no backend");

    std::vector<const config::Sidecar*> selected;
    for (const auto& name : options.sidecars) {
        const auto* sc = user.find(name);
        if (!sc) throw SetupError(fmt::format("no sidecar named '{}' in {}", name, user.file.string()));
        selected.push_back(sc);
    }
    if (options.sidecars.empty())
        for (const auto& sc : user.sidecars) selected.push_back(&sc);
    for (const auto* sc : selected) {
        const auto root = fs::path(sc->root).lexically_normal();
        if (root.is_absolute() || (!root.empty() && *root.begin() == ".."))
            throw SetupError(fmt::format("sidecar '{}': its root {} is outside the project; compare copies "
                                         "the project and needs roots inside it", sc->name, sc->root));
    }

    // The interpreter as the user's project resolves it, so the copy uses the same one.
    std::string python = user.python;
    if (python.find('/') != std::string::npos && !fs::path(python).is_absolute())
        python = (user.dir / python).lexically_normal().string();
    {
        Toolchain probe{fs::path()};
        const auto& py = probe.interpreter(python, user.dir);  // throws SetupError: a setup problem
        report.python = py.path;
        report.python_version = py.version;
    }

    const fs::path scratch = make_scratch(options);
    // Removed at the end, unless asked to keep it or a cell failed: its logs are there.
    struct Cleanup {
        fs::path dir;
        bool keep;
        ~Cleanup() {
            std::error_code ec;
            if (!keep) fs::remove_all(dir, ec);
        }
    } cleanup{scratch, options.keep_scratch};
    say(fmt::format("scratch copy in {} ({})", scratch.string(),
                    options.keep_scratch ? "kept" : "removed at the end unless a cell fails"));
    const Context ctx{user, host, options, python, report.jobs, progress};

    for (const auto* user_sc : selected)
        for (const auto& backend_name : options.backends) {
            if (interrupt_requested()) break;  // Ctrl-C: report what was measured so far
            const auto cell = scratch / fmt::format("{}@{}", user_sc->name, backend_name);
            report.rows.push_back(Measurement(ctx, *user_sc, backend_name, cell).run());
            if (report.rows.back().status == "failed") cleanup.keep = true;
        }
    if (cleanup.keep) report.scratch = scratch;
    report.duration = std::chrono::duration_cast<milliseconds>(Clock::now() - started);
    return report;
}

}  // namespace freezer

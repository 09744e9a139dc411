#include "engine/sidecar_build.hpp"

#include <chrono>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "engine/build_log.hpp"
#include "engine/bundle.hpp"
#include "engine/commit.hpp"
#include "engine/fast_path.hpp"
#include "engine/install.hpp"
#include "engine/smoke_hints.hpp"
#include "engine/stage.hpp"
#include "engine/step_runner.hpp"
#include "process/process.hpp"
#include "process/smoke_test.hpp"
#include "util/error.hpp"
#include "util/human.hpp"

namespace freezer {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

std::chrono::milliseconds since(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t);
}

std::string human_ms(std::chrono::milliseconds d) {
    return d.count() < 1000 ? fmt::format("{}ms", d.count()) : fmt::format("{:.1f}s", d.count() / 1000.0);
}

// Runs the sidecar's smoke test on `executable` (when it has one) and records it. A
// failure throws, so nothing after it (install, state) happens.
void smoke_or_throw(BuildContext& ctx, const Evaluation& ev, const fs::path& executable, bool standalone,
                    BuildLog& log, SidecarResult& r, const char* what) {
    const auto& sc = *ev.sidecar;
    if (!sc.smoke.run && !sc.smoke.http) {
        r.untested = sc.smoke.untested.empty();
        return;
    }
    ctx.reporter.phase(sc.name, ev.backend_name(), Phase::smoke, "");
    const auto o = run_smoke_test(sc.smoke, executable, {ctx.python(), standalone, {}});
    r.smoke = {true, o.passed, o.message, o.output_tail};
    log.line(fmt::format("freezer: smoke test ({}) {}: {}", o.mode, o.passed ? "passed" : "FAILED", o.message));
    for (const auto& line : o.output_tail) log.line("  | " + line);
    if (interrupt_requested()) throw Error(Error::Kind::cancelled, "interrupted");
    if (!o.passed) {
        r.log_tail = o.output_tail;
        auto error = fmt::format("smoke test failed{}: {}; the previous output was kept", what, o.message);
        for (const auto& hint : missing_piece_hints(sc, ev.backend_name(), o.output_tail, ctx.project.dir / sc.root))
            error += "\n  hint: " + hint;
        throw Error(Error::Kind::failed, error);
    }
}

// Lists what the fresh artifact holds and records it (before the smoke test: a failed
// build can be looked into with audit and trace). A listing that fails costs a warning,
// never the build.
nlohmann::json record_contents(BuildContext& ctx, const Evaluation& ev, const fs::path& root,
                               const std::string& report, BuildLog& log) {
    const auto& sc = *ev.sidecar;
    try {
        const auto contents = list_bundle(ctx.python(), root, report);
        auto j = contents.to_json();
        j["key"] = ev.key.key.hex();
        j["recorded_at"] = iso8601_utc_now();
        ctx.states.save_contents(sc.name, ev.backend_name(), j);
        const auto packages = contents.packages();
        log.line(fmt::format("freezer: the bundle holds {} entries in {} packages, {}", contents.entries.size(),
                             packages.size(), human_size(contents.artifact_bytes)));
        return j;
    } catch (const std::exception& e) {
        ctx.reporter.warning(fmt::format("{}: what the bundle holds was not recorded (freezer audit cannot show it): {}",
                                         sc.name, e.what()));
        ctx.states.retire_contents(sc.name, ev.backend_name(), ev.key.key.hex());
        log.line(std::string("freezer: bundle listing failed: ") + e.what());
        return nullptr;
    }
}

// max_size: an artifact over its budget is not installed. `contents` (may be null)
// names the largest packages.
void check_size_budget(const config::Sidecar& sc, std::uint64_t size, const nlohmann::json& contents) {
    if (!sc.max_size || size <= *sc.max_size) return;
    auto error = fmt::format("{} is {}, over its size budget of {} ({}:{}:{} max_size); the previous output was kept",
                             sc.name, human_size(size), human_size(*sc.max_size), sc.max_size_where.file,
                             sc.max_size_where.line, sc.max_size_where.column);
    if (contents.is_object()) {
        try {
            error += "\n  largest packages:";
            for (const auto& line : top_contributors(BundleContents::from_json(contents), 8)) error += "\n  " + line;
        } catch (const std::exception&) {
        }
    }
    error += fmt::format("\n  hint: `freezer audit {}` lists them all; leave packages out with exclude_modules", sc.name);
    throw Error(Error::Kind::failed, error);
}

// Warns about a file the backend names (a .spec) that differs from what git has.
void warn_if_uncommitted(BuildContext& ctx, const config::Sidecar& sc, const LoadedBackend& backend) {
    for (const auto& extra : unwrap(backend, "extra_inputs", backend.abi().extra_inputs(backend_options(sc, backend.name())))) {
        if (!extra.warn_if_uncommitted) continue;
        ProcessSpec git;
        git.argv = {"git", "status", "--porcelain", "--", extra.path};
        git.cwd = (ctx.project.dir / sc.root).string();
        git.capture = true;
        git.timeout = std::chrono::seconds(10);
        const auto g = run_process(git);
        if (g.ok() && !g.out.empty())
            ctx.reporter.warning(fmt::format("{}: {} has uncommitted changes (git status: {}); the build uses the working copy",
                                             sc.name, extra.path, g.out.substr(0, g.out.find('\n'))));
    }
}

// True when restored (or its smoke test failed: thrown); false: build it instead.
bool restore(BuildContext& ctx, const Evaluation& ev, BuildLog& log, SidecarResult& r) {
    const auto& sc = *ev.sidecar;
    const auto& hit = *ev.hit;
    const auto& m = hit.manifest;
    const bool remote = hit.source == CacheFront::Source::remote;
    const auto start = Clock::now();
    log.line(fmt::format("freezer: {} with {}, key {}: the {} cache has it; restoring", sc.name, ev.backend_name(), r.key,
                         remote ? "remote" : "local"));
    log.line("freezer: reason: " + ev.reason);
    ctx.reporter.phase(sc.name, ev.backend_name(), Phase::restoring, remote ? "from the remote cache" : "from the cache");
    // output.tauri wants one file; a folder build (cached before output.tauri was set)
    // goes the build's way, which says so.
    if (wants_tauri_copy(ctx, sc, ev.backend_name()) && m.files.size() != 1) return false;
    check_size_budget(sc, m.size, m.contents);  // before fetching: it would be as large rebuilt
    const fs::path out = ctx.layout.temp_out_dir(sc.name, ev.backend_name());
    try {
        const auto fetched = ctx.cache.restore(hit, out);
        if (remote) log.line(fmt::format("freezer: fetched {} bytes from the remote cache", fetched));
    } catch (const RemoteError&) {
        return false;  // warned once for the run by the cache
    } catch (const Error& e) {
        ctx.reporter.warning(fmt::format("{}: {}; building it", sc.name, e.what()));
        log.line(std::string("freezer: cache entry rejected: ") + e.what());
        return false;
    }
    if (m.contents.is_object())
        ctx.states.save_contents(sc.name, ev.backend_name(), m.contents);
    else
        ctx.states.retire_contents(sc.name, ev.backend_name(), m.key);
    // Cached under another smoke test: this one has not seen it yet.
    if (m.smoke != smoke_digest(sc.smoke)) smoke_or_throw(ctx, ev, out / m.executable, m.standalone, log, r, " on the cached build");
    std::error_code ec;
    try {
        commit_build(ctx, ev, {out, m.executable, m.standalone, m.created_at, m.build_ms, m.contents},
                     StoreInCache::no, r);
    } catch (const std::exception& e) {
        fs::remove_all(out, ec);
        ctx.reporter.warning(fmt::format("{}: restoring from the cache failed: {}; building it", sc.name, e.what()));
        return false;
    }
    fs::remove_all(out, ec);
    r.status = Status::restored;
    r.reason = fmt::format("{}; restored from the {} cache in {} (built {}, which took {:.1f}s)", ev.reason,
                           remote ? "remote" : "local", human_ms(since(start)), m.created_at, m.build_ms / 1000.0);
    log.line("freezer: " + r.reason);
    log.line(fmt::format("freezer: installed {} ({} bytes)", r.artifact.string(), r.size));
    return true;
}

// The fast path, when the evaluation chose it: the backend's patch, run. Returns its
// plan and totals; nullopt when there is none or it failed, and then the output folder
// is empty again for the full plan. r.build_path says which path was taken and why.
std::optional<std::pair<sdk::Plan, StepTotals>> run_fast_path(BuildContext& ctx, const Evaluation& ev, bool force,
                                                              int tokens, StepRunner& runner, BuildLog& log,
                                                              SidecarResult& r) {
    r.build_path = ev.fast_path.why;
    if (!ev.fast_path.fast() || force) return std::nullopt;
    const auto& backend = *ev.backend;
    auto patch = unwrap(backend, "patch", backend.abi().patch(make_patch_request(ctx, ev, tokens)));
    if (!patch.refused.empty()) {
        r.build_path = "full build: " + patch.refused;
        return std::nullopt;
    }
    log.line("freezer: " + ev.fast_path.why);
    try {
        auto totals = runner.run(patch.plan);
        r.fast_path = true;
        return std::pair{std::move(patch.plan), std::move(totals)};
    } catch (const Error& e) {
        if (e.kind() == Error::Kind::cancelled) throw;
        // The helper says why on a line of its own; else the step's failure.
        std::string why = e.what();
        for (const auto& line : log.tail(20))
            if (const auto at = line.find("fast path refused: "); at != std::string::npos)
                why = line.substr(at + 19);
        r.build_path = "full build: the fast path failed: " + why;
        log.line("freezer: " + r.build_path);
        std::error_code ec;
        const auto out = ctx.layout.temp_out_dir(ev.sidecar->name, backend.name());
        fs::remove_all(out, ec);
        fs::create_directories(out);
        return std::nullopt;
    }
}

void build(BuildContext& ctx, const Evaluation& ev, bool force, int tokens, const std::atomic<bool>* cancel,
           BuildLog& log, SidecarResult& r) {
    const auto& sc = *ev.sidecar;
    const auto& backend = *ev.backend;
    const auto start = Clock::now();
    log.line(fmt::format("freezer: building {} with {} {} (plugin {}), key {}, {} CPU token{}", sc.name, backend.name(),
                         ev.tool.version, backend.version(), r.key, tokens, tokens == 1 ? "" : "s"));
    log.line("freezer: reason: " + ev.reason);
    ctx.reporter.phase(sc.name, backend.name(), Phase::building,
                       ev.fast_path.why.empty() || force ? ev.reason : ev.reason + "; " + ev.fast_path.why);
    warn_if_uncommitted(ctx, sc, backend);

    const auto stage = ctx.layout.stage_dir(sc.name);
    StageStats staged;
    {
        std::lock_guard lock(ctx.stage_mutex);
        staged = sync_stage(ctx.project.dir / sc.root, stage, ev.inputs, ctx.stage_cache(), ".freezer/stage/" + sc.name + "/");
    }
    log.line(fmt::format("freezer: staged {} inputs in {} ({} copied, {} kept, {} removed)", ev.inputs.size(),
                         stage.string(), staged.copied, staged.kept, staged.removed));
    const auto out_dir = ctx.layout.temp_out_dir(sc.name, backend.name());
    const auto work_dir = ctx.layout.work_dir(backend.name(), sc.name);
    std::error_code ec;
    fs::remove_all(out_dir, ec);
    // --force is a clean build: the packager's own cache for this sidecar goes.
    if (force) fs::remove_all(work_dir, ec);
    fs::create_directories(out_dir);
    fs::create_directories(work_dir);

    ImportRecorder imports(ctx, ev);
    imports.start();  // the fast path's record of this build, made while the packager runs
    StepRunner runner(
        log, [&](const std::string& w) { ctx.reporter.warning(sc.name + ": " + w); }, cancel,
        StepTimeouts{sc.timeouts.step, sc.timeouts.network},
        [&](const Progress& p) { ctx.reporter.progress(sc.name, p); });
    auto patched = run_fast_path(ctx, ev, force, tokens, runner, log, r);
    const auto plan = patched ? std::move(patched->first)
                              : unwrap(backend, "plan", backend.abi().plan(make_request(ctx, ev, force, tokens)));
    const auto totals = patched ? patched->second : runner.run(plan);
    r.peak_rss_kb = totals.peak_rss_kb;
    r.cpu = totals.cpu;
    r.metrics = totals.metrics;

    // The smoke test runs on the fresh artifact, before anything is installed.
    const auto root = artifact_root(plan.artifact_dir);
    const auto exe = find_executable(root, plan.executable);
    const auto contents = record_contents(ctx, ev, root, plan.report, log);
    check_size_budget(sc, contents.is_object() ? contents.value("artifact_bytes", std::uint64_t{0}) : folder_bytes(root),
                      contents);
    smoke_or_throw(ctx, ev, root / exe, plan.standalone, log, r, "");
    if (wants_tauri_copy(ctx, sc, backend.name())) {
        std::size_t files = 0;
        for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it)
            files += it->is_regular_file();
        if (files != 1)
            throw Error(Error::Kind::failed,
                        fmt::format("output.tauri needs a single-file sidecar, but {} built a folder of {} files; set "
                                    "'mode: onefile' for {}",
                                    backend.name(), files, sc.name));
    }
    commit_build(ctx, ev,
                 {plan.artifact_dir, exe, plan.standalone, iso8601_utc_now(), since(start).count(), contents},
                 StoreInCache::yes, r);
    log.line(fmt::format("freezer: installed {} ({} bytes)", r.artifact.string(), r.size));
    fs::remove_all(out_dir, ec);  // what the install left of it: the packager's other output
    if (const auto problem = imports.save(); !problem.empty())
        log.line("freezer: the import record was not kept (the next rebuild is a full one): " + problem);
    r.status = Status::built;
}

}  // namespace

SidecarResult result_for(const BuildContext& ctx, const Evaluation& ev) {
    SidecarResult r;
    r.name = ev.sidecar->name;
    r.backend = ev.backend_name();
    r.key = ev.key.key.hex();
    r.reason = ev.reason;
    r.changes = ev.changes;
    r.log = ctx.layout.log_file(ev.output_name());
    return r;
}

SidecarResult finish_skip(BuildContext& ctx, const Evaluation& ev) {
    auto r = result_for(ctx, ev);
    r.status = Status::skipped;
    r.artifact = ev.previous->output.dir / ev.previous->output.executable;
    r.size = ev.previous->output.size;
    // max_size is not in the key: a budget added or lowered holds an up-to-date build too.
    if (ev.sidecar->max_size && r.size > *ev.sidecar->max_size) {
        try {
            check_size_budget(*ev.sidecar, r.size,
                              ctx.states.load_contents(r.name, r.backend).value_or(nlohmann::json(nullptr)));
        } catch (const Error& e) {
            r.status = Status::failed;
            r.error = std::string("the installed build is up to date, but ") + e.what();
            return r;
        }
    }
    if (ev.resmoke) {
        // Same binary, new smoke test: test it again; nothing is rebuilt.
        ctx.reporter.phase(r.name, r.backend, Phase::smoke, "the smoke test changed");
        const auto o = run_smoke_test(ev.sidecar->smoke, r.artifact, {ctx.python(), ev.previous->output.standalone, {}});
        r.smoke = {o.ran, o.passed, o.message, o.output_tail};
        if (!o.passed) {
            r.status = Status::failed;
            r.error = "smoke test failed on the installed binary: " + o.message;
            r.log_tail = o.output_tail;
            return r;
        }
        r.reason = o.ran ? "up to date; its changed smoke test passed" : "up to date";
        auto state = *ev.previous;
        state.smoke = smoke_digest(ev.sidecar->smoke);
        ctx.states.save(r.name, r.backend, state, ev.inputs);
    }
    if (wants_tauri_copy(ctx, *ev.sidecar, r.backend)) install_tauri_copy(ctx, *ev.sidecar, r.artifact, r, /*fresh=*/false);
    return r;
}

SidecarResult build_sidecar(BuildContext& ctx, const Evaluation& ev, bool force, int tokens,
                            const std::atomic<bool>* cancel) {
    auto r = result_for(ctx, ev);
    r.cpu_tokens = tokens;
    BuildLog log(r.log);
    try {
        if (ev.hit && !force && restore(ctx, ev, log, r)) return r;
        r.smoke = {};
        build(ctx, ev, force, tokens, cancel, log, r);
    } catch (const std::exception& e) {
        const auto* err = dynamic_cast<const Error*>(&e);
        r.status = err && err->kind() == Error::Kind::cancelled ? Status::cancelled : Status::failed;
        r.error = e.what();
        log.line("freezer: " + r.error);
        if (r.log_tail.empty()) r.log_tail = log.tail(30);
        std::error_code ec;
        fs::remove_all(ctx.layout.temp_out_dir(ev.sidecar->name, ev.backend_name()), ec);
    }
    return r;
}

}  // namespace freezer

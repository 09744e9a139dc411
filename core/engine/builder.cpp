#include "engine/builder.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "engine/context.hpp"
#include "engine/evaluate.hpp"
#include "engine/sidecar_build.hpp"
#include "process/scheduler.hpp"
#include "util/file_lock.hpp"
#include "util/interrupt.hpp"

namespace freezer {
using Clock = std::chrono::steady_clock;

const char* to_string(Status s) {
    switch (s) {
        case Status::built: return "built";
        case Status::skipped: return "skipped";
        case Status::failed: return "failed";
        case Status::cancelled: return "cancelled";
        case Status::restored: return "restored";
    }
    return "?";
}

const char* to_string(Phase p) {
    switch (p) {
        case Phase::queued: return "queued";
        case Phase::hashing: return "hashing";
        case Phase::building: return "building";
        case Phase::restoring: return "restoring";
        case Phase::smoke: return "smoke";
        case Phase::installing: return "installing";
    }
    return "?";
}

namespace {

std::chrono::milliseconds since(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t);
}

// One freezer at a time per sidecar x backend: a second one waits, then finds the
// first one's result (a skip). Taken in name order, so two runs never deadlock.
std::vector<FileLock> lock_outputs(const BuildContext& ctx, std::vector<std::string> names) {
    std::sort(names.begin(), names.end());
    std::vector<FileLock> locks;
    for (const auto& name : names) {
        FileLock lock(ctx.layout.lock_file(name), FileLock::Mode::exclusive, /*wait=*/false);
        if (!lock.held()) {
            const auto holder = lock.holder();
            ctx.reporter.warning(fmt::format("{}: another freezer{} is building it; waiting for it to finish", name,
                                             holder.empty() ? "" : " (" + holder + ")"));
            lock.wait();
        }
        lock.set_holder(fmt::format("pid {}", ::getpid()));
        locks.push_back(std::move(lock));
    }
    return locks;
}

}  // namespace

SetupError no_such_sidecar(const config::Project& project, const std::string& name) {
    std::vector<std::string> all;
    for (const auto& s : project.sidecars) all.push_back(s.name);
    const auto hint = config::did_you_mean(name, all);
    return SetupError(fmt::format("no sidecar named '{}' in {}{} (sidecars: {})", name, project.file.string(),
                                  hint.empty() ? "" : "; did you mean '" + hint + "'?", fmt::join(all, ", ")));
}

Builder::Builder(const config::Project& project, const PluginHost& host, Reporter& reporter)
    : ctx_(std::make_unique<BuildContext>(project, host, reporter)), evaluator_(std::make_unique<Evaluator>(*ctx_)) {}

Builder::~Builder() = default;

std::vector<const config::Sidecar*> Builder::select(const std::vector<std::string>& names) const {
    const auto& project = ctx_->project;
    std::vector<const config::Sidecar*> selected;
    if (names.empty()) {
        for (const auto& sc : project.sidecars) selected.push_back(&sc);
        return selected;
    }
    for (const auto& name : names) {
        const auto* sc = project.find(name);
        if (!sc) throw no_such_sidecar(project, name);
        if (std::find(selected.begin(), selected.end(), sc) == selected.end()) selected.push_back(sc);
    }
    return selected;
}

int Builder::budget(const BuildOptions& options) const {
    if (options.jobs > 0) return options.jobs;
    if (ctx_->project.jobs > 0) return ctx_->project.jobs;
    return std::max(1u, std::thread::hardware_concurrency());
}

void Builder::finish_not_started(const Evaluation& ev, SidecarResult& r) const {
    r = result_for(*ctx_, ev);
    r.status = Status::cancelled;
    r.error = interrupt_requested() ? "interrupted before it started"
                                    : "not started: another sidecar failed (--fail-fast)";
    ctx_->reporter.finished(r);
}

std::vector<SidecarResult> Builder::build(const BuildOptions& options) {
    auto& ctx = *ctx_;
    const auto selected = select(options.sidecars);
    auto backend_of = [&](const config::Sidecar* sc) {
        return options.backend_override.empty() ? sc->backend : options.backend_override;
    };
    std::vector<std::string> outputs;
    for (const auto* sc : selected) outputs.push_back(Layout::output_name(*sc, backend_of(sc)));
    const auto locks = lock_outputs(ctx, outputs);
    ctx.layout.sweep_temp_dirs();  // what killed freezers left (one readdir when there is none)
    for (const auto* sc : selected) ctx.reporter.phase(sc->name, backend_of(sc), Phase::queued, "");

    // Evaluate every sidecar first: setup problems stop the run before anything is built.
    std::vector<Evaluation> evals;
    std::vector<std::chrono::milliseconds> hashing;  // time spent evaluating each
    for (const auto* sc : selected) {
        const auto t = Clock::now();
        ctx.reporter.phase(sc->name, backend_of(sc), Phase::hashing, "");
        try {
            evals.push_back(evaluator_->evaluate(*sc, backend_of(sc), options.force));
        } catch (const Error& e) {
            if (e.kind() != Error::Kind::failed) throw;
            Evaluation failed;  // this sidecar fails; the others go on
            failed.sidecar = sc;
            failed.backend = ctx.host.find(backend_of(sc));
            failed.failure = e.what();
            evals.push_back(std::move(failed));
        }
        hashing.push_back(since(t));
    }
    if (ctx.project.tauri_dir) ctx.toolchain.target_triple();  // before any thread needs it
    ctx.toolchain.save();

    std::vector<SidecarResult> results(evals.size());
    std::vector<Task> tasks;
    std::vector<std::size_t> task_of;  // task index -> sidecar index
    const int cpus = budget(options);
    std::atomic<bool> cancel{false};
    for (std::size_t i = 0; i < evals.size(); ++i) {
        auto& ev = evals[i];
        if (!ev.failure.empty()) {
            results[i] = result_for(ctx, ev);
            results[i].status = Status::failed;
            results[i].error = ev.failure;
            results[i].log.clear();  // nothing ran: no log to read
            results[i].duration = hashing[i];
            ctx.reporter.finished(results[i]);
            if (options.fail_fast) cancel = true;
            continue;
        }
        if (ev.up_to_date) {
            results[i] = finish_skip(ctx, ev);
            results[i].duration = hashing[i];
            ctx.reporter.finished(results[i]);
            continue;
        }
        const auto opts = backend_options(*ev.sidecar, ev.backend_name());
        const int want = ev.hit ? 1 : unwrap(*ev.backend, "cpu_tokens_wanted", ev.backend->abi().cpu_tokens_wanted(opts, cpus));
        ctx.reporter.phase(ev.sidecar->name, ev.backend_name(), Phase::queued, ev.reason);
        task_of.push_back(i);
        tasks.push_back({want, [&, i](int granted) {
                             const auto t = Clock::now();
                             results[i] = build_sidecar(ctx, evals[i], options.force, granted, &cancel);
                             results[i].duration = hashing[i] + since(t);
                             ctx.reporter.finished(results[i]);
                             return results[i].status == Status::built || results[i].status == Status::restored;
                         }});
    }
    const auto states = run_tasks(tasks, {cpus, options.fail_fast, &cancel});
    for (std::size_t t = 0; t < tasks.size(); ++t)
        if (states[t] == TaskState::not_started) finish_not_started(evals[task_of[t]], results[task_of[t]]);
    evaluator_->save(options.sidecars.empty());
    ctx.save_stage_cache();
    return results;
}

namespace {
Explanation explanation_of(const Evaluation& ev) {
    Explanation x;
    x.sidecar = ev.sidecar->name;
    x.backend = ev.backend_name();
    x.action = ev.up_to_date ? Explanation::Action::skip : ev.hit ? Explanation::Action::restore : Explanation::Action::build;
    x.resmoke = ev.resmoke;
    if (ev.hit) {
        x.from_remote = ev.hit->source == CacheFront::Source::remote;
        x.cached_at = ev.hit->manifest.created_at;
        x.cached_build_ms = ev.hit->manifest.build_ms;
    }
    x.tool_version = ev.tool.version;
    x.key = ev.key.key.hex();
    if (ev.previous) {
        x.previous_key = ev.previous->key.hex();
        x.previous_built_at = ev.previous->built_at;
    }
    x.reason = ev.reason;
    x.changes = ev.changes;
    if (x.action == Explanation::Action::build) {
        x.build_path = ev.fast_path.why;
        x.fast_path = ev.fast_path.fast();
    }
    return x;
}
}  // namespace

Explanation Builder::explain(const std::string& name, const std::string& backend_override) {
    const auto* sc = select({name}).front();
    const auto backend = backend_override.empty() ? sc->backend : backend_override;
    const auto ev = evaluator_->evaluate(*sc, backend, /*force=*/false);
    ctx_->toolchain.save();
    return explanation_of(ev);
}

DryRun Builder::dry_run(const std::string& name, const BuildOptions& options) {
    const auto* sc = select({name}).front();
    const auto backend = options.backend_override.empty() ? sc->backend : options.backend_override;
    const auto ev = evaluator_->evaluate(*sc, backend, options.force);
    ctx_->toolchain.save();
    DryRun d;
    d.decision = explanation_of(ev);
    d.cpu_budget = budget(options);
    // As the scheduler would grant it: what the backend wants, within the budget.
    d.cpu_tokens = std::clamp(unwrap(*ev.backend, "cpu_tokens_wanted",
                                     ev.backend->abi().cpu_tokens_wanted(backend_options(*sc, backend), d.cpu_budget)),
                              1, d.cpu_budget);
    if (ev.fast_path.fast()) {
        auto patch = unwrap(*ev.backend, "patch", ev.backend->abi().patch(make_patch_request(*ctx_, ev, d.cpu_tokens)));
        if (patch.refused.empty()) {
            d.plan = std::move(patch.plan);
            return d;
        }
    }
    d.plan = unwrap(*ev.backend, "plan", ev.backend->abi().plan(make_request(*ctx_, ev, options.force, d.cpu_tokens)));
    return d;
}

}  // namespace freezer

#include "build/builder.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <deque>
#include <future>
#include <fstream>
#include <map>
#include <set>
#include <regex>
#include <sstream>
#include <thread>

#include <sys/stat.h>

#include <fmt/format.h>

#include "util/atomic_file.hpp"
#include "util/file_lock.hpp"
#include "inputs/glob.hpp"
#include "inputs/input_set.hpp"
#include "build/install.hpp"
#include "process/process.hpp"
#include "process/scheduler.hpp"
#include "process/smoke_test.hpp"
#include "build/stage.hpp"

namespace freezer {
namespace fs = std::filesystem;
using nlohmann::json;
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

std::string shell_quote(const std::string& s) {
    if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                          "0123456789-_./=:,+@%") == std::string::npos)
        return s;
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

// Lines of `a` vs `b` for the keys whose values differ: "mode: onedir -> onefile".
std::vector<std::string> json_changes(const json& before, const json& after,
                                      const std::string& what) {
    std::vector<std::string> out;
    if (!before.is_object() || !after.is_object()) return out;
    std::map<std::string, int> keys;
    for (auto it = before.begin(); it != before.end(); ++it) keys[it.key()] |= 1;
    for (auto it = after.begin(); it != after.end(); ++it) keys[it.key()] |= 2;
    for (const auto& [k, where] : keys) {
        const json a = before.contains(k) ? before[k] : json();
        const json b = after.contains(k) ? after[k] : json();
        if (a == b) continue;
        if (k == "plan")
            out.push_back(what + ": the commands the backend plans changed (plugin updated)");
        else
            out.push_back(fmt::format("{} {}: {} -> {}", what, k, a.dump(), b.dump()));
    }
    return out;
}

}  // namespace

std::map<std::string, long long> read_metrics(const fs::path& log, const std::vector<sdk::Metric>& metrics) {
    std::map<std::string, long long> out;
    std::string text;
    if (!read_file(log, text)) return out;
    for (const auto& m : metrics) {
        long long total = 0;
        try {
            const std::regex re(m.pattern);
            for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it)
                if (it->size() > 1) total += std::stoll((*it)[1].str());
        } catch (const std::exception&) {
            continue;  // a plugin's bad pattern costs its metric, not the build
        }
        out[m.name] = total;
    }
    return out;
}

std::vector<std::string> matching_hints(const fs::path& log, const std::vector<sdk::FailureHint>& hints) {
    std::vector<std::string> out;
    std::string text;
    if (hints.empty() || !read_file(log, text)) return out;
    for (const auto& h : hints) {
        try {
            if (std::regex_search(text, std::regex(h.pattern))) out.push_back(h.message);
        } catch (const std::exception&) {
        }
    }
    return out;
}

std::vector<std::string> tail_lines(const fs::path& file, std::size_t n) {
    std::ifstream in(file);
    std::deque<std::string> lines;
    std::string line;
    while (std::getline(in, line)) {
        lines.push_back(line);
        if (lines.size() > n) lines.pop_front();
    }
    return {lines.begin(), lines.end()};
}

Builder::Builder(const config::Project& project, const PluginHost& host, Reporter& reporter)
    : project_(project),
      host_(host),
      reporter_(reporter),
      freezer_dir_(project.dir / ".freezer"),
      toolchain_(freezer_dir_ / "state" / "probes.json"),
      // Loaded on another thread while the first input walk runs.
      stat_cache_loading_(std::async(std::launch::async,
                                     [file = freezer_dir_ / "state" / "statcache"] {
                                         std::string warning;
                                         StatCache c(file, &warning);
                                         return std::pair(std::move(c), warning);
                                     })),
      states_(freezer_dir_ / "state"),
      artifacts_(project.cache_dir / "artifacts", project.cache_max_size) {
    if (project.remote_cache) remote_ = std::make_unique<RemoteCache>(*project.remote_cache);
}

StatCache& Builder::stat_cache() {
    if (!stat_cache_) {
        auto [cache, warning] = stat_cache_loading_.get();
        if (!warning.empty()) reporter_.warning(warning);
        stat_cache_.emplace(std::move(cache));
    }
    return *stat_cache_;
}

StatCache& Builder::stage_cache() {
    // Staged copies have their own stat cache: a no-change run never reads it.
    if (!stage_cache_) stage_cache_.emplace(freezer_dir_ / "state" / "statcache-stage");
    return *stage_cache_;
}

Builder::~Builder() = default;

fs::path Builder::state_dir() const { return states_.dir(); }
std::string Builder::output_name(const config::Sidecar& sc, const std::string& backend) {
    // The configured packager owns dist/<name>; another one (--backend) gets its own
    // folder, log and state, so switching back and forth is a skip, not a rebuild.
    return backend == sc.backend ? sc.name : sc.name + "@" + backend;
}

fs::path Builder::log_path(const std::string& sidecar) const {
    return freezer_dir_ / "logs" / (sidecar + ".log");
}
fs::path Builder::stage_dir(const std::string& sidecar) const {
    return freezer_dir_ / "stage" / sidecar;
}
fs::path Builder::backend_cache_dir(const std::string& backend) const {
    return project_.cache_dir / "backends" / backend;
}
fs::path Builder::temp_out_dir(const std::string& sidecar, const std::string& backend) const {
    return freezer_dir_ / "tmp" / fmt::format("{}@{}.{}", sidecar, backend, ::getpid());
}

sdk::PlanRequest Builder::make_request(const Evaluation& ev, bool clean, int tokens) {
    const auto& sc = *ev.sidecar;
    const auto& backend = *ev.backend;
    sdk::PlanRequest rq;
    rq.sidecar = sc.name;
    rq.entry = sc.entry;
    rq.module = sc.module;
    rq.mode = sc.mode;
    rq.hidden_imports = sc.hidden_imports;
    rq.exclude_modules = sc.exclude_modules;
    for (const auto& d : sc.data) rq.data.push_back({d.src, d.dest});
    rq.env = sc.env;
    const auto opt_it = sc.backends.find(backend.name());
    if (opt_it != sc.backends.end()) rq.options = opt_it->second;
    rq.inputs.reserve(ev.inputs.size());
    for (const auto& i : ev.inputs) rq.inputs.push_back(i.path);
    rq.stage_dir = fs::absolute(stage_dir(sc.name)).string();
    rq.cache_dir = fs::absolute(backend_cache_dir(backend.name())).string();
    rq.work_dir = rq.cache_dir + "/" + sc.name;
    rq.out_dir = fs::absolute(temp_out_dir(sc.name, backend.name())).string();
    rq.python = toolchain_.interpreter(project_.python, project_.dir).path;
    rq.cpu_tokens = tokens;
    rq.clean = clean;
    rq.tool = ev.tool;
    return rq;
}

namespace {
// A digest of what a plan would run, with the project's folder and freezer's pid
// taken out so that the same project elsewhere (another checkout, CI) hashes alike.
std::string plan_digest(const sdk::Plan& plan, const std::string& project_dir,
                        const std::string& out_dir) {
    auto norm = [&](std::string s) {
        for (const auto& [from, to] : {std::pair{out_dir, std::string("$OUT")},
                                       std::pair{project_dir, std::string("$PROJECT")}}) {
            for (auto pos = s.find(from); !from.empty() && pos != std::string::npos;
                 pos = s.find(from, pos + to.size()))
                s.replace(pos, from.size(), to);
        }
        return s;
    };
    Hasher h;
    for (const auto& st : plan.steps) {
        h.field(st.kind == sdk::Step::Kind::run ? "run" : "write");
        for (const auto& a : st.argv) h.field(norm(a));
        h.field("env");
        for (const auto& [k, v] : st.env) h.field(k).field(norm(v));
        h.field(norm(st.cwd)).field(norm(st.path)).field(norm(st.content));
    }
    h.field(norm(plan.artifact_dir)).field(plan.executable);
    return h.digest().hex();
}
}  // namespace

Evaluation Builder::evaluate(const config::Sidecar& sc, const std::string& backend_name,
                             bool force) {
    Evaluation ev;
    ev.sidecar = &sc;
    ev.backend = host_.find(backend_name);
    if (!ev.backend) throw SetupError(fmt::format("unknown backend '{}'", backend_name));
    const auto& backend = *ev.backend;

    const auto& python = toolchain_.interpreter(project_.python, project_.dir);
    ev.tool = toolchain_.tool(backend, python);
    if (!ev.tool.found)
        throw SetupError(fmt::format("{}: {} (interpreter {})\n  how to fix: {}", sc.name,
                                     ev.tool.problem, python.path,
                                     unwrap(backend, "install_hint", backend.abi().install_hint())));

    // Inputs: the globs, plus data sources and files the backend needs.
    const auto opt_it = sc.backends.find(backend_name);
    const sdk::Option options = opt_it == sc.backends.end() ? sdk::Option{} : opt_it->second;
    std::vector<std::string> explicit_paths;
    for (const auto& d : sc.data) explicit_paths.push_back(d.src);
    if (!sc.entry.empty()) explicit_paths.push_back(sc.entry);
    const auto extras = unwrap(backend, "extra_inputs", backend.abi().extra_inputs(options));
    for (const auto& e : extras) explicit_paths.push_back(e.path);

    const fs::path root = project_.dir / sc.root;
    const auto scan = scan_inputs(root, GlobSet(sc.inputs.include), GlobSet(sc.inputs.exclude),
                                  explicit_paths);
    if (sc.inputs.where.line > 0)
        for (const auto& p : scan.unmatched_includes)
            reporter_.warning(fmt::format("{}:{}:{}: sidecars.{}.inputs.include: '{}' matches no "
                                          "file under {}",
                                          sc.inputs.where.file, sc.inputs.where.line,
                                          sc.inputs.where.column, sc.name, p, root.string()));
    for (const auto& m : scan.missing)
        throw SetupError(fmt::format("{}: input '{}' does not exist under {}", sc.name, m,
                                     root.string()));

    const std::string rel_root = fs::path(sc.root).lexically_normal().generic_string() + "/";
    const std::string root_str = root.string();
    ev.inputs.reserve(scan.files.size());
    std::string key;
    for (const auto& f : scan.files) {
        key.assign(rel_root).append(f.path);
        const auto h = stat_cache().hash(key, root_str, f.path, f.stat);
        if (!h)
            throw SetupError(fmt::format("{}: cannot read input {}: {}", sc.name,
                                         (root / f.path).string(), std::strerror(errno)));
        ev.inputs.push_back({f.path, *h});
    }

    ev.config = build_config_json(sc, backend_name);
    ev.toolchain = toolchain_json(backend_name, backend.version(), ev.tool.version,
                                  python.implementation, python.version, host_triple());
    // The plan itself joins the key: a plugin that changes what it runs rebuilds, even
    // when its version string did not move.
    const auto rq = make_request(ev, /*clean=*/false);
    auto planned = backend.abi().plan(rq);
    if (auto* f = std::get_if<sdk::Failure>(&planned))  // the backend refuses this sidecar's settings
        throw SetupError(fmt::format("{}: {} cannot build it: {}", sc.name, backend_name, f->message));
    ev.toolchain["plan"] = plan_digest(std::get<sdk::Plan>(planned), fs::absolute(project_.dir).string(), rq.out_dir);
    ev.key = make_key(ev.inputs, ev.config, ev.toolchain);
    ev.previous = states_.load(sc.name, backend_name);

    if (force) {
        ev.reason = "--force";
    } else if (!ev.previous) {
        ev.reason = "no previous build";
    } else if (ev.previous->key != ev.key.key) {
        explain(ev);
    } else if (!output_intact(ev.previous->output)) {
        ev.reason = fmt::format("installed output {} is missing or was modified",
                                ev.previous->output.dir.string());
    } else {
        ev.up_to_date = true;
        ev.reason = "up to date";
        ev.resmoke = ev.previous->smoke != smoke_digest(sc.smoke);
    }
    if (!ev.up_to_date && !force) find_in_cache(ev);
    return ev;
}

void Builder::find_in_cache(Evaluation& ev) {
    const auto key = ev.key.key.hex();
    std::string problem;
    if ((ev.cached = artifacts_.lookup(key, &problem))) {
        ev.source = Evaluation::Source::local;
        return;
    }
    if (!problem.empty()) reporter_.warning(fmt::format("{}: {}", ev.sidecar->name, problem));
    if (!remote_ || remote_down_) return;
    warn_about_token();
    try {
        if ((ev.cached = remote_->get_manifest(key))) ev.source = Evaluation::Source::remote;
    } catch (const RemoteError& e) {
        remote_failed(e.what(), "building locally");
    }
}

void Builder::warn_about_token() {
    // Said when the remote is first used, not on runs that never need it.
    if (!remote_->token_problem().empty() && !token_warned_.exchange(true)) reporter_.warning(remote_->token_problem());
}

void Builder::remote_failed(const std::string& what, const char* consequence) {
    if (!remote_down_.exchange(true))
        reporter_.warning(fmt::format("remote cache {}: {}; {}, and the remote cache is left alone for the rest "
                                      "of this run",
                                      remote_->settings().url, what, consequence));
}

bool Builder::restore_one(Evaluation& ev, SidecarResult& r, const std::function<void(const std::string&)>& log) {
    const auto& sc = *ev.sidecar;
    const auto& m = *ev.cached;
    const auto start = Clock::now();
    const bool from_remote = ev.source == Evaluation::Source::remote;
    reporter_.phase(sc.name, ev.backend->name(), Phase::restoring, from_remote ? "from the remote cache" : "from the cache");
    // output.tauri wants one file; a folder build (cached before output.tauri was set)
    // goes the build's way, which says so.
    if (project_.tauri_dir && ev.backend->name() == sc.backend && m.files.size() != 1) return false;
    std::set<std::string> fetched_blobs;
    if (from_remote) {
        if (remote_down_) return false;
        try {
            std::uint64_t fetched = 0;
            for (const auto& f : m.files)
                if (f.link.empty() && !artifacts_.has_blob(f.sha256)) {
                    remote_->fetch_blob(f, artifacts_);
                    fetched_blobs.insert(f.sha256);
                    fetched += f.size;
                }
            artifacts_.put_manifest(m);
            log(fmt::format("freezer: fetched {} bytes from the remote cache {}", fetched, remote_->settings().url));
        } catch (const RemoteError& e) {
            remote_failed(e.what(), "building locally");
            return false;
        } catch (const std::exception& e) {
            reporter_.warning(fmt::format("{}: cannot keep the remote build in the local cache: {}; building", sc.name, e.what()));
            return false;
        }
    }
    const fs::path out = temp_out_dir(sc.name, ev.backend->name());
    std::error_code ec;
    fs::remove_all(out, ec);
    if (const auto why = artifacts_.restore(m, out, fetched_blobs)) {
        reporter_.warning(fmt::format("{}: the cached build {} was not used: {}; building it", sc.name, m.key, *why));
        log("freezer: cache entry rejected: " + *why);
        return false;
    }
    const std::string smoke = smoke_digest(sc.smoke);
    if ((sc.smoke.run || sc.smoke.http) && m.smoke != smoke) {
        // Cached under another smoke test: this one has not seen it yet.
        reporter_.phase(sc.name, ev.backend->name(), Phase::smoke, "");
        const auto o = run_smoke_test(sc.smoke, out / m.executable,
                                      {toolchain_.interpreter(project_.python, project_.dir).path, m.standalone, {}});
        r.smoke_ran = true;
        r.smoke_passed = o.passed;
        r.smoke = o.message;
        log(fmt::format("freezer: smoke test ({}) {}: {}", o.mode, o.passed ? "passed" : "FAILED", o.message));
        if (!o.passed) {
            fs::remove_all(out, ec);
            r.status = Status::failed;
            r.error = "smoke test failed on the cached build: " + o.message + "; the previous output was kept";
            r.log_tail = o.output_tail;
            return true;
        }
    }
    reporter_.phase(sc.name, ev.backend->name(), Phase::installing, "");
    const auto target = project_.output_dir / output_name(sc, ev.backend->name());
    const auto installed = install_output(out, m.executable, target);
    fs::remove_all(out, ec);
    r.artifact = installed.dir / installed.executable;
    r.size = installed.size;
    if (project_.tauri_dir && ev.backend->name() == sc.backend) install_tauri_copy(sc, r.artifact, r);
    BuildState state;
    state.key = ev.key.key;
    state.parts = ev.key;
    state.config = ev.config;
    state.toolchain = ev.toolchain;
    state.built_at = m.created_at;
    state.duration_ms = m.build_ms;
    state.output = {installed.dir, installed.executable, installed.size, list_output(installed.dir), m.standalone};
    state.smoke = smoke;
    states_.save(sc.name, ev.backend->name(), state, ev.inputs);
    r.status = Status::restored;
    const auto took = since(start);
    r.reason = fmt::format("{}; restored from the {} cache in {} (built {}, which took {:.1f}s)", ev.reason,
                           from_remote ? "remote" : "local", took.count() < 1000 ? fmt::format("{}ms", took.count())
                                                                                 : fmt::format("{:.1f}s", took.count() / 1000.0),
                           m.created_at, m.build_ms / 1000.0);
    log("freezer: " + r.reason);
    log(fmt::format("freezer: installed {} ({} bytes)", r.artifact.string(), r.size));
    return true;
}

void Builder::store_in_cache(const Evaluation& ev, const fs::path& output_dir, const std::string& executable,
                             bool standalone, std::chrono::milliseconds took) {
    Manifest m;
    m.key = ev.key.key.hex();
    m.sidecar = ev.sidecar->name;
    m.backend = ev.backend->name();
    m.created_at = iso8601_utc_now();
    m.executable = executable;
    m.standalone = standalone;
    m.smoke = smoke_digest(ev.sidecar->smoke);
    m.build_ms = took.count();
    for (const auto& i : ev.inputs) m.inputs.push_back({i.path, i.hash.hex()});
    m.config = ev.config;
    m.toolchain = ev.toolchain;
    try {
        m = artifacts_.store(std::move(m), output_dir);
        const auto pruned = artifacts_.prune(std::nullopt, /*wait=*/false);
        (void)pruned;
    } catch (const std::exception& e) {
        reporter_.warning(fmt::format("{}: not stored in the artifact cache: {}", ev.sidecar->name, e.what()));
        return;
    }
    if (!remote_ || remote_->settings().read_only || remote_down_) return;
    warn_about_token();
    try {
        for (const auto& f : m.files)
            if (f.link.empty() && !remote_->has_blob(f.sha256)) remote_->put_blob(f.sha256, artifacts_.blob_path(f.sha256));
        remote_->put_manifest(m);  // last: a manifest on the server means its blobs are there
    } catch (const RemoteError& e) {
        remote_failed(e.what(), "the build is in the local cache only");
    }
}

void Builder::explain(Evaluation& ev) const {
    const auto& prev = *ev.previous;
    std::vector<std::string> parts;
    if (prev.parts.inputs != ev.key.inputs) {
        const auto old = states_.load_inputs(ev.sidecar->name, ev.backend->name());
        std::map<std::string, Hash128> before;
        for (const auto& i : old) before[i.path] = i.hash;
        for (const auto& i : ev.inputs) {
            auto it = before.find(i.path);
            if (it == before.end())
                ev.changes.push_back("added " + i.path);
            else if (it->second != i.hash)
                ev.changes.push_back("modified " + i.path);
            if (it != before.end()) before.erase(it);
        }
        for (const auto& [p, h] : before) ev.changes.push_back("removed " + p);
        if (ev.changes.empty()) ev.changes.push_back("inputs changed (no previous list)");
        parts.push_back(ev.changes.size() == 1 ? ev.changes[0]
                                               : fmt::format("{} inputs changed", ev.changes.size()));
    }
    if (prev.parts.config != ev.key.config) {
        auto c = json_changes(prev.config, ev.config, "config");
        parts.push_back(c.size() == 1 ? c[0] : "config changed");
        ev.changes.insert(ev.changes.end(), c.begin(), c.end());
    }
    if (prev.parts.toolchain != ev.key.toolchain) {
        auto c = json_changes(prev.toolchain, ev.toolchain, "toolchain");
        // A changed config changes the commands too: that is not news, nor a plugin update.
        if (prev.parts.config != ev.key.config || prev.parts.inputs != ev.key.inputs)
            c.erase(std::remove_if(c.begin(), c.end(), [](const auto& line) { return line.rfind("toolchain: ", 0) == 0; }),
                    c.end());
        if (!c.empty()) parts.push_back(c.size() == 1 ? c[0] : "toolchain changed");
        ev.changes.insert(ev.changes.end(), c.begin(), c.end());
    }
    ev.reason = parts.empty() ? "key changed" : fmt::format("{}", fmt::join(parts, "; "));
}

std::vector<const config::Sidecar*> Builder::select(const std::vector<std::string>& names) const {
    std::vector<const config::Sidecar*> selected;
    if (names.empty()) {
        for (const auto& sc : project_.sidecars) selected.push_back(&sc);
        return selected;
    }
    for (const auto& name : names) {
        const auto* sc = project_.find(name);
        if (!sc) {
            std::vector<std::string> all;
            for (const auto& s : project_.sidecars) all.push_back(s.name);
            const auto hint = config::did_you_mean(name, all);
            throw SetupError(fmt::format("no sidecar named '{}' in {}{} (sidecars: {})", name,
                                         project_.file.string(),
                                         hint.empty() ? "" : "; did you mean '" + hint + "'?",
                                         fmt::join(all, ", ")));
        }
        if (std::find(selected.begin(), selected.end(), sc) == selected.end()) selected.push_back(sc);
    }
    return selected;
}

int Builder::budget(const BuildOptions& options) const {
    if (options.jobs > 0) return options.jobs;
    if (project_.jobs > 0) return project_.jobs;
    return std::max(1u, std::thread::hardware_concurrency());
}

std::vector<SidecarResult> Builder::build(const BuildOptions& options) {
    const auto selected = select(options.sidecars);
    // One freezer at a time per sidecar x backend: a second one waits, then finds the
    // first one's result (a skip). Taken in name order, so two runs never deadlock.
    std::vector<std::string> lock_names;
    for (const auto* sc : selected)
        lock_names.push_back(output_name(*sc, options.backend_override.empty() ? sc->backend : options.backend_override));
    std::sort(lock_names.begin(), lock_names.end());
    std::vector<FileLock> locks;
    for (const auto& name : lock_names) {
        FileLock lock(freezer_dir_ / "locks" / (name + ".lock"), FileLock::Mode::exclusive, /*wait=*/false);
        if (!lock.held()) {
            const auto holder = lock.holder();
            reporter_.warning(fmt::format("{}: another freezer{} is building it; waiting for it to finish", name,
                                          holder.empty() ? "" : " (" + holder + ")"));
            lock.wait();
        }
        lock.set_holder(fmt::format("pid {}", ::getpid()));
        locks.push_back(std::move(lock));
    }
    for (const auto* sc : selected)
        reporter_.phase(sc->name, options.backend_override.empty() ? sc->backend : options.backend_override,
                        Phase::queued, "");

    // Evaluate every sidecar first: setup problems stop the run before anything is built.
    std::vector<Evaluation> evals;
    std::vector<std::chrono::milliseconds> hashing;  // time spent evaluating each
    for (const auto* sc : selected) {
        const auto t = Clock::now();
        const auto& backend = options.backend_override.empty() ? sc->backend : options.backend_override;
        reporter_.phase(sc->name, backend, Phase::hashing, "");
        evals.push_back(evaluate(*sc, backend, options.force));
        hashing.push_back(since(t));
    }
    if (project_.tauri_dir) toolchain_.target_triple();  // before any thread needs it
    toolchain_.save();

    std::vector<SidecarResult> results(evals.size());
    std::vector<Task> tasks;
    std::vector<std::size_t> task_of;  // task index -> sidecar index
    const int cpus = budget(options);
    std::atomic<bool> cancel{false};
    for (std::size_t i = 0; i < evals.size(); ++i) {
        auto& ev = evals[i];
        if (ev.up_to_date) {
            auto& r = results[i];
            r.name = ev.sidecar->name;
            r.backend = ev.backend->name();
            r.status = Status::skipped;
            r.key = ev.key.key.hex();
            r.reason = ev.reason;
            r.artifact = ev.previous->output.dir / ev.previous->output.executable;
            r.size = ev.previous->output.size;
            r.log = log_path(output_name(*ev.sidecar, r.backend));
            if (ev.resmoke) {
                // Same binary, new smoke test: test it again; nothing is rebuilt.
                reporter_.phase(r.name, r.backend, Phase::smoke, "the smoke test changed");
                const auto python = toolchain_.interpreter(project_.python, project_.dir).path;
                const auto o = run_smoke_test(ev.sidecar->smoke, r.artifact, {python, ev.previous->output.standalone, {}});
                r.smoke_ran = o.ran;
                r.smoke_passed = o.passed;
                r.smoke = o.message;
                if (o.passed) {
                    r.reason = o.ran ? "up to date; its changed smoke test passed" : "up to date";
                    auto state = *ev.previous;
                    state.smoke = smoke_digest(ev.sidecar->smoke);
                    states_.save(r.name, r.backend, state, ev.inputs);
                } else {
                    r.status = Status::failed;
                    r.error = "smoke test failed on the installed binary: " + o.message;
                    r.log_tail = o.output_tail;
                }
            }
            r.duration = hashing[i];
            if (project_.tauri_dir && r.status == Status::skipped && r.backend == ev.sidecar->backend)
                install_tauri_copy(*ev.sidecar, r.artifact, r);
            reporter_.finished(r);
            continue;
        }
        const auto opt_it = ev.sidecar->backends.find(ev.backend->name());
        const sdk::Option opts = opt_it == ev.sidecar->backends.end() ? sdk::Option{} : opt_it->second;
        const int want = ev.cached ? 1 : unwrap(*ev.backend, "cpu_tokens_wanted", ev.backend->abi().cpu_tokens_wanted(opts, cpus));
        reporter_.phase(ev.sidecar->name, ev.backend->name(), Phase::queued, ev.reason);
        task_of.push_back(i);
        tasks.push_back({want, [this, &ev, &results, &hashing, &options, &cancel, i](int granted) {
                             const auto t = Clock::now();
                             auto r = build_one(ev, options.force, granted, &cancel);
                             r.duration = hashing[i] + since(t);
                             const bool ok = r.status == Status::built || r.status == Status::restored;
                             results[i] = std::move(r);
                             reporter_.finished(results[i]);
                             return ok;
                         }});
    }
    const auto states = run_tasks(tasks, {cpus, options.fail_fast, &cancel});
    for (std::size_t t = 0; t < tasks.size(); ++t) {
        if (states[t] != TaskState::not_started) continue;
        auto& ev = evals[task_of[t]];
        auto& r = results[task_of[t]];
        r.name = ev.sidecar->name;
        r.backend = ev.backend->name();
        r.status = Status::cancelled;
        r.key = ev.key.key.hex();
        r.reason = ev.reason;
        r.error = interrupt_requested() ? "interrupted before it started"
                                        : "not started: another sidecar failed (--fail-fast)";
        r.log = log_path(output_name(*ev.sidecar, r.backend));
        reporter_.finished(r);
    }
    stat_cache().save(options.sidecars.empty());
    if (stage_cache_) stage_cache_->save();
    return results;
}

std::vector<SidecarResult> Builder::smoke(const std::vector<std::string>& names,
                                          const std::string& backend_override) {
    std::vector<SidecarResult> results;
    for (const auto* sc : select(names)) {
        SidecarResult r;
        r.name = sc->name;
        r.backend = backend_override.empty() ? sc->backend : backend_override;
        r.log = log_path(output_name(*sc, r.backend));
        const auto state = states_.load(sc->name, r.backend);
        reporter_.phase(r.name, r.backend, Phase::smoke, "");
        const auto t = Clock::now();
        if (!state) {
            r.status = Status::failed;
            r.error = "not built yet: run 'freezer build " + sc->name + "' first";
        } else if (!sc->smoke.run && !sc->smoke.http) {
            r.status = Status::skipped;
            r.reason = "no smoke test configured";
        } else {
            r.key = state->key.hex();
            r.artifact = state->output.dir / state->output.executable;
            r.size = state->output.size;
            if (!output_intact(state->output))
                reporter_.warning(fmt::format("{}: {} was modified since it was installed; testing it as it is",
                                              sc->name, state->output.dir.string()));
            const auto python = toolchain_.interpreter(project_.python, project_.dir).path;
            const auto o = run_smoke_test(sc->smoke, r.artifact, {python, state->output.standalone, {}});
            r.smoke_ran = true;
            r.smoke_passed = o.passed;
            r.smoke = o.message;
            r.status = o.passed ? Status::built : Status::failed;
            r.reason = o.passed ? "smoke test passed" : "";
            if (!o.passed) {
                r.error = "smoke test failed: " + o.message;
                r.log_tail = o.output_tail;
            }
        }
        r.duration = since(t);
        reporter_.finished(r);
        results.push_back(std::move(r));
    }
    return results;
}

void Builder::install_tauri_copy(const config::Sidecar& sc, const fs::path& executable, SidecarResult& r) {
    const auto triple = toolchain_.target_triple();
    const fs::path target = *project_.tauri_dir / (sc.name + "-" + triple);
    r.tauri_copy = target;
    struct stat src, dst;
    if (::stat(executable.c_str(), &src) == 0 && ::stat(target.c_str(), &dst) == 0 &&
        src.st_size == dst.st_size && dst.st_mtim.tv_sec >= src.st_mtim.tv_sec && (dst.st_mode & 0111))
        return;  // already there
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    const fs::path tmp = target.string() + fmt::format(".tmp-{}", ::getpid());
    fs::copy_file(executable, tmp, fs::copy_options::overwrite_existing, ec);
    if (!ec) fs::permissions(tmp, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                      fs::perms::others_read | fs::perms::others_exec, ec);
    if (!ec) fs::rename(tmp, target, ec);
    if (ec) {
        fs::remove(tmp, ec);
        throw InstallError(fmt::format("cannot install the Tauri copy {}: {}", target.string(), ec.message()));
    }
}

SidecarResult Builder::build_one(Evaluation& ev, bool force, int tokens, const std::atomic<bool>* cancel) {
    const auto& sc = *ev.sidecar;
    const auto& backend = *ev.backend;
    SidecarResult r;
    r.name = sc.name;
    r.backend = backend.name();
    r.key = ev.key.key.hex();
    r.reason = ev.reason;
    r.changes = ev.changes;
    r.log = log_path(output_name(sc, backend.name()));
    r.cpu_tokens = tokens;

    const fs::path cache_dir = backend_cache_dir(backend.name());
    const fs::path work_dir = cache_dir / sc.name;
    const fs::path out_dir = temp_out_dir(sc.name, backend.name());
    const fs::path stage = stage_dir(sc.name);
    std::error_code ec;
    fs::create_directories(r.log.parent_path(), ec);
    const int log_fd = ::open(r.log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    auto log = [&](const std::string& line) {
        if (log_fd >= 0) {
            const auto s = line + "\n";
            (void)!::write(log_fd, s.data(), s.size());
        }
    };
    auto fail = [&](std::string error, Status status = Status::failed) {
        r.status = status;
        r.error = std::move(error);
        log("freezer: " + r.error);
        if (log_fd >= 0) ::close(log_fd);
        if (r.log_tail.empty()) r.log_tail = tail_lines(r.log, 30);
        fs::remove_all(out_dir, ec);
        return r;
    };
    if (ev.cached && !force) {
        log(fmt::format("freezer: {} with {}, key {}: {} has it; restoring", sc.name, backend.name(), r.key,
                        ev.source == Evaluation::Source::remote ? "the remote cache" : "the local cache"));
        log("freezer: reason: " + ev.reason);
        try {
            if (restore_one(ev, r, log)) {
                if (r.status == Status::failed) return fail(r.error);
                if (log_fd >= 0) ::close(log_fd);
                return r;
            }
        } catch (const std::exception& e) {
            reporter_.warning(fmt::format("{}: restoring from the cache failed: {}; building it", sc.name, e.what()));
        }
        r.smoke_ran = false;
    }
    const auto build_start = Clock::now();
    log(fmt::format("freezer: building {} with {} {} (plugin {}), key {}, {} CPU token{}", sc.name,
                    backend.name(), ev.tool.version, backend.version(), r.key, tokens, tokens == 1 ? "" : "s"));
    log("freezer: reason: " + ev.reason);
    reporter_.phase(sc.name, backend.name(), Phase::building, ev.reason);

    try {
        // Warn about a spec file that differs from what git has.
        const auto opt_it = sc.backends.find(backend.name());
        const sdk::Option options = opt_it == sc.backends.end() ? sdk::Option{} : opt_it->second;
        for (const auto& extra : unwrap(backend, "extra_inputs", backend.abi().extra_inputs(options))) {
            if (!extra.warn_if_uncommitted) continue;
            ProcessSpec git;
            git.argv = {"git", "status", "--porcelain", "--", extra.path};
            git.cwd = (project_.dir / sc.root).string();
            git.capture = true;
            git.timeout = std::chrono::seconds(10);
            const auto g = run_process(git);
            if (g.ok() && !g.out.empty())
                reporter_.warning(fmt::format("{}: {} has uncommitted changes (git status: {}); "
                                              "the build uses the working copy",
                                              sc.name, extra.path, g.out.substr(0, g.out.find('\n'))));
        }

        StageStats staged;
        {
            std::lock_guard lock(stat_mutex_);
            staged = sync_stage(project_.dir / sc.root, stage, ev.inputs, stage_cache(),
                                ".freezer/stage/" + sc.name + "/");
        }
        log(fmt::format("freezer: staged {} inputs in {} ({} copied, {} kept, {} removed)",
                        ev.inputs.size(), stage.string(), staged.copied, staged.kept, staged.removed));

        fs::remove_all(out_dir, ec);
        fs::create_directories(out_dir);
        fs::create_directories(work_dir);
        fs::create_directories(cache_dir);
        if (force) {
            // --force is a clean build: the packager's own cache for this sidecar goes.
            fs::remove_all(work_dir, ec);
            fs::create_directories(work_dir);
        }

        const auto rq = make_request(ev, force, tokens);
        const auto plan = unwrap(backend, "plan", backend.abi().plan(rq));

        for (const auto& step : plan.steps) {
            if (step.kind == sdk::Step::Kind::write_file) {
                log("freezer: write " + step.path);
                write_file_atomically(step.path, step.content);
                continue;
            }
            std::string cmd;
            for (const auto& a : step.argv) cmd += (cmd.empty() ? "" : " ") + shell_quote(a);
            log("$ " + cmd);
            ProcessSpec spec;
            spec.argv = step.argv;
            spec.env = environment_with(step.env);
            spec.cwd = step.cwd;
            spec.output_fd = log_fd;
            spec.timeout = std::chrono::hours(2);
            spec.cancel = cancel;
            const off_t step_start = log_fd >= 0 ? ::lseek(log_fd, 0, SEEK_END) : 0;
            const auto res = run_process(spec);
            // A step can raise warnings for the user: lines "::freezer-warning::<text>".
            if (log_fd >= 0) {
                std::string text;
                read_file(r.log, text);
                std::istringstream lines(text.substr(std::min<std::size_t>(text.size(), static_cast<std::size_t>(step_start))));
                std::string line;
                static const std::string kPrefix = "::freezer-warning::";
                while (std::getline(lines, line))
                    if (line.rfind(kPrefix, 0) == 0)
                        reporter_.warning(sc.name + ": " + line.substr(kPrefix.size()));
            }
            r.peak_rss_kb = std::max(r.peak_rss_kb, res.peak_rss_kb);
            r.cpu += res.cpu;
            log(fmt::format("freezer: {} ({:.1f}s, cpu {:.1f}s, peak RSS {} MB)", res.describe(),
                            res.wall.count() / 1000.0, res.cpu.count() / 1000.0,
                            res.peak_rss_kb / 1024));
            if (res.interrupted)
                return fail(interrupt_requested() ? "interrupted" : "cancelled: another sidecar failed (--fail-fast)",
                            Status::cancelled);
            if (!res.ok()) {
                auto error = fmt::format("{} {}", step.description.empty() ? step.argv[0] : step.description,
                                         res.describe());
                for (const auto& hint : matching_hints(r.log, plan.failure_hints)) error += "\n  hint: " + hint;
                return fail(error);
            }
        }

        if (!plan.metrics.empty()) r.metrics = read_metrics(r.log, plan.metrics);

        // The smoke test runs on the fresh artifact, before anything is installed.
        const auto root = artifact_root(plan.artifact_dir);
        const auto exe = find_executable(root, plan.executable);
        if (sc.smoke.run || sc.smoke.http) {
            reporter_.phase(sc.name, backend.name(), Phase::smoke, "");
            const auto o = run_smoke_test(sc.smoke, root / exe, {rq.python, plan.standalone, {}});
            r.smoke_ran = true;
            r.smoke_passed = o.passed;
            r.smoke = o.message;
            log(fmt::format("freezer: smoke test ({}) {}: {}", o.mode, o.passed ? "passed" : "FAILED", o.message));
            for (const auto& line : o.output_tail) log("  | " + line);
            if (interrupt_requested()) return fail("interrupted", Status::cancelled);
            if (!o.passed) {
                r.log_tail = o.output_tail;
                return fail("smoke test failed: " + o.message + "; the previous output was kept");
            }
        }
        if (project_.tauri_dir && backend.name() == sc.backend) {
            std::size_t files = 0;
            for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it)
                files += it->is_regular_file();
            if (files != 1)
                return fail(fmt::format("output.tauri needs a single-file sidecar, but {} built a folder of {} "
                                        "files; set 'mode: onefile' for {}",
                                        backend.name(), files, sc.name));
        }

        reporter_.phase(sc.name, backend.name(), Phase::installing, "");
        const auto target = project_.output_dir / output_name(sc, backend.name());
        const auto installed = install_output(plan.artifact_dir, exe, target);
        r.artifact = installed.dir / installed.executable;
        r.size = installed.size;
        fs::remove_all(out_dir, ec);
        if (project_.tauri_dir && backend.name() == sc.backend) install_tauri_copy(sc, r.artifact, r);

        BuildState state;
        state.key = ev.key.key;
        state.parts = ev.key;
        state.config = ev.config;
        state.toolchain = ev.toolchain;
        state.built_at = iso8601_utc_now();
        state.output = {installed.dir, installed.executable, installed.size,
                        list_output(installed.dir), plan.standalone};
        state.smoke = smoke_digest(sc.smoke);
        states_.save(sc.name, backend.name(), state, ev.inputs);
        log(fmt::format("freezer: installed {} ({} bytes)", r.artifact.string(), r.size));
        r.status = Status::built;
        // Only now, with a passed smoke test and an installed output, does it become a hit.
        store_in_cache(ev, installed.dir, installed.executable, plan.standalone, since(build_start));
    } catch (const std::exception& e) {
        return fail(e.what());
    }
    if (log_fd >= 0) ::close(log_fd);
    return r;
}

}  // namespace freezer

#include "builder.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <deque>
#include <fstream>
#include <map>

#include <fmt/format.h>

#include "atomic_file.hpp"
#include "glob.hpp"
#include "input_set.hpp"
#include "install.hpp"
#include "process.hpp"
#include "stage.hpp"

namespace freezer {
namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

const char* to_string(Status s) {
    switch (s) {
        case Status::built: return "built";
        case Status::skipped: return "skipped";
        case Status::failed: return "failed";
    }
    return "?";
}

namespace {

std::chrono::milliseconds since(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t);
}

std::string iso_now() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
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
      stat_cache_([&] {
          std::string warning;
          StatCache c(freezer_dir_ / "state" / "statcache", &warning);
          if (!warning.empty()) reporter.warning(warning);
          return c;
      }()),
      states_(freezer_dir_ / "state") {}

Builder::~Builder() = default;

fs::path Builder::state_dir() const { return states_.dir(); }
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

sdk::PlanRequest Builder::make_request(const Evaluation& ev, bool clean) {
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
    rq.stage_dir = fs::absolute(stage_dir(sc.name)).string();
    rq.cache_dir = fs::absolute(backend_cache_dir(backend.name())).string();
    rq.work_dir = rq.cache_dir + "/" + sc.name;
    rq.out_dir = fs::absolute(temp_out_dir(sc.name, backend.name())).string();
    rq.python = toolchain_.interpreter(project_.python, project_.dir).path;
    rq.cpu_tokens = 1;
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
        const auto h = stat_cache_.hash(key, root_str, f.path, f.stat);
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
    ev.toolchain["plan"] = plan_digest(unwrap(backend, "plan", backend.abi().plan(rq)),
                                       fs::absolute(project_.dir).string(), rq.out_dir);
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
    }
    return ev;
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
        parts.push_back(c.size() == 1 ? c[0] : "toolchain changed");
        ev.changes.insert(ev.changes.end(), c.begin(), c.end());
    }
    ev.reason = parts.empty() ? "key changed" : fmt::format("{}", fmt::join(parts, "; "));
}

std::vector<SidecarResult> Builder::build(const BuildOptions& options) {
    std::vector<const config::Sidecar*> selected;
    if (options.sidecars.empty()) {
        for (const auto& sc : project_.sidecars) selected.push_back(&sc);
    } else {
        for (const auto& name : options.sidecars) {
            const auto* sc = project_.find(name);
            if (!sc) {
                std::vector<std::string> names;
                for (const auto& s : project_.sidecars) names.push_back(s.name);
                const auto hint = config::did_you_mean(name, names);
                throw SetupError(fmt::format("no sidecar named '{}' in {}{} (sidecars: {})", name,
                                             project_.file.string(),
                                             hint.empty() ? "" : "; did you mean '" + hint + "'?",
                                             fmt::join(names, ", ")));
            }
            if (std::find(selected.begin(), selected.end(), sc) == selected.end())
                selected.push_back(sc);
        }
    }

    // Evaluate every sidecar first: setup problems stop the run before anything is built.
    std::vector<Evaluation> evals;
    std::vector<std::chrono::milliseconds> hashing;  // time spent evaluating each
    for (const auto* sc : selected) {
        const auto t = Clock::now();
        const auto& backend = options.backend_override.empty() ? sc->backend : options.backend_override;
        evals.push_back(evaluate(*sc, backend, options.force));
        hashing.push_back(since(t));
    }
    toolchain_.save();

    std::vector<SidecarResult> results;
    for (std::size_t i = 0; i < evals.size(); ++i) {
        auto& ev = evals[i];
        SidecarResult r;
        if (ev.up_to_date) {
            r.name = ev.sidecar->name;
            r.backend = ev.backend->name();
            r.status = Status::skipped;
            r.key = ev.key.key.hex();
            r.reason = ev.reason;
            r.artifact = ev.previous->output.dir / ev.previous->output.executable;
            r.size = ev.previous->output.size;
            r.log = log_path(r.name);
            r.duration = hashing[i];
            reporter_.finished(r);
        } else if (interrupt_requested()) {
            break;
        } else {
            reporter_.started(ev.sidecar->name, ev.backend->name(), ev.reason);
            const auto t = Clock::now();
            r = build_one(ev, options.force);
            r.duration = hashing[i] + since(t);
            reporter_.finished(r);
        }
        results.push_back(std::move(r));
    }
    stat_cache_.save(options.sidecars.empty());
    return results;
}

SidecarResult Builder::build_one(Evaluation& ev, bool force) {
    const auto& sc = *ev.sidecar;
    const auto& backend = *ev.backend;
    SidecarResult r;
    r.name = sc.name;
    r.backend = backend.name();
    r.key = ev.key.key.hex();
    r.reason = ev.reason;
    r.changes = ev.changes;
    r.log = log_path(sc.name);

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
    auto fail = [&](std::string error) {
        r.status = Status::failed;
        r.error = std::move(error);
        log("freezer: " + r.error);
        if (log_fd >= 0) ::close(log_fd);
        r.log_tail = tail_lines(r.log, 30);
        fs::remove_all(out_dir, ec);
        return r;
    };
    log(fmt::format("freezer: building {} with {} {} (plugin {}), key {}", sc.name, backend.name(),
                    ev.tool.version, backend.version(), r.key));
    log("freezer: reason: " + ev.reason);

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

        const auto staged = sync_stage(project_.dir / sc.root, stage, ev.inputs, stat_cache_,
                                       ".freezer/stage/" + sc.name + "/");
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

        const auto rq = make_request(ev, force);
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
            const auto res = run_process(spec);
            r.peak_rss_kb = std::max(r.peak_rss_kb, res.peak_rss_kb);
            r.cpu += res.cpu;
            log(fmt::format("freezer: {} ({:.1f}s, cpu {:.1f}s, peak RSS {} MB)", res.describe(),
                            res.wall.count() / 1000.0, res.cpu.count() / 1000.0,
                            res.peak_rss_kb / 1024));
            if (res.interrupted) return fail("interrupted");
            if (!res.ok())
                return fail(fmt::format("{} {}", step.description.empty() ? step.argv[0] : step.description,
                                        res.describe()));
        }

        const auto target = project_.output_dir / sc.name;
        const auto installed = install_output(plan.artifact_dir, plan.executable, target);
        r.artifact = installed.dir / installed.executable;
        r.size = installed.size;
        fs::remove_all(out_dir, ec);

        BuildState state;
        state.key = ev.key.key;
        state.parts = ev.key;
        state.config = ev.config;
        state.toolchain = ev.toolchain;
        state.built_at = iso_now();
        state.output = {installed.dir, installed.executable, installed.size,
                        list_output(installed.dir)};
        states_.save(sc.name, backend.name(), state, ev.inputs);
        log(fmt::format("freezer: installed {} ({} bytes)", r.artifact.string(), r.size));
        r.status = Status::built;
    } catch (const std::exception& e) {
        return fail(e.what());
    }
    if (log_fd >= 0) ::close(log_fd);
    return r;
}

}  // namespace freezer

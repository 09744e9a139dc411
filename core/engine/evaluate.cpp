#include "engine/evaluate.hpp"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "inputs/glob.hpp"
#include "inputs/hash.hpp"
#include "inputs/environment.hpp"
#include "inputs/input_set.hpp"
#include "util/names.hpp"

namespace freezer {
namespace fs = std::filesystem;

sdk::Option backend_options(const config::Sidecar& sc, const std::string& backend) {
    const auto it = sc.backends.find(backend);
    return it == sc.backends.end() ? sdk::Option{} : it->second;
}

sdk::PlanRequest make_request(BuildContext& ctx, const Evaluation& ev, bool clean, int tokens) {
    const auto& sc = *ev.sidecar;
    const auto& name = ev.backend_name();
    sdk::PlanRequest rq;
    rq.sidecar = sc.name;
    rq.entry = sc.entry;
    rq.module = sc.module;
    rq.mode = sc.mode;
    rq.hidden_imports = sc.hidden_imports;
    rq.exclude_modules = sc.exclude_modules;
    rq.collect_submodules = sc.collect_submodules;
    for (const auto& d : sc.data) rq.data.push_back({d.src, d.dest});
    rq.env = sc.env;
    rq.options = backend_options(sc, name);
    rq.inputs.reserve(ev.inputs.size());
    for (const auto& i : ev.inputs) rq.inputs.push_back(i.path);
    rq.stage_dir = fs::absolute(ctx.layout.stage_dir(sc.name)).string();
    rq.cache_dir = fs::absolute(ctx.layout.backend_cache_dir(name)).string();
    rq.work_dir = fs::absolute(ctx.layout.work_dir(name, sc.name)).string();
    rq.out_dir = fs::absolute(ctx.layout.temp_out_dir(sc.name, name)).string();
    rq.python = ctx.python();
    rq.cpu_tokens = tokens;
    rq.clean = clean;
    rq.tool = ev.tool;
    return rq;
}

namespace {
// A digest of what a plan would run, with the project's folder and freezer's pid
// taken out so that the same project elsewhere (another checkout, CI) hashes alike.
std::string plan_digest(const sdk::Plan& plan, const std::string& project_dir, const std::string& out_dir) {
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
        h.field(st.kind == sdk::Step::Kind::run ? "run" : st.kind == sdk::Step::Kind::write_file ? "write" : "remove");
        for (const auto& a : st.argv) h.field(norm(a));
        h.field("env");
        for (const auto& [k, v] : st.env) h.field(k).field(norm(v));
        h.field(norm(st.cwd)).field(norm(st.path)).field(norm(st.content));
    }
    h.field(norm(plan.artifact_dir)).field(plan.executable);
    return h.digest().hex();
}
}  // namespace

Evaluator::Evaluator(BuildContext& context)
    : ctx_(context),
      // Loaded on another thread while the first input walk runs.
      loading_(std::async(std::launch::async, [file = context.layout.stat_cache_file()] { return StatCache(file); })) {}

Evaluator::~Evaluator() = default;

StatCache& Evaluator::stat_cache() {
    if (!stat_cache_) {
        stat_cache_.emplace(loading_.get());
        if (!stat_cache_->warning().empty()) ctx_.reporter.warning(stat_cache_->warning());
    }
    return *stat_cache_;
}

void Evaluator::save(bool drop_unused) { stat_cache().save(drop_unused); }

std::vector<HashedInput> Evaluator::hash_inputs(const config::Sidecar& sc, const LoadedBackend& backend) {
    // Inputs: the globs, plus data sources and files the backend needs.
    std::vector<std::string> explicit_paths;
    for (const auto& d : sc.data) explicit_paths.push_back(d.src);
    if (!sc.entry.empty()) explicit_paths.push_back(sc.entry);
    for (const auto& e : unwrap(backend, "extra_inputs", backend.abi().extra_inputs(backend_options(sc, backend.name()))))
        explicit_paths.push_back(e.path);

    const fs::path root = ctx_.project.dir / sc.root;
    const auto scan = scan_inputs(root, GlobSet(sc.inputs.include), GlobSet(sc.inputs.exclude), explicit_paths,
                                  {ctx_.layout.freezer_dir(), ctx_.layout.output_dir()});
    const auto shown_root = fs::path(sc.root).lexically_normal().generic_string();
    for (const auto& w : scan.warnings)
        ctx_.reporter.warning(fmt::format("{}: {}{}", sc.name, shown_root == "." ? "" : shown_root + "/", w));
    if (sc.inputs.where.line > 0)
        for (const auto& p : scan.unmatched_includes)
            ctx_.reporter.warning(fmt::format("{}:{}:{}: sidecars.{}.inputs.include: '{}' matches no file under {}",
                                              sc.inputs.where.file, sc.inputs.where.line, sc.inputs.where.column,
                                              sc.name, p, root.string()));
    for (const auto& m : scan.missing)
        throw SetupError(fmt::format("{}: input '{}' does not exist under {}", sc.name, m, root.string()));

    const std::string rel_root = fs::path(sc.root).lexically_normal().generic_string() + "/";
    const std::string root_str = root.string();
    std::vector<HashedInput> inputs;
    inputs.reserve(scan.files.size());
    std::string key;
    for (const auto& f : scan.files) {
        key.assign(rel_root).append(f.path);
        const auto h = stat_cache().hash(key, root_str, f.path, f.stat);
        if (!h)
            throw Error(Error::Kind::failed, fmt::format("cannot read input {}: {}", escape_name((root / f.path).string()),
                                                         std::strerror(errno)));
        inputs.push_back({f.path, *h});
    }
    return inputs;
}

// The Python sources of the folders the interpreter imports from outside its
// installation (editable installs, .pth and PYTHONPATH folders): {abs path: hash}. A
// folder inside the sidecar's root is left out: its files are inputs already.
nlohmann::json Evaluator::hash_sources(const config::Sidecar& sc, const Interpreter& python) {
    static const GlobSet kInclude({"**/*.py"});
    static const GlobSet kExclude({"**/__pycache__/**", "**/.git/**", "**/.venv/**", "**/.freezer/**", "**/node_modules/**"});
    const auto root = fs::weakly_canonical(ctx_.project.dir / sc.root).string() + "/";
    nlohmann::json out = nlohmann::json::object();
    for (const auto& folder : python.source_folders) {
        const auto dir = fs::weakly_canonical(folder).string();
        if ((dir + "/").rfind(root, 0) == 0) continue;
        for (const auto& f : scan_inputs(dir, kInclude, kExclude, {}).files) {
            const auto h = stat_cache().hash("source:" + dir + "/" + f.path, dir, f.path, f.stat);
            if (h) out[dir + "/" + f.path] = h->hex();
        }
    }
    return out;
}

Evaluation Evaluator::evaluate(const config::Sidecar& sc, const std::string& backend_name, bool force) {
    Evaluation ev;
    ev.sidecar = &sc;
    ev.backend = ctx_.host.find(backend_name);
    if (!ev.backend) throw SetupError(fmt::format("unknown backend '{}'", backend_name));
    const auto& backend = *ev.backend;

    const auto& python = ctx_.toolchain.interpreter(ctx_.project.python, ctx_.project.dir, python_where(ctx_.project));
    ev.tool = ctx_.toolchain.tool(backend, python);
    if (!ev.tool.found)
        throw SetupError(fmt::format("{}: {}: {} (interpreter {})\n  how to fix: {}",
                                     config::where_text(sc.backend_where), sc.name, ev.tool.problem,
                                     python.path, unwrap(backend, "install_hint", backend.abi().install_hint())));
    ev.inputs = hash_inputs(sc, backend);
    ev.config = build_config_json(sc, backend_name);
    ev.toolchain = toolchain_json(backend_name, backend.version(), ev.tool.version, python.implementation,
                                  python.version, host_triple());
    // What the app's imports resolve to: a dependency upgraded in place rebuilds, and
    // so does an edit to an editable install's sources.
    ev.toolchain["distributions"] = list_distributions(python.sys_path);
    if (!python.source_folders.empty()) ev.toolchain["sources"] = hash_sources(sc, python);
    // The plan itself joins the key: a plugin that changes what it runs rebuilds, even
    // when its version string did not move.
    const auto rq = make_request(ctx_, ev, /*clean=*/false);
    auto planned = backend.abi().plan(rq);
    if (auto* f = std::get_if<sdk::Failure>(&planned))  // the backend refuses this sidecar's settings
        throw SetupError(fmt::format("{}: {}: {} cannot build it: {}", config::where_text(sc.backend_where), sc.name,
                                     backend_name, f->message));
    ev.toolchain["plan"] = plan_digest(std::get<sdk::Plan>(planned), fs::absolute(ctx_.project.dir).string(), rq.out_dir);
    ev.key = make_key(ev.inputs, ev.config, ev.toolchain);
    ev.previous = ctx_.states.load(sc.name, backend_name);
    decide(ev, force);
    return ev;
}

void Evaluator::decide(Evaluation& ev, bool force) {
    if (force) {
        ev.reason = "--force";
        ev.fast_path = consider_fast_path(ctx_, ev, force);
        return;  // a clean build: no cache either
    }
    if (!ev.previous) {
        ev.reason = "no previous build";
    } else if (ev.previous->key != ev.key.key) {
        explain_change(ev, ctx_.states);
    } else if (!output_intact(ev.previous->output)) {
        ev.reason = fmt::format("installed output {} is missing or was modified", ev.previous->output.dir.string());
    } else {
        ev.up_to_date = true;
        ev.reason = "up to date";
        ev.resmoke = ev.previous->smoke != smoke_digest(ev.sidecar->smoke);
        return;
    }
    ev.hit = ctx_.cache.find(ev.key.key.hex(), ev.sidecar->name);
    if (!ev.hit) ev.fast_path = consider_fast_path(ctx_, ev, force);
}

}  // namespace freezer

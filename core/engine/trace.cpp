// `freezer trace` (engine/trace.hpp): run, record, compare.
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/builder.hpp"
#include "engine/step_runner.hpp"
#include "engine/bundle.hpp"
#include "engine/context.hpp"
#include "engine/trace_script.hpp"
#include "process/process.hpp"
#include "process/smoke_test.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace freezer {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// What the hook wrote: the header, the modules loaded with their origin, the files read.
struct Record {
    json header;
    std::map<std::string, std::string> imported;  // module -> origin
    std::set<std::string> opened;
    std::set<std::string> statically;             // --static: reachable through import statements
};

void read_record(const fs::path& file, Record& rec) {
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) {
        const json j = json::parse(line, nullptr, false);  // a truncated last line is skipped
        if (j.is_discarded() || !j.is_object()) continue;
        if (j.contains("trace")) {
            if (rec.header.is_null()) rec.header = j;
        } else if (j.contains("origin") && j.contains("import") && j["import"].is_string() &&
                   j["origin"].is_string()) {
            // A module with no file that is no builtin is made at run time (six.moves):
            // nothing a packager could bundle.
            const bool virtual_module = j["origin"] == "other" && (!j.contains("file") || j["file"].is_null());
            if (!virtual_module) rec.imported[j["import"].get<std::string>()] = j["origin"].get<std::string>();
        } else if (j.contains("open") && j["open"].is_string()) {
            rec.opened.insert(j["open"].get<std::string>());
        } else if (j.contains("static") && j["static"].is_string()) {
            rec.statically.insert(j["static"].get<std::string>());
        } else if (j.contains("static_missing") && j["static_missing"].is_string()) {
            // Imported by a statement, though modulefinder could not follow it (a
            // namespace package): a packager sees the statement too.
            rec.statically.insert(j["static_missing"].get<std::string>());
        }
    }
}

bool under(const std::string& path, const std::string& dir) {
    return !dir.empty() && path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/';
}

bool is_code(const std::string& path) {
    for (const char* ext : {".py", ".pyc", ".pyi", ".so", ".pth"})
        if (path.size() > std::strlen(ext) && path.compare(path.size() - std::strlen(ext), std::string::npos, ext) == 0)
            return true;
    return path.find("/__pycache__/") != std::string::npos;
}

// Real paths of the folders the interpreter's distributions are installed in.
std::vector<std::string> site_dirs(const Record& rec) {
    std::vector<std::string> out;
    for (const char* key : {"purelib", "platlib"})
        if (rec.header.contains(key) && rec.header[key].is_string()) out.push_back(rec.header[key]);
    if (rec.header.contains("site_dirs") && rec.header["site_dirs"].is_array())
        for (const auto& d : rec.header["site_dirs"])
            if (d.is_string() && std::find(out.begin(), out.end(), d.get<std::string>()) == out.end())
                out.push_back(d.get<std::string>());
    return out;
}

bool within_module(const std::string& name, const std::string& of) {
    return name == of || name.rfind(of + ".", 0) == 0;
}

std::string parent_of(const std::string& module) {
    const auto dot = module.rfind('.');
    return dot == std::string::npos ? "" : module.substr(0, dot);
}

class Tracer {
public:
    Tracer(BuildContext& ctx, const config::Sidecar& sc) : sc_(sc) {
        std::error_code ec;
        root_ = fs::weakly_canonical(ctx.project.dir / sc.root, ec);
        python_ = ctx.python();
        dir_ = ctx.layout.trace_dir(sc.name);
        fs::remove_all(dir_, ec);
        fs::create_directories(dir_);
        hook_ = dir_ / "trace_hook.py";
        write_file_atomically(hook_, kTraceHookScript);
        record_ = ctx.layout.logs_dir() / (sc.name + ".trace.jsonl");
        fs::create_directories(record_.parent_path());
        fs::remove(record_, ec);
        // The smoke runner starts an executable: a wrapper that runs the app under the hook.
        wrapper_ = dir_ / sc.name;
        AtomicFile w(wrapper_, 0755);
        w.write(fmt::format("#!/bin/sh\nexec {} {} --record {} --root {} {} -- \"$@\"\n", shell_quote(python_),
                            shell_quote(hook_.string()), shell_quote(record_.string()), shell_quote(root_.string()),
                            entry_args()));
        w.commit();
    }
    ~Tracer() {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }

    TraceRun run(const config::Smoke& smoke, std::string what) {
        const auto o = run_smoke_test(smoke, wrapper_, {python_, false, {}});
        if (interrupt_requested()) throw Error(Error::Kind::cancelled, "interrupted");
        return {std::move(what), o.passed, o.message};
    }

    // modulefinder from the entry: the baseline before any build.
    std::set<std::string> static_modules() {
        ProcessSpec spec;
        const auto rec = dir_ / "static.jsonl";
        spec.argv = {python_, hook_.string(), "--record", rec.string(), "--root", root_.string()};
        if (sc_.module.empty())
            spec.argv.insert(spec.argv.end(), {"--script", (root_ / sc_.entry).string()});
        else
            spec.argv.insert(spec.argv.end(), {"--module", sc_.module});
        spec.argv.push_back("--static");
        spec.capture = true;
        spec.timeout = std::chrono::seconds(300);
        const auto r = run_process(spec);
        if (!r.ok())
            throw Error(Error::Kind::failed, fmt::format("the static import analysis of {} failed: {}{}", sc_.name,
                                                         r.describe(), r.err.empty() ? "" : "\n" + r.err));
        Record s;
        read_record(rec, s);
        return s.statically;
    }

    const fs::path& record() const { return record_; }
    const fs::path& root() const { return root_; }
    const std::string& python() const { return python_; }

private:
    std::string entry_args() const {
        if (!sc_.module.empty()) return "--module " + shell_quote(sc_.module);
        return "--script " + shell_quote((root_ / sc_.entry).string());
    }

    const config::Sidecar& sc_;
    fs::path root_, dir_, hook_, record_, wrapper_;
    std::string python_;
};

std::vector<TraceRun> run_all(Tracer& tracer, const config::Sidecar& sc, const TraceOptions& opt) {
    std::vector<TraceRun> runs;
    if (!opt.skip_smoke && (sc.smoke.run || sc.smoke.http))
        runs.push_back(tracer.run(sc.smoke, fmt::format("smoke test ({})", sc.smoke.http ? "http" : "run")));
    for (const auto& args : opt.runs) {
        config::Smoke s;
        s.run = config::RunSmoke{};
        s.run->args = args;
        s.run->timeout = std::chrono::seconds(60);
        std::string shown = "run";
        for (const auto& a : args) shown += " " + a;
        runs.push_back(tracer.run(s, shown));
    }
    for (const auto& path : opt.gets) {
        if (!sc.smoke.http)
            throw Error(Error::Kind::setup,
                        fmt::format("--get needs an HTTP smoke test to know how to start {} (smoke.http in freezer.yaml, "
                                    "with {{port}} in its args); use --run ARGS for a command-line sidecar",
                                    sc.name));
        config::Smoke s;
        s.http = *sc.smoke.http;
        s.http->path = path.empty() || path[0] != '/' ? "/" + path : path;
        s.http->expect_status = 0;  // a request to trace, not to judge: any answer will do
        runs.push_back(tracer.run(s, "GET " + s.http->path));
    }
    if (runs.empty())
        throw Error(Error::Kind::setup,
                    fmt::format("{} has no smoke test to drive it: give --run ARGS (a command-line sidecar) or --get "
                                "PATH (a server with smoke.http), or add a smoke test to freezer.yaml",
                                sc.name));
    return runs;
}

// Modules the run loaded that a bundle must provide: the interpreter's start-up and
// builtins aside, the entry itself aside (a packager bundles it as __main__), and what
// exclude_modules leaves out on purpose.
std::map<std::string, std::string> wanted_modules(const Record& rec, const config::Sidecar& sc) {
    std::set<std::string> preloaded;
    if (rec.header.contains("preloaded")) preloaded = rec.header["preloaded"].get<std::set<std::string>>();
    std::map<std::string, std::string> out;
    for (const auto& [name, origin] : rec.imported) {
        if (origin == "builtin" || origin == "frozen" || preloaded.count(name) || name == "__main__") continue;
        if (!sc.module.empty() && (within_module(sc.module, name) || name == sc.module + ".__main__")) continue;
        if (std::any_of(sc.exclude_modules.begin(), sc.exclude_modules.end(),
                        [&](const std::string& ex) { return within_module(name, ex); }))
            continue;
        out[name] = origin;
    }
    return out;
}

TraceBackend compare_with(const std::string& backend, const std::optional<json>& listing,
                          const std::optional<std::set<std::string>>& statically, const std::string& static_problem, const std::map<std::string, std::string>& wanted,
                          const Record& rec) {
    TraceBackend tb;
    tb.backend = backend;
    std::optional<BundleContents> parsed;
    if (listing) {
        try {
            parsed = BundleContents::from_json(*listing);
        } catch (const std::exception&) {
            tb.baseline = "nothing: the recorded listing of its last build is damaged; build it again (--force)";
            return tb;
        }
    }
    if (parsed) {
        const auto& contents = *parsed;
        const auto at = listing->contains("recorded_at") && (*listing)["recorded_at"].is_string()
                            ? (*listing)["recorded_at"].get<std::string>()
                            : std::string("?");
        tb.baseline = fmt::format("its last build ({})", at);
        const auto bundled = contents.modules();
        const bool has_stdlib = bundled.count("encodings") > 0;  // a .pex runs on the target's stdlib
        for (const auto& [name, origin] : wanted)
            if ((origin != "stdlib" || has_stdlib) && !bundled.count(name)) tb.missing_modules.push_back(name);
        // Files read from installed packages (package data, a distribution's metadata).
        const auto site = site_dirs(rec);
        std::set<std::string> seen;
        for (const auto& path : rec.opened) {
            for (const auto& dir : site) {
                if (!under(path, dir) || is_code(path)) continue;
                const auto rel = path.substr(dir.size() + 1);
                // importlib.metadata reads every distribution's entry points and records
                // when asked for any; only a distribution's METADATA (version()) matters.
                const auto meta = rel.find(".dist-info/");
                if (meta != std::string::npos && rel.compare(meta + 11, std::string::npos, "METADATA") != 0) continue;
                const bool there = std::any_of(contents.entries.begin(), contents.entries.end(), [&](const BundleEntry& e) {
                    return e.name == rel || (e.name.size() > rel.size() && e.name.compare(e.name.size() - rel.size(),
                                                                                       rel.size(), rel) == 0 &&
                                             e.name[e.name.size() - rel.size() - 1] == '/');
                });
                if (!there && seen.insert(rel).second) tb.missing_package_files.push_back(rel);
            }
        }
    } else {
        // Before a first build: the packager's own hooks handle third-party and standard
        // library internals, which static analysis alone would flag by the dozen, so only
        // the sidecar's own modules and packages that nothing imports are reported.
        if (!statically) {
            tb.baseline = "nothing: no bundle of it is recorded, and " + static_problem + "; build it first";
            return tb;
        }
        tb.baseline = "static import analysis: no bundle of it recorded yet; build it for an exact comparison";
        std::set<std::string> tops;
        for (const auto& m : *statically) tops.insert(m.substr(0, m.find('.')));
        for (const auto& [name, origin] : wanted) {
            if (statically->count(name)) continue;
            if (origin == "root" || (origin == "site" && !tops.count(name.substr(0, name.find('.')))))
                tb.missing_modules.push_back(name);
        }
    }
    return tb;
}

// Every backend's missing modules as freezer.yaml entries: two or more missing
// submodules of one package of the sidecar's own become collect_submodules.
void suggest_modules(TraceReport& report, const std::map<std::string, std::string>& wanted, const config::Sidecar& sc) {
    std::set<std::string> missing;
    for (const auto& b : report.backends) missing.insert(b.missing_modules.begin(), b.missing_modules.end());
    std::map<std::string, int> per_parent;
    for (const auto& m : missing) {
        const auto p = parent_of(m);
        const auto it = wanted.find(p);
        if (!p.empty() && it != wanted.end() && it->second == "root") ++per_parent[p];
    }
    std::set<std::string> collect;
    for (const auto& [p, n] : per_parent)
        if (n >= 2) collect.insert(p);
    auto known = [](const std::vector<std::string>& list, const std::string& m) {
        return std::find(list.begin(), list.end(), m) != list.end();
    };
    for (const auto& p : collect)
        if (!known(sc.collect_submodules, p)) report.collect_submodules.push_back(p);
    for (const auto& m : missing) {
        if (std::any_of(collect.begin(), collect.end(), [&](const std::string& p) { return within_module(m, p); })) continue;
        if (!known(sc.hidden_imports, m)) report.hidden_imports.push_back(m);
    }
}

void suggest_data(TraceReport& report, const Record& rec, const fs::path& root, const config::Sidecar& sc) {
    const auto base = root.string();
    // A venv inside the root is the interpreter's, not the app's data.
    auto interpreter_dirs = site_dirs(rec);
    for (const char* key : {"prefix", "base_prefix", "stdlib", "platstdlib"})
        if (rec.header.contains(key) && rec.header[key].is_string()) interpreter_dirs.push_back(rec.header[key]);
    std::vector<std::string> declared_srcs;
    for (const auto& d : sc.data) {
        auto src = fs::path(d.src).lexically_normal().generic_string();
        while (!src.empty() && src.back() == '/') src.pop_back();
        declared_srcs.push_back(src);
    }
    for (const auto& path : rec.opened) {
        if (!under(path, base) || is_code(path)) continue;
        if (std::any_of(interpreter_dirs.begin(), interpreter_dirs.end(),
                        [&](const std::string& d) { return path == d || under(path, d); }))
            continue;
        const auto rel = path.substr(base.size() + 1);
        if (rel.rfind(".freezer/", 0) == 0) continue;
        const bool declared = std::any_of(declared_srcs.begin(), declared_srcs.end(), [&](const std::string& src) {
            return src == "." || rel == src || rel.rfind(src + "/", 0) == 0;
        });
        if (declared) continue;
        const auto dest = fs::path(rel).parent_path().generic_string();
        report.data.push_back({rel, dest.empty() ? "." : dest});
    }
}

}  // namespace

TraceReport Builder::trace(const std::string& name, const TraceOptions& opt) {
    auto& ctx = *ctx_;
    const auto& sc = *select({name}).front();
    std::vector<std::string> backends = opt.backends.empty() ? std::vector<std::string>{sc.backend} : opt.backends;
    for (const auto& b : backends)
        if (!ctx.host.find(b))
            throw Error(Error::Kind::setup, fmt::format("unknown backend '{}'; known: {}", b,
                                                        fmt::join(ctx.host.names(), ", ")));

    Tracer tracer(ctx, sc);
    TraceReport report;
    report.sidecar = sc.name;
    report.python = tracer.python();
    report.record_file = tracer.record().string();
    ctx.reporter.phase(sc.name, backends.front(), Phase::smoke, "traced, unfrozen");
    report.runs = run_all(tracer, sc, opt);

    Record rec;
    read_record(tracer.record(), rec);
    if (rec.header.is_null())
        throw Error(Error::Kind::failed,
                    fmt::format("{} left no trace: its interpreter {} did not start the hook (see the runs above)",
                                sc.name, tracer.python()));
    const auto wanted = wanted_modules(rec, sc);
    report.modules_imported = wanted.size();
    for (const auto& [_, origin] : wanted) {
        report.modules_from_root += origin == "root";
        report.modules_from_packages += origin == "site";
    }
    report.files_read = rec.opened.size();

    std::optional<std::set<std::string>> statically;
    std::string static_problem;
    for (const auto& b : backends) {
        const auto listing = ctx.states.load_contents(sc.name, b);
        if (!listing && !statically && static_problem.empty()) {
            try {
                statically = tracer.static_modules();
            } catch (const Error& e) {
                if (e.kind() == Error::Kind::cancelled) throw;
                static_problem = e.what();
            }
        }
        report.backends.push_back(compare_with(b, listing, statically, static_problem, wanted, rec));
    }
    suggest_modules(report, wanted, sc);
    suggest_data(report, rec, tracer.root(), sc);
    return report;
}

}  // namespace freezer

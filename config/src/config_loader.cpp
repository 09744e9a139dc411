// freezer.yaml -> config::Project. All checks that need only the file and the file
// system live here; checks that need a backend plugin are the core's (project_check).
#include <freezer/config.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

namespace freezer::config {
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kTopKeys = {"version", "python",   "jobs",  "cache",
                                           "output",  "defaults", "sidecars", "matrix"};
const std::vector<std::string> kMatrixKeys = {"backends", "include", "exclude"};
const std::vector<std::string> kCellKeys = {"sidecar", "backend"};
const std::vector<std::string> kCacheKeys = {"dir", "max_size", "remote"};
const std::vector<std::string> kRemoteKeys = {"url", "read_only", "token_env", "timeout", "retries", "token"};
const std::vector<std::string> kOutputKeys = {"dir", "tauri"};
const std::vector<std::string> kDefaultsKeys = {"backend", "mode", "inputs", "hidden_imports",
                                                "exclude_modules", "env", "backends"};
const std::vector<std::string> kSidecarKeys = {"root",   "entry",           "module",
                                               "backend", "mode",           "inputs",
                                               "hidden_imports", "exclude_modules", "data",
                                               "env",     "backends",       "smoke"};
const std::vector<std::string> kInputsKeys = {"include", "exclude"};
const std::vector<std::string> kDataKeys = {"src", "dest"};
const std::vector<std::string> kSmokeKeys = {"run",           "expect_exit",   "expect_stdout",
                                             "expect_stderr", "timeout",       "http"};
const std::vector<std::string> kHttpKeys = {"args", "path", "expect_status", "startup_timeout",
                                            "grace"};

const std::vector<std::string> kDefaultInclude = {
    "**/*.py", "**/*.spec", "pyproject.toml", "uv.lock", "poetry.lock", "requirements*.txt"};
const std::vector<std::string> kDefaultExclude = {"build/**",  "dist/**", "**/__pycache__/**",
                                                  ".venv/**",  ".git/**", ".freezer/**"};

std::string join_path(const std::string& parent, const std::string& key) {
    return parent.empty() ? key : parent + "." + key;
}

class Reader {
public:
    Reader(std::string file, std::vector<Diagnostic>& out) : file_(std::move(file)), out_(out) {}

    Location loc(const YAML::Node& n) const {
        const auto m = n.Mark();
        if (m.is_null()) return {file_, 0, 0};
        return {file_, m.line + 1, m.column + 1};
    }
    void error(const Location& where, const std::string& path, std::string message) {
        out_.push_back({Diagnostic::Severity::error, where, path, std::move(message)});
    }
    void warning(const Location& where, const std::string& path, std::string message) {
        out_.push_back({Diagnostic::Severity::warning, where, path, std::move(message)});
    }
    const std::string& file() const { return file_; }

    // Checks `node` is a map, reports unknown and duplicate keys. False if not a map.
    bool map(const YAML::Node& node, const std::string& path,
             const std::vector<std::string>& known) {
        if (!node.IsMap()) {
            error(loc(node), path, "expected a mapping (key: value)");
            return false;
        }
        std::set<std::string> seen;
        for (const auto& kv : node) {
            const auto key = kv.first.Scalar();
            const auto key_path = join_path(path, key);
            if (!seen.insert(key).second)
                error(loc(kv.first), key_path, fmt::format("duplicate key '{}'", key));
            if (!known.empty() && std::find(known.begin(), known.end(), key) == known.end()) {
                auto hint = did_you_mean(key, known);
                error(loc(kv.first), key_path,
                      hint.empty() ? fmt::format("unknown key '{}' (expected one of: {})", key,
                                                 fmt::join(known, ", "))
                                   : fmt::format("unknown key '{}'; did you mean '{}'?", key,
                                                 hint));
            }
        }
        return true;
    }

    std::optional<std::string> string(const YAML::Node& n, const std::string& path) {
        if (!n.IsScalar()) {
            error(loc(n), path, "expected a string");
            return std::nullopt;
        }
        return n.Scalar();
    }
    std::optional<std::string> nonempty_string(const YAML::Node& n, const std::string& path) {
        auto s = string(n, path);
        if (s && s->empty()) {
            error(loc(n), path, "must not be empty");
            return std::nullopt;
        }
        return s;
    }
    std::optional<int> integer(const YAML::Node& n, const std::string& path, int lo, int hi) {
        if (n.IsScalar()) {
            const auto& s = n.Scalar();
            char* end = nullptr;
            const long v = std::strtol(s.c_str(), &end, 10);
            if (!s.empty() && *end == '\0' && v >= lo && v <= hi) return static_cast<int>(v);
        }
        error(loc(n), path, fmt::format("expected a whole number from {} to {}", lo, hi));
        return std::nullopt;
    }
    std::optional<std::chrono::milliseconds> duration(const YAML::Node& n,
                                                      const std::string& path) {
        if (n.IsScalar())
            if (auto d = parse_duration(n.Scalar())) return d;
        error(loc(n), path, "expected a duration such as 30s, 500ms or 2m");
        return std::nullopt;
    }
    std::optional<std::vector<std::string>> strings(const YAML::Node& n, const std::string& path) {
        if (!n.IsSequence()) {
            error(loc(n), path, "expected a list of strings");
            return std::nullopt;
        }
        std::vector<std::string> out;
        bool ok = true;
        for (std::size_t i = 0; i < n.size(); ++i) {
            auto s = string(n[i], fmt::format("{}[{}]", path, i));
            if (s)
                out.push_back(*s);
            else
                ok = false;
        }
        if (!ok) return std::nullopt;
        return out;
    }

    sdk::Option option(const YAML::Node& n, const std::string& path) {
        sdk::Option o;
        o.where = loc(n);
        o.path = path;
        if (n.IsNull() || !n.IsDefined()) {
            o.kind = sdk::Option::Kind::null;
        } else if (n.IsScalar()) {
            o.kind = sdk::Option::Kind::scalar;
            o.scalar = n.Scalar();
        } else if (n.IsSequence()) {
            o.kind = sdk::Option::Kind::list;
            for (std::size_t i = 0; i < n.size(); ++i)
                o.items.push_back(option(n[i], fmt::format("{}[{}]", path, i)));
        } else if (n.IsMap()) {
            o.kind = sdk::Option::Kind::map;
            for (const auto& kv : n) {
                const auto key = kv.first.Scalar();
                o.entries.emplace_back(key, option(kv.second, join_path(path, key)));
            }
        }
        return o;
    }

private:
    std::string file_;
    std::vector<Diagnostic>& out_;
};

// Fields that `defaults:` and a sidecar share.
struct Shared {
    std::optional<std::string> backend;
    Location backend_where;
    std::optional<std::string> mode;
    Location mode_where;
    std::optional<std::vector<std::string>> include, exclude;
    Location inputs_where;
    std::optional<std::vector<std::string>> hidden_imports, exclude_modules;
    std::optional<std::vector<std::pair<std::string, std::string>>> env;
    std::map<std::string, sdk::Option> backends;
};

void read_shared(Reader& r, const YAML::Node& node, const std::string& path, Shared& s) {
    for (const auto& kv : node) {
        const auto key = kv.first.Scalar();
        const auto p = join_path(path, key);
        const auto& v = kv.second;
        if (key == "backend") {
            s.backend = r.nonempty_string(v, p);
            s.backend_where = r.loc(v);
        } else if (key == "mode") {
            s.mode_where = r.loc(v);
            if (auto m = r.string(v, p)) {
                if (*m == "onefile" || *m == "onedir")
                    s.mode = *m;
                else
                    r.error(r.loc(v), p,
                            fmt::format("'{}' is not a mode: use onefile or onedir", *m));
            }
        } else if (key == "inputs") {
            s.inputs_where = r.loc(v);
            if (r.map(v, p, kInputsKeys)) {
                if (v["include"]) s.include = r.strings(v["include"], p + ".include");
                if (v["exclude"]) s.exclude = r.strings(v["exclude"], p + ".exclude");
            }
        } else if (key == "hidden_imports") {
            s.hidden_imports = r.strings(v, p);
        } else if (key == "exclude_modules") {
            s.exclude_modules = r.strings(v, p);
        } else if (key == "env") {
            if (r.map(v, p, {})) {
                std::vector<std::pair<std::string, std::string>> env;
                for (const auto& e : v)
                    if (auto val = r.string(e.second, join_path(p, e.first.Scalar())))
                        env.emplace_back(e.first.Scalar(), *val);
                std::sort(env.begin(), env.end());
                s.env = std::move(env);
            }
        } else if (key == "backends") {
            if (r.map(v, p, {}))
                for (const auto& b : v)
                    s.backends[b.first.Scalar()] = r.option(b.second, join_path(p, b.first.Scalar()));
        }
    }
}

void read_smoke(Reader& r, const YAML::Node& node, const std::string& path, Smoke& smoke) {
    smoke.where = r.loc(node);
    if (!r.map(node, path, kSmokeKeys)) return;
    const bool has_run_keys = node["run"] || node["expect_exit"] || node["expect_stdout"] ||
                              node["expect_stderr"] || node["timeout"];
    if (has_run_keys) {
        RunSmoke run;
        if (node["run"])
            if (auto a = r.strings(node["run"], path + ".run")) run.args = *a;
        if (node["expect_exit"])
            if (auto e = r.integer(node["expect_exit"], path + ".expect_exit", 0, 255))
                run.expect_exit = *e;
        if (node["expect_stdout"])
            if (auto s = r.string(node["expect_stdout"], path + ".expect_stdout"))
                run.expect_stdout = *s;
        if (node["expect_stderr"])
            if (auto s = r.string(node["expect_stderr"], path + ".expect_stderr"))
                run.expect_stderr = *s;
        if (node["timeout"])
            if (auto d = r.duration(node["timeout"], path + ".timeout")) run.timeout = *d;
        smoke.run = std::move(run);
    }
    if (const auto http = node["http"]) {
        const auto p = path + ".http";
        if (r.map(http, p, kHttpKeys)) {
            HttpSmoke h;
            if (http["args"])
                if (auto a = r.strings(http["args"], p + ".args")) h.args = *a;
            if (http["path"])
                if (auto s = r.nonempty_string(http["path"], p + ".path")) {
                    if ((*s)[0] != '/')
                        r.error(r.loc(http["path"]), p + ".path", "must start with '/'");
                    h.path = *s;
                }
            if (http["expect_status"])
                if (auto s = r.integer(http["expect_status"], p + ".expect_status", 100, 599))
                    h.expect_status = *s;
            if (http["startup_timeout"])
                if (auto d = r.duration(http["startup_timeout"], p + ".startup_timeout"))
                    h.startup_timeout = *d;
            if (http["grace"])
                if (auto d = r.duration(http["grace"], p + ".grace")) h.grace = *d;
            smoke.http = std::move(h);
        }
    }
}

bool is_relative_inside(const std::string& p) {
    if (p.empty() || p[0] == '/') return false;
    for (const auto& part : fs::path(p))
        if (part == "..") return false;
    return true;
}

void read_sidecar(Reader& r, const Project& project, const Shared& defaults,
                  const std::string& name, const YAML::Node& key, const YAML::Node& node,
                  Sidecar& sc) {
    const auto path = "sidecars." + name;
    sc.name = name;
    sc.where = r.loc(key);
    if (!valid_sidecar_name(name))
        r.error(r.loc(key), path,
                fmt::format("'{}' is not a valid sidecar name: use letters, digits, '.', '_' "
                            "and '-', starting with a letter or digit",
                            name));
    if (!r.map(node, path, kSidecarKeys)) return;

    Shared own;
    read_shared(r, node, path, own);
    sc.backend = own.backend.value_or(defaults.backend.value_or("pyinstaller"));
    sc.backend_where = own.backend ? own.backend_where : defaults.backend_where;
    if (!own.backend && !defaults.backend) sc.backend_where = sc.where;
    sc.mode = own.mode.value_or(defaults.mode.value_or("onefile"));
    if (project.tauri_dir && sc.mode == "onedir")
        r.error(own.mode ? own.mode_where : defaults.mode_where, path + ".mode",
                "output.tauri installs one file per sidecar, so this sidecar must be 'mode: onefile' "
                "(or build it outside Tauri without output.tauri)");
    sc.inputs.include = own.include.value_or(defaults.include.value_or(kDefaultInclude));
    sc.inputs.exclude = own.exclude.value_or(defaults.exclude.value_or(kDefaultExclude));
    sc.inputs.where = own.include || own.exclude ? own.inputs_where : defaults.inputs_where;
    sc.hidden_imports = own.hidden_imports.value_or(defaults.hidden_imports.value_or(
        std::vector<std::string>{}));
    sc.exclude_modules = own.exclude_modules.value_or(defaults.exclude_modules.value_or(
        std::vector<std::string>{}));
    sc.env = own.env.value_or(defaults.env.value_or(decltype(sc.env){}));
    sc.backends = defaults.backends;
    for (auto& [b, opts] : own.backends) sc.backends[b] = opts;

    if (const auto root = node["root"]) {
        sc.root_where = r.loc(root);
        if (auto s = r.nonempty_string(root, path + ".root")) {
            if (!is_relative_inside(*s))
                r.error(sc.root_where, path + ".root",
                        "must be a relative path inside the project (no '..', not absolute)");
            sc.root = *s;
        }
    } else {
        sc.root_where = sc.where;
    }
    const fs::path root_dir = project.dir / sc.root;
    std::error_code ec;
    const bool root_ok = fs::is_directory(root_dir, ec);
    if (node["root"] && !root_ok)
        r.error(sc.root_where, path + ".root",
                fmt::format("folder '{}' does not exist", root_dir.string()));

    const auto entry = node["entry"];
    const auto module = node["module"];
    if (entry && module) {
        r.error(r.loc(module), path + ".module", "give either 'entry' or 'module', not both");
    } else if (entry) {
        sc.entry_where = r.loc(entry);
        if (auto s = r.nonempty_string(entry, path + ".entry")) {
            sc.entry = *s;
            if (!is_relative_inside(*s))
                r.error(sc.entry_where, path + ".entry",
                        "must be a path relative to the sidecar's root");
            else if (root_ok && !fs::is_regular_file(root_dir / *s, ec))
                r.error(sc.entry_where, path + ".entry",
                        fmt::format("entry file '{}' does not exist", (root_dir / *s).string()));
        }
    } else if (module) {
        sc.entry_where = r.loc(module);
        if (auto s = r.nonempty_string(module, path + ".module")) {
            sc.module = *s;
            // A module must be importable from the root: a/b.py or a/b/__init__.py.
            std::string rel = *s;
            std::replace(rel.begin(), rel.end(), '.', '/');
            if (root_ok && !fs::is_regular_file(root_dir / (rel + ".py"), ec) &&
                !fs::is_regular_file(root_dir / rel / "__init__.py", ec))
                r.error(sc.entry_where, path + ".module",
                        fmt::format("module '{}' not found under '{}' (looked for {}.py and "
                                    "{}/__init__.py)",
                                    *s, root_dir.string(), rel, rel));
        }
    } else {
        r.error(sc.where, path, "missing 'entry' (a script) or 'module' (a dotted module name)");
    }

    if (const auto data = node["data"]) {
        if (!data.IsSequence()) {
            r.error(r.loc(data), path + ".data", "expected a list of {src, dest}");
        } else {
            for (std::size_t i = 0; i < data.size(); ++i) {
                const auto p = fmt::format("{}.data[{}]", path, i);
                const auto d = data[i];
                if (!r.map(d, p, kDataKeys)) continue;
                DataEntry de;
                de.where = r.loc(d);
                if (!d["src"]) {
                    r.error(de.where, p, "missing 'src'");
                    continue;
                }
                auto src = r.nonempty_string(d["src"], p + ".src");
                auto dest = d["dest"] ? r.nonempty_string(d["dest"], p + ".dest")
                                      : std::optional<std::string>(".");
                if (!src || !dest) continue;
                if (!is_relative_inside(*src)) {
                    r.error(r.loc(d["src"]), p + ".src", "must be relative to the sidecar's root");
                    continue;
                }
                if (root_ok && !fs::exists(root_dir / *src, ec))
                    r.error(r.loc(d["src"]), p + ".src",
                            fmt::format("'{}' does not exist", (root_dir / *src).string()));
                de.src = *src;
                de.dest = *dest;
                sc.data.push_back(std::move(de));
            }
        }
    }
    if (const auto smoke = node["smoke"]) read_smoke(r, smoke, path + ".smoke", sc.smoke);
}

void read_project(Reader& r, const YAML::Node& doc, Project& project) {
    if (!doc.IsDefined() || doc.IsNull()) {
        r.error({r.file(), 1, 1}, "", "the file is empty: it needs at least 'sidecars:'");
        return;
    }
    if (!r.map(doc, "", kTopKeys)) return;

    if (const auto v = doc["version"]) {
        if (auto n = r.integer(v, "version", 1, 1000); n && *n != 1)
            r.error(r.loc(v), "version",
                    fmt::format("version {} is newer than this freezer understands (1)", *n));
    }
    if (const auto v = doc["python"]) {
        if (auto s = r.nonempty_string(v, "python")) project.python = *s;
        project.python_where = r.loc(v);
    }
    if (const auto v = doc["jobs"]) {
        if (!(v.IsScalar() && v.Scalar() == "auto"))
            if (auto n = r.integer(v, "jobs", 1, 1024)) project.jobs = *n;
    }
    project.cache_dir = project.dir / ".freezer" / "cache";
    if (const auto v = doc["cache"]; v && r.map(v, "cache", kCacheKeys)) {
        if (v["dir"])
            if (auto s = r.nonempty_string(v["dir"], "cache.dir"))
                project.cache_dir = project.dir / *s;
        if (const auto m = v["max_size"]) {
            const auto size = m.IsScalar() ? parse_size(m.Scalar()) : std::nullopt;
            if (size)
                project.cache_max_size = *size;
            else
                r.error(r.loc(m), "cache.max_size", "expected a size such as 5GB, 500MB or 0 (keep nothing)");
        }
        if (const auto rm = v["remote"]; rm && r.map(rm, "cache.remote", kRemoteKeys)) {
            RemoteCache remote;
            remote.where = r.loc(rm);
            if (const auto t = rm["token"])  // a known key only so that this says what to do
                r.error(r.loc(t), "cache.remote.token",
                        "a token does not belong in freezer.yaml (it is committed); export it in an environment "
                        "variable and name that variable in cache.remote.token_env");
            if (const auto u = rm["url"]) {
                if (auto s = r.nonempty_string(u, "cache.remote.url")) {
                    if (s->rfind("http://", 0) != 0 && s->rfind("https://", 0) != 0)
                        r.error(r.loc(u), "cache.remote.url",
                                fmt::format("'{}' is not an http:// or https:// URL (a Bazel HTTP remote cache, "
                                            "e.g. http://cache.example:8080/freezer)", *s));
                    else
                        remote.url = s->back() == '/' ? s->substr(0, s->size() - 1) : *s;
                }
            } else {
                r.error(r.loc(rm), "cache.remote.url", "missing: the base URL of the remote cache");
            }
            if (const auto b = rm["read_only"]) {
                if (b.IsScalar() && (b.Scalar() == "true" || b.Scalar() == "false"))
                    remote.read_only = b.Scalar() == "true";
                else
                    r.error(r.loc(b), "cache.remote.read_only", "expected true or false");
            }
            if (const auto t = rm["token_env"]) {
                if (auto s = r.nonempty_string(t, "cache.remote.token_env")) {
                    const bool ok = std::all_of(s->begin(), s->end(), [](unsigned char c) {
                        return std::isalnum(c) || c == '_';
                    }) && !std::isdigit(static_cast<unsigned char>((*s)[0]));
                    if (ok)
                        remote.token_env = *s;
                    else
                        r.error(r.loc(t), "cache.remote.token_env",
                                fmt::format("'{}' is not an environment variable name; name the variable that "
                                            "holds the token (e.g. FREEZER_CACHE_TOKEN), never the token itself",
                                            *s));
                }
            }
            if (const auto t = rm["timeout"])
                if (auto d = r.duration(t, "cache.remote.timeout")) remote.timeout = *d;
            if (const auto n = rm["retries"])
                if (auto k = r.integer(n, "cache.remote.retries", 0, 10)) remote.retries = *k;
            if (!remote.url.empty()) project.remote_cache = remote;
        }
    }
    project.output_dir = project.dir / "dist";
    if (const auto v = doc["output"]; v && r.map(v, "output", kOutputKeys)) {
        if (v["dir"])
            if (auto s = r.nonempty_string(v["dir"], "output.dir"))
                project.output_dir = project.dir / *s;
        if (v["tauri"])
            if (auto s = r.nonempty_string(v["tauri"], "output.tauri"))
                project.tauri_dir = project.dir / *s;
    }
    project.cache_dir = project.cache_dir.lexically_normal();
    project.output_dir = project.output_dir.lexically_normal();

    if (const auto m = doc["matrix"]; m && r.map(m, "matrix", kMatrixKeys)) {
        if (m["backends"])
            if (auto b = r.strings(m["backends"], "matrix.backends")) project.matrix.backends = *b;
        for (const char* part : {"include", "exclude"}) {
            const auto list = m[part];
            if (!list) continue;
            const std::string p = std::string("matrix.") + part;
            if (!list.IsSequence()) {
                r.error(r.loc(list), p, "expected a list of {sidecar, backend}");
                continue;
            }
            for (std::size_t i = 0; i < list.size(); ++i) {
                const auto cp = fmt::format("{}[{}]", p, i);
                if (!r.map(list[i], cp, kCellKeys)) continue;
                MatrixCell cell;
                cell.where = r.loc(list[i]);
                if (list[i]["sidecar"])
                    if (auto sname = r.nonempty_string(list[i]["sidecar"], cp + ".sidecar")) cell.sidecar = *sname;
                if (list[i]["backend"])
                    if (auto b = r.nonempty_string(list[i]["backend"], cp + ".backend")) cell.backend = *b;
                if (cell.sidecar.empty() && cell.backend.empty())
                    r.error(cell.where, cp, "give 'sidecar', 'backend' or both");
                (std::string(part) == "include" ? project.matrix.include : project.matrix.exclude).push_back(cell);
            }
        }
    }

    Shared defaults;
    if (const auto v = doc["defaults"]; v && r.map(v, "defaults", kDefaultsKeys))
        read_shared(r, v, "defaults", defaults);

    const auto sidecars = doc["sidecars"];
    if (!sidecars) {
        r.error(r.loc(doc), "sidecars", "missing 'sidecars:': nothing to build");
        return;
    }
    if (!r.map(sidecars, "sidecars", {})) return;
    if (sidecars.size() == 0) r.error(r.loc(sidecars), "sidecars", "no sidecars defined");
    std::map<std::string, std::string> folded;  // lower-case name -> name
    for (const auto& kv : sidecars) {
        const auto name = kv.first.Scalar();
        std::string lower = name;
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        if (auto [it, fresh] = folded.emplace(lower, name); !fresh) {
            // Exact duplicates were reported by map(); this catches names that would
            // share dist/<name> on a case-insensitive file system (macOS, Windows).
            if (it->second != name)
                r.error(r.loc(kv.first), "sidecars." + name,
                        fmt::format("sidecar '{}' clashes with '{}': their outputs would share "
                                    "one folder on case-insensitive file systems",
                                    name, it->second));
            continue;
        }
        Sidecar sc;
        read_sidecar(r, project, defaults, name, kv.first, kv.second, sc);
        project.sidecars.push_back(std::move(sc));
    }
    std::vector<std::string> names;
    for (const auto& sc : project.sidecars) names.push_back(sc.name);
    for (const auto* cells : {&project.matrix.include, &project.matrix.exclude})
        for (const auto& c : *cells)
            if (!c.sidecar.empty() && !project.find(c.sidecar)) {
                const auto hint = did_you_mean(c.sidecar, names);
                r.error(c.where, "matrix", fmt::format("no sidecar named '{}'{}", c.sidecar,
                                                       hint.empty() ? "" : "; did you mean '" + hint + "'?"));
            }
}

}  // namespace

std::vector<MatrixCell> Project::matrix_cells() const {
    std::vector<MatrixCell> cells;
    auto add = [&](MatrixCell c) {
        if (std::find(cells.begin(), cells.end(), c) == cells.end()) cells.push_back(std::move(c));
    };
    for (const auto& sc : sidecars) {
        if (matrix.backends.empty()) add({sc.name, sc.backend, {}});
        for (const auto& b : matrix.backends) add({sc.name, b, {}});
    }
    for (const auto& inc : matrix.include) {
        if (!inc.sidecar.empty() && !inc.backend.empty()) {
            add(inc);
        } else {
            for (const auto& sc : sidecars)  // a partial include: that backend for every sidecar, or...
                if (inc.sidecar.empty() || inc.sidecar == sc.name)
                    add({sc.name, inc.backend.empty() ? sc.backend : inc.backend, {}});
        }
    }
    // Exclusions match on the keys they give (GitHub Actions' rule).
    cells.erase(std::remove_if(cells.begin(), cells.end(),
                               [&](const MatrixCell& c) {
                                   return std::any_of(matrix.exclude.begin(), matrix.exclude.end(), [&](const MatrixCell& x) {
                                       return (x.sidecar.empty() || x.sidecar == c.sidecar) &&
                                              (x.backend.empty() || x.backend == c.backend);
                                   });
                               }),
                cells.end());
    return cells;
}

const Sidecar* Project::find(const std::string& name) const {
    for (const auto& s : sidecars)
        if (s.name == name) return &s;
    return nullptr;
}

LoadResult load_project_from_string(const std::string& text, const fs::path& file) {
    LoadResult result;
    Reader r(file.string(), result.diagnostics);
    YAML::Node doc;
    try {
        doc = YAML::Load(text);
    } catch (const YAML::ParserException& e) {
        r.error({file.string(), e.mark.line + 1, e.mark.column + 1}, "",
                fmt::format("YAML syntax error: {}", e.msg));
        return result;
    }
    Project project;
    project.file = fs::absolute(file).lexically_normal();
    project.dir = project.file.parent_path();
    try {
        read_project(r, doc, project);
    } catch (const YAML::Exception& e) {
        r.error({file.string(), e.mark.line + 1, e.mark.column + 1}, "", e.msg);
    }
    std::stable_sort(result.diagnostics.begin(), result.diagnostics.end(),
                     [](const Diagnostic& a, const Diagnostic& b) {
                         return std::tie(a.where.line, a.where.column) <
                                std::tie(b.where.line, b.where.column);
                     });
    const bool failed = std::any_of(result.diagnostics.begin(), result.diagnostics.end(),
                                    [](const Diagnostic& d) {
                                        return d.severity == Diagnostic::Severity::error;
                                    });
    if (!failed) result.project = std::move(project);
    return result;
}

LoadResult load_project(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        LoadResult result;
        result.diagnostics.push_back({Diagnostic::Severity::error,
                                      {file.string(), 0, 0},
                                      "",
                                      "cannot read the file (does it exist? start from config/examples/minimal.yaml "
                                      "or pass --config FILE / -C DIR)"});
        return result;
    }
    std::ostringstream text;
    text << in.rdbuf();
    return load_project_from_string(text.str(), file);
}

std::string format_diagnostic(const Diagnostic& d) {
    std::string where = d.where.file;
    if (d.where.line > 0) where += fmt::format(":{}:{}", d.where.line, d.where.column);
    const char* sev = d.severity == Diagnostic::Severity::error ? "error" : "warning";
    if (d.path.empty()) return fmt::format("{}: {}: {}", where, sev, d.message);
    return fmt::format("{}: {}: {}: {}", where, sev, d.path, d.message);
}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
    auto distance = [](const std::string& a, const std::string& b) {
        std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
        for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
        for (std::size_t i = 1; i <= a.size(); ++i) {
            cur[0] = i;
            for (std::size_t j = 1; j <= b.size(); ++j)
                cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1,
                                   prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
            std::swap(prev, cur);
        }
        return prev[b.size()];
    };
    std::string best;
    std::size_t best_d = std::max<std::size_t>(2, word.size() / 3) + 1;
    for (const auto& c : candidates) {
        const auto d = distance(word, c);
        if (d < best_d) {
            best_d = d;
            best = c;
        }
    }
    return best;
}

std::optional<std::chrono::milliseconds> parse_duration(const std::string& text) {
    if (text.empty()) return std::nullopt;
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || v < 0) return std::nullopt;
    const std::string unit(end);
    double ms = 0;
    if (unit.empty() || unit == "s")
        ms = v * 1000;
    else if (unit == "ms")
        ms = v;
    else if (unit == "m" || unit == "min")
        ms = v * 60000;
    else if (unit == "h")
        ms = v * 3600000;
    else
        return std::nullopt;
    return std::chrono::milliseconds(static_cast<long long>(ms));
}

std::optional<std::uint64_t> parse_size(const std::string& text) {
    std::size_t i = 0;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    if (i == 0) return std::nullopt;
    char* end = nullptr;
    const std::string digits = text.substr(0, i);
    const double number = std::strtod(digits.c_str(), &end);
    if (*end != '\0' || !std::isfinite(number)) return std::nullopt;
    std::string unit;
    for (char c : text.substr(i))
        if (c != ' ') unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    static const std::map<std::string, double> units = {
        {"", 1},       {"b", 1},      {"k", 1e3},  {"kb", 1e3},  {"kib", 1024.0},       {"m", 1e6},
        {"mb", 1e6},   {"mib", 1048576.0},         {"g", 1e9},   {"gb", 1e9},           {"gib", 1073741824.0},
        {"t", 1e12},   {"tb", 1e12},  {"tib", 1099511627776.0}};
    const auto it = units.find(unit);
    if (it == units.end()) return std::nullopt;
    return static_cast<std::uint64_t>(number * it->second);
}

bool valid_sidecar_name(const std::string& name) {
    if (name.empty() || name.size() > 100 || !std::isalnum(static_cast<unsigned char>(name[0])))
        return false;
    return std::all_of(name.begin(), name.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '.' || c == '_' || c == '-';
    });
}

}  // namespace freezer::config

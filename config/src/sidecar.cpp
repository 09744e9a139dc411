// defaults: and sidecars.<name>: what a sidecar is built from, how, and how it is
// smoke-tested. Paths are checked against the file system here; a backend's own
// options are only collected (its plugin validates them, see project_check).
#include "sidecar.hpp"

#include <algorithm>
#include <regex>
#include <cctype>

#include <fmt/format.h>

#include <freezer/config_keys.hpp>

namespace freezer::config::detail {
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kDefaultInclude = {
    "**/*.py", "**/*.spec", "pyproject.toml", "uv.lock", "poetry.lock", "requirements*.txt"};
const std::vector<std::string> kDefaultExclude = {"build/**",  "dist/**", "**/__pycache__/**",
                                                  ".venv/**",  ".git/**", ".freezer/**"};

bool is_relative_inside(const std::string& p) {
    if (p.empty() || p[0] == '/') return false;
    for (const auto& part : fs::path(p))
        if (part == "..") return false;
    return true;
}

void read_mode(Reader& r, const YAML::Node& v, const std::string& p, Shared& s) {
    s.mode_where = r.loc(v);
    if (auto m = r.string(v, p)) {
        if (*m == "onefile" || *m == "onedir")
            s.mode = *m;
        else
            r.error(r.loc(v), p, fmt::format("'{}' is not a mode: use onefile or onedir", *m));
    }
}

// "app.services": identifiers joined by dots, as `import` takes them; a path or a
// glob here would reach the packager's command line and fail there, far from the file.
bool is_dotted_module(const std::string& s) {
    bool start = true;
    for (unsigned char c : s) {
        if (c == '.') {
            if (start) return false;
            start = true;
        } else if (std::isalpha(c) || c == '_' || (!start && std::isdigit(c))) {
            start = false;
        } else {
            return false;
        }
    }
    return !start;
}

std::optional<std::vector<std::string>> read_modules(Reader& r, const YAML::Node& v, const std::string& p) {
    auto names = r.strings(v, p);
    if (!names) return std::nullopt;
    bool ok = true;
    for (std::size_t i = 0; i < names->size(); ++i)
        if (!is_dotted_module((*names)[i])) {
            r.error(r.loc(v[i]), fmt::format("{}[{}]", p, i),
                    fmt::format("'{}' is not a dotted module name (like app.services)", (*names)[i]));
            ok = false;
        }
    if (!ok) return std::nullopt;
    return names;
}

void read_env(Reader& r, const YAML::Node& v, const std::string& p, Shared& s) {
    if (!r.map(v, p, {})) return;
    std::vector<std::pair<std::string, std::string>> env;
    for (const auto& e : v)
        if (auto val = r.string(e.second, join_path(p, e.first.Scalar()))) env.emplace_back(e.first.Scalar(), *val);
    std::sort(env.begin(), env.end());
    s.env = std::move(env);
}

void read_run_smoke(Reader& r, const YAML::Node& node, const std::string& path, Smoke& smoke) {
    RunSmoke run;
    if (node["run"])
        if (auto a = r.strings(node["run"], path + ".run")) run.args = *a;
    if (node["expect_exit"])
        if (auto e = r.integer(node["expect_exit"], path + ".expect_exit", 0, 255)) run.expect_exit = *e;
    if (node["expect_stdout"])
        if (auto s = r.string(node["expect_stdout"], path + ".expect_stdout")) run.expect_stdout = *s;
    if (node["expect_stderr"])
        if (auto s = r.string(node["expect_stderr"], path + ".expect_stderr")) run.expect_stderr = *s;
    if (node["timeout"])
        if (auto d = r.duration(node["timeout"], path + ".timeout")) run.timeout = *d;
    smoke.run = std::move(run);
}

// A path to GET: it must start with '/'.
std::optional<std::string> read_http_path(Reader& r, const YAML::Node& n, const std::string& p) {
    auto s = r.nonempty_string(n, p);
    if (s && (*s)[0] != '/') {
        r.error(r.loc(n), p, "must start with '/'");
        return std::nullopt;
    }
    return s;
}

std::optional<std::string> read_body_regex(Reader& r, const YAML::Node& n, const std::string& p) {
    auto s = r.string(n, p);
    if (!s) return std::nullopt;
    try {
        std::regex check(*s);
    } catch (const std::regex_error& e) {
        r.error(r.loc(n), p, fmt::format("invalid regex: {}", e.what()));
        return std::nullopt;
    }
    return s;
}

// expect_json: {dotted.path: value}: scalars, kept as their text.
std::vector<std::pair<std::string, std::string>> read_expect_json(Reader& r, const YAML::Node& n,
                                                                  const std::string& p) {
    std::vector<std::pair<std::string, std::string>> out;
    if (!r.map(n, p, {})) return out;
    for (const auto& f : n) {
        const auto field = f.first.Scalar();
        if (field.empty() || field.front() == '.' || field.back() == '.' || field.find("..") != std::string::npos)
            r.error(r.loc(f.first), join_path(p, field), "expected a dotted path to a field, such as data.items.0.id");
        else if (f.second.IsScalar())
            out.emplace_back(field, f.second.Scalar());
        else
            r.error(r.loc(f.second), join_path(p, field),
                    "expected the value the field must have (a string, number, true, false or null)");
    }
    return out;
}

void read_http_smoke(Reader& r, const YAML::Node& http, const std::string& p, Smoke& smoke) {
    if (!r.map(http, p, keys_of("sidecars.*.smoke.http"))) return;
    HttpSmoke h;
    if (http["args"])
        if (auto a = r.strings(http["args"], p + ".args")) h.args = *a;
    if (http["path"])
        if (auto s = read_http_path(r, http["path"], p + ".path")) h.path = *s;
    if (http["expect_status"])
        if (auto s = r.integer(http["expect_status"], p + ".expect_status", 100, 599)) h.expect_status = *s;
    if (http["port"])
        if (auto n = r.integer(http["port"], p + ".port", 1, 65535)) h.port = *n;
    if (const auto env = http["env"]; env && r.map(env, p + ".env", {})) {
        for (const auto& e : env)
            if (auto val = r.string(e.second, join_path(p + ".env", e.first.Scalar())))
                h.env.emplace_back(e.first.Scalar(), *val);
        std::sort(h.env.begin(), h.env.end());
    }
    if (http["expect_body"])
        if (auto s = read_body_regex(r, http["expect_body"], p + ".expect_body")) h.expect_body = *s;
    if (http["expect_json"]) h.expect_json = read_expect_json(r, http["expect_json"], p + ".expect_json");
    if (const auto list = http["endpoints"]) {
        if (!list.IsSequence()) r.error(r.loc(list), p + ".endpoints", "expected a list of {path, expect_status, ...}");
        for (std::size_t i = 0; list.IsSequence() && i < list.size(); ++i) {
            const auto e = list[i];
            const auto ep = fmt::format("{}.endpoints[{}]", p, i);
            if (!r.map(e, ep, keys_of("sidecars.*.smoke.http.endpoints[]"))) continue;
            HttpCheck c;
            if (!e["path"]) {
                r.error(r.loc(e), ep, "missing 'path'");
                continue;
            }
            if (auto s = read_http_path(r, e["path"], ep + ".path")) c.path = *s;
            if (e["expect_status"])
                if (auto n = r.integer(e["expect_status"], ep + ".expect_status", 100, 599)) c.expect_status = *n;
            if (e["expect_body"])
                if (auto s = read_body_regex(r, e["expect_body"], ep + ".expect_body")) c.expect_body = *s;
            if (e["expect_json"]) c.expect_json = read_expect_json(r, e["expect_json"], ep + ".expect_json");
            h.endpoints.push_back(std::move(c));
        }
    }
    if (http["startup_timeout"])
        if (auto d = r.duration(http["startup_timeout"], p + ".startup_timeout")) h.startup_timeout = *d;
    if (http["grace"])
        if (auto d = r.duration(http["grace"], p + ".grace")) h.grace = *d;
    // A server told no port probes a port it does not listen on, for the whole
    // startup_timeout: say so now.
    const auto names_port = [](const std::string& v) { return v.find("{port}") != std::string::npos; };
    const bool passed = std::any_of(h.args.begin(), h.args.end(), names_port) ||
                        std::any_of(h.env.begin(), h.env.end(), [&](const auto& kv) { return names_port(kv.second); });
    if (!passed && !h.port)
        r.warning(r.loc(http), p,
                  "the server is given no port: freezer probes a free port it does not know of; pass it with "
                  "\"{port}\" in args (args: [\"--port\", \"{port}\"]) or env (env: {PORT: \"{port}\"}), or set "
                  "port: to the port the server always listens on");
    smoke.http = std::move(h);
}

void read_smoke(Reader& r, const YAML::Node& node, const std::string& path, Smoke& smoke) {
    smoke.where = r.loc(node);
    if (!r.map(node, path, keys_of("sidecars.*.smoke"))) return;
    if (node["run"] || node["expect_exit"] || node["expect_stdout"] || node["expect_stderr"] || node["timeout"])
        read_run_smoke(r, node, path, smoke);
    if (const auto http = node["http"]) read_http_smoke(r, http, path + ".http", smoke);
    if (node["untested"])
        if (auto why = r.nonempty_string(node["untested"], path + ".untested")) {
            if (smoke.run || smoke.http)
                r.error(r.loc(node["untested"]), path + ".untested",
                        "a sidecar with a smoke test is not untested: drop one or the other");
            smoke.untested = *why;
        }
}

// Each setting from the sidecar, else from defaults:, else freezer's default.
void merge_shared(Reader& r, const Project& project, const Shared& defaults, const Shared& own,
                  const std::string& path, Sidecar& sc) {
    sc.backend = own.backend.value_or(defaults.backend.value_or("pyinstaller"));
    sc.backend_where = own.backend ? own.backend_where : defaults.backend_where;
    if (!own.backend && !defaults.backend) sc.backend_where = sc.where;
    sc.mode = own.mode.value_or(defaults.mode.value_or("onefile"));
    sc.mode_where = own.mode ? own.mode_where : defaults.mode ? defaults.mode_where : sc.where;
    if (project.tauri_dir && sc.mode == "onedir")
        r.error(own.mode ? own.mode_where : defaults.mode_where, path + ".mode",
                "output.tauri installs one file per sidecar, so this sidecar must be 'mode: onefile' "
                "(or build it outside Tauri without output.tauri)");
    sc.inputs.include = own.include.value_or(defaults.include.value_or(kDefaultInclude));
    sc.inputs.exclude = own.exclude.value_or(defaults.exclude.value_or(kDefaultExclude));
    sc.inputs.where = own.include || own.exclude ? own.inputs_where : defaults.inputs_where;
    sc.hidden_imports = own.hidden_imports.value_or(defaults.hidden_imports.value_or(std::vector<std::string>{}));
    sc.collect_submodules =
        own.collect_submodules.value_or(defaults.collect_submodules.value_or(std::vector<std::string>{}));
    sc.exclude_modules = own.exclude_modules.value_or(defaults.exclude_modules.value_or(std::vector<std::string>{}));
    sc.env = own.env.value_or(defaults.env.value_or(decltype(sc.env){}));
    sc.max_size = own.max_size ? own.max_size : defaults.max_size;
    sc.max_size_where = own.max_size ? own.max_size_where : defaults.max_size_where;
    // Each timeout on its own: a sidecar that sets timeouts.network keeps defaults' step.
    sc.timeouts.step = own.step_timeout.value_or(defaults.step_timeout.value_or(sc.timeouts.step));
    sc.timeouts.network = own.network_timeout.value_or(defaults.network_timeout.value_or(sc.timeouts.network));
    for (const auto& [b, opts] : defaults.backends)
        if (!own.backends.count(b) && r.copied(opts, path + ".backends." + b)) sc.backends[b] = opts;
    for (auto& [b, opts] : own.backends) sc.backends[b] = opts;
}

// sidecars.<name>.root; true when the folder exists.
bool read_root(Reader& r, const YAML::Node& node, const std::string& path, const fs::path& project_dir,
               Sidecar& sc) {
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
    const fs::path root_dir = project_dir / sc.root;
    std::error_code ec;
    const bool root_ok = fs::is_directory(root_dir, ec);
    if (node["root"] && !root_ok) {
        if (fs::exists(root_dir, ec))
            r.error(sc.root_where, path + ".root",
                    fmt::format("'{}' is a file; root is the folder that holds the sidecar's sources (put the "
                                "file's name in 'entry:')",
                                root_dir.string()));
        else
            r.error(sc.root_where, path + ".root", fmt::format("folder '{}' does not exist", root_dir.string()));
    }
    return root_ok;
}

void read_module(Reader& r, const YAML::Node& module, const std::string& path, const fs::path& root_dir,
                 bool root_ok, Sidecar& sc) {
    sc.entry_where = r.loc(module);
    auto s = r.nonempty_string(module, path + ".module");
    if (!s) return;
    sc.module = *s;
    // A module must be importable from the root: a/b.py or a/b/__init__.py.
    std::string rel = *s;
    std::replace(rel.begin(), rel.end(), '.', '/');
    std::error_code ec;
    if (root_ok && !fs::is_regular_file(root_dir / (rel + ".py"), ec) &&
        !fs::is_regular_file(root_dir / rel / "__init__.py", ec))
        r.error(sc.entry_where, path + ".module",
                fmt::format("module '{}' not found under '{}' (looked for {}.py and {}/__init__.py)", *s,
                            root_dir.string(), rel, rel));
}

void read_entry(Reader& r, const YAML::Node& node, const std::string& path, const fs::path& root_dir,
                bool root_ok, Sidecar& sc) {
    const auto entry = node["entry"];
    const auto module = node["module"];
    if (entry && module) {
        r.error(r.loc(module), path + ".module", "give either 'entry' or 'module', not both");
    } else if (entry) {
        sc.entry_where = r.loc(entry);
        if (auto s = r.nonempty_string(entry, path + ".entry")) {
            sc.entry = *s;
            std::error_code ec;
            if (!is_relative_inside(*s))
                r.error(sc.entry_where, path + ".entry", "must be a path relative to the sidecar's root");
            else if (root_ok && !fs::is_regular_file(root_dir / *s, ec))
                r.error(sc.entry_where, path + ".entry",
                        fmt::format("entry file '{}' does not exist", (root_dir / *s).string()));
        }
    } else if (module) {
        read_module(r, module, path, root_dir, root_ok, sc);
    } else {
        r.error(sc.where, path, "missing 'entry' (a script) or 'module' (a dotted module name)");
    }
}

// One item of sidecars.<name>.data; nothing when it has an error.
std::optional<DataEntry> read_data_entry(Reader& r, const YAML::Node& d, const std::string& p,
                                         const fs::path& root_dir, bool root_ok) {
    if (!r.map(d, p, keys_of("sidecars.*.data[]"))) return std::nullopt;
    DataEntry de;
    de.where = r.loc(d);
    if (!d["src"]) {
        r.error(de.where, p, "missing 'src'");
        return std::nullopt;
    }
    auto src = r.nonempty_string(d["src"], p + ".src");
    auto dest = d["dest"] ? r.nonempty_string(d["dest"], p + ".dest") : std::optional<std::string>(".");
    if (!src || !dest) return std::nullopt;
    if (!is_relative_inside(*src)) {
        r.error(r.loc(d["src"]), p + ".src", "must be relative to the sidecar's root");
        return std::nullopt;
    }
    std::error_code ec;
    if (root_ok && !fs::exists(root_dir / *src, ec))
        r.error(r.loc(d["src"]), p + ".src", fmt::format("'{}' does not exist", (root_dir / *src).string()));
    de.src = *src;
    de.dest = *dest;
    return de;
}

void read_data(Reader& r, const YAML::Node& data, const std::string& path, const fs::path& root_dir,
               bool root_ok, Sidecar& sc) {
    if (!data.IsSequence()) {
        r.error(r.loc(data), path + ".data", "expected a list of {src, dest}");
        return;
    }
    for (std::size_t i = 0; i < data.size(); ++i)
        if (auto de = read_data_entry(r, data[i], fmt::format("{}.data[{}]", path, i), root_dir, root_ok))
            sc.data.push_back(std::move(*de));
}

}  // namespace

void read_shared(Reader& r, const YAML::Node& node, const std::string& path, std::string_view section, Shared& s) {
    for (const auto& kv : node) {
        const auto key = kv.first.Scalar();
        const auto p = join_path(path, key);
        const auto& v = kv.second;
        if (key == "backend") {
            s.backend = r.nonempty_string(v, p);
            s.backend_where = r.loc(v);
        } else if (key == "mode") {
            read_mode(r, v, p, s);
        } else if (key == "inputs") {
            s.inputs_where = r.loc(v);
            if (r.map(v, p, keys_of(fmt::format("{}.inputs", section)))) {
                if (v["include"]) s.include = r.strings(v["include"], p + ".include");
                if (v["exclude"]) s.exclude = r.strings(v["exclude"], p + ".exclude");
            }
        } else if (key == "hidden_imports") {
            s.hidden_imports = r.strings(v, p);
        } else if (key == "collect_submodules") {
            s.collect_submodules = read_modules(r, v, p);
        } else if (key == "exclude_modules") {
            s.exclude_modules = r.strings(v, p);
        } else if (key == "env") {
            read_env(r, v, p, s);
        } else if (key == "max_size") {
            s.max_size_where = r.loc(v);
            const auto size = v.IsScalar() ? parse_size(v.Scalar()) : std::nullopt;
            if (size && *size > 0)
                s.max_size = *size;
            else
                r.error(s.max_size_where, p, "expected a size such as 100MB or 1.5GB");
        } else if (key == "timeouts") {
            if (r.map(v, p, keys_of(fmt::format("{}.timeouts", section)))) {
                if (v["step"]) s.step_timeout = r.duration(v["step"], p + ".step");
                if (v["network"]) s.network_timeout = r.duration(v["network"], p + ".network");
            }
        } else if (key == "backends") {
            if (r.map(v, p, {}))
                for (const auto& b : v)
                    s.backends[b.first.Scalar()] = r.option(b.second, join_path(p, b.first.Scalar()));
        }
    }
}

void read_sidecar(Reader& r, const Project& project, const Shared& defaults, const std::string& name,
                  const YAML::Node& key, const YAML::Node& node, Sidecar& sc) {
    const auto path = "sidecars." + name;
    sc.name = name;
    sc.where = r.loc(key);
    if (!valid_sidecar_name(name))
        r.error(r.loc(key), path,
                fmt::format("'{}' is not a valid sidecar name: use letters, digits, '.', '_' "
                            "and '-', starting with a letter or digit",
                            name));
    if (!r.map(node, path, keys_of("sidecars.*"))) return;

    Shared own;
    read_shared(r, node, path, "sidecars.*", own);
    merge_shared(r, project, defaults, own, path, sc);
    const bool root_ok = read_root(r, node, path, project.dir, sc);
    const fs::path root_dir = project.dir / sc.root;
    read_entry(r, node, path, root_dir, root_ok, sc);
    if (const auto data = node["data"]) read_data(r, data, path, root_dir, root_ok, sc);
    if (const auto smoke = node["smoke"]) read_smoke(r, smoke, path + ".smoke", sc.smoke);
}

}  // namespace freezer::config::detail

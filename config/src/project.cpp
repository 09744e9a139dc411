// freezer.yaml -> config::Project. All checks that need only the file and the file
// system live here (sidecars in sidecar.cpp); checks that need a backend plugin are the
// core's (project_check).
#include <freezer/config.hpp>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include <freezer/config_keys.hpp>

#include "reader.hpp"
#include "sidecar.hpp"

namespace freezer::config {
namespace fs = std::filesystem;

namespace {

using detail::Reader;

void read_top_values(Reader& r, const YAML::Node& doc, Project& project) {
    if (const auto v = doc["version"]) {
        if (auto n = r.integer(v, "version", 1, 1000); n && *n != 1)
            r.error(r.loc(v), "version", fmt::format("version {} is newer than this freezer understands (1)", *n));
    }
    if (const auto v = doc["python"]) {
        if (auto s = r.nonempty_string(v, "python")) project.python = *s;
        project.python_where = r.loc(v);
    }
    if (const auto v = doc["jobs"]) {
        if (!(v.IsScalar() && v.Scalar() == "auto"))
            if (auto n = r.integer(v, "jobs", 1, 1024)) project.jobs = *n;
    }
}

void read_token_env(Reader& r, const YAML::Node& t, RemoteCache& remote) {
    auto s = r.nonempty_string(t, "cache.remote.token_env");
    if (!s) return;
    const bool ok = std::all_of(s->begin(), s->end(), [](unsigned char c) { return std::isalnum(c) || c == '_'; }) &&
                    !std::isdigit(static_cast<unsigned char>((*s)[0]));
    if (ok)
        remote.token_env = *s;
    else
        r.error(r.loc(t), "cache.remote.token_env",
                fmt::format("'{}' is not an environment variable name; name the variable that "
                            "holds the token (e.g. FREEZER_CACHE_TOKEN), never the token itself",
                            *s));
}

// cache.remote; `rm` is already checked to be a map of known keys.
void read_remote(Reader& r, const YAML::Node& rm, Project& project) {
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
    if (const auto t = rm["token_env"]) read_token_env(r, t, remote);
    if (const auto t = rm["timeout"])
        if (auto d = r.duration(t, "cache.remote.timeout")) remote.timeout = *d;
    if (const auto n = rm["retries"])
        if (auto k = r.integer(n, "cache.remote.retries", 0, 10)) remote.retries = *k;
    if (!remote.url.empty()) project.remote_cache = remote;
}

void read_cache_and_output(Reader& r, const YAML::Node& doc, Project& project) {
    project.cache_dir = project.dir / ".freezer" / "cache";
    if (const auto v = doc["cache"]; v && r.map(v, "cache", keys_of("cache"))) {
        if (v["dir"])
            if (auto s = r.nonempty_string(v["dir"], "cache.dir")) project.cache_dir = project.dir / *s;
        if (const auto m = v["max_size"]) {
            const auto size = m.IsScalar() ? parse_size(m.Scalar()) : std::nullopt;
            if (size)
                project.cache_max_size = *size;
            else
                r.error(r.loc(m), "cache.max_size", "expected a size such as 5GB, 500MB or 0 (keep nothing)");
        }
        if (const auto rm = v["remote"]; rm && r.map(rm, "cache.remote", keys_of("cache.remote")))
            read_remote(r, rm, project);
    }
    project.output_dir = project.dir / "dist";
    if (const auto v = doc["output"]; v && r.map(v, "output", keys_of("output"))) {
        if (v["dir"])
            if (auto s = r.nonempty_string(v["dir"], "output.dir")) project.output_dir = project.dir / *s;
        if (v["tauri"])
            if (auto s = r.nonempty_string(v["tauri"], "output.tauri")) project.tauri_dir = project.dir / *s;
    }
    project.cache_dir = project.cache_dir.lexically_normal();
    project.output_dir = project.output_dir.lexically_normal();
}

void read_matrix(Reader& r, const YAML::Node& m, Project& project) {
    if (m["backends"]) {
        project.matrix.backends_where = r.loc(m["backends"]);
        if (auto b = r.strings(m["backends"], "matrix.backends")) project.matrix.backends = *b;
    }
    for (const std::string part : {"include", "exclude"}) {
        const auto list = m[part];
        if (!list) continue;
        const std::string p = "matrix." + part;
        if (!list.IsSequence()) {
            r.error(r.loc(list), p, "expected a list of {sidecar, backend}");
            continue;
        }
        const auto known = keys_of(p + "[]");
        for (std::size_t i = 0; i < list.size(); ++i) {
            const auto cp = fmt::format("{}[{}]", p, i);
            if (!r.map(list[i], cp, known)) continue;
            MatrixCell cell;
            cell.where = r.loc(list[i]);
            if (list[i]["sidecar"])
                if (auto sname = r.nonempty_string(list[i]["sidecar"], cp + ".sidecar")) cell.sidecar = *sname;
            if (list[i]["backend"])
                if (auto b = r.nonempty_string(list[i]["backend"], cp + ".backend")) cell.backend = *b;
            if (cell.sidecar.empty() && cell.backend.empty()) r.error(cell.where, cp, "give 'sidecar', 'backend' or both");
            (part == "include" ? project.matrix.include : project.matrix.exclude).push_back(cell);
        }
    }
}

// False when `sidecars:` is not a map (then nothing after it is checked).
bool read_sidecars(Reader& r, const YAML::Node& sidecars, const detail::Shared& defaults, Project& project) {
    if (!r.map(sidecars, "sidecars", {})) return false;
    if (sidecars.size() == 0) r.error(r.loc(sidecars), "sidecars", "no sidecars defined");
    std::map<std::string, std::string> folded;  // lower-case name -> name
    for (const auto& kv : sidecars) {
        const auto name = kv.first.Scalar();
        std::string lower = name;
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
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
        const auto errors_before = r.errors();
        detail::read_sidecar(r, project, defaults, name, kv.first, kv.second, sc);
        if (r.errors() != errors_before) r.broken_sidecars.push_back(name);
        project.sidecars.push_back(std::move(sc));
    }
    return true;
}

// After the sidecars: matrix cells may name only sidecars that exist.
void check_matrix_sidecars(Reader& r, const Project& project) {
    std::vector<std::string> names;
    for (const auto& sc : project.sidecars) names.push_back(sc.name);
    for (const auto* cells : {&project.matrix.include, &project.matrix.exclude})
        for (const auto& c : *cells)
            if (!c.sidecar.empty() && !project.find(c.sidecar)) {
                const auto hint = did_you_mean(c.sidecar, names);
                r.error(c.where, "matrix",
                        fmt::format("no sidecar named '{}'{}", c.sidecar,
                                    hint.empty() ? "" : "; did you mean '" + hint + "'?"));
            }
}

void read_project(Reader& r, const YAML::Node& doc, Project& project) {
    if (!doc.IsDefined() || doc.IsNull()) {
        r.error({r.file(), 1, 1}, "", "the file is empty: it needs at least 'sidecars:'");
        return;
    }
    if (!r.map(doc, "", keys_of(""))) return;
    read_top_values(r, doc, project);
    read_cache_and_output(r, doc, project);
    if (const auto m = doc["matrix"]; m && r.map(m, "matrix", keys_of("matrix"))) read_matrix(r, m, project);
    // dev_only is optional: the node of a missing key throws when it is read.
    if (const auto a = doc["audit"]; a && r.map(a, "audit", keys_of("audit")) && a["dev_only"])
        if (auto d = r.strings(a["dev_only"], "audit.dev_only")) project.audit_dev_only = *d;

    detail::Shared defaults;
    if (const auto v = doc["defaults"]; v && r.map(v, "defaults", keys_of("defaults")))
        detail::read_shared(r, v, "defaults", "defaults", defaults);

    const auto sidecars = doc["sidecars"];
    if (!sidecars) {
        r.error(r.loc(doc), "sidecars", "missing 'sidecars:': nothing to build");
        return;
    }
    if (read_sidecars(r, sidecars, defaults, project)) check_matrix_sidecars(r, project);
}

}  // namespace

std::vector<MatrixCell> Project::matrix_cells() const {
    std::vector<MatrixCell> cells;
    std::set<std::pair<std::string, std::string>> seen;  // a scan per cell was quadratic
    auto add = [&](MatrixCell c) {
        if (seen.insert({c.sidecar, c.backend}).second) cells.push_back(std::move(c));
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
    const auto excluded = [&](const MatrixCell& c) {
        return std::any_of(matrix.exclude.begin(), matrix.exclude.end(), [&](const MatrixCell& x) {
            return (x.sidecar.empty() || x.sidecar == c.sidecar) && (x.backend.empty() || x.backend == c.backend);
        });
    };
    cells.erase(std::remove_if(cells.begin(), cells.end(), excluded), cells.end());
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
        r.error({file.string(), e.mark.line + 1, e.mark.column + 1}, "", fmt::format("YAML syntax error: {}", e.msg));
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
    std::stable_sort(result.diagnostics.begin(), result.diagnostics.end(), [](const Diagnostic& a, const Diagnostic& b) {
        return std::tie(a.where.line, a.where.column) < std::tie(b.where.line, b.where.column);
    });
    const bool failed = std::any_of(result.diagnostics.begin(), result.diagnostics.end(),
                                    [](const Diagnostic& d) { return d.severity == Diagnostic::Severity::error; });
    if (!failed) {
        result.project = std::move(project);
    } else {
        // The best-effort project: every sidecar that read without an error of its own.
        auto& sc = project.sidecars;
        sc.erase(std::remove_if(sc.begin(), sc.end(),
                                [&](const Sidecar& s) {
                                    return std::find(r.broken_sidecars.begin(), r.broken_sidecars.end(), s.name) !=
                                           r.broken_sidecars.end();
                                }),
                 sc.end());
        result.partial = std::move(project);
    }
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

}  // namespace freezer::config

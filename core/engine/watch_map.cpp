#include "engine/watch_map.hpp"

#include <algorithm>

#include "engine/builder.hpp"
#include "engine/layout.hpp"

namespace freezer {
namespace fs = std::filesystem;

namespace {

// Normalized, without a trailing separator ("/p/." is "/p", not "/p/").
fs::path normal(const fs::path& p) {
    auto n = p.lexically_normal();
    if (!n.has_filename() && n != n.root_path()) n = n.parent_path();
    return n;
}

// "api/", "./api", "." -> "api", "api", "".
std::string normal_relative(const std::string& p) {
    auto s = normal(p).generic_string();
    return s == "." ? "" : s;
}

// `path` relative to `dir` when it is `dir` ("") or below it; both relative and normalized.
std::optional<std::string> below(const std::string& path, const std::string& dir) {
    if (dir.empty()) return path;
    if (path == dir) return std::string();
    if (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/')
        return path.substr(dir.size() + 1);
    return std::nullopt;
}

// A relative path that leads out of the folder it is relative to.
bool outside(const std::string& rel) { return rel.empty() || rel == ".." || rel.rfind("../", 0) == 0; }

// One of `a` and `b` is the other or below it.
bool related(const std::string& a, const std::string& b) { return below(a, b) || below(b, a); }

// Whether `pattern` can match a path below the folder `dir` (relative to the same root):
// its segments, as far as the folder's go, match the folder's ("app/**" and "**/*.py" can
// hold files below "app/x"; "shared/*.py" cannot).
bool may_match_below(const std::string& pattern, const std::string& dir) {
    std::vector<std::string_view> pat, folder;
    split_path(pattern, pat);
    split_path(dir, folder);
    for (std::size_t i = 0; i < folder.size(); ++i) {
        if (i >= pat.size()) return false;
        if (pat[i] == "**") return true;
        if (!Glob(std::string(pat[i])).matches(folder[i])) return false;
    }
    return folder.size() < pat.size();
}

}  // namespace

WatchMap::WatchMap(const config::Project& project, const std::vector<std::string>& sidecars)
    : dir_(normal(project.dir)), config_(normal(project.file)) {
    std::vector<const config::Sidecar*> chosen;
    if (sidecars.empty()) {
        for (const auto& sc : project.sidecars) chosen.push_back(&sc);
    } else {
        for (const auto& name : sidecars)
            if (!project.find(name)) throw no_such_sidecar(project, name);
        for (const auto& sc : project.sidecars)
            if (std::find(sidecars.begin(), sidecars.end(), sc.name) != sidecars.end()) chosen.push_back(&sc);
    }
    for (const auto* sc : chosen) {
        Watched w{sc->name, normal_relative(sc->root), GlobSet(sc->inputs.include), GlobSet(sc->inputs.exclude), {}};
        if (!sc->entry.empty()) w.named.push_back(normal_relative(sc->entry));
        for (const auto& d : sc->data) w.named.push_back(normal_relative(d.src));
        names_.push_back(sc->name);
        watched_.push_back(std::move(w));
    }

    // freezer's own writes must never start a build: a build that wrote into a watched
    // folder would trigger the next one, forever.
    const Layout layout(project);
    skip_paths_ = {normal(layout.freezer_dir()), normal(layout.output_dir()), normal(project.cache_dir)};
    if (project.tauri_dir) skip_paths_.push_back(normal(*project.tauri_dir));
    // The interpreter's venv (python: .venv/bin/python): pip writes thousands of files there.
    if (project.python.find('/') != std::string::npos) {
        const auto python = normal(dir_ / project.python);
        if (python.parent_path().filename() == "bin") skip_paths_.push_back(python.parent_path().parent_path());
    }
    // Only those inside the tree matter; one that holds the whole project would hide it.
    skip_paths_.erase(std::remove_if(skip_paths_.begin(), skip_paths_.end(),
                                     [&](const fs::path& p) {
                                         const auto rel = p.lexically_relative(dir_).generic_string();
                                         return rel == "." || outside(rel);
                                     }),
                      skip_paths_.end());
}

std::optional<std::string> WatchMap::relative(const fs::path& path) const {
    const auto rel = normal(path).lexically_relative(dir_).generic_string();
    if (rel == ".") return std::string();
    if (outside(rel)) return std::nullopt;
    std::vector<std::string_view> segments;
    split_path(rel, segments);
    for (const auto& s : segments)
        if (std::find(kWatchSkipNames.begin(), kWatchSkipNames.end(), s) != kWatchSkipNames.end()) return std::nullopt;
    for (const auto& p : skip_paths_)
        if (below(rel, p.lexically_relative(dir_).generic_string())) return std::nullopt;
    return rel;
}

bool WatchMap::enter(const fs::path& dir) const {
    const auto rel = relative(dir);
    if (!rel) return false;
    for (const auto& w : watched_) {
        if (below(w.root, *rel)) return true;  // the root, or a folder on the way to it
        const auto sub = below(*rel, w.root);
        if (!sub) continue;
        if (!w.exclude.covers_dir(*sub) &&
            std::any_of(w.include.globs().begin(), w.include.globs().end(),
                        [&](const Glob& g) { return may_match_below(g.pattern(), *sub); }))
            return true;
        for (const auto& n : w.named)
            if (related(n, *sub)) return true;  // a data folder the excludes cover is still an input
    }
    return false;
}

WatchFilter WatchMap::filter() const {
    WatchFilter f;
    f.skip_names = kWatchSkipNames;
    f.skip_paths = skip_paths_;
    // A copy: the watcher keeps its filter for the folders created later.
    f.enter = [self = *this](const fs::path& dir) { return self.enter(dir); };
    return f;
}

bool WatchMap::is_config(const fs::path& path) const { return normal(path) == config_; }

std::vector<std::string> WatchMap::affected(const fs::path& path, bool is_dir) const {
    std::vector<std::string> out;
    const auto rel = relative(path);
    if (!rel || rel->empty()) return out;
    for (const auto& w : watched_) {
        const auto sub = below(*rel, w.root);
        if (!sub) {
            // The root itself, or a folder holding it, removed or moved away.
            if (is_dir && below(w.root, *rel)) out.push_back(w.name);
            continue;
        }
        bool input = false;
        if (is_dir) {
            input = sub->empty() ||
                    (!w.exclude.covers_dir(*sub) &&
                     std::any_of(w.include.globs().begin(), w.include.globs().end(),
                                 [&](const Glob& g) { return may_match_below(g.pattern(), *sub); }));
            for (const auto& n : w.named) input = input || related(n, *sub);
        } else {
            input = w.include.match(*sub) >= 0 && w.exclude.match(*sub) < 0;
            for (const auto& n : w.named) input = input || below(*sub, n).has_value();
        }
        if (input) out.push_back(w.name);
    }
    return out;
}

std::string WatchMap::shown(const fs::path& path) const {
    const auto rel = normal(path).lexically_relative(dir_).generic_string();
    return outside(rel) ? path.string() : rel;
}

}  // namespace freezer

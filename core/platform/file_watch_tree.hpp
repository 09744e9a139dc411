// What both file watchers (inotify, polling) share: the folder tests and the filter that
// decides which folders of a tree are watched. Internal to platform/.
#pragma once

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "platform/file_watch.hpp"

namespace freezer::watch_tree {

using Inode = std::pair<dev_t, ino_t>;

// `path` is `dir` or below it (both normalized, no trailing slash).
inline bool under(const std::string& path, const std::string& dir) {
    if (path.compare(0, dir.size(), dir) != 0) return false;
    return path.size() == dir.size() || path[dir.size()] == '/' || dir == "/";
}

inline std::optional<Inode> inode_of(const std::filesystem::path& dir) {
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return std::nullopt;
    return Inode{st.st_dev, st.st_ino};
}

// Normalized, without a trailing separator ("/p/." is "/p"), as the paths reported are built.
inline std::filesystem::path normal(const std::filesystem::path& p) {
    auto n = p.lexically_normal();
    if (!n.has_filename() && n != n.root_path()) n = n.parent_path();
    return n;
}

// The folders from `dir` up to /, for the link-loop check of a walk that starts at `dir`.
inline std::vector<Inode> ancestors(const std::filesystem::path& dir) {
    std::vector<Inode> chain;
    for (std::filesystem::path p = dir;; p = p.parent_path()) {
        if (const auto id = inode_of(p)) chain.push_back(*id);
        if (p == p.root_path() || p.empty()) break;
    }
    return chain;
}

// A tree's WatchFilter, with its skipped paths normalized and resolved once.
struct Filter {
    WatchFilter given;
    std::vector<std::string> skip_lexical;  // skip_paths as given, normalized
    std::vector<std::string> skip_real;     // skip_paths with links resolved

    explicit Filter(WatchFilter f) : given(std::move(f)) {
        for (const auto& p : given.skip_paths) {
            skip_lexical.push_back(normal(p).string());
            std::error_code ec;
            const auto real = std::filesystem::weakly_canonical(p, ec);
            if (!ec) skip_real.push_back(real.string());
        }
    }

    // Folder `dir` is left out (and nothing below it is watched).
    bool skipped(const std::filesystem::path& dir) const {
        const auto name = dir.filename().string();
        if (std::find(given.skip_names.begin(), given.skip_names.end(), name) != given.skip_names.end()) return true;
        const auto lexical = normal(dir).string();
        for (const auto& p : skip_lexical)
            if (under(lexical, p)) return true;
        std::error_code ec;
        const auto real = std::filesystem::canonical(dir, ec).string();
        if (!ec)
            for (const auto& p : skip_real)
                if (under(real, p)) return true;
        return given.enter && !given.enter(dir);
    }
};

}  // namespace freezer::watch_tree

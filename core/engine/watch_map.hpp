// What `freezer watch` watches, and which sidecars a changed path feeds. A file is an
// input of a sidecar when it is under the sidecar's root and its include globs match it
// and its exclude globs do not, or when freezer.yaml names it (the entry, a data file or
// folder): the rules of the input walk (inputs/input_set.hpp), asked of one path. Asking
// them of one path costs no walk and no hashing: the build that follows
// decides, by content, whether anything really changed.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <freezer/config.hpp>

#include "inputs/glob.hpp"
#include "platform/file_watch.hpp"

namespace freezer {

// Folders never watched, wherever they are: tools' folders that hold no inputs and change
// often (a venv during pip install, bytecode caches on every import).
inline const std::vector<std::string> kWatchSkipNames = {".git", "__pycache__", "node_modules", ".venv", ".freezer"};

class WatchMap {
public:
    // `sidecars`: the names to watch, none for all. Throws SetupError for a name that
    // freezer.yaml does not have.
    WatchMap(const config::Project& project, const std::vector<std::string>& sidecars);

    // The watched sidecars, in freezer.yaml's order.
    const std::vector<std::string>& sidecars() const { return names_; }
    // The tree to watch: the project's folder (freezer.yaml is in it, every root below it).
    const std::filesystem::path& root() const { return dir_; }
    // What the watcher leaves out: freezer's own folders (.freezer/, the output folder, the
    // Tauri copy's, the cache), the interpreter's venv, kWatchSkipNames, and folders where
    // no watched sidecar can have an input (outside every root, covered by its excludes, or
    // out of its include globs' reach, such as src-tauri/ for "app/**").
    WatchFilter filter() const;
    const std::vector<std::filesystem::path>& skip_paths() const { return skip_paths_; }

    bool is_config(const std::filesystem::path& path) const;
    // The watched sidecars that `path` (absolute) is an input of, in freezer.yaml's order.
    // A folder stands for what was below it (removed or moved away): it affects every
    // sidecar that can have an input there.
    std::vector<std::string> affected(const std::filesystem::path& path, bool is_dir) const;
    // `path` relative to the project's folder, for messages.
    std::string shown(const std::filesystem::path& path) const;

private:
    struct Watched {
        std::string name;
        std::string root;  // relative to the project's folder, '/'-separated; "" for the folder itself
        GlobSet include, exclude;
        std::vector<std::string> named;  // the entry and the data sources, relative to the root
    };
    // `path` relative to the project's folder, or nullopt when outside it or in a folder
    // that is never watched.
    std::optional<std::string> relative(const std::filesystem::path& path) const;
    bool enter(const std::filesystem::path& dir) const;

    std::filesystem::path dir_, config_;
    std::vector<std::string> names_;
    std::vector<Watched> watched_;
    std::vector<std::filesystem::path> skip_paths_;
};

}  // namespace freezer

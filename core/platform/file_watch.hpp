// Watching folder trees for changes, for `freezer watch`: a member of the platform
// layer (os.hpp has the rest). On Linux it is inotify (file_watch_inotify.cpp), which
// never polls; the generic POSIX build polls (file_watch_poll.cpp, whose header says
// what polling reports differently).
//
// inotify watches one folder, not a tree, so the watcher adds a watch per folder and
// keeps up with the tree itself: a folder created or moved in later is watched too
// (and the files already inside it by then are reported, since they were created
// before its watch existed), one removed or moved out is forgotten. Editors save in
// place (a write, then close), by rename (a temp file moved over the old one) or by
// delete and create; each of these is reported as a change of the file's path.
//
// Folders reached through a symbolic link are watched like the others (a linked folder
// of shared code holds inputs, as the input walk sees it) and reported under the path
// they were reached by; a folder reached by two paths is reported under both. A link
// back to a folder that contains it is not followed.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace freezer {

struct FileChange {
    enum class Kind {
        modified,    // written (and closed)
        created,     // a new file or folder, or one found inside a folder created or moved in
        removed,
        moved_in,    // renamed to this path (an editor's save by rename ends here)
        moved_out,   // renamed away from this path
        attributes,  // mode, owner or times (touch)
    };
    Kind kind = Kind::modified;
    std::filesystem::path path;  // under the tree's root, normalized (links not resolved)
    bool is_dir = false;
};

struct FileChanges {
    std::vector<FileChange> changes;  // in the order they happened; a path may come more than once
    // The kernel's queue overflowed and events were lost: anything under the trees may
    // have changed.
    bool overflow = false;
    std::vector<std::string> warnings;  // folders created since that could not be watched, and why
};

// Which folders below a tree's root are watched. A folder left out is not entered: nothing
// below it is watched either.
struct WatchFilter {
    std::vector<std::string> skip_names;            // any folder of these names (".git", "node_modules")
    std::vector<std::filesystem::path> skip_paths;  // these folders, however reached (a link into dist/ too)
    std::function<bool(const std::filesystem::path& dir)> enter;  // when set: false leaves `dir` out
};

class FileWatcher {
public:
    FileWatcher();  // throws Error when the system refuses a watcher (too many instances)
    ~FileWatcher();
    FileWatcher(FileWatcher&&) noexcept;
    FileWatcher& operator=(FileWatcher&&) noexcept;

    // Watches `root` and every folder below it that `filter` lets in, now and as folders
    // appear. Returns warnings for folders that could not be watched (unreadable, gone).
    // Throws Error when the system's limit on watches is reached, saying how to raise it.
    std::vector<std::string> add_tree(const std::filesystem::path& root, WatchFilter filter);

    // Waits up to `timeout` for changes and returns those that arrived. Empty after the
    // timeout, or at once when a signal interrupts the wait (the caller checks its flag).
    FileChanges wait(std::chrono::milliseconds timeout);

    std::size_t watched_folders() const;

    // True for the polling watcher (generic POSIX): a folder moved in is reported as
    // created, one moved away as removed, a touch as modified.
    static bool polling();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace freezer

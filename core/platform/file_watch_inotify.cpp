// FileWatcher on Linux: one inotify instance, one watch per folder.
#include "platform/file_watch.hpp"
#include "platform/file_watch_tree.hpp"

#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace freezer {
namespace fs = std::filesystem;

namespace {

// Every way an editor saves (in place: IN_CLOSE_WRITE; by rename: IN_MOVED_TO; by delete
// and create), IN_MODIFY for writers that keep the file open, chmod and touch
// (IN_ATTRIB), and the folder itself going away. IN_EXCL_UNLINK: nothing more about a
// file once it is unlinked, even if it is still open.
constexpr std::uint32_t kMask = IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB | IN_CREATE | IN_DELETE | IN_MOVED_FROM |
                                IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_EXCL_UNLINK;

using watch_tree::ancestors;
using watch_tree::Inode;
using watch_tree::inode_of;
using watch_tree::normal;
using watch_tree::under;

FileChange::Kind kind_of(std::uint32_t mask) {
    if (mask & IN_CREATE) return FileChange::Kind::created;
    if (mask & IN_DELETE) return FileChange::Kind::removed;
    if (mask & IN_MOVED_FROM) return FileChange::Kind::moved_out;
    if (mask & IN_MOVED_TO) return FileChange::Kind::moved_in;
    if (mask & IN_ATTRIB) return FileChange::Kind::attributes;
    return FileChange::Kind::modified;
}

}  // namespace

struct FileWatcher::Impl {
    using Filter = watch_tree::Filter;
    struct Folder {
        int wd;
        Inode inode;
        std::shared_ptr<const Filter> filter;  // its tree's, for the folders created in it
    };

    Fd fd;
    std::map<std::string, Folder> by_path;          // sorted: a subtree is one range
    std::map<int, std::vector<std::string>> by_wd;  // the paths a watched folder is reached by

    // Watches `dir` and the folders below it that the filter lets in. With `found`, also
    // reports what is inside as created: it appeared before its folder was watched.
    void add(const fs::path& dir, const std::shared_ptr<const Filter>& filter, std::vector<Inode>& chain,
             std::vector<std::string>& warnings, std::vector<FileChange>* found) {
        const auto id = inode_of(dir);
        if (!id) return;  // gone already, or a link to a file
        if (std::find(chain.begin(), chain.end(), *id) != chain.end()) return;  // a link back up
        const int wd = ::inotify_add_watch(fd.get(), dir.c_str(), kMask);
        if (wd < 0) {
            if (errno == ENOSPC)
                throw SetupError(fmt::format(
                    "cannot watch {}: the system's limit of inotify watches (fs.inotify.max_user_watches) is "
                    "reached with {} folders watched here; raise it (sudo sysctl fs.inotify.max_user_watches=524288) "
                    "or exclude large folders from the sidecars' inputs",
                    dir.string(), by_path.size()));
            if (errno != ENOENT)
                warnings.push_back(fmt::format("cannot watch {}: {}", dir.string(), std::strerror(errno)));
            return;
        }
        const auto key = dir.string();
        by_path[key] = {wd, *id, filter};
        auto& paths = by_wd[wd];
        if (std::find(paths.begin(), paths.end(), key) == paths.end()) paths.push_back(key);
        chain.push_back(*id);
        std::error_code ec;
        for (fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end; !ec && it != end;
             it.increment(ec)) {
            std::error_code kind_ec;
            const bool is_dir = it->is_directory(kind_ec);  // through links, as the input walk goes
            if (found) found->push_back({FileChange::Kind::created, it->path(), is_dir});
            if (is_dir && !filter->skipped(it->path())) add(it->path(), filter, chain, warnings, found);
        }
        chain.pop_back();
    }

    // Forgets `dir` and every path below it; a folder no longer reached by any path
    // loses its watch.
    void forget(const std::string& dir) {
        for (auto it = by_path.lower_bound(dir); it != by_path.end() && it->first.compare(0, dir.size(), dir) == 0;) {
            if (!under(it->first, dir)) {  // "a/b-c" sorts between "a/b" and "a/b/c"
                ++it;
                continue;
            }
            const int wd = it->second.wd;
            auto& paths = by_wd[wd];
            paths.erase(std::remove(paths.begin(), paths.end(), it->first), paths.end());
            if (paths.empty()) {
                ::inotify_rm_watch(fd.get(), wd);
                by_wd.erase(wd);
            }
            it = by_path.erase(it);
        }
    }

    void handle(const inotify_event& ev, FileChanges& out) {
        if (ev.mask & IN_Q_OVERFLOW) {
            out.overflow = true;
            return;
        }
        const auto w = by_wd.find(ev.wd);
        if (w == by_wd.end()) return;  // a watch already forgotten
        const auto paths = w->second;  // a copy: what follows changes the maps
        if (ev.mask & IN_IGNORED) {    // the kernel dropped the watch (its folder is gone)
            for (const auto& p : paths) {
                const auto f = by_path.find(p);
                if (f != by_path.end() && f->second.wd == ev.wd) by_path.erase(f);
            }
            by_wd.erase(ev.wd);
            return;
        }
        if (ev.mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
            // A tree's root removed or renamed (a folder below it is reported by its parent).
            // A path that still leads to the same folder is still right: keep it.
            for (const auto& p : paths) {
                const auto f = by_path.find(p);
                if (f == by_path.end() || inode_of(p) == f->second.inode) continue;
                out.changes.push_back(
                    {ev.mask & IN_DELETE_SELF ? FileChange::Kind::removed : FileChange::Kind::moved_out, p, true});
                forget(p);
            }
            return;
        }
        if (ev.len == 0) return;
        const bool is_dir = ev.mask & IN_ISDIR;
        for (const auto& p : paths) {
            const fs::path path = fs::path(p) / ev.name;
            out.changes.push_back({kind_of(ev.mask), path, is_dir});
            if (!is_dir) continue;
            if (ev.mask & (IN_MOVED_FROM | IN_DELETE)) {
                forget(path.string());
            } else if (ev.mask & (IN_CREATE | IN_MOVED_TO)) {
                const auto parent = by_path.find(p);
                if (parent == by_path.end() || parent->second.filter->skipped(path)) continue;
                auto chain = ancestors(p);
                try {
                    add(path, parent->second.filter, chain, out.warnings, &out.changes);
                } catch (const Error& e) {
                    out.warnings.push_back(e.what());  // the limit: the rest stays watched
                }
            }
        }
    }
};

FileWatcher::FileWatcher() : impl_(std::make_unique<Impl>()) {
    impl_->fd = Fd(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (!impl_->fd)
        throw SetupError(fmt::format(
            "cannot watch files: inotify_init1: {}{}", std::strerror(errno),
            errno == EMFILE ? " (the limit of inotify instances, fs.inotify.max_user_instances, is reached: stop "
                              "other watchers, or raise it with sudo sysctl fs.inotify.max_user_instances=512)"
                            : ""));
}

FileWatcher::~FileWatcher() = default;
FileWatcher::FileWatcher(FileWatcher&&) noexcept = default;
FileWatcher& FileWatcher::operator=(FileWatcher&&) noexcept = default;

std::vector<std::string> FileWatcher::add_tree(const fs::path& root, WatchFilter filter) {
    auto f = std::make_shared<const Impl::Filter>(std::move(filter));
    const auto dir = normal(root);
    std::vector<std::string> warnings;
    if (!inode_of(dir)) throw SetupError(fmt::format("cannot watch {}: it is not a folder", dir.string()));
    auto chain = ancestors(dir.parent_path());
    impl_->add(dir, f, chain, warnings, nullptr);
    return warnings;
}

FileChanges FileWatcher::wait(std::chrono::milliseconds timeout) {
    FileChanges out;
    pollfd p{impl_->fd.get(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(std::max<long long>(0, timeout.count()))) <= 0) return out;  // or EINTR
    alignas(inotify_event) char buf[64 * 1024];
    for (;;) {
        const ssize_t n = read_some(impl_->fd.get(), buf, sizeof buf);
        if (n <= 0) break;  // EAGAIN: all read (the fd does not block)
        for (ssize_t at = 0; at < n;) {
            const auto* ev = reinterpret_cast<const inotify_event*>(buf + at);
            impl_->handle(*ev, out);
            at += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
        }
    }
    return out;
}

bool FileWatcher::polling() { return false; }

std::size_t FileWatcher::watched_folders() const { return impl_->by_wd.size(); }

}  // namespace freezer

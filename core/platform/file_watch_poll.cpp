// FileWatcher on generic POSIX: no change notification, so it polls. Every interval it
// walks the watched trees (with the same filter and link rules as the inotify watcher)
// and compares each path's stat with the last walk's. What polling cannot tell apart, it
// reports as the nearest kind: a folder moved in is `created`, one moved away is
// `removed`, a touch is `modified` (its time changed), and a file replaced by a rename
// is `moved_in` (its inode changed). Changes come up to one interval late, and a file
// written twice within one interval is reported once. macOS would use FSEvents.
//
// A file written within a clock tick of a walk could be written again with the same
// size and time stamp; like git's racy index, such a file's content is hashed, and
// compared at the next walk.
#include "platform/file_watch.hpp"

#include <poll.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <map>
#include <set>

#include <fmt/format.h>

#include "platform/file_watch_tree.hpp"
#include "platform/os.hpp"
#include "util/error.hpp"

namespace freezer {
namespace fs = std::filesystem;

namespace {

using watch_tree::Inode;
using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kInterval{250};

struct Entry {
    bool is_dir = false;
    std::uint64_t size = 0;
    std::int64_t mtime_ns = 0;
    std::int64_t ctime_ns = 0;
    Inode inode{};
    std::optional<std::size_t> content;  // a hash, for a file too recent to trust its stat
};

std::optional<std::size_t> content_hash(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return std::nullopt;
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return std::hash<std::string>{}(bytes);
}

Entry entry_of(const struct stat& st) {
    return {S_ISDIR(st.st_mode), static_cast<std::uint64_t>(st.st_size),
            st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec,
            st.st_ctim.tv_sec * 1'000'000'000LL + st.st_ctim.tv_nsec, Inode{st.st_dev, st.st_ino}, std::nullopt};
}

struct Tree {
    fs::path root;
    std::shared_ptr<const watch_tree::Filter> filter;
};

struct Snapshot {
    std::map<std::string, Entry> paths;  // every path below the trees, as reached
    std::set<Inode> folders;             // the folders walked, each once however reached
};

}  // namespace

struct FileWatcher::Impl {
    std::vector<Tree> trees;
    Snapshot last;
    Clock::time_point last_walk{};

    // `racy`: files stamped at or after it get their content hashed, as do those hashed
    // in `before`.
    static void walk(const fs::path& dir, const watch_tree::Filter& filter, std::vector<Inode>& chain, Snapshot& into,
                     const Snapshot& before, std::int64_t racy, std::vector<std::string>* warnings) {
        const auto id = watch_tree::inode_of(dir);
        if (!id || std::find(chain.begin(), chain.end(), *id) != chain.end()) return;  // gone, or a link back up
        into.folders.insert(*id);
        chain.push_back(*id);
        std::error_code ec;
        fs::directory_iterator it(dir, ec), end;
        if (ec && warnings && ec != std::errc::no_such_file_or_directory)
            warnings->push_back(fmt::format("cannot watch {}: {}", dir.string(), ec.message()));
        for (; !ec && it != end; it.increment(ec)) {
            struct stat st;
            if (::stat(it->path().c_str(), &st) != 0) continue;  // gone, or a dangling link
            Entry e = entry_of(st);
            auto key = it->path().string();
            if (!e.is_dir) {
                const auto was = before.paths.find(key);
                if (e.mtime_ns >= racy || (was != before.paths.end() && was->second.content))
                    e.content = content_hash(it->path());
            }
            if (e.is_dir && !filter.skipped(it->path())) walk(it->path(), filter, chain, into, before, racy, warnings);
            into.paths[std::move(key)] = std::move(e);
        }
        chain.pop_back();
    }

    Snapshot walk_all(std::vector<std::string>* warnings) const {
        // A tick of slack on top of the file clock's own (os::file_clock_now_ns).
        const std::int64_t racy = os::file_clock_now_ns() - 20'000'000LL;
        Snapshot s;
        for (const auto& t : trees) {
            auto chain = watch_tree::ancestors(t.root.parent_path());
            walk(t.root, *t.filter, chain, s, last, racy, warnings);
        }
        return s;
    }

    // What changed between the last walk and `now`, in path order.
    static std::vector<FileChange> diff(const Snapshot& before, const Snapshot& now) {
        std::vector<FileChange> out;
        auto a = before.paths.begin();
        auto b = now.paths.begin();
        while (a != before.paths.end() || b != now.paths.end()) {
            if (b == now.paths.end() || (a != before.paths.end() && a->first < b->first)) {
                out.push_back({FileChange::Kind::removed, a->first, a->second.is_dir});
                ++a;
            } else if (a == before.paths.end() || b->first < a->first) {
                out.push_back({FileChange::Kind::created, b->first, b->second.is_dir});
                ++b;
            } else {
                const Entry& x = a->second;
                const Entry& y = b->second;
                if (x.inode != y.inode || x.is_dir != y.is_dir)
                    out.push_back({FileChange::Kind::moved_in, b->first, y.is_dir});
                else if (!y.is_dir && (x.size != y.size || x.mtime_ns != y.mtime_ns ||
                                       (x.content && y.content && *x.content != *y.content)))
                    out.push_back({FileChange::Kind::modified, b->first, false});
                else if (!y.is_dir && x.ctime_ns != y.ctime_ns)
                    out.push_back({FileChange::Kind::attributes, b->first, false});
                ++a;
                ++b;
            }
        }
        return out;
    }
};

FileWatcher::FileWatcher() : impl_(std::make_unique<Impl>()) {}
FileWatcher::~FileWatcher() = default;
FileWatcher::FileWatcher(FileWatcher&&) noexcept = default;
FileWatcher& FileWatcher::operator=(FileWatcher&&) noexcept = default;

bool FileWatcher::polling() { return true; }

std::vector<std::string> FileWatcher::add_tree(const fs::path& root, WatchFilter filter) {
    const auto dir = watch_tree::normal(root);
    if (!watch_tree::inode_of(dir)) throw SetupError(fmt::format("cannot watch {}: it is not a folder", dir.string()));
    impl_->trees.push_back({dir, std::make_shared<const watch_tree::Filter>(std::move(filter))});
    std::vector<std::string> warnings;
    impl_->last = impl_->walk_all(&warnings);
    impl_->last_walk = Clock::now();
    return warnings;
}

FileChanges FileWatcher::wait(std::chrono::milliseconds timeout) {
    FileChanges out;
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        const auto next = impl_->last_walk + kInterval;
        const auto now = Clock::now();
        if (now >= next) {
            auto snap = impl_->walk_all(nullptr);
            out.changes = Impl::diff(impl_->last, snap);
            impl_->last = std::move(snap);
            impl_->last_walk = Clock::now();
            if (!out.changes.empty()) return out;
            continue;
        }
        if (now >= deadline) return out;
        const auto sleep = std::chrono::duration_cast<std::chrono::milliseconds>(std::min(next, deadline) - now);
        if (::poll(nullptr, 0, static_cast<int>(sleep.count()) + 1) < 0 && errno == EINTR) return out;
    }
}

std::size_t FileWatcher::watched_folders() const { return impl_->last.folders.size(); }

}  // namespace freezer

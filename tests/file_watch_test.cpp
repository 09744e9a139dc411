// The file watcher (core/platform/file_watch.hpp) on a real scratch tree: the ways
// editors save, folders that appear later, folders it must leave alone, and links. It
// waits for events, never for a fixed time: each expectation has a generous deadline and
// returns as soon as the event is there. The same cases run against inotify (Linux) and
// the polling watcher (generic POSIX), which reports a few kinds as their nearest
// (FileWatcher::polling()).
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include <catch2/catch.hpp>

#include "platform/file_watch.hpp"
#include "test_support.hpp"

using namespace freezer;
using namespace freezer::test;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Kind = FileChange::Kind;

namespace {

const char* name(Kind k) {
    switch (k) {
        case Kind::modified: return "modified";
        case Kind::created: return "created";
        case Kind::removed: return "removed";
        case Kind::moved_in: return "moved_in";
        case Kind::moved_out: return "moved_out";
        case Kind::attributes: return "attributes";
    }
    return "?";
}

// Everything the watcher reported, kept, so a test can ask for one change among many.
class Seen {
public:
    explicit Seen(FileWatcher& w) : w_(w) {}

    // Waits (up to 20 s) for a change of `path`, of one of `kinds` (any kind when empty).
    bool wait_for(const fs::path& path, std::vector<Kind> kinds = {}) {
        const auto deadline = std::chrono::steady_clock::now() + 20s;
        for (;;) {
            if (has(path, kinds)) return true;
            if (std::chrono::steady_clock::now() > deadline) return false;
            take(w_.wait(100ms));
        }
    }
    bool has(const fs::path& path, const std::vector<Kind>& kinds = {}) const {
        return std::any_of(all_.begin(), all_.end(), [&](const FileChange& c) {
            return c.path == path && (kinds.empty() || std::find(kinds.begin(), kinds.end(), c.kind) != kinds.end());
        });
    }
    // Any change at or below `dir`.
    bool any_below(const fs::path& dir) const {
        const auto d = dir.string() + "/";
        return std::any_of(all_.begin(), all_.end(), [&](const FileChange& c) {
            return c.path == dir || c.path.string().rfind(d, 0) == 0;
        });
    }
    std::string dump() const {
        std::string s;
        for (const auto& c : all_) s += std::string(name(c.kind)) + (c.is_dir ? " dir " : " ") + c.path.string() + "\n";
        return s;
    }
    bool overflow = false;

private:
    void take(FileChanges b) {
        overflow = overflow || b.overflow;
        for (auto& c : b.changes) all_.push_back(std::move(c));
    }
    FileWatcher& w_;
    std::vector<FileChange> all_;
};

}  // namespace

TEST_CASE("the file watcher sees writes, saves by rename, deletes, touches and new folders with their files",
          "[watch]") {
    TempDir t;
    const auto dir = t.path();
    write(dir / "a.py", "A = 1\n");
    write(dir / "pkg/b.py", "B = 1\n");
    write(dir / "node_modules/x/y.js", "");
    write(dir / "dist/api/api", "");
    write(dir / "frontend/app.js", "");

    FileWatcher w;
    WatchFilter filter;
    filter.skip_names = {"node_modules"};
    filter.skip_paths = {dir / "dist"};
    filter.enter = [&](const fs::path& d) { return d.filename() != "frontend"; };
    REQUIRE(w.add_tree(dir, filter).empty());
    CHECK(w.watched_folders() == 2);  // the root and pkg/: the three others are left out
    Seen seen(w);
    const bool polls = FileWatcher::polling();

    // In place: written, then closed.
    write(dir / "a.py", "A = 2\n");
    CHECK(seen.wait_for(dir / "a.py", {Kind::modified}));

    // By rename, as most editors save: a temp file moved over the old one.
    write(dir / "pkg/.b.py.tmp", "B = 2\n");
    fs::rename(dir / "pkg/.b.py.tmp", dir / "pkg/b.py");
    CHECK(seen.wait_for(dir / "pkg/b.py", {Kind::moved_in}));

    // By delete and create.
    fs::remove(dir / "a.py");
    CHECK(seen.wait_for(dir / "a.py", {Kind::removed}));
    write(dir / "a.py", "A = 3\n");
    CHECK(seen.wait_for(dir / "a.py", {Kind::created}));

    // touch: the times change, the content does not.
    REQUIRE(::utimensat(AT_FDCWD, (dir / "a.py").c_str(), nullptr, 0) == 0);
    CHECK(seen.wait_for(dir / "a.py", {polls ? Kind::modified : Kind::attributes}));

    // A folder created after the start, and a file written in it at once (before or after
    // its watch exists: either way it is reported), then one more level.
    write(dir / "new/c.py", "C = 1\n");
    CHECK(seen.wait_for(dir / "new/c.py", {Kind::created, Kind::modified}));
    write(dir / "new/deeper/d.py", "D = 1\n");
    CHECK(seen.wait_for(dir / "new/deeper/d.py", {Kind::created, Kind::modified}));
    // And its files are watched from then on.
    write(dir / "new/deeper/d.py", "D = 2\n");
    CHECK(seen.wait_for(dir / "new/deeper/d.py", {Kind::modified}));

    // A folder moved in from outside the tree brings its files.
    TempDir elsewhere;
    write(elsewhere / "moved/e.py", "E = 1\n");
    fs::rename(elsewhere / "moved", dir / "moved");
    CHECK(seen.wait_for(dir / "moved", {polls ? Kind::created : Kind::moved_in}));
    CHECK(seen.wait_for(dir / "moved/e.py", {Kind::created}));
    write(dir / "moved/e.py", "E = 2\n");
    CHECK(seen.wait_for(dir / "moved/e.py", {Kind::modified}));

    // A folder moved away is forgotten: reported once, then nothing more under its old path.
    fs::rename(dir / "pkg", elsewhere / "pkg");
    CHECK(seen.wait_for(dir / "pkg", {polls ? Kind::removed : Kind::moved_out}));
    write(elsewhere / "pkg/b.py", "B = 3\n");

    // What the filter leaves out is never reported, even when written. The barrier is a
    // change written after them: once it is seen, theirs would have been too.
    write(dir / "node_modules/x/y.js", "changed");
    write(dir / "dist/api/api", "changed");
    write(dir / "frontend/app.js", "changed");
    write(dir / "new/node_modules/z.js", "");
    write(dir / "barrier", "");
    REQUIRE(seen.wait_for(dir / "barrier"));
    INFO(seen.dump());
    CHECK_FALSE(seen.any_below(dir / "node_modules/x"));
    CHECK_FALSE(seen.any_below(dir / "dist/api"));
    CHECK_FALSE(seen.any_below(dir / "frontend/app.js"));
    CHECK_FALSE(seen.any_below(dir / "new/node_modules/z.js"));
    CHECK_FALSE(seen.has(dir / "pkg/b.py", {Kind::modified}));
    CHECK_FALSE(seen.overflow);
}

TEST_CASE("the file watcher follows a linked folder under its link's path, and not a link back up", "[watch]") {
    TempDir t;
    const auto dir = t.path();
    write(dir / "shared/util.py", "U = 1\n");
    write(dir / "api/main.py", "M = 1\n");
    fs::create_directory_symlink("../shared", dir / "api/shared");  // shared code, linked into a root
    fs::create_directory_symlink("..", dir / "api/up");             // a loop: never entered
    fs::create_directory_symlink("../dist", dir / "api/out");       // into a skipped folder
    fs::create_directories(dir / "dist");

    FileWatcher w;
    WatchFilter filter;
    filter.skip_paths = {dir / "dist"};
    REQUIRE(w.add_tree(dir, filter).empty());
    // The root, shared/, api/, and shared/ again through api/shared: one watch per folder.
    CHECK(w.watched_folders() == 3);
    Seen seen(w);

    write(dir / "shared/util.py", "U = 2\n");
    CHECK(seen.wait_for(dir / "shared/util.py", {Kind::modified}));
    CHECK(seen.wait_for(dir / "api/shared/util.py", {Kind::modified}));  // the same write, by the link's path

    write(dir / "dist/x", "");
    write(dir / "barrier", "");
    REQUIRE(seen.wait_for(dir / "barrier"));
    INFO(seen.dump());
    CHECK_FALSE(seen.any_below(dir / "api/out"));
    CHECK_FALSE(seen.any_below(dir / "api/up"));
}

TEST_CASE("the file watcher's wait returns after its timeout when nothing changes", "[watch]") {
    TempDir t;
    FileWatcher w;
    REQUIRE(w.add_tree(t.path(), {}).empty());
    const auto changes = w.wait(10ms);
    CHECK(changes.changes.empty());
    CHECK_FALSE(changes.overflow);
}

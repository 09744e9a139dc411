// The calls that only one operating system has, behind one small interface.
//
// Two implementations, chosen by CMake's FREEZER_PLATFORM:
//   os_linux.cpp   the Linux calls: a child subreaper, pidfds, /proc, renameat2's
//                  RENAME_EXCHANGE, reflinks, the coarse real-time clock
//   os_posix.cpp   generic POSIX, what macOS would run: no subreaper (the orphan check is
//                  done by process group), waitpid woken by SIGCHLD through a self-pipe,
//                  a rename-based install with a short window, plain copies
// The file watcher (file_watch.hpp) is the other member of the layer. docs/platforms.md
// has the table: each call, what each implementation does, and the macOS and Windows
// designs.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace freezer::os {

// Which implementation this build has: "linux" or "posix" (in `freezer --version`).
const char* name();

// ---- processes -----------------------------------------------------------------

// Makes freezer the reaper of its orphaned descendants: a grandchild left behind by a
// step is re-parented to freezer (not init), so the step's process group still finds and
// reaps it. False where the system has no such thing: orphans then go to init, and the
// process-group check (probe_group) still sees them while they live.
bool become_subreaper();

// Names this process in ps and top. Async-signal-safe (it runs in a fork). A no-op where
// the system cannot.
void set_process_name(const char* name) noexcept;

// Closes every file descriptor from `lowest` up. Async-signal-safe.
void close_fds_from(int lowest) noexcept;

// A pipe whose ends are closed on exec. On Linux both are made so in one call; generic
// POSIX sets the flag after pipe(), so a fork on another thread in between could inherit
// them (macOS would spawn with POSIX_SPAWN_CLOEXEC_DEFAULT instead).
bool cloexec_pipe(int fds[2]);

// Something poll() can wait on that becomes readable when child `pid` may have exited:
// a pidfd on Linux; on generic POSIX a pipe that a SIGCHLD handler writes to (one per
// waiting child, from a fixed pool, so every waiter wakes). The caller still reaps with
// waitpid; after each wake-up, before it asks waitpid, it calls rearm().
class ExitNotifier {
public:
    explicit ExitNotifier(int pid);
    ~ExitNotifier();
    ExitNotifier(const ExitNotifier&) = delete;
    ExitNotifier& operator=(const ExitNotifier&) = delete;

    int fd() const { return fd_; }  // -1: none (the caller polls with a short timeout)
    void rearm();

private:
    int fd_ = -1;
    int slot_ = -1;  // the pool's pipe (generic POSIX)
};

// What is left of process group `pgid` (zombies do not count where the system can tell).
struct GroupProbe {
    bool alive = false;     // a member is left
    std::vector<int> pids;  // which, where the system can list them (Linux); else empty
};
GroupProbe probe_group(int pgid);

// What process group `pgid` uses now, for the heartbeat of a long build: the CPU time of
// its live members and of the children they reaped, and their resident memory together.
// nullopt where the system cannot tell (generic POSIX has no portable way to list a
// group's processes): the heartbeat then shows the elapsed time alone.
struct GroupUsage {
    std::chrono::milliseconds cpu{0};
    long rss_kb = 0;
};
std::optional<GroupUsage> group_usage(int pgid);

// ---- files ---------------------------------------------------------------------

// Now, in nanoseconds, on the clock the file system stamps modification times with
// (Linux stamps files with the coarse real-time clock, which lags the precise one).
std::int64_t file_clock_now_ns();

// Swaps two paths in one step, so that a reader sees one or the other, never neither.
enum class Exchange { done, unsupported, failed };  // failed: errno says why
Exchange exchange_paths(const char* a, const char* b);

// Copies the whole of `in` into `out` (both open at offset 0): a reflink where the file
// system has them, else the fastest copy the system offers.
bool copy_file_contents(int in, int out);

// Where entry `name` of the open folder `dirfd` really is, links resolved. `path` is the
// same entry by path, for systems that cannot resolve through a descriptor.
std::optional<std::string> real_path_at(int dirfd, const char* name, const std::string& path);

}  // namespace freezer::os

// The platform layer on generic POSIX (os.hpp): what macOS would run, built on Linux
// with -DFREEZER_PLATFORM=posix so that the tests run it. It uses only POSIX.1-2008
// calls; where Linux has a better one, the comment says what this build gives up.
#include "platform/os.hpp"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <mutex>

#include "util/fd.hpp"

namespace freezer::os {

const char* name() { return "posix"; }

// No subreaper: an orphaned grandchild goes to init. It keeps its process group, so
// probe_group still sees it while it lives, and killing the group still reaches it.
bool become_subreaper() { return false; }

void set_process_name(const char*) noexcept {}

void close_fds_from(int lowest) noexcept {
    long max = ::sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 65536) max = 65536;
    for (int i = lowest; i < max; ++i) ::close(i);
}

bool cloexec_pipe(int fds[2]) {
    if (::pipe(fds) != 0) return false;
    for (int i = 0; i < 2; ++i) ::fcntl(fds[i], F_SETFD, FD_CLOEXEC);
    return true;
}

// ---- child exit: SIGCHLD through self-pipes ---------------------------------------
//
// A SIGCHLD handler cannot know which waiter a child belongs to, and one pipe read by
// several threads wakes only one of them. So each waiting child holds a pipe of its own
// from a fixed pool, and the handler writes a byte to every pipe of the pool. Pipes are
// made on demand and never closed, so the handler never writes to a descriptor that
// was closed and reused for something else.
namespace {

constexpr int kPool = 256;  // far more children than freezer waits for at once
int g_read[kPool];
int g_write[kPool];
std::atomic<int> g_made{0};          // pipes [0, g_made) exist
std::atomic<bool> g_taken[kPool];    // held by an ExitNotifier
std::mutex g_make;

void on_child(int) {
    const int saved = errno;
    const int n = g_made.load(std::memory_order_acquire);
    for (int i = 0; i < n; ++i) {
        const char b = 1;
        [[maybe_unused]] const auto w = ::write(g_write[i], &b, 1);  // full: a wake-up is pending anyway
    }
    errno = saved;
}

void install_handler() {
    struct sigaction sa {};
    sa.sa_handler = on_child;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    ::sigaction(SIGCHLD, &sa, nullptr);
}

void drain(int fd) {
    char buf[64];
    while (::read(fd, buf, sizeof buf) > 0) {
    }
}

bool make_pipe(int& r, int& w) {
    int fds[2];
    if (::pipe(fds) != 0) return false;
    for (int fd : fds) {
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
        ::fcntl(fd, F_SETFL, O_NONBLOCK);
    }
    r = fds[0];
    w = fds[1];
    return true;
}

int take_slot() {
    static std::once_flag once;
    std::call_once(once, install_handler);
    const int made = g_made.load(std::memory_order_acquire);
    for (int i = 0; i < made; ++i) {
        bool expected = false;
        if (g_taken[i].compare_exchange_strong(expected, true)) return i;
    }
    std::lock_guard lock(g_make);
    const int i = g_made.load(std::memory_order_relaxed);
    if (i >= kPool || !make_pipe(g_read[i], g_write[i])) return -1;
    g_taken[i].store(true);
    g_made.store(i + 1, std::memory_order_release);
    return i;
}

}  // namespace

ExitNotifier::ExitNotifier(int) : slot_(take_slot()) {
    if (slot_ < 0) return;  // the pool is used up: the caller polls with a timeout
    fd_ = g_read[slot_];
    drain(fd_);  // wake-ups meant for an earlier holder
}

ExitNotifier::~ExitNotifier() {
    if (slot_ >= 0) g_taken[slot_].store(false);
}

void ExitNotifier::rearm() {
    if (fd_ >= 0) drain(fd_);
}

// kill(2) with signal 0 says whether any member is left, not which; a zombie counts
// until its parent reaps it (freezer reaps its own children before asking).
GroupProbe probe_group(int pgid) {
    GroupProbe out;
    out.alive = ::kill(-pgid, 0) == 0 || errno == EPERM;
    return out;
}

// POSIX cannot list a group's processes, nor read another process's CPU time.
std::optional<GroupUsage> group_usage(int) { return std::nullopt; }

// ---- files -----------------------------------------------------------------------

// POSIX does not say which clock a file system stamps with; Linux stamps with a coarse
// one that lags CLOCK_REALTIME by up to a tick. So "now" is taken 20 ms early: a file
// written after it is never taken as older (the stat cache would trust it), at the cost
// of hashing again a file written in the 20 ms before a scan.
std::int64_t file_clock_now_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec * 1'000'000'000LL + ts.tv_nsec - 20'000'000LL;
}

// POSIX has no exchange: the caller renames the old tree aside, then the new one in.
Exchange exchange_paths(const char*, const char*) {
    errno = ENOSYS;
    return Exchange::unsupported;
}

bool copy_file_contents(int in, int out) {
    bool written = true;
    return for_each_chunk(in, [&](const char* d, std::size_t k) { written = written && write_all(out, {d, k}); },
                          1 << 20) &&
           written;
}

std::optional<std::string> real_path_at(int, const char*, const std::string& path) {
    char target[PATH_MAX];
    if (!::realpath(path.c_str(), target)) return std::nullopt;
    return std::string(target);
}

}  // namespace freezer::os

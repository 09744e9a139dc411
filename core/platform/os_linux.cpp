// The platform layer on Linux (os.hpp).
#include "platform/os.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>

#include <fmt/format.h>

#include "util/fd.hpp"

namespace freezer::os {

const char* name() { return "linux"; }

bool become_subreaper() { return ::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0; }

void set_process_name(const char* name) noexcept { ::prctl(PR_SET_NAME, name); }

void close_fds_from(int lowest) noexcept {
    if (::syscall(SYS_close_range, static_cast<unsigned>(lowest), ~0U, 0U) != 0)
        for (int i = lowest; i < 65536; ++i) ::close(i);
}

bool cloexec_pipe(int fds[2]) { return ::pipe2(fds, O_CLOEXEC) == 0; }

// A pidfd is readable once its process has exited, and stays so: nothing to rearm.
ExitNotifier::ExitNotifier(int pid) : fd_(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))) {}
ExitNotifier::~ExitNotifier() {
    if (fd_ >= 0) ::close(fd_);
}
void ExitNotifier::rearm() {}

namespace {
// Calls `member(pid, fields)` for each live process of group `pgid`, with the fields of
// its /proc/<pid>/stat after "pid (comm) ": state ppid pgrp session ...
template <class F>
void for_each_member(int pgid, F&& member) {
    DIR* d = ::opendir("/proc");
    if (!d) return;
    while (const dirent* e = ::readdir(d)) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
        std::ifstream in(std::string("/proc/") + e->d_name + "/stat");
        std::string stat;
        std::getline(in, stat);
        const auto close = stat.rfind(')');
        if (close == std::string::npos || close + 2 >= stat.size()) continue;
        const char state = stat[close + 2];
        int ppid = 0, pgrp = 0;
        if (std::sscanf(stat.c_str() + close + 3, "%d %d", &ppid, &pgrp) != 2) continue;
        if (pgrp == pgid && state != 'Z' && state != 'X') member(std::atoi(e->d_name), stat.c_str() + close + 2);
    }
    ::closedir(d);
}
}  // namespace

GroupProbe probe_group(int pgid) {
    GroupProbe out;
    for_each_member(pgid, [&](int pid, const char*) { out.pids.push_back(pid); });
    out.alive = !out.pids.empty();
    return out;
}

std::optional<GroupUsage> group_usage(int pgid) {
    static const long ticks = ::sysconf(_SC_CLK_TCK);
    static const long page_kb = ::sysconf(_SC_PAGESIZE) / 1024;
    GroupUsage out;
    long long cpu_ticks = 0;
    for_each_member(pgid, [&](int, const char* fields) {
        // fields 3..24 of stat(5): utime, stime, cutime, cstime are 14-17, rss 24.
        unsigned long long utime = 0, stime = 0;
        long long cutime = 0, cstime = 0, rss = 0;
        if (std::sscanf(fields,
                        "%*c %*d %*d %*d %*d %*d %*u %*lu %*lu %*lu %*lu %llu %llu %lld %lld %*ld %*ld %*ld %*ld %*llu %*lu %lld",
                        &utime, &stime, &cutime, &cstime, &rss) == 5) {
            cpu_ticks += static_cast<long long>(utime + stime) + cutime + cstime;
            out.rss_kb += static_cast<long>(rss) * page_kb;
        }
    });
    if (ticks > 0) out.cpu = std::chrono::milliseconds(cpu_ticks * 1000 / ticks);
    return out;
}

std::int64_t file_clock_now_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    return ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
}

Exchange exchange_paths(const char* a, const char* b) {
    if (::renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) == 0) return Exchange::done;
    return errno == EINVAL || errno == ENOSYS ? Exchange::unsupported : Exchange::failed;
}

bool copy_file_contents(int in, int out) {
    if (::ioctl(out, FICLONE, in) == 0) return true;  // btrfs, XFS
    struct stat st {};
    if (::fstat(in, &st) != 0) return false;
    off_t left = st.st_size;
    while (left > 0) {
        const ssize_t n = ::copy_file_range(in, nullptr, out, nullptr, static_cast<std::size_t>(left), 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            // Not supported across these file systems: plain reads and writes.
            if (::lseek(in, st.st_size - left, SEEK_SET) < 0) return false;
            bool written = true;
            return for_each_chunk(in, [&](const char* d, std::size_t k) { written = written && write_all(out, {d, k}); },
                                  1 << 20) && written;
        }
        left -= n;
    }
    return true;
}

std::optional<std::string> real_path_at(int dirfd, const char* name, const std::string&) {
    char target[PATH_MAX];
    const std::string link = fmt::format("/proc/self/fd/{}/{}", dirfd, name);
    if (!::realpath(link.c_str(), target)) return std::nullopt;
    return std::string(target);
}

}  // namespace freezer::os

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

GroupProbe probe_group(int pgid) {
    GroupProbe out;
    DIR* d = ::opendir("/proc");
    if (!d) return out;
    while (const dirent* e = ::readdir(d)) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
        std::ifstream in(std::string("/proc/") + e->d_name + "/stat");
        std::string stat;
        std::getline(in, stat);
        const auto close = stat.rfind(')');
        if (close == std::string::npos || close + 2 >= stat.size()) continue;
        // After "pid (comm) ": state ppid pgrp ...
        const char state = stat[close + 2];
        int ppid = 0, pgrp = 0;
        if (std::sscanf(stat.c_str() + close + 3, "%d %d", &ppid, &pgrp) != 2) continue;
        if (pgrp == pgid && state != 'Z' && state != 'X') out.pids.push_back(std::atoi(e->d_name));
    }
    ::closedir(d);
    out.alive = !out.pids.empty();
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

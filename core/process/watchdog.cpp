#include "process/watchdog.hpp"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <mutex>

#include "platform/os.hpp"

namespace freezer::watchdog {

namespace {

struct Message {
    std::int32_t op;  // +1 started, -1 finished
    std::int32_t pgid;
};
static_assert(sizeof(Message) <= PIPE_BUF, "one write, never interleaved between threads");

constexpr int kMaxGroups = 4096;  // far more steps than freezer ever runs at once

// The watchdog's whole life. It runs in a fork of a process that may have other
// threads, so it calls only async-signal-safe functions and allocates nothing.
[[noreturn]] void watch(int fd) {
    // Ctrl-C reaches the whole foreground group, the watchdog included: it must stay
    // until freezer is gone, and freezer's own handlers are not for it.
    os::set_process_name("freezer-watch");  // in ps and top: not a second freezer
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE}) ::sigaction(sig, &ignore, nullptr);
    // Hold nothing of freezer's: no terminal or pipe a caller reads to EOF, no lock.
    const int null = ::open("/dev/null", O_RDWR);
    for (int i = 0; i < 3; ++i) ::dup2(null, i);
    ::dup2(fd, 3);
    os::close_fds_from(4);

    pid_t groups[kMaxGroups];
    int count = 0;
    Message m;
    for (;;) {
        const ssize_t n = ::read(3, &m, sizeof m);
        if (n < 0 && errno == EINTR) continue;
        if (n != static_cast<ssize_t>(sizeof m)) break;  // EOF: freezer is gone
        if (m.op > 0 && count < kMaxGroups) {
            groups[count++] = m.pgid;
        } else if (m.op < 0) {
            for (int i = 0; i < count; ++i)
                if (groups[i] == m.pgid) {
                    groups[i] = groups[--count];
                    break;
                }
        }
    }
    for (int i = 0; i < count; ++i) ::kill(-groups[i], SIGKILL);
    ::_exit(0);
}

std::once_flag g_once;
int g_fd = -1;  // the write end; -1 when there is no watchdog

void start() {
    int fds[2];
    if (!os::cloexec_pipe(fds)) return;
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::close(fds[1]);
        watch(fds[0]);
    }
    ::close(fds[0]);
    if (pid < 0) {
        ::close(fds[1]);
        return;
    }
    g_fd = fds[1];
}

}  // namespace

void prepare() { std::call_once(g_once, start); }

static void send(Message m) {
    prepare();
    if (g_fd < 0) return;
    while (::write(g_fd, &m, sizeof m) < 0 && errno == EINTR) {
    }
}

void started(pid_t pgid) { send({+1, pgid}); }
void finished(pid_t pgid) { send({-1, pgid}); }

}  // namespace freezer::watchdog

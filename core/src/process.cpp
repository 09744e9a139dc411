#include "process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>

#include <fmt/format.h>

extern char** environ;

namespace freezer {

namespace {

std::atomic<int> g_interrupts{0};

void on_interrupt(int) {
    if (g_interrupts.fetch_add(1) >= 1) _exit(130);
}

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

using Clock = std::chrono::steady_clock;

void drain(int fd, std::string& into) {
    char buf[8192];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n > 0) {
            into.append(buf, static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        break;
    }
}

}  // namespace

void install_interrupt_handler() {
    struct sigaction sa{};
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
}

bool interrupt_requested() { return g_interrupts.load() > 0; }
void request_interrupt() { g_interrupts.fetch_add(1); }

std::optional<std::string> find_program(const std::string& name, const std::string& path_env) {
    if (name.find('/') != std::string::npos)
        return ::access(name.c_str(), X_OK) == 0 ? std::optional(name) : std::nullopt;
    std::size_t start = 0;
    while (start <= path_env.size()) {
        auto colon = path_env.find(':', start);
        if (colon == std::string::npos) colon = path_env.size();
        std::string dir = path_env.substr(start, colon - start);
        if (dir.empty()) dir = ".";
        const std::string candidate = dir + "/" + name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
        start = colon + 1;
    }
    return std::nullopt;
}

std::vector<std::string> environment_with(
    const std::vector<std::pair<std::string, std::string>>& set,
    const std::vector<std::string>& unset) {
    std::map<std::string, std::string> env;
    for (char** e = environ; e && *e; ++e) {
        const std::string kv(*e);
        const auto eq = kv.find('=');
        if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    for (const auto& name : unset) env.erase(name);
    for (const auto& [k, v] : set) env[k] = v;
    std::vector<std::string> out;
    out.reserve(env.size());
    for (const auto& [k, v] : env) out.push_back(k + "=" + v);
    return out;
}

std::string ProcessResult::describe() const {
    if (!started) return "could not start: " + start_error;
    if (interrupted) return "interrupted";
    if (timed_out) return fmt::format("timed out after {:.1f}s", wall.count() / 1000.0);
    if (signal) return fmt::format("killed by signal {} ({})", signal, ::strsignal(signal));
    return fmt::format("exited with {}", exit_code);
}

ProcessResult run_process(const ProcessSpec& spec) {
    ProcessResult r;
    if (spec.argv.empty()) {
        r.start_error = "empty command";
        return r;
    }
    // Resolve argv[0] on the child's PATH, as execvpe would.
    std::string path_env = "/usr/local/bin:/usr/bin:/bin";
    for (const auto& kv : spec.env)
        if (kv.rfind("PATH=", 0) == 0) path_env = kv.substr(5);
    const auto program = find_program(spec.argv[0], path_env);
    if (!program) {
        r.start_error = fmt::format("'{}' not found{}", spec.argv[0],
                                    spec.argv[0].find('/') == std::string::npos ? " on PATH" : "");
        return r;
    }

    int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (spec.capture) {
        if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
            r.start_error = std::strerror(errno);
            posix_spawn_file_actions_destroy(&fa);
            return r;
        }
        posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
        posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
    } else if (spec.output_fd >= 0) {
        posix_spawn_file_actions_adddup2(&fa, spec.output_fd, 1);
        posix_spawn_file_actions_adddup2(&fa, spec.output_fd, 2);
    }
    if (!spec.cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, spec.cwd.c_str());

    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGPIPE);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF |
                                        POSIX_SPAWN_SETSIGMASK);

    std::vector<char*> argv, envp;
    for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (const auto& e : spec.env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);

    const auto start = Clock::now();
    pid_t pid = 0;
    const int rc = ::posix_spawn(&pid, program->c_str(), &fa, &attr, argv.data(),
                                 spec.env.empty() ? environ : envp.data());
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (spec.capture) {
        ::close(out_pipe[1]);
        ::close(err_pipe[1]);
    }
    if (rc != 0) {
        r.start_error = std::strerror(rc);
        if (spec.capture) {
            ::close(out_pipe[0]);
            ::close(err_pipe[0]);
        }
        return r;
    }
    r.started = true;

    const int pidfd = pidfd_open(pid);
    std::optional<Clock::time_point> deadline;
    if (spec.timeout) deadline = start + *spec.timeout;
    std::optional<Clock::time_point> kill_at;  // set once SIGTERM was sent
    bool exited = false;
    int status = 0;
    struct rusage ru{};
    bool out_open = spec.capture, err_open = spec.capture;

    while (!exited) {
        pollfd fds[3];
        nfds_t n = 0;
        if (pidfd >= 0) fds[n++] = {pidfd, POLLIN, 0};
        const nfds_t first_pipe = n;
        if (out_open) fds[n++] = {out_pipe[0], POLLIN, 0};
        if (err_open) fds[n++] = {err_pipe[0], POLLIN, 0};
        ::poll(fds, n, 50);
        for (nfds_t i = first_pipe; i < n; ++i) {
            if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buf[8192];
            const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
            std::string& into = fds[i].fd == out_pipe[0] ? r.out : r.err;
            if (got > 0)
                into.append(buf, static_cast<std::size_t>(got));
            else if (got == 0 || errno != EINTR)
                (fds[i].fd == out_pipe[0] ? out_open : err_open) = false;
        }
        const pid_t w = ::wait4(pid, &status, WNOHANG, &ru);
        if (w == pid) {
            exited = true;
            break;
        }
        const auto now = Clock::now();
        if (!kill_at) {
            const bool timeout = deadline && now >= *deadline;
            const bool interrupt = interrupt_requested();
            if (timeout || interrupt) {
                r.timed_out = timeout;
                r.interrupted = interrupt && !timeout;
                ::kill(-pid, SIGTERM);
                kill_at = now + spec.kill_grace;
            }
        } else if (now >= *kill_at) {
            ::kill(-pid, SIGKILL);
            kill_at = now + std::chrono::hours(24);
        }
    }
    // The step is over: nothing it started may outlive it.
    ::kill(-pid, SIGKILL);
    if (pidfd >= 0) ::close(pidfd);
    if (spec.capture) {
        // Writers left in the group are dead now, so these reach EOF.
        ::fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
        ::fcntl(err_pipe[0], F_SETFL, O_NONBLOCK);
        drain(out_pipe[0], r.out);
        drain(err_pipe[0], r.err);
        ::close(out_pipe[0]);
        ::close(err_pipe[0]);
    }
    r.wall = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    r.peak_rss_kb = ru.ru_maxrss;
    r.cpu = std::chrono::milliseconds(
        (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
        (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000);
    if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
    return r;
}

}  // namespace freezer

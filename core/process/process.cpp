#include "process/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include <fmt/format.h>

extern char** environ;

#include "util/fd.hpp"
#include "util/interrupt.hpp"
#include "platform/os.hpp"
#include "process/watchdog.hpp"

namespace freezer {

namespace {

using Clock = std::chrono::steady_clock;

// Reads what a non-blocking pipe holds now.
void drain(int fd, std::string& into) {
    char buf[8192];
    for (ssize_t n; (n = read_some(fd, buf, sizeof buf)) > 0;) into.append(buf, static_cast<std::size_t>(n));
}

// Reaps every exited member of group `pgid` that is our child (or was re-parented to
// us as the subreaper). Returns false once none is left to wait for.
bool reap_group(int pgid) {
    for (;;) {
        int st;
        const pid_t w = ::waitpid(-pgid, &st, WNOHANG);
        if (w > 0) continue;
        return w == 0;  // 0: members left that have not exited; -1 (ECHILD): none
    }
}

// Before the first child: freezer becomes the reaper of orphaned descendants (where the
// system has that) and starts its watchdog.
void prepare_spawning() {
    static std::once_flag once;
    std::call_once(once, [] { os::become_subreaper(); });
    watchdog::prepare();
}

}  // namespace


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
    for (const auto& name : unset) {
        if (!name.empty() && name.back() == '*') {
            const auto prefix = name.substr(0, name.size() - 1);
            for (auto it = env.lower_bound(prefix); it != env.end() && it->first.rfind(prefix, 0) == 0;)
                it = env.erase(it);
        } else {
            env.erase(name);
        }
    }
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

namespace {

// Resolves argv[0] on the child's PATH, as execvpe would.
std::optional<std::string> resolve_program(const ProcessSpec& spec) {
    std::string path_env = "/usr/local/bin:/usr/bin:/bin";
    if (spec.env.empty()) {
        if (const char* p = std::getenv("PATH")) path_env = p;
    }
    for (const auto& kv : spec.env)
        if (kv.rfind("PATH=", 0) == 0) path_env = kv.substr(5);
    return find_program(spec.argv[0], path_env);
}

// A group of its own (so it can be stopped whole), default signal handling (freezer's
// Ctrl-C handler must not be inherited) and no blocked signals.
void init_spawn_attributes(posix_spawnattr_t& attr) {
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
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
}

}  // namespace

Child::Child(const ProcessSpec& spec) : start_(Clock::now()) {
    auto& r = result_;
    if (spec.argv.empty()) {
        r.start_error = "empty command";
        return;
    }
    const auto program = resolve_program(spec);
    if (!program) {
        r.start_error = fmt::format("'{}' not found{}", spec.argv[0],
                                    spec.argv[0].find('/') == std::string::npos ? " on PATH" : "");
        return;
    }

    int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (spec.capture) {
        if (!os::cloexec_pipe(out_pipe) || !os::cloexec_pipe(err_pipe)) {
            r.start_error = std::strerror(errno);
            posix_spawn_file_actions_destroy(&fa);
            return;
        }
        posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
        posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
    } else if (spec.output_fd >= 0) {
        posix_spawn_file_actions_adddup2(&fa, spec.output_fd, 1);
        posix_spawn_file_actions_adddup2(&fa, spec.output_fd, 2);
    }
    if (!spec.cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, spec.cwd.c_str());

    posix_spawnattr_t attr;
    init_spawn_attributes(attr);
    prepare_spawning();

    std::vector<char*> argv, envp;
    for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (const auto& e : spec.env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);

    pid_t pid = 0;
    const int rc = ::posix_spawn(&pid, program->c_str(), &fa, &attr, argv.data(),
                                 spec.env.empty() ? environ : envp.data());
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (spec.capture) {
        ::close(out_pipe[1]);
        ::close(err_pipe[1]);
        out_ = out_pipe[0];
        err_ = err_pipe[0];
    }
    if (rc != 0) {
        r.start_error = std::strerror(rc);
        if (out_ >= 0) ::close(out_);
        if (err_ >= 0) ::close(err_);
        out_ = err_ = -1;
        return;
    }
    r.started = true;
    pid_ = pid;
    exit_ = std::make_unique<os::ExitNotifier>(pid);
    watchdog::started(pid_);
    watched_ = true;
}

void Child::unwatch() {
    // Called once the group is SIGKILLed: its pids are held (zombies, or members not
    // yet gone) until reaped, so the watchdog can never kill a reused one.
    if (watched_) watchdog::finished(pid_);
    watched_ = false;
}

Child::~Child() {
    if (pid_ > 0 && !exited_) finish(std::chrono::milliseconds(0));
    if (pid_ > 0) {
        ::kill(-pid_, SIGKILL);
        unwatch();
        reap_group(pid_);
    }
    if (out_ >= 0) ::close(out_);
    if (err_ >= 0) ::close(err_);
}

void Child::pump(int timeout_ms) {
    pollfd fds[3];
    nfds_t n = 0;
    const int exit_fd = exit_ ? exit_->fd() : -1;
    if (exit_fd >= 0) fds[n++] = {exit_fd, POLLIN, 0};
    const nfds_t first_pipe = n;
    if (out_ >= 0) fds[n++] = {out_, POLLIN, 0};
    if (err_ >= 0) fds[n++] = {err_, POLLIN, 0};
    ::poll(fds, n, timeout_ms);
    if (exit_) exit_->rearm();  // the caller asks waitpid next
    for (nfds_t i = first_pipe; i < n; ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        char buf[8192];
        const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
        std::string& into = fds[i].fd == out_ ? result_.out : result_.err;
        if (got > 0) {
            into.append(buf, static_cast<std::size_t>(got));
        } else if (got == 0 || errno != EINTR) {
            ::close(fds[i].fd);
            (fds[i].fd == out_ ? out_ : err_) = -1;
        }
    }
}

bool Child::wait_for(std::chrono::milliseconds timeout) {
    if (!result_.started) return true;
    const auto deadline = Clock::now() + timeout;
    while (!exited_) {
        int status = 0;
        struct rusage ru{};
        if (::wait4(pid_, &status, WNOHANG, &ru) == pid_) {
            exited_ = true;
            result_.peak_rss_kb = ru.ru_maxrss;
            result_.cpu = std::chrono::milliseconds(
                (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
                (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000);
            if (WIFEXITED(status)) result_.exit_code = WEXITSTATUS(status);
            if (WIFSIGNALED(status)) result_.signal = WTERMSIG(status);
            result_.wall = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start_);
            break;
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) return false;
        pump(static_cast<int>(std::min<long long>(left.count(), 50)));
    }
    return true;
}

void Child::signal(int sig) const {
    if (pid_ > 0 && !exited_) ::kill(pid_, sig);
}

void Child::signal_group(int sig) const {
    if (pid_ > 0) ::kill(-pid_, sig);
}

os::GroupProbe Child::group_members() {
    if (pid_ <= 0) return {};
    reap_group(pid_);
    return os::probe_group(pid_);
}

ProcessResult& Child::finish(std::chrono::milliseconds grace) {
    if (!result_.started) return result_;
    if (!exited_) {
        signal_group(SIGTERM);
        if (!wait_for(grace)) {
            signal_group(SIGKILL);
            wait_for(std::chrono::hours(1));
        }
    }
    // The child is gone: nothing it started may outlive it.
    signal_group(SIGKILL);
    unwatch();
    for (int i = 0; i < 100 && reap_group(pid_); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (out_ >= 0 || err_ >= 0) {
        // Writers in the group are dead now, so these reach EOF.
        for (int* fd : {&out_, &err_}) {
            if (*fd < 0) continue;
            ::fcntl(*fd, F_SETFL, O_NONBLOCK);
            drain(*fd, fd == &out_ ? result_.out : result_.err);
            ::close(*fd);
            *fd = -1;
        }
    }
    return result_;
}

ProcessResult run_process(const ProcessSpec& spec) {
    Child child(spec);
    if (!child.started()) return child.result();
    const auto start = Clock::now();
    for (;;) {
        if (child.wait_for(std::chrono::milliseconds(100))) break;
        if (spec.on_tick) spec.on_tick(child.pid());
        const bool timeout = spec.timeout && Clock::now() - start >= *spec.timeout;
        const bool interrupt = interrupt_requested() || (spec.cancel && spec.cancel->load());
        if (timeout || interrupt) {
            child.result().timed_out = timeout;
            child.result().interrupted = interrupt && !timeout;
            child.finish(spec.kill_grace);
            break;
        }
    }
    return child.finish(spec.kill_grace);
}

}  // namespace freezer

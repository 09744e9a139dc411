// Child processes, each in its own process group.
//
// run_process() runs one to completion with a timeout: on timeout, interrupt (Ctrl-C)
// or cancellation the whole group gets SIGTERM, then SIGKILL after a grace period; when
// the child exits normally, anything it left running in its group is killed too, so
// no step leaves strays behind. Child gives the pieces for callers that need to talk to
// a process while it runs (the HTTP smoke test).
//
// Where the system has it (Linux), freezer makes itself a child subreaper, so a grandchild
// orphaned by its parent is re-parented to freezer (not init) and can be found and reaped
// by its process group; elsewhere the orphan goes to init and is found by its group alone
// (platform/os.hpp).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "platform/os.hpp"
#include "util/interrupt.hpp"

namespace freezer {

struct ProcessSpec {
    std::vector<std::string> argv;
    // The child's whole environment ("NAME=value"); empty: freezer's own. Build one
    // with environment_with().
    std::vector<std::string> env;
    std::string cwd;  // empty: inherit
    std::optional<std::chrono::milliseconds> timeout;
    std::chrono::milliseconds kill_grace{3000};
    int output_fd = -1;  // stdout and stderr go here when >= 0 ...
    bool capture = false;  // ... or are captured into the result
    const std::atomic<bool>* cancel = nullptr;  // set from elsewhere: stop like a timeout
    // run_process() calls this about ten times a second while the child runs, with the
    // child's pid (also its process group): for progress reports. It must be quick.
    std::function<void(int pid)> on_tick;
};

struct ProcessResult {
    bool started = false;
    std::string start_error;  // why it could not start (e.g. "'x' not found on PATH")
    int exit_code = -1;       // when it exited normally
    int signal = 0;           // when a signal ended it
    bool timed_out = false;
    bool interrupted = false;  // Ctrl-C or cancelled
    std::chrono::milliseconds wall{0};
    long peak_rss_kb = 0;  // from wait4's rusage
    std::chrono::milliseconds cpu{0};  // user + system
    std::string out, err;  // when captured
    bool ok() const { return started && exit_code == 0 && !timed_out && !interrupted; }
    std::string describe() const;  // "exited with 2", "killed by signal 11 (...)", "timed out after 5.0s"
};

ProcessResult run_process(const ProcessSpec& spec);

// A started child. Its destructor kills and reaps its whole group.
class Child {
public:
    explicit Child(const ProcessSpec& spec);  // check started() / result().start_error
    ~Child();
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    bool started() const { return result_.started; }
    int pid() const { return pid_; }
    // Waits up to `timeout` for the child to exit (reading captured output meanwhile).
    bool wait_for(std::chrono::milliseconds timeout);
    bool exited() const { return exited_; }
    void signal(int sig) const;        // the child only
    void signal_group(int sig) const;  // its whole group
    // What of the group is still running, the child included (zombies are reaped first).
    os::GroupProbe group_members();
    // Kills the group (SIGTERM, then SIGKILL after `grace`), reaps it, returns the result.
    ProcessResult& finish(std::chrono::milliseconds grace);
    ProcessResult& result() { return result_; }

private:
    void pump(int timeout_ms);
    void unwatch();  // tells the watchdog (process/watchdog.hpp) the group is dead
    // First: made before the child is spawned, gone after its group is reaped, so a
    // Ctrl-C in between lets this Child stop its group (util/interrupt.hpp).
    InterruptScope interruptible_;
    ProcessResult result_;
    int pid_ = -1;
    std::unique_ptr<os::ExitNotifier> exit_;  // wakes pump() when the child exits
    int out_ = -1, err_ = -1;  // capture pipes
    bool exited_ = false;
    bool watched_ = false;  // the watchdog knows this group
    std::chrono::steady_clock::time_point start_;
};

// The current environment with `set` applied and `unset` names removed; a name ending
// in '*' removes every variable with that prefix.
std::vector<std::string> environment_with(
    const std::vector<std::pair<std::string, std::string>>& set,
    const std::vector<std::string>& unset = {});


// The first executable named `name` on PATH (or `name` itself when it has a '/').
std::optional<std::string> find_program(const std::string& name, const std::string& path_env);

}  // namespace freezer

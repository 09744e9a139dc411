// Runs one child process in its own process group, with a timeout, and reaps it.
// On timeout or interrupt (Ctrl-C) the whole group gets SIGTERM, then SIGKILL after a
// grace period; when the child exits normally, anything it left running in its group
// is killed too, so no step leaves strays behind.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace freezer {

struct ProcessSpec {
    std::vector<std::string> argv;
    // The child's whole environment ("NAME=value"); build one with environment_with().
    std::vector<std::string> env;
    std::string cwd;  // empty: inherit
    std::optional<std::chrono::milliseconds> timeout;
    std::chrono::milliseconds kill_grace{3000};
    int output_fd = -1;  // stdout and stderr go here when >= 0 ...
    bool capture = false;  // ... or are captured into the result
};

struct ProcessResult {
    bool started = false;
    std::string start_error;  // why it could not start (e.g. "No such file or directory")
    int exit_code = -1;       // when it exited normally
    int signal = 0;           // when a signal ended it
    bool timed_out = false;
    bool interrupted = false;
    std::chrono::milliseconds wall{0};
    long peak_rss_kb = 0;  // from wait4's rusage
    std::chrono::milliseconds cpu{0};  // user + system
    std::string out, err;  // when captured
    bool ok() const { return started && exit_code == 0 && !timed_out && !interrupted; }
    std::string describe() const;  // "exited with 2", "killed by SIGSEGV", "timed out after 5s"
};

ProcessResult run_process(const ProcessSpec& spec);

// The current environment with `set` applied (and `unset` names removed).
std::vector<std::string> environment_with(
    const std::vector<std::pair<std::string, std::string>>& set,
    const std::vector<std::string>& unset = {});

// Ctrl-C handling: the first SIGINT/SIGTERM sets a flag that every running step sees
// (and kills its process group); a second one exits at once with 130.
void install_interrupt_handler();
bool interrupt_requested();
void request_interrupt();  // for tests

// The first executable named `name` on PATH (or `name` itself when it has a '/').
std::optional<std::string> find_program(const std::string& name, const std::string& path_env);

}  // namespace freezer

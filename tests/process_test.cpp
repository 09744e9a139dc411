#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>

#include "process/process.hpp"
#include "util/interrupt.hpp"
#include "test_support.hpp"

using namespace freezer;
using namespace std::chrono_literals;

namespace {
// Dead: no such process, or a zombie waiting for init to reap it.
bool dead(int pid) {
    for (int i = 0; i < 50; ++i) {
        if (::kill(pid, 0) != 0) return true;
        const auto stat = freezer::test::read("/proc/" + std::to_string(pid) + "/stat");
        const auto close = stat.rfind(')');
        if (close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z') return true;
        ::usleep(20000);
    }
    return false;
}
}  // namespace

TEST_CASE("a process's exit code and output are captured", "[process]") {
    ProcessSpec spec;
    spec.argv = {"sh", "-c", "echo out; echo err >&2; exit 3"};
    spec.capture = true;
    const auto r = run_process(spec);
    CHECK(r.started);
    CHECK(r.exit_code == 3);
    CHECK(r.out == "out\n");
    CHECK(r.err == "err\n");
    CHECK_FALSE(r.ok());
    CHECK(r.describe() == "exited with 3");
}

TEST_CASE("a missing program is reported, not thrown", "[process]") {
    ProcessSpec spec;
    spec.argv = {"freezer-no-such-program"};
    const auto r = run_process(spec);
    CHECK_FALSE(r.started);
    CHECK_THAT(r.describe(), Catch::Contains("not found on PATH"));
}

TEST_CASE("a timeout kills the whole process group, grandchildren included", "[process]") {
    freezer::test::TempDir dir;
    const auto pidfile = dir / "grandchild.pid";
    ProcessSpec spec;
    // The child starts a grandchild that ignores SIGTERM, then waits.
    spec.argv = {"sh", "-c", "(trap '' TERM; sleep 60) & echo $! > " + pidfile.string() + "; wait"};
    spec.timeout = 300ms;
    spec.kill_grace = 200ms;
    const auto r = run_process(spec);
    CHECK(r.timed_out);
    CHECK_FALSE(r.ok());
    const int grandchild = std::stoi(freezer::test::read(pidfile));
    CHECK(dead(grandchild));
}

TEST_CASE("nothing a finished step started outlives it", "[process]") {
    freezer::test::TempDir dir;
    const auto pidfile = dir / "stray.pid";
    ProcessSpec spec;
    spec.argv = {"sh", "-c", "sleep 60 & echo $! > " + pidfile.string()};
    const auto r = run_process(spec);
    CHECK(r.ok());
    const int stray = std::stoi(freezer::test::read(pidfile));
    CHECK(dead(stray));
}

TEST_CASE("rusage of the child is reported", "[process]") {
    ProcessSpec spec;
    spec.argv = {"sh", "-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done"};
    const auto r = run_process(spec);
    CHECK(r.ok());
    CHECK(r.peak_rss_kb > 0);
}

TEST_CASE("one SIGTERM ends freezer at once when no child runs, with one, it is stopped first", "[process]") {
    // In a forked copy of this test process, so that its handlers stay there.
    auto exit_of = [](bool child_running) {
        const pid_t pid = ::fork();
        if (pid == 0) {
            install_interrupt_handler();
            std::optional<InterruptScope> scope;
            if (child_running) scope.emplace();
            ::raise(SIGTERM);
            // Reached only when the signal just set the flag.
            ::_exit(interrupt_requested() ? 7 : 8);
        }
        int status = 0;
        ::waitpid(pid, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    };
    CHECK(exit_of(false) == 130);
    CHECK(exit_of(true) == 7);
}

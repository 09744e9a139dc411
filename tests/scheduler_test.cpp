#include <catch2/catch.hpp>

#include <mutex>
#include <thread>

#include "process/process.hpp"
#include "process/scheduler.hpp"
#include "test_support.hpp"

using namespace freezer;

namespace {

// Tracks tokens in use across tasks that run real programs.
struct Meter {
    std::mutex m;
    int in_use = 0;
    int peak = 0;
    void add(int n) {
        std::lock_guard g(m);
        in_use += n;
        peak = std::max(peak, in_use);
    }
    void sub(int n) {
        std::lock_guard g(m);
        in_use -= n;
    }
};

Task sleeper(Meter& meter, int tokens, const char* seconds, bool ok = true,
             const std::atomic<bool>* cancel = nullptr) {
    return {tokens, [&meter, seconds, ok, cancel](int granted) {
                meter.add(granted);
                ProcessSpec spec;
                spec.argv = {"sh", "-c", std::string("sleep ") + seconds + (ok ? "" : "; exit 1")};
                spec.cancel = cancel;
                const auto r = run_process(spec);
                meter.sub(granted);
                return r.ok();
            }};
}

}  // namespace

TEST_CASE("the CPU budget is never exceeded", "[scheduler]") {
    Meter meter;
    std::vector<Task> tasks;
    for (int i = 0; i < 6; ++i) tasks.push_back(sleeper(meter, i % 3 == 0 ? 2 : 1, "0.15"));
    tasks.push_back(sleeper(meter, 8, "0.05"));  // more than the budget: clamped to it
    const auto states = run_tasks(tasks, {3, false, nullptr});
    CHECK(meter.peak <= 3);
    CHECK(meter.peak >= 2);  // and it did run things side by side
    for (auto s : states) CHECK(s == TaskState::succeeded);
}

TEST_CASE("one failing task does not stop the others", "[scheduler]") {
    Meter meter;
    std::vector<Task> tasks = {sleeper(meter, 1, "0.05", false), sleeper(meter, 1, "0.1"),
                               sleeper(meter, 1, "0.1")};
    const auto states = run_tasks(tasks, {1, false, nullptr});
    CHECK(states == std::vector<TaskState>{TaskState::failed, TaskState::succeeded, TaskState::succeeded});
}

TEST_CASE("fail-fast starts nothing more and cancels what runs", "[scheduler]") {
    Meter meter;
    std::atomic<bool> cancel{false};
    std::vector<Task> tasks = {sleeper(meter, 1, "0.05", false, &cancel), sleeper(meter, 1, "30", true, &cancel),
                               sleeper(meter, 1, "0.1", true, &cancel)};
    const auto start = std::chrono::steady_clock::now();
    const auto states = run_tasks(tasks, {2, true, &cancel});
    CHECK(states[0] == TaskState::failed);
    CHECK(states[1] == TaskState::failed);  // killed, not left to run 30 s
    CHECK(states[2] == TaskState::not_started);
    CHECK(cancel.load());
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(20));
}

TEST_CASE("a cancel request (Ctrl-C) stops running tasks and starts no more", "[scheduler]") {
    Meter meter;
    std::atomic<bool> cancel{false};
    std::vector<Task> tasks = {sleeper(meter, 1, "30", true, &cancel), sleeper(meter, 1, "30", true, &cancel)};
    std::thread stopper([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        cancel.store(true);
    });
    const auto states = run_tasks(tasks, {1, false, &cancel});
    stopper.join();
    CHECK(states[0] == TaskState::failed);
    CHECK(states[1] == TaskState::not_started);
}

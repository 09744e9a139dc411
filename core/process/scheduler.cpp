#include "process/scheduler.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "process/process.hpp"

namespace freezer {

std::vector<TaskState> run_tasks(std::vector<Task>& tasks, const ScheduleOptions& options) {
    const int budget = std::max(1, options.budget);
    std::vector<TaskState> state(tasks.size(), TaskState::not_started);
    std::vector<bool> launched(tasks.size(), false);
    std::mutex m;
    std::condition_variable cv;
    int free_tokens = budget;
    int running = 0;
    bool failed = false;
    std::vector<std::thread> threads;

    auto stop_requested = [&] {
        return interrupt_requested() || (options.cancel && options.cancel->load()) ||
               (options.fail_fast && failed);
    };

    std::unique_lock lock(m);
    for (;;) {
        std::size_t pending = 0;
        if (!stop_requested()) {
            for (std::size_t i = 0; i < tasks.size(); ++i) {
                if (launched[i]) continue;
                ++pending;
                const int want = std::clamp(tasks[i].tokens, 1, budget);
                if (want > free_tokens) continue;
                launched[i] = true;
                --pending;
                free_tokens -= want;
                ++running;
                threads.emplace_back([&, i, want] {
                    bool ok = false;
                    try {
                        ok = tasks[i].run(want);
                    } catch (...) {
                        ok = false;
                    }
                    std::lock_guard g(m);
                    state[i] = ok ? TaskState::succeeded : TaskState::failed;
                    if (!ok) {
                        failed = true;
                        if (options.fail_fast && options.cancel) options.cancel->store(true);
                    }
                    free_tokens += want;
                    --running;
                    cv.notify_all();
                });
            }
        }
        if (running == 0 && (pending == 0 || stop_requested())) break;
        // Wake on a finished task, or now and then to notice Ctrl-C.
        cv.wait_for(lock, std::chrono::milliseconds(100));
    }
    lock.unlock();
    for (auto& t : threads) t.join();
    return state;
}

}  // namespace freezer

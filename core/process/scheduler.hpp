// Runs tasks concurrently under one CPU budget. Each task asks for a number of CPU
// tokens (a Nuitka build compiles with several); a task starts only when its tokens
// are free, so the tokens in use never exceed the budget. Tasks start in list order,
// but a later task that fits is not held back by an earlier one that does not
// (backfilling keeps the cores busy).
#pragma once

#include <atomic>
#include <functional>
#include <vector>

namespace freezer {

struct Task {
    int tokens = 1;  // clamped to [1, budget]
    // Runs on its own thread with the tokens granted; returns false on failure.
    std::function<bool(int granted)> run;
};

enum class TaskState { not_started, succeeded, failed };

struct ScheduleOptions {
    int budget = 1;
    bool fail_fast = false;  // after a failure, start nothing more and set `cancel`
    std::atomic<bool>* cancel = nullptr;  // when set (by anyone), start nothing more
};

std::vector<TaskState> run_tasks(std::vector<Task>& tasks, const ScheduleOptions& options);

}  // namespace freezer

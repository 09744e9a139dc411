// Runs a plan's steps in order, each one's output into the build log: write_file steps
// are written atomically, run steps become processes in their own group. The first
// step that fails ends the build with an Error that says which step, how, and the
// plan's hints that match what that step printed.
//
// While a step runs, the runner reads the lines it prints for the plan's phase patterns
// and samples the CPU and memory of its process group, and reports both (Progress): a
// new phase at once, the figures every few seconds. A step gets the step timeout, or
// the network timeout when it resolves or downloads (sdk::Step::network).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <string>

#include <freezer/backend.hpp>

#include "engine/build_log.hpp"
#include "engine/result.hpp"

namespace freezer {

struct StepTotals {
    long peak_rss_kb = 0;               // the largest single process
    std::chrono::milliseconds cpu{0};   // user + system, all steps
    std::map<std::string, long long> metrics;
};

// The timeouts of freezer.yaml's `timeouts:`, with the names that set them.
struct StepTimeouts {
    std::chrono::milliseconds step = std::chrono::hours(2);
    std::chrono::milliseconds network = std::chrono::minutes(30);
};

class StepRunner {
public:
    using Warn = std::function<void(const std::string&)>;
    using Report = std::function<void(const Progress&)>;
    StepRunner(BuildLog& log, Warn warn, const std::atomic<bool>* cancel, StepTimeouts timeouts = {},
               Report progress = {});

    // Throws Error (failed, or cancelled for Ctrl-C and --fail-fast).
    StepTotals run(const sdk::Plan& plan);

private:
    void run_one(const sdk::Step& step, const sdk::Plan& plan, StepTotals& totals);

    BuildLog& log_;
    Warn warn_;
    const std::atomic<bool>* cancel_;
    StepTimeouts timeouts_;
    Report progress_;
};

// One argument as a POSIX shell reads it back: bare when safe, else in single quotes.
std::string shell_quote(const std::string& arg);
// The argv as a shell would need it quoted, for the log and `freezer plan`.
std::string shell_command(const std::vector<std::string>& argv);

}  // namespace freezer

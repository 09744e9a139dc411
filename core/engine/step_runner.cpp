#include "engine/step_runner.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "process/process.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/interrupt.hpp"

namespace freezer {

namespace {
// A packager that runs longer than this is stuck; its group is stopped.
constexpr auto kStepTimeout = std::chrono::hours(2);

}  // namespace

std::string shell_quote(const std::string& s) {
    if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                          "0123456789-_./=:,+@%") == std::string::npos)
        return s;
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string shell_command(const std::vector<std::string>& argv) {
    std::string cmd;
    for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + shell_quote(a);
    return cmd;
}

StepRunner::StepRunner(BuildLog& log, Warn warn, const std::atomic<bool>* cancel)
    : log_(log), warn_(std::move(warn)), cancel_(cancel) {}

StepTotals StepRunner::run(const sdk::Plan& plan) {
    StepTotals totals;
    for (const auto& step : plan.steps) run_one(step, plan, totals);
    return totals;
}

void StepRunner::run_one(const sdk::Step& step, const sdk::Plan& plan, StepTotals& totals) {
    if (step.kind == sdk::Step::Kind::remove) {
        log_.line("freezer: remove " + step.path);
        std::error_code ec;
        std::filesystem::remove_all(step.path, ec);
        if (ec)
            throw Error(Error::Kind::failed, fmt::format("{}: cannot remove {}: {}",
                                                         step.description.empty() ? "remove" : step.description,
                                                         step.path, ec.message()));
        return;
    }
    if (step.kind == sdk::Step::Kind::write_file) {
        log_.line("freezer: write " + step.path);
        write_file_atomically(step.path, step.content);
        return;
    }
    log_.line("$ " + shell_command(step.argv));
    ProcessSpec spec;
    spec.argv = step.argv;
    spec.env = environment_with(step.env);
    spec.cwd = step.cwd;
    spec.output_fd = log_.fd();
    spec.timeout = kStepTimeout;
    spec.cancel = cancel_;
    const auto res = run_process(spec);
    const auto out = log_.take_step_output();
    for (const auto& w : out.warnings) warn_(w);
    BuildLog::add_metrics(out.text, plan.metrics, totals.metrics);
    totals.peak_rss_kb = std::max(totals.peak_rss_kb, res.peak_rss_kb);
    totals.cpu += res.cpu;
    log_.line(fmt::format("freezer: {} ({:.1f}s, cpu {:.1f}s, peak RSS {} MB)", res.describe(),
                          res.wall.count() / 1000.0, res.cpu.count() / 1000.0, res.peak_rss_kb / 1024));
    if (res.interrupted)
        throw Error(Error::Kind::cancelled,
                    interrupt_requested() ? "interrupted" : "cancelled: another sidecar failed (--fail-fast)");
    if (!res.ok()) {
        auto error = fmt::format("{} {}", step.description.empty() ? step.argv[0] : step.description, res.describe());
        for (const auto& hint : BuildLog::matching_hints(out.text, plan.failure_hints)) error += "\n  hint: " + hint;
        throw Error(Error::Kind::failed, error);
    }
}

}  // namespace freezer

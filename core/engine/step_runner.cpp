#include "engine/step_runner.hpp"

#include <algorithm>
#include <optional>
#include <regex>

#include <fmt/format.h>

#include "platform/os.hpp"
#include "process/process.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/interrupt.hpp"

namespace freezer {

namespace {
using Clock = std::chrono::steady_clock;

// How often a running step's new lines are read for phases, and its group's CPU and
// memory sampled.
constexpr auto kPhaseEvery = std::chrono::milliseconds(500);
constexpr auto kUsageEvery = std::chrono::seconds(2);

// Follows one running step: its new log lines against the plan's phase patterns, its
// process group's usage. Called from run_process()'s loop, on the build's thread.
class StepWatch {
public:
    StepWatch(const BuildLog& log, const sdk::Plan& plan, const sdk::Step& step,
              std::chrono::milliseconds cpu_before, const StepRunner::Report& report)
        : log_(log), offset_(log.step_start()), cpu_before_(cpu_before), report_(report) {
        for (const auto& p : plan.phases) {
            try {
                patterns_.emplace_back(p);
            } catch (const std::regex_error&) {  // a plugin's bad pattern costs its phase, not the build
            }
        }
        progress_.phase = step.description.empty() ? step.argv.front() : step.description;
        progress_.new_phase = true;
        report_(progress_);
    }

    void tick(int pid) {
        const auto now = Clock::now();
        progress_.new_phase = false;
        if (!patterns_.empty() && now - last_read_ >= kPhaseEvery) {
            last_read_ = now;
            std::string phase;
            for (const auto& line : log_.lines_since(offset_)) {
                for (const auto& re : patterns_) {
                    std::smatch m;
                    if (!std::regex_search(line, m, re)) continue;
                    phase = m.size() > 1 && m[1].matched ? m[1].str() : m[0].str();
                    break;
                }
            }
            if (!phase.empty() && phase != progress_.phase) {
                progress_.phase = phase;
                progress_.packager = true;
                progress_.new_phase = true;
            }
        }
        bool sampled = false;
        if (now - last_usage_ >= kUsageEvery) {
            last_usage_ = now;
            sampled = true;
            if (const auto usage = os::group_usage(pid)) {
                progress_.usage_known = true;
                progress_.cpu = cpu_before_ + usage->cpu;
                progress_.rss_kb = usage->rss_kb;
            }
        }
        if (progress_.new_phase || sampled) report_(progress_);
    }

private:
    const BuildLog& log_;
    off_t offset_;
    std::chrono::milliseconds cpu_before_;
    const StepRunner::Report& report_;
    std::vector<std::regex> patterns_;
    Progress progress_;
    Clock::time_point last_read_{};
    Clock::time_point last_usage_{};  // the first tick samples
};

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

StepRunner::StepRunner(BuildLog& log, Warn warn, const std::atomic<bool>* cancel, StepTimeouts timeouts,
                       Report progress)
    : log_(log), warn_(std::move(warn)), cancel_(cancel), timeouts_(timeouts), progress_(std::move(progress)) {}

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
    spec.timeout = step.network ? timeouts_.network : timeouts_.step;
    spec.cancel = cancel_;
    std::optional<StepWatch> watch;
    if (progress_) {
        watch.emplace(log_, plan, step, totals.cpu, progress_);
        spec.on_tick = [&](int pid) { watch->tick(pid); };
    }
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
        if (res.timed_out)
            error += step.network ? " (it resolves or downloads: raise timeouts.network in freezer.yaml if the "
                                    "network is just slow)"
                                  : " (raise timeouts.step in freezer.yaml if the packager is just slow)";
        for (const auto& hint : BuildLog::matching_hints(out.text, plan.failure_hints)) error += "\n  hint: " + hint;
        throw Error(Error::Kind::failed, error);
    }
}

}  // namespace freezer

// A build's log (.freezer/logs/<output>.log): freezer's own lines, and every step's
// output written straight into it. After each step, only the bytes that step added are
// read back, once, for what the plan asked to look for: warnings for the user
// ("::freezer-warning::<text>" lines), metrics (Nuitka's ccache hits), and the failure
// hints whose pattern matches. The log is never re-read in full. While a step runs, its
// new lines can be read as they come, for the packager's progress (lines_since).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <freezer/backend.hpp>

#include "util/fd.hpp"

namespace freezer {

class BuildLog {
public:
    explicit BuildLog(std::filesystem::path file);  // truncates; a log that cannot be opened is skipped

    const std::filesystem::path& path() const { return path_; }
    int fd() const { return fd_.get(); }  // for a step's output; -1 when there is no log
    void line(std::string_view text);

    // What the last step wrote (since the previous call), as scanned.
    struct StepText {
        std::vector<std::string> warnings;  // "::freezer-warning::" lines, prefix removed
        std::string text;
    };
    StepText take_step_output();

    // While a step runs: the complete lines it wrote after `offset` (start with
    // step_start()), and `offset` moved past them. When more than `max_bytes` wait, the
    // older ones are skipped: the caller wants what is happening now.
    off_t step_start() const { return scanned_; }
    std::vector<std::string> lines_since(off_t& offset, std::size_t max_bytes = 256 * 1024) const;

    // Adds the counts of `metrics` found in `text` to `totals`. A plugin's bad pattern
    // costs its metric, not the build.
    static void add_metrics(std::string_view text, const std::vector<sdk::Metric>& metrics,
                            std::map<std::string, long long>& totals);
    // The messages of the hints whose pattern matches `text`.
    static std::vector<std::string> matching_hints(std::string_view text, const std::vector<sdk::FailureHint>& hints);

    // The last `n` lines of the log, for failure reports.
    std::vector<std::string> tail(std::size_t n) const;

private:
    std::filesystem::path path_;
    Fd fd_;
    off_t scanned_ = 0;
};

// The last `n` lines of a text file.
std::vector<std::string> tail_lines(const std::filesystem::path& file, std::size_t n);

}  // namespace freezer

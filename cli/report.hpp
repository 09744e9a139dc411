// How `freezer` talks: a live line per sidecar on a terminal, plain lines in CI logs,
// a summary table at the end, JSON for scripts.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/result.hpp"
#include "util/human.hpp"
#include "util/formats.hpp"

namespace freezer::cli {

struct Style {
    bool color = false;
    std::string bold(const std::string& s) const { return color ? "\033[1m" + s + "\033[0m" : s; }
    std::string green(const std::string& s) const { return color ? "\033[32m" + s + "\033[0m" : s; }
    std::string red(const std::string& s) const { return color ? "\033[31m" + s + "\033[0m" : s; }
    std::string yellow(const std::string& s) const { return color ? "\033[33m" + s + "\033[0m" : s; }
    std::string dim(const std::string& s) const { return color ? "\033[2m" + s + "\033[0m" : s; }
};

// Decides colour from --color auto|always|never, NO_COLOR and whether `stream` is a tty.
Style make_style(const std::string& mode, std::FILE* stream);
bool is_terminal(std::FILE* stream);

// The "format" of every --json report.
inline constexpr int kReportFormat = formats::kReport;

// A plan's metrics as the backend named them: "ccache hits 12, ccache misses 3".
std::string metrics_text(const std::map<std::string, long long>& metrics);
// The end of a failed sidecar's log (or of its binary's output, for a failed smoke
// test) and where the full log is: the lines under a FAILED line.
void print_failure_tail(const Style& style, const SidecarResult& r);

// A build that prints nothing for this long in plain mode says it is still running:
// CI services stop jobs that are silent for 10 minutes, and a person wonders after one.
inline constexpr std::chrono::seconds kDefaultHeartbeat{30};

class TerminalReporter final : public Reporter {
public:
    // `live`: redraw one line per running sidecar in place (a terminal); otherwise one
    // plain line per event. `quiet` (--json): nothing on stdout. `heartbeat`: in plain
    // mode, how often a long build says it is still running (0: never).
    TerminalReporter(Style style, bool verbose, bool quiet, bool live,
                     std::chrono::seconds heartbeat = kDefaultHeartbeat);
    ~TerminalReporter() override;
    void warning(const std::string& message) override;
    void phase(const std::string& sidecar, const std::string& backend, Phase phase,
               const std::string& detail) override;
    void finished(const SidecarResult& result) override;
    void progress(const std::string& sidecar, const Progress& progress) override;
    // Ends the live display and prints the table and the totals.
    void summary(const std::vector<SidecarResult>& results, std::chrono::milliseconds total);

private:
    struct Row {
        std::string backend;
        Phase phase = Phase::queued;
        std::string detail;
        std::chrono::steady_clock::time_point since;
        Progress progress;                               // the latest, while building
        std::chrono::steady_clock::time_point next_beat;  // plain mode's next heartbeat
    };
    void clear_live();  // with mutex_ held
    void draw_live();   // with mutex_ held
    void print_result(const SidecarResult& r);  // with mutex_ held
    void beat();  // with mutex_ held: the heartbeats that are due

    Style style_;
    bool verbose_;
    bool quiet_;
    bool live_;
    std::chrono::seconds heartbeat_;
    std::mutex mutex_;
    std::vector<std::string> order_;  // live rows in the order they appeared
    std::map<std::string, Row> rows_;
    int drawn_ = 0;  // lines of the live block on screen
    bool stop_ = false;
    std::condition_variable tick_;
    std::thread ticker_;
};

nlohmann::json to_json(const SidecarResult& r);

}  // namespace freezer::cli

#include "report.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

#include "text_table.hpp"

namespace freezer::cli {

Style make_style(const std::string& mode, std::FILE* stream) {
    if (mode == "always") return {true};
    if (mode == "never") return {false};
    const char* term = std::getenv("TERM");
    return {is_terminal(stream) && !std::getenv("NO_COLOR") && !(term && std::string(term) == "dumb")};
}

bool is_terminal(std::FILE* stream) { return ::isatty(::fileno(stream)) == 1; }

std::string metrics_text(const std::map<std::string, long long>& metrics) {
    std::vector<std::string> parts;
    for (const auto& [name, value] : metrics) {
        auto words = name;
        std::replace(words.begin(), words.end(), '_', ' ');
        parts.push_back(fmt::format("{} {}", words, value));
    }
    return fmt::format("{}", fmt::join(parts, ", "));
}


namespace {
int terminal_width() {
    winsize ws{};
    if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20) return ws.ws_col;
    return 100;
}
std::string fit(std::string s, std::size_t width) {
    if (s.size() > width) s = s.substr(0, width > 1 ? width - 1 : 0) + "~";
    return s;
}
}  // namespace

TerminalReporter::TerminalReporter(Style style, bool verbose, bool quiet, bool live, std::chrono::seconds heartbeat)
    : style_(style), verbose_(verbose), quiet_(quiet), live_(live && !quiet), heartbeat_(heartbeat) {
    if (live_ || (!quiet_ && heartbeat_.count() > 0))
        ticker_ = std::thread([this] {
            std::unique_lock lock(mutex_);
            while (!stop_) {
                tick_.wait_for(lock, std::chrono::milliseconds(250));
                if (stop_ || order_.empty()) continue;
                if (live_)
                    draw_live();
                else
                    beat();
            }
        });
}

TerminalReporter::~TerminalReporter() {
    {
        std::lock_guard g(mutex_);
        stop_ = true;
    }
    tick_.notify_all();
    if (ticker_.joinable()) ticker_.join();
}

void TerminalReporter::clear_live() {
    for (; drawn_ > 0; --drawn_) std::fputs("\033[1A\033[2K", stdout);
}

void TerminalReporter::draw_live() {
    clear_live();
    const auto now = std::chrono::steady_clock::now();
    const int width = terminal_width();
    std::size_t name_w = 4;
    for (const auto& n : order_) name_w = std::max(name_w, n.size());
    for (const auto& name : order_) {
        const auto& row = rows_.at(name);
        const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - row.since);
        auto line = fmt::format("  {:<{}}  {:<11}  {:<10}  {:>6}  {}", name, name_w, row.backend,
                                to_string(row.phase), row.phase == Phase::queued ? "" : human_duration(elapsed),
                                row.phase == Phase::building && row.progress.usage_known
                                    // the figures first: a long phase line is cut at the edge
                                    ? fmt::format("[cpu {}, rss {}] {}", human_duration(row.progress.cpu),
                                                  human_size(static_cast<std::uint64_t>(row.progress.rss_kb) * 1024),
                                                  row.detail)
                                    : row.detail);
        std::fputs((fit(line, static_cast<std::size_t>(width) - 1) + "\n").c_str(), stdout);
        ++drawn_;
    }
    std::fflush(stdout);
}

void TerminalReporter::warning(const std::string& message) {
    std::lock_guard g(mutex_);
    if (live_) clear_live();
    std::fflush(stdout);
    fmt::print(stderr, "freezer: {} {}\n", style_.yellow("warning:"), message);
    std::fflush(stderr);
    if (live_ && !order_.empty()) draw_live();
}

void TerminalReporter::phase(const std::string& sidecar, const std::string& backend, Phase phase,
                             const std::string& detail) {
    if (quiet_) return;
    std::lock_guard g(mutex_);
    auto [it, fresh] = rows_.try_emplace(sidecar);
    if (fresh) order_.push_back(sidecar);
    // The clock restarts when the work starts, so queued time is not counted as building.
    if (fresh || (it->second.phase == Phase::queued && phase != Phase::queued))
        it->second.since = std::chrono::steady_clock::now();
    it->second.backend = backend;
    if (phase == Phase::building && it->second.phase != Phase::building) it->second.progress = {};
    it->second.phase = phase;
    if (!detail.empty() || phase != Phase::queued) it->second.detail = detail;
    if (live_) {
        draw_live();
    } else if (phase == Phase::building) {
        fmt::print("freezer: {} ({}) building: {}\n", style_.bold(sidecar), backend, detail);
        std::fflush(stdout);
    } else if (phase == Phase::smoke) {
        fmt::print("freezer: {} ({}) smoke test\n", style_.bold(sidecar), backend);
        std::fflush(stdout);
    }
}

void TerminalReporter::progress(const std::string& sidecar, const Progress& p) {
    if (quiet_) return;
    std::lock_guard g(mutex_);
    const auto it = rows_.find(sidecar);
    if (it == rows_.end() || it->second.phase != Phase::building) return;
    auto& row = it->second;
    row.progress = p;
    if (live_) {
        if (p.new_phase) row.detail = p.phase;  // drawn on the next tick
    } else if (p.new_phase && p.packager) {
        const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                                   row.since);
        fmt::print("freezer: {} ({}) {}: {}\n", style_.bold(sidecar), row.backend, human_duration(elapsed), p.phase);
        std::fflush(stdout);
    }
}

void TerminalReporter::beat() {
    const auto now = std::chrono::steady_clock::now();
    for (const auto& name : order_) {
        auto& row = rows_.at(name);
        if (row.phase != Phase::building || now < row.next_beat) continue;
        if (row.next_beat == std::chrono::steady_clock::time_point{}) {  // the build just started
            row.next_beat = row.since + heartbeat_;
            if (now < row.next_beat) continue;
        }
        row.next_beat += heartbeat_;
        const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - row.since);
        auto figures = human_duration(elapsed);
        if (row.progress.usage_known)
            figures += fmt::format(", cpu {}, rss {}", human_duration(row.progress.cpu),
                                   human_size(static_cast<std::uint64_t>(row.progress.rss_kb) * 1024));
        fmt::print("freezer: {} ({}) still building ({})\n", style_.bold(name), row.backend, figures);
    }
    std::fflush(stdout);
}

void TerminalReporter::print_result(const SidecarResult& r) {
    const auto who = fmt::format("{} ({})", style_.bold(r.name), r.backend);
    switch (r.status) {
        case Status::skipped:
            fmt::print("freezer: {} {} {}\n", who, style_.green("up to date, skipped"),
                       style_.dim(fmt::format("[key {}, {}]", r.key.substr(0, 12), human_duration(r.duration))));
            break;
        case Status::restored:
            fmt::print("freezer: {} {} in {} -> {} ({})\n", who, style_.green("restored from the cache"),
                       human_duration(r.duration), r.artifact.string(), human_size(r.size));
            if (r.smoke.ran) fmt::print("  smoke test passed: {}\n", r.smoke.message);
            if (!r.tauri_copy.empty()) fmt::print("  tauri: {}\n", r.tauri_copy.string());
            if (verbose_) {
                fmt::print("  {}\n", r.reason);
                for (const auto& c : r.changes) fmt::print("  because: {}\n", c);
            }
            break;
        case Status::built:
            fmt::print("freezer: {} {} in {} -> {} ({})\n", who, style_.green("built"),
                       human_duration(r.duration), r.artifact.string(), human_size(r.size));
            if (r.smoke.ran) fmt::print("  smoke test passed: {}\n", r.smoke.message);
            if (!r.metrics.empty()) fmt::print("  {}\n", metrics_text(r.metrics));
            if (!r.tauri_copy.empty()) fmt::print("  tauri: {}\n", r.tauri_copy.string());
            if (verbose_) {
                for (const auto& c : r.changes) fmt::print("  because: {}\n", c);
                if (!r.build_path.empty()) fmt::print("  {}\n", r.build_path);
            }
            break;
        case Status::cancelled:
            fmt::print("freezer: {} {}: {}\n", who, style_.yellow("cancelled"), r.error);
            break;
        case Status::failed:
            fmt::print("freezer: {} {} after {}: {}\n", who, style_.red("FAILED"), human_duration(r.duration),
                       r.error);
            print_failure_tail(style_, r);
            break;
    }
}

void TerminalReporter::finished(const SidecarResult& r) {
    if (quiet_) return;
    std::lock_guard g(mutex_);
    if (live_) clear_live();
    rows_.erase(r.name);
    order_.erase(std::remove(order_.begin(), order_.end(), r.name), order_.end());
    print_result(r);
    if (live_ && !order_.empty()) draw_live();
    std::fflush(stdout);
}

void TerminalReporter::summary(const std::vector<SidecarResult>& results, std::chrono::milliseconds total) {
    {
        std::lock_guard g(mutex_);
        stop_ = true;
        if (live_) clear_live();
    }
    tick_.notify_all();
    if (ticker_.joinable()) ticker_.join();
    if (quiet_) return;
    int counts[5] = {0, 0, 0, 0, 0};  // indexed by Status
    for (const auto& r : results) ++counts[static_cast<int>(r.status)];
    if (!results.empty()) {  // one sidecar or many: the same table
        TextTable table({{"sidecar"}, {"backend"}, {"status", false, 9}, {"time", true, 7}, {"size", true, 9},
                         {"smoke", false, 6}, {"notes"}});
        for (const auto& r : results)
            table.add({r.name, r.backend, to_string(r.status), human_duration(r.duration),
                       r.size ? human_size(r.size) : std::string("-"),
                       !r.smoke.ran ? "-" : r.smoke.passed ? "passed" : "FAILED", metrics_text(r.metrics)});
        fmt::print("\n{}\n", table.render("  ", "  "));
    }
    auto line = fmt::format("{} built, ", counts[0]);
    if (counts[4]) line += fmt::format("{} restored from the cache, ", counts[4]);
    line += fmt::format("{} skipped, {} failed", counts[1], counts[2]);
    if (counts[3]) line += fmt::format(", {} cancelled", counts[3]);
    line += " in " + human_duration(total);
    fmt::print("freezer: {}\n", counts[2] || counts[3] ? style_.red(line) : line);
    std::vector<std::string> untested;
    for (const auto& r : results)
        if (r.untested && r.status == Status::built) untested.push_back(r.name);
    if (!untested.empty())
        fmt::print("{}\n", style_.yellow(fmt::format(
                              "freezer: warning: {} no smoke test, so {} installed untested: add smoke: to {} in "
                              "freezer.yaml, or smoke: {{untested: \"why\"}} to say it is on purpose",
                              fmt::format("{} {}", fmt::join(untested, ", "), untested.size() == 1 ? "has" : "have"),
                              untested.size() == 1 ? "its binary was" : "their binaries were",
                              untested.size() == 1 ? "it" : "each")));
    std::fflush(stdout);
}

void print_failure_tail(const Style& style, const SidecarResult& r) {
    if (!r.log_tail.empty()) {
        fmt::print("  last {} lines of {}:\n", r.log_tail.size(),
                   r.smoke.ran && !r.smoke.passed ? "the binary's output" : r.log.string());
        for (const auto& l : r.log_tail) fmt::print("  {} {}\n", style.dim("|"), l);
    }
    if (!r.log.empty()) fmt::print("  full log: {}\n", r.log.string());
}

nlohmann::json to_json(const SidecarResult& r) {
    nlohmann::json j = {
        {"sidecar", r.name},
        {"backend", r.backend},
        {"status", to_string(r.status)},
        {"key", r.key},
        {"reason", r.reason},
        {"changes", r.changes},
        {"duration_ms", r.duration.count()},
        {"log", r.log.string()},
        {"peak_rss_kb", nullptr},
        {"cpu_ms", nullptr},
        {"cpu_tokens", nullptr},
        {"smoke", nullptr},
        {"artifact", nullptr},
        {"size", nullptr},
        {"tauri", nullptr},
    };
    if (r.status == Status::built || r.status == Status::failed) {
        j["peak_rss_kb"] = r.peak_rss_kb;
        j["cpu_ms"] = r.cpu.count();
        j["cpu_tokens"] = r.cpu_tokens;
    }
    if (r.smoke.ran) j["smoke"] = {{"passed", r.smoke.passed}, {"message", r.smoke.message}};
    j["untested"] = r.untested;
    if (r.status == Status::failed || r.status == Status::cancelled) {
        j["error"] = r.error;
        j["log_tail"] = r.log_tail;
    } else {
        j["artifact"] = r.artifact.string();
        j["size"] = r.size;
    }
    if (!r.tauri_copy.empty()) j["tauri"] = r.tauri_copy.string();
    j["metrics"] = r.metrics;
    // A backend with a fast path: which path the build took, and why.
    j["build_path"] = r.build_path.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.build_path);
    j["fast_path"] = r.fast_path;
    return j;
}

}  // namespace freezer::cli

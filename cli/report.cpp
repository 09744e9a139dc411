#include "report.hpp"

#include <unistd.h>

#include <cstdlib>

#include <fmt/format.h>

namespace freezer::cli {

Style make_style(const std::string& mode, std::FILE* stream) {
    if (mode == "always") return {true};
    if (mode == "never") return {false};
    const char* term = std::getenv("TERM");
    const bool tty = ::isatty(::fileno(stream)) == 1;
    return {tty && !std::getenv("NO_COLOR") && !(term && std::string(term) == "dumb")};
}

std::string human_size(std::uint64_t bytes) {
    if (bytes < 1024) return fmt::format("{} B", bytes);
    if (bytes < 1024 * 1024) return fmt::format("{:.1f} KB", bytes / 1024.0);
    if (bytes < 1024ULL * 1024 * 1024) return fmt::format("{:.1f} MB", bytes / 1048576.0);
    return fmt::format("{:.2f} GB", bytes / 1073741824.0);
}

std::string human_duration(std::chrono::milliseconds ms) {
    const auto n = ms.count();
    if (n < 1000) return fmt::format("{}ms", n);
    if (n < 60000) return fmt::format("{:.1f}s", n / 1000.0);
    return fmt::format("{}m{:02}s", n / 60000, (n / 1000) % 60);
}

void TerminalReporter::warning(const std::string& message) {
    fmt::print(stderr, "freezer: {} {}\n", style_.yellow("warning:"), message);
}

void TerminalReporter::started(const std::string& sidecar, const std::string& backend,
                               const std::string& reason) {
    if (quiet_) return;
    fmt::print("freezer: {} ({}) building: {}\n", style_.bold(sidecar), backend, reason);
    std::fflush(stdout);
}

void TerminalReporter::finished(const SidecarResult& r) {
    if (quiet_) return;
    const auto who = fmt::format("{} ({})", style_.bold(r.name), r.backend);
    switch (r.status) {
        case Status::skipped:
            fmt::print("freezer: {} {} {}\n", who, style_.green("up to date, skipped"),
                       style_.dim(fmt::format("[key {}, {}]", r.key.substr(0, 12),
                                              human_duration(r.duration))));
            break;
        case Status::built:
            fmt::print("freezer: {} {} in {} -> {} ({})\n", who, style_.green("built"),
                       human_duration(r.duration), r.artifact.string(), human_size(r.size));
            if (verbose_)
                for (const auto& c : r.changes) fmt::print("  because: {}\n", c);
            break;
        case Status::failed:
            fmt::print("freezer: {} {} after {}: {}\n", who, style_.red("FAILED"),
                       human_duration(r.duration), r.error);
            if (!r.log_tail.empty()) {
                fmt::print("  last {} lines of {}:\n", r.log_tail.size(), r.log.string());
                for (const auto& l : r.log_tail) fmt::print("  {} {}\n", style_.dim("|"), l);
            } else {
                fmt::print("  full log: {}\n", r.log.string());
            }
            break;
    }
    std::fflush(stdout);
}

void TerminalReporter::summary(const std::vector<SidecarResult>& results,
                               std::chrono::milliseconds total) const {
    if (quiet_) return;
    int built = 0, skipped = 0, failed = 0;
    for (const auto& r : results) {
        if (r.status == Status::built) ++built;
        if (r.status == Status::skipped) ++skipped;
        if (r.status == Status::failed) ++failed;
    }
    const auto line = fmt::format("{} built, {} skipped, {} failed in {}", built, skipped, failed,
                                  human_duration(total));
    fmt::print("freezer: {}\n", failed ? style_.red(line) : line);
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
    };
    if (r.status == Status::built) {
        j["peak_rss_kb"] = r.peak_rss_kb;
        j["cpu_ms"] = r.cpu.count();
    } else {
        j["peak_rss_kb"] = nullptr;
        j["cpu_ms"] = nullptr;
    }
    if (r.status == Status::failed) {
        j["error"] = r.error;
        j["log_tail"] = r.log_tail;
        j["artifact"] = nullptr;
        j["size"] = nullptr;
    } else {
        j["artifact"] = r.artifact.string();
        j["size"] = r.size;
    }
    return j;
}

}  // namespace freezer::cli

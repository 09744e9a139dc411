// How `freezer` talks: human lines on a terminal or in CI logs, JSON for scripts.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "builder.hpp"

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

std::string human_size(std::uint64_t bytes);
std::string human_duration(std::chrono::milliseconds ms);

class TerminalReporter final : public Reporter {
public:
    TerminalReporter(Style style, bool verbose, bool quiet) : style_(style), verbose_(verbose), quiet_(quiet) {}
    void warning(const std::string& message) override;
    void started(const std::string& sidecar, const std::string& backend,
                 const std::string& reason) override;
    void finished(const SidecarResult& result) override;
    void summary(const std::vector<SidecarResult>& results, std::chrono::milliseconds total) const;

private:
    Style style_;
    bool verbose_;
    bool quiet_;  // --json: human lines stay off stdout
};

nlohmann::json to_json(const SidecarResult& r);

}  // namespace freezer::cli

// Small parsers and formatters of freezer.yaml's values, shared with the CLI.
#include <freezer/config.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>

#include <fmt/format.h>

namespace freezer::config {

std::string format_diagnostic(const Diagnostic& d) {
    std::string where = d.where.file;
    if (d.where.line > 0) where += fmt::format(":{}:{}", d.where.line, d.where.column);
    const char* sev = d.severity == Diagnostic::Severity::error ? "error" : "warning";
    if (d.path.empty()) return fmt::format("{}: {}: {}", where, sev, d.message);
    return fmt::format("{}: {}: {}: {}", where, sev, d.path, d.message);
}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
    auto distance = [](const std::string& a, const std::string& b) {
        std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
        for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
        for (std::size_t i = 1; i <= a.size(); ++i) {
            cur[0] = i;
            for (std::size_t j = 1; j <= b.size(); ++j)
                cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
            std::swap(prev, cur);
        }
        return prev[b.size()];
    };
    std::string best;
    std::size_t best_d = std::max<std::size_t>(2, word.size() / 3) + 1;
    for (const auto& c : candidates) {
        const auto d = distance(word, c);
        if (d < best_d) {
            best_d = d;
            best = c;
        }
    }
    return best;
}

namespace {

// The length of the plain decimal number text starts with: [0-9]+(\.[0-9]+)?, as the
// schema's patterns have it. strtod alone would also take " 5", "0x10", "1e400", "inf"
// and "nan".
std::size_t decimal_prefix(const std::string& text) {
    std::size_t i = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (i == 0) return 0;
    if (i + 1 < text.size() && text[i] == '.' && std::isdigit(static_cast<unsigned char>(text[i + 1]))) {
        ++i;
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    }
    return i;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(const std::string& text) {
    const auto n = decimal_prefix(text);
    if (n == 0) return std::nullopt;
    const double v = std::strtod(text.substr(0, n).c_str(), nullptr);
    const std::string unit = text.substr(n);
    double ms = 0;
    if (unit.empty() || unit == "s")
        ms = v * 1000;
    else if (unit == "ms")
        ms = v;
    else if (unit == "m" || unit == "min")
        ms = v * 60000;
    else if (unit == "h")
        ms = v * 3600000;
    else
        return std::nullopt;
    if (!std::isfinite(ms) || ms > kMaxDurationMs) return std::nullopt;  // 99999999999999999999h
    return std::chrono::milliseconds(static_cast<long long>(ms));
}

std::optional<std::uint64_t> parse_size(const std::string& text) {
    const std::size_t i = decimal_prefix(text);
    if (i == 0) return std::nullopt;
    const double number = std::strtod(text.substr(0, i).c_str(), nullptr);
    std::string unit;
    for (char c : text.substr(i))
        if (c != ' ') unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    static const std::map<std::string, double> units = {
        {"", 1},       {"b", 1},      {"k", 1e3},  {"kb", 1e3},  {"kib", 1024.0},       {"m", 1e6},
        {"mb", 1e6},   {"mib", 1048576.0},         {"g", 1e9},   {"gb", 1e9},           {"gib", 1073741824.0},
        {"t", 1e12},   {"tb", 1e12},  {"tib", 1099511627776.0}};
    const auto it = units.find(unit);
    if (it == units.end()) return std::nullopt;
    const double bytes = number * it->second;
    if (!std::isfinite(bytes) || bytes > kMaxSizeBytes) return std::nullopt;  // 20000000TB would wrap to 0
    return static_cast<std::uint64_t>(bytes);
}

std::string where_text(const Location& where) {
    if (where.line <= 0) return where.file;
    return fmt::format("{}:{}:{}", where.file, where.line, where.column);
}

bool valid_sidecar_name(const std::string& name) {
    if (name.empty() || name.size() > 100 || !std::isalnum(static_cast<unsigned char>(name[0])))
        return false;
    return std::all_of(name.begin(), name.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '.' || c == '_' || c == '-';
    });
}

}  // namespace freezer::config

#include "engine/build_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <deque>
#include <fstream>
#include <regex>
#include <sstream>

namespace freezer {
namespace fs = std::filesystem;

BuildLog::BuildLog(fs::path file) : path_(std::move(file)) {
    std::error_code ec;
    fs::create_directories(path_.parent_path(), ec);
    fd_ = open_fd(path_, O_RDWR | O_CREAT | O_TRUNC, 0644);
}

void BuildLog::line(std::string_view text) {
    if (!fd_) return;
    std::string s(text);
    s += '\n';
    (void)write_all(fd_.get(), s);
    scanned_ = ::lseek(fd_.get(), 0, SEEK_END);  // freezer's own lines are not a step's output
}

BuildLog::StepText BuildLog::take_step_output() {
    StepText out;
    if (!fd_) return out;
    const off_t end = ::lseek(fd_.get(), 0, SEEK_END);
    if (end > scanned_) {
        out.text.resize(static_cast<std::size_t>(end - scanned_));
        std::size_t got = 0;
        while (got < out.text.size()) {
            const ssize_t n = ::pread(fd_.get(), out.text.data() + got, out.text.size() - got,
                                      scanned_ + static_cast<off_t>(got));
            if (n <= 0) break;
            got += static_cast<std::size_t>(n);
        }
        out.text.resize(got);
    }
    scanned_ = end;
    static const std::string kPrefix = "::freezer-warning::";
    std::istringstream lines(out.text);
    for (std::string l; std::getline(lines, l);)
        if (l.rfind(kPrefix, 0) == 0) out.warnings.push_back(l.substr(kPrefix.size()));
    return out;
}

std::vector<std::string> BuildLog::lines_since(off_t& offset, std::size_t max_bytes) const {
    std::vector<std::string> out;
    if (!fd_) return out;
    const off_t end = ::lseek(fd_.get(), 0, SEEK_END);
    if (end <= offset) return out;
    bool skipped = false;
    if (static_cast<std::size_t>(end - offset) > max_bytes) {
        offset = end - static_cast<off_t>(max_bytes);
        skipped = true;
    }
    std::string text(static_cast<std::size_t>(end - offset), '\0');
    const ssize_t n = ::pread(fd_.get(), text.data(), text.size(), offset);
    if (n <= 0) return out;
    text.resize(static_cast<std::size_t>(n));
    const auto last = text.rfind('\n');
    if (last == std::string::npos) {
        if (skipped) offset += n;  // one huge line: drop it
        return out;
    }
    std::istringstream lines(text.substr(0, last + 1));
    std::string l;
    if (skipped) std::getline(lines, l);  // the first line was cut
    while (std::getline(lines, l)) out.push_back(l);
    offset += static_cast<off_t>(last + 1);
    return out;
}

void BuildLog::add_metrics(std::string_view text, const std::vector<sdk::Metric>& metrics,
                           std::map<std::string, long long>& totals) {
    for (const auto& m : metrics) {
        try {
            const std::regex re(m.pattern);
            long long total = 0;
            for (std::cregex_iterator it(text.data(), text.data() + text.size(), re), end; it != end; ++it)
                if (it->size() > 1) total += std::stoll((*it)[1].str());
            totals[m.name] += total;
        } catch (const std::exception&) {
        }
    }
}

std::vector<std::string> BuildLog::matching_hints(std::string_view text, const std::vector<sdk::FailureHint>& hints) {
    std::vector<std::string> out;
    for (const auto& h : hints) {
        try {
            if (std::regex_search(text.begin(), text.end(), std::regex(h.pattern))) out.push_back(h.message);
        } catch (const std::exception&) {
        }
    }
    return out;
}

std::vector<std::string> BuildLog::tail(std::size_t n) const { return tail_lines(path_, n); }

std::vector<std::string> tail_lines(const fs::path& file, std::size_t n) {
    std::ifstream in(file);
    std::deque<std::string> lines;
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
        if (lines.size() > n) lines.pop_front();
    }
    return {lines.begin(), lines.end()};
}

}  // namespace freezer

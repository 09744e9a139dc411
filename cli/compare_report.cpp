#include "compare_report.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <map>

#include <fmt/format.h>

#include "junit.hpp"

#include "util/formats.hpp"

#include "text_table.hpp"
namespace freezer::cli {
using nlohmann::json;
using std::chrono::milliseconds;
using namespace compare_detail;

namespace {

json build_json(const BuildFigures& b) {
    if (!b.measured) return nullptr;
    return {{"wall_ms", b.wall.count()}, {"cpu_ms", b.cpu.count()}, {"peak_rss_kb", b.peak_rss_kb},
            {"metrics", b.metrics}};
}

json composition_json(const std::vector<CompositionPart>& parts) {
    if (parts.empty()) return nullptr;
    auto out = json::array();
    for (const auto& p : parts) out.push_back({{"package", p.package}, {"bytes", p.bytes}});
    return out;
}

// "(runtime) 2.7 MB, encodings 310.2 kB, ...": the largest packages of a row's build.
std::string largest_text(const CompareRow& r, std::size_t n) {
    std::vector<std::string> parts;
    for (const auto& p : r.composition) {
        if (parts.size() == n) break;
        if (p.package != kEverythingElse) parts.push_back(fmt::format("{} {}", p.package, human_size(p.bytes)));
    }
    return fmt::format("{}", fmt::join(parts, ", "));
}

std::vector<long long> counts(const std::vector<milliseconds>& v) {
    std::vector<long long> out;
    for (const auto& m : v) out.push_back(m.count());
    return out;
}

}  // namespace

std::string compare_detail::ms(milliseconds m) { return human_duration(m); }

std::string compare_detail::ms(double m) {
    if (m < 10) return fmt::format("{:.1f}ms", m);
    return human_duration(milliseconds(static_cast<long long>(m + 0.5)));
}

namespace {

// The backend's own figures (as its plan names them) for the one-line change.
std::string metrics_note(const BuildFigures& b) { return b.measured ? metrics_text(b.metrics) : ""; }

}  // namespace

const std::vector<std::string> compare_detail::kHeader = {"sidecar", "backend", "status", "cold", "no change", "1-line change",
                                          "peak RSS", "CPU", "size", "files", "first run", "median", "p90",
                                                          "smoke", "backend metrics"};

Line compare_detail::row_cells(const CompareRow& r) {
    auto opt = [](bool have, const std::string& s) { return have ? s : std::string("-"); };
    const bool built = r.cold.measured && r.size > 0;
    return {
        {r.sidecar, false},
        {r.backend, false},
        {r.status, false},
        {opt(r.cold.measured, ms(r.cold.wall))},
        {opt(r.no_change_ms.has_value(), r.no_change_ms ? ms(*r.no_change_ms) : "")},
        {opt(r.change.measured && r.change.wall.count() > 0, ms(r.change.wall))},
        {opt(r.cold.measured && r.cold.peak_rss_kb > 0, human_size(static_cast<std::uint64_t>(r.cold.peak_rss_kb) * 1024))},
        {opt(r.cold.measured, ms(r.cold.cpu))},
        {opt(built, human_size(r.size))},
        {opt(built, std::to_string(r.files))},
        {opt(r.startup.measured, ms(r.startup.first))},
        {opt(r.startup.measured, ms(r.startup.median_ms))},
        {opt(r.startup.measured, ms(r.startup.p90_ms))},
        {!r.smoke_configured ? "none" : !built ? "-" : r.smoke_passed ? "passed" : "FAILED", false},
        {opt(!metrics_note(r.change).empty(), metrics_note(r.change))},
    };
}

std::string compare_detail::lines(std::size_t n) { return fmt::format("{} line{}", n, n == 1 ? "" : "s"); }

std::string compare_detail::note(const CompareRow& r) {
    return fmt::format("{} x {}: {}: {}", r.sidecar, r.backend, r.status, r.reason);
}

namespace {

std::vector<std::string> notes(const CompareReport& report) {
    std::vector<std::string> out;
    for (const auto& r : report.rows)
        if (r.status != "ok") out.push_back(note(r));
    return out;
}


// The table shows all of a failure's log tail, or, after what the binary printed (which
// the log holds as well), its last lines only; the JSON and HTML have all of it.
constexpr std::size_t kTableLogLinesAfterOutput = 12;

// What a failed row's cell said, under its note in the table: what the binary printed,
// the log's last lines, and where the whole log is.
std::string failure_text(const CompareRow& r, const Style& style) {
    std::string out;
    const auto block = [&](auto begin, auto end) {
        for (auto it = begin; it != end; ++it) out += fmt::format("\n    {} {}", style.dim("|"), *it);
    };
    if (!r.output_tail.empty()) {
        out += fmt::format("\n    what the binary printed (its last {}):", lines(r.output_tail.size()));
        block(r.output_tail.begin(), r.output_tail.end());
    }
    const std::size_t shown =
        r.output_tail.empty() ? r.log_tail.size() : std::min(r.log_tail.size(), kTableLogLinesAfterOutput);
    if (shown > 0) {
        out += fmt::format("\n    the log's last {}:", lines(shown));
        block(r.log_tail.end() - static_cast<std::ptrdiff_t>(shown), r.log_tail.end());
    }
    if (!r.log.empty()) out += "\n    full log: " + r.log.string();
    return out;
}

// A fenced code block that no line of `text` can end early.
std::string fenced(const std::vector<std::string>& text) {
    std::size_t longest = 0;
    for (const auto& l : text) {
        const auto run = l.find_first_not_of('`');
        longest = std::max(longest, run == std::string::npos ? l.size() : run);
    }
    const std::string fence(std::max<std::size_t>(3, longest + 1), '`');
    std::string out = fence + "text\n";
    for (const auto& l : text) out += l + "\n";
    return out + fence + "\n";
}

}  // namespace

std::string compare_detail::method(const CompareReport& report) {
    std::string changed;
    for (const auto& r : report.rows)
        if (!r.changed_file.empty()) {
            changed = r.changed_file;
            break;
        }
    return fmt::format(
        "cold: first build with empty caches; no change: median of {} skip decisions with nothing changed (hashing "
        "and state check in-process; a `freezer build` process adds its own start); 1-line change: "
        "rebuild after one line was appended to one input{}; first run: the smoke command on a fresh HOME; "
        "median, p90: {} further runs; peak RSS and CPU: the cold build's packager; backend metrics: the figures "
        "the backend reads off the rebuild's log. {} CPU{}, builds -j {}, {} {}.",
        report.runs, changed.empty() ? "" : " (" + changed + ")", report.runs, report.cpus,
        report.cpus == 1 ? "" : "s", report.jobs, "Python", report.python_version);
}

json compare_json(const CompareReport& report, const std::string& freezer_version) {
    json out = {{"format", "freezer-compare"},
                {"version", formats::kCompareReport},
                {"freezer", freezer_version},
                {"started_at", report.started_at},
                {"duration_ms", report.duration.count()},
                {"project", report.project},
                {"python", {{"path", report.python}, {"version", report.python_version}}},
                {"host", {{"cpus", report.cpus}}},
                {"jobs", report.jobs},
                {"runs", report.runs},
                {"backends", report.backends},
                {"scratch", report.scratch.empty() ? json(nullptr) : json(report.scratch.string())},
                {"results", json::array()}};
    for (const auto& r : report.rows) {
        const bool built = r.cold.measured && r.size > 0;
        json j = {{"sidecar", r.sidecar},
                  {"backend", r.backend},
                  {"status", r.status},
                  {"reason", r.status == "ok" ? json(nullptr) : json(r.reason)},
                  {"tool_version", r.tool_version.empty() ? json(nullptr) : json(r.tool_version)},
                  {"mode", r.mode},
                  {"artifact", built ? json{{"path", r.artifact}, {"size_bytes", r.size}, {"files", r.files}}
                                     : json(nullptr)},
                  {"build",
                   {{"cold", build_json(r.cold)},
                    {"no_change", r.no_change_ms ? json{{"median_ms", *r.no_change_ms},
                                                        {"samples_ms", r.no_change_samples_ms}}
                                                 : json(nullptr)},
                    {"change", build_json(r.change)},
                    {"changed_file", r.changed_file.empty() ? json(nullptr) : json(r.changed_file)}}},
                  {"startup", r.startup.measured ? json{{"command", r.startup.what},
                                                        {"first_ms", r.startup.first.count()},
                                                        {"median_ms", r.startup.median_ms},
                                                        {"p90_ms", r.startup.p90_ms},
                                                        {"samples_ms", counts(r.startup.samples)}}
                                                 : json(nullptr)},
                  {"smoke", {{"configured", r.smoke_configured},
                             {"passed", r.smoke_configured && built ? json(r.smoke_passed) : json(nullptr)},
                             {"message", r.smoke}}},
                  {"composition", composition_json(r.composition)},
                  {"log", r.log.empty() ? json(nullptr) : json(r.log.string())},
                  {"log_tail", r.log_tail},
                  {"output_tail", r.output_tail}};
        out["results"].push_back(std::move(j));
    }
    return out;
}

std::string compare_table(const CompareReport& report, const Style& style) {
    std::vector<Column> columns;
    for (std::size_t c = 0; c < kHeader.size(); ++c) columns.push_back({kHeader[c], !(c < 3 || c == 13)});
    TextTable table(std::move(columns));
    for (const auto& r : report.rows) {
        std::vector<std::string> cells;
        for (const auto& cell : row_cells(r)) cells.push_back(cell.text);
        table.add(std::move(cells));
    }
    std::string out = "\n" + table.render("  ", " ", [&](const std::string& t, std::size_t c) {
        if (c != 2 && c != 13) return t;
        if (t.find("FAILED") != std::string::npos || t.find("failed") != std::string::npos) return style.red(t);
        if (t.find("missing") != std::string::npos) return style.yellow(t);
        if (t.find("passed") != std::string::npos || t.rfind("ok", 0) == 0) return style.green(t);
        return t;
    });
    bool any_composition = false;
    for (const auto& r : report.rows)
        if (!r.composition.empty()) {
            out += fmt::format("\n  {} x {} largest: {}", r.sidecar, r.backend, largest_text(r, 5));
            any_composition = true;
        }
    if (any_composition) out += "\n";
    // Each row that is not ok, why in full, and for a failure what its cell said (set
    // apart by a blank line).
    bool any_note = false, spaced = false;
    for (const auto& r : report.rows) {
        if (r.status == "ok") continue;
        const bool failed = r.status == "failed";
        out += (any_note && failed && !spaced ? "\n\n  " : "\n  ") + note(r);
        if (failed) out += failure_text(r, style) + "\n";
        any_note = true;
        spaced = failed;
    }
    if (any_note && !spaced) out += "\n";
    if (!report.scratch.empty()) out += "\n  scratch copy kept in " + report.scratch.string() + "\n";
    out += "\n" + style.dim("  " + method(report)) + "\n";
    return out;
}

std::string compare_markdown(const CompareReport& report) {
    auto esc = [](std::string s) {
        std::string out;
        for (char c : s) {
            if (c == '|') out += "\\|";
            else if (c == '\n') out += "<br>";
            else out += c;
        }
        return out;
    };
    std::string out = fmt::format("### freezer compare: {}\n\n", fmt::join(report.backends, " vs "));
    out += "|";
    for (std::size_t c = 0; c < kHeader.size(); ++c) out += " " + kHeader[c] + " |";
    out += "\n|";
    for (std::size_t c = 0; c < kHeader.size(); ++c) out += (c < 3 || c == 13) ? " --- |" : " ---: |";
    out += "\n";
    for (const auto& r : report.rows) {
        out += "|";
        for (const auto& cell : row_cells(r)) {
            std::string t = esc(cell.text);
            if (t == "failed" || t == "FAILED" || t == "missing") t = "**" + t + "**";
            out += " " + t + " |";
        }
        out += "\n";
    }
    const auto n = notes(report);
    if (!n.empty()) {
        out += "\n";
        for (const auto& line : n) out += "- " + esc(line) + "\n";
    }
    // What each failed cell said, folded: a CI step summary outlives the scratch copy.
    for (const auto& r : report.rows) {
        if (r.status != "failed" || (r.output_tail.empty() && r.log_tail.empty())) continue;
        out += fmt::format(
            "\n<details><summary>{} x {}: what the binary printed and the log's last lines</summary>\n\n",
            xml_escape(r.sidecar), xml_escape(r.backend));
        if (!r.output_tail.empty()) out += "What the binary printed:\n\n" + fenced(r.output_tail) + "\n";
        if (!r.log_tail.empty())
            out += fmt::format("The log's last {}{}:\n\n", lines(r.log_tail.size()),
                               r.log.empty() ? "" : " (" + esc(r.log.string()) + ")") +
                   fenced(r.log_tail) + "\n";
        out += "</details>\n";
    }
    out += "\n<sub>" + esc(method(report)) + "</sub>\n";
    return out;
}

std::vector<SidecarResult> compare_results(const CompareReport& report) {
    std::vector<SidecarResult> out;
    for (const auto& r : report.rows) {
        SidecarResult s;
        s.name = r.sidecar;
        s.backend = r.backend;
        s.duration = r.cold.wall + r.change.wall;
        s.smoke = {r.smoke_configured && r.cold.measured, r.smoke_passed, r.smoke, r.output_tail};
        // JUnit has one text per failure: what the binary printed, then the log's end.
        if (!r.output_tail.empty()) {
            s.log_tail.push_back("what the binary printed:");
            for (const auto& l : r.output_tail) s.log_tail.push_back("| " + l);
            if (!r.log_tail.empty()) s.log_tail.push_back("the log's last lines:");
        }
        s.log_tail.insert(s.log_tail.end(), r.log_tail.begin(), r.log_tail.end());
        s.log = r.log;
        if (r.status == "ok") {
            s.status = Status::built;
            s.reason = fmt::format("cold {}, size {}", human_duration(r.cold.wall), human_size(r.size));
        } else if (r.status == "missing") {
            s.status = Status::cancelled;
            s.error = r.reason;
        } else {
            s.status = Status::failed;
            s.error = r.reason;
        }
        out.push_back(std::move(s));
    }
    return out;
}

}  // namespace freezer::cli

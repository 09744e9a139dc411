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

std::string ms(milliseconds m) { return human_duration(m); }
std::string ms(double m) {
    if (m < 10) return fmt::format("{:.1f}ms", m);
    return human_duration(milliseconds(static_cast<long long>(m + 0.5)));
}

// The backend's own figures (as its plan names them) for the one-line change.
std::string metrics_note(const BuildFigures& b) { return b.measured ? metrics_text(b.metrics) : ""; }

// One line per row, the columns every output shares.
struct Cell {
    std::string text;
    bool right = true;
};
using Line = std::vector<Cell>;

const std::vector<std::string> kHeader = {"sidecar", "backend", "status", "cold", "no change", "1-line change",
                                          "peak RSS", "CPU", "size", "files", "first run", "median", "p90",
                                          "smoke", "backend metrics"};

Line row_cells(const CompareRow& r) {
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

// Why a row is not ok, in full: "api x pex-scie: failed: cold build: ...".
std::string note(const CompareRow& r) {
    return fmt::format("{} x {}: {}: {}", r.sidecar, r.backend, r.status, r.reason);
}

std::vector<std::string> notes(const CompareReport& report) {
    std::vector<std::string> out;
    for (const auto& r : report.rows)
        if (r.status != "ok") out.push_back(note(r));
    return out;
}

// "1 line", "12 lines".
std::string lines(std::size_t n) { return fmt::format("{} line{}", n, n == 1 ? "" : "s"); }

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

std::string method(const CompareReport& report) {
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

}  // namespace

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

namespace {

std::string html_seconds(double m) { return ms(m); }

// The id of a failed row's entry under Failures, which the table and charts link to.
std::string failure_id(const CompareRow& r) {
    std::string id = "failure-" + r.sidecar + "-" + r.backend;
    for (auto& c : id)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
    return id;
}

// Why a row has no bars, as a chart says it in the room it has (about 80 characters): its
// first line, cut short when long (the whole on hover). A failure's links to its entry
// under Failures, which has it in full with what the cell said.
chart::Group chart_note(const CompareRow& r) {
    chart::Group g;
    if (r.status == "ok") return g;
    const std::string full = r.status + ": " + r.reason;
    const std::size_t room = r.status == "failed" ? 60 : 80;  // a failure's note also says where the rest is
    g.missing = full.substr(0, full.find('\n'));
    if (g.missing.size() > room) {
        std::size_t n = room;
        while (n > 0 && (static_cast<unsigned char>(g.missing[n]) & 0xC0) == 0x80) --n;  // not inside a character
        g.missing.resize(n);
        g.missing += "\u2026";
    }
    if (g.missing != full) {
        g.tooltip = full;
        if (r.status == "failed") g.missing += " (in full under Failures)";
    }
    if (r.status == "failed") g.link = "#" + failure_id(r);
    return g;
}

// A colour per package, the same in every bar of the page: the largest packages (by
// their largest share of any build) get the palette, in order; "(everything else)" is grey.
std::map<std::string, std::string> package_colours(const CompareReport& report) {
    static const std::vector<std::string> kPalette = {
        "#1f78b4", "#ff7f00", "#33a02c", "#e31a1c", "#6a3d9a", "#b15928", "#a6cee3", "#fdbf6f", "#b2df8a", "#fb9a99",
        "#cab2d6", "#66c2a5", "#fc8d62", "#8da0cb", "#e78ac3", "#a6d854", "#ffd92f", "#e5c494", "#17becf", "#bcbd22"};
    std::map<std::string, std::uint64_t> largest;
    for (const auto& r : report.rows)
        for (const auto& p : r.composition)
            if (p.package != kEverythingElse) largest[p.package] = std::max(largest[p.package], p.bytes);
    std::vector<std::pair<std::string, std::uint64_t>> order(largest.begin(), largest.end());
    std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    std::map<std::string, std::string> out = {{kEverythingElse, "#d0d0d0"}};
    for (std::size_t i = 0; i < order.size(); ++i)
        out[order[i].first] = i < kPalette.size()
                                  ? kPalette[i]  // then hues a golden angle apart
                                  : fmt::format("hsl({:.0f},55%,55%)", std::fmod(static_cast<double>(i) * 137.508, 360.0));
    return out;
}

// The composition of each backend's build: one stacked bar each, its legend the
// packages that appear in them (largest first, the rest last).
std::string html_composition(const CompareReport& report, const std::string& name,
                             const std::map<std::string, std::string>& colours) {
    std::vector<chart::Stack> stacks;
    std::map<std::string, std::uint64_t> seen;  // package -> its largest slice here
    for (const auto& r : report.rows) {
        if (r.sidecar != name) continue;
        chart::Stack st;
        st.label = r.backend;
        for (const auto& p : r.composition) {
            st.segments.push_back({p.package, static_cast<double>(p.bytes), colours.at(p.package)});
            seen[p.package] = std::max(seen[p.package], p.bytes);
        }
        if (r.composition.empty()) {
            const auto why = chart_note(r);
            st.missing = why.missing.empty() ? "no bundle listing recorded" : why.missing;
            st.link = why.link;
            st.tooltip = why.tooltip;
        }
        stacks.push_back(std::move(st));
    }
    if (seen.empty()) return "";
    std::vector<std::pair<std::string, std::uint64_t>> order(seen.begin(), seen.end());
    std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
        const bool a_rest = a.first == kEverythingElse, b_rest = b.first == kEverythingElse;
        return a_rest != b_rest ? b_rest : a.second > b.second;
    });
    std::vector<chart::Series> legend;
    for (const auto& [package, _] : order) legend.push_back({package, colours.at(package)});
    return chart::stacked_chart("composition-" + name, "What each build holds",
                                "largest packages of the final build; hover for bytes and share", stacks, legend,
                                [](double v) { return human_size(static_cast<std::uint64_t>(v)); });
}

// One sidecar's section: its size, start-up and build time charts, a group per backend,
// then what each build holds.
std::string html_section(const CompareReport& report, const std::string& name,
                         const std::map<std::string, std::string>& colours) {
    std::vector<chart::Group> size, startup, build;
    for (const auto& r : report.rows) {
        if (r.sidecar != name) continue;
        const bool built = r.cold.measured && r.size > 0;
        const auto why = chart_note(r);  // no note for a row that is ok
        auto opt = [](bool have, double v) { return have ? std::optional<double>(v) : std::nullopt; };
        // A group of bars, or, when nothing was measured, `otherwise` says why.
        auto group = [&](std::vector<std::optional<double>> values, bool measured, chart::Group otherwise) {
            otherwise.label = r.backend;
            otherwise.values = std::move(values);
            if (measured) otherwise.missing = otherwise.link = otherwise.tooltip = "";
            return otherwise;
        };
        auto startup_why = why;
        if (startup_why.missing.empty()) startup_why.missing = "no smoke test to time";
        size.push_back(group({opt(built, static_cast<double>(r.size))}, built, why));
        startup.push_back(group({opt(r.startup.measured, static_cast<double>(r.startup.first.count())),
                                 opt(r.startup.measured, r.startup.median_ms),
                                 opt(r.startup.measured, r.startup.p90_ms)},
                                r.startup.measured, startup_why));
        build.push_back(group({opt(r.cold.measured, static_cast<double>(r.cold.wall.count())),
                               opt(r.no_change_ms.has_value(), r.no_change_ms.value_or(0)),
                               opt(r.change.measured, static_cast<double>(r.change.wall.count()))},
                              r.cold.measured, why));
    }
    std::string out = fmt::format("<section><h2>{}</h2>\n", xml_escape(name));
    out += chart::bar_chart("size-" + name, "Artifact size", "smaller is better", {{"size", "#4e79a7"}}, size,
                            [](double v) { return human_size(static_cast<std::uint64_t>(v)); });
    out += chart::bar_chart("startup-" + name, "Start-up latency", "smoke command; lower is better",
                            {{"first run", "#f28e2b"}, {"median", "#59a14f"}, {"p90", "#9c755f"}}, startup,
                            html_seconds);
    out += chart::bar_chart("build-" + name, "Build time", "lower is better",
                            {{"cold", "#e15759"}, {"no change", "#76b7b2"}, {"1-line change", "#af7aa1"}}, build,
                            html_seconds);
    out += html_composition(report, name, colours);
    return out + "</section>\n";
}

// The charts: one section per sidecar, in the order they came.
std::string html_charts(const CompareReport& report) {
    std::vector<std::string> sidecars;
    for (const auto& r : report.rows)
        if (std::find(sidecars.begin(), sidecars.end(), r.sidecar) == sidecars.end()) sidecars.push_back(r.sidecar);
    const auto colours = package_colours(report);
    std::string out;
    for (const auto& name : sidecars) out += html_section(report, name, colours);
    return out;
}

// The table the other outputs show, a row per sidecar x backend, then the problems.
std::string html_table(const CompareReport& report) {
    std::string table = "<table><thead><tr>";
    for (const auto& h : kHeader) table += "<th>" + xml_escape(h) + "</th>";
    table += "</tr></thead><tbody>\n";
    for (const auto& r : report.rows) {
        table += fmt::format("<tr class=\"{}\">", xml_escape(r.status));
        const auto cells = row_cells(r);
        for (std::size_t c = 0; c < cells.size(); ++c) {
            std::string text = xml_escape(cells[c].text);
            if (c == 2 && r.status == "failed")  // the status: a link to what the cell said
                text = fmt::format("<a href=\"#{}\">{}</a>", failure_id(r), text);
            table += fmt::format("<td class=\"{}\">{}</td>", cells[c].right ? "num" : "", text);
        }
        table += "</tr>\n";
    }
    return table + "</tbody></table>\n";
}

// Why each row that is not ok is not, in full; a failure's note links to its entry.
std::string html_problems(const CompareReport& report) {
    std::string problems;
    for (const auto& r : report.rows) {
        if (r.status == "ok") continue;
        problems += "<li>" + xml_escape(note(r));
        if (r.status == "failed") problems += fmt::format(R"( <a href="#{}">(what it said)</a>)", failure_id(r));
        problems += "</li>";
    }
    if (!problems.empty()) problems = "<ul class=\"problems\">" + problems + "</ul>";
    return problems;
}

// Failures: per failed row, the reason in full, what the binary printed, the log's last
// lines and where the whole log is (in the scratch copy, which a failure keeps).
std::string html_failures(const CompareReport& report) {
    std::string out;
    const auto pre = [](const char* cls, const std::vector<std::string>& text) {
        std::string body;
        for (const auto& l : text) body += xml_escape(l) + "\n";
        return fmt::format(R"(<pre class="{}">{}</pre>)", cls, body);
    };
    for (const auto& r : report.rows) {
        if (r.status != "failed") continue;
        out += fmt::format(R"(<div class="failure" id="{}"><h3>{} x {}</h3>)", failure_id(r), xml_escape(r.sidecar),
                           xml_escape(r.backend));
        out += fmt::format(R"(<pre class="reason">{}</pre>)", xml_escape(r.reason));
        if (!r.output_tail.empty())
            out += fmt::format("<p>What the binary printed (its last {}):</p>", lines(r.output_tail.size())) +
                   pre("output", r.output_tail);
        if (!r.log_tail.empty())
            out += fmt::format("<p>The log&apos;s last {}:</p>", lines(r.log_tail.size())) + pre("log", r.log_tail);
        if (!r.log.empty()) out += fmt::format("<p>Full log: <code>{}</code></p>", xml_escape(r.log.string()));
        out += "</div>\n";
    }
    return out.empty() ? "" : "<section id=\"failures\"><h2>Failures</h2>\n" + out + "</section>\n";
}

}  // namespace

std::string compare_html(const CompareReport& report, const std::string& freezer_version) {
    return fmt::format(R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="freezer {version}">
<title>freezer compare: {title}</title>
<style>
body {{ font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; margin: 24px auto; max-width: 1180px; padding: 0 16px; }}
h1 {{ font-size: 22px; margin: 0 0 4px; }} h2 {{ font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }}
.meta {{ color: #666; margin: 0 0 16px; }}
table {{ border-collapse: collapse; font-size: 13px; margin: 12px 0; }}
th, td {{ padding: 4px 8px; border-bottom: 1px solid #e5e5e5; white-space: nowrap; }}
th {{ text-align: left; background: #f6f6f6; }} td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
tr.failed td {{ background: #fdecea; }} tr.missing td {{ background: #fff8e1; }}
.problems {{ color: #8a1c12; }}
.charts {{ display: flex; flex-wrap: wrap; gap: 8px 24px; }}
figure.chart, figure.composition {{ margin: 10px 0 18px; }} figcaption {{ font-weight: 600; margin-bottom: 2px; }} .unit {{ font-weight: normal; color: #777; }}
svg text {{ font: 12px system-ui, sans-serif; fill: #333; }} svg text.missing {{ fill: #a0522d; font-style: italic; }}
svg text.value {{ fill: #555; }} svg text.legend {{ fill: #444; }}
.method {{ color: #666; font-size: 12px; max-width: 900px; }}
svg a text.missing {{ text-decoration: underline; }}
.failure h3 {{ font-size: 15px; margin: 18px 0 4px; }} .failure p {{ margin: 8px 0 2px; }}
pre {{ font-size: 12px; background: #f6f6f6; padding: 6px 8px; margin: 0; overflow-x: auto; }}
pre.reason {{ white-space: pre-wrap; background: #fdecea; color: #8a1c12; }}
</style></head>
<body>
<h1>freezer compare: {title}</h1>
<p class="meta">{project} &middot; {started} &middot; {runs} runs &middot; took {took}{scratch}</p>
{table}{problems}
{body}{failures}
<p class="method">{method}</p>
</body></html>
)",
                       fmt::arg("version", xml_escape(freezer_version)),
                       fmt::arg("title", xml_escape(fmt::format("{}", fmt::join(report.backends, " vs ")))),
                       fmt::arg("project", xml_escape(report.project)), fmt::arg("started", xml_escape(report.started_at)),
                       fmt::arg("runs", report.runs), fmt::arg("took", human_duration(report.duration)),
                       fmt::arg("table", html_table(report)), fmt::arg("problems", html_problems(report)),
                       fmt::arg("body", html_charts(report)), fmt::arg("failures", html_failures(report)),
                       fmt::arg("scratch", report.scratch.empty() ? ""
                                           : " &middot; scratch copy kept in <code>" +
                                                 xml_escape(report.scratch.string()) + "</code>"),
                       fmt::arg("method", xml_escape(method(report))));
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

#include "compare_report.hpp"

#include <algorithm>
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

std::vector<std::string> notes(const CompareReport& report) {
    std::vector<std::string> out;
    for (const auto& r : report.rows)
        if (r.status != "ok") out.push_back(fmt::format("{} x {}: {}: {}", r.sidecar, r.backend, r.status, r.reason));
    return out;
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
                  {"log_tail", r.log_tail}};
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
    for (const auto& n : notes(report)) out += "\n  " + n;
    if (!notes(report).empty()) out += "\n";
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
    out += "\n<sub>" + esc(method(report)) + "</sub>\n";
    return out;
}

namespace {

std::string html_seconds(double m) { return ms(m); }

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
        chart::Stack st{r.backend, {}, ""};
        for (const auto& p : r.composition) {
            st.segments.push_back({p.package, static_cast<double>(p.bytes), colours.at(p.package)});
            seen[p.package] = std::max(seen[p.package], p.bytes);
        }
        if (r.composition.empty())
            st.missing = r.status != "ok" && !r.reason.empty() ? r.status + ": " + r.reason.substr(0, 90)
                                                               : "no bundle listing recorded";
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
        const std::string why = r.status == "ok" ? "" : r.status + ": " + r.reason.substr(0, 90);
        auto opt = [](bool have, double v) { return have ? std::optional<double>(v) : std::nullopt; };
        size.push_back({r.backend, {opt(built, static_cast<double>(r.size))}, built ? "" : why});
        startup.push_back({r.backend,
                           {opt(r.startup.measured, static_cast<double>(r.startup.first.count())),
                            opt(r.startup.measured, r.startup.median_ms),
                            opt(r.startup.measured, r.startup.p90_ms)},
                           r.startup.measured ? "" : (why.empty() ? std::string("no smoke test to time") : why)});
        build.push_back({r.backend,
                         {opt(r.cold.measured, static_cast<double>(r.cold.wall.count())),
                          opt(r.no_change_ms.has_value(), r.no_change_ms.value_or(0)),
                          opt(r.change.measured, static_cast<double>(r.change.wall.count()))},
                         r.cold.measured ? "" : why});
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
        for (const auto& c : row_cells(r))
            table += fmt::format("<td class=\"{}\">{}</td>", c.right ? "num" : "", xml_escape(c.text));
        table += "</tr>\n";
    }
    return table + "</tbody></table>\n";
}

std::string html_problems(const CompareReport& report) {
    std::string problems;
    for (const auto& n : notes(report)) problems += "<li>" + xml_escape(n) + "</li>";
    if (!problems.empty()) problems = "<ul class=\"problems\">" + problems + "</ul>";
    return problems;
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
</style></head>
<body>
<h1>freezer compare: {title}</h1>
<p class="meta">{project} &middot; {started} &middot; {runs} runs &middot; took {took}</p>
{table}{problems}
{body}
<p class="method">{method}</p>
</body></html>
)",
                       fmt::arg("version", xml_escape(freezer_version)),
                       fmt::arg("title", xml_escape(fmt::format("{}", fmt::join(report.backends, " vs ")))),
                       fmt::arg("project", xml_escape(report.project)), fmt::arg("started", xml_escape(report.started_at)),
                       fmt::arg("runs", report.runs), fmt::arg("took", human_duration(report.duration)),
                       fmt::arg("table", html_table(report)), fmt::arg("problems", html_problems(report)),
                       fmt::arg("body", html_charts(report)),
                       fmt::arg("method", xml_escape(method(report))));
}

std::vector<SidecarResult> compare_results(const CompareReport& report) {
    std::vector<SidecarResult> out;
    for (const auto& r : report.rows) {
        SidecarResult s;
        s.name = r.sidecar;
        s.backend = r.backend;
        s.duration = r.cold.wall + r.change.wall;
        s.smoke = {r.smoke_configured && r.cold.measured, r.smoke_passed, r.smoke};
        s.log_tail = r.log_tail;
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

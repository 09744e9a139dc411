// The HTML page of `freezer compare` (compare_html) and its charts: inline SVG, no script.
#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "compare_report.hpp"
#include "junit.hpp"
#include "util/formats.hpp"

namespace freezer::cli::chart {

namespace {

// The text shown instead of bars: a link to `link` ("#id", in the page) when there is
// one, with `tooltip` on hover.
std::string missing_text(int x, int y, const std::string& text, const std::string& link, const std::string& tooltip) {
    const std::string title = tooltip.empty() ? "" : "<title>" + xml_escape(tooltip) + "</title>";
    std::string out =
        fmt::format(R"(<text x="{}" y="{}" class="missing">{}{}</text>)", x, y, title, xml_escape(text));
    return link.empty() ? out : fmt::format(R"(<a href="{}">{}</a>)", xml_escape(link), out);
}

}  // namespace

std::string bar_chart(const std::string& id, const std::string& title, const std::string& unit,
                      const std::vector<Series>& series, const std::vector<Group>& groups,
                      const std::function<std::string(double)>& fmt_value) {
    const int label_w = 190, chart_w = 460, value_w = 90, bar_h = 16, gap = 4, group_gap = 14, top = 34;
    double max = 0;
    for (const auto& g : groups)
        for (const auto& v : g.values)
            if (v) max = std::max(max, *v);
    if (max <= 0) max = 1;
    int y = top;
    std::string bars;
    for (const auto& g : groups) {
        const int rows = g.missing.empty() ? static_cast<int>(series.size()) : 1;
        const int group_h = rows * (bar_h + gap) - gap;
        bars += fmt::format(R"(<text x="{}" y="{}" class="label" text-anchor="end">{}</text>)", label_w - 10,
                            y + group_h / 2 + 5, xml_escape(g.label));
        if (!g.missing.empty()) {
            bars += missing_text(label_w, y + bar_h - 3, g.missing, g.link, g.tooltip);
        } else {
            for (std::size_t s = 0; s < series.size(); ++s) {
                const auto& v = g.values[s];
                const int by = y + static_cast<int>(s) * (bar_h + gap);
                if (!v) {
                    bars += fmt::format(R"(<text x="{}" y="{}" class="value">-</text>)", label_w + 4, by + bar_h - 3);
                    continue;
                }
                const int w = std::max(1, static_cast<int>(*v / max * chart_w));
                bars += fmt::format(
                    R"(<rect class="bar" data-series="{}" x="{}" y="{}" width="{}" height="{}" fill="{}" rx="2"><title>{}: {}</title></rect>)",
                    xml_escape(series[s].name), label_w, by, w, bar_h, series[s].color,
                    xml_escape(g.label + " " + series[s].name), xml_escape(fmt_value(*v)));
                bars += fmt::format(R"(<text x="{}" y="{}" class="value">{}</text>)", label_w + w + 6, by + bar_h - 3,
                                    xml_escape(fmt_value(*v)));
            }
        }
        y += group_h + group_gap;
    }
    std::string legend;
    int lx = label_w;
    for (const auto& s : series) {
        legend += fmt::format(R"(<rect x="{}" y="8" width="12" height="12" fill="{}"/><text x="{}" y="18" class="legend">{}</text>)",
                              lx, s.color, lx + 16, xml_escape(s.name));
        lx += 16 + static_cast<int>(s.name.size()) * 7 + 18;
    }
    const int height = y + 4;
    return fmt::format(
        R"(<figure class="chart" id="{}"><figcaption>{} <span class="unit">({})</span></figcaption>)"
        R"(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" viewBox="0 0 {} {}" role="img" aria-label="{}">{}{}</svg></figure>)",
        id, xml_escape(title), xml_escape(unit), label_w + chart_w + value_w, height, label_w + chart_w + value_w,
        height, xml_escape(title), legend, bars);
}

std::string stacked_chart(const std::string& id, const std::string& title, const std::string& unit,
                          const std::vector<Stack>& stacks, const std::vector<Series>& legend,
                          const std::function<std::string(double)>& fmt_value) {
    const int label_w = 190, chart_w = 460, value_w = 90, bar_h = 18, gap = 10, line_h = 18;
    const int width = label_w + chart_w + value_w;
    // The legend first, wrapped to the chart's width.
    std::string legend_svg;
    int lx = label_w, ly = 8;
    for (const auto& s : legend) {
        const int item_w = 16 + static_cast<int>(s.name.size()) * 7 + 18;
        if (lx > label_w && lx + item_w > width) {
            lx = label_w;
            ly += line_h;
        }
        legend_svg += fmt::format(
            R"(<rect x="{}" y="{}" width="12" height="12" fill="{}"/><text x="{}" y="{}" class="legend">{}</text>)", lx,
            ly, s.color, lx + 16, ly + 10, xml_escape(s.name));
        lx += item_w;
    }
    double max = 0;
    for (const auto& st : stacks) {
        double total = 0;
        for (const auto& seg : st.segments) total += seg.value;
        max = std::max(max, total);
    }
    if (max <= 0) max = 1;
    int y = ly + line_h + 12;
    std::string bars;
    for (const auto& st : stacks) {
        bars += fmt::format(R"(<text x="{}" y="{}" class="label" text-anchor="end">{}</text>)", label_w - 10,
                            y + bar_h / 2 + 5, xml_escape(st.label));
        double total = 0;
        for (const auto& seg : st.segments) total += seg.value;
        if (!st.missing.empty() || total <= 0) {
            bars += missing_text(label_w, y + bar_h - 4, st.missing.empty() ? "nothing listed" : st.missing, st.link,
                                 st.tooltip);
            y += bar_h + gap;
            continue;
        }
        // Positions from the running sum, so that rounding never opens gaps.
        double sum = 0;
        for (const auto& seg : st.segments) {
            const double x0 = label_w + sum / max * chart_w;
            sum += seg.value;
            const double x1 = label_w + sum / max * chart_w;
            bars += fmt::format(
                R"(<rect class="part" data-package="{}" x="{:.1f}" y="{}" width="{:.1f}" height="{}" fill="{}"><title>{}: {} {} ({:.1f}%)</title></rect>)",
                xml_escape(seg.name), x0, y, std::max(x1 - x0, 0.5), bar_h, seg.color, xml_escape(st.label),
                xml_escape(seg.name), xml_escape(fmt_value(seg.value)), 100.0 * seg.value / total);
        }
        bars += fmt::format(R"(<text x="{:.1f}" y="{}" class="value">{}</text>)", label_w + total / max * chart_w + 6,
                            y + bar_h - 4, xml_escape(fmt_value(total)));
        y += bar_h + gap;
    }
    const int height = y + 4;
    return fmt::format(
        R"(<figure class="composition" id="{}"><figcaption>{} <span class="unit">({})</span></figcaption>)"
        R"(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" viewBox="0 0 {} {}" role="img" aria-label="{}">{}{}</svg></figure>)",
        id, xml_escape(title), xml_escape(unit), width, height, width, height, xml_escape(title), legend_svg, bars);
}

}  // namespace freezer::cli::chart

namespace freezer::cli {
using namespace compare_detail;

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

}  // namespace freezer::cli

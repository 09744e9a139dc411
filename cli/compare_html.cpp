// The HTML page's charts (compare_html in compare_report.cpp): inline SVG, no script.
#include <algorithm>

#include <fmt/format.h>

#include "compare_report.hpp"
#include "junit.hpp"

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

// How `freezer compare` shows its figures: a terminal table, JSON (format
// "freezer-compare", version 1, schema in config/compare.schema.json), Markdown for a CI
// step summary, a self-contained HTML page with bar charts, and JUnit testcases.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/builder.hpp"
#include "compare.hpp"
#include "report.hpp"

namespace freezer::cli {


nlohmann::json compare_json(const CompareReport& report, const std::string& freezer_version);
std::string compare_table(const CompareReport& report, const Style& style);
std::string compare_markdown(const CompareReport& report);
std::string compare_html(const CompareReport& report, const std::string& freezer_version);

// What the table and Markdown (compare_report.cpp) share with the HTML page
// (compare_html.cpp).
namespace compare_detail {
struct Cell {
    std::string text;
    bool right = true;
};
using Line = std::vector<Cell>;  // one row's cells, in kHeader's order
extern const std::vector<std::string> kHeader;
Line row_cells(const CompareRow& r);
// Why a row is not ok, in full: "api x pex-scie: failed: cold build: ...".
std::string note(const CompareRow& r);
// How each figure was measured, for the foot of a report.
std::string method(const CompareReport& report);
// "4.2ms", "1.3s", "2m05s".
std::string ms(double m);
std::string ms(std::chrono::milliseconds m);
// "1 line", "12 lines".
std::string lines(std::size_t n);
}  // namespace compare_detail

// One result per row for junit_xml(): failed rows fail, missing ones are skipped with
// their reason.
std::vector<SidecarResult> compare_results(const CompareReport& report);

// compare_html's charts (compare_html.cpp): a horizontal bar chart as inline SVG, one
// group per row label, one bar per series.
namespace chart {

struct Series {
    std::string name;
    std::string color;
};
struct Group {
    std::string label;
    std::vector<std::optional<double>> values;  // per series; nullopt: not measured
    std::string missing;                        // shown instead of bars when nothing was measured
    std::string link;                           // "#id": `missing` links there (the whole story)
    std::string tooltip;                        // on `missing`, when it is cut short
};

std::string bar_chart(const std::string& id, const std::string& title, const std::string& unit,
                      const std::vector<Series>& series, const std::vector<Group>& groups,
                      const std::function<std::string(double)>& fmt_value);

// One horizontal bar per stack, its segments side by side; bars are scaled to the
// largest total, so both the whole and its parts compare. `legend` names the colours.
struct Segment {
    std::string name;
    double value = 0;
    std::string color;
};
struct Stack {
    std::string label;
    std::vector<Segment> segments;
    std::string missing;  // shown instead of a bar when there is nothing to show
    std::string link;     // as Group's
    std::string tooltip;
};

std::string stacked_chart(const std::string& id, const std::string& title, const std::string& unit,
                          const std::vector<Stack>& stacks, const std::vector<Series>& legend,
                          const std::function<std::string(double)>& fmt_value);

}  // namespace chart

}  // namespace freezer::cli

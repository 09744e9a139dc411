// A plain-text table for the terminal: each column as wide as its widest cell (or a
// minimum), left- or right-aligned. A cell's style (colour) is applied after padding,
// so escape codes never break the alignment. The build summary and compare's table.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace freezer::cli {

struct Column {
    std::string header;
    bool right = false;
    std::size_t min_width = 0;
};

class TextTable {
public:
    explicit TextTable(std::vector<Column> columns) : columns_(std::move(columns)) {}
    void add(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }

    // (padded text, column) -> styled text; applied to body cells only.
    using Style = std::function<std::string(const std::string& padded, std::size_t column)>;
    // Every line starts with `indent`; cells are separated by `gap`; no trailing spaces.
    std::string render(const std::string& indent, const std::string& gap, const Style& style = {}) const;

private:
    std::vector<Column> columns_;
    std::vector<std::vector<std::string>> rows_;
};

}  // namespace freezer::cli

#include "text_table.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace freezer::cli {

std::string TextTable::render(const std::string& indent, const std::string& gap, const Style& style) const {
    std::vector<std::size_t> width;
    for (const auto& c : columns_) width.push_back(std::max(c.min_width, c.header.size()));
    for (const auto& row : rows_)
        for (std::size_t c = 0; c < row.size() && c < width.size(); ++c) width[c] = std::max(width[c], row[c].size());
    auto line = [&](const std::vector<std::string>& cells, bool body) {
        std::string out = indent;
        for (std::size_t c = 0; c < cells.size() && c < columns_.size(); ++c) {
            auto text = columns_[c].right ? fmt::format("{:>{}}", cells[c], width[c])
                                          : fmt::format("{:<{}}", cells[c], width[c]);
            if (body && style) text = style(text, c);
            out += (c ? gap : "") + text;
        }
        while (!out.empty() && out.back() == ' ') out.pop_back();
        return out + "\n";
    };
    std::vector<std::string> header;
    for (const auto& c : columns_) header.push_back(c.header);
    std::string out = line(header, false);
    for (const auto& row : rows_) out += line(row, true);
    return out;
}

}  // namespace freezer::cli

// The text side of the freezer.yaml editor (config_edit.hpp): parsed values compared,
// the file's lines, where a block value or a flow list ends, and YAML scalar quoting.
// Internal to freezer_config.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace freezer::config::detail {

// The key/value pairs of a map, in file order.
struct Entry {
    YAML::Node key;
    YAML::Node value;
};

// The text's lines: each [begin, end), end at its '\n' or at the end of the text.
class Lines {
public:
    explicit Lines(const std::string& t) : t_(t) {
        std::size_t b = 0;
        for (auto nl = t.find('\n'); nl != std::string::npos; nl = t.find('\n', b)) {
            spans_.push_back({b, nl});
            b = nl + 1;
        }
        if (b < t.size()) spans_.push_back({b, t.size()});
    }
    std::size_t size() const { return spans_.size(); }
    std::size_t end(std::size_t i) const { return spans_[i].second; }
    std::size_t indent(std::size_t i) const {
        std::size_t n = 0;
        while (spans_[i].first + n < spans_[i].second && t_[spans_[i].first + n] == ' ') ++n;
        return n;
    }
    bool blank(std::size_t i) const { return first_char(i) == '\0'; }
    bool comment(std::size_t i) const { return first_char(i) == '#'; }

private:
    char first_char(std::size_t i) const {
        for (auto p = spans_[i].first; p < spans_[i].second; ++p)
            if (t_[p] != ' ' && t_[p] != '\t') return t_[p];
        return '\0';
    }
    const std::string& t_;
    std::vector<std::pair<std::size_t, std::size_t>> spans_;
};

// A flow list from its '[': where its last item ends and how items are separated.
struct FlowList {
    std::size_t close = 0;     // the ']'
    std::size_t last_end = 0;  // just after the last item (or the last ','), else after '['
    bool trailing_comma = false;
    bool only_spaces = false;  // nothing but spaces between the brackets
    std::string separator = ", ";
};

// Same type and content. `strict` (checking an edit): scalar values also by tag, so "1"
// differs from 1, and maps in key order (keys by their string: a key the check adds has
// no tag). Otherwise (is an entry already there?) a scalar by its string and a map by its
// content in any order, as a person reads them.
bool same(const YAML::Node& a, const YAML::Node& b, bool strict);

bool contains(const std::vector<YAML::Node>& nodes, const YAML::Node& n);

std::vector<Entry> entries(const YAML::Node& map);

// Index of the entry whose key is `name`; nullopt if none. `twice` is set when the key
// appears again (the loader reports that; the editor would not know which to edit).
std::optional<std::size_t> find_key(const std::vector<Entry>& es, const std::string& name, bool& twice);

// One line of YAML text as an item: it must read the same in a flow list and after "- ",
// the two places it can land, or the file would end up saying something else.
YAML::Node parse_item(const std::string& key, const std::string& text);

std::string trim(const std::string& s);

// The last line of a block value that starts on line `first` and ends before line `bound`
// (the next key of its mapping, or the end of the text). Blank lines and comments
// indented no deeper than `col` before the bound are skipped: they introduce what comes
// next. Deeper '#' lines count as content: they may be lines of a block scalar (|).
std::size_t last_content_line(const Lines& lines, std::size_t first, std::size_t bound, std::size_t col);

// Scans from the '[' at `open` to its ']', past quoted scalars, nested collections and
// comments. nullopt when the text does not close it as expected.
std::optional<FlowList> scan_flow_list(const std::string& t, std::size_t open);

std::string join(const std::vector<std::string>& items, const std::string& sep);

bool needs_quotes(const std::string& v);

std::string double_quoted(const std::string& v);

}  // namespace freezer::config::detail

// The text side of the freezer.yaml editor (config_edit.hpp, edit.cpp): comparing parsed
// values, the file's lines, the end of a block value, a flow list's extent, and YAML
// scalar quoting. Internal to freezer_config.
#include "edit_text.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace freezer::config::detail {

// ---- parsed values -------------------------------------------------------------------

// Same type and content. `strict` (checking an edit): scalar values also by tag, so "1"
// differs from 1, and maps in key order (keys by their string: a key the check adds has
// no tag). Otherwise (is an entry already there?) a scalar by its string and a map by its
// content in any order, as a person reads them.
bool same(const YAML::Node& a, const YAML::Node& b, bool strict) {
    if (a.Type() != b.Type()) return false;
    switch (a.Type()) {
        case YAML::NodeType::Scalar:
            return a.Scalar() == b.Scalar() && (!strict || a.Tag() == b.Tag());
        case YAML::NodeType::Sequence:
            if (a.size() != b.size()) return false;
            for (std::size_t i = 0; i < a.size(); ++i)
                if (!same(a[i], b[i], strict)) return false;
            return true;
        case YAML::NodeType::Map: {
            if (a.size() != b.size()) return false;
            if (strict) {
                auto ib = b.begin();
                for (auto ia = a.begin(); ia != a.end(); ++ia, ++ib)
                    if (!same(ia->first, ib->first, false) || !same(ia->second, ib->second, true)) return false;
                return true;
            }
            for (const auto& kv : a) {
                bool found = false;
                for (const auto& other : b)
                    if (same(kv.first, other.first, false)) {
                        found = same(kv.second, other.second, false);
                        break;
                    }
                if (!found) return false;
            }
            return true;
        }
        default:
            return true;  // null on both sides
    }
}

bool contains(const std::vector<YAML::Node>& nodes, const YAML::Node& n) {
    for (const auto& x : nodes)
        if (same(x, n, false)) return true;
    return false;
}

std::vector<Entry> entries(const YAML::Node& map) {
    std::vector<Entry> out;
    for (const auto& kv : map) out.push_back({kv.first, kv.second});
    return out;
}

// Index of the entry whose key is `name`; nullopt if none. `twice` is set when the key
// appears again (the loader reports that; the editor would not know which to edit).
std::optional<std::size_t> find_key(const std::vector<Entry>& es, const std::string& name, bool& twice) {
    std::optional<std::size_t> at;
    twice = false;
    for (std::size_t i = 0; i < es.size(); ++i)
        if (es[i].key.IsScalar() && es[i].key.Scalar() == name) {
            if (at) twice = true;
            else at = i;
        }
    return at;
}

// One line of YAML text as an item: it must read the same in a flow list and after "- ",
// the two places it can land, or the file would end up saying something else.
YAML::Node parse_item(const std::string& key, const std::string& text) {
    auto bad = [&](const std::string& why) {
        throw std::invalid_argument(fmt::format("{} item '{}': {}", key, text, why));
    };
    if (text.empty() || text.find_first_of("\r\n") != std::string::npos) bad("must be one line of YAML");
    YAML::Node n;
    try {
        n = YAML::Load(text);
        if (!n.IsDefined() || n.IsNull()) bad("is empty (null)");
        const auto flow = YAML::Load("[" + text + "]");
        const auto block = YAML::Load("- " + text);
        if (!flow.IsSequence() || flow.size() != 1 || !same(flow[0], n, true) || !block.IsSequence() ||
            block.size() != 1 || !same(block[0], n, true))
            bad("reads differently inside a list; quote it (yaml_scalar)");
    } catch (const YAML::Exception& e) {
        bad(fmt::format("not valid YAML inside a list ({}); quote it (yaml_scalar)", e.msg));
    }
    return n;
}

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

// ---- the text ------------------------------------------------------------------------

// The last line of a block value that starts on line `first` and ends before line `bound`
// (the next key of its mapping, or the end of the text). Blank lines and comments
// indented no deeper than `col` before the bound are skipped: they introduce what comes
// next. Deeper '#' lines count as content: they may be lines of a block scalar (|).
std::size_t last_content_line(const Lines& lines, std::size_t first, std::size_t bound, std::size_t col) {
    if (bound <= first + 1) return first;
    std::size_t i = bound;
    while (i - 1 > first && (lines.blank(i - 1) || (lines.comment(i - 1) && lines.indent(i - 1) <= col))) --i;
    return i - 1;
}

// Scans from the '[' at `open` to its ']', past quoted scalars, nested collections and
// comments. nullopt when the text does not close it as expected.
std::optional<FlowList> scan_flow_list(const std::string& t, std::size_t open) {
    FlowList fl;
    bool seen_comma = false;
    int depth = 0;
    std::size_t last = open;  // the last character that is neither space nor comment
    for (std::size_t i = open; i < t.size(); ++i) {
        const char c = t[i];
        const char prev = i > 0 ? t[i - 1] : '\n';
        const bool after_space = prev == ' ' || prev == '\t' || prev == '\n';
        if (c == ' ' || c == '\t' || c == '\n') continue;
        if (c == '#' && after_space) {
            i = t.find('\n', i);
            if (i == std::string::npos) return std::nullopt;
            continue;
        }
        // A quote opens a scalar only where one can start (it's in `[it's]` does not).
        if ((c == '\'' || c == '"') && (after_space || prev == '[' || prev == '{' || prev == ',' || prev == ':')) {
            std::size_t j = i + 1;
            for (; j < t.size(); ++j) {
                if (c == '"' && t[j] == '\\') {
                    ++j;
                } else if (t[j] == c) {
                    if (c == '\'' && j + 1 < t.size() && t[j + 1] == '\'') ++j;  // '' inside '...'
                    else break;
                }
            }
            if (j >= t.size()) return std::nullopt;
            last = i = j;
            continue;
        }
        if (c == '[' || c == '{') {
            ++depth;
        } else if (c == ']' || c == '}') {
            if (--depth == 0) {
                if (c != ']') return std::nullopt;
                fl.close = i;
                fl.last_end = last + 1;
                fl.trailing_comma = last != open && t[last] == ',';
                fl.only_spaces = t.find_first_not_of(' ', open + 1) == i;
                return fl;
            }
        } else if (c == ',' && depth == 1 && !seen_comma) {
            seen_comma = true;
            const char next = i + 1 < t.size() ? t[i + 1] : '\n';
            fl.separator = next == ' ' || next == '\n' ? ", " : ",";
        }
        last = i;
    }
    return std::nullopt;
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : sep) + s;
    return out;
}

bool needs_quotes(const std::string& v) {
    if (v.empty() || v != trim(v)) return true;
    if (std::string_view("-?:,[]{}#&*!|>'\"%@`").find(v.front()) != std::string_view::npos) return true;
    if (v.back() == ':') return true;
    if (v.find_first_of(",[]{}") != std::string::npos) return true;
    if (v.find(": ") != std::string::npos || v.find(" #") != std::string::npos) return true;
    for (unsigned char c : v)
        if (c < 0x20 || c == 0x7f) return true;
    return false;
}

std::string double_quoted(const std::string& v) {
    std::string out = "\"";
    for (unsigned char c : v) {
        if (c == '"' || c == '\\') out += '\\', out += static_cast<char>(c);
        else if (c == '\n') out += "\\n";
        else if (c == '\t') out += "\\t";
        else if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", c);
        else out += static_cast<char>(c);
    }
    return out + "\"";
}

}  // namespace freezer::config::detail

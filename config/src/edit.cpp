// freezer.yaml edited as text (see config_edit.hpp). yaml-cpp finds the nodes, but its
// marks say where a node starts, never where it ends; so the ends come from the layout:
// a block value ends at its last content line before the next key of its mapping, a flow
// list at its matching ']'. Layouts this reasoning does not cover are refused, and every
// edit is parsed again and compared with what it should have produced, so a case it gets
// wrong costs an error message, never a damaged file.
#include <freezer/config_edit.hpp>

#include <algorithm>
#include <optional>
#include <string_view>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "edit_text.hpp"

namespace freezer::config {
namespace {

using namespace detail;

constexpr std::string_view kBom = "\xEF\xBB\xBF";

// ---- the editor ----------------------------------------------------------------------

struct Addition {
    std::string key;
    std::vector<std::string> texts;  // trimmed
    std::vector<YAML::Node> nodes;   // parsed, same order
};

// How a new list of maps is laid out: as the file's other lists of the same key are.
struct BlockStyle {
    bool block = true;
    std::size_t dash_offset = 2;  // from the key's column
    std::size_t after_dash = 1;   // spaces between '-' and the item
};

class Editor {
public:
    Editor(std::string file, std::string sidecar, std::vector<Addition> adds)
        : file_(std::move(file)), sidecar_(std::move(sidecar)), adds_(std::move(adds)) {}

    EditResult run(const std::string& input) {
        for (std::size_t i = 0; i < input.size(); ++i)
            if (input[i] == '\r') {
                YAML::Mark m;  // its constructor with values is private
                m.pos = static_cast<int>(i);
                m.line = static_cast<int>(std::count(input.begin(), input.begin() + static_cast<long>(i), '\n'));
                refuse(m, "the file has CRLF line endings, which freezer does not edit");
            }
        // yaml-cpp skips a byte order mark, and its marks count from after it.
        const bool bom = input.rfind(kBom, 0) == 0;
        EditResult r{bom ? input.substr(kBom.size()) : input, {}};
        snippet_ = hand_snippet(r.text);
        for (const auto& a : adds_) r.text = add(r.text, a, r.changes);
        if (bom) r.text.insert(0, kBom);
        return r;
    }

private:
    // What the file holds around the sidecar, from one parse.
    struct Found {
        YAML::Node doc;
        YAML::Node sidecar;  // its value
        std::vector<Entry> keys;   // its entries
        std::size_t bound = 0;     // the line after its block (the next key's), or the end
    };

    std::string add(const std::string& text, const Addition& a, std::vector<std::string>& changes) {
        const Lines lines(text);
        const Found f = locate(text, lines);
        bool twice = false;
        const auto at = find_key(f.keys, a.key, twice);
        if (twice) refuse(f.keys[*at].key.Mark(), fmt::format("'{}' appears twice in the sidecar", a.key), a.key);

        // What is missing, before looking at the layout: adding what is there changes
        // nothing, however the file is written.
        std::vector<YAML::Node> old_items;
        if (at) {
            const auto& [k, v] = f.keys[*at];
            if (v.IsScalar()) refuse(v.Mark(), fmt::format("'{}' is a single value, not a list", a.key), a.key);
            if (v.IsMap()) refuse(v.Mark(), fmt::format("'{}' is a mapping, not a list", a.key), a.key);
            if (!v.IsSequence()) refuse(k.Mark(), fmt::format("'{}' has no value", a.key), a.key);
            for (const auto& item : v) old_items.push_back(item);
        }
        std::vector<std::string> texts;
        std::vector<YAML::Node> nodes;
        for (std::size_t i = 0; i < a.texts.size(); ++i)
            if (!contains(old_items, a.nodes[i]) && !contains(nodes, a.nodes[i])) {
                texts.push_back(a.texts[i]);
                nodes.push_back(a.nodes[i]);
            }
        if (texts.empty()) return text;

        if (f.sidecar.Style() == YAML::EmitterStyle::Flow)
            refuse(f.sidecar.Mark(), fmt::format("sidecars.{} is written in flow style ({{...}})", sidecar_));
        std::string out;
        if (!at)
            out = insert_key(text, lines, f, a.key, texts, nodes);
        else if (f.keys[*at].value.Style() == YAML::EmitterStyle::Flow)
            out = append_flow(text, f.keys[*at], a.key, texts);
        else
            out = append_block(text, lines, f, *at, a.key, texts);
        check(f.doc, out, a.key, nodes, at ? f.keys[*at].key.Mark() : f.sidecar.Mark());
        for (const auto& t : texts) changes.push_back(fmt::format("sidecars.{}.{}: + {}", sidecar_, a.key, t));
        return out;
    }

    YAML::Node parse(const std::string& text) const {
        try {
            return YAML::Load(text);
        } catch (const YAML::ParserException& e) {
            refuse(e.mark, fmt::format("the file is not valid YAML ({})", e.msg));
        }
    }

    // A key that starts its line (its mapping is in block style), else refused.
    std::size_t key_line(const Lines& lines, const YAML::Node& key) const {
        const auto m = key.Mark();
        if (m.line < 0 || static_cast<std::size_t>(m.line) >= lines.size() ||
            lines.indent(m.line) != static_cast<std::size_t>(m.column))
            refuse(m, "unusual layout: this key does not start its line");
        return m.line;
    }

    Found locate(const std::string& text, const Lines& lines) const {
        Found f;
        f.doc = parse(text);
        if (!f.doc.IsMap()) refuse(f.doc.Mark(), "the file is not a mapping with a 'sidecars:' section");
        const auto top = entries(f.doc);
        bool twice = false;
        const auto s = find_key(top, "sidecars", twice);
        if (!s) refuse(YAML::Mark(), "the file has no 'sidecars:' section");
        if (twice) refuse(top[*s].key.Mark(), "'sidecars' appears twice");
        if (!top[*s].value.IsMap()) refuse(top[*s].value.Mark(), "'sidecars' is not a mapping of sidecars");
        const auto sidecars = entries(top[*s].value);
        const auto at = find_key(sidecars, sidecar_, twice);
        if (!at) {
            std::vector<std::string> names;
            for (const auto& e : sidecars) names.push_back(e.key.Scalar());
            const auto hint = did_you_mean(sidecar_, names);
            throw EditError(where(top[*s].key.Mark()),
                            fmt::format("no sidecar '{}' in sidecars: (it has {}){}", sidecar_, fmt::join(names, ", "),
                                        hint.empty() ? "" : fmt::format("; did you mean '{}'?", hint)),
                            "");
        }
        if (twice) refuse(sidecars[*at].key.Mark(), fmt::format("sidecar '{}' appears twice", sidecar_));
        const auto& [key, value] = sidecars[*at];
        // An alias (*name) has the mark of the node it names, earlier in the file: editing
        // that node would change every sidecar sharing it.
        if (value.Mark().pos <= key.Mark().pos)
            refuse(value.Mark(), fmt::format("sidecars.{} is an alias of another node", sidecar_));
        // (A null's mark is the next token's, so the key's is shown.)
        if (value.IsNull()) refuse(key.Mark(), fmt::format("sidecars.{} has no settings", sidecar_));
        if (!value.IsMap()) refuse(value.Mark(), fmt::format("sidecars.{} is not a mapping", sidecar_));
        f.sidecar = value;
        f.keys = entries(value);
        if (value.Style() == YAML::EmitterStyle::Flow) return f;  // enough to see what is there
        // A block mapping's mark is its first key's, unless an anchor or tag comes first.
        if (f.keys.empty() || value.Mark().pos != f.keys.front().key.Mark().pos)
            refuse(value.Mark(), fmt::format("sidecars.{} starts with an anchor or a tag", sidecar_));
        key_line(lines, f.keys.front().key);
        if (*at + 1 < sidecars.size()) {
            f.bound = key_line(lines, sidecars[*at + 1].key);
        } else if (*s + 1 < top.size()) {
            f.bound = key_line(lines, top[*s + 1].key);
        } else {
            // The last key of the document: it ends at the end of the text or at a line
            // such as "..." or "---" (nothing else starts at column 0 after it).
            f.bound = key.Mark().line + 1;
            while (f.bound < lines.size() &&
                   (lines.indent(f.bound) > 0 || lines.blank(f.bound) || lines.comment(f.bound)))
                ++f.bound;
        }
        return f;
    }

    // Existing `key: [a]  # comment` -> `key: [a, b]  # comment`.
    std::string append_flow(const std::string& text, const Entry& e, const std::string& key,
                            const std::vector<std::string>& items) const {
        const auto m = e.value.Mark();
        if (m.pos <= e.key.Mark().pos) refuse(m, fmt::format("'{}' is an alias of another list", key), key);
        if (text[m.pos] != '[') refuse(m, fmt::format("'{}' starts with an anchor or a tag", key), key);
        const auto fl = scan_flow_list(text, m.pos);
        if (!fl) refuse(m, fmt::format("cannot find where the list '{}' ends", key), key);
        std::string out = text;
        if (fl->only_spaces)
            out.replace(m.pos + 1, fl->close - m.pos - 1, join(items, fl->separator));
        else if (fl->last_end == static_cast<std::size_t>(m.pos) + 1)  // empty, with a comment inside
            out.insert(fl->last_end, join(items, fl->separator));
        else if (fl->trailing_comma)
            out.insert(fl->last_end, (fl->separator == "," ? "" : " ") + join(items, fl->separator) + ",");
        else
            out.insert(fl->last_end, fl->separator + join(items, fl->separator));
        return out;
    }

    // Existing block list: `- item` lines after its last item, dashes where its dashes are.
    std::string append_block(const std::string& text, const Lines& lines, const Found& f, std::size_t at,
                             const std::string& key, const std::vector<std::string>& items) const {
        const auto& e = f.keys[at];
        const auto m = e.value.Mark();
        if (m.pos <= e.key.Mark().pos) refuse(m, fmt::format("'{}' is an alias of another list", key), key);
        if (text[m.pos] != '-') refuse(m, fmt::format("'{}' starts with an anchor or a tag", key), key);
        const std::size_t bound = at + 1 < f.keys.size() ? key_line(lines, f.keys[at + 1].key) : f.bound;
        const auto last = last_content_line(lines, m.line, bound, m.column);
        const auto first_item = e.value[0].Mark();
        const std::size_t gap =
            first_item.line == m.line && first_item.column > m.column + 1 ? first_item.column - m.column - 1 : 1;
        std::string add;
        for (const auto& item : items)
            add += "\n" + std::string(m.column, ' ') + "-" + std::string(gap, ' ') + item;
        return std::string(text).insert(lines.end(last), add);
    }

    // Missing key: a new last key of the sidecar, after the last key's whole value and
    // before the comments and blank lines that introduce what follows.
    std::string insert_key(const std::string& text, const Lines& lines, const Found& f, const std::string& key,
                           const std::vector<std::string>& items, const std::vector<YAML::Node>& nodes) const {
        const auto m = f.sidecar.Mark();
        const std::string indent(m.column, ' ');
        const auto last = last_content_line(lines, m.line, f.bound, m.column);
        std::string add;
        const bool maps = std::any_of(nodes.begin(), nodes.end(), [](const YAML::Node& n) { return !n.IsScalar(); });
        const auto style = block_style(f.doc, key);
        if (maps && style.block) {
            add = fmt::format("\n{}{}:", indent, key);
            for (const auto& item : items)
                add += "\n" + indent + std::string(style.dash_offset, ' ') + "-" +
                       std::string(style.after_dash, ' ') + item;
        } else {
            add = fmt::format("\n{}{}: [{}]", indent, key, join(items, ", "));
        }
        return std::string(text).insert(lines.end(last), add);
    }

    // The layout of `key`'s lists in the other sidecars (and defaults:): block with their
    // indentation, unless they are all flow lists. Block when there are none.
    static BlockStyle block_style(const YAML::Node& doc, const std::string& key) {
        std::vector<YAML::Node> owners;
        // A missing key gives an invalid node, which throws on IsMap(); not on bool.
        if (const auto d = doc["defaults"]; d && d.IsMap()) owners.push_back(d);
        if (const auto s = doc["sidecars"]; s && s.IsMap())
            for (const auto& kv : s)
                if (kv.second.IsMap()) owners.push_back(kv.second);
        BlockStyle style;
        bool flow = false;
        for (const auto& owner : owners)
            for (const auto& kv : owner) {
                if (!kv.first.IsScalar() || kv.first.Scalar() != key || !kv.second.IsSequence()) continue;
                if (kv.second.Style() == YAML::EmitterStyle::Flow) {
                    flow = true;
                    continue;
                }
                const auto dash = kv.second.Mark();
                const auto k = kv.first.Mark();
                if (dash.column < k.column || dash.line <= k.line) continue;
                style.dash_offset = dash.column - k.column;
                const auto first = kv.second[0].Mark();
                if (first.line == dash.line && first.column > dash.column + 1)
                    style.after_dash = first.column - dash.column - 1;
                return style;
            }
        style.block = !flow;
        return style;
    }

    // The edited text must parse to the old document with `items` appended to the key's
    // list (a new last key when it was missing) and nothing else changed; any other
    // outcome is a bug here, caught before the file is written.
    void check(const YAML::Node& before, const std::string& after_text, const std::string& key,
               const std::vector<YAML::Node>& items, const YAML::Mark& mark) const {
        const auto fail = [&](const std::string& why) {
            refuse(mark, fmt::format("internal error: the edit did not read back as expected ({}); nothing was changed",
                                     why), key);
        };
        YAML::Node after;
        try {
            after = YAML::Load(after_text);
        } catch (const YAML::Exception& e) {
            fail(fmt::format("not valid YAML: {}", e.msg));
        }
        YAML::Node expected = YAML::Clone(before);
        YAML::Node sidecar = expected["sidecars"][sidecar_];
        // Looked up through a const node: a non-const [] would add the key.
        if (!static_cast<const YAML::Node&>(sidecar)[key]) sidecar[key] = YAML::Node(YAML::NodeType::Sequence);
        YAML::Node list = sidecar[key];
        for (const auto& item : items) list.push_back(YAML::Clone(item));
        if (!same(expected, after, true)) fail("the document differs elsewhere");
    }

    // The entries to add by hand, under the sidecar's line, indented as the file indents
    // it (best effort: from the first parse, without the entries already there).
    std::string hand_snippet(const std::string& text) const {
        std::size_t sc_col = 2, key_col = 4;
        YAML::Node sidecar;
        try {
            const auto doc = YAML::Load(text);
            for (const auto& kv : doc["sidecars"])
                if (kv.first.Scalar() == sidecar_) {
                    sc_col = kv.first.Mark().column;
                    sidecar = kv.second;
                    key_col = sidecar.IsMap() && sidecar.Style() != YAML::EmitterStyle::Flow && sidecar.size() > 0
                                  ? static_cast<std::size_t>(sidecar.begin()->first.Mark().column)
                                  : sc_col + 2;
                }
        } catch (const YAML::Exception&) {
        }
        std::string out = fmt::format("{}{}:", std::string(sc_col, ' '), sidecar_);
        const std::string indent(key_col, ' ');
        for (const auto& a : adds_) {
            std::vector<YAML::Node> have;
            if (sidecar && sidecar.IsMap())
                if (const auto list = sidecar[a.key]; list && list.IsSequence())
                    for (const auto& item : list) have.push_back(item);
            std::vector<std::string> texts;
            bool maps = false;
            for (std::size_t i = 0; i < a.texts.size(); ++i)
                if (!contains(have, a.nodes[i])) {
                    have.push_back(a.nodes[i]);
                    texts.push_back(a.texts[i]);
                    maps = maps || !a.nodes[i].IsScalar();
                }
            if (texts.empty()) continue;
            if (maps) {
                out += fmt::format("\n{}{}:", indent, a.key);
                for (const auto& t : texts) out += fmt::format("\n{}  - {}", indent, t);
            } else {
                out += fmt::format("\n{}{}: [{}]", indent, a.key, join(texts, ", "));
            }
        }
        return out;
    }

    Location where(const YAML::Mark& m) const {
        if (m.is_null() || m.line < 0) return {file_, 0, 0};
        return {file_, m.line + 1, m.column + 1};
    }

    // Throws EditError for what freezer does not edit: at `m`, why, and what to add by hand.
    [[noreturn]] void refuse(const YAML::Mark& m, const std::string& why, const std::string& key = "") const {
        const auto what = fmt::format("sidecars.{}{}", sidecar_, key.empty() ? "" : "." + key);
        throw EditError(where(m), fmt::format("cannot add to {}: {}; add these entries by hand:", what, why),
                        snippet_);
    }

    std::string file_;
    std::string sidecar_;
    std::vector<Addition> adds_;
    std::string snippet_;
};

}  // namespace

EditError::EditError(Location where_, const std::string& message, std::string snippet_)
    : std::runtime_error((where_.line > 0 ? fmt::format("{}:{}:{}: ", where_.file, where_.line, where_.column)
                                          : where_.file + ": ") +
                         message + (snippet_.empty() ? "" : "\n" + snippet_)),
      where(std::move(where_)),
      snippet(std::move(snippet_)) {}

EditResult add_to_sidecar_lists(const std::string& text, const std::string& sidecar,
                                const std::vector<ListAddition>& additions, const std::string& file) {
    std::vector<Addition> adds;
    for (const auto& a : additions) {
        Addition parsed{a.key, {}, {}};
        for (const auto& item : a.items) {
            parsed.texts.push_back(trim(item));
            parsed.nodes.push_back(parse_item(a.key, parsed.texts.back()));
        }
        if (!parsed.texts.empty()) adds.push_back(std::move(parsed));
    }
    if (adds.empty()) return {text, {}};
    return Editor(file, sidecar, std::move(adds)).run(text);
}

std::string yaml_scalar(const std::string& value) {
    if (!needs_quotes(value)) {
        // Plain text must also read back as this string, not as null (~, null) or another
        // string; yaml-cpp decides.
        try {
            const auto flow = YAML::Load("[" + value + "]");
            const auto block = YAML::Load("- " + value);
            if (flow.size() == 1 && flow[0].IsScalar() && flow[0].Scalar() == value && flow[0].Tag() == "?" &&
                block.size() == 1 && block[0].IsScalar() && block[0].Scalar() == value)
                return value;
        } catch (const YAML::Exception&) {
        }
    }
    return double_quoted(value);
}

}  // namespace freezer::config

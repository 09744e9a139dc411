#include "reader.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <set>

#include <fmt/format.h>

namespace freezer::config::detail {

std::string join_path(const std::string& parent, const std::string& key) {
    return parent.empty() ? key : parent + "." + key;
}

Location Reader::loc(const YAML::Node& n) const {
    const auto m = n.Mark();
    if (m.is_null()) return {file_, 0, 0};
    return {file_, m.line + 1, m.column + 1};
}

void Reader::error(const Location& where, const std::string& path, std::string message) {
    out_.push_back({Diagnostic::Severity::error, where, path, std::move(message)});
}

std::size_t Reader::errors() const {
    return static_cast<std::size_t>(std::count_if(out_.begin(), out_.end(), [](const Diagnostic& d) {
        return d.severity == Diagnostic::Severity::error;
    }));
}

void Reader::warning(const Location& where, const std::string& path, std::string message) {
    out_.push_back({Diagnostic::Severity::warning, where, path, std::move(message)});
}

bool Reader::map(const YAML::Node& node, const std::string& path, const std::vector<std::string>& known) {
    if (!node.IsMap()) {
        error(loc(node), path, "expected a mapping (key: value)");
        return false;
    }
    std::set<std::string> seen;
    for (const auto& kv : node) {
        if (!kv.first.IsScalar()) {  // `? [a]: v`: nothing freezer reads has such keys
            error(loc(kv.first), path, "a key must be a plain name, not a list or a mapping");
            continue;
        }
        const auto key = kv.first.Scalar();
        const auto key_path = join_path(path, key);
        if (!seen.insert(key).second)
            error(loc(kv.first), key_path, fmt::format("duplicate key '{}'", key));
        if (!known.empty() && std::find(known.begin(), known.end(), key) == known.end()) {
            auto hint = did_you_mean(key, known);
            error(loc(kv.first), key_path,
                  hint.empty() ? fmt::format("unknown key '{}' (expected one of: {})", key, fmt::join(known, ", "))
                               : fmt::format("unknown key '{}'; did you mean '{}'?", key, hint));
        }
    }
    return true;
}

std::optional<std::string> Reader::string(const YAML::Node& n, const std::string& path) {
    if (!n.IsScalar()) {
        error(loc(n), path, "expected a string");
        return std::nullopt;
    }
    return n.Scalar();
}

std::optional<std::string> Reader::nonempty_string(const YAML::Node& n, const std::string& path) {
    auto s = string(n, path);
    if (s && s->empty()) {
        error(loc(n), path, "must not be empty");
        return std::nullopt;
    }
    return s;
}

std::optional<int> Reader::integer(const YAML::Node& n, const std::string& path, int lo, int hi) {
    if (n.IsScalar()) {
        const auto& s = n.Scalar();
        char* end = nullptr;
        errno = 0;
        const long v = std::strtol(s.c_str(), &end, 10);
        // Digits only: strtol would also take " 5" and "+5".
        const bool plain = !s.empty() && (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '-');
        if (plain && errno == 0 && *end == '\0' && v >= lo && v <= hi) return static_cast<int>(v);
    }
    error(loc(n), path, fmt::format("expected a whole number from {} to {}", lo, hi));
    return std::nullopt;
}

std::optional<std::chrono::milliseconds> Reader::duration(const YAML::Node& n, const std::string& path) {
    if (n.IsScalar())
        if (auto d = parse_duration(n.Scalar())) return d;
    error(loc(n), path, "expected a duration such as 30s, 500ms or 2m (a plain number, at most a week)");
    return std::nullopt;
}

std::optional<std::vector<std::string>> Reader::strings(const YAML::Node& n, const std::string& path) {
    if (!n.IsSequence()) {
        error(loc(n), path, "expected a list of strings");
        return std::nullopt;
    }
    std::vector<std::string> out;
    bool ok = true;
    for (std::size_t i = 0; i < n.size(); ++i) {
        auto s = string(n[i], fmt::format("{}[{}]", path, i));
        if (s)
            out.push_back(*s);
        else
            ok = false;
    }
    if (!ok) return std::nullopt;
    return out;
}

sdk::Option Reader::option(const YAML::Node& n, const std::string& path) { return option_at(n, path, 0); }

namespace {
std::size_t count_values(const sdk::Option& o) {
    std::size_t n = 1;
    for (const auto& i : o.items) n += count_values(i);
    for (const auto& [k, v] : o.entries) n += count_values(v);
    return n;
}
}  // namespace

bool Reader::copied(const sdk::Option& o, const std::string& path) {
    if (too_big_) return false;
    values_ += count_values(o);
    if (values_ <= kMaxValues) return true;
    error(o.where, path,
          fmt::format("more than {} values once defaults.backends is copied into every sidecar; set these options "
                      "in the sidecars that need them",
                      kMaxValues));
    too_big_ = true;
    return false;
}

sdk::Option Reader::option_at(const YAML::Node& n, const std::string& path, int depth) {
    sdk::Option o;
    o.where = loc(n);
    o.path = path;
    if (too_big_) return o;
    if (depth > kMaxDepth) {
        error(o.where, path, fmt::format("nested more than {} levels deep: an alias that refers to itself?", kMaxDepth));
        too_big_ = true;
        return o;
    }
    if (++values_ > kMaxValues) {
        error(o.where, path,
              fmt::format("more than {} values once aliases are expanded: aliases that repeat aliases "
                          "('billion laughs')? Write the values out",
                          kMaxValues));
        too_big_ = true;
        return o;
    }
    if (n.IsNull() || !n.IsDefined()) {
        o.kind = sdk::Option::Kind::null;
    } else if (n.IsScalar()) {
        o.kind = sdk::Option::Kind::scalar;
        o.scalar = n.Scalar();
    } else if (n.IsSequence()) {
        o.kind = sdk::Option::Kind::list;
        for (std::size_t i = 0; i < n.size(); ++i)
            o.items.push_back(option_at(n[i], fmt::format("{}[{}]", path, i), depth + 1));
    } else if (n.IsMap()) {
        o.kind = sdk::Option::Kind::map;
        for (const auto& kv : n) {
            const auto key = kv.first.Scalar();
            o.entries.push_back({key, option_at(kv.second, join_path(path, key), depth + 1)});
        }
    }
    return o;
}

}  // namespace freezer::config::detail

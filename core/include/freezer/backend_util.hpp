// Helpers for backend plugins: reading options and parsing the usual probe. Header-only
// and part of the SDK, so out-of-tree plugins get them too; nothing here crosses the
// plugin boundary.
#pragma once

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <vector>

#include <freezer/backend.hpp>

namespace freezer::sdk::util {

// true/false, yes/no, on/off (any case); nullopt for anything else.
inline std::optional<bool> as_bool(const Option& o) {
    if (o.kind != Option::Kind::scalar) return std::nullopt;
    std::string v = o.scalar;
    for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (v == "true" || v == "yes" || v == "on") return true;
    if (v == "false" || v == "no" || v == "off") return false;
    return std::nullopt;
}

inline bool is_string_list(const Option& o) {
    return o.kind == Option::Kind::list &&
           std::all_of(o.items.begin(), o.items.end(), [](const Option& i) { return i.kind == Option::Kind::scalar; });
}

// The strings of a list option (empty when absent or not a list).
inline std::vector<std::string> strings(const Option* o) {
    std::vector<std::string> out;
    if (o && o->kind == Option::Kind::list)
        for (const auto& i : o->items) out.push_back(i.scalar);
    return out;
}

// A scalar option's text, or `fallback`.
inline std::string scalar(const Option& options, const char* key, std::string fallback = "") {
    const Option* o = options.find(key);
    return o && o->kind == Option::Kind::scalar ? o->scalar : fallback;
}

inline Diagnostic error_at(const Option& at, std::string message) {
    return {Diagnostic::Severity::error, at.where, at.path, std::move(message)};
}

// The start of every validate(): an absent section is fine; anything but a mapping is an
// error. Returns false when there is nothing more to check.
inline bool options_map(const Option& options, const std::string& tool, std::vector<Diagnostic>& out) {
    if (options.kind == Option::Kind::null) return false;
    if (options.kind == Option::Kind::map) return true;
    out.push_back(error_at(options, "expected a mapping of " + tool + " options"));
    return false;
}

// False (with "unknown <tool> option 'k' (known: a, b)") for a key not in `known`.
inline bool known_key(const std::string& key, const Option& value, const std::vector<std::string>& known,
                      const std::string& tool, std::vector<Diagnostic>& out) {
    if (std::find(known.begin(), known.end(), key) != known.end()) return true;
    std::string list;
    for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
    out.push_back(error_at(value, "unknown " + tool + " option '" + key + "' (known: " + list + ")"));
    return false;
}

// The probe most Python tools share prints the version on its first line and the
// site-packages folder the tool is installed in on its second.
inline ToolFacts parse_version_probe(const ProbeOutput& output, const std::string& tool, const std::string& path) {
    ToolFacts facts;
    if (output.exit_code != 0) {
        facts.problem = output.stderr_text.find("No module named") != std::string::npos ||
                                output.stderr_text.find("PackageNotFoundError") != std::string::npos
                            ? tool + " is not installed for this interpreter"
                            : "probing " + tool + " failed: " + output.stderr_text;
        return facts;
    }
    const auto nl = output.stdout_text.find('\n');
    facts.version = output.stdout_text.substr(0, nl);
    if (nl != std::string::npos) {
        auto site = output.stdout_text.substr(nl + 1);
        while (!site.empty() && (site.back() == '\n' || site.back() == '\r')) site.pop_back();
        if (!site.empty()) facts.fingerprint.push_back(site);
    }
    facts.found = !facts.version.empty();
    facts.path = path;
    return facts;
}

}  // namespace freezer::sdk::util

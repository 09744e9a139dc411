// Helpers for backend plugins: reading options, the usual probe, the steps every
// packager needs (a launcher for `module:` sidecars, removing a folder), and quoting
// for the files a plan writes. Header-only and part of the SDK, so out-of-tree plugins
// get them too; nothing here crosses the plugin boundary.
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

// The whole validate() of a backend whose options are a map of `known` keys, with
// `check(key, value, out)` for each known key's value (may be empty).
template <class Check>
std::vector<Diagnostic> validate_keys(const Option& options, const std::string& tool,
                                      const std::vector<std::string>& known, Check check) {
    std::vector<Diagnostic> out;
    if (!options_map(options, tool, out)) return out;
    for (const auto& [key, value] : options.entries)
        if (known_key(key, value, known, tool, out)) check(key, value, out);
    return out;
}
inline std::vector<Diagnostic> validate_keys(const Option& options, const std::string& tool,
                                             const std::vector<std::string>& known) {
    return validate_keys(options, tool, known, [](const std::string&, const Option&, std::vector<Diagnostic>&) {});
}

// The probe of a tool installed as the distribution `dist` (its name on PyPI), for
// parse_version_probe: the version, then the folder it is installed in.
inline Probe distribution_probe(const std::string& python, const std::string& dist) {
    return {{python, "-c",
             "import importlib.metadata as m, sys\n"
             "d = m.distribution(sys.argv[1])\n"
             "print(d.version)\n"
             "print(d.locate_file(''))\n",
             dist}};
}

namespace detail {
// `s` in double quotes with \\ \" \n \t \r escaped; other control bytes as
// `control_prefix` and two hex digits ("\\x" for Python, "\\u00" for JSON and TOML).
// UTF-8 passes through: Python source, JSON and TOML are all UTF-8.
inline std::string quoted(const std::string& s, const char* control_prefix) {
    static const char* hex = "0123456789abcdef";
    std::string out = "\"";
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') out += {'\\', ch};
        else if (c == '\n') out += "\\n";
        else if (c == '\t') out += "\\t";
        else if (c == '\r') out += "\\r";
        else if (c < 0x20 || c == 0x7f) out += std::string(control_prefix) + hex[c >> 4] + hex[c & 15];
        else out += ch;
    }
    return out + "\"";
}
}  // namespace detail

// A Python string literal for `s`, for generated scripts.
inline std::string python_string(const std::string& s) { return detail::quoted(s, "\\x"); }
// A JSON string for `s`; also a TOML basic string (TOML's escapes are JSON's).
inline std::string json_string(const std::string& s) { return detail::quoted(s, "\\u00"); }
inline std::string toml_string(const std::string& s) { return json_string(s); }

// A write_file step for a `module:` sidecar's launcher: a script at `path` that runs
// the module as __main__ (for a package, its __main__ submodule), for packagers that
// want a script.
inline Step module_launcher(const std::string& module, const std::string& path) {
    Step s;
    s.kind = Step::Kind::write_file;
    s.description = "write launcher for module " + module;
    s.path = path;
    s.content = "import runpy\nrunpy.run_module(\"" + module + "\", run_name=\"__main__\", alter_sys=True)\n";
    return s;
}

// A write_file step of `<dir>/_freezer_backend.py`, a module whose BACKEND is `backend`:
// freezer_runtime.frozen_backend() answers with it in the frozen program. The plan must
// make the packager bundle it: put `dir` on the packager's module path and name
// `_freezer_backend` as a module to include, or write it straight into the tree a
// zipapp-like packager archives.
inline Step frozen_marker(const std::string& backend, const std::string& dir) {
    Step s;
    s.kind = Step::Kind::write_file;
    s.description = "record the backend for freezer_runtime";
    s.path = dir + "/_freezer_backend.py";
    s.content = "BACKEND = " + python_string(backend) + "\n";
    return s;
}

// A remove step: `path` and everything below it gone (e.g. a packager's build folder
// on --force, `PlanRequest::clean`).
inline Step remove_step(const std::string& path, const std::string& description = "") {
    Step s;
    s.kind = Step::Kind::remove;
    s.description = description.empty() ? "remove " + path : description;
    s.path = path;
    return s;
}

}  // namespace freezer::sdk::util

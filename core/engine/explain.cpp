// Why a key changed, in words: "modified app/server.py", "config mode: onedir -> onefile",
// "toolchain tool_version: 6.21.0 -> 6.22.3".
#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "engine/evaluate.hpp"
#include "inputs/environment.hpp"
#include "util/names.hpp"

namespace freezer {
using nlohmann::json;

namespace {

// An editable install's sources: {path: hash} before and after.
std::vector<std::string> source_changes(const json& before, const json& after) {
    std::vector<std::string> out;
    const json none = json::object();
    const auto& a = before.is_object() ? before : none;
    const auto& b = after.is_object() ? after : none;
    for (auto it = b.begin(); it != b.end(); ++it) {
        if (!a.contains(it.key()))
            out.push_back("editable source added: " + it.key());
        else if (a[it.key()] != it.value())
            out.push_back("editable source modified: " + it.key());
    }
    for (auto it = a.begin(); it != a.end(); ++it)
        if (!b.contains(it.key())) out.push_back("editable source removed: " + it.key());
    return out;
}

// Lines of `before` vs `after` for the keys whose values differ.
std::vector<std::string> json_changes(const json& before, const json& after, const std::string& what) {
    std::vector<std::string> out;
    if (!before.is_object() || !after.is_object()) return out;
    std::map<std::string, int> keys;
    for (auto it = before.begin(); it != before.end(); ++it) keys[it.key()] |= 1;
    for (auto it = after.begin(); it != after.end(); ++it) keys[it.key()] |= 2;
    for (const auto& [k, where] : keys) {
        const json a = before.contains(k) ? before[k] : json();
        const json b = after.contains(k) ? after[k] : json();
        if (a == b) continue;
        if (k == "plan") {
            out.push_back(what + ": the commands the backend plans changed (plugin updated)");
        } else if (k == "sources") {
            for (const auto& line : source_changes(a, b)) out.push_back(line);
        } else if (k == "distributions") {
            if (!a.is_object()) {
                out.push_back(fmt::format("{}: installed distributions recorded ({})", what, b.size()));
                continue;
            }
            for (const auto& line : distribution_changes(a.get<Distributions>(), b.get<Distributions>()))
                out.push_back("dependency " + line);
        } else {
            out.push_back(fmt::format("{} {}: {} -> {}", what, k, a.dump(), b.dump()));
        }
    }
    return out;
}

std::vector<std::string> input_changes(const Evaluation& ev, const StateStore& states) {
    std::vector<std::string> out;
    std::map<std::string, Hash128> before;
    for (const auto& i : states.load_inputs(ev.sidecar->name, ev.backend_name())) before[i.path] = i.hash;
    for (const auto& i : ev.inputs) {
        auto it = before.find(i.path);
        if (it == before.end())
            out.push_back("added " + escape_name(i.path));
        else if (it->second != i.hash)
            out.push_back("modified " + escape_name(i.path));
        if (it != before.end()) before.erase(it);
    }
    for (const auto& [p, h] : before) out.push_back("removed " + escape_name(p));
    if (out.empty()) out.push_back("inputs changed (no previous list)");
    return out;
}

}  // namespace

void explain_change(Evaluation& ev, const StateStore& states) {
    const auto& prev = *ev.previous;
    std::vector<std::string> parts;
    if (prev.parts.inputs != ev.key.inputs) {
        ev.changes = input_changes(ev, states);
        parts.push_back(ev.changes.size() == 1 ? ev.changes[0] : fmt::format("{} inputs changed", ev.changes.size()));
    }
    if (prev.parts.config != ev.key.config) {
        auto c = json_changes(prev.config, ev.config, "config");
        parts.push_back(c.size() == 1 ? c[0] : "config changed");
        ev.changes.insert(ev.changes.end(), c.begin(), c.end());
    }
    if (prev.parts.toolchain != ev.key.toolchain) {
        auto c = json_changes(prev.toolchain, ev.toolchain, "toolchain");
        // A changed config changes the commands too: that is not news, nor a plugin update.
        if (prev.parts.config != ev.key.config || prev.parts.inputs != ev.key.inputs)
            c.erase(std::remove_if(c.begin(), c.end(), [](const auto& line) { return line.rfind("toolchain: ", 0) == 0; }),
                    c.end());
        if (!c.empty()) parts.push_back(c.size() == 1 ? c[0] : "toolchain changed");
        ev.changes.insert(ev.changes.end(), c.begin(), c.end());
    }
    ev.reason = parts.empty() ? "key changed" : fmt::format("{}", fmt::join(parts, "; "));
}

}  // namespace freezer

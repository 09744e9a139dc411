#include "inputs/environment.hpp"

#include <dirent.h>

#include <fmt/format.h>

#include "util/atomic_file.hpp"

namespace freezer {

std::string normalize_distribution_name(std::string_view name) {
    std::string out;
    for (char c : name) {
        if (c == '-' || c == '_' || c == '.') {
            if (!out.empty() && out.back() != '-') out += '-';
        } else {
            out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
    }
    while (!out.empty() && out.back() == '-') out.pop_back();
    return out;
}

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// "Version: 1.2" from an egg-info's PKG-INFO (a develop install names no version).
std::string pkg_info_version(const std::string& dir) {
    std::string text;
    if (!read_file(dir + "/PKG-INFO", text)) return "";
    const auto at = text.find("\nVersion: ");
    if (at == std::string::npos) return "";
    const auto end = text.find('\n', at + 10);
    return text.substr(at + 10, end == std::string::npos ? std::string::npos : end - at - 10);
}

// "six-1.16.0.dist-info", "PyYAML-6.0.3-py3.11.egg-info", "app.egg-info": name, version.
std::pair<std::string, std::string> parse_entry(const std::string& dir, std::string_view entry) {
    const bool dist_info = ends_with(entry, ".dist-info");
    std::string_view stem = entry.substr(0, entry.size() - (dist_info ? 10 : 9));
    const auto dash = stem.find('-');
    const std::string name = normalize_distribution_name(stem.substr(0, dash));
    if (dash == std::string_view::npos) return {name, pkg_info_version(dir + "/" + std::string(entry))};
    std::string_view version = stem.substr(dash + 1);
    if (const auto py = version.find("-py"); py != std::string_view::npos) version = version.substr(0, py);
    return {name, std::string(version)};
}

}  // namespace

Distributions list_distributions(const std::vector<std::string>& sys_path) {
    Distributions out;
    for (const auto& dir : sys_path) {
        DIR* d = ::opendir(dir.c_str());
        if (!d) continue;  // a zip, or gone
        while (const dirent* e = ::readdir(d)) {
            const std::string_view entry = e->d_name;
            if (!ends_with(entry, ".dist-info") && !ends_with(entry, ".egg-info")) continue;
            auto [name, version] = parse_entry(dir, entry);
            if (!name.empty()) out.emplace(std::move(name), std::move(version));  // the first folder wins
        }
        ::closedir(d);
    }
    return out;
}

std::vector<std::string> distribution_changes(const Distributions& before, const Distributions& after) {
    std::vector<std::string> out;
    for (const auto& [name, version] : after) {
        const auto it = before.find(name);
        if (it == before.end())
            out.push_back(fmt::format("added: {} {}", name, version));
        else if (it->second != version)
            out.push_back(fmt::format("{}: {} -> {}", name, it->second, version));
    }
    for (const auto& [name, version] : before)
        if (!after.count(name)) out.push_back(fmt::format("removed: {} {}", name, version));
    return out;
}

}  // namespace freezer

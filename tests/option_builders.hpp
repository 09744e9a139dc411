// Builders for backend options and a loader for the real plugins, shared by the
// golden plan tests.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <freezer/backend.hpp>

#include "plugin_host.hpp"

namespace freezer::test {

inline sdk::Option scalar(std::string v) {
    sdk::Option o;
    o.kind = sdk::Option::Kind::scalar;
    o.scalar = std::move(v);
    return o;
}

inline sdk::Option list(std::vector<std::string> items) {
    sdk::Option o;
    o.kind = sdk::Option::Kind::list;
    for (auto& i : items) o.items.push_back(scalar(i));
    return o;
}

inline sdk::Option map(std::vector<std::pair<std::string, sdk::Option>> entries) {
    sdk::Option o;
    o.kind = sdk::Option::Kind::map;
    o.entries = std::move(entries);
    return o;
}

// The built plugin freezer-backend-<name>.so, loaded once per test binary.
inline std::shared_ptr<LoadedBackend> real_plugin(const std::string& name) {
    return load_plugin(std::filesystem::path(FREEZER_PLUGIN_DIR) / ("freezer-backend-" + name + ".so")).backend;
}

}  // namespace freezer::test

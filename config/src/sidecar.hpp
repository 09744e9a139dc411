// Reading `defaults:` and one entry of `sidecars:`. Internal to freezer_config.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reader.hpp"

namespace freezer::config::detail {

// Fields that `defaults:` and a sidecar share; unset when the file does not give them.
struct Shared {
    std::optional<std::string> backend;
    Location backend_where;
    std::optional<std::string> mode;
    Location mode_where;
    std::optional<std::vector<std::string>> include, exclude;
    Location inputs_where;
    std::optional<std::vector<std::string>> hidden_imports, exclude_modules;
    std::optional<std::vector<std::string>> collect_submodules;
    std::optional<std::vector<std::pair<std::string, std::string>>> env;
    std::map<std::string, sdk::Option> backends;
    std::optional<std::uint64_t> max_size;
    Location max_size_where;
    std::optional<std::chrono::milliseconds> step_timeout, network_timeout;
};

// `node` is already checked to be a map of `section`'s keys ("defaults" or "sidecars.*").
void read_shared(Reader& r, const YAML::Node& node, const std::string& path, std::string_view section, Shared& s);

// sidecars.<name>: `key` is the name's node, `node` its settings. Needs project.dir
// and project.tauri_dir set.
void read_sidecar(Reader& r, const Project& project, const Shared& defaults, const std::string& name,
                  const YAML::Node& key, const YAML::Node& node, Sidecar& sc);

}  // namespace freezer::config::detail

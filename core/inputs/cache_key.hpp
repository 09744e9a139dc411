// The cache key: what decides whether a sidecar must be rebuilt.
//
//   key = XXH3-128( "freezer-key/1", inputs, config, toolchain )
//   inputs    = XXH3-128 over the sorted (relative path, content hash) of every input
//   config    = XXH3-128 of the canonical JSON of the build-relevant resolved sidecar
//               config: entry/module, mode, inputs globs, hidden imports, collected
//               submodules (when any), excluded modules, data, env, and the options
//               of the backend in use (not the options of other backends, not smoke
//               tests, not output folders)
//   toolchain = XXH3-128 of the canonical JSON of backend name, plugin version, tool
//               version, interpreter implementation + version, platform triple, the
//               plan's digest, the installed distributions and editable sources
//               (inputs/environment.hpp)
// The parts are kept in the state so `freezer explain` and `build -v` can say which
// one changed.
#pragma once

#include <string>
#include <vector>

#include <freezer/config.hpp>
#include <nlohmann/json.hpp>

#include "inputs/hash.hpp"
#include "inputs/input_set.hpp"

namespace freezer {

struct HashedInput {
    std::string path;
    Hash128 hash;
};

struct KeyParts {
    Hash128 inputs;
    Hash128 config;
    Hash128 toolchain;
    Hash128 key;
};

nlohmann::json option_to_json(const sdk::Option& o);
nlohmann::json build_config_json(const config::Sidecar& sidecar, const std::string& backend);
nlohmann::json toolchain_json(const std::string& backend, const std::string& plugin_version,
                              const std::string& tool_version, const std::string& python_impl,
                              const std::string& python_version, const std::string& triple);

// Digest of a sidecar's smoke test: kept beside the key, so a changed test re-runs on the
// installed binary instead of rebuilding it. Empty when there is no smoke test.
std::string smoke_digest(const config::Smoke& smoke);

Hash128 hash_inputs(const std::vector<HashedInput>& inputs);  // inputs sorted by path
KeyParts make_key(const std::vector<HashedInput>& inputs, const nlohmann::json& config,
                  const nlohmann::json& toolchain);

}  // namespace freezer

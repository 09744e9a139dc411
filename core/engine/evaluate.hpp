// The decision for one sidecar, before anything is built: hash its inputs, make its
// key, and compare with the last good build. The answer is skip (nothing changed),
// restore (the artifact cache has this key) or build, with the reason and, for a
// rebuild, what changed. No side effects besides the caches it keeps warm.
#pragma once

#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/build_state.hpp"
#include "engine/context.hpp"
#include "engine/fast_path.hpp"
#include "cache/cache_front.hpp"
#include "inputs/cache_key.hpp"
#include "inputs/stat_cache.hpp"

namespace freezer {

struct Evaluation {
    const config::Sidecar* sidecar = nullptr;
    std::shared_ptr<LoadedBackend> backend;
    sdk::ToolFacts tool;
    std::vector<HashedInput> inputs;
    nlohmann::json config;
    nlohmann::json toolchain;
    KeyParts key;
    std::optional<BuildState> previous;
    bool up_to_date = false;
    bool resmoke = false;  // up to date, but its smoke test changed: run that again
    // Not up to date, but a build with this key is in the artifact cache.
    std::optional<CacheFront::Hit> hit;
    std::string reason;
    std::vector<std::string> changes;
    // Set when the build failed before it began (an input that vanished or could not be
    // read while it was hashed): the sidecar fails, exit 1, like a failed step.
    std::string failure;
    // For a build (not a skip or restore) by a backend with a fast path: whether it
    // patches the previous build, and why (engine/fast_path.hpp).
    FastPath fast_path;

    const std::string& backend_name() const { return backend->name(); }
    std::string output_name() const { return Layout::output_name(*sidecar, backend->name()); }
};

class Evaluator {
public:
    explicit Evaluator(BuildContext& context);  // starts loading the stat cache
    ~Evaluator();

    // Throws SetupError for what stops the run (a missing tool, input or backend), and an
    // Error of kind `failed` when an input cannot be read while it is hashed.
    Evaluation evaluate(const config::Sidecar& sidecar, const std::string& backend, bool force);
    // Writes the stat cache back; entries not looked up are dropped with `drop_unused`.
    void save(bool drop_unused);

private:
    StatCache& stat_cache();
    std::vector<HashedInput> hash_inputs(const config::Sidecar& sc, const LoadedBackend& backend);
    nlohmann::json hash_sources(const config::Sidecar& sc, const Interpreter& python);
    void decide(Evaluation& ev, bool force);

    BuildContext& ctx_;
    std::future<StatCache> loading_;
    std::optional<StatCache> stat_cache_;
};

// The request a backend plans from: what the sidecar says, where things go, the tools.
sdk::PlanRequest make_request(BuildContext& ctx, const Evaluation& ev, bool clean, int tokens = 1);

// Fills ev.reason and ev.changes for a key that differs from the last good build's:
// the inputs added, removed and modified, the config keys and toolchain values.
void explain_change(Evaluation& ev, const StateStore& states);

// The plugin options of the sidecar's backend (empty when it has none).
sdk::Option backend_options(const config::Sidecar& sc, const std::string& backend);

}  // namespace freezer

// What every part of one run shares: the project, its plugins, where things live, the
// probed tools, the state records, the caches, and the reporter. Made once per run by
// the Builder; the evaluator, the per-sidecar build and the commit borrow it.
#pragma once

#include <mutex>
#include <optional>

#include <freezer/config.hpp>

#include "engine/build_state.hpp"
#include "engine/layout.hpp"
#include "engine/result.hpp"
#include "cache/cache_front.hpp"
#include "inputs/stat_cache.hpp"
#include "plugins/plugin_host.hpp"
#include "plugins/toolchain.hpp"

namespace freezer {

struct BuildContext {
    BuildContext(const config::Project& project, const PluginHost& host, Reporter& reporter);

    const config::Project& project;
    const PluginHost& host;
    Reporter& reporter;
    Layout layout;
    Toolchain toolchain;
    StateStore states;
    CacheFront cache;

    // The build interpreter's path (probed once, cached).
    std::string python();
    // The staged copies' stat cache, shared by concurrent builds: use it under
    // stage_mutex. A no-change run never loads it.
    StatCache& stage_cache();
    std::mutex stage_mutex;
    void save_stage_cache();

private:
    std::optional<StatCache> stage_cache_;
};

}  // namespace freezer

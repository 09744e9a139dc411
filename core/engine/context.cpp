#include "engine/context.hpp"

namespace freezer {

BuildContext::BuildContext(const config::Project& p, const PluginHost& h, Reporter& r)
    : project(p),
      host(h),
      reporter(r),
      layout(p),
      toolchain(layout.probes_file()),
      states(layout.state_dir()),
      cache(layout.artifacts_dir(), p.cache_max_size, p.remote_cache,
            [&r](const std::string& message) { r.warning(message); }) {}

std::string BuildContext::python() { return toolchain.interpreter(project.python, project.dir, python_where(project)).path; }

StatCache& BuildContext::stage_cache() {
    if (!stage_cache_) stage_cache_.emplace(layout.stage_cache_file());
    return *stage_cache_;
}

void BuildContext::save_stage_cache() {
    if (stage_cache_) stage_cache_->save();
}

}  // namespace freezer

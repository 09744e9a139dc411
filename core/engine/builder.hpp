// One `freezer build`: select the sidecars, take their locks, evaluate every one (so a
// setup problem stops the run before anything is built), then skip, restore or build
// each under one CPU budget, and gather the results. The decisions are in
// engine/evaluate, one sidecar's build in engine/sidecar_build, installing in engine/commit.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <freezer/backend.hpp>
#include <freezer/config.hpp>

#include "engine/result.hpp"
#include "engine/trace.hpp"
#include "util/error.hpp"

namespace freezer {

class PluginHost;
struct BuildContext;
struct Evaluation;
class Evaluator;
class ArtifactCache;

struct BuildOptions {
    std::vector<std::string> sidecars;  // empty: all
    bool force = false;
    std::string backend_override;
    int jobs = 0;  // CPU budget; 0: freezer.yaml's jobs, else the number of CPUs
    bool fail_fast = false;
};

// What `freezer explain` shows: the decision the next build would make.
struct Explanation {
    std::string sidecar, backend;
    enum class Action { skip, restore, build } action = Action::build;
    bool resmoke = false;
    bool from_remote = false;
    std::string cached_at;        // restore: when the cached build was made
    long long cached_build_ms = 0;
    std::string tool_version;
    std::string key, previous_key, previous_built_at;
    std::string reason;
    std::vector<std::string> changes;
    // A build by a backend with a fast path: "fast path: ..." or "full build: ..." (why).
    std::string build_path;
    bool fast_path = false;
};

// "skip", "restore", "build": as `explain --json` and `plan --json` name the action.
inline const char* to_string(Explanation::Action a) {
    switch (a) {
        case Explanation::Action::skip: return "skip";
        case Explanation::Action::restore: return "restore";
        case Explanation::Action::build: return "build";
    }
    return "?";
}

// What `freezer plan` shows: the steps a build would run, computed and not run.
struct DryRun {
    Explanation decision;  // what the build would do first (skip, restore or build)
    int cpu_tokens = 1, cpu_budget = 1;
    sdk::Plan plan;  // the steps if it builds (with --force: a clean build's; on the fast path: the patch's)
};

// The error for a sidecar name freezer.yaml does not have: the names it has, and the
// nearest one.
SetupError no_such_sidecar(const config::Project& project, const std::string& name);

class Builder {
public:
    Builder(const config::Project& project, const PluginHost& host, Reporter& reporter);
    ~Builder();

    // Throws SetupError for problems that concern the whole run.
    std::vector<SidecarResult> build(const BuildOptions& options);
    // Re-runs the smoke tests on what is installed (`freezer smoke`).
    std::vector<SidecarResult> smoke(const std::vector<std::string>& sidecars, const std::string& backend_override = "");
    // The decision for one sidecar, without building (`freezer explain`).
    Explanation explain(const std::string& sidecar, const std::string& backend_override = "");
    // The plan one sidecar's build would run, without running anything (`freezer plan`).
    DryRun dry_run(const std::string& sidecar, const BuildOptions& options);
    // Runs the sidecar unfrozen under an audit hook and says what its bundles miss
    // (`freezer trace`; engine/trace.hpp). Throws Error when it cannot run it.
    TraceReport trace(const std::string& sidecar, const TraceOptions& options);

    int budget(const BuildOptions& options) const;

private:
    std::vector<const config::Sidecar*> select(const std::vector<std::string>& names) const;
    void finish_not_started(const Evaluation& ev, SidecarResult& r) const;

    std::unique_ptr<BuildContext> ctx_;
    std::unique_ptr<Evaluator> evaluator_;
};

}  // namespace freezer

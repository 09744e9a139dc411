// One `freezer build`: for each selected sidecar, hash its inputs, compare the key
// with the last good build, and when it differs stage the inputs, run the backend's
// plan, install the output and record the new state. Policy lives here; packager
// flags live in the plugins.
#pragma once

#include <chrono>
#include <filesystem>
#include <atomic>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <freezer/config.hpp>

#include "cache/artifact_cache.hpp"
#include "build/build_state.hpp"
#include "inputs/cache_key.hpp"
#include "plugins/plugin_host.hpp"
#include "cache/remote_cache.hpp"
#include "inputs/stat_cache.hpp"
#include "plugins/toolchain.hpp"

namespace freezer {

enum class Status { built, skipped, failed, cancelled, restored };
const char* to_string(Status s);

struct SidecarResult {
    std::string name;
    std::string backend;
    Status status = Status::failed;
    std::string key;      // hex, empty when it could not be computed
    std::string reason;   // why it was built / skipped / why it failed
    std::vector<std::string> changes;  // what changed since the last good build
    std::string error;
    std::chrono::milliseconds duration{0};  // the whole sidecar, hashing included
    long peak_rss_kb = 0;                   // of the packager
    std::chrono::milliseconds cpu{0};       // of the packager
    std::filesystem::path artifact;         // installed executable
    std::uint64_t size = 0;
    std::filesystem::path log;
    std::vector<std::string> log_tail;  // on failure
    int cpu_tokens = 0;                 // granted by the scheduler
    bool smoke_ran = false;
    bool smoke_passed = false;
    std::string smoke;                  // what the smoke test did or why it failed
    std::filesystem::path tauri_copy;   // <output.tauri>/<name>-<triple>, when configured
    std::map<std::string, long long> metrics;  // read off the log as the plan asked (ccache hits)
};

// Where a sidecar is in its build, for progress displays.
enum class Phase { queued, hashing, building, restoring, smoke, installing };
const char* to_string(Phase p);

// Receives progress; called from build threads, so implementations synchronise.
class Reporter {
public:
    virtual ~Reporter() = default;
    virtual void warning(const std::string& message) = 0;
    virtual void phase(const std::string& sidecar, const std::string& backend, Phase phase,
                       const std::string& detail) = 0;
    virtual void finished(const SidecarResult& result) = 0;
};

// A setup problem that stops the run before anything is built (exit code 2).
struct SetupError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct BuildOptions {
    std::vector<std::string> sidecars;  // empty: all
    bool force = false;
    std::string backend_override;
    int jobs = 0;  // CPU budget; 0: freezer.yaml's jobs, else the number of CPUs
    bool fail_fast = false;
};

// What the key says about one sidecar, before any building.
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
    enum class Source { none, local, remote } source = Source::none;
    std::optional<Manifest> cached;
    std::string reason;
    std::vector<std::string> changes;
};

class Builder {
public:
    Builder(const config::Project& project, const PluginHost& host, Reporter& reporter);
    ~Builder();

    // Throws SetupError for problems that concern the whole run.
    std::vector<SidecarResult> build(const BuildOptions& options);

    // Re-runs the smoke tests on what is installed (`freezer smoke`).
    std::vector<SidecarResult> smoke(const std::vector<std::string>& sidecars,
                                     const std::string& backend_override = "");
    int budget(const BuildOptions& options) const;

    // Hashes and compares; no side effects besides caches.
    Evaluation evaluate(const config::Sidecar& sidecar, const std::string& backend, bool force);

    std::filesystem::path state_dir() const;
    std::filesystem::path log_path(const std::string& output_name) const;
    // dist/ folder (and log) name of a sidecar built with `backend`.
    static std::string output_name(const config::Sidecar& sc, const std::string& backend);
    std::filesystem::path stage_dir(const std::string& sidecar) const;
    const ArtifactCache& artifacts() const { return artifacts_; }
    const RemoteCache* remote() const { return remote_.get(); }

private:
    std::vector<const config::Sidecar*> select(const std::vector<std::string>& names) const;
    SidecarResult build_one(Evaluation& ev, bool force, int tokens,
                            const std::atomic<bool>* cancel);
    void install_tauri_copy(const config::Sidecar& sc, const std::filesystem::path& executable,
                            SidecarResult& r);
    sdk::PlanRequest make_request(const Evaluation& ev, bool clean, int tokens = 1);
    std::filesystem::path backend_cache_dir(const std::string& backend) const;
    std::filesystem::path temp_out_dir(const std::string& sidecar, const std::string& backend) const;
    void explain(Evaluation& ev) const;
    void find_in_cache(Evaluation& ev);
    // true: done (restored, or failed its smoke test); false: build it instead.
    bool restore_one(Evaluation& ev, SidecarResult& r, const std::function<void(const std::string&)>& log);
    void store_in_cache(const Evaluation& ev, const std::filesystem::path& output_dir, const std::string& executable,
                        bool standalone, std::chrono::milliseconds took);
    // Any remote failure: one warning for the run, then the remote is left alone.
    void remote_failed(const std::string& what, const char* consequence);
    void warn_about_token();

    const config::Project& project_;
    const PluginHost& host_;
    Reporter& reporter_;
    std::filesystem::path freezer_dir_;  // <project>/.freezer
    Toolchain toolchain_;
    StatCache& stat_cache();
    StatCache& stage_cache();
    std::future<std::pair<StatCache, std::string>> stat_cache_loading_;
    std::optional<StatCache> stat_cache_;   // inputs, keyed by path under the project
    std::optional<StatCache> stage_cache_;  // staged copies; only builds need it
    std::mutex stat_mutex_;  // the stage cache is shared by concurrent builds
    StateStore states_;
    ArtifactCache artifacts_;
    std::unique_ptr<RemoteCache> remote_;
    std::atomic<bool> remote_down_{false};
    std::atomic<bool> token_warned_{false};
};

// Sums the plan's metrics over a build log.
std::map<std::string, long long> read_metrics(const std::filesystem::path& log,
                                              const std::vector<sdk::Metric>& metrics);

// The messages of the hints whose pattern matches the log.
std::vector<std::string> matching_hints(const std::filesystem::path& log,
                                        const std::vector<sdk::FailureHint>& hints);

// The last `n` lines of a log, for failure reports.
std::vector<std::string> tail_lines(const std::filesystem::path& file, std::size_t n);

}  // namespace freezer

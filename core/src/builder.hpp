// One `freezer build`: for each selected sidecar, hash its inputs, compare the key
// with the last good build, and when it differs stage the inputs, run the backend's
// plan, install the output and record the new state. Policy lives here; packager
// flags live in the plugins.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <freezer/config.hpp>

#include "build_state.hpp"
#include "cache_key.hpp"
#include "plugin_host.hpp"
#include "stat_cache.hpp"
#include "toolchain.hpp"

namespace freezer {

enum class Status { built, skipped, failed };
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
};

class Reporter {
public:
    virtual ~Reporter() = default;
    virtual void warning(const std::string& message) = 0;
    virtual void started(const std::string& sidecar, const std::string& backend,
                         const std::string& reason) = 0;
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
    std::string reason;
    std::vector<std::string> changes;
};

class Builder {
public:
    Builder(const config::Project& project, const PluginHost& host, Reporter& reporter);
    ~Builder();

    // Throws SetupError for problems that concern the whole run.
    std::vector<SidecarResult> build(const BuildOptions& options);

    // Hashes and compares; no side effects besides caches.
    Evaluation evaluate(const config::Sidecar& sidecar, const std::string& backend, bool force);

    std::filesystem::path state_dir() const;
    std::filesystem::path log_path(const std::string& sidecar) const;
    std::filesystem::path stage_dir(const std::string& sidecar) const;

private:
    SidecarResult build_one(Evaluation& ev, bool force);
    sdk::PlanRequest make_request(const Evaluation& ev, bool clean);
    std::filesystem::path backend_cache_dir(const std::string& backend) const;
    std::filesystem::path temp_out_dir(const std::string& sidecar, const std::string& backend) const;
    void explain(Evaluation& ev) const;

    const config::Project& project_;
    const PluginHost& host_;
    Reporter& reporter_;
    std::filesystem::path freezer_dir_;  // <project>/.freezer
    Toolchain toolchain_;
    StatCache stat_cache_;
    StateStore states_;
};

// The last `n` lines of a log, for failure reports.
std::vector<std::string> tail_lines(const std::filesystem::path& file, std::size_t n);

}  // namespace freezer

// What a build reports: the status of each sidecar, its phases while it runs, and the
// Reporter that receives them. Plain data with no dependency on the rest of the core,
// so reporters (the CLI, compare) include this and nothing else of the engine.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace freezer {

enum class Status { built, skipped, failed, cancelled, restored };
const char* to_string(Status s);

// Where a sidecar is in its build, for progress displays.
enum class Phase { queued, hashing, building, restoring, smoke, installing };
const char* to_string(Phase p);

// A smoke test's verdict as a result carries it (process/smoke_test.hpp runs it).
struct SmokeReport {
    bool ran = false;
    bool passed = false;
    std::string message;  // what the smoke test did, or why it failed
    // What the binary printed (its last lines) when it failed. A failed result's
    // log_tail holds the same, unless the binary printed nothing.
    std::vector<std::string> output;
};

struct SidecarResult {
    std::string name;
    std::string backend;
    Status status = Status::failed;
    std::string key;      // hex, empty when it could not be computed
    std::string reason;   // why it was built / skipped / why it failed
    std::vector<std::string> changes;  // what changed since the last good build
    // A build by a backend with a fast path: which path it took and why ("fast path: 1
    // module recompiled (app/server.py)", "full build: imports of app/server.py changed
    // (+json)"); empty otherwise.
    std::string build_path;
    bool fast_path = false;
    std::string error;
    std::chrono::milliseconds duration{0};  // the whole sidecar, hashing included
    long peak_rss_kb = 0;                   // of the packager
    std::chrono::milliseconds cpu{0};       // of the packager
    std::filesystem::path artifact;         // installed executable
    std::uint64_t size = 0;
    std::filesystem::path log;
    std::vector<std::string> log_tail;  // on failure
    int cpu_tokens = 0;                 // granted by the scheduler
    SmokeReport smoke;
    // Installed with no smoke test, and freezer.yaml does not say that is on purpose
    // (smoke.untested): the summary warns.
    bool untested = false;
    std::filesystem::path tauri_copy;   // <output.tauri>/<name>-<triple>, when configured
    // Figures the backend's plan asked to read off its log (Nuitka: ccache_hits), by
    // name; reporters show them as they come, knowing no backend.
    std::map<std::string, long long> metrics;
};

// How a running build is doing, between its phases: for the heartbeat of plain output
// and the live line. Sent when the packager reports a new phase, and every few seconds.
struct Progress {
    std::string phase;    // the packager's latest phase line, else the step's description
    bool packager = false;   // `phase` is the packager's own line (Plan::phases)
    bool new_phase = false;  // `phase` changed since the last report
    bool usage_known = false;  // the system can tell (platform/os.hpp group_usage)
    std::chrono::milliseconds cpu{0};  // of this build's processes so far
    long rss_kb = 0;                   // resident now, the running step's processes together
};

// Receives progress; called from build threads, so implementations synchronise.
class Reporter {
public:
    virtual ~Reporter() = default;
    virtual void warning(const std::string& message) = 0;
    virtual void phase(const std::string& sidecar, const std::string& backend, Phase phase,
                       const std::string& detail) = 0;
    virtual void finished(const SidecarResult& result) = 0;
    // A building sidecar's progress; reporters that show none ignore it.
    virtual void progress(const std::string& sidecar, const Progress& progress) {
        (void)sidecar;
        (void)progress;
    }
};

}  // namespace freezer

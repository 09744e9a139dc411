// `freezer compare`: the same sidecars frozen by several packagers, measured side by
// side. Everything happens in a scratch copy of the project (its inputs and
// freezer.yaml only) with a scratch cache, output folder and state, so the user's tree,
// dist/, .freezer/ and packager caches are never read for writing nor changed. The copy
// is removed at the end unless a cell failed (its log is kept there) or keep_scratch.
//
// For each sidecar x backend, in turn (never two at once, so timings do not compete):
//   cold        the first build, every cache empty
//   no change   N more `build`s with nothing changed: median
//   change      one line appended to one input (the entry script or module), rebuilt
//   startup     the smoke command on the final build, once on a fresh HOME (onefile and
//               scie binaries unpack on their first run), then N more times on that
//               HOME: median and p90. Size and file count are of that build too.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <freezer/config.hpp>

#include "engine/bundle.hpp"
#include "plugins/plugin_host.hpp"

namespace freezer {

struct CompareOptions {
    std::vector<std::string> sidecars;  // empty: all
    std::vector<std::string> backends;  // required, in column order
    int runs = 5;                       // start-up and no-change repetitions
    int jobs = 0;                       // CPU budget of each build; 0: every CPU
    std::filesystem::path scratch;      // empty: a new folder under $TMPDIR
    // Keep the scratch copy when every cell passed too; one with a failed cell is always
    // kept, for its logs.
    bool keep_scratch = false;
};

struct BuildFigures {
    bool measured = false;
    std::chrono::milliseconds wall{0};  // what `freezer build` took, hashing included
    std::chrono::milliseconds cpu{0};   // of the packager's processes
    long peak_rss_kb = 0;               // largest single process of the packager
    std::map<std::string, long long> metrics;  // ccache_hits, ... as the plugin reads them
};

struct StartupFigures {
    bool measured = false;
    std::chrono::milliseconds first{0};
    std::vector<std::chrono::milliseconds> samples;  // the N runs after the first
    double median_ms = 0;
    double p90_ms = 0;
    std::string what;  // "run: whoami" or "http: GET /api/health"
};

// The slice that holds the packages after the largest.
inline constexpr char kEverythingElse[] = "(everything else)";

// One slice of what an artifact holds: a top-level package and its bytes.
struct CompositionPart {
    std::string package;  // or kEverythingElse
    std::uint64_t bytes = 0;
};

struct CompareRow {
    std::string sidecar;
    std::string backend;
    // ok: everything measured; failed: a build or smoke test failed; missing: the
    // plugin, its tool or a setting it needs is not there.
    std::string status = "ok";
    std::string reason;                 // for failed and missing
    std::string tool_version;
    std::string mode;                   // onefile or onedir, as configured
    BuildFigures cold, change;
    std::optional<double> no_change_ms;  // median over the runs (a skip takes milliseconds)
    std::vector<double> no_change_samples_ms;
    std::string changed_file;           // relative to the sidecar root
    std::uint64_t size = 0;             // bytes of the installed output
    std::size_t files = 0;              // regular files in it (1 for onefile)
    std::string artifact;               // relative to the scratch project's dist/
    bool smoke_configured = false;
    bool smoke_passed = false;
    std::string smoke;                  // what the smoke test did, or why it failed
    StartupFigures startup;
    // The final build's largest packages, then the rest, from the listing the build
    // recorded (engine/bundle.hpp); for a failed cold build, what it held when it was
    // listed; empty when there is no listing.
    std::vector<CompositionPart> composition;
    // On failure, what was said about it. `log` is <cell>/failure.log in the scratch copy:
    // the log of the build that failed (for a smoke test that failed while start-up was
    // timed: of the build that made the binary, then what the binary printed), copied
    // there because the cell's next build would overwrite the original. `log_tail` is its
    // last lines; `output_tail` what the binary printed when a smoke test failed.
    std::filesystem::path log;
    std::vector<std::string> log_tail;
    std::vector<std::string> output_tail;
};

struct CompareReport {
    std::vector<CompareRow> rows;       // sidecar-major, backends in the order asked
    std::vector<std::string> backends;
    int runs = 0;
    std::string started_at;             // ISO 8601, UTC
    std::chrono::milliseconds duration{0};
    std::string project;                // the user's freezer.yaml
    std::string python;
    std::string python_version;
    unsigned cpus = 0;
    int jobs = 0;
    std::filesystem::path scratch;      // when it is kept: keep_scratch, or a cell failed
};

// Progress lines ("api x nuitka: cold build 80.5s"); called on the calling thread.
using CompareProgress = std::function<void(const std::string& line)>;

// Throws SetupError when the comparison cannot start at all (no such sidecar, a root
// outside the project); anything wrong with one backend becomes its row.
CompareReport run_compare(const config::Project& project, const PluginHost& host,
                          const CompareOptions& options, const CompareProgress& progress);

// The `top` largest packages of `contents`, then "(everything else)" with the bytes of
// the others (when there are others).
std::vector<CompositionPart> composition(const BundleContents& contents, std::size_t top = 10);

// The median (p = 50, the mean of the middle two for an even count) or the nearest-rank
// p-th percentile of samples; 0 when empty.
double percentile(std::vector<double> samples, double p);

}  // namespace freezer

// `freezer trace`: what a sidecar really uses, found by running it unfrozen under its
// own interpreter with an audit hook (trace_hook.py: import and open events), driven by
// its smoke test plus any extra runs. The record is compared with what each backend's
// last build bundled (engine/bundle.hpp), or, before any build, with what a packager
// following import statements would find (modulefinder). What is missing comes back in
// freezer.yaml's words: hidden_imports, collect_submodules and data entries.
#pragma once

#include <string>
#include <vector>

#include <freezer/config.hpp>

namespace freezer {

struct TraceOptions {
    std::vector<std::string> backends;                 // empty: the sidecar's own
    std::vector<std::vector<std::string>> runs;        // --run: extra argument lists
    std::vector<std::string> gets;                     // --get: extra paths for the HTTP test
    bool skip_smoke = false;                           // only the extra runs
};

struct TraceRun {
    std::string what;     // "smoke test (http)", "run --version", "GET /api/upper"
    bool passed = false;
    std::string message;  // the smoke runner's verdict
};

struct TraceBackend {
    std::string backend;
    std::string baseline;  // "its last build (2026-11-22T13:00:00Z)" or "static import analysis (not built yet)"
    std::vector<std::string> missing_modules;  // imported at run time, not in the bundle
    std::vector<std::string> missing_package_files;  // read from installed packages, not in the bundle
};

struct TraceDataFile {
    std::string src;   // relative to the sidecar's root
    std::string dest;  // folder inside the bundle
};

struct TraceReport {
    std::string sidecar;
    std::string python;
    std::vector<TraceRun> runs;
    std::size_t modules_imported = 0;  // by the app, not counting the interpreter's start-up
    std::size_t modules_from_root = 0;
    std::size_t modules_from_packages = 0;
    std::size_t files_read = 0;
    std::vector<TraceBackend> backends;
    // What to add to freezer.yaml: every backend's missing modules together (a package
    // of the sidecar's own with two or more missing submodules becomes one
    // collect_submodules entry), and the files read under the root that data: lacks.
    std::vector<std::string> hidden_imports;
    std::vector<std::string> collect_submodules;
    std::vector<TraceDataFile> data;
    std::string record_file;  // the raw record, kept for a look

    bool complete() const { return hidden_imports.empty() && collect_submodules.empty() && data.empty(); }
};

}  // namespace freezer

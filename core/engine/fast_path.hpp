// The fast path: a rebuild made by patching the previous build instead of running the
// packager's whole analysis, when all that changed is the code of some pure-Python
// modules and none of their imports.
//
// The core decides whether a rebuild is a candidate (this file); the backend says
// whether it can and plans the patch (sdk::Backend::patch). A candidate needs:
//   - a previous good build, installed and intact, with the same config and toolchain;
//   - no input added or removed, and every modified input a .py file not bundled as data;
//   - the same imports in each modified file: the import statements and the
//     string-literal __import__/import_module calls, read from the syntax tree
//     (imports_scan.py) and compared with the record kept from the previous build
//     (<sidecar>@<backend>.imports.json: for each Python input, the imports of its
//     last few versions by content hash, so that a build restored from the cache has
//     them too).
// Anything else, or a record that is missing, is a full build, and `why` says which.
#pragma once

#include <filesystem>
#include <future>
#include <map>
#include <string>
#include <vector>

#include <freezer/backend.hpp>
#include <nlohmann/json.hpp>

namespace freezer {

struct BuildContext;
struct Evaluation;

struct FastPath {
    enum class Verdict { none, fast, full };
    Verdict verdict = Verdict::none;  // none: the backend has no fast path; nothing to say
    // "fast path: 1 module recompiled (app/server.py)", or
    // "full build: imports of app/server.py changed (+json)"
    std::string why;
    std::vector<std::string> changed;  // fast: the modules to recompile, relative to the root
    // fast: what the changed files import now, {path: {"hash", "imports"}} (joins the record)
    nlohmann::json scanned = nlohmann::json::object();

    bool fast() const { return verdict == Verdict::fast; }
};

// The verdict for an evaluation that is going to build (not up to date).
FastPath consider_fast_path(BuildContext& ctx, const Evaluation& ev, bool force);

// The backend's request for the patch of a fast-path verdict.
sdk::PatchRequest make_patch_request(BuildContext& ctx, const Evaluation& ev, int tokens = 1);
sdk::PatchRequest make_patch_request(BuildContext& ctx, const Evaluation& ev, const std::vector<std::string>& changed,
                                     int tokens = 1);

// What each file imports, as imports_scan.py reads it: {path: {"imports": [...]}} or
// {path: {"error": "..."}}. Throws Error when the scanner cannot run.
nlohmann::json scan_imports(BuildContext& ctx, const std::filesystem::path& root, const std::vector<std::string>& paths);

// The import record of a good build, made while the packager runs: start() scans the
// staged Python inputs the previous record lacks (on another thread); save() writes
// the record once the build is installed. Backends without a fast path get none.
class ImportRecorder {
public:
    ImportRecorder(BuildContext& ctx, const Evaluation& ev);
    ~ImportRecorder();
    void start();
    // Writes the record; a scan that failed removes it instead (the next rebuild is a
    // full one) and returns why.
    std::string save();

private:
    BuildContext& ctx_;
    const Evaluation& ev_;
    bool wanted_ = false;
    nlohmann::json previous_;                           // the record as it was
    nlohmann::json files_ = nlohmann::json::object();  // path -> imports now, those known so far
    std::vector<std::string> to_scan_;
    std::future<nlohmann::json> scanning_;
};

}  // namespace freezer

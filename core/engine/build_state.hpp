// The record of a sidecar's last good build, one per sidecar x backend, in
// .freezer/state/. Written (temp file + rename) only after a build succeeded and its
// output was installed; a missing or unreadable record just means "build".
//
// <sidecar>@<backend>.json, format 1 — read on every run, so it stays small:
//   {"format": 1, "key": hex, "parts": {"inputs": hex, "config": hex, "toolchain": hex},
//    "config": {...}, "toolchain": {...}, "built_at": iso8601, "duration_ms": n,
//    "smoke": hex digest of the smoke test it passed (a changed test re-runs, no rebuild),
//    "output": {"dir": abs, "executable": rel, "size": bytes,
//               "files": [[rel, size, mtime_ns, inode], ...], "standalone": bool}}
// <sidecar>@<backend>.inputs, format 1 — read only to explain a rebuild:
//   one line per input, "<hash hex> <relative path>", sorted by path.
// <sidecar>@<backend>.imports.json — for a backend with a fast path only: what each
//   Python input of the last good build imports, by content, with its earlier versions
//   (engine/fast_path.hpp): {"format": 1, "files": {rel: [{"hash": hex, "imports": [...]}, ...]}}.
// <sidecar>@<backend>.contents.json — what the last build's artifact held (written
//   before its smoke test, so a failed build has one too; engine/bundle.hpp), and
//   .contents.prev.json, the build before it: read by audit and trace only.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "inputs/cache_key.hpp"
#include "util/file_stat.hpp"

namespace freezer {

struct OutputFile {
    std::string path;  // relative to the output folder
    FileStat stat;
};

struct OutputRecord {
    std::filesystem::path dir;
    std::string executable;
    std::uint64_t size = 0;
    std::vector<OutputFile> files;
    bool standalone = true;  // false: needs a Python interpreter (its smoke test keeps it)
};

struct BuildState {
    Hash128 key;
    KeyParts parts;
    nlohmann::json config;
    nlohmann::json toolchain;
    std::string built_at;
    long long duration_ms = 0;
    OutputRecord output;
    std::string smoke;  // digest of the smoke test the output passed ("" when none)
};

class StateStore {
public:
    explicit StateStore(std::filesystem::path dir) : dir_(std::move(dir)) {}
    std::optional<BuildState> load(const std::string& sidecar, const std::string& backend) const;
    void save(const std::string& sidecar, const std::string& backend, const BuildState& state,
              const std::vector<HashedInput>& inputs) const;
    std::vector<HashedInput> load_inputs(const std::string& sidecar,
                                         const std::string& backend) const;
    void remove(const std::string& sidecar, const std::string& backend) const;
    // The bundle listing of the newest build (its "key" says which); the listing of
    // another build it replaces becomes the previous one.
    void save_contents(const std::string& sidecar, const std::string& backend, const nlohmann::json& contents) const;
    // Build `key` has no listing (it failed, or a cache entry lacked one): a current
    // listing of another build moves to the previous, so none describes the wrong build.
    void retire_contents(const std::string& sidecar, const std::string& backend, const std::string& key) const;
    std::optional<nlohmann::json> load_contents(const std::string& sidecar, const std::string& backend,
                                                bool previous = false) const;
    // The import record (the fast path's); nullopt when missing or unreadable.
    std::optional<nlohmann::json> load_imports(const std::string& sidecar, const std::string& backend) const;
    void save_imports(const std::string& sidecar, const std::string& backend, const nlohmann::json& record) const;
    void remove_imports(const std::string& sidecar, const std::string& backend) const;
    const std::filesystem::path& dir() const { return dir_; }

private:
    std::filesystem::path file(const std::string& sidecar, const std::string& backend,
                               const char* ext) const;
    std::filesystem::path dir_;
};

// Lists the files of an installed output folder (sorted), with their stat data.
std::vector<OutputFile> list_output(const std::filesystem::path& dir);

// "2026-11-22T06:25:10Z"
std::string iso8601_utc_now();
// True when the folder still holds exactly the files recorded, unchanged.
bool output_intact(const OutputRecord& record);

}  // namespace freezer

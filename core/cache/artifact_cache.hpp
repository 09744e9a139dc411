// The content-addressed artifact cache: every build that passed its smoke test is kept
// under its key, so switching branches back and forth restores instead of rebuilding.
//
//   <cache.dir>/artifacts/
//     ac/<key>.json        the manifest of one build: its files (sha256, xxh3, size,
//                          mode), inputs, toolchain, timings; its own checksum inside.
//                          Its mtime is the last use (LRU).
//     cas/<ab>/<sha256>    the files' contents, shared between entries
//     tmp/                 writes in progress, each flock'ed by its writer
//     lock                 shared by stores and restores, exclusive for prune/clear
//
// Writes are temp + rename, blobs before the manifest: a build killed at any moment
// leaves at worst blobs without a manifest (swept by the next prune), never a manifest
// whose blobs are missing. A restore verifies every file it materialises; an entry that
// fails is removed and counts as a miss.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cache/manifest.hpp"

namespace freezer {

struct CacheStats {
    std::size_t entries = 0;
    std::size_t blobs = 0;
    std::uint64_t bytes = 0;       // blobs on disk
    std::uint64_t max_size = 0;
    std::size_t temp_files = 0;
    struct Entry {
        std::string key, sidecar, backend, created_at;
        std::uint64_t size = 0;
        std::filesystem::file_time_type last_used;
    };
    std::vector<Entry> list;       // most recently used first
};

struct PruneResult {
    std::size_t entries_removed = 0;
    std::size_t blobs_removed = 0;
    std::uint64_t bytes_freed = 0;
    std::size_t temps_swept = 0;
    bool skipped = false;          // another freezer holds the cache; try later
};

class ArtifactCache {
public:
    ArtifactCache(std::filesystem::path dir, std::uint64_t max_size);

    const std::filesystem::path& dir() const { return dir_; }
    std::uint64_t max_size() const { return max_size_; }

    // The manifest stored under `key`; nullopt on a miss. A manifest that cannot be
    // read or fails its checksum is removed, and an Error says so.
    std::optional<Manifest> lookup(const std::string& key) const;

    // Materialises the entry's files into `dest` (created; must not exist) by reflink,
    // else copy, and checks each against the manifest. On failure the entry is removed,
    // `dest` is removed, and an Error says why. Blobs in `just_verified` (fetched and
    // checked against their sha256 a moment ago) are copied without a second check.
    void restore(const Manifest& m, const std::filesystem::path& dest,
                 const std::set<std::string>& just_verified = {}) const;

    // Stores the files of `output_dir` under m.key (m.files is filled in). Blobs
    // already present are not written again. Returns the stored manifest.
    Manifest store(Manifest m, const std::filesystem::path& output_dir) const;

    bool has_blob(const std::string& sha256) const;
    std::filesystem::path blob_path(const std::string& sha256) const;
    // A temp file under tmp/, flock'ed while open, for a blob being downloaded.
    struct Temp {
        std::filesystem::path path;
        int fd = -1;
    };
    Temp temp_file() const;
    // Moves a verified temp file into cas/ (closes it).
    void adopt_blob(Temp& temp, const std::string& sha256) const;
    void discard(Temp& temp) const;
    // Writes a manifest whose blobs are all present.
    void put_manifest(const Manifest& m) const;
    void remove_entry(const std::string& key) const;

    CacheStats stats() const;
    // Keeps the most recently used entries within max_size (or `limit`), removes
    // blobs no entry uses and temp files whose writer is gone.
    PruneResult prune(std::optional<std::uint64_t> limit = std::nullopt, bool wait = true) const;
    PruneResult clear() const;

private:
    std::filesystem::path dir_;
    std::uint64_t max_size_;
};

}  // namespace freezer

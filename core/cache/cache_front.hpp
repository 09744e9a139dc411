// The cache policy of one run, in front of the local artifact cache and the remote
// one: look up locally, then remotely; restore a hit (fetching its blobs into the
// local cache first); store a fresh build locally, then remotely.
//
// Any remote failure is one warning for the whole run, then the remote is left alone
// (the latch): a remote that is down costs one timeout, not one per sidecar. A remote
// entry that is damaged (remote_cache.hpp, DamagedEntry) is a warning for its sidecar
// only; the remote stays in use, and when it is writable the local build's upload
// replaces the entry, blobs included. A local entry that fails its checks is removed
// and counts as a miss.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <optional>
#include <string>

#include <freezer/config.hpp>

#include "cache/artifact_cache.hpp"
#include "cache/remote_cache.hpp"

namespace freezer {

class CacheFront {
public:
    using Warn = std::function<void(const std::string&)>;
    enum class Source { local, remote };
    struct Hit {
        Manifest manifest;
        Source source = Source::local;
    };

    CacheFront(std::filesystem::path artifacts_dir, std::uint64_t max_size,
               const std::optional<config::RemoteCache>& remote, Warn warn);
    ~CacheFront();

    // The build stored under `key`, locally or remotely; nullopt on a miss. Problems
    // (a damaged local entry, a remote that fails) are warnings, and a miss.
    std::optional<Hit> find(const std::string& key, const std::string& sidecar);

    // Puts the hit's files into `dest` (which must not exist), verified. Throws a
    // RemoteError when the remote failed (already warned about), an Error when the
    // entry was damaged (it is removed). Returns the bytes fetched from the remote.
    std::uint64_t restore(const Hit& hit, const std::filesystem::path& dest);

    // Keeps a build that passed its smoke test: locally, then on the remote unless it
    // is read-only or down. Failures are warnings: the build itself stands.
    void store(Manifest m, const std::filesystem::path& output_dir);

private:
    bool remote_usable();  // not configured, or down: false
    void remote_failed(const std::string& what, const char* consequence);
    void remote_damaged(const DamagedEntry& e, const std::string& sidecar);
    bool must_upload(const std::string& sha256);  // a blob rejected this run, or one the server lacks

    ArtifactCache local_;
    std::unique_ptr<RemoteCache> remote_;
    Warn warn_;
    std::atomic<bool> remote_down_{false};
    std::atomic<bool> token_warned_{false};
    std::mutex mutex_;
    std::set<std::string> rejected_blobs_;  // damaged on the server: uploaded again
};

}  // namespace freezer

// The remote cache on Bazel's HTTP protocol (what bazel-remote, nginx with WebDAV PUT,
// and most artifact stores speak):
//
//   GET/PUT/HEAD <url>/ac/<sha256("freezer-ac-1:" + key)>   the manifest of a build
//   GET/PUT/HEAD <url>/cas/<sha256 of the content>          the files
//
// Every blob downloaded is hashed as it arrives and used only when its sha256 is the
// one it was asked for; the manifest carries its own checksum. A bearer token comes
// from the environment variable cache.remote.token_env names. Connection errors, 5xx
// and 429 are retried (cache.remote.retries, backing off); anything else that goes
// wrong is a RemoteError, which the builder turns into one warning and a local build.
// An entry that is damaged on the server (a manifest that does not verify, a blob
// missing, short, too long or with another sha256) is a DamagedEntry: the server works,
// so it stays in use, and the good local build's upload replaces the entry.
#pragma once

#include <atomic>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

#include <freezer/config.hpp>

#include "cache/artifact_cache.hpp"
#include "util/http_client.hpp"

#include "util/error.hpp"

namespace freezer {

struct DamagedEntry : RemoteError {
    DamagedEntry(const std::string& message, std::string blob = {}) : RemoteError(message), blob(std::move(blob)) {}
    std::string blob;  // the sha256 of the blob at fault; empty for the manifest
};

class RemoteCache {
public:
    explicit RemoteCache(config::RemoteCache settings);

    const config::RemoteCache& settings() const { return settings_; }
    // Set when token_env names a variable that is not set (the cache is used without).
    const std::string& token_problem() const { return token_problem_; }

    static std::string ac_name(const std::string& key);

    // The manifest of `key`, nullopt when the server has none. Throws RemoteError
    // (DamagedEntry for a manifest that does not verify).
    std::optional<Manifest> get_manifest(const std::string& key);
    // Downloads one blob into the local cache, verified. Throws RemoteError
    // (DamagedEntry for a blob that is not what the manifest says).
    void fetch_blob(const CachedFile& file, const ArtifactCache& local);
    bool has_blob(const std::string& sha256);
    void put_blob(const std::string& sha256, const std::filesystem::path& file);
    void put_manifest(const Manifest& m);

    std::uint64_t bytes_down() const { return bytes_down_; }
    std::uint64_t bytes_up() const { return bytes_up_; }

private:
    HttpResponse send(HttpRequest rq, const std::string& what);

    config::RemoteCache settings_;
    std::string token_;
    std::string token_problem_;
    std::atomic<std::uint64_t> bytes_down_{0};  // downloads run on build threads
    std::atomic<std::uint64_t> bytes_up_{0};
};

}  // namespace freezer

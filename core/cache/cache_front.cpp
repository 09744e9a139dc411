#include "cache/cache_front.hpp"

#include <set>

#include <fmt/format.h>

namespace freezer {
namespace fs = std::filesystem;

CacheFront::CacheFront(fs::path artifacts_dir, std::uint64_t max_size,
                       const std::optional<config::RemoteCache>& remote, Warn warn)
    : local_(std::move(artifacts_dir), max_size), warn_(std::move(warn)) {
    if (remote) remote_ = std::make_unique<RemoteCache>(*remote);
}

CacheFront::~CacheFront() = default;

bool CacheFront::remote_usable() {
    if (!remote_ || remote_down_) return false;
    // Said when the remote is first used, not on runs that never need it.
    if (!remote_->token_problem().empty() && !token_warned_.exchange(true)) warn_(remote_->token_problem());
    return true;
}

void CacheFront::remote_failed(const std::string& what, const char* consequence) {
    if (!remote_down_.exchange(true))
        warn_(fmt::format("remote cache {}: {}; {}, and the remote cache is left alone for the rest of this run",
                          remote_->settings().url, what, consequence));
}

void CacheFront::remote_damaged(const DamagedEntry& e, const std::string& sidecar) {
    if (!e.blob.empty()) {
        std::lock_guard lock(mutex_);
        rejected_blobs_.insert(e.blob);
    }
    const bool repair = !remote_->settings().read_only;
    warn_(fmt::format("{}: remote cache {}: {}; building locally{}", sidecar, remote_->settings().url, e.what(),
                      repair ? ", and the build replaces the damaged entry" : " (read_only: the entry stays damaged)"));
}

bool CacheFront::must_upload(const std::string& sha256) {
    {
        std::lock_guard lock(mutex_);
        if (rejected_blobs_.count(sha256)) return true;
    }
    return !remote_->has_blob(sha256);
}

std::optional<CacheFront::Hit> CacheFront::find(const std::string& key, const std::string& sidecar) {
    try {
        if (auto m = local_.lookup(key)) return Hit{std::move(*m), Source::local};
    } catch (const Error& e) {
        warn_(fmt::format("{}: {}", sidecar, e.what()));
    }
    if (!remote_usable()) return std::nullopt;
    try {
        if (auto m = remote_->get_manifest(key)) return Hit{std::move(*m), Source::remote};
    } catch (const DamagedEntry& e) {
        remote_damaged(e, sidecar);
    } catch (const RemoteError& e) {
        remote_failed(e.what(), "building locally");
    }
    return std::nullopt;
}

std::uint64_t CacheFront::restore(const Hit& hit, const fs::path& dest) {
    const auto& m = hit.manifest;
    std::set<std::string> fetched_blobs;
    std::uint64_t fetched = 0;
    if (hit.source == Source::remote) {
        if (!remote_usable()) throw RemoteError("the remote cache is not used for the rest of this run");
        try {
            for (const auto& f : m.files)
                if (f.link.empty() && !local_.has_blob(f.sha256)) {
                    remote_->fetch_blob(f, local_);
                    fetched_blobs.insert(f.sha256);
                    fetched += f.size;
                }
        } catch (const DamagedEntry& e) {
            remote_damaged(e, m.sidecar);
            throw;
        } catch (const RemoteError& e) {
            remote_failed(e.what(), "building locally");
            throw;
        }
        try {
            local_.put_manifest(m);
        } catch (const std::exception& e) {
            throw Error(Error::Kind::failed, fmt::format("cannot keep the remote build in the local cache: {}", e.what()));
        }
    }
    std::error_code ec;
    fs::remove_all(dest, ec);
    try {
        local_.restore(m, dest, fetched_blobs);
    } catch (const Error& e) {
        throw Error(Error::Kind::failed, fmt::format("the cached build {} was not used: {}", m.key, e.what()));
    }
    return fetched;
}

void CacheFront::store(Manifest m, const fs::path& output_dir) {
    const auto sidecar = m.sidecar;
    try {
        m = local_.store(std::move(m), output_dir);
        local_.prune(std::nullopt, /*wait=*/false);
    } catch (const std::exception& e) {
        warn_(fmt::format("{}: not stored in the artifact cache: {}", sidecar, e.what()));
        return;
    }
    if (!remote_ || remote_->settings().read_only || !remote_usable()) return;
    try {
        for (const auto& f : m.files)
            if (f.link.empty() && must_upload(f.sha256)) remote_->put_blob(f.sha256, local_.blob_path(f.sha256));
        remote_->put_manifest(m);  // last: a manifest on the server means its blobs are there
    } catch (const RemoteError& e) {
        remote_failed(e.what(), "the build is in the local cache only");
    }
}

}  // namespace freezer

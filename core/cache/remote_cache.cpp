#include "cache/remote_cache.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "util/fd.hpp"
#include "util/sha256.hpp"

#include "util/formats.hpp"

namespace freezer {
namespace fs = std::filesystem;

RemoteCache::RemoteCache(config::RemoteCache settings) : settings_(std::move(settings)) {
    if (!settings_.token_env.empty()) {
        const char* t = std::getenv(settings_.token_env.c_str());
        if (t && *t)
            token_ = t;
        else
            token_problem_ = fmt::format("cache.remote.token_env names {}, which is not set; the remote cache is "
                                         "used without a token",
                                         settings_.token_env);
    }
}

std::string RemoteCache::ac_name(const std::string& key) { return sha256_hex(formats::kRemoteAcDomain + key); }

HttpResponse RemoteCache::send(HttpRequest rq, const std::string& what) {
    rq.timeout = settings_.timeout;
    rq.connect_timeout = std::min(settings_.timeout, std::chrono::milliseconds(5000));
    if (!token_.empty()) rq.headers.push_back("Authorization: Bearer " + token_);
    HttpResponse rs;
    for (int attempt = 0;; ++attempt) {
        rs = http_request(rq);
        const bool transient = rs.status < 0 || rs.status >= 500 || rs.status == 429;
        if (!transient || attempt >= settings_.retries) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(250) * (1 << attempt));
    }
    if (rs.status < 0)
        throw RemoteError(fmt::format("{} {}: {}", rq.method, what, rs.error));
    if (rs.status == 401 || rs.status == 403)
        throw RemoteError(fmt::format("{} {}: HTTP {} (refused{})", rq.method, what, rs.status,
                                      settings_.token_env.empty() ? "; a token goes in the variable cache.remote.token_env names"
                                                                  : "; check the token in $" + settings_.token_env));
    return rs;
}

std::optional<Manifest> RemoteCache::get_manifest(const std::string& key) {
    HttpRequest rq;
    rq.url = settings_.url + "/ac/" + ac_name(key);
    const auto rs = send(rq, "ac/" + key);
    if (rs.status == 404) return std::nullopt;
    if (rs.status != 200) throw RemoteError(fmt::format("GET ac/{}: HTTP {}", key, rs.status));
    bytes_down_ += rs.body.size();
    std::string why = "key mismatch";
    try {
        auto m = Manifest::parse(rs.body);
        if (m.key == key) return m;
    } catch (const Error& e) {
        why = e.what();
    }
    throw DamagedEntry(fmt::format("the manifest for {} on the server is not valid ({})", key, why));
}

namespace {
// Hashes what a download writes on a thread of its own, so that SHA-256 (CPU) and
// receiving and writing (the kernel) overlap: about 40% of a large blob's fetch time.
class HashingPipe {
public:
    HashingPipe() : thread_([this] { run(); }) {}
    ~HashingPipe() { finish(); }
    void push(const char* data, std::size_t size) {
        std::unique_lock lock(mutex_);
        room_.wait(lock, [&] { return queued_ < kMaxQueued; });
        queue_.emplace_back(data, size);
        queued_ += size;
        ready_.notify_one();
    }
    std::string finish() {
        {
            std::lock_guard lock(mutex_);
            done_ = true;
        }
        ready_.notify_one();
        if (thread_.joinable()) thread_.join();
        if (hex_.empty()) hex_ = sha_.hex();
        return hex_;
    }

private:
    static constexpr std::size_t kMaxQueued = 16 << 20;
    void run() {
        for (;;) {
            std::string chunk;
            {
                std::unique_lock lock(mutex_);
                ready_.wait(lock, [&] { return !queue_.empty() || done_; });
                if (queue_.empty()) return;
                chunk = std::move(queue_.front());
                queue_.pop_front();
                queued_ -= chunk.size();
            }
            room_.notify_one();
            sha_.update(chunk.data(), chunk.size());
        }
    }
    Sha256 sha_;
    std::mutex mutex_;
    std::condition_variable ready_, room_;
    std::deque<std::string> queue_;
    std::size_t queued_ = 0;
    bool done_ = false;
    std::string hex_;
    std::thread thread_;
};
}  // namespace

void RemoteCache::fetch_blob(const CachedFile& file, const ArtifactCache& local) {
    auto temp = local.temp_file();
    HashingPipe sha;
    std::uint64_t got = 0;
    bool write_failed = false, too_long = false;
    HttpRequest rq;
    rq.url = settings_.url + "/cas/" + file.sha256;
    rq.on_data = [&](const char* data, std::size_t size) {
        // Never more than the manifest says: a server that sends more is not trusted.
        if (got + size > file.size) {
            too_long = true;
            return false;
        }
        if (!write_all(temp.fd, {data, size})) {
            write_failed = true;
            return false;
        }
        sha.push(data, size);
        got += size;
        return true;
    };
    HttpResponse rs;
    try {
        rs = send(rq, "cas/" + file.sha256);
    } catch (const RemoteError&) {
        local.discard(temp);
        // The transfer was stopped here: say why, not libcurl's "Failed writing received data".
        if (too_long)
            throw DamagedEntry(fmt::format("cas/{} ({}) is larger on the server than the {} bytes its manifest gives "
                                           "(size mismatch)", file.sha256, file.path, file.size), file.sha256);
        if (write_failed) throw RemoteError(fmt::format("cannot write {}: {}", temp.path.string(), std::strerror(errno)));
        throw;
    } catch (...) {
        local.discard(temp);
        throw;
    }
    bytes_down_ += got;
    const auto actual = sha.finish();
    if (rs.status != 200 || write_failed || got != file.size) {
        local.discard(temp);
        if (write_failed) throw RemoteError(fmt::format("cannot write {}: {}", temp.path.string(), std::strerror(errno)));
        if (rs.status == 404)
            throw DamagedEntry(fmt::format("cas/{} ({}) is missing on the server", file.sha256, file.path), file.sha256);
        if (rs.status != 200) throw RemoteError(fmt::format("GET cas/{}: HTTP {}", file.sha256, rs.status));
        throw DamagedEntry(fmt::format("cas/{} ({}) is {} bytes on the server, {} expected (size mismatch)", file.sha256,
                                       file.path, got, file.size), file.sha256);
    }
    if (actual != file.sha256) {
        local.discard(temp);
        throw DamagedEntry(fmt::format("cas/{} ({}) failed verification: its sha256 is {} (hash mismatch: "
                                       "tampered or damaged on the server; rejected)",
                                       file.sha256, file.path, actual), file.sha256);
    }
    local.adopt_blob(temp, file.sha256);
}

bool RemoteCache::has_blob(const std::string& sha256) {
    HttpRequest rq;
    rq.method = "HEAD";
    rq.url = settings_.url + "/cas/" + sha256;
    return send(rq, "cas/" + sha256).status == 200;
}

void RemoteCache::put_blob(const std::string& sha256, const fs::path& file) {
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw RemoteError(fmt::format("cannot read {}: {}", file.string(), std::strerror(errno)));
    struct stat st {};
    ::fstat(fd, &st);
    HttpRequest rq;
    rq.method = "PUT";
    rq.url = settings_.url + "/cas/" + sha256;
    rq.upload_fd = fd;
    rq.upload_size = static_cast<std::uint64_t>(st.st_size);
    HttpResponse rs;
    try {
        rs = send(rq, "cas/" + sha256);
    } catch (...) {
        ::close(fd);
        throw;
    }
    ::close(fd);
    if (rs.status < 200 || rs.status > 299) throw RemoteError(fmt::format("PUT cas/{}: HTTP {}", sha256, rs.status));
    bytes_up_ += rq.upload_size;
}

void RemoteCache::put_manifest(const Manifest& m) {
    const auto text = m.to_text();
    HttpRequest rq;
    rq.method = "PUT";
    rq.url = settings_.url + "/ac/" + ac_name(m.key);
    rq.upload_text = &text;
    const auto rs = send(rq, "ac/" + m.key);
    if (rs.status < 200 || rs.status > 299) throw RemoteError(fmt::format("PUT ac/{}: HTTP {}", m.key, rs.status));
    bytes_up_ += text.size();
}

}  // namespace freezer

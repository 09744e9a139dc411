#include "cache/artifact_cache.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <set>
#include <stdexcept>
#include <system_error>
#include <thread>

#include <fmt/format.h>
#include <openssl/evp.h>

#include "platform/os.hpp"
#include "util/atomic_file.hpp"
#include "util/file_lock.hpp"
#include "inputs/hash.hpp"
#include "util/fd.hpp"
#include "util/error.hpp"
#include "util/sha256.hpp"

#include "util/formats.hpp"

namespace freezer {
namespace fs = std::filesystem;
using nlohmann::json;

// ---- The store -------------------------------------------------------------------

ArtifactCache::ArtifactCache(fs::path dir, std::uint64_t max_size) : dir_(std::move(dir)), max_size_(max_size) {}

fs::path ArtifactCache::blob_path(const std::string& sha) const { return dir_ / "cas" / sha.substr(0, 2) / sha; }

bool ArtifactCache::has_blob(const std::string& sha) const {
    struct stat st {};
    return ::stat(blob_path(sha).c_str(), &st) == 0;
}

ArtifactCache::Temp ArtifactCache::temp_file() const {
    static std::atomic<unsigned> counter{0};
    fs::create_directories(dir_ / "tmp");
    for (int attempt = 0;; ++attempt) {
        Temp t;
        t.path = dir_ / "tmp" /
                 fmt::format("{}-{}-{}", ::getpid(), counter++,
                             std::chrono::steady_clock::now().time_since_epoch().count() % 1000000007);
        t.fd = ::open(t.path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (t.fd >= 0) {
            ::flock(t.fd, LOCK_EX);  // "being written": prune leaves it alone while this is held
            return t;
        }
        if (errno != EEXIST || attempt > 100)
            throw std::system_error(errno, std::generic_category(), "cannot create a temp file in " + (dir_ / "tmp").string());
    }
}

void ArtifactCache::discard(Temp& t) const {
    if (t.fd >= 0) ::close(t.fd);
    t.fd = -1;
    std::error_code ec;
    if (!t.path.empty()) fs::remove(t.path, ec);
}

void ArtifactCache::adopt_blob(Temp& t, const std::string& sha) const {
    const auto target = blob_path(sha);
    fs::create_directories(target.parent_path());
    ::fchmod(t.fd, 0444);
    if (::rename(t.path.c_str(), target.c_str()) != 0) {
        const int e = errno;
        discard(t);
        throw std::system_error(e, std::generic_category(), "cannot store " + target.string());
    }
    ::close(t.fd);
    t.fd = -1;
}

void ArtifactCache::put_manifest(const Manifest& m) const {
    auto t = temp_file();
    const auto text = m.to_text();
    if (!write_all(t.fd, text)) {
        const int e = errno;
        discard(t);
        throw std::system_error(e, std::generic_category(), "cannot write a manifest");
    }
    ::fsync(t.fd);  // the manifest is what makes a hit: it must not outlive its content
    const auto target = dir_ / "ac" / (m.key + ".json");
    fs::create_directories(target.parent_path());
    if (::rename(t.path.c_str(), target.c_str()) != 0) {
        const int e = errno;
        discard(t);
        throw std::system_error(e, std::generic_category(), "cannot store " + target.string());
    }
    ::close(t.fd);
}

void ArtifactCache::remove_entry(const std::string& key) const {
    std::error_code ec;
    fs::remove(dir_ / "ac" / (key + ".json"), ec);
}

std::optional<Manifest> ArtifactCache::lookup(const std::string& key) const {
    const auto file = dir_ / "ac" / (key + ".json");
    std::string text;
    if (!read_file(file, text)) return std::nullopt;
    std::string why = "key mismatch";
    try {
        auto m = Manifest::parse(text);
        if (m.key == key) return m;
    } catch (const Error& e) {
        why = e.what();
    }
    remove_entry(key);
    throw Error(Error::Kind::failed, fmt::format("cache entry {} is damaged ({}); it was removed", file.string(), why));
}

Manifest ArtifactCache::store(Manifest m, const fs::path& output_dir) const {
    FileLock lock(dir_ / "lock", FileLock::Mode::shared);
    m.files = describe_output(output_dir);
    m.size = 0;
    for (const auto& f : m.files) {
        m.size += f.size;
        if (!f.link.empty() || has_blob(f.sha256)) continue;
        Fd in(::open((output_dir / f.path).c_str(), O_RDONLY | O_CLOEXEC));
        if (!in) throw std::system_error(errno, std::generic_category(), "cannot read " + (output_dir / f.path).string());
        auto t = temp_file();
        if (!os::copy_file_contents(in.get(), t.fd)) {
            const int e = errno;
            discard(t);
            throw std::system_error(e, std::generic_category(), "cannot copy " + f.path + " into the cache");
        }
        adopt_blob(t, f.sha256);
    }
    // For tests: stop between the blobs and the manifest, the moment a kill hurts most.
    if (const char* pause = std::getenv("FREEZER_TEST_PAUSE_BEFORE_MANIFEST")) {
        write_file_atomically(pause, std::to_string(::getpid()));
        std::this_thread::sleep_for(std::chrono::seconds(60));
    }
    put_manifest(m);
    return m;
}

void ArtifactCache::restore(const Manifest& m, const fs::path& dest, const std::set<std::string>& just_verified) const {
    FileLock lock(dir_ / "lock", FileLock::Mode::shared);
    std::error_code ec;
    auto fail = [&](const std::string& why, const std::string& bad_blob) {
        fs::remove_all(dest, ec);
        remove_entry(m.key);
        if (!bad_blob.empty()) fs::remove(blob_path(bad_blob), ec);  // no other entry may use it either
        throw Error(Error::Kind::failed, why);
    };
    fs::create_directories(dest);
    for (const auto& f : m.files) {
        const auto target = dest / f.path;
        fs::create_directories(target.parent_path(), ec);
        if (!f.link.empty()) {
            fs::create_symlink(f.link, target, ec);
            if (ec) fail(fmt::format("cannot create the link {}: {}", target.string(), ec.message()), "");
            continue;
        }
        Fd in(::open(blob_path(f.sha256).c_str(), O_RDONLY | O_CLOEXEC));
        if (!in) fail(fmt::format("its file {} is missing from the cache", f.path), "");
        Fd out(::open(target.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, f.executable ? 0755 : 0644));
        if (!out || !os::copy_file_contents(in.get(), out.get()))
            fail(fmt::format("cannot write {}: {}", target.string(), std::strerror(errno)), "");
        out = Fd();
        if (just_verified.count(f.sha256)) continue;
        // The copy is what gets installed, so the copy is what is checked.
        std::error_code size_ec;
        const auto h = fs::file_size(target, size_ec) == f.size ? hash_file(target) : std::nullopt;
        if (!h || h->hex() != f.xxh3)
            fail(fmt::format("its file {} does not match its checksum (damaged cache entry; removed)", f.path),
                        f.sha256);
    }
    ::utimensat(AT_FDCWD, (dir_ / "ac" / (m.key + ".json")).c_str(), nullptr, 0);  // last used: now
}

namespace {
struct EntryInfo {
    std::string key;
    fs::file_time_type used;
    std::optional<Manifest> manifest;
};

std::vector<EntryInfo> list_entries(const fs::path& ac, bool remove_damaged) {
    std::vector<EntryInfo> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(ac, ec)) {
        const auto name = e.path().filename().string();
        if (name.size() < 6 || name.compare(name.size() - 5, 5, ".json") != 0) continue;
        std::string text;
        EntryInfo info{name.substr(0, name.size() - 5), e.last_write_time(ec), std::nullopt};
        try {
            if (read_file(e.path(), text)) info.manifest = Manifest::parse(text);
        } catch (const Error&) {  // damaged: not an entry
        }
        if (!info.manifest) {
            if (remove_damaged) fs::remove(e.path(), ec);
            continue;
        }
        out.push_back(std::move(info));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.used > b.used; });
    return out;
}

// Every blob on disk: sha -> size.
std::map<std::string, std::uint64_t> list_blobs(const fs::path& cas) {
    std::map<std::string, std::uint64_t> out;
    std::error_code ec;
    for (const auto& d : fs::directory_iterator(cas, ec))
        for (const auto& f : fs::directory_iterator(d.path(), ec)) {
            struct stat st {};
            if (::lstat(f.path().c_str(), &st) == 0) out[f.path().filename().string()] = static_cast<std::uint64_t>(st.st_size);
        }
    return out;
}
}  // namespace

CacheStats ArtifactCache::stats() const {
    CacheStats s;
    s.max_size = max_size_;
    const auto blobs = list_blobs(dir_ / "cas");
    s.blobs = blobs.size();
    for (const auto& [sha, size] : blobs) s.bytes += size;
    for (const auto& e : list_entries(dir_ / "ac", false)) {
        ++s.entries;
        s.list.push_back({e.key, e.manifest->sidecar, e.manifest->backend, e.manifest->created_at, e.manifest->size, e.used});
    }
    std::error_code ec;
    for (const auto& t : fs::directory_iterator(dir_ / "tmp", ec)) {
        (void)t;
        ++s.temp_files;
    }
    return s;
}

PruneResult ArtifactCache::prune(std::optional<std::uint64_t> limit, bool wait) const {
    PruneResult r;
    FileLock lock(dir_ / "lock", FileLock::Mode::exclusive, wait);
    if (!lock.held()) {
        r.skipped = true;
        return r;
    }
    std::error_code ec;
    // Temp files whose writer is gone: nobody holds their lock.
    for (const auto& t : fs::directory_iterator(dir_ / "tmp", ec)) {
        Fd fd(::open(t.path().c_str(), O_RDONLY | O_CLOEXEC));
        if (fd && ::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) {
            fs::remove(t.path(), ec);
            ++r.temps_swept;
        }
    }
    const std::uint64_t max = limit.value_or(max_size_);
    const auto blobs = list_blobs(dir_ / "cas");
    std::set<std::string> kept;
    std::uint64_t total = 0;
    bool full = false;
    const auto entries = list_entries(dir_ / "ac", true);
    for (const auto& e : entries) {
        std::uint64_t extra = 0;
        std::set<std::string> mine;
        for (const auto& f : e.manifest->files)
            if (f.link.empty() && !kept.count(f.sha256) && mine.insert(f.sha256).second) extra += f.size;
        // Least recently used go first: once one does not fit, it and everything older go.
        if (full || total + extra > max) {
            full = true;
            fs::remove(dir_ / "ac" / (e.key + ".json"), ec);
            ++r.entries_removed;
            continue;
        }
        total += extra;
        kept.insert(mine.begin(), mine.end());
    }
    for (const auto& [sha, size] : blobs) {
        if (kept.count(sha)) continue;
        fs::remove(blob_path(sha), ec);
        ++r.blobs_removed;
        r.bytes_freed += size;
    }
    return r;
}

PruneResult ArtifactCache::clear() const {
    PruneResult r;
    FileLock lock(dir_ / "lock", FileLock::Mode::exclusive);
    std::error_code ec;
    for (const auto& e : list_entries(dir_ / "ac", true)) {
        fs::remove(dir_ / "ac" / (e.key + ".json"), ec);
        ++r.entries_removed;
    }
    for (const auto& [sha, size] : list_blobs(dir_ / "cas")) {
        fs::remove(blob_path(sha), ec);
        ++r.blobs_removed;
        r.bytes_freed += size;
    }
    for (const auto& t : fs::directory_iterator(dir_ / "tmp", ec)) {
        Fd fd(::open(t.path().c_str(), O_RDONLY | O_CLOEXEC));
        if (fd && ::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) {
            fs::remove(t.path(), ec);
            ++r.temps_swept;
        }
    }
    return r;
}

}  // namespace freezer

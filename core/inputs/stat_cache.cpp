#include "inputs/stat_cache.hpp"

#include <cstring>

#include "platform/os.hpp"
#include "util/atomic_file.hpp"

#include "util/formats.hpp"

namespace freezer {

namespace {

// The magic is the format's name and version, without its terminating NUL.
constexpr const char (&kMagic)[9] = formats::kStatCacheMagic;

template <class T>
void put(std::string& out, T v) {
    out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

struct Cursor {
    const char* p;
    const char* end;
    template <class T>
    bool get(T& v) {
        if (static_cast<std::size_t>(end - p) < sizeof v) return false;
        std::memcpy(&v, p, sizeof v);
        p += sizeof v;
        return true;
    }
};

}  // namespace

StatCache::StatCache(std::filesystem::path file)
    : file_(std::move(file)), scan_start_ns_(os::file_clock_now_ns()) {
    std::string data;
    if (!read_file(file_, data)) return;
    auto corrupt = [&](const char* why) {
        entries_.clear();
        dirty_ = true;
        warning_ = std::string("stat cache ") + file_.string() + " " + why + "; inputs will be re-hashed";
    };
    if (data.size() < 8 + 24 || std::memcmp(data.data(), kMagic, 8) != 0)
        { corrupt("has an unknown format"); return; }
    std::uint64_t checksum;
    std::memcpy(&checksum, data.data() + data.size() - 8, 8);
    if (XXH3_64bits(data.data(), data.size() - 8) != checksum)
        { corrupt("is damaged (checksum mismatch)"); return; }
    Cursor c{data.data() + 8, data.data() + data.size() - 8};
    std::uint64_t start = 0, count = 0;
    c.get(start);
    c.get(count);
    trusted_before_ns_ = static_cast<std::int64_t>(start);
    entries_.reserve(count);
    for (std::uint64_t i = 0; i < count; ++i) {
        std::uint32_t len;
        if (!c.get(len) || static_cast<std::size_t>(c.end - c.p) < len)
            { corrupt("is truncated"); return; }
        std::string key(c.p, len);
        c.p += len;
        Entry e;
        if (!c.get(e.stat.size) || !c.get(e.stat.mtime_ns) || !c.get(e.stat.ctime_ns) ||
            !c.get(e.stat.inode) || !c.get(e.hash.high) || !c.get(e.hash.low))
            { corrupt("is truncated"); return; }
        entries_.emplace(std::move(key), e);
    }
}

std::optional<Hash128> StatCache::hash(const std::string& key,
                                       const std::filesystem::path& abs_path,
                                       const FileStat& st) {
    return hash(key, abs_path.string(), std::string(), st);
}

std::optional<Hash128> StatCache::hash(const std::string& key, const std::string& dir,
                                       const std::string& relative, const FileStat& st) {
    auto it = entries_.find(key);
    if (it != entries_.end()) {
        it->second.used = true;
        if (it->second.stat == st && st.mtime_ns < trusted_before_ns_) return it->second.hash;
    }
    const auto h = hash_file(relative.empty() ? std::filesystem::path(dir)
                                              : std::filesystem::path(dir + "/" + relative));
    ++files_read_;
    if (!h) return std::nullopt;
    if (it == entries_.end())
        entries_.emplace(key, Entry{st, *h, true});
    else
        it->second = Entry{st, *h, true};
    dirty_ = true;
    return h;
}

void StatCache::save(bool drop_unused) {
    // An entry not looked at this run keeps the verdict of the run that wrote it; one
    // that was racy then must not become trusted under this run's later scan start.
    for (auto it = entries_.begin(); it != entries_.end();) {
        if (!it->second.used && (drop_unused || it->second.stat.mtime_ns >= trusted_before_ns_)) {
            it = entries_.erase(it);
            dirty_ = true;
        } else {
            ++it;
        }
    }
    if (!dirty_) return;
    std::string out;
    out.reserve(64 + entries_.size() * 96);
    out.append(kMagic, 8);
    put(out, static_cast<std::uint64_t>(scan_start_ns_));
    put(out, static_cast<std::uint64_t>(entries_.size()));
    for (const auto& [key, e] : entries_) {
        put(out, static_cast<std::uint32_t>(key.size()));
        out.append(key);
        put(out, e.stat.size);
        put(out, e.stat.mtime_ns);
        put(out, e.stat.ctime_ns);
        put(out, e.stat.inode);
        put(out, e.hash.high);
        put(out, e.hash.low);
    }
    put(out, static_cast<std::uint64_t>(XXH3_64bits(out.data(), out.size())));
    write_file_atomically(file_, out);
    trusted_before_ns_ = scan_start_ns_;
    dirty_ = false;
}

}  // namespace freezer

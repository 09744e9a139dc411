// The stat cache: remembers each input's content hash together with the stat data it
// had when it was hashed, so an unchanged file is never read again.
//
// Racy-safe (git's "racy git" rule): a file whose mtime is not older than the moment
// the scan that hashed it began may have changed again within the same timestamp
// tick, so such an entry is not trusted and the file is re-hashed. The scan's start is
// taken from the coarse real-time clock, which is the clock Linux stamps files with.
//
// On-disk format, version 1 (all integers little-endian, as the host writes them):
//   magic "FRZSTAT1" | u64 scan_start_ns | u64 count |
//   count x { u32 path_len | path bytes | u64 size | i64 mtime_ns | i64 ctime_ns |
//             u64 inode | u64 hash_high | u64 hash_low } |
//   u64 XXH3-64 of all preceding bytes
// A file that is short, has another magic or a wrong checksum is dropped whole with a
// warning: the price is re-hashing, never a wrong skip.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <unordered_map>

#include "util/file_stat.hpp"
#include "inputs/hash.hpp"

namespace freezer {

class StatCache {
public:
    // Loads `file` if it exists; warning() says so when it was corrupt (and dropped).
    explicit StatCache(std::filesystem::path file);
    const std::string& warning() const { return warning_; }

    // The content hash of `abs_path`, whose stat is `st`; reads the file only when the
    // cache cannot vouch for it. `key` is the name the entry is stored under.
    std::optional<Hash128> hash(const std::string& key, const std::filesystem::path& abs_path,
                                const FileStat& st);
    // The same, building the file's path only when it must be read (the hot path).
    std::optional<Hash128> hash(const std::string& key, const std::string& dir,
                                const std::string& relative, const FileStat& st);

    // Writes the cache back (atomically) if anything changed. Entries not looked up
    // since load are kept unless `drop_unused`.
    void save(bool drop_unused = false);

    std::size_t size() const { return entries_.size(); }
    std::size_t files_read() const { return files_read_; }

private:
    struct Entry {
        FileStat stat;
        Hash128 hash;
        bool used = false;
    };
    std::filesystem::path file_;
    std::unordered_map<std::string, Entry> entries_;
    std::int64_t trusted_before_ns_ = 0;  // scan start of the run that wrote the file
    std::int64_t scan_start_ns_;          // this run's
    bool dirty_ = false;
    std::string warning_;
    std::size_t files_read_ = 0;
};

}  // namespace freezer

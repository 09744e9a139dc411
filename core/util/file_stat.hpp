// The part of stat(2) that says whether a file may have changed.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <ctime>

namespace freezer {

struct FileStat {
    std::uint64_t size = 0;
    std::int64_t mtime_ns = 0;
    std::int64_t ctime_ns = 0;
    std::uint64_t inode = 0;
    bool operator==(const FileStat&) const = default;

    static FileStat from(const struct stat& st) {
        return {static_cast<std::uint64_t>(st.st_size),
                st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec,
                st.st_ctim.tv_sec * 1'000'000'000LL + st.st_ctim.tv_nsec,
                static_cast<std::uint64_t>(st.st_ino)};
    }
};

}  // namespace freezer

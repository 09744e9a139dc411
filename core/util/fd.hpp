// File descriptors: an owning handle, and the one place that loops over EINTR and
// short reads and writes. Everything in freezer that reads or writes a descriptor
// goes through read_some / write_all / for_each_chunk.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string_view>
#include <utility>

namespace freezer {

class Fd {
public:
    explicit Fd(int fd = -1) noexcept : fd_(fd) {}
    ~Fd() { reset(); }
    Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    Fd& operator=(Fd&& o) noexcept {
        if (this != &o) {
            reset();
            fd_ = std::exchange(o.fd_, -1);
        }
        return *this;
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;

    int get() const noexcept { return fd_; }
    explicit operator bool() const noexcept { return fd_ >= 0; }
    void reset() noexcept;

private:
    int fd_;
};

// open(2) with O_CLOEXEC; an empty Fd (errno kept) when it fails.
Fd open_fd(const std::filesystem::path& path, int flags, mode_t mode = 0644);

// read(2) retried on EINTR: bytes read, 0 at the end, -1 on error (errno kept).
ssize_t read_some(int fd, void* buf, std::size_t size);
// Every byte, retried on EINTR and short writes; false on error (errno kept).
bool write_all(int fd, std::string_view bytes);
// Reads `fd` to its end in chunks handed to `sink`; false on a read error (errno kept).
bool for_each_chunk(int fd, const std::function<void(const char* data, std::size_t size)>& sink,
                    std::size_t chunk_size = 1 << 16);

}  // namespace freezer

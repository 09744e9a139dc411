#include "util/fd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

namespace freezer {

void Fd::reset() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

Fd open_fd(const std::filesystem::path& path, int flags, mode_t mode) {
    return Fd(::open(path.c_str(), flags | O_CLOEXEC, mode));
}

ssize_t read_some(int fd, void* buf, std::size_t size) {
    for (;;) {
        const ssize_t n = ::read(fd, buf, size);
        if (n >= 0 || errno != EINTR) return n;
    }
}

bool write_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

bool for_each_chunk(int fd, const std::function<void(const char*, std::size_t)>& sink, std::size_t chunk_size) {
    // One buffer per thread: hashing runs on the walk's threads and the build threads.
    static thread_local std::vector<char> buf;
    if (buf.size() < chunk_size) buf.resize(chunk_size);
    for (;;) {
        const ssize_t n = read_some(fd, buf.data(), chunk_size);
        if (n == 0) return true;
        if (n < 0) return false;
        sink(buf.data(), static_cast<std::size_t>(n));
    }
}

}  // namespace freezer

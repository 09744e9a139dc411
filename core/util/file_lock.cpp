#include "util/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <utility>

namespace freezer {
namespace fs = std::filesystem;

FileLock::FileLock(const fs::path& file, Mode mode, bool wait) : file_(file) {
    std::error_code ec;
    fs::create_directories(file.parent_path(), ec);
    fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "cannot open the lock " + file.string());
    op_ = mode == Mode::shared ? LOCK_SH : LOCK_EX;
    for (;;) {
        if (::flock(fd_, op_ | (wait ? 0 : LOCK_NB)) == 0) {
            held_ = true;
            return;
        }
        if (errno == EINTR) continue;
        if (errno == EWOULDBLOCK) return;
        throw std::system_error(errno, std::generic_category(), "cannot lock " + file.string());
    }
}

FileLock::~FileLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
}

FileLock::FileLock(FileLock&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)), op_(o.op_), held_(std::exchange(o.held_, false)), file_(std::move(o.file_)) {}

void FileLock::wait() {
    while (!held_) {
        if (::flock(fd_, op_) == 0)
            held_ = true;
        else if (errno != EINTR)
            throw std::system_error(errno, std::generic_category(), "cannot lock " + file_.string());
    }
}

std::string FileLock::holder() const {
    char buf[256];
    const ssize_t n = ::pread(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

void FileLock::set_holder(const std::string& text) const {
    if (::ftruncate(fd_, 0) == 0) (void)!::pwrite(fd_, text.data(), text.size(), 0);
}

}  // namespace freezer

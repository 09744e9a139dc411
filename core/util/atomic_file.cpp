#include "util/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <system_error>

namespace freezer {

namespace {
[[noreturn]] void fail(const std::string& what, const std::filesystem::path& p) {
    throw std::system_error(errno, std::generic_category(), what + " " + p.string());
}
}  // namespace

AtomicFile::AtomicFile(std::filesystem::path target, mode_t mode, Durability durability)
    : target_(std::move(target)), mode_(mode), durability_(durability) {
    std::error_code ec;
    std::filesystem::create_directories(target_.parent_path(), ec);
    std::string tmpl = target_.string() + ".tmp.XXXXXX";
    fd_ = Fd(::mkostemp(tmpl.data(), O_CLOEXEC));
    if (!fd_) fail("cannot create a temp file beside", target_);
    temp_ = tmpl;
}

AtomicFile::~AtomicFile() {
    fd_.reset();
    if (!temp_.empty()) ::unlink(temp_.c_str());
}

void AtomicFile::write(std::string_view bytes) {
    if (!write_all(fd_.get(), bytes)) fail("cannot write", temp_);
}

void AtomicFile::commit() {
    if (::fchmod(fd_.get(), mode_) != 0) fail("cannot set the mode of", temp_);
    if (durability_ == Durability::fsync && ::fsync(fd_.get()) != 0) fail("cannot sync", temp_);
    fd_.reset();
    if (::rename(temp_.c_str(), target_.c_str()) != 0) fail("cannot rename into", target_);
    temp_.clear();
}

void write_file_atomically(const std::filesystem::path& target, std::string_view bytes) {
    AtomicFile f(target);
    f.write(bytes);
    f.commit();
}

bool read_file(const std::filesystem::path& path, std::string& out) {
    const Fd fd = open_fd(path, O_RDONLY);
    if (!fd) return false;
    out.clear();
    return for_each_chunk(fd.get(), [&](const char* d, std::size_t n) { out.append(d, n); });
}

}  // namespace freezer

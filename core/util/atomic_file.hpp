// Writes a file so that readers see either the old content or the new, never a torn
// one: the bytes go to a temp file beside the target, are fsync'ed, and commit()
// renames it into place. A temp file that was never committed is removed.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace freezer {

class AtomicFile {
public:
    explicit AtomicFile(std::filesystem::path target);
    ~AtomicFile();
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    void write(std::string_view bytes);
    void commit();  // throws std::system_error on failure

private:
    std::filesystem::path target_;
    std::filesystem::path temp_;
    int fd_ = -1;
};

// Convenience: the whole content at once.
void write_file_atomically(const std::filesystem::path& target, std::string_view bytes);

// Reads a whole file; false when it cannot be read.
bool read_file(const std::filesystem::path& path, std::string& out);

}  // namespace freezer

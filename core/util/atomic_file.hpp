// Writes a file so that readers see either the old content or the new, never a torn
// one: the bytes go to a temp file beside the target, and commit() renames it into
// place. A temp file that was never committed is removed. The one temp-and-rename
// writer of freezer: state, probes, the stat cache, staged inputs, the Tauri copy.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "util/fd.hpp"

namespace freezer {

class AtomicFile {
public:
    // fsync before the rename: for records that must not outlive their content
    // (state, caches). Staged inputs are re-created from the sources after a crash,
    // so they skip it (an fsync per file would cost a big stage seconds).
    enum class Durability { fsync, none };

    explicit AtomicFile(std::filesystem::path target, mode_t mode = 0644,
                        Durability durability = Durability::fsync);
    ~AtomicFile();
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    void write(std::string_view bytes);  // throws std::system_error
    int fd() const { return fd_.get(); }  // for copies and timestamps before commit()
    void commit();                        // throws std::system_error on failure

private:
    std::filesystem::path target_;
    std::filesystem::path temp_;
    Fd fd_;
    mode_t mode_;
    Durability durability_;
};

// Convenience: the whole content at once.
void write_file_atomically(const std::filesystem::path& target, std::string_view bytes);

// Reads a whole file; false when it cannot be read.
bool read_file(const std::filesystem::path& path, std::string& out);

}  // namespace freezer

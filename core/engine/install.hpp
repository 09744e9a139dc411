// Installs a built artifact into dist/<sidecar>/: the new tree is moved next to the old
// one and the two are swapped in one step (renameat2's RENAME_EXCHANGE on Linux), so
// there is never a moment without a complete output. The old tree is deleted after.
// Where the system cannot swap (generic POSIX), the old tree is renamed aside and the
// new one in: a window of microseconds without the target (docs/platforms.md).
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

#include "util/error.hpp"

namespace freezer {


struct Installed {
    std::filesystem::path dir;       // dist/<sidecar>
    std::string executable;          // relative to dir
    std::uint64_t size = 0;          // bytes, all files
};

// `artifact_dir` holds the build's result (or a single folder holding it). When
// `executable` is empty, the one executable regular file at the top is used.
Installed install_output(const std::filesystem::path& artifact_dir, std::string executable,
                         const std::filesystem::path& target_dir);

// Where the artifact really is (unwraps a single folder) and its executable.
std::filesystem::path artifact_root(const std::filesystem::path& artifact_dir);
std::string find_executable(const std::filesystem::path& root, const std::string& hint);
// The bytes of every regular file under `dir` (links not followed): an output's size.
std::uint64_t folder_bytes(const std::filesystem::path& dir);

}  // namespace freezer

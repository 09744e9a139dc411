#include "engine/install.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "platform/os.hpp"

namespace freezer {
namespace fs = std::filesystem;

fs::path artifact_root(const fs::path& artifact_dir) {
    std::error_code ec;
    fs::path only;
    int count = 0;
    for (const auto& e : fs::directory_iterator(artifact_dir, ec)) {
        ++count;
        only = e.path();
    }
    if (count == 1 && fs::is_directory(only, ec) && !fs::is_symlink(only, ec)) return only;
    return artifact_dir;
}

std::string find_executable(const fs::path& root, const std::string& hint) {
    std::error_code ec;
    if (!hint.empty()) {
        const auto p = root / hint;
        if (fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0) return hint;
        throw Error(Error::Kind::failed, fmt::format("the build did not produce the executable {}", p.string()));
    }
    std::vector<std::string> found;
    for (const auto& e : fs::directory_iterator(root, ec))
        if (e.is_regular_file() && ::access(e.path().c_str(), X_OK) == 0)
            found.push_back(e.path().filename().string());
    if (found.size() == 1) return found[0];
    throw Error(Error::Kind::failed, fmt::format("cannot tell the executable in {}: {} candidates", root.string(),
                                   found.size()));
}

Installed install_output(const fs::path& artifact_dir, std::string executable,
                         const fs::path& target) {
    const fs::path root = artifact_root(artifact_dir);
    executable = find_executable(root, executable);

    std::error_code ec;
    const fs::path parent = target.parent_path();
    fs::create_directories(parent, ec);
    if (ec)
        throw Error(Error::Kind::failed, fmt::format("cannot create the output folder {}: {}", parent.string(),
                                       ec.message()));
    struct stat st;
    if (::stat(parent.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        throw Error(Error::Kind::failed, fmt::format("the output folder {} is not a folder", parent.string()));
    if (::lstat(target.c_str(), &st) == 0 && !S_ISDIR(st.st_mode))
        throw Error(Error::Kind::failed, fmt::format("{} exists and is not a folder; move it away",
                                       target.string()));

    // 1. Put the new tree beside the target (same file system, so renames are atomic).
    const fs::path fresh = parent / fmt::format(".{}.new-{}", target.filename().string(), ::getpid());
    fs::remove_all(fresh, ec);
    if (::rename(root.c_str(), fresh.c_str()) != 0) {
        if (errno != EXDEV)
            throw Error(Error::Kind::failed, fmt::format("cannot write to the output folder {}: {}",
                                           parent.string(), std::strerror(errno)));
        fs::copy(root, fresh, fs::copy_options::recursive | fs::copy_options::copy_symlinks, ec);
        if (ec) {
            fs::remove_all(fresh, ec);
            throw Error(Error::Kind::failed, fmt::format("cannot copy the output into {}: {}", parent.string(),
                                           ec.message()));
        }
    }
    // 2. Swap it in.
    const bool had_old = ::lstat(target.c_str(), &st) == 0;
    int rc = 0;
    os::Exchange swap = os::Exchange::unsupported;
    if (had_old) {
        swap = os::exchange_paths(fresh.c_str(), target.c_str());
        rc = swap == os::Exchange::done ? 0 : -1;
    } else {
        rc = ::rename(fresh.c_str(), target.c_str());
    }
    if (had_old && swap == os::Exchange::unsupported) {
        // No exchange (generic POSIX, or a file system without it): the old tree moves
        // aside, then the new one in. Between the two renames the target does not exist
        // (microseconds); a crash there leaves the old tree at .<name>.old-<pid>.
        const fs::path old = parent / fmt::format(".{}.old-{}", target.filename().string(), ::getpid());
        rc = ::rename(target.c_str(), old.c_str());
        if (rc == 0) rc = ::rename(fresh.c_str(), target.c_str());
        if (rc == 0) fs::remove_all(old, ec);
    }
    if (rc != 0) {
        const int e = errno;
        fs::remove_all(fresh, ec);
        throw Error(Error::Kind::failed, fmt::format("cannot install into {}: {}", target.string(), std::strerror(e)));
    }
    // 3. After an exchange, `fresh` holds the old tree.
    if (had_old) fs::remove_all(fresh, ec);

    return {target, executable, folder_bytes(target)};
}

std::uint64_t folder_bytes(const fs::path& dir) {
    std::uint64_t bytes = 0;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec))
        if (it->is_regular_file(ec) && !it->is_symlink(ec)) bytes += it->file_size(ec);
    return bytes;
}

}  // namespace freezer

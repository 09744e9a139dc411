#include "engine/stage.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <set>
#include <system_error>

#include <fmt/format.h>

#include "util/atomic_file.hpp"
#include "util/fd.hpp"

namespace freezer {
namespace fs = std::filesystem;

namespace {

// Copies src to dst (via a temp file and rename), hashing the bytes as they pass.
Hash128 copy_hashed(const fs::path& src, const fs::path& dst) {
    const Fd in = open_fd(src, O_RDONLY);
    if (!in) throw Error(Error::Kind::failed, fmt::format("cannot read input {}: {}", src.string(), std::strerror(errno)));
    struct stat st {};
    ::fstat(in.get(), &st);
    try {
        AtomicFile out(dst, st.st_mode & 07777, AtomicFile::Durability::none);
        Xxh3Stream h;
        bool written = true;
        const bool read = for_each_chunk(in.get(), [&](const char* d, std::size_t n) {
            h.update(d, n);
            written = written && write_all(out.fd(), {d, n});
        });
        if (!read || !written) throw std::system_error(errno, std::generic_category(), "cannot copy");
        // Packagers compare mtimes in whole seconds (PyInstaller: os.stat()[8] > the toc's),
        // so a file changed within the second of the previous build would look unchanged.
        // A staged copy that changed is dated into the next whole second.
        timespec now{};
        clock_gettime(CLOCK_REALTIME, &now);
        const timespec next[2] = {{now.tv_sec + 1, 0}, {now.tv_sec + 1, 0}};
        ::futimens(out.fd(), next);
        out.commit();
        return h.digest();
    } catch (const std::system_error& e) {
        throw Error(Error::Kind::failed, fmt::format("cannot stage {}: {}", src.string(), e.what()));
    }
}

}  // namespace

StageStats sync_stage(const fs::path& root, const fs::path& stage_dir,
                      const std::vector<HashedInput>& inputs, StatCache& stat_cache,
                      const std::string& prefix) {
    StageStats stats;
    fs::create_directories(stage_dir);
    std::set<std::string> wanted;
    for (const auto& in : inputs) {
        wanted.insert(in.path);
        const fs::path dst = stage_dir / in.path;
        struct stat st;
        if (::lstat(dst.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
            const auto h = stat_cache.hash(prefix + in.path, dst, FileStat::from(st));
            if (h && *h == in.hash) {
                ++stats.kept;
                continue;
            }
        }
        const auto got = copy_hashed(root / in.path, dst);
        if (got != in.hash) {
            std::error_code ec;
            fs::remove(dst, ec);
            throw Error(Error::Kind::failed, fmt::format(
                "input {} changed while freezer was reading it; run the build again",
                (root / in.path).string()));
        }
        if (::lstat(dst.c_str(), &st) == 0) stat_cache.hash(prefix + in.path, dst, FileStat::from(st));
        ++stats.copied;
    }
    // Remove what is no longer an input (deepest first, so folders empty out).
    std::vector<fs::path> extra;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(stage_dir, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        const auto rel = it->path().lexically_relative(stage_dir).generic_string();
        if (it->is_directory()) {
            // Keep folders that hold inputs; __pycache__ and the like go.
            bool needed = false;
            auto lb = wanted.lower_bound(rel + "/");
            needed = lb != wanted.end() && lb->rfind(rel + "/", 0) == 0;
            if (!needed) {
                extra.push_back(it->path());
                it.disable_recursion_pending();
            }
        } else if (!wanted.count(rel)) {
            extra.push_back(it->path());
        }
    }
    for (const auto& p : extra) {
        fs::remove_all(p, ec);
        ++stats.removed;
    }
    return stats;
}

}  // namespace freezer

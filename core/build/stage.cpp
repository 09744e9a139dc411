#include "build/stage.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <set>

#include <fmt/format.h>

namespace freezer {
namespace fs = std::filesystem;

namespace {

// Copies src to dst (via a temp file and rename), hashing the bytes as they pass.
Hash128 copy_hashed(const fs::path& src, const fs::path& dst) {
    const int in = ::open(src.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) throw StageError(fmt::format("cannot read input {}: {}", src.string(), std::strerror(errno)));
    struct stat st;
    ::fstat(in, &st);
    fs::create_directories(dst.parent_path());
    std::string tmp = dst.string() + ".stage.XXXXXX";
    const int out = ::mkostemp(tmp.data(), O_CLOEXEC);
    if (out < 0) {
        ::close(in);
        throw StageError(fmt::format("cannot write stage file {}: {}", dst.string(), std::strerror(errno)));
    }
    XXH3_state_t* h = XXH3_createState();
    XXH3_128bits_reset(h);
    char buf[1 << 16];
    bool ok = true;
    for (;;) {
        ssize_t n = ::read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            ok = n == 0;
            break;
        }
        XXH3_128bits_update(h, buf, static_cast<std::size_t>(n));
        for (ssize_t off = 0; off < n;) {
            const ssize_t w = ::write(out, buf + off, static_cast<std::size_t>(n - off));
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) {
                ok = false;
                break;
            }
            off += w;
        }
        if (!ok) break;
    }
    const auto d = XXH3_128bits_digest(h);
    XXH3_freeState(h);
    ::fchmod(out, st.st_mode & 07777);
    // Packagers compare mtimes in whole seconds (PyInstaller: os.stat()[8] > the toc's),
    // so a file changed within the second of the previous build would look unchanged.
    // A staged copy that changed is dated into the next whole second.
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    const timespec next[2] = {{now.tv_sec + 1, 0}, {now.tv_sec + 1, 0}};
    ::futimens(out, next);
    ::close(in);
    ::close(out);
    if (!ok || ::rename(tmp.c_str(), dst.c_str()) != 0) {
        const int e = errno;
        ::unlink(tmp.c_str());
        throw StageError(fmt::format("cannot stage {}: {}", src.string(), std::strerror(e)));
    }
    return {d.high64, d.low64};
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
            throw StageError(fmt::format(
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

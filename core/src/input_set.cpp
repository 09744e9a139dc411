#include "input_set.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

namespace freezer {

namespace {

struct Walker {
    const GlobSet& include;
    const GlobSet& exclude;
    std::vector<InputFile>& out;
    std::vector<bool>& include_hit;
    std::vector<std::string_view> segments{};  // reused for every file

    void walk(int dirfd, const std::string& rel) {
        DIR* dir = ::fdopendir(dirfd);
        if (!dir) {
            ::close(dirfd);
            return;
        }
        std::string child;
        while (const dirent* e = ::readdir(dir)) {
            const char* name = e->d_name;
            if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0))) continue;
            child.assign(rel);
            if (!child.empty()) child.push_back('/');
            child.append(name);
            unsigned char type = e->d_type;
            struct stat st;
            bool have_stat = false;
            if (type == DT_UNKNOWN || type == DT_LNK) {
                // Follow links to files; never descend into linked folders (loops).
                if (::fstatat(::dirfd(dir), name, &st, 0) != 0) continue;
                have_stat = true;
                if (S_ISDIR(st.st_mode)) type = e->d_type == DT_LNK ? DT_LNK : DT_DIR;
                else if (S_ISREG(st.st_mode)) type = DT_REG;
                else continue;
            }
            if (type == DT_DIR) {
                if (exclude.covers_dir(child)) continue;
                const int fd = ::openat(::dirfd(dir), name,
                                        O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                if (fd >= 0) walk(fd, child);
            } else if (type == DT_REG) {
                split_path(child, segments);
                const int hit = include.match(segments);
                if (hit < 0 || exclude.match(segments) >= 0) continue;
                include_hit[static_cast<std::size_t>(hit)] = true;
                if (!have_stat && ::fstatat(::dirfd(dir), name, &st, 0) != 0) continue;
                out.push_back({child, FileStat::from(st)});
            }
        }
        ::closedir(dir);
    }
};

void add_explicit(const std::filesystem::path& root, const std::string& rel,
                  std::vector<InputFile>& out, std::vector<std::string>& missing) {
    struct stat st;
    const auto abs = root / rel;
    if (::stat(abs.c_str(), &st) != 0) {
        missing.push_back(rel);
        return;
    }
    if (S_ISREG(st.st_mode)) {
        out.push_back({std::filesystem::path(rel).lexically_normal().generic_string(),
                       FileStat::from(st)});
        return;
    }
    if (!S_ISDIR(st.st_mode)) return;
    // A data folder: every file below it, minus bytecode caches.
    static const GlobSet everything({"**"});
    static const GlobSet caches({"**/__pycache__/**", "**/*.pyc"});
    std::vector<InputFile> below;
    std::vector<bool> hit(1);
    Walker w{everything, caches, below, hit};
    const int fd = ::open(abs.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) w.walk(fd, "");
    const auto prefix = std::filesystem::path(rel).lexically_normal().generic_string();
    for (auto& f : below) out.push_back({prefix + "/" + f.path, f.stat});
}

}  // namespace

InputScan scan_inputs(const std::filesystem::path& root, const GlobSet& include,
                      const GlobSet& exclude, const std::vector<std::string>& explicit_paths) {
    InputScan scan;
    std::vector<bool> include_hit(include.globs().size(), false);
    Walker w{include, exclude, scan.files, include_hit};
    const int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) w.walk(fd, "");
    for (std::size_t i = 0; i < include_hit.size(); ++i)
        if (!include_hit[i]) scan.unmatched_includes.push_back(include.globs()[i].pattern());
    for (const auto& p : explicit_paths) add_explicit(root, p, scan.files, scan.missing);
    std::sort(scan.files.begin(), scan.files.end(),
              [](const InputFile& a, const InputFile& b) { return a.path < b.path; });
    scan.files.erase(std::unique(scan.files.begin(), scan.files.end(),
                                 [](const InputFile& a, const InputFile& b) {
                                     return a.path == b.path;
                                 }),
                     scan.files.end());
    return scan;
}

}  // namespace freezer

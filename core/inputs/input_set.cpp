#include "inputs/input_set.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "platform/os.hpp"
#include "util/names.hpp"

namespace freezer {

namespace {

// Walks a tree with a few threads: stat(2) dominates a no-change run (a path lookup per
// file), and on a VM each call is slow enough that two cores halve the time, as git's
// preloaded index does. Folders are the unit of work; each thread keeps its own
// results, merged and sorted at the end.
// Folders a link must not lead into: those that contain the root, and freezer's own.
struct Fences {
    std::string root;  // canonical, with a trailing '/'
    std::set<std::pair<dev_t, ino_t>> containing;  // the root and every folder above it
    std::set<std::pair<dev_t, ino_t>> own;
    std::set<ino_t> own_inodes;  // for a cheap first look at readdir's d_ino
};

Fences make_fences(const std::filesystem::path& root, const std::vector<std::filesystem::path>& own_dirs) {
    Fences f;
    std::error_code ec;
    auto dir = std::filesystem::canonical(root, ec);
    if (ec) return f;
    f.root = dir.string();
    if (f.root.back() != '/') f.root += '/';
    for (struct stat st;; dir = dir.parent_path()) {
        if (::stat(dir.c_str(), &st) == 0) f.containing.insert({st.st_dev, st.st_ino});
        if (dir == dir.parent_path()) break;
    }
    for (const auto& d : own_dirs) {
        struct stat st;
        if (::stat(d.c_str(), &st) != 0) continue;
        f.own.insert({st.st_dev, st.st_ino});
        f.own_inodes.insert(st.st_ino);
    }
    return f;
}

class Walker {
public:
    Walker(const GlobSet& include, const GlobSet& exclude, const Fences& fences)
        : include_(include), exclude_(exclude), fences_(fences) {}

    // Walks the folder open at `fd` (taking ownership) and everything below it.
    void run(int fd, std::size_t threads) {
        queue_.push_back({fd, std::string()});
        threads = std::max<std::size_t>(1, threads);
        results_.resize(threads);
        for (auto& r : results_) r.hit.assign(include_.globs().size(), false);
        std::vector<std::thread> pool;
        for (std::size_t i = 1; i < threads; ++i) pool.emplace_back([this, i] { work(results_[i]); });
        work(results_[0]);
        for (auto& t : pool) t.join();
    }

    void collect(std::vector<InputFile>& out, std::vector<bool>& hit, std::vector<std::string>& warnings) {
        hit.assign(include_.globs().size(), false);
        for (auto& r : results_) {
            out.insert(out.end(), std::make_move_iterator(r.files.begin()), std::make_move_iterator(r.files.end()));
            for (std::size_t i = 0; i < hit.size(); ++i) hit[i] = hit[i] || r.hit[i];
            warnings.insert(warnings.end(), r.warnings.begin(), r.warnings.end());
        }
        std::sort(warnings.begin(), warnings.end());
    }

private:
    struct Pending {
        int fd;
        std::string rel;
    };
    struct Result {
        std::vector<InputFile> files;
        std::vector<bool> hit;
        std::vector<std::string_view> segments;  // reused for every file
        std::vector<std::string> warnings;
    };

    void work(Result& res) {
        for (;;) {
            Pending next;
            {
                std::unique_lock lock(mutex_);
                cv_.wait(lock, [&] { return !queue_.empty() || busy_ == 0; });
                if (queue_.empty()) return;  // nothing queued and nobody can add more
                next = std::move(queue_.back());
                queue_.pop_back();
                ++busy_;
            }
            walk_dir(next.fd, next.rel, res);
            {
                std::lock_guard lock(mutex_);
                --busy_;
            }
            cv_.notify_all();
        }
    }

    void walk_dir(int dirfd, const std::string& rel, Result& res) {
        DIR* dir = ::fdopendir(dirfd);
        if (!dir) {
            ::close(dirfd);
            return;
        }
        std::string child;
        std::vector<Pending> subdirs;
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
                // Links are followed (shared code symlinked into a sidecar is an input);
                // a linked folder is entered once, so a link loop ends.
                if (::fstatat(::dirfd(dir), name, &st, 0) != 0) continue;
                have_stat = true;
                if (S_ISDIR(st.st_mode)) {
                    if (e->d_type == DT_LNK && !may_follow(::dirfd(dir), name, child, st, res)) continue;
                    if (e->d_type == DT_LNK && !first_visit(st)) continue;
                    type = DT_DIR;
                } else if (S_ISREG(st.st_mode)) {
                    type = DT_REG;
                } else {
                    continue;
                }
            }
            if (type == DT_DIR) {
                if (exclude_.covers_dir(child)) continue;
                if (fences_.own_inodes.count(e->d_ino) && is_own(::dirfd(dir), name, have_stat ? &st : nullptr)) continue;
                const int fd = ::openat(::dirfd(dir), name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd >= 0) subdirs.push_back({fd, child});
            } else if (type == DT_REG) {
                split_path(child, res.segments);
                const int hit = include_.match(res.segments);
                if (hit < 0 || exclude_.match(res.segments) >= 0) continue;
                res.hit[static_cast<std::size_t>(hit)] = true;
                if (!have_stat && ::fstatat(::dirfd(dir), name, &st, 0) != 0) continue;
                res.files.push_back({child, FileStat::from(st)});
            }
        }
        ::closedir(dir);
        if (!subdirs.empty()) {
            {
                std::lock_guard lock(mutex_);
                for (auto& d : subdirs) queue_.push_back(std::move(d));
            }
            cv_.notify_all();
        }
    }

    // A link to folder `st`, seen as `rel`: false when it must not be entered.
    bool may_follow(int dirfd, const char* name, const std::string& rel, const struct stat& st, Result& res) {
        const std::pair key{st.st_dev, st.st_ino};
        if (fences_.containing.count(key)) {
            res.warnings.push_back(fmt::format("{} links to a folder that contains the sidecar's root; not followed "
                                               "(it would make freezer's own output an input)", escape_name(rel)));
            return false;
        }
        if (fences_.own.count(key)) return false;
        // Under the root: the excludes hold for where it really is.
        const auto target = fences_.root.empty() ? std::nullopt : os::real_path_at(dirfd, name, fences_.root + rel);
        if (target) {
            const std::string real = *target + "/";
            if (real.rfind(fences_.root, 0) == 0 && real.size() > fences_.root.size() &&
                exclude_.covers_dir(real.substr(fences_.root.size(), real.size() - fences_.root.size() - 1)))
                return false;
        }
        return true;
    }

    // One of freezer's own folders? (readdir's d_ino matched; the device decides.)
    bool is_own(int dirfd, const char* name, const struct stat* known) const {
        struct stat st;
        if (!known && ::fstatat(dirfd, name, &st, 0) != 0) return false;
        const auto& s = known ? *known : st;
        return fences_.own.count({s.st_dev, s.st_ino}) > 0;
    }

    bool first_visit(const struct stat& st) {
        std::lock_guard lock(mutex_);
        return linked_dirs_.insert({st.st_dev, st.st_ino}).second;
    }

    const GlobSet& include_;
    const GlobSet& exclude_;
    const Fences& fences_;
    std::set<std::pair<dev_t, ino_t>> linked_dirs_;  // folders entered through a link
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<Pending> queue_;
    int busy_ = 0;
    std::vector<Result> results_;
};

std::size_t walker_threads() {
    static const std::size_t n = std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 4);
    return n;
}

void add_explicit(const std::filesystem::path& root, const std::string& rel, const Fences& fences,
                  InputScan& scan) {
    auto& out = scan.files;
    struct stat st;
    const auto abs = root / rel;
    if (::stat(abs.c_str(), &st) != 0) {
        scan.missing.push_back(rel);
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
    std::vector<bool> hit;
    Walker w(everything, caches, fences);
    const int fd = ::open(abs.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) w.run(fd, 1);
    w.collect(below, hit, scan.warnings);
    const auto prefix = std::filesystem::path(rel).lexically_normal().generic_string();
    for (auto& f : below) out.push_back({prefix + "/" + f.path, f.stat});
}

}  // namespace

InputScan scan_inputs(const std::filesystem::path& root, const GlobSet& include,
                      const GlobSet& exclude, const std::vector<std::string>& explicit_paths,
                      const std::vector<std::filesystem::path>& own_dirs) {
    InputScan scan;
    std::vector<bool> include_hit;
    const auto fences = make_fences(root, own_dirs);
    Walker w(include, exclude, fences);
    const int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) w.run(fd, walker_threads());
    w.collect(scan.files, include_hit, scan.warnings);
    for (std::size_t i = 0; i < include_hit.size(); ++i)
        if (!include_hit[i]) scan.unmatched_includes.push_back(include.globs()[i].pattern());
    for (const auto& p : explicit_paths) add_explicit(root, p, fences, scan);
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

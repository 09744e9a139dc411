#include "inputs/input_set.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

namespace freezer {

namespace {

// Walks a tree with a few threads: stat(2) dominates a no-change run (a path lookup per
// file), and on a VM each call is slow enough that two cores halve the time, as git's
// preloaded index does. Folders are the unit of work; each thread keeps its own
// results, merged and sorted at the end.
class Walker {
public:
    Walker(const GlobSet& include, const GlobSet& exclude) : include_(include), exclude_(exclude) {}

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

    void collect(std::vector<InputFile>& out, std::vector<bool>& hit) {
        hit.assign(include_.globs().size(), false);
        for (auto& r : results_) {
            out.insert(out.end(), std::make_move_iterator(r.files.begin()), std::make_move_iterator(r.files.end()));
            for (std::size_t i = 0; i < hit.size(); ++i) hit[i] = hit[i] || r.hit[i];
        }
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

    bool first_visit(const struct stat& st) {
        std::lock_guard lock(mutex_);
        return linked_dirs_.insert({st.st_dev, st.st_ino}).second;
    }

    const GlobSet& include_;
    const GlobSet& exclude_;
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
    std::vector<bool> hit;
    Walker w(everything, caches);
    const int fd = ::open(abs.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) w.run(fd, 1);
    w.collect(below, hit);
    const auto prefix = std::filesystem::path(rel).lexically_normal().generic_string();
    for (auto& f : below) out.push_back({prefix + "/" + f.path, f.stat});
}

}  // namespace

InputScan scan_inputs(const std::filesystem::path& root, const GlobSet& include,
                      const GlobSet& exclude, const std::vector<std::string>& explicit_paths) {
    InputScan scan;
    std::vector<bool> include_hit;
    Walker w(include, exclude);
    const int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) w.run(fd, walker_threads());
    w.collect(scan.files, include_hit);
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

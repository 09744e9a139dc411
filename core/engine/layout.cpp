#include "engine/layout.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include <fmt/format.h>

namespace freezer {
namespace fs = std::filesystem;

Layout::Layout(const config::Project& project)
    : project_dir_(project.dir),
      freezer_(project.dir / ".freezer"),
      cache_(project.cache_dir),
      output_(project.output_dir),
      tauri_(project.tauri_dir ? *project.tauri_dir : fs::path()) {}

std::string python_where(const config::Project& project) {
    return project.python_where.line > 0 ? config::where_text(project.python_where) : project.file.string();
}

std::string Layout::output_name(const config::Sidecar& sc, const std::string& backend) {
    return backend == sc.backend ? sc.name : build_name(sc.name, backend);
}

std::string Layout::build_name(const std::string& sidecar, const std::string& backend) {
    return sidecar + "@" + backend;
}

fs::path Layout::temp_out_dir(const std::string& sidecar, const std::string& backend) const {
    return temp_dir() / fmt::format("{}.{}", build_name(sidecar, backend), ::getpid());
}

fs::path Layout::trace_dir(const std::string& sidecar) const {
    return temp_dir() / fmt::format("trace-{}.{}", sidecar, ::getpid());
}

std::size_t Layout::sweep_temp_dirs() const {
    std::size_t removed = 0;
    std::error_code ec;
    for (auto it = fs::directory_iterator(temp_dir(), ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        const auto name = it->path().filename().string();
        const auto dot = name.rfind('.');
        if (dot == std::string::npos || dot + 1 == name.size() ||
            name.find_first_not_of("0123456789", dot + 1) != std::string::npos)
            continue;
        const long pid = std::strtol(name.c_str() + dot + 1, nullptr, 10);
        if (pid <= 0 || pid == ::getpid() || ::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
        std::error_code rm;
        fs::remove_all(it->path(), rm);
        removed += !rm;
    }
    return removed;
}

fs::path Layout::tauri_copy(const std::string& sidecar, const std::string& triple) const {
    return tauri_.empty() ? fs::path() : tauri_ / tauri_sidecar_name(sidecar, triple);
}

std::string tauri_sidecar_name(const std::string& sidecar, const std::string& triple) {
    const bool windows = triple.find("-windows") != std::string::npos;
    return sidecar + "-" + triple + (windows ? ".exe" : "");
}

}  // namespace freezer

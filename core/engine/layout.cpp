#include "engine/layout.hpp"

#include <unistd.h>

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

fs::path Layout::tauri_copy(const std::string& sidecar, const std::string& triple) const {
    return tauri_.empty() ? fs::path() : tauri_ / (sidecar + "-" + triple);
}

}  // namespace freezer

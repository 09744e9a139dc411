#include "engine/clean.hpp"

#include <fmt/format.h>

#include "engine/builder.hpp"
#include "engine/layout.hpp"
#include "util/error.hpp"

namespace freezer {
namespace fs = std::filesystem;

namespace {

void remove(const fs::path& p, CleanReport& report) {
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(p, ec))) return;
    const auto n = fs::remove_all(p, ec);
    if (ec) throw Error(Error::Kind::failed, fmt::format("cannot remove {}: {}", p.string(), ec.message()));
    report.removed.push_back(p);
    report.files += n;
}

// Every file in `dir` whose name is "<sidecar>@<backend><suffix>" for some backend.
std::vector<fs::path> per_backend(const fs::path& dir, const std::string& sidecar, const std::string& suffix) {
    std::vector<fs::path> out;
    std::error_code ec;
    const auto prefix = sidecar + "@";
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        const auto name = e.path().filename().string();
        if (name.rfind(prefix, 0) == 0 && name.size() > prefix.size() + suffix.size() &&
            name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
            out.push_back(e.path());
    }
    return out;
}

void forget_one_backend(const Layout& layout, const config::Sidecar& sc, const std::string& backend, bool caches,
                        CleanReport& report) {
    const auto build = Layout::build_name(sc.name, backend);
    remove(layout.state_dir() / (build + ".json"), report);
    remove(layout.state_dir() / (build + ".inputs"), report);
    const auto output = Layout::output_name(sc, backend);
    remove(layout.log_file(output), report);
    remove(layout.installed_dir(output), report);
    if (caches) remove(layout.work_dir(backend, sc.name), report);
}

void forget_every_backend(const Layout& layout, const config::Sidecar& sc, bool caches, CleanReport& report) {
    for (const auto& f : per_backend(layout.state_dir(), sc.name, ""))
        if (f.extension() == ".json" || f.extension() == ".inputs") remove(f, report);
    remove(layout.stage_dir(sc.name), report);
    remove(layout.log_file(sc.name), report);
    for (const auto& f : per_backend(layout.logs_dir(), sc.name, ".log")) remove(f, report);
    remove(layout.installed_dir(sc.name), report);
    for (const auto& d : per_backend(layout.output_dir(), sc.name, "")) remove(d, report);
    if (!caches) return;
    std::error_code ec;
    for (const auto& b : fs::directory_iterator(layout.backends_cache_dir(), ec)) remove(b.path() / sc.name, report);
}

}  // namespace

CleanReport clean(const config::Project& project, const CleanOptions& options) {
    const Layout layout(project);
    CleanReport report;
    if (!options.backend.empty() && options.sidecars.empty()) {
        remove(layout.backend_cache_dir(options.backend), report);
        return report;
    }
    std::vector<const config::Sidecar*> selected;
    for (const auto& name : options.sidecars) {
        const auto* sc = project.find(name);
        if (!sc) throw no_such_sidecar(project, name);
        selected.push_back(sc);
    }
    if (options.sidecars.empty())
        for (const auto& sc : project.sidecars) selected.push_back(&sc);
    for (const auto* sc : selected) {
        if (options.backend.empty())
            forget_every_backend(layout, *sc, options.caches, report);
        else
            forget_one_backend(layout, *sc, options.backend, options.caches, report);
        report.sidecars.push_back(sc->name);
    }
    return report;
}

}  // namespace freezer

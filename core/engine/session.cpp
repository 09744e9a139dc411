#include "engine/session.hpp"

#include <algorithm>
#include <chrono>

#include "engine/layout.hpp"
#include "plugins/plugin_host.hpp"
#include "plugins/project_check.hpp"
#include "plugins/toolchain.hpp"
#include "process/process.hpp"

namespace freezer {
namespace fs = std::filesystem;

namespace {
ToolInfo tool_info(const LoadedBackend& b, const sdk::ToolFacts& facts, const std::string& python) {
    ToolInfo t{facts.found, facts.version, python.empty() ? "" : python + " " + facts.path, facts.problem, ""};
    if (!facts.found) {
        const auto hint = b.abi().install_hint();
        if (auto* s = std::get_if<std::string>(&hint)) t.install_hint = *s;
    }
    return t;
}
}  // namespace

Session::Session() : host_(std::make_unique<PluginHost>(plugin_search_path())) {}
Session::~Session() = default;

std::vector<std::string> Session::plugin_warnings() const {
    std::vector<std::string> out;
    for (const auto& e : host_->errors()) out.push_back(e.message);
    return out;
}

config::LoadResult Session::load(const fs::path& file, bool check, const std::string& backend_override,
                                 bool best_effort) const {
    auto result = config::load_project(file);
    if (!best_effort) result.partial.reset();
    // The backend checks: on the project, or (best effort) on what could be read of it.
    auto* checked = result.project ? &*result.project : result.partial ? &*result.partial : nullptr;
    if (check && checked) {
        auto more = check_backends(*checked, *host_, backend_override);
        result.diagnostics.insert(result.diagnostics.end(), more.begin(), more.end());
        const bool failed = std::any_of(more.begin(), more.end(), [](const sdk::Diagnostic& d) {
            return d.severity == sdk::Diagnostic::Severity::error;
        });
        if (failed && result.project) {
            if (best_effort) result.partial = std::move(result.project);
            result.project.reset();
        }
    }
    if (result.partial) {
        // Only sidecars whose backend is there can have their tool probed.
        auto& sc = result.partial->sidecars;
        sc.erase(std::remove_if(sc.begin(), sc.end(),
                                [&](const config::Sidecar& s) {
                                    return !host_->find(backend_override.empty() ? s.backend : backend_override);
                                }),
                 sc.end());
    }
    return result;
}

PluginsReport Session::describe(const std::string& python_cfg, const fs::path& project_dir) const {
    PluginsReport report;
    report.search_path = plugin_search_path();
    Toolchain tools{fs::path()};  // this command says what is there now: nothing cached
    std::optional<Interpreter> py;
    std::string py_error;
    try {
        py = tools.interpreter(python_cfg, project_dir);
    } catch (const Error& e) {
        py_error = e.what();
    }
    for (const auto& b : host_->backends()) {
        BackendInfo info{b->name(), b->version(), "", b->file(), {}};
        const auto describe = b->abi().describe();
        if (auto* s = std::get_if<std::string>(&describe)) info.description = *s;
        sdk::ToolFacts facts;
        if (py) {
            try {
                facts = tools.tool(*b, *py);
            } catch (const Error& e) {
                facts.problem = e.what();
            }
        } else {
            facts.problem = py_error;
        }
        info.tool = tool_info(*b, facts, py ? py->path : "");
        report.backends.push_back(std::move(info));
    }
    for (const auto& e : host_->errors()) report.errors.emplace_back(e.file, e.message);
    report.shadowed = host_->shadowed();
    return report;
}

ProjectCheck Session::check(const config::Project& project) const {
    Toolchain tools(Layout(project).probes_file());
    const auto& py = tools.interpreter(project.python, project.dir, python_where(project));
    ProjectCheck out{py.path, py.implementation, py.version, {}};
    for (const auto& sc : project.sidecars) {
        const auto b = host_->find(sc.backend);
        out.sidecars.push_back({sc.name, sc.backend, sc.mode, sc.entry.empty() ? "module " + sc.module : sc.entry,
                                tool_info(*b, tools.tool(*b, py), py.path)});
    }
    tools.save();
    return out;
}

std::vector<std::string> generated_not_ignored(const config::Project& project) {
    std::vector<std::string> missing;
    const Layout layout(project);
    for (const auto& dir : {layout.freezer_dir(), layout.output_dir()}) {
        ProcessSpec git;
        git.argv = {"git", "check-ignore", "-q", dir.string()};
        git.cwd = project.dir.string();
        git.capture = true;
        git.timeout = std::chrono::seconds(10);
        const auto r = run_process(git);
        if (r.started && r.exit_code == 1)  // 1: inside a repository and not ignored
            missing.push_back(fs::relative(dir, project.dir).string() + "/");
    }
    return missing;
}

ArtifactCache artifact_cache(const config::Project& project) {
    return ArtifactCache(Layout(project).artifacts_dir(), project.cache_max_size);
}

}  // namespace freezer

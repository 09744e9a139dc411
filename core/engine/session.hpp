// What every command starts from: the backend plugins found on this machine, and
// freezer.yaml loaded and checked by them. Part of the engine/ API, so that the CLI
// reaches plugins and probes through it rather than through the layers below.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <freezer/config.hpp>

#include "cache/artifact_cache.hpp"

namespace freezer {

class PluginHost;

struct ToolInfo {
    bool found = false;
    std::string version;
    std::string command;      // "<python> -m PyInstaller"
    std::string problem;      // when not found
    std::string install_hint;
};

struct BackendInfo {
    std::string name, version, description;
    std::filesystem::path file;
    ToolInfo tool;
};

struct PluginsReport {
    std::vector<std::filesystem::path> search_path;
    std::vector<BackendInfo> backends;
    std::vector<std::pair<std::filesystem::path, std::string>> errors;  // plugins that did not load
    std::vector<std::filesystem::path> shadowed;  // hidden by an earlier plugin of the same name
};

struct SidecarCheck {
    std::string sidecar, backend, mode, entry;  // entry: the script, or "module <name>"
    ToolInfo tool;
};

struct ProjectCheck {
    std::string python, python_implementation, python_version;
    std::vector<SidecarCheck> sidecars;
};

class Session {
public:
    Session();  // discovers and loads the plugins (FREEZER_BACKEND_PATH, <exe>/../lib/freezer/backends, prefix)
    ~Session();

    const PluginHost& host() const { return *host_; }
    // One line per plugin that could not be loaded.
    std::vector<std::string> plugin_warnings() const;

    // freezer.yaml with every diagnostic; with `check_backends`, each sidecar's backend
    // must exist and validate its options section (`backend_override`: --backend).
    // With `best_effort` (freezer check), LoadResult::partial is kept and holds, after
    // any error (backend ones too), the sidecars whose backend is installed; the backend
    // checks also run on it. Without, partial is always empty (a build stops at errors).
    config::LoadResult load(const std::filesystem::path& file, bool check_backends,
                            const std::string& backend_override = "", bool best_effort = false) const;

    // Every plugin and its tool, probed now (nothing cached) with `python` ("" = python3).
    PluginsReport describe(const std::string& python, const std::filesystem::path& project_dir) const;
    // The interpreter and each sidecar's tool (probes cached in .freezer/). Throws
    // SetupError when the interpreter cannot be used.
    ProjectCheck check(const config::Project& project) const;

private:
    std::unique_ptr<PluginHost> host_;
};

// Generated folders of the project (.freezer/, the output folder) that git would track:
// inside a repository and not ignored. Runs git; only after a build.
std::vector<std::string> generated_not_ignored(const config::Project& project);

// The project's artifact cache (<cache.dir>/artifacts), for `freezer cache`.
ArtifactCache artifact_cache(const config::Project& project);

}  // namespace freezer

// Layout: the only place that knows where freezer keeps things in a user's project.
//
//   <project>/                      the folder of freezer.yaml
//     .freezer/
//       state/
//         <sidecar>@<backend>.json    last good build (engine/build_state.hpp)
//         <sidecar>@<backend>.inputs  its inputs, read only to explain a rebuild
//         statcache                   input stat cache (inputs/stat_cache.hpp)
//         statcache-stage             the staged copies' stat cache
//         probes.json                 tool and interpreter facts (plugins/toolchain.hpp)
//       stage/<sidecar>/              the hashed inputs, as the packager sees them
//       logs/<output>.log             the last build's log
//       locks/<output>.lock           one freezer at a time per sidecar x backend
//       tmp/<sidecar>@<backend>.<pid>/  a build's artifact before it is installed
//     <cache.dir>/                    default .freezer/cache
//       backends/<backend>/           that packager's own cache (ccache, PEX_ROOT, ...)
//         <sidecar>/                  its work folder for one sidecar
//       artifacts/                    finished builds by key (cache/artifact_cache.hpp)
//     <output.dir>/<output>/          installed outputs (default dist/)
//     <output.tauri>/<sidecar>-<triple>  the Tauri copy, when configured
//
// <output> is the sidecar's name for its configured backend, and <sidecar>@<backend>
// for another one (--backend), so that switching back and forth is a skip.
#pragma once

#include <filesystem>
#include <string>

#include <freezer/config.hpp>

namespace freezer {

// Where freezer.yaml says `python:` ("file:line:col"), or the file when it does not
// (python3 from PATH): the prefix of every error about the interpreter.
std::string python_where(const config::Project& project);

class Layout {
public:
    explicit Layout(const config::Project& project);

    // dist/ folder, log and lock name of a sidecar built with `backend`.
    static std::string output_name(const config::Sidecar& sidecar, const std::string& backend);
    // "<sidecar>@<backend>": state files, temp folders.
    static std::string build_name(const std::string& sidecar, const std::string& backend);

    const std::filesystem::path& project_dir() const { return project_dir_; }
    std::filesystem::path freezer_dir() const { return freezer_; }
    std::filesystem::path state_dir() const { return freezer_ / "state"; }
    std::filesystem::path stat_cache_file() const { return state_dir() / "statcache"; }
    std::filesystem::path stage_cache_file() const { return state_dir() / "statcache-stage"; }
    std::filesystem::path probes_file() const { return state_dir() / "probes.json"; }
    std::filesystem::path stage_dir(const std::string& sidecar) const { return freezer_ / "stage" / sidecar; }
    std::filesystem::path logs_dir() const { return freezer_ / "logs"; }
    std::filesystem::path log_file(const std::string& output) const { return logs_dir() / (output + ".log"); }
    std::filesystem::path lock_file(const std::string& output) const { return freezer_ / "locks" / (output + ".lock"); }
    std::filesystem::path temp_dir() const { return freezer_ / "tmp"; }
    // This process's folder for a build's artifact before install. Every folder in
    // temp_dir() ends in ".<pid>" of the freezer that made it.
    std::filesystem::path temp_out_dir(const std::string& sidecar, const std::string& backend) const;
    // This process's scratch folder for `freezer trace`.
    std::filesystem::path trace_dir(const std::string& sidecar) const;
    // Removes the temp_dir() folders of freezers that are gone (killed mid-build); returns
    // how many. A folder whose process is alive, or of this process, stays.
    std::size_t sweep_temp_dirs() const;
    std::filesystem::path backends_cache_dir() const { return cache_ / "backends"; }
    std::filesystem::path backend_cache_dir(const std::string& backend) const { return backends_cache_dir() / backend; }
    std::filesystem::path work_dir(const std::string& backend, const std::string& sidecar) const {
        return backend_cache_dir(backend) / sidecar;
    }
    std::filesystem::path artifacts_dir() const { return cache_ / "artifacts"; }
    std::filesystem::path output_dir() const { return output_; }
    std::filesystem::path installed_dir(const std::string& output) const { return output_ / output; }
    // <output.tauri>/<tauri_sidecar_name()>; empty without output.tauri.
    std::filesystem::path tauri_copy(const std::string& sidecar, const std::string& triple) const;

private:
    std::filesystem::path project_dir_, freezer_, cache_, output_, tauri_;
};

// The file name Tauri's bundler looks for in the binaries folder: <sidecar>-<triple>,
// with .exe when the triple is a Windows one (x86_64-pc-windows-msvc).
std::string tauri_sidecar_name(const std::string& sidecar, const std::string& triple);

}  // namespace freezer

// `freezer clean`: forget builds, so the next one starts from nothing.
//
//   clean [SIDECAR...]              every backend's build of those sidecars (default all):
//                                   state, log, installed output (dist/<name> and
//                                   dist/<name>@<backend>), and the stage
//   clean SIDECAR... --backend B    only their builds made with B (state, log, output)
//   ... --cache                     also the packager's work folders of those sidecars
//   clean --backend B               B's whole cache folder (ccache, PEX_ROOT, ...);
//                                   builds and outputs stay
//
// State goes first: without it nothing counts as built, whatever remains on disk.
// The Tauri copies stay: the desktop app's build needs a file there.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <freezer/config.hpp>

namespace freezer {

struct CleanOptions {
    std::vector<std::string> sidecars;  // empty: all
    std::string backend;                // empty: every backend
    bool caches = false;
};

struct CleanReport {
    std::vector<std::string> sidecars;            // cleaned
    std::vector<std::filesystem::path> removed;   // what existed and was removed
    std::uintmax_t files = 0;                     // files and folders removed
};

// Throws SetupError for a sidecar freezer.yaml does not name, Error when something
// cannot be removed.
CleanReport clean(const config::Project& project, const CleanOptions& options);

}  // namespace freezer

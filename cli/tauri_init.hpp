// `freezer init`: a starting freezer.yaml, optionally with one sidecar per entry of a
// Tauri app's bundle.externalBin, so that none of the app's sidecars is forgotten.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace freezer {

// The text of a freezer.yaml with these sidecars (a placeholder one when empty);
// `tauri_dir` (relative to the project) becomes output.tauri when not empty.
std::string init_template(const std::vector<std::string>& sidecars, const std::string& tauri_dir);

// Reads tauri.conf.json (Tauri 2: bundle.externalBin; Tauri 1: tauri.bundle.externalBin)
// and returns the freezer.yaml for a project rooted at `project_dir`. Throws
// std::runtime_error with a message that says what to fix.
std::string init_from_tauri(const std::filesystem::path& tauri_conf,
                            const std::filesystem::path& project_dir);

}  // namespace freezer

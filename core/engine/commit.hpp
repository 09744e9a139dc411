// The one way a build becomes the installed output, whether it was just built or
// restored from the cache: swap it into dist/, put the Tauri copy beside the app, write
// the state record, and (for a fresh build) keep it in the artifact cache. Called only
// after the smoke test passed: until then nothing the user has was touched.
#pragma once

#include <filesystem>
#include <string>

#include "engine/context.hpp"
#include "engine/evaluate.hpp"
#include "engine/result.hpp"

namespace freezer {

struct Artifact {
    std::filesystem::path dir;  // where the packager (or the cache) left it
    std::string executable;     // relative to dir
    bool standalone = true;
    std::string built_at;       // ISO 8601
    long long build_ms = 0;
    nlohmann::json contents;    // what it holds (engine/bundle.hpp); null when not listed
};

enum class StoreInCache { yes, no };

// Installs, copies, records; fills r.artifact, r.size and r.tauri_copy.
void commit_build(BuildContext& ctx, const Evaluation& ev, const Artifact& artifact, StoreInCache store,
                  SidecarResult& r);

// Copies the installed executable to <output.tauri>/<sidecar>-<triple> (temp + rename).
// `fresh`: the executable was just built, so the copy is always written; otherwise (a
// skip) a copy that is already there is left alone. Only for the sidecar's configured
// backend.
void install_tauri_copy(BuildContext& ctx, const config::Sidecar& sc, const std::filesystem::path& executable,
                        SidecarResult& r, bool fresh);

// True when the sidecar's installed output is also copied for Tauri.
bool wants_tauri_copy(const BuildContext& ctx, const config::Sidecar& sc, const std::string& backend);

}  // namespace freezer

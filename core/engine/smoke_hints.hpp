// What a failed smoke test says is missing from the bundle, turned into what to add to
// freezer.yaml. The two most common ways a frozen app breaks are a module the
// packager's analysis did not see (imported by a computed name, a plugin registry, an
// "app.main:app" string) and a data file read with open(); the binary's traceback names
// them, but as a path inside the bundle (_MEIxxxx/app/services.json, a Nuitka onefile
// folder), not as what to write.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <freezer/config.hpp>

namespace freezer {

// Hints for `sidecar` built with `backend`, from the binary's last lines of output.
// `root` is the sidecar's source folder: a missing file is looked up there.
std::vector<std::string> missing_piece_hints(const config::Sidecar& sidecar, const std::string& backend,
                                             const std::vector<std::string>& output,
                                             const std::filesystem::path& root);

}  // namespace freezer

// The Python environment a sidecar is frozen from: the distributions installed where
// its interpreter imports from. Upgrading a dependency (pip install six==1.17.0, uv
// sync, a lockfile outside the sidecar's root) changes what the packager bundles, so
// the name and version of every distribution joins the key.
//
// Read from directory listings only (the *.dist-info and *.egg-info folders of each
// sys.path folder, names as pip writes them), so no Python runs on the no-change path:
// the interpreter's sys.path is probed once and cached (plugins/toolchain.hpp).
#pragma once

#include <map>
#include <string>
#include <vector>

namespace freezer {

// Normalized name (PEP 503: lower case, runs of -_. as one -) -> version. The first
// folder of sys.path that has a distribution wins, as it does for imports.
using Distributions = std::map<std::string, std::string>;

Distributions list_distributions(const std::vector<std::string>& sys_path);

// "Six_Py" -> "six-py"
std::string normalize_distribution_name(std::string_view name);

// What changed between two listings, in words: "six: 1.16.0 -> 1.17.0",
// "added: httpx 0.28.1", "removed: idna 3.10".
std::vector<std::string> distribution_changes(const Distributions& before, const Distributions& after);

}  // namespace freezer

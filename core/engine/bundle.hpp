// What a bundle holds: every entry of an artifact (a module, an extension, a shared
// library, a data file, the packager's runtime) with the bytes it takes, grouped by
// top-level package. Recorded at every build, before the smoke test, so that a failed
// build can still be looked into (`freezer trace`, `freezer audit`), and kept with the
// cache entry so that a restore has it too.
//
// The listing is made by bundle_contents.py (carried inside freezer), run with the
// sidecar's interpreter: it reads folders, zips (.pex, cosmofy), PyInstaller archives
// (with PyInstaller's own readers) and Nuitka's compilation report.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace freezer {

struct BundleEntry {
    std::string name;     // path inside the bundle, or a dotted module name
    std::string module;   // the module it provides, or ""
    std::string package;  // top-level package, "(runtime)", "(libraries)", "(other)"
    std::string kind;     // code, extension, library, data, runtime
    std::uint64_t bytes = 0;  // as stored in the artifact
};

struct PackageShare {
    std::string name;
    std::uint64_t files = 0;
    std::uint64_t bytes = 0;
    std::map<std::string, std::uint64_t> by_kind;  // kind -> bytes
};

struct BundleContents {
    std::vector<BundleEntry> entries;
    std::vector<std::string> notes;
    std::uint64_t artifact_bytes = 0;  // every file of the artifact, as installed

    // Largest first (ties by name).
    std::vector<PackageShare> packages() const;
    // Every module the bundle provides, and each of their parent packages.
    std::set<std::string> modules() const;

    nlohmann::json to_json() const;
    // Throws std::exception on a malformed document.
    static BundleContents from_json(const nlohmann::json& j);
};

// Lists the artifact folder `dir` with `python`; `report` is a listing the packager
// wrote (Nuitka's compilation report), or "". Throws Error (failed) when it cannot.
BundleContents list_bundle(const std::string& python, const std::filesystem::path& dir, const std::string& report);


// The development-only packages freezer flags in a bundle (pytest, IPython, black,
// jedi, pygments, pip, setuptools, tkinter, ...), plus `extra` (audit.dev_only).
std::vector<std::string> dev_only_packages(const std::vector<std::string>& extra);

// True when the entry provides `module` or a submodule of it, or is a data file or
// library of the package of that name.
bool entry_carries(const BundleEntry& entry, const std::string& module);

// The lines a size-budget failure shows: the largest packages with their bytes.
std::vector<std::string> top_contributors(const BundleContents& contents, std::size_t n);

}  // namespace freezer

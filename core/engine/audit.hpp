// `freezer audit`: the bundle laid open. What the last build of a sidecar x backend put
// in its artifact, read from the listing every build records (engine/bundle.hpp, in
// .freezer/state/<sidecar>@<backend>.contents.json) and held against freezer.yaml:
// the packages by size, what changed since the build before, the development-only
// packages found, whether each exclude_modules entry really stayed out, and max_size.
// Nothing is built or run: the listing was made when the artifact was.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <freezer/config.hpp>

#include "engine/bundle.hpp"

namespace freezer {

// One package's bytes in the previous listing and in this one.
struct PackageChange {
    std::string name;
    std::uint64_t before = 0;  // 0 for a package that is new
    std::uint64_t after = 0;   // 0 for a package that is gone
    std::int64_t delta() const { return static_cast<std::int64_t>(after) - static_cast<std::int64_t>(before); }
    bool added() const { return before == 0 && after > 0; }
    bool removed() const { return after == 0 && before > 0; }
};

struct BundleChanges {
    std::string previous_recorded_at;
    std::string previous_key;
    std::uint64_t previous_artifact_bytes = 0;
    // Packages whose bytes differ (added and removed ones too), largest change first.
    std::vector<PackageChange> packages;
    std::vector<std::string> added, removed;  // by name
};

// A development-only package (dev_only_packages()) that is in the bundle, by package
// or module name; the packager's runtime (kind "runtime": pex's bootstrap) is not counted.
struct DevOnlyFinding {
    std::string name;
    std::uint64_t bytes = 0;
    std::size_t entries = 0;
};

// One exclude_modules entry, held against the bundle.
struct ExcludeCheck {
    std::string module;
    std::vector<std::string> entries;  // the bundle entries that carry it; empty: verified absent
    std::uint64_t bytes = 0;
    bool present() const { return !entries.empty(); }
};

struct SizeBudget {
    std::uint64_t budget = 0;  // max_size
    std::uint64_t size = 0;    // the artifact, as installed
    bool over() const { return size > budget; }
};

struct AuditReport {
    std::string sidecar, backend;
    std::string recorded_at, key;
    // False when the listing is of a build that was not installed (its smoke test or
    // size budget failed); the installed output is then an older build.
    bool installed = false;
    std::uint64_t artifact_bytes = 0;  // every file of the artifact
    std::uint64_t listed_bytes = 0;    // the entries' bytes together (the shares' whole)
    std::size_t entries = 0;
    std::vector<PackageShare> packages;  // largest first
    std::optional<BundleChanges> changes;  // nullopt: no previous listing
    std::vector<DevOnlyFinding> dev_only;   // in the order of dev_only_packages()
    std::vector<ExcludeCheck> excluded;     // in the order of exclude_modules
    std::optional<SizeBudget> max_size;     // when the sidecar has one
    std::vector<std::string> notes;         // the lister's

    // What CI gates on: an excluded module in the bundle, or a size over max_size.
    bool failed() const;
};

// The report of the last listing of `sidecar` built with `backend` ("" = its configured
// backend). Throws SetupError when there is no listing yet (run `freezer build` first)
// or the listing cannot be read.
AuditReport audit_sidecar(const config::Project& project, const config::Sidecar& sidecar, const std::string& backend);

}  // namespace freezer

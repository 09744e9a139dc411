#include "engine/audit.hpp"

#include <algorithm>
#include <cstdlib>
#include <map>

#include <fmt/format.h>

#include "engine/build_state.hpp"
#include "engine/layout.hpp"
#include "util/error.hpp"

namespace freezer {

namespace {

std::string build_command(const config::Sidecar& sc, const std::string& backend, bool force) {
    return fmt::format("freezer build {}{}{}", sc.name, backend == sc.backend ? "" : " --backend " + backend,
                       force ? " --force" : "");
}

// A listing as recorded, with what the report shows besides its entries.
struct Listing {
    BundleContents contents;
    std::string recorded_at, key;
};

std::optional<Listing> read_listing(const StateStore& states, const config::Sidecar& sc, const std::string& backend,
                                    bool previous) {
    const auto j = states.load_contents(sc.name, backend, previous);
    if (!j) return std::nullopt;
    try {
        return Listing{BundleContents::from_json(*j), j->value("recorded_at", ""), j->value("key", "")};
    } catch (const std::exception& e) {
        if (previous) return std::nullopt;  // the changes go unreported; the listing itself is fine
        throw SetupError(fmt::format("the record of what {} ({}) holds is damaged ({}); `{}` records it again",
                                     sc.name, backend, e.what(), build_command(sc, backend, true)));
    }
}

BundleChanges changes_between(const Listing& before, const Listing& after) {
    BundleChanges out;
    out.previous_recorded_at = before.recorded_at;
    out.previous_key = before.key;
    out.previous_artifact_bytes = before.contents.artifact_bytes;
    std::map<std::string, PackageChange> by_name;
    for (const auto& p : before.contents.packages()) by_name[p.name] = {p.name, p.bytes, 0};
    for (const auto& p : after.contents.packages()) {
        auto& c = by_name[p.name];
        c.name = p.name;
        c.after = p.bytes;
    }
    for (const auto& [name, c] : by_name) {
        if (c.before == c.after) continue;
        out.packages.push_back(c);
        if (c.added()) out.added.push_back(name);
        if (c.removed()) out.removed.push_back(name);
    }
    std::stable_sort(out.packages.begin(), out.packages.end(), [](const PackageChange& a, const PackageChange& b) {
        return std::abs(a.delta()) > std::abs(b.delta());
    });
    return out;
}

}  // namespace

bool AuditReport::failed() const {
    const bool excluded_found =
        std::any_of(excluded.begin(), excluded.end(), [](const ExcludeCheck& x) { return x.present(); });
    return excluded_found || (max_size && max_size->over());
}

AuditReport audit_sidecar(const config::Project& project, const config::Sidecar& sc, const std::string& backend_arg) {
    const std::string backend = backend_arg.empty() ? sc.backend : backend_arg;
    const StateStore states(Layout(project).state_dir());
    const auto state = states.load(sc.name, backend);
    const auto listing = read_listing(states, sc, backend, false);
    if (!listing) {
        // A build from before listings were recorded (or whose listing failed) is
        // skipped by a plain build: only --force records one.
        throw SetupError(fmt::format(
            "no record of what {} ({}) holds yet: every build records it; run `{}` first{}", sc.name, backend,
            build_command(sc, backend, state.has_value()),
            state ? " (the installed build was made before freezer recorded listings, or its listing failed)" : ""));
    }
    const auto& contents = listing->contents;

    AuditReport r;
    r.sidecar = sc.name;
    r.backend = backend;
    r.recorded_at = listing->recorded_at;
    r.key = listing->key;
    r.installed = state && !r.key.empty() && state->key.hex() == r.key;
    r.artifact_bytes = contents.artifact_bytes;
    r.entries = contents.entries.size();
    r.packages = contents.packages();
    for (const auto& p : r.packages) r.listed_bytes += p.bytes;
    r.notes = contents.notes;
    if (r.artifact_bytes == 0) r.artifact_bytes = r.listed_bytes;  // a listing without the folder's size

    if (const auto previous = read_listing(states, sc, backend, true)) r.changes = changes_between(*previous, *listing);

    // Development-only packages: by top-level package name or by module, as Python
    // spells them (case-sensitive). The packager's own runtime is not one: every .pex
    // carries pex's bootstrap (modules pex.*), which the app needs to start.
    for (const auto& name : dev_only_packages(project.audit_dev_only)) {
        DevOnlyFinding f{name, 0, 0};
        for (const auto& e : contents.entries)
            if (e.kind != "runtime" && (e.package == name || entry_carries(e, name))) {
                f.bytes += e.bytes;
                ++f.entries;
            }
        if (f.entries) r.dev_only.push_back(std::move(f));
    }

    for (const auto& module : sc.exclude_modules) {
        ExcludeCheck x{module, {}, 0};
        for (const auto& e : contents.entries)
            if (entry_carries(e, module)) {
                x.entries.push_back(e.name);
                x.bytes += e.bytes;
            }
        r.excluded.push_back(std::move(x));
    }

    if (sc.max_size) r.max_size = SizeBudget{*sc.max_size, r.artifact_bytes};
    return r;
}

}  // namespace freezer

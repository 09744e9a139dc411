// freezer audit: what a sidecar's last build holds, package by package, held against
// freezer.yaml (exclude_modules, max_size, audit.dev_only).
#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/audit.hpp"
#include "engine/builder.hpp"
#include "command.hpp"
#include "text_table.hpp"

namespace freezer::cli {
using nlohmann::json;

namespace {

// The kinds of entry, in the order the table shows them (bundle_contents.py).
const std::vector<std::string> kKinds = {"code", "extension", "library", "data", "runtime"};

std::string share(std::uint64_t part, std::uint64_t whole) {
    return whole ? fmt::format("{:.1f}%", 100.0 * static_cast<double>(part) / static_cast<double>(whole)) : "-";
}

std::string signed_size(std::int64_t delta) {
    return (delta < 0 ? "-" : "+") + human_size(static_cast<std::uint64_t>(std::llabs(delta)));
}

json report_json(const AuditReport& r) {
    auto packages = json::array();
    for (const auto& p : r.packages)
        packages.push_back({{"name", p.name}, {"files", p.files}, {"bytes", p.bytes},
                            {"share", r.listed_bytes ? static_cast<double>(p.bytes) / static_cast<double>(r.listed_bytes) : 0.0},
                            {"by_kind", p.by_kind}});
    json changes = nullptr;
    if (r.changes) {
        auto list = json::array();
        for (const auto& c : r.changes->packages)
            list.push_back({{"name", c.name}, {"before", c.before}, {"after", c.after}, {"delta", c.delta()}});
        changes = {{"previous_recorded_at", r.changes->previous_recorded_at},
                   {"previous_key", r.changes->previous_key},
                   {"previous_artifact_bytes", r.changes->previous_artifact_bytes},
                   {"artifact_delta", static_cast<std::int64_t>(r.artifact_bytes) -
                                          static_cast<std::int64_t>(r.changes->previous_artifact_bytes)},
                   {"packages", std::move(list)},
                   {"added", r.changes->added},
                   {"removed", r.changes->removed}};
    }
    auto dev_only = json::array();
    for (const auto& d : r.dev_only) dev_only.push_back({{"name", d.name}, {"bytes", d.bytes}, {"entries", d.entries}});
    auto excluded = json::array();
    for (const auto& x : r.excluded)
        excluded.push_back({{"module", x.module}, {"status", x.present() ? "present" : "absent"}, {"bytes", x.bytes},
                            {"entries", x.entries}});
    return {{"format", kReportFormat},
            {"command", "audit"},
            {"sidecar", r.sidecar},
            {"backend", r.backend},
            {"recorded_at", r.recorded_at},
            {"key", r.key},
            {"installed", r.installed},
            {"artifact_bytes", r.artifact_bytes},
            {"listed_bytes", r.listed_bytes},
            {"entries", r.entries},
            {"packages", std::move(packages)},
            {"changes", std::move(changes)},
            {"dev_only", std::move(dev_only)},
            {"exclude_modules", std::move(excluded)},
            {"max_size", r.max_size ? json{{"budget", r.max_size->budget}, {"size", r.max_size->size},
                                           {"within", !r.max_size->over()}}
                                    : json(nullptr)},
            {"notes", r.notes},
            {"ok", !r.failed()}};
}

// The largest packages, with their kinds; the rest on one line.
std::string packages_table(const AuditReport& r, std::size_t top) {
    std::vector<std::string> kinds;  // the kinds this bundle has
    for (const auto& k : kKinds)
        if (k != "runtime" || std::any_of(r.packages.begin(), r.packages.end(),
                                          [&](const PackageShare& p) { return p.by_kind.count(k) != 0; }))
            kinds.push_back(k);
    std::vector<Column> columns = {{"package"}, {"size", true}, {"share", true}, {"files", true}};
    for (const auto& k : kinds) columns.push_back({k, true});
    TextTable table(std::move(columns));
    auto row = [&](const std::string& name, std::uint64_t bytes, std::uint64_t files,
                   const std::map<std::string, std::uint64_t>& by_kind) {
        std::vector<std::string> cells = {name, human_size(bytes), share(bytes, r.listed_bytes), std::to_string(files)};
        for (const auto& k : kinds) {
            const auto it = by_kind.find(k);
            cells.push_back(it == by_kind.end() || it->second == 0 ? "-" : human_size(it->second));
        }
        table.add(std::move(cells));
    };
    const std::size_t shown = top == 0 ? r.packages.size() : std::min(top, r.packages.size());
    for (std::size_t i = 0; i < shown; ++i) row(r.packages[i].name, r.packages[i].bytes, r.packages[i].files, r.packages[i].by_kind);
    if (shown < r.packages.size()) {
        std::uint64_t bytes = 0, files = 0;
        std::map<std::string, std::uint64_t> by_kind;
        for (std::size_t i = shown; i < r.packages.size(); ++i) {
            bytes += r.packages[i].bytes;
            files += r.packages[i].files;
            for (const auto& [k, b] : r.packages[i].by_kind) by_kind[k] += b;
        }
        row(fmt::format("({} more)", r.packages.size() - shown), bytes, files, by_kind);
    }
    return table.render("  ", "  ");
}

void print_changes(const AuditReport& r, const Style& style, std::size_t top) {
    if (!r.changes) {
        fmt::print("{}\n", style.dim("no previous build recorded: changes show from the next build on"));
        return;
    }
    const auto& c = *r.changes;
    const auto since = fmt::format("the previous build ({})", c.previous_recorded_at);
    if (c.packages.empty()) {
        fmt::print("no package changed since {}\n", since);
        return;
    }
    fmt::print("changed since {}: {} -> {} ({})\n", since, human_size(c.previous_artifact_bytes),
               human_size(r.artifact_bytes),
               signed_size(static_cast<std::int64_t>(r.artifact_bytes) - static_cast<std::int64_t>(c.previous_artifact_bytes)));
    const std::size_t shown = top == 0 ? c.packages.size() : std::min(top, c.packages.size());
    for (std::size_t i = 0; i < shown; ++i) {
        const auto& p = c.packages[i];
        fmt::print("  {:>10}  {}{}\n", signed_size(p.delta()), p.name,
                   p.added() ? " (new)" : p.removed() ? " (gone)" : "");
    }
    if (shown < c.packages.size()) fmt::print("  ... and {} more\n", c.packages.size() - shown);
}

void print_findings(const AuditReport& r, const Style& style, std::size_t dev_only_names) {
    if (r.dev_only.empty()) {
        fmt::print("{}\n", style.green(fmt::format("none of the development-only packages ({} names: freezer's list "
                                                   "and audit.dev_only)", dev_only_names)));
    } else {
        std::vector<std::string> found;
        for (const auto& d : r.dev_only) found.push_back(fmt::format("{} ({})", d.name, human_size(d.bytes)));
        fmt::print("{} {}\n", style.yellow("development-only packages in the bundle:"), fmt::join(found, ", "));
    }
    if (r.excluded.empty()) fmt::print("{}\n", style.dim("exclude_modules: none set"));
    for (const auto& x : r.excluded) {
        if (!x.present()) {
            fmt::print("exclude_modules: {} {}\n", x.module, style.green("verified absent"));
            continue;
        }
        std::vector<std::string> some(x.entries.begin(), x.entries.begin() + std::min<std::size_t>(3, x.entries.size()));
        fmt::print("exclude_modules: {} {} ({} entr{}, {}, e.g. {})\n", x.module, style.red("is in the bundle"),
                   x.entries.size(), x.entries.size() == 1 ? "y" : "ies", human_size(x.bytes), fmt::join(some, ", "));
    }
    if (r.max_size) {
        const auto& m = *r.max_size;
        if (m.over())
            fmt::print("max_size: {} {} of {} by {}\n", human_size(m.size), style.red("is over the budget"),
                       human_size(m.budget), human_size(m.size - m.budget));
        else
            fmt::print("max_size: {} of {} ({}): {}\n", human_size(m.size), human_size(m.budget), share(m.size, m.budget),
                       style.green("within budget"));
    }
}

int run_audit(const Globals& g, const std::string& name, const std::string& backend, std::size_t top) {
    const auto style = make_style(g.color, stdout);
    Session session;
    print_plugin_warnings(session, g);
    auto project = load_project(session, g, true, backend);
    if (!project) return kUsage;
    const auto* sc = project->find(name);
    if (!sc) throw no_such_sidecar(*project, name);
    const auto r = audit_sidecar(*project, *sc, backend);
    if (g.json) {
        fmt::print("{}\n", report_json(r).dump(2));
        return r.failed() ? kFailed : kOk;
    }
    fmt::print("freezer: {} ({}) holds {} in {} package{} ({} entries), recorded {}\n", style.bold(r.sidecar), r.backend,
               human_size(r.artifact_bytes), r.packages.size(), r.packages.size() == 1 ? "" : "s", r.entries,
               r.recorded_at.empty() ? "at an unknown time" : r.recorded_at);
    if (!r.installed)
        fmt::print("  {}\n", style.yellow("this build was not installed (it failed after it was listed, or its output was "
                                          "removed): what is installed, if anything, is an earlier build"));
    fmt::print("\n{}\n", packages_table(r, top));
    print_changes(r, style, top);
    fmt::print("\n");
    print_findings(r, style, dev_only_packages(project->audit_dev_only).size());
    for (const auto& n : r.notes) fmt::print("{}\n", style.dim("note: " + n));
    return r.failed() ? kFailed : kOk;
}

}  // namespace

Run add_audit(CLI::App& app, const Globals& g) {
    auto sidecar = std::make_shared<std::string>();
    auto backend = std::make_shared<std::string>();
    auto top = std::make_shared<std::size_t>(15);
    auto* cmd = app.add_subcommand(
        "audit",
        "Lay open what a sidecar's last build holds: its packages by size (share, files, code, extension\n"
        "modules, libraries, data), what changed since the build before, the development-only packages found\n"
        "in it (pytest, pip, setuptools, IPython, ... and audit.dev_only), whether each exclude_modules entry\n"
        "really stayed out, and the size against max_size.\n"
        "Every `freezer build` records the listing (in .freezer/state/, before the smoke test, so a failed build\n"
        "has one too); audit reads it and builds nothing. Build first when there is none.\n"
        "Exit 1 when an exclude_modules entry is in the bundle or the size is over max_size (a CI gate), else 0.\n\n"
        "  freezer audit api                     the configured backend's last build\n"
        "  freezer audit api --backend nuitka --top 30\n"
        "  freezer --json audit api              everything, every package, for scripts");
    cmd->add_option("sidecar", *sidecar, "The sidecar")->type_name("SIDECAR")->required();
    cmd->add_option("--backend", *backend, "As built with this packager (default: its configured one)")->type_name("NAME");
    cmd->add_option("--top", *top, "Packages (and changes) to list; 0: all (default 15; --json lists all)")
        ->type_name("N")
        ->check(CLI::Range(0, 1000000));
    cmd->fallthrough();
    return [&g, sidecar, backend, top] { return run_audit(g, *sidecar, *backend, *top); };
}

}  // namespace freezer::cli

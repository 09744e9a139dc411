// freezer cache stats|prune|clear: the artifact cache.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "command.hpp"

namespace freezer::cli {
using nlohmann::json;

namespace {

std::string ago(std::filesystem::file_time_type t) {
    const auto age =
        std::chrono::duration_cast<std::chrono::seconds>(std::filesystem::file_time_type::clock::now() - t).count();
    if (age < 120) return fmt::format("{}s ago", age);
    if (age < 7200) return fmt::format("{}m ago", age / 60);
    if (age < 172800) return fmt::format("{}h ago", age / 3600);
    return fmt::format("{}d ago", age / 86400);
}

std::string plural(std::size_t n, const char* one, const char* many) { return n == 1 ? one : many; }

int print_stats(const Globals& g, const config::Project& project, const ArtifactCache& cache) {
    const auto style = make_style(g.color, stdout);
    const auto st = cache.stats();
    if (g.json) {
        json out = {{"format", kReportFormat}, {"command", "cache stats"}, {"dir", cache.dir().string()},
                    {"entries", st.entries}, {"blobs", st.blobs}, {"bytes", st.bytes}, {"max_size", st.max_size},
                    {"temp_files", st.temp_files},
                    {"remote", project.remote_cache ? json(project.remote_cache->url) : json(nullptr)},
                    {"list", json::array()}};
        for (const auto& e : st.list)
            out["list"].push_back({{"key", e.key}, {"sidecar", e.sidecar}, {"backend", e.backend}, {"size", e.size},
                                   {"created_at", e.created_at}});
        fmt::print("{}\n", out.dump(2));
        return kOk;
    }
    const double pct = st.max_size ? 100.0 * static_cast<double>(st.bytes) / static_cast<double>(st.max_size) : 0;
    fmt::print("artifact cache {}\n  {} entr{}, {} file{}, {} of {} ({:.0f}%){}\n", cache.dir().string(), st.entries,
               plural(st.entries, "y", "ies"), st.blobs, plural(st.blobs, "", "s"), human_size(st.bytes),
               human_size(st.max_size), pct,
               st.temp_files ? fmt::format(", {} temp file{}", st.temp_files, plural(st.temp_files, "", "s")) : "");
    if (project.remote_cache)
        fmt::print("  remote: {}{}\n", project.remote_cache->url, project.remote_cache->read_only ? " (read only)" : "");
    for (const auto& e : st.list)
        fmt::print("  {:<28} {}  {:>9}  built {}  used {}\n", e.sidecar + "@" + e.backend, style.dim(e.key.substr(0, 12)),
                   human_size(e.size), e.created_at, ago(e.last_used));
    return kOk;
}

int run_cache(const Globals& g, const std::string& action, const std::string& max_size) {
    Session session;
    auto project = load_project(session, g, false);
    if (!project) return kUsage;
    const auto cache = artifact_cache(*project);
    if (action == "stats") return print_stats(g, *project, cache);
    PruneResult r;
    if (action == "clear") {
        r = cache.clear();
    } else {
        std::optional<std::uint64_t> limit;
        if (!max_size.empty()) {
            limit = config::parse_size(max_size);
            if (!limit) throw UsageError(fmt::format("--max-size {}: expected a size such as 5GB or 500MB", max_size));
        }
        r = cache.prune(limit);
    }
    if (g.json)
        fmt::print("{}\n", json{{"format", kReportFormat}, {"command", "cache " + action},
                                {"entries_removed", r.entries_removed}, {"blobs_removed", r.blobs_removed},
                                {"bytes_freed", r.bytes_freed}, {"temp_files_removed", r.temps_swept}}
                               .dump(2));
    else
        fmt::print("freezer: {} {}: removed {} entr{} and {} file{} ({}){}\n", action == "clear" ? "cleared" : "pruned",
                   cache.dir().string(), r.entries_removed, plural(r.entries_removed, "y", "ies"), r.blobs_removed,
                   plural(r.blobs_removed, "", "s"), human_size(r.bytes_freed),
                   r.temps_swept ? fmt::format(", {} stale temp file{}", r.temps_swept, plural(r.temps_swept, "", "s"))
                                 : "");
    return kOk;
}

}  // namespace

Run add_cache(CLI::App& app, const Globals& g) {
    auto action = std::make_shared<std::string>();
    auto max_size = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand(
        "cache", "The artifact cache (<cache.dir>/artifacts): every build that passed its smoke test, by key");
    cmd->add_option("action", *action,
                    "stats: entries and size; prune: keep the most recently used within cache.max_size "
                    "(or --max-size) and sweep stale temp files; clear: empty it")
        ->check(CLI::IsMember({"stats", "prune", "clear"}))
        ->required();
    cmd->add_option("--max-size", *max_size, "prune: keep this much instead of cache.max_size")->type_name("SIZE");
    cmd->fallthrough();
    return [&g, action, max_size] { return run_cache(g, *action, *max_size); };
}

}  // namespace freezer::cli

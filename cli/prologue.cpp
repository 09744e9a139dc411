// The prologue every command shares: where freezer.yaml is, the plugins' warnings, and
// diagnostics printed one way (errors red, warnings yellow, then a count).
#include <fmt/format.h>

#include "command.hpp"

namespace freezer::cli {
namespace fs = std::filesystem;

fs::path config_path(const Globals& g) {
    const fs::path base = g.directory.empty() ? fs::current_path() : fs::absolute(g.directory);
    if (!g.directory.empty() && !fs::is_directory(base)) throw UsageError(fmt::format("-C {}: no such folder", g.directory));
    if (!g.config.empty()) {
        const fs::path c = g.config;
        return c.is_absolute() ? c : base / c;
    }
    return base / "freezer.yaml";
}

void print_plugin_warnings(const Session& session, const Globals& g) {
    const auto style = make_style(g.color, stderr);
    for (const auto& w : session.plugin_warnings()) fmt::print(stderr, "freezer: {} {}\n", style.yellow("warning:"), w);
}

std::optional<config::Project> load_project(const Session& session, const Globals& g, bool check_backends,
                                            const std::string& backend_override,
                                            std::optional<config::Project>* partial,
                                            std::vector<std::string>* errors_out) {
    const auto style = make_style(g.color, stderr);
    auto result = session.load(config_path(g), check_backends, backend_override, partial != nullptr);
    if (partial) *partial = std::move(result.partial);
    int errors = 0;
    for (const auto& d : result.diagnostics) {
        const bool error = d.severity == sdk::Diagnostic::Severity::error;
        errors += error;
        const auto text = config::format_diagnostic(d);
        if (error && errors_out) errors_out->push_back(text);
        fmt::print(stderr, "{}\n", error ? style.red(text) : style.yellow(text));
    }
    if (errors || !result.project) {
        if (partial && *partial)  // freezer check goes on with what could be read
            fmt::print(stderr, "freezer: {} error{} in {}; checking the rest\n", errors, errors == 1 ? "" : "s",
                       config_path(g).string());
        else
            fmt::print(stderr, "freezer: {} error{} in {}; nothing was built\n", errors, errors == 1 ? "" : "s",
                       config_path(g).string());
        return std::nullopt;
    }
    return std::move(result.project);
}

}  // namespace freezer::cli

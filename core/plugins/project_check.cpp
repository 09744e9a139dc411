#include "plugins/project_check.hpp"

#include <algorithm>
#include <tuple>

#include <fmt/format.h>

namespace freezer {

using sdk::Diagnostic;

std::vector<Diagnostic> check_backends(const config::Project& project, const PluginHost& host,
                                       const std::string& backend_override) {
    std::vector<Diagnostic> out;
    const auto known = host.names();
    const std::string known_list = known.empty() ? "none found" : fmt::format("{}", fmt::join(known, ", "));
    auto unknown = [&](const std::string& name) {
        auto hint = config::did_you_mean(name, known);
        return fmt::format("unknown backend '{}'{} (known: {}; plugins are searched in "
                           "$FREEZER_BACKEND_PATH and <prefix>/lib/freezer/backends)",
                           name, hint.empty() ? "" : "; did you mean '" + hint + "'?", known_list);
    };
    if (!backend_override.empty() && !host.find(backend_override))
        out.push_back({Diagnostic::Severity::error, {"--backend", 0, 0}, "", unknown(backend_override)});
    for (const auto& sc : project.sidecars) {
        const std::string path = "sidecars." + sc.name;
        if (backend_override.empty() && !host.find(sc.backend))
            out.push_back({Diagnostic::Severity::error, sc.backend_where, path + ".backend",
                           unknown(sc.backend)});
        // The mode, against what the backend in use says it builds.
        if (const auto used = host.find(backend_override.empty() ? sc.backend : backend_override)) {
            const auto modes = used->abi().modes();
            if (const auto* m = std::get_if<std::vector<std::string>>(&modes);
                m && std::find(m->begin(), m->end(), sc.mode) == m->end())
                out.push_back({Diagnostic::Severity::error, sc.mode_where, path + ".mode",
                               fmt::format("{} does not build '{}' (it builds: {})", used->name(), sc.mode,
                                           fmt::join(*m, ", "))});
        }
        for (const auto& [name, options] : sc.backends) {
            const auto b = host.find(name);
            if (!b) {
                out.push_back({Diagnostic::Severity::warning, options.where, options.path,
                               fmt::format("no backend plugin named '{}' is installed; its options "
                                           "are not checked",
                                           name)});
                continue;
            }
            auto diags = b->abi().validate(options);
            if (auto* f = std::get_if<sdk::Failure>(&diags)) {
                out.push_back({Diagnostic::Severity::error, options.where, options.path,
                               fmt::format("backend '{}' failed to validate its options: {}", name,
                                           f->message)});
                continue;
            }
            for (auto& d : std::get<std::vector<Diagnostic>>(diags)) {
                if (d.where.file.empty()) d.where = options.where;
                if (d.path.empty()) d.path = options.path;
                out.push_back(std::move(d));
            }
        }
    }
    for (const auto& b : project.matrix.backends)
        if (!host.find(b)) out.push_back({Diagnostic::Severity::error, project.matrix.backends_where, "matrix.backends", unknown(b)});
    for (const auto* cells : {&project.matrix.include, &project.matrix.exclude})
        for (const auto& c : *cells)
            if (!c.backend.empty() && !host.find(c.backend))
                out.push_back({Diagnostic::Severity::error, c.where, "matrix", unknown(c.backend)});
    std::stable_sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) {
        return std::tie(a.where.line, a.where.column) < std::tie(b.where.line, b.where.column);
    });
    return out;
}

}  // namespace freezer

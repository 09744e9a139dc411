#include "engine/smoke_hints.hpp"

#include <regex>
#include <set>

#include <fmt/format.h>

namespace freezer {
namespace fs = std::filesystem;

namespace {

// "ModuleNotFoundError: No module named 'app.services'", "ImportError: No module named x"
std::vector<std::string> missing_modules(const std::vector<std::string>& output) {
    static const std::regex re(R"((?:ModuleNotFoundError|ImportError): No module named '?([A-Za-z_][\w.]*)'?)");
    std::vector<std::string> out;
    for (const auto& line : output) {
        std::smatch m;
        if (std::regex_search(line, m, re) && std::find(out.begin(), out.end(), m[1].str()) == out.end())
            out.push_back(m[1].str());
    }
    return out;
}

// "FileNotFoundError: [Errno 2] No such file or directory: '/tmp/_MEIab12/app/services.json'"
std::vector<std::string> missing_files(const std::vector<std::string>& output) {
    static const std::regex re(R"((?:FileNotFoundError|OSError): \[Errno 2\] No such file or directory: '([^']+)')");
    std::vector<std::string> out;
    for (const auto& line : output) {
        std::smatch m;
        if (std::regex_search(line, m, re)) out.push_back(m[1].str());
    }
    return out;
}

// The longest tail of `bundled` (a path inside the unpacked bundle) that is a file
// under the sidecar's root: "/tmp/_MEIab12/app/services.json" -> "app/services.json".
std::string source_of(const std::string& bundled, const fs::path& root) {
    const auto parts = fs::path(bundled).relative_path();
    std::vector<fs::path> pieces(parts.begin(), parts.end());
    for (std::size_t start = 0; start < pieces.size(); ++start) {
        fs::path rel;
        for (std::size_t i = start; i < pieces.size(); ++i) rel /= pieces[i];
        std::error_code ec;
        if (fs::is_regular_file(root / rel, ec)) return rel.generic_string();
    }
    return "";
}

}  // namespace

std::vector<std::string> missing_piece_hints(const config::Sidecar& sc, const std::string& backend,
                                             const std::vector<std::string>& output, const fs::path& root) {
    std::vector<std::string> hints;
    for (const auto& module : missing_modules(output)) {
        const auto top = module.substr(0, module.find('.'));
        std::error_code ec;
        const bool own = fs::exists(root / (top + ".py"), ec) || fs::is_directory(root / top, ec);
        if (backend == "pex-scie" && !own) {
            const auto options = sc.backends.find("pex-scie");
            const bool listed = options != sc.backends.end() && options->second.find("requirements");
            if (listed)
                hints.push_back(fmt::format("'{}' is not in the .pex: list the distribution that provides it in "
                                            "sidecars.{}.backends.pex-scie.requirements (a list, or a requirements "
                                            "file), or drop that setting to take the requirements from the "
                                            "environment",
                                            module, sc.name));
            else
                hints.push_back(fmt::format("'{}' is not in the .pex, whose requirements are the distributions the "
                                            "app's import statements resolve to: name a module imported another way "
                                            "in sidecars.{}.hidden_imports (hidden_imports: [{}]), and check that "
                                            "its distribution is installed for the interpreter in freezer.yaml",
                                            module, sc.name, module));
        }
        else
            hints.push_back(fmt::format("the binary could not import '{}': add it to sidecars.{}.hidden_imports "
                                        "(hidden_imports: [{}])",
                                        module, sc.name, module));
    }
    for (const auto& file : missing_files(output)) {
        const auto src = source_of(file, root);
        if (src.empty()) continue;
        const auto dest = fs::path(src).parent_path().generic_string();
        hints.push_back(fmt::format("the binary could not open {}, which is {} in the sources: add it to sidecars.{}.data "
                                    "(data: [{{src: {}, dest: {}}}])",
                                    file, src, sc.name, src, dest.empty() ? "." : dest));
    }
    return hints;
}

}  // namespace freezer

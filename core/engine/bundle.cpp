#include "engine/bundle.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "engine/bundle_script.hpp"
#include "engine/install.hpp"
#include "process/process.hpp"
#include "util/error.hpp"
#include "util/human.hpp"

namespace freezer {
namespace fs = std::filesystem;

std::vector<PackageShare> BundleContents::packages() const {
    std::map<std::string, PackageShare> by_name;
    for (const auto& e : entries) {
        auto& p = by_name[e.package];
        p.name = e.package;
        ++p.files;
        p.bytes += e.bytes;
        p.by_kind[e.kind] += e.bytes;
    }
    std::vector<PackageShare> out;
    for (auto& [_, p] : by_name) out.push_back(std::move(p));
    std::sort(out.begin(), out.end(), [](const PackageShare& a, const PackageShare& b) {
        return a.bytes != b.bytes ? a.bytes > b.bytes : a.name < b.name;
    });
    return out;
}

std::set<std::string> BundleContents::modules() const {
    std::set<std::string> out;
    for (const auto& e : entries) {
        if (e.module.empty()) continue;
        // app.services.upper also means app.services and app are there.
        for (auto dot = e.module.find('.'); dot != std::string::npos; dot = e.module.find('.', dot + 1))
            out.insert(e.module.substr(0, dot));
        out.insert(e.module);
    }
    return out;
}

nlohmann::json BundleContents::to_json() const {
    auto list = nlohmann::json::array();
    for (const auto& e : entries)
        list.push_back({{"name", e.name}, {"module", e.module}, {"package", e.package}, {"kind", e.kind},
                        {"bytes", e.bytes}});
    return {{"entries", std::move(list)}, {"notes", notes}, {"artifact_bytes", artifact_bytes}};
}

BundleContents BundleContents::from_json(const nlohmann::json& j) {
    BundleContents c;
    for (const auto& e : j.at("entries")) {
        const auto& module = e.at("module");
        c.entries.push_back({e.at("name").get<std::string>(), module.is_null() ? "" : module.get<std::string>(),
                             e.at("package").get<std::string>(), e.at("kind").get<std::string>(),
                             e.at("bytes").get<std::uint64_t>()});
    }
    if (j.contains("notes")) c.notes = j.at("notes").get<std::vector<std::string>>();
    c.artifact_bytes = j.value("artifact_bytes", std::uint64_t{0});
    return c;
}

BundleContents list_bundle(const std::string& python, const fs::path& dir, const std::string& report) {
    ProcessSpec spec;
    // -I: neither the user's site nor PYTHONPATH; the script needs the standard library
    // and, for a PyInstaller archive, the PyInstaller installed for this interpreter.
    spec.argv = {python, "-I", "-c", kBundleContentsScript, dir.string()};
    if (!report.empty()) spec.argv.insert(spec.argv.end(), {"--report", report});
    spec.capture = true;
    spec.timeout = std::chrono::seconds(120);
    const auto r = run_process(spec);
    if (!r.ok())
        throw Error(Error::Kind::failed, fmt::format("listing what {} holds failed: {}{}", dir.string(), r.describe(),
                                                     r.err.empty() ? "" : ": " + r.err.substr(0, 2000)));
    try {
        auto contents = BundleContents::from_json(nlohmann::json::parse(r.out));
        contents.artifact_bytes = folder_bytes(dir);
        return contents;
    } catch (const std::exception& e) {
        throw Error(Error::Kind::internal, fmt::format("the bundle listing of {} is malformed: {}", dir.string(), e.what()));
    }
}

std::vector<std::string> dev_only_packages(const std::vector<std::string>& extra) {
    // Tools for writing and testing code, never for running it; each has been found in
    // real bundles, pulled in by an optional import or a venv shared with the tests.
    std::vector<std::string> out = {"pytest", "_pytest", "IPython", "black", "jedi", "parso", "pygments", "pip",
                                    "setuptools", "pkg_resources", "tkinter", "_tkinter", "mypy", "pylint",
                                    "coverage", "hypothesis", "PyInstaller", "nuitka", "pex", "cosmofy"};
    for (const auto& e : extra)
        if (std::find(out.begin(), out.end(), e) == out.end()) out.push_back(e);
    return out;
}

bool entry_carries(const BundleEntry& e, const std::string& module) {
    if (e.module == module || e.module.rfind(module + ".", 0) == 0) return true;
    return e.module.empty() && e.package == module;  // its data or libraries
}

std::vector<std::string> top_contributors(const BundleContents& contents, std::size_t n) {
    std::vector<std::string> out;
    const auto packages = contents.packages();
    for (std::size_t i = 0; i < packages.size() && i < n; ++i)
        out.push_back(fmt::format("{:>10}  {} ({} file{})", human_size(packages[i].bytes), packages[i].name,
                                  packages[i].files, packages[i].files == 1 ? "" : "s"));
    return out;
}

}  // namespace freezer

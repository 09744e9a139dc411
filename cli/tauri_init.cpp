#include "tauri_init.hpp"

#include <stdexcept>

#include <fmt/format.h>
#include <freezer/config.hpp>
#include <nlohmann/json.hpp>

#include "util/atomic_file.hpp"

#include "util/formats.hpp"

namespace freezer {
namespace fs = std::filesystem;
using nlohmann::json;

std::string init_template(const std::vector<std::string>& sidecars, const std::string& tauri_dir) {
    std::string out =
        "# freezer.yaml: which packager freezes each Python sidecar, from which inputs, and\n"
        "# how the result proves it works. Reference: config/freezer.schema.json.\n"
        "version: " + std::to_string(formats::kConfig) + "\n"
        "python: .venv/bin/python        # the interpreter with the packagers installed\n";
    if (!tauri_dir.empty())
        out += fmt::format("output:\n  tauri: {}        # installs <name>-<target-triple> for Tauri\n", tauri_dir);
    out += "defaults:\n  backend: pyinstaller\n  mode: onefile\nsidecars:\n";
    const std::vector<std::string> names = sidecars.empty() ? std::vector<std::string>{"app"} : sidecars;
    for (const auto& name : names)
        out += fmt::format(
            "  {0}:\n"
            "    root: python/{0}               # TODO: the folder with this sidecar's sources\n"
            "    entry: main.py                 # TODO: its script (or module: package.main)\n"
            "    smoke:                         # proves the binary works before it is installed\n"
            "      run: [\"--help\"]\n"
            "      expect_exit: 0\n",
            name);
    return out;
}

std::string init_from_tauri(const fs::path& conf, const fs::path& project_dir) {
    std::string text;
    if (!read_file(conf, text)) throw std::runtime_error(fmt::format("cannot read {}", conf.string()));
    const json j = json::parse(text, nullptr, false, /*ignore_comments=*/true);
    if (j.is_discarded()) throw std::runtime_error(fmt::format("{} is not valid JSON", conf.string()));
    const json* bins = nullptr;
    for (const char* ptr : {"/bundle/externalBin", "/tauri/bundle/externalBin"}) {
        const auto p = json::json_pointer(ptr);
        if (j.contains(p)) {
            bins = &j.at(p);
            break;
        }
    }
    if (!bins || !bins->is_array() || bins->empty())
        throw std::runtime_error(fmt::format(
            "{} has no bundle.externalBin entries: list your sidecars there first (e.g. "
            "\"externalBin\": [\"binaries/api\"]), or run 'freezer init' without --from-tauri",
            conf.string()));
    const fs::path conf_dir = fs::absolute(conf).parent_path();
    std::vector<std::string> names;
    std::string dir;
    for (const auto& b : *bins) {
        if (!b.is_string()) throw std::runtime_error("bundle.externalBin must be a list of strings");
        const fs::path entry = b.get<std::string>();
        const auto name = entry.filename().string();
        if (!config::valid_sidecar_name(name))
            throw std::runtime_error(fmt::format("externalBin entry '{}' does not end in a usable sidecar name",
                                                 entry.string()));
        const auto folder = fs::relative((conf_dir / entry).parent_path(), fs::absolute(project_dir))
                                .lexically_normal()
                                .generic_string();
        if (!dir.empty() && folder != dir)
            throw std::runtime_error(fmt::format(
                "externalBin entries are in different folders ({} and {}); freezer installs Tauri copies into "
                "one folder (output.tauri): put them side by side",
                dir, folder));
        dir = folder;
        names.push_back(name);
    }
    return init_template(names, dir);
}

}  // namespace freezer

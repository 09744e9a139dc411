// What `freezer init --from-tauri` reads from a project, beyond the pieces tauri_init.hpp
// exposes: PyInstaller's flags sorted into freezer.yaml's terms, and pyproject.toml's
// console scripts. Internal to the CLI (init_scan.cpp).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace freezer {

// PyInstaller's command line, sorted into what freezer.yaml says.
struct PyiFlags {
    std::string target;  // the script or .spec
    std::string name;    // --name
    std::string mode, mode_flag;
    std::vector<std::string> hidden, collect, exclude;
    std::vector<std::pair<std::string, std::string>> data;  // as written (relative to the run's folder)
    std::vector<std::string> dropped;                       // flags freezer manages
    std::vector<std::string> extra;                         // for backends.pyinstaller.extra_args
};

// Why freezer drops a flag it manages itself, by flag.
const std::map<std::string, std::string>& managed_flags();
PyiFlags parse_pyinstaller(const std::vector<std::string>& args);

// --name without a target-triple suffix or a placeholder for one:
// main-x86_64-unknown-linux-gnu, main-$TARGET, main-${TARGET_TRIPLE}, main-{{target}}.
std::string name_stem(std::string name);
bool ends_with(const std::string& s, const std::string& tail);

// A console script of pyproject.toml: `name = "pkg.mod:func"`.
struct ConsoleScript {
    std::filesystem::path pyproject;
    std::string name, module, func;
    int line = 0;
};

// [project.scripts] (and Poetry's [tool.poetry.scripts]) of one pyproject.toml.
std::vector<ConsoleScript> console_scripts(const std::filesystem::path& file);
// pyproject.toml files of the project: its folder and two levels below, leaving out
// the folders that hold no Python sources of the app.
std::vector<std::filesystem::path> find_pyprojects(const std::filesystem::path& dir, int depth = 0);

}  // namespace freezer

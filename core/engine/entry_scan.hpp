// How `freezer init` reads a sidecar's entry script: entry_scan.py (carried inside
// freezer) parses it into a syntax tree with the project's interpreter and prints what
// it is (a server, its port and routes, or a command-line tool) as JSON.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace freezer {

// The JSON entry_scan.py prints for `file`, run with `python`; nullopt when the
// interpreter cannot run it (then the caller reads the file as text).
std::optional<std::string> run_entry_scan(const std::string& python, const std::filesystem::path& file);

}  // namespace freezer

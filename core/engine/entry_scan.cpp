#include "engine/entry_scan.hpp"

#include <chrono>

#include "engine/entry_scan_script.hpp"
#include "process/process.hpp"

namespace freezer {

std::optional<std::string> run_entry_scan(const std::string& python, const std::filesystem::path& file) {
    ProcessSpec spec;
    // -I: the project's folder and PYTHON* variables do not change what the reader imports.
    spec.argv = {python, "-I", "-c", kEntryScanScript, file.string()};
    spec.capture = true;
    spec.timeout = std::chrono::seconds(60);
    const auto r = run_process(spec);
    if (!r.ok()) return std::nullopt;
    return r.out;
}

}  // namespace freezer

// Facts about the interpreter and each backend's tool, found by running probes and
// cached per fingerprint: a probe runs again only when the interpreter binary or one
// of the paths the backend named (its site-packages folder) changed. That keeps
// Python out of the no-change path.
//
// Cache file (JSON, .freezer/state/probes.json), format 1:
//   {"format": 1, "probes": {"<id>": {"fingerprint": [[path, mtime_ns, ctime_ns, inode]...],
//                                     "facts": {...}}}}
// A damaged file is ignored (the probes run again).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "plugins/plugin_host.hpp"

#include "util/error.hpp"

namespace freezer {

struct Interpreter {
    std::string path;     // absolute, as configured (a venv's python is not resolved)
    std::string version;  // "3.11.2"
    std::string implementation;  // "cpython"
    // The folders of its sys.path that exist (site-packages, .pth additions); their
    // listings say which distributions are installed (inputs/environment.hpp).
    std::vector<std::string> sys_path;
    // Those of them outside the interpreter's installation: editable installs and
    // folders a .pth or PYTHONPATH adds. Their sources are inputs (the packager
    // bundles them), though they are not staged. A folder holding *.dist-info is
    // another site-packages (a venv layered on another by a .pth): its distributions
    // are listed instead.
    std::vector<std::string> source_folders;
};

class Toolchain {
public:
    // An empty `cache_file` probes every time and remembers nothing.
    explicit Toolchain(std::filesystem::path cache_file);
    ~Toolchain();

    // Resolves freezer.yaml's `python:` (a path relative to the project, or a command on
    // PATH; default python3) and probes it. Throws SetupError when it cannot be used.
    // `where` ("freezer.yaml:2:9", or "") prefixes its errors: where `python:` is said.
    const Interpreter& interpreter(const std::string& configured,
                                   const std::filesystem::path& project_dir, const std::string& where = "");
    // The backend's tool facts for `python`; cached.
    sdk::ToolFacts tool(const LoadedBackend& backend, const Interpreter& python);
    // The target triple Tauri names sidecars with: `rustc -vV`'s host line when rustc is
    // on PATH, else derived for this machine. Memoised.
    const std::string& target_triple();
    void save();  // writes the cache if a probe ran

private:
    std::optional<nlohmann::json> cached(const std::string& id) const;
    void remember(const std::string& id, const std::vector<std::string>& fingerprint,
                  nlohmann::json facts);

    std::filesystem::path file_;
    nlohmann::json cache_;
    bool dirty_ = false;
    std::optional<Interpreter> interpreter_;
    std::optional<std::string> triple_;
};


// The platform triple of this machine, as Rust spells it (x86_64-unknown-linux-gnu).
std::string host_triple();

}  // namespace freezer

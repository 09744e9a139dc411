// freezer init: a starting freezer.yaml.
#include <fmt/format.h>

#include "command.hpp"
#include "tauri_init.hpp"
#include "util/atomic_file.hpp"

namespace freezer::cli {
namespace fs = std::filesystem;

namespace {

int run_init(const Globals& g, const std::string& tauri_conf, bool overwrite) {
    const fs::path target = config_path(g);
    if (fs::exists(target) && !overwrite) {
        fmt::print(stderr, "freezer: error: {} already exists; pass --force to replace it\n", target.string());
        return kUsage;
    }
    std::string text;
    try {
        text = tauri_conf.empty() ? init_template({}, "") : init_from_tauri(tauri_conf, target.parent_path());
    } catch (const std::exception& e) {
        fmt::print(stderr, "freezer: error: {}\n", e.what());
        return kUsage;
    }
    write_file_atomically(target, text);
    fmt::print("freezer: wrote {}; fill in each sidecar's root and entry, then run 'freezer check'\n", target.string());
    return kOk;
}

}  // namespace

Run add_init(CLI::App& app, const Globals& g) {
    auto tauri_conf = std::make_shared<std::string>();
    auto force = std::make_shared<bool>(false);
    auto* cmd = app.add_subcommand(
        "init", "Write a starting freezer.yaml (with --from-tauri: one sidecar per bundle.externalBin entry)");
    cmd->add_option("--from-tauri", *tauri_conf, "Path of tauri.conf.json")->type_name("FILE");
    cmd->add_flag("--force", *force, "Replace an existing freezer.yaml");
    cmd->fallthrough();
    return [&g, tauri_conf, force] { return run_init(g, *tauri_conf, *force); };
}

}  // namespace freezer::cli

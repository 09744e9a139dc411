// freezer init: a starting freezer.yaml.
#include <fmt/format.h>

#include "command.hpp"
#include "tauri_init.hpp"
#include "util/atomic_file.hpp"

namespace freezer::cli {
namespace fs = std::filesystem;

namespace {

int run_init(const Globals& g, const std::string& tauri_conf, const InitOptions& options, bool overwrite) {
    const fs::path target = config_path(g);
    if (fs::exists(target) && !overwrite) {
        fmt::print(stderr, "freezer: error: {} already exists; pass --force to replace it\n", target.string());
        return kUsage;
    }
    std::string text;
    try {
        // A relative --from-tauri is relative to -C DIR, like every path freezer is given.
        fs::path conf = tauri_conf;
        if (!conf.empty() && conf.is_relative() && !g.directory.empty()) conf = fs::absolute(g.directory) / conf;
        text = tauri_conf.empty() ? init_template({}, "", options.python)
                                  : init_from_tauri(conf, target.parent_path(), options);
    } catch (const std::exception& e) {
        fmt::print(stderr, "freezer: error: {}\n", e.what());
        return kUsage;
    }
    write_file_atomically(target, text);
    // What is left to the user: the TODOs (what init could not guess), else a look at
    // the guesses, whose comments say where each came from.
    if (text.find("# TODO") != std::string::npos)
        fmt::print("freezer: wrote {}; fill in the lines marked TODO, then run 'freezer check'\n", target.string());
    else
        fmt::print("freezer: wrote {}; each guess says where it came from in a comment: read them, then run "
                   "'freezer check'\n",
                   target.string());
    return kOk;
}

}  // namespace

Run add_init(CLI::App& app, const Globals& g) {
    auto tauri_conf = std::make_shared<std::string>();
    auto options = std::make_shared<InitOptions>();
    auto force = std::make_shared<bool>(false);
    auto* cmd = app.add_subcommand(
        "init", "Write a starting freezer.yaml (with --from-tauri: one sidecar per bundle.externalBin entry)");
    cmd->footer(
        "With --from-tauri, init reads the project and guesses, writing a comment beside each guess\n"
        "that says where it came from, and TODO where it could not guess:\n"
        "  sidecars     one per bundle.externalBin entry of tauri.conf.json (Tauri 1: tauri.bundle.externalBin);\n"
        "               output.tauri is their folder\n"
        "  root, entry  from the PyInstaller command that builds it today, found in package.json \"scripts\",\n"
        "               tauri.conf.json's build.beforeBuildCommand/beforeDevCommand, and the shell scripts\n"
        "               those run (pyinstaller, python -m PyInstaller, poetry/uv/pipenv run, after `cd DIR &&`);\n"
        "               matched by --name (a target-triple suffix ignored) or the script's name. A .spec\n"
        "               becomes backends.pyinstaller.spec. Without a command: pyproject.toml's\n"
        "               [project.scripts] entry of that name, as module:\n"
        "  flags        -F/-D, --hidden-import, --add-data, --collect-submodules, --exclude-module become\n"
        "               freezer.yaml keys; flags freezer manages (--clean, --distpath, ...) are dropped;\n"
        "               any other goes to backends.pyinstaller.extra_args\n"
        "  smoke        from the entry's code (read by --python, the project's .venv or python3, else as\n"
        "               text): a server (uvicorn, flask, aiohttp, fastapi, http.server) gets an HTTP test on\n"
        "               its fixed port (port=8008), its $PORT (env) or its --port option, on a GET route it\n"
        "               defines; a CLI gets --help when it uses argparse, click or typer, else a bare run");
    cmd->add_option("--from-tauri", *tauri_conf, "Path of tauri.conf.json")->type_name("FILE");
    cmd->add_option("--python", options->python,
                    "The interpreter freezer.yaml names (python:; default .venv/bin/python), relative to the "
                    "project or absolute; init also reads the entry scripts with it")
        ->type_name("PATH");
    cmd->add_flag("--force", *force, "Replace an existing freezer.yaml");
    cmd->fallthrough();
    return [&g, tauri_conf, options, force] { return run_init(g, *tauri_conf, *options, *force); };
}

}  // namespace freezer::cli

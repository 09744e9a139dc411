// `freezer init`: a starting freezer.yaml, optionally with one sidecar per entry of a
// Tauri app's bundle.externalBin, so that none of the app's sidecars is forgotten.
// With --from-tauri it also reads how the project builds its sidecars today (the
// PyInstaller commands of package.json scripts, tauri.conf.json's build commands and the
// shell scripts they call, or pyproject.toml's [project.scripts]) and each entry
// script's code, and writes what it found, each guess with a comment saying why.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace freezer {

struct InitOptions {
    // `python:` as written into freezer.yaml; empty: .venv/bin/python. Also the
    // interpreter that reads the entry scripts (when it runs; else python3, else text).
    std::string python;
    // Read entry scripts with text patterns only, never with a Python interpreter.
    bool text_only = false;
};

// The text of a freezer.yaml with these sidecars (a placeholder one when empty);
// `tauri_dir` (relative to the project) becomes output.tauri when not empty.
std::string init_template(const std::vector<std::string>& sidecars, const std::string& tauri_dir,
                          const std::string& python = "");

// Reads tauri.conf.json (Tauri 2: bundle.externalBin; Tauri 1: tauri.bundle.externalBin)
// and the project's build scripts, and returns the freezer.yaml for a project rooted at
// `project_dir`. Throws std::runtime_error with a message that says what to fix.
std::string init_from_tauri(const std::filesystem::path& tauri_conf,
                            const std::filesystem::path& project_dir, const InitOptions& options = {});

// ---- The pieces, exposed for tests ----

// A shell command line split into words as sh would (quotes, backslashes, comments);
// the operators && || ; | & and newlines are words of their own.
std::vector<std::string> shell_words(const std::string& text);

// One PyInstaller run found in the project's scripts.
struct PyInstallerRun {
    std::string origin;             // "package.json scripts.build:sidecar"
    std::string command;            // the command as found, for comments
    std::filesystem::path cwd;      // the folder it runs in (after any `cd`), absolute
    std::vector<std::string> args;  // the words after `pyinstaller`
};

// The PyInstaller runs in one shell text (a package.json script, a build command, a
// script file). `depth` 0 also reads the shell scripts the text runs.
std::vector<PyInstallerRun> find_pyinstaller_runs(const std::string& text, const std::filesystem::path& cwd,
                                                  const std::string& origin, int depth = 0);

// What an entry script is, from its code.
struct EntryFacts {
    std::string reader;  // "python" (its syntax tree) or "text" (patterns)
    std::vector<std::string> imports;  // top-level module names
    std::string server;     // why it is a server ("imports uvicorn"); empty: not one
    std::string framework;  // fastapi, flask, aiohttp, http.server, ...
    std::string cli;        // argparse, click or typer; empty: none
    bool main_block = false;  // has `if __name__ == "__main__":`
    std::optional<int> port;  // the port it always listens on
    int port_line = 0;
    std::string port_call;     // "uvicorn.run"
    bool port_default = false;  // the framework's default (the call names none)
    std::string env_port;       // the variable it reads its port from
    int env_port_line = 0;
    int arg_port_line = 0;      // a --port option, at this line; 0: none
    std::vector<std::pair<std::string, int>> routes;  // GET routes and their lines
};

// Reads `file` with `python` (a small syntax-tree helper) or, when that cannot run, by
// text patterns. Empty `python`: text only.
EntryFacts scan_entry(const std::filesystem::path& file, const std::string& python);

}  // namespace freezer

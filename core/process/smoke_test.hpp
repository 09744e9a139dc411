// The smoke-test contract: a fresh binary proves itself before it is installed.
//
//  run:  start it with args, require the exit code and stdout/stderr regexes, within
//        a timeout.
//  http: start it with "{port}" replaced by a free port, poll GET path until the
//        expected status (or startup_timeout), then send SIGTERM to the binary alone,
//        as a desktop app does, and require its whole process tree to be gone within
//        the grace period. A PyInstaller onefile binary is a bootloader plus a Python
//        child: a child left running is the classic orphaned sidecar, and fails.
//
// Both run in a sanitized environment that proves self-containment: no PYTHONPATH,
// PYTHONHOME, VIRTUAL_ENV; PATH without the build venv; HOME, TMPDIR and the working
// folder in a fresh temp folder; the variables a frozen parent sets (_PYI_*, NUITKA_*,
// PEX*, SCIE*) removed.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <freezer/config.hpp>

namespace freezer {

struct SmokeOutcome {
    bool ran = false;     // false: the sidecar has no smoke test
    bool passed = true;
    std::string mode;     // "run" or "http"
    std::string message;  // what failed, or what passed ("GET /api/health -> 200 in 0.4s")
    std::vector<std::string> output_tail;  // the binary's last lines, on failure
    std::chrono::milliseconds duration{0};
    // Start-up latency: for run, the whole run; for http, until the first expected
    // answer (a run+http test reports the http figure).
    std::chrono::milliseconds startup{0};
};

struct SmokeEnvironment {
    std::string python;        // the build interpreter; its venv is kept off PATH
    // false: the artifact needs a Python on the target (a .pex, a zipapp); PATH gets the
    // build interpreter's base installation, never its venv.
    bool standalone = true;
    // HOME for the binary; empty: a fresh one per run. `freezer compare` keeps one so that
    // a second run finds what the first unpacked (pex, scie).
    std::filesystem::path home;
};

// The environment the binary runs in; `scratch` is its HOME, TMPDIR and cwd.
std::vector<std::string> smoke_environment(const SmokeEnvironment& how,
                                           const std::filesystem::path& scratch);

SmokeOutcome run_smoke_test(const config::Smoke& smoke, const std::filesystem::path& executable,
                            const SmokeEnvironment& how);

}  // namespace freezer

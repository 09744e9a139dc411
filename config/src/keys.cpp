// freezer.yaml's keys, one row each (see config_keys.hpp). The "what" texts follow the
// descriptions in freezer.schema.json.
#include <freezer/config_keys.hpp>

#include <stdexcept>

#include <fmt/format.h>

namespace freezer::config {
namespace {

// Within a section the rows keep the order "expected one of: ..." lists them in.
constexpr KeySpec kKeys[] = {
    {"", "version", "format version; 1 is the only one so far"},
    {"", "python", "interpreter that runs the packagers (default python3)"},
    {"", "jobs", "CPU budget for the whole run: auto or a number (default: CPUs)"},
    {"", "cache", "where and how builds are cached"},
    {"", "output", "where outputs go"},
    {"", "defaults", "settings every sidecar inherits"},
    {"", "sidecars", "the sidecars to freeze, by name"},
    {"", "matrix", "the CI matrix printed by `freezer matrix`"},
    {"", "audit", "what `freezer audit` flags in a bundle"},

    {"cache", "dir", "cache folder (default .freezer/cache)"},
    {"cache", "max_size", "size of the artifact cache, e.g. 5GB (default)"},
    {"cache", "remote", "a Bazel HTTP remote cache"},

    {"cache.remote", "url", "base URL, http:// or https://"},
    {"cache.remote", "read_only", "restore but never upload (default false)"},
    {"cache.remote", "token_env", "the environment variable holding a bearer token"},
    {"cache.remote", "timeout", "per request (default 30s)"},
    {"cache.remote", "retries", "retries of a failed request, 0 to 10 (default 2)"},
    {"cache.remote", "token", "refused: a token must not be committed; use token_env", true},

    {"output", "dir", "outputs go to <dir>/<sidecar>/ (default dist)"},
    {"output", "tauri", "also install <name>-<target-triple> here"},

    {"defaults", "backend", "backend plugin (default pyinstaller)"},
    {"defaults", "mode", "onefile (default) or onedir"},
    {"defaults", "inputs", "globs whose contents key the cache"},
    {"defaults", "hidden_imports", "modules the packager must include"},
    {"defaults", "collect_submodules", "packages the packager must include with every submodule"},
    {"defaults", "exclude_modules", "modules the packager must leave out"},
    {"defaults", "env", "environment of the packager"},
    {"defaults", "max_size", "size budget of each artifact, e.g. 100MB"},
    {"defaults", "timeouts", "how long one build step may run: {step, network}"},
    {"defaults", "backends", "options per backend, validated by its plugin"},

    {"defaults.inputs", "include", "globs relative to the sidecar's root"},
    {"defaults.inputs", "exclude", "globs left out"},

    {"defaults.timeouts", "step", "each build step (default 2h)"},
    {"defaults.timeouts", "network", "a step that resolves or downloads (default 30m)"},

    {"sidecars.*", "root", "folder of the sources, relative to freezer.yaml (default .)"},
    {"sidecars.*", "entry", "script to freeze, relative to root"},
    {"sidecars.*", "module", "or a module to run as __main__"},
    {"sidecars.*", "backend", "backend plugin (default: defaults.backend, pyinstaller)"},
    {"sidecars.*", "mode", "onefile or onedir"},
    {"sidecars.*", "inputs", "globs whose contents key the cache"},
    {"sidecars.*", "hidden_imports", "modules the packager must include"},
    {"sidecars.*", "collect_submodules", "packages the packager must include with every submodule"},
    {"sidecars.*", "exclude_modules", "modules the packager must leave out"},
    {"sidecars.*", "data", "files bundled with the sidecar: {src, dest}"},
    {"sidecars.*", "env", "environment of the packager"},
    {"sidecars.*", "max_size", "size budget of the artifact, e.g. 100MB: a larger build fails"},
    {"sidecars.*", "timeouts", "how long one build step may run: {step, network}"},
    {"sidecars.*", "backends", "options per backend, validated by its plugin"},
    {"sidecars.*", "smoke", "how the built sidecar is smoke-tested"},

    {"sidecars.*.inputs", "include", "globs relative to the sidecar's root"},
    {"sidecars.*.inputs", "exclude", "globs left out"},

    {"sidecars.*.timeouts", "step", "each build step (default 2h)"},
    {"sidecars.*.timeouts", "network", "a step that resolves or downloads (default 30m)"},

    {"sidecars.*.data[]", "src", "file or folder relative to the sidecar's root"},
    {"sidecars.*.data[]", "dest", "folder inside the bundle (default .)"},

    {"sidecars.*.smoke", "run", "arguments to run the sidecar with"},
    {"sidecars.*.smoke", "expect_exit", "expected exit code (default 0)"},
    {"sidecars.*.smoke", "expect_stdout", "regex searched in stdout"},
    {"sidecars.*.smoke", "expect_stderr", "regex searched in stderr"},
    {"sidecars.*.smoke", "timeout", "for the run (default 30s)"},
    {"sidecars.*.smoke", "http", "start the sidecar as a server and GET a path"},
    {"sidecars.*.smoke", "untested", "why this sidecar has no smoke test (the build then does not warn)"},

    {"sidecars.*.smoke.http", "args", "arguments; {port} becomes the port probed"},
    {"sidecars.*.smoke.http", "env", "environment for the server; {port} in a value becomes the port"},
    {"sidecars.*.smoke.http", "port", "the fixed port a server listens on (default: a free port, passed by {port})"},
    {"sidecars.*.smoke.http", "path", "path to GET (default /)"},
    {"sidecars.*.smoke.http", "expect_status", "expected HTTP status (default 200)"},
    {"sidecars.*.smoke.http", "expect_body", "regex searched in the answer's body"},
    {"sidecars.*.smoke.http", "expect_json", "fields of a JSON answer and their values: {status: ok}"},
    {"sidecars.*.smoke.http", "endpoints", "more GETs once the server answers: [{path, expect_status, ...}]"},
    {"sidecars.*.smoke.http", "startup_timeout", "until the server answers (default 20s)"},
    {"sidecars.*.smoke.http", "grace", "for the process tree to exit after SIGTERM (default 5s)"},

    {"sidecars.*.smoke.http.endpoints[]", "path", "path to GET"},
    {"sidecars.*.smoke.http.endpoints[]", "expect_status", "expected HTTP status (default 200)"},
    {"sidecars.*.smoke.http.endpoints[]", "expect_body", "regex searched in the answer's body"},
    {"sidecars.*.smoke.http.endpoints[]", "expect_json", "fields of a JSON answer and their values"},

    {"matrix", "backends", "build every sidecar with each of these"},
    {"matrix", "include", "extra cells: {sidecar, backend}"},
    {"matrix", "exclude", "cells left out: {sidecar, backend}"},

    {"audit", "dev_only", "more development-only packages to flag (pytest, IPython, black, ... always)"},

    {"matrix.include[]", "sidecar", "a sidecar's name (default: every sidecar)"},
    {"matrix.include[]", "backend", "a backend's name (default: the sidecar's)"},

    {"matrix.exclude[]", "sidecar", "a sidecar's name (default: any)"},
    {"matrix.exclude[]", "backend", "a backend's name (default: any)"},
};

}  // namespace

std::span<const KeySpec> config_keys() { return kKeys; }

std::vector<std::string> keys_of(std::string_view section) {
    std::vector<std::string> out;
    for (const auto& k : kKeys)
        if (k.section == section) out.emplace_back(k.key);
    if (out.empty()) throw std::invalid_argument(fmt::format("no config keys for section '{}'", section));
    return out;
}

}  // namespace freezer::config

// The typed model of freezer.yaml. Parsed once by load_project(); every value that can
// be wrong keeps the file:line:column it came from so later checks (a missing entry
// file, a backend's own options) can point at it.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <freezer/backend.hpp>

namespace freezer::config {

using sdk::Diagnostic;
using sdk::Location;

struct Inputs {
    std::vector<std::string> include;
    std::vector<std::string> exclude;
    Location where;
};

struct RunSmoke {
    std::vector<std::string> args;
    int expect_exit = 0;
    std::string expect_stdout;  // regex (search), empty: not checked
    std::string expect_stderr;
    std::chrono::milliseconds timeout{30000};
};

// One more GET of an HTTP smoke test, once the server is ready: several endpoints of
// one server are checked in one start.
struct HttpCheck {
    std::string path;
    int expect_status = 200;
    std::string expect_body;  // regex searched in the body; empty: not checked
    // Fields of a JSON body, by dotted path ("status", "data.items.0.id"), and the value
    // each must have, as text (a string's characters; a number, true, false or null as
    // JSON writes it).
    std::vector<std::pair<std::string, std::string>> expect_json;
};

struct HttpSmoke {
    std::vector<std::string> args;  // "{port}" is replaced by the port (a free one, or `port`)
    std::string path = "/";
    int expect_status = 200;  // 0: any answer (freezer trace's --get requests)
    std::chrono::milliseconds startup_timeout{20000};
    std::chrono::milliseconds grace{5000};  // for the process tree to exit after SIGTERM
    // Environment for the server; "{port}" in a value is replaced too (PORT: "{port}").
    std::vector<std::pair<std::string, std::string>> env;
    std::optional<int> port;  // a server that listens on a fixed port: probe that one
    std::string expect_body;  // regex searched in the answer's body; empty: not checked
    std::vector<std::pair<std::string, std::string>> expect_json;  // as HttpCheck's
    std::vector<HttpCheck> endpoints;  // GET once each after `path` answered, in order
};

struct Smoke {
    std::optional<RunSmoke> run;
    std::optional<HttpSmoke> http;
    // Why this sidecar has no smoke test, on purpose (`smoke: {untested: "..."}`): then a
    // build does not warn that its binary was installed untested.
    std::string untested;
    Location where;
};

// timeouts: how long one step of a build may run before it is stopped. They change
// nothing in what is built, so they are not part of the cache key.
struct Timeouts {
    std::chrono::milliseconds step = std::chrono::hours(2);
    // A step that resolves or downloads (pex's resolver, cosmofy's Python download): a
    // stalled mirror should fail the build long before a packager would be called stuck.
    std::chrono::milliseconds network = std::chrono::minutes(30);
};

struct DataEntry {
    std::string src;   // relative to the sidecar root
    std::string dest;  // folder inside the bundle
    Location where;
};

struct Sidecar {
    std::string name;
    Location where;
    std::string root = ".";  // relative to the project folder
    Location root_where;
    std::string entry;  // a script relative to root, or:
    std::string module;
    Location entry_where;
    std::string backend;
    Location backend_where;
    Location mode_where;  // of the `mode:` that applies (the sidecar's, or defaults'), else the sidecar
    std::string mode = "onefile";
    Inputs inputs;
    std::vector<std::string> hidden_imports;
    std::vector<std::string> collect_submodules;  // packages, each with every submodule
    std::vector<std::string> exclude_modules;
    std::vector<DataEntry> data;
    std::vector<std::pair<std::string, std::string>> env;  // sorted by name
    std::map<std::string, sdk::Option> backends;  // options per backend name
    Smoke smoke;
    // The size budget of the artifact, in bytes: a larger build fails before install.
    std::optional<std::uint64_t> max_size;
    Location max_size_where;
    Timeouts timeouts;
};

// One cell of the CI matrix: a sidecar built with a backend.
struct MatrixCell {
    std::string sidecar;
    std::string backend;
    Location where;
    bool operator==(const MatrixCell& o) const { return sidecar == o.sidecar && backend == o.backend; }
};

// `matrix:` of freezer.yaml: every sidecar with each of `backends` (default: with its
// configured backend), plus `include`, minus `exclude`.
struct Matrix {
    std::vector<std::string> backends;
    Location backends_where;
    std::vector<MatrixCell> include;
    std::vector<MatrixCell> exclude;
};

// cache.remote: a Bazel HTTP remote cache (GET/PUT/HEAD <url>/ac/<key>, <url>/cas/<sha256>).
struct RemoteCache {
    std::string url;              // without a trailing slash
    bool read_only = false;       // pull requests: restore, never upload
    std::string token_env;        // the variable holding a bearer token; never the token
    std::chrono::milliseconds timeout{30000};
    int retries = 2;
    Location where;
};

struct Project {
    std::filesystem::path file;  // freezer.yaml, absolute
    std::filesystem::path dir;   // its folder: every relative path is relative to it
    int version = 1;
    std::string python;  // as written (resolved by the core)
    Location python_where;
    int jobs = 0;  // 0: the number of CPUs
    std::filesystem::path cache_dir;   // absolute
    std::uint64_t cache_max_size = 5'000'000'000;  // artifact cache, least recently used go first
    std::optional<RemoteCache> remote_cache;
    std::filesystem::path output_dir;  // absolute
    std::optional<std::filesystem::path> tauri_dir;
    std::vector<Sidecar> sidecars;
    Matrix matrix;
    // audit.dev_only: packages flagged when found in a bundle, on top of freezer's list.
    std::vector<std::string> audit_dev_only;

    // The matrix's cells, in sidecar order.
    std::vector<MatrixCell> matrix_cells() const;

    const Sidecar* find(const std::string& name) const;
};

struct LoadResult {
    std::optional<Project> project;    // set when there are no errors
    std::vector<Diagnostic> diagnostics;  // errors and warnings, in file order
    // When there are errors (and the file is YAML): what could be read anyway, with only
    // the sidecars that have no error of their own. Never built from; `freezer check`
    // uses it to go on probing the interpreter and the tools, so that one run reports
    // every problem.
    std::optional<Project> partial;
};

// Reads and validates `file`. Never throws for bad input: every problem becomes a
// Diagnostic with its location and key path, all of them at once.
LoadResult load_project(const std::filesystem::path& file);
LoadResult load_project_from_string(const std::string& text, const std::filesystem::path& file);

// "file:line:column: error: sidecars.api.entry: message"
std::string format_diagnostic(const Diagnostic& d);

// The closest candidate by edit distance, or empty when none is close enough.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

// The largest duration and size freezer.yaml may give: beyond them a value is a typo,
// and a size near 2^64 bytes would wrap.
inline constexpr double kMaxDurationMs = 7.0 * 24 * 3600 * 1000;  // a week
inline constexpr double kMaxSizeBytes = 1e18;                     // an exabyte

// "20s", "500ms", "2m", or a bare number of seconds: a plain decimal number (no sign,
// exponent, hex, inf or nan, no spaces) and at most a week.
std::optional<std::chrono::milliseconds> parse_duration(const std::string& text);

// "5GB", "500MB", "1.5GiB", "1048576": bytes; a plain decimal number, at most 1e18.
std::optional<std::uint64_t> parse_size(const std::string& text);

bool valid_sidecar_name(const std::string& name);

// "file:line:col" of a value, or the file alone when it has no position.
std::string where_text(const Location& where);

}  // namespace freezer::config

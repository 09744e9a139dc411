#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <freezer/config.hpp>

#include "test_support.hpp"

using namespace freezer;
using freezer::test::TempDir;
using freezer::test::write;

namespace {

struct Loaded {
    config::LoadResult result;
    std::vector<std::string> errors;  // formatted, errors only
};

Loaded load(const TempDir& dir, const std::string& yaml) {
    write(dir / "freezer.yaml", yaml);
    Loaded l{config::load_project(dir / "freezer.yaml"), {}};
    for (const auto& d : l.result.diagnostics)
        if (d.severity == sdk::Diagnostic::Severity::error)
            l.errors.push_back(config::format_diagnostic(d));
    return l;
}

void project_files(const TempDir& dir) {
    write(dir / "src/main.py", "print('hi')\n");
    write(dir / "src/pkg/__init__.py", "");
    write(dir / "src/data.json", "{}");
}

}  // namespace

TEST_CASE("a valid config loads with defaults applied", "[config]") {
    TempDir dir;
    project_files(dir);
    auto l = load(dir, R"(version: 1
sidecars:
  api:
    root: src
    entry: main.py
    hidden_imports: [x.y]
    data:
      - {src: data.json, dest: app}
  cli:
    root: src
    module: pkg
    mode: onedir
    backends:
      pyinstaller: {strip: true}
)");
    REQUIRE(l.errors.empty());
    const auto& p = *l.result.project;
    REQUIRE(p.sidecars.size() == 2);
    const auto* api = p.find("api");
    REQUIRE(api);
    CHECK(api->backend == "pyinstaller");
    CHECK(api->mode == "onefile");
    CHECK(api->inputs.include.front() == "**/*.py");
    CHECK(api->data.at(0).dest == "app");
    CHECK(p.output_dir == dir.path() / "dist");
    CHECK(p.find("cli")->module == "pkg");
    CHECK(p.find("cli")->backends.at("pyinstaller").find("strip")->scalar == "true");
}

TEST_CASE("a YAML syntax error names file, line and column", "[config]") {
    TempDir dir;
    auto l = load(dir, "sidecars:\n  api: {root: src\n  cli: [\n");
    REQUIRE(l.errors.size() == 1);
    CHECK_THAT(l.errors[0], Catch::Contains("freezer.yaml:") && Catch::Contains("YAML syntax error"));
    CHECK(l.result.diagnostics[0].where.line >= 2);
    CHECK_FALSE(l.result.project);
}

TEST_CASE("every error is reported at once, each with its location and key path", "[config]") {
    TempDir dir;
    project_files(dir);
    auto l = load(dir, R"(version: 1
jobs: many
sidecars:
  api:
    root: src
    entyr: main.py
    mode: fat
  cli:
    root: src
    entry: missing.py
    hidden_imports: notalist
)");
    REQUIRE_FALSE(l.result.project);
    // jobs, the unknown key, the missing entry of api, the mode, missing.py, hidden_imports
    CHECK(l.errors.size() == 6);
    const auto all = [&] {
        std::string s;
        for (const auto& e : l.errors) s += e + "\n";
        return s;
    }();
    CHECK_THAT(all, Catch::Contains("freezer.yaml:2:7: error: jobs: expected a whole number"));
    CHECK_THAT(all, Catch::Contains("freezer.yaml:6:5: error: sidecars.api.entyr: unknown key 'entyr'; did you mean 'entry'?"));
    CHECK_THAT(all, Catch::Contains("sidecars.api: missing 'entry' (a script) or 'module'"));
    CHECK_THAT(all, Catch::Contains("freezer.yaml:7:11: error: sidecars.api.mode: 'fat' is not a mode"));
    CHECK_THAT(all, Catch::Contains("freezer.yaml:10:12: error: sidecars.cli.entry: entry file"));
    CHECK_THAT(all, Catch::Contains("freezer.yaml:11:21: error: sidecars.cli.hidden_imports: expected a list of strings"));
}

TEST_CASE("wrong types are errors with the key path", "[config]") {
    TempDir dir;
    project_files(dir);
    auto l = load(dir, R"(sidecars:
  api:
    root: src
    entry: main.py
    smoke:
      http: {path: health, expect_status: "ok", startup_timeout: soon}
)");
    REQUIRE(l.errors.size() == 3);
    CHECK_THAT(l.errors[0], Catch::Contains("sidecars.api.smoke.http.path: must start with '/'"));
    CHECK_THAT(l.errors[1], Catch::Contains("sidecars.api.smoke.http.expect_status: expected a whole number from 100 to 599"));
    CHECK_THAT(l.errors[2], Catch::Contains("sidecars.api.smoke.http.startup_timeout: expected a duration"));
}

TEST_CASE("unknown top-level keys are rejected with a suggestion", "[config]") {
    TempDir dir;
    project_files(dir);
    auto l = load(dir, "sidecar:\n  api: {root: src, entry: main.py}\n");
    REQUIRE(l.errors.size() == 2);
    CHECK_THAT(l.errors[0], Catch::Contains("1:1: error: sidecar: unknown key 'sidecar'; did you mean 'sidecars'?"));
    CHECK_THAT(l.errors[1], Catch::Contains("missing 'sidecars:'"));
}

TEST_CASE("sidecar name clashes are errors", "[config]") {
    TempDir dir;
    project_files(dir);
    SECTION("the same name twice") {
        auto l = load(dir, "sidecars:\n  api: {root: src, entry: main.py}\n  api: {root: src, entry: main.py}\n");
        REQUIRE(l.errors.size() == 1);
        CHECK_THAT(l.errors[0], Catch::Contains("3:3: error: sidecars.api: duplicate key 'api'"));
    }
    SECTION("names equal but for case share one output folder on macOS and Windows") {
        auto l = load(dir, "sidecars:\n  api: {root: src, entry: main.py}\n  API: {root: src, entry: main.py}\n");
        REQUIRE(l.errors.size() == 1);
        CHECK_THAT(l.errors[0], Catch::Contains("sidecars.API: sidecar 'API' clashes with 'api'"));
    }
    SECTION("names that are not file names") {
        auto l = load(dir, "sidecars:\n  ../evil: {root: src, entry: main.py}\n");
        REQUIRE(l.errors.size() == 1);
        CHECK_THAT(l.errors[0], Catch::Contains("is not a valid sidecar name"));
    }
}

TEST_CASE("paths must stay inside the project", "[config]") {
    TempDir dir;
    project_files(dir);
    auto l = load(dir, "sidecars:\n  api: {root: ../src, entry: main.py}\n");
    REQUIRE_FALSE(l.errors.empty());
    CHECK_THAT(l.errors[0], Catch::Contains("sidecars.api.root: must be a relative path inside the project"));
}

TEST_CASE("a missing config file says how to make one", "[config]") {
    TempDir dir;
    const auto r = config::load_project(dir / "nope.yaml");
    REQUIRE(r.diagnostics.size() == 1);
    CHECK_THAT(config::format_diagnostic(r.diagnostics[0]), Catch::Contains("cannot read the file"));
}

TEST_CASE("durations and suggestions", "[config]") {
    CHECK(config::parse_duration("20s")->count() == 20000);
    CHECK(config::parse_duration("500ms")->count() == 500);
    CHECK(config::parse_duration("2m")->count() == 120000);
    CHECK(config::parse_duration("3")->count() == 3000);
    CHECK_FALSE(config::parse_duration("soon"));
    CHECK(config::did_you_mean("pyinstaler", {"pyinstaller", "nuitka"}) == "pyinstaller");
    CHECK(config::did_you_mean("zzz", {"pyinstaller", "nuitka"}).empty());
}

TEST_CASE("cache settings: sizes, the remote cache, and no token in the file", "[config]") {
    TempDir dir;
    project_files(dir);
    const std::string sidecar = "sidecars:\n  api: {root: src, entry: main.py}\n";
    auto good = load(dir, "cache:\n  max_size: 500MB\n  remote:\n    url: http://cache:8080/freezer/\n"
                          "    read_only: true\n    token_env: CI_CACHE_TOKEN\n    timeout: 5s\n    retries: 0\n" + sidecar);
    REQUIRE(good.errors.empty());
    const auto& p = *good.result.project;
    CHECK(p.cache_max_size == 500'000'000ULL);
    REQUIRE(p.remote_cache);
    CHECK(p.remote_cache->url == "http://cache:8080/freezer");
    CHECK(p.remote_cache->read_only);
    CHECK(p.remote_cache->token_env == "CI_CACHE_TOKEN");
    CHECK(p.remote_cache->timeout == std::chrono::seconds(5));
    CHECK(p.remote_cache->retries == 0);
    CHECK_FALSE(load(dir, sidecar).result.project->remote_cache);

    auto bad = load(dir, "cache:\n  max_size: lots\n  remote:\n    url: ftp://cache\n    token: abc123\n"
                         "    token_env: $TOKEN\n    retries: 99\n" + sidecar);
    REQUIRE(bad.errors.size() == 5);
    CHECK_THAT(bad.errors[0], Catch::Contains("freezer.yaml:2:13: error: cache.max_size: expected a size"));
    CHECK_THAT(bad.errors[1], Catch::Contains("freezer.yaml:4:10: error: cache.remote.url: 'ftp://cache' is not an http"));
    CHECK_THAT(bad.errors[2], Catch::Contains("freezer.yaml:5:12: error: cache.remote.token: a token does not belong"));
    CHECK_THAT(bad.errors[3], Catch::Contains("cache.remote.token_env: '$TOKEN' is not an environment variable name"));
    CHECK_THAT(bad.errors[4], Catch::Contains("cache.remote.retries: expected a whole number from 0 to 10"));
}

TEST_CASE("collect_submodules comes from defaults unless a sidecar gives its own", "[config]") {
    TempDir dir;
    project_files(dir);
    auto l = load(dir, R"(defaults:
  collect_submodules: [app.services]
sidecars:
  api: {root: src, entry: main.py}
  cli: {root: src, entry: main.py, collect_submodules: [pkg, app.plugins_v2]}
  bare: {root: src, entry: main.py, collect_submodules: []}
)");
    REQUIRE(l.errors.empty());
    const auto& p = *l.result.project;
    CHECK(p.find("api")->collect_submodules == std::vector<std::string>{"app.services"});
    CHECK(p.find("cli")->collect_submodules == std::vector<std::string>{"pkg", "app.plugins_v2"});
    CHECK(p.find("bare")->collect_submodules.empty());
}

TEST_CASE("a collect_submodules entry must be a dotted module name", "[config]") {
    TempDir dir;
    project_files(dir);
    auto l = load(dir, R"(defaults:
  collect_submodules: [app/services]
sidecars:
  api:
    root: src
    entry: main.py
    collect_submodules: [app.services, app..x, 1app]
)");
    REQUIRE_FALSE(l.result.project);
    REQUIRE(l.errors.size() == 3);
    CHECK_THAT(l.errors[0], Catch::EndsWith("/freezer.yaml:2:24: error: defaults.collect_submodules[0]: "
                                            "'app/services' is not a dotted module name (like app.services)"));
    CHECK_THAT(l.errors[1], Catch::Contains("freezer.yaml:7:40: error: sidecars.api.collect_submodules[1]: 'app..x'"));
    CHECK_THAT(l.errors[2], Catch::Contains("freezer.yaml:7:48: error: sidecars.api.collect_submodules[2]: '1app'"));
}

TEST_CASE("max_size is a size budget per sidecar or in defaults, audit.dev_only extends the list", "[config]") {
    TempDir dir;
    project_files(dir);
    auto l = load(dir, R"(version: 1
defaults:
  max_size: 100MB
audit:
  dev_only: [ruff]
sidecars:
  api: {root: src, entry: main.py, max_size: 1.5GB}
  cli: {root: src, entry: main.py}
)");
    REQUIRE(l.errors.empty());
    const auto& p = *l.result.project;
    CHECK(p.find("api")->max_size == std::optional<std::uint64_t>(1'500'000'000));
    CHECK(p.find("api")->max_size_where.line == 7);
    CHECK(p.find("cli")->max_size == std::optional<std::uint64_t>(100'000'000));  // from defaults
    CHECK(p.find("cli")->max_size_where.line == 3);
    CHECK(p.audit_dev_only == std::vector<std::string>{"ruff"});

    for (const char* bad : {"0", "big", "[1]"}) {
        auto b = load(dir, std::string("version: 1\nsidecars:\n  api: {root: src, entry: main.py, max_size: ") + bad + "}\n");
        REQUIRE(b.errors.size() == 1);
        CHECK_THAT(b.errors[0], Catch::Contains("freezer.yaml:3:") && Catch::Contains("sidecars.api.max_size") &&
                                    Catch::Contains("100MB"));
    }
}

TEST_CASE("an alias that contains itself is an error at its place, not a crash", "[config]") {
    TempDir dir;
    project_files(dir);
    for (const char* backends : {"&b {k: *b}", "{pyinstaller: &a [*a]}"}) {
        INFO(backends);
        auto l = load(dir, std::string("version: 1\nsidecars:\n  api:\n    root: src\n    entry: main.py\n"
                                       "    backends: ") + backends + "\n");
        REQUIRE(l.errors.size() == 1);
        CHECK_THAT(l.errors[0], Catch::Contains("freezer.yaml:6:") && Catch::Contains("refers to itself"));
    }
}

TEST_CASE("an alias bomb is refused after a bounded number of values", "[config]") {
    TempDir dir;
    project_files(dir);
    // Ten aliases of the anchor before, eight levels deep, where a backend's options go:
    // about 500 bytes that expand to 10^8 values.
    std::string body = "version: 1\nsidecars:\n  api:\n    root: src\n    entry: main.py\n    backends:\n      pyinstaller:\n";
    body += "        l0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
    for (int i = 1; i <= 8; ++i) {
        body += fmt::format("        l{}: &a{} [", i, i);
        for (int k = 0; k < 10; ++k) body += fmt::format("{}*a{}", k ? ", " : "", i - 1);
        body += "]\n";
    }
    auto l = load(dir, body);
    REQUIRE(l.errors.size() == 1);
    CHECK_THAT(l.errors[0], Catch::Contains("freezer.yaml:") && Catch::Contains("billion laughs"));
}

TEST_CASE("a key that is a list or a mapping is an error at its place", "[config]") {
    TempDir dir;
    project_files(dir);
    // Read as the name "" before; the freezer.yaml editor then recursed without end.
    for (const char* section : {"env:\n      ? &k [*k]\n      : v\n", "backends: {[p]: {}}\n"}) {
        INFO(section);
        auto l = load(dir, std::string("version: 1\nsidecars:\n  api:\n    root: src\n    entry: main.py\n    ") +
                               section);
        REQUIRE(l.errors.size() == 1);
        CHECK_THAT(l.errors[0], Catch::Contains("freezer.yaml:") && Catch::Contains("a key must be a plain name"));
    }
}

TEST_CASE("defaults.backends copied into every sidecar counts towards the bound on values", "[config]") {
    TempDir dir;
    project_files(dir);
    // 90 aliases of a 90-item list (8,190 values) and 300 sidecars that inherit them:
    // 2.5 million values, 1 GB, from 5 KB before.
    std::string body = "version: 1\ndefaults:\n  backends:\n    pyinstaller:\n      a0: &l [";
    for (int i = 0; i < 90; ++i) body += fmt::format("{}{}", i ? ", " : "", i);
    body += "]\n";
    for (int i = 1; i < 90; ++i) body += fmt::format("      a{}: *l\n", i);
    body += "sidecars:\n  s0: &s {root: src, entry: main.py}\n";
    for (int i = 1; i < 300; ++i) body += fmt::format("  s{}: *s\n", i);
    auto l = load(dir, body);
    REQUIRE(l.errors.size() == 1);
    CHECK_THAT(l.errors[0], Catch::Contains("freezer.yaml:5:7") && Catch::Contains("defaults.backends is copied"));
}

TEST_CASE("the matrix of 300 sidecars by 300 backends has every cell once", "[config]") {
    TempDir dir;
    project_files(dir);
    std::string body = "version: 1\nsidecars:\n  s0: &s {root: src, entry: main.py}\n";
    for (int i = 1; i < 300; ++i) body += fmt::format("  s{}: *s\n", i);
    body += "matrix:\n  backends: [pyinstaller";
    for (int i = 1; i < 300; ++i) body += fmt::format(", b{}", i);
    body += "]\n";
    auto l = load(dir, body);
    REQUIRE(l.result.project);
    const auto cells = l.result.project->matrix_cells();
    CHECK(cells.size() == 300u * 300u);
    CHECK(cells.back().sidecar == "s299");
    CHECK(cells.back().backend == "b299");
}

TEST_CASE("numbers out of range or not plainly written are refused where they are", "[config]") {
    TempDir dir;
    project_files(dir);
    for (const char* timeout : {"1e400", "inf", "nan", "99999999999999999999h", "0x10", "' 5'", "-1s", "8d"}) {
        INFO(timeout);
        auto l = load(dir, std::string("version: 1\nsidecars:\n  api:\n    root: src\n    entry: main.py\n"
                                       "    smoke: {run: [], timeout: ") + timeout + "}\n");
        REQUIRE(l.errors.size() == 1);
        CHECK_THAT(l.errors[0], Catch::Contains("freezer.yaml:6:") && Catch::Contains("smoke.timeout"));
    }
    for (const char* size : {"20000000TB", "0x10", "' 5'", "1e3"}) {
        INFO(size);
        auto l = load(dir, std::string("version: 1\ncache: {max_size: ") + size +
                               "}\nsidecars:\n  api: {root: src, entry: main.py}\n");
        REQUIRE(l.errors.size() == 1);
        CHECK_THAT(l.errors[0], Catch::Contains("freezer.yaml:2:") && Catch::Contains("cache.max_size"));
    }
    for (const char* jobs : {"' 5'", "+5", "0x10", "99999999999999999999"}) {
        INFO(jobs);
        auto l = load(dir, std::string("version: 1\njobs: ") + jobs + "\nsidecars:\n  api: {root: src, entry: main.py}\n");
        REQUIRE(l.errors.size() == 1);
        CHECK_THAT(l.errors[0], Catch::Contains("freezer.yaml:2:") && Catch::Contains("jobs"));
    }
    // Still fine: the forms the schema allows.
    auto ok = load(dir, "version: 1\njobs: 2\ncache: {max_size: 1.5GiB}\nsidecars:\n  api:\n    root: src\n"
                        "    entry: main.py\n    smoke: {run: [], timeout: 2.5m}\n");
    CHECK(ok.errors.empty());
}

TEST_CASE("a root that is a file says so, and what to write instead", "[config]") {
    TempDir dir;
    project_files(dir);
    auto l = load(dir, "version: 1\nsidecars:\n  api: {root: src/main.py, entry: main.py}\n");
    REQUIRE_FALSE(l.errors.empty());
    CHECK_THAT(l.errors[0], Catch::Contains("freezer.yaml:3:") && Catch::Contains("is a file") &&
                                Catch::Contains("entry:"));
}

TEST_CASE("an HTTP smoke test that passes the server no port is warned about, with the ways to pass one", "[config]") {
    TempDir dir;
    project_files(dir);
    const auto warnings = [&](const std::string& http) {
        auto l = load(dir, "sidecars:\n  api:\n    root: src\n    entry: main.py\n    smoke:\n      http: " + http + "\n");
        REQUIRE(l.errors.empty());
        std::vector<std::string> out;
        for (const auto& d : l.result.diagnostics)
            if (d.severity == sdk::Diagnostic::Severity::warning) out.push_back(config::format_diagnostic(d));
        return out;
    };
    const auto none = warnings("{path: /health}");
    REQUIRE(none.size() == 1);
    CHECK_THAT(none[0], Catch::Contains("freezer.yaml:6:13") && Catch::Contains("sidecars.api.smoke.http") &&
                            Catch::Contains("no port") && Catch::Contains("env: {PORT:") && Catch::Contains("port:"));
    CHECK(warnings(R"({args: ["--port", "{port}"], path: /health})").empty());
    CHECK(warnings(R"({env: {PORT: "{port}"}, path: /health})").empty());
    CHECK(warnings("{port: 8008, path: /health}").empty());
}

TEST_CASE("HTTP smoke settings: port, env, expect_body", "[config]") {
    TempDir dir;
    project_files(dir);
    auto l = load(dir, R"(sidecars:
  api:
    root: src
    entry: main.py
    smoke:
      http: {port: 8008, env: {PORT: "{port}", MODE: test}, path: /health, expect_body: '"status": *"ok"'}
)");
    REQUIRE(l.errors.empty());
    REQUIRE(l.result.project);
    const auto& h = *l.result.project->sidecars.at(0).smoke.http;
    CHECK(h.port == 8008);
    CHECK(h.env == std::vector<std::pair<std::string, std::string>>{{"MODE", "test"}, {"PORT", "{port}"}});
    CHECK(h.expect_body == "\"status\": *\"ok\"");
    auto bad = load(dir, R"(sidecars:
  api:
    root: src
    entry: main.py
    smoke:
      http: {port: 70000, expect_body: "(", args: ["{port}"]}
)");
    REQUIRE(bad.errors.size() == 2);
    CHECK_THAT(bad.errors[0], Catch::Contains("sidecars.api.smoke.http.port"));
    CHECK_THAT(bad.errors[1], Catch::Contains("sidecars.api.smoke.http.expect_body: invalid regex"));
}

TEST_CASE("timeouts: durations per step kind, from defaults or the sidecar, errors name the key", "[config]") {
    TempDir dir;
    project_files(dir);
    SECTION("defaults, then the sidecar's own, each on its own") {
        auto l = load(dir, R"(defaults:
  timeouts: {step: 3h}
sidecars:
  api: {root: src, entry: main.py, timeouts: {network: 90s}}
  web: {root: src, entry: main.py}
)");
        REQUIRE(l.errors.empty());
        const auto& p = *l.result.project;
        CHECK(p.sidecars[0].timeouts.step == std::chrono::hours(3));
        CHECK(p.sidecars[0].timeouts.network == std::chrono::seconds(90));
        CHECK(p.sidecars[1].timeouts.step == std::chrono::hours(3));
        CHECK(p.sidecars[1].timeouts.network == std::chrono::minutes(30));  // freezer's default
    }
    SECTION("a bad duration and an unknown key") {
        auto l = load(dir, R"(sidecars:
  api:
    root: src
    entry: main.py
    timeouts: {step: soon, netwrok: 5m}
)");
        REQUIRE(l.errors.size() == 2);
        CHECK_THAT(l.errors[0], Catch::Contains("freezer.yaml:5:") && Catch::Contains("sidecars.api.timeouts"));
        std::string all = l.errors[0] + "\n" + l.errors[1];
        CHECK_THAT(all, Catch::Contains("sidecars.api.timeouts.step: expected a duration"));
        CHECK_THAT(all, Catch::Contains("netwrok") && Catch::Contains("network"));
    }
}

TEST_CASE("smoke.http endpoints and expect_json: read in order, mistakes named with their key path", "[config]") {
    TempDir dir;
    project_files(dir);
    SECTION("read") {
        auto l = load(dir, R"(sidecars:
  api:
    root: src
    entry: main.py
    smoke:
      http:
        port: 8008
        path: /health
        expect_json: {status: ok}
        endpoints:
          - {path: /api/items, expect_json: {data.items.0.id: 7, up: true}}
          - {path: /missing, expect_status: 404, expect_body: "Not Found"}
)");
        REQUIRE(l.errors.empty());
        const auto& h = *l.result.project->sidecars[0].smoke.http;
        CHECK(h.expect_json == std::vector<std::pair<std::string, std::string>>{{"status", "ok"}});
        REQUIRE(h.endpoints.size() == 2);
        CHECK(h.endpoints[0].path == "/api/items");
        CHECK(h.endpoints[0].expect_status == 200);
        CHECK(h.endpoints[0].expect_json ==
              std::vector<std::pair<std::string, std::string>>{{"data.items.0.id", "7"}, {"up", "true"}});
        CHECK(h.endpoints[1].expect_status == 404);
        CHECK(h.endpoints[1].expect_body == "Not Found");
    }
    SECTION("errors") {
        auto l = load(dir, R"(sidecars:
  api:
    root: src
    entry: main.py
    smoke:
      http:
        port: 8008
        expect_json: {status: [ok]}
        endpoints:
          - {expect_status: 200}
          - {path: api, expect_body: "(", colour: red}
)");
        const auto all = fmt::format("{}", fmt::join(l.errors, "\n"));
        INFO(all);
        CHECK_THAT(all, Catch::Contains("sidecars.api.smoke.http.expect_json.status: expected the value the field must have"));
        CHECK_THAT(all, Catch::Contains("sidecars.api.smoke.http.endpoints[0]: missing 'path'"));
        CHECK_THAT(all, Catch::Contains("sidecars.api.smoke.http.endpoints[1].path: must start with '/'"));
        CHECK_THAT(all, Catch::Contains("sidecars.api.smoke.http.endpoints[1].expect_body: invalid regex"));
        CHECK_THAT(all, Catch::Contains("colour"));
    }
}

TEST_CASE("after errors the partial project holds the sidecars that read without errors", "[config]") {
    TempDir dir;
    write(dir / "api/main.py", "");
    write(dir / "freezer.yaml", "python: .venv/bin/python\nsidecars:\n  api: {root: api, entry: main.py}\n"
                                "  web: {root: missing, entry: main.py}\n");
    const auto r = config::load_project(dir / "freezer.yaml");
    CHECK_FALSE(r.project);  // a build never goes on
    REQUIRE(r.partial);
    REQUIRE(r.partial->sidecars.size() == 1);
    CHECK(r.partial->sidecars[0].name == "api");
    CHECK(r.partial->python == ".venv/bin/python");
    // Valid: the project, no partial.
    write(dir / "freezer.yaml", "sidecars:\n  api: {root: api, entry: main.py}\n");
    const auto ok = config::load_project(dir / "freezer.yaml");
    CHECK(ok.project);
    CHECK_FALSE(ok.partial);
}

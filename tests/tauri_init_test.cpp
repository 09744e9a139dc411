#include <catch2/catch.hpp>

#include <freezer/config.hpp>

#include "tauri_init.hpp"

#include <catch2/catch.hpp>
#include "test_support.hpp"

using namespace freezer;
using freezer::test::TempDir;
using freezer::test::write;

TEST_CASE("init --from-tauri writes one sidecar per externalBin entry", "[tauri]") {
    TempDir dir;
    SECTION("Tauri 2 layout") {
        write(dir / "src-tauri/tauri.conf.json",
              R"({"productName": "app", "bundle": {"externalBin": ["binaries/api", "binaries/worker"]}})");
    }
    SECTION("Tauri 1 layout") {
        write(dir / "src-tauri/tauri.conf.json",
              R"({"tauri": {"bundle": {"externalBin": ["binaries/api", "binaries/worker"]}}})");
    }
    const auto yaml = init_from_tauri(dir / "src-tauri/tauri.conf.json", dir.path());
    CHECK_THAT(yaml, Catch::Contains("  tauri: src-tauri/binaries"));
    CHECK_THAT(yaml, Catch::Contains("\n  api:\n") && Catch::Contains("\n  worker:\n"));
    CHECK_THAT(yaml, Catch::Contains("mode: onefile"));
    // What it writes is valid freezer.yaml once the TODOs are filled in.
    write(dir / "python/api/main.py", "");
    write(dir / "python/worker/main.py", "");
    write(dir / "freezer.yaml", yaml);
    const auto r = config::load_project(dir / "freezer.yaml");
    for (const auto& d : r.diagnostics) INFO(config::format_diagnostic(d));
    REQUIRE(r.project);
    CHECK(r.project->sidecars.size() == 2);
    CHECK(*r.project->tauri_dir == dir.path() / "src-tauri/binaries");
}

TEST_CASE("init --from-tauri says what is wrong with the file", "[tauri]") {
    TempDir dir;
    write(dir / "none.json", R"({"bundle": {}})");
    CHECK_THROWS_WITH(init_from_tauri(dir / "none.json", dir.path()), Catch::Contains("no bundle.externalBin entries"));
    write(dir / "bad.json", "{ not json");
    CHECK_THROWS_WITH(init_from_tauri(dir / "bad.json", dir.path()), Catch::Contains("not valid JSON"));
    write(dir / "split.json", R"({"bundle": {"externalBin": ["a/api", "b/cli"]}})");
    CHECK_THROWS_WITH(init_from_tauri(dir / "split.json", dir.path()), Catch::Contains("different folders"));
    CHECK_THROWS_WITH(init_from_tauri(dir / "missing.json", dir.path()), Catch::Contains("cannot read"));
}

TEST_CASE("output.tauri requires one-file sidecars", "[tauri][config]") {
    TempDir dir;
    write(dir / "main.py", "");
    write(dir / "freezer.yaml", "output: {tauri: bin}\nsidecars:\n  api: {entry: main.py, mode: onedir}\n");
    const auto r = config::load_project(dir / "freezer.yaml");
    REQUIRE(r.diagnostics.size() == 1);
    CHECK_THAT(config::format_diagnostic(r.diagnostics[0]),
               Catch::Contains("3:31: error: sidecars.api.mode: output.tauri installs one file per sidecar"));
}

// ---- Reading the project's build scripts and entry scripts ----

namespace {

// Validates `yaml` as freezer.yaml in `dir` and returns the one sidecar named `name`.
config::Sidecar load_sidecar(const TempDir& dir, const std::string& yaml, const std::string& name) {
    write(dir / "freezer.yaml", yaml);
    const auto r = config::load_project(dir / "freezer.yaml");
    for (const auto& d : r.diagnostics) INFO(config::format_diagnostic(d));
    INFO(yaml);
    REQUIRE(r.project);
    REQUIRE(r.project->find(name));
    return *r.project->find(name);
}

const char* kFastApi = R"(from fastapi import FastAPI
import uvicorn

app = FastAPI()


@app.get("/items/{id}")
def item(id: int):
    return {"id": id}


@app.get("/health")
def health():
    return {"ok": True}


if __name__ == "__main__":
    uvicorn.run(app, host="0.0.0.0", port=8008)
)";

}  // namespace

TEST_CASE("shell words split like sh: quotes, escapes, operators", "[tauri]") {
    CHECK(shell_words("cd py && python -m PyInstaller --add-data 'a b/c.json:b' \"x\\\"y\" z\\ w; ls")
          == std::vector<std::string>{"cd", "py", "&&", "python", "-m", "PyInstaller", "--add-data", "a b/c.json:b",
                                      "x\"y", "z w", ";", "ls"});
    CHECK(shell_words("a # comment\nb\\\n c") == std::vector<std::string>{"a", "\n", "b", "c"});
    CHECK(shell_words("a||b|c&d") == std::vector<std::string>{"a", "||", "b", "|", "c", "&", "d"});
}

TEST_CASE("the user's Tauri v1 app: package.json's pyinstaller command gives root entry mode and an HTTP smoke test",
          "[tauri]") {
    TempDir dir;
    write(dir / "package.json", R"({"scripts": {"dev": "vite", "build:sidecar":
        "pyinstaller -c -F --clean --name main-x86_64-unknown-linux-gnu src/backends/main.py"}})");
    write(dir / "src-tauri/tauri.conf.json", R"({"tauri": {"bundle": {"externalBin": ["bin/backends/main"]}}})");
    write(dir / "src/backends/main.py", kFastApi);
    // Both readers of the entry: Python's syntax tree (python3 on PATH) and text patterns.
    const bool text_only = GENERATE(false, true);
    INFO("text_only " << text_only);
    const auto yaml = init_from_tauri(dir / "src-tauri/tauri.conf.json", dir.path(), {"", text_only});
    const auto sc = load_sidecar(dir, yaml, "main");
    CHECK(sc.root == "src/backends");
    CHECK(sc.entry == "main.py");
    CHECK(sc.mode == "onefile");
    REQUIRE(sc.smoke.http);
    CHECK_FALSE(sc.smoke.run);
    CHECK(sc.smoke.http->port == 8008);
    CHECK(sc.smoke.http->path == "/health");  // not /items/{id}: it needs a parameter
    CHECK(sc.smoke.http->expect_status == 200);
    CHECK(sc.backends.empty());  // no flag for extra_args
    // The comments say where each guess came from; no TODO is left.
    CHECK_THAT(yaml, Catch::Contains("# from package.json scripts.build:sidecar: pyinstaller -c -F --clean --name "
                                     "main-x86_64-unknown-linux-gnu src/backends/main.py"));
    CHECK_THAT(yaml, Catch::Contains("--name main-x86_64-unknown-linux-gnu is not needed"));
    CHECK_THAT(yaml, Catch::Contains("# main.py:18 calls uvicorn.run(..., port=8008)"));
    CHECK_THAT(yaml, Catch::Contains("# dropped --clean: ") && Catch::Contains("# dropped -c: "));
    CHECK_THAT(yaml, Catch::Contains("mode: onefile                   # from -F"));
    CHECK_THAT(yaml, !Catch::Contains("TODO"));
    CHECK_THAT(yaml, Catch::Contains("  tauri: src-tauri/bin/backends"));
}

TEST_CASE("a cd chain with python -m PyInstaller carries its flags over", "[tauri]") {
    TempDir dir;
    write(dir / "package.json", R"({"scripts": {"sidecar": "cd py && python -m PyInstaller --onedir --hidden-import x --add-data 'a/b.json:b' --collect-submodules pkg --exclude-module tkinter -y --distpath ../dist --icon app.ico --noupx app.py"}})");
    write(dir / "src-tauri/tauri.conf.json", R"({"bundle": {"externalBin": ["binaries/app"]}})");
    write(dir / "py/app.py", "import sys\nprint(sys.argv)\n");
    write(dir / "py/a/b.json", "{}");
    const auto yaml = init_from_tauri(dir / "src-tauri/tauri.conf.json", dir.path());
    const auto sc = load_sidecar(dir, yaml, "app");
    CHECK(sc.root == "py");
    CHECK(sc.entry == "app.py");
    // --onedir cannot be installed for Tauri: onefile, with a comment saying so.
    CHECK(sc.mode == "onefile");
    CHECK_THAT(yaml, Catch::Contains("the script says --onedir, but Tauri installs one file"));
    CHECK(sc.hidden_imports == std::vector<std::string>{"x"});
    CHECK(sc.collect_submodules == std::vector<std::string>{"pkg"});
    CHECK(sc.exclude_modules == std::vector<std::string>{"tkinter"});
    REQUIRE(sc.data.size() == 1);
    CHECK(sc.data[0].src == "a/b.json");
    CHECK(sc.data[0].dest == "b");
    // Flags freezer manages are dropped, with why; the others go to extra_args.
    CHECK_THAT(yaml, Catch::Contains("# dropped -y: ") && Catch::Contains("# dropped --distpath ../dist: freezer chooses"));
    CHECK_THAT(yaml, Catch::Contains("extra_args: [\"--icon\", \"app.ico\", \"--noupx\"]") &&
                         Catch::Contains("passed to PyInstaller as they were"));
    REQUIRE(sc.backends.count("pyinstaller"));
    // Neither argparse nor a server: a bare run, and a TODO on the exit code.
    REQUIRE(sc.smoke.run);
    CHECK(sc.smoke.run->args.empty());
    CHECK_THAT(yaml, Catch::Contains("parses no options and starts no server"));
}

TEST_CASE("a shell script run by beforeBuildCommand and a .spec file give spec mode", "[tauri]") {
    TempDir dir;
    write(dir / "package.json", R"({"scripts": {"dev": "vite"}})");
    write(dir / "src-tauri/tauri.conf.json",
          R"({"build": {"beforeBuildCommand": "npm run build && sh scripts/sidecar.sh"},
              "bundle": {"externalBin": ["binaries/api"]}})");
    write(dir / "scripts/sidecar.sh", "#!/bin/sh\nset -e\ncd backend\nuv run pyinstaller --noconfirm api.spec\n");
    write(dir / "backend/api.spec", "a = Analysis(['server.py'], pathex=['.'])\n");
    write(dir / "backend/server.py",
          "import os\nfrom flask import Flask\napp = Flask(__name__)\n\n@app.route('/')\ndef index():\n"
          "    return 'ok'\n\nif __name__ == '__main__':\n    app.run(port=int(os.environ.get('PORT', '5000')))\n");
    const auto yaml = init_from_tauri(dir / "src-tauri/tauri.conf.json", dir.path());
    const auto sc = load_sidecar(dir, yaml, "api");
    CHECK(sc.root == "backend");
    CHECK(sc.entry == "server.py");
    REQUIRE(sc.backends.count("pyinstaller"));
    CHECK_THAT(yaml, Catch::Contains("spec: api.spec"));
    CHECK_THAT(yaml, Catch::Contains("# from src-tauri/tauri.conf.json build.beforeBuildCommand runs scripts/sidecar.sh"));
    // Its port comes from $PORT: a free one is passed there.
    REQUIRE(sc.smoke.http);
    CHECK_FALSE(sc.smoke.http->port);
    CHECK(sc.smoke.http->env == std::vector<std::pair<std::string, std::string>>{{"PORT", "{port}"}});
    CHECK(sc.smoke.http->path == "/");
}

TEST_CASE("pyproject console scripts become module when python -m runs them", "[tauri]") {
    TempDir dir;
    write(dir / "src-tauri/tauri.conf.json", R"({"bundle": {"externalBin": ["binaries/tool", "binaries/srv"]}})");
    write(dir / "sidecar/pyproject.toml", "[project]\nname = \"t\"\n\n[project.scripts]\n"
                                          "tool = \"tool.cli:main\"\nsrv = \"srv.app:main\"\n");
    write(dir / "sidecar/src/tool/__init__.py", "");
    write(dir / "sidecar/src/tool/cli.py",
          "import argparse\n\ndef main():\n    argparse.ArgumentParser().parse_args()\n\n"
          "if __name__ == \"__main__\":\n    main()\n");
    write(dir / "sidecar/src/srv/__init__.py", "");
    write(dir / "sidecar/src/srv/app.py",
          "import argparse\nfrom http.server import HTTPServer, SimpleHTTPRequestHandler\n\ndef main():\n"
          "    p = argparse.ArgumentParser()\n    p.add_argument('--port', type=int, default=8000)\n"
          "    a = p.parse_args()\n    HTTPServer(('127.0.0.1', a.port), SimpleHTTPRequestHandler).serve_forever()\n");
    const auto yaml = init_from_tauri(dir / "src-tauri/tauri.conf.json", dir.path());
    const auto tool = load_sidecar(dir, yaml, "tool");
    CHECK(tool.root == "sidecar/src");
    CHECK(tool.module == "tool.cli");
    REQUIRE(tool.smoke.run);
    CHECK(tool.smoke.run->args == std::vector<std::string>{"--help"});
    CHECK_THAT(yaml, Catch::Contains("cli.py parses its options with argparse"));
    const auto srv = load_sidecar(dir, yaml, "srv");
    CHECK(srv.module == "srv.app");
    // No __main__ block: python -m srv.app would not call main(); a TODO says what to do.
    CHECK_THAT(yaml, Catch::Contains("TODO: srv/app.py has no `if __name__ == \"__main__\":` block, so running it "
                                     "does not call main(): add one"));
    REQUIRE(srv.smoke.http);
    CHECK(srv.smoke.http->args == std::vector<std::string>{"--port", "{port}"});
    CHECK_THAT(yaml, Catch::Contains("app.py:6 takes --port"));
}

TEST_CASE("the entry reader tells servers from CLIs by their code", "[tauri]") {
    TempDir dir;
    const bool text_only = GENERATE(false, true);
    INFO("text_only " << text_only);
    const std::string python = text_only ? "" : "python3";
    write(dir / "fixed.py", "from flask import Flask\napp = Flask(__name__)\n@app.route('/ping')\ndef p(): return 'x'\n"
                            "app.run(host='0.0.0.0', port=5050)\n");
    auto f = scan_entry(dir / "fixed.py", python);
    CHECK(f.server == "imports flask");
    CHECK(f.port == 5050);
    CHECK(f.port_line == 5);
    REQUIRE(f.routes.size() == 1);
    CHECK(f.routes[0].first == "/ping");
    write(dir / "env.py", "import os\nimport uvicorn\nuvicorn.run('m:app', port=int(os.environ[\"APP_PORT\"]))\n");
    f = scan_entry(dir / "env.py", python);
    CHECK(f.server == "imports uvicorn");
    CHECK_FALSE(f.port);
    CHECK(f.env_port == "APP_PORT");
    write(dir / "cli.py", "import click\n@click.command()\ndef main(): pass\n");
    f = scan_entry(dir / "cli.py", python);
    CHECK(f.server.empty());
    CHECK(f.cli == "click");
    // A comment that mentions a server is no server.
    write(dir / "plain.py", "# import uvicorn\nprint('hi')\n");
    f = scan_entry(dir / "plain.py", python);
    CHECK(f.server.empty());
    CHECK(f.cli.empty());
    CHECK(f.reader == (text_only ? "text" : "python"));
}

TEST_CASE("init --from-tauri without build scripts keeps the TODO placeholders and says where it looked", "[tauri]") {
    TempDir dir;
    write(dir / "package.json", R"({"scripts": {"build": "vite build"}})");
    write(dir / "src-tauri/tauri.conf.json", R"({"bundle": {"externalBin": ["binaries/api"]}})");
    const auto yaml = init_from_tauri(dir / "src-tauri/tauri.conf.json", dir.path());
    CHECK_THAT(yaml, Catch::Contains("root: python/api               # TODO"));
    CHECK_THAT(yaml, Catch::Contains("no PyInstaller command naming it in package.json scripts"));
}

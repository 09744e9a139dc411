// End to end: the real `freezer` binary, the real PyInstaller plugin and PyInstaller
// itself, on a scratch copy of examples/.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "integration_support.hpp"
#include "process/process.hpp"
#include "test_support.hpp"

using namespace freezer;
using namespace freezer::itest;
using freezer::test::TempDir;
using nlohmann::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

ProcessResult run_binary(const fs::path& exe, std::vector<std::string> args) {
    args.insert(args.begin(), exe.string());
    return run_command(std::move(args), 60s);
}


// Starts the frozen HTTP sidecar, asks it for /api/health and stops it. Up to 30 s for
// it to start: the onefile binary unpacks first, slowly when other tests load the machine.
std::string query_api(const fs::path& exe) {
    const int port = free_port();
    ProcessSpec spec;
    spec.argv = {"sh", "-c",
                 fmt::format("{} --port {} & pid=$!; for i in $(seq 1 300); do "
                             "out=$(curl -sf http://127.0.0.1:{}/api/health) && break; sleep 0.1; done; "
                             "kill $pid; wait $pid; echo \"$out\"",
                             exe.string(), port, port)};
    spec.capture = true;
    spec.timeout = 60s;
    return run_process(spec).out;
}

}  // namespace

TEST_CASE("freezer build freezes the examples, skips them when unchanged, rebuilds only what changed",
          "[integration]") {
    Project p;
    // This one builds the cli as a folder (onedir), which Tauri copies cannot be.
    auto yaml = freezer::test::read(p / "freezer.yaml");
    yaml = std::regex_replace(yaml, std::regex("output:\n  tauri: [^\n]*\n"), "");
    yaml = std::regex_replace(yaml, std::regex("    module: greeter"), "    mode: onedir\n    module: greeter");
    freezer::test::write(p / "freezer.yaml", yaml);

    // 1. First build: both frozen, both run.
    auto first = run_freezer(p.dir.path(), {"build", "--json"});
    REQUIRE(first.code == 0);
    CHECK(status_of(first, "api") == "built");
    CHECK(status_of(first, "cli") == "built");
    for (const auto& s : first.report["sidecars"]) {
        CHECK(s["key"].get<std::string>().size() == 32);
        CHECK(s["peak_rss_kb"].get<long>() > 0);
        CHECK(s["cpu_ms"].get<long>() > 0);
        CHECK(s["size"].get<std::uint64_t>() > 0);
        CHECK(fs::exists(s["artifact"].get<std::string>()));
    }
    CHECK(fs::file_size(p / "dist/api/api") == first.report["sidecars"][0]["size"].get<std::uint64_t>());
    auto cli = run_binary(p / "dist/cli/cli", {"--version"});
    CHECK(cli.exit_code == 0);
    CHECK(cli.out == "greeter 1.2.0\n");
    CHECK(fs::is_directory(p / "dist/cli/_internal"));  // onedir
    CHECK_THAT(query_api(p / "dist/api/api"), Catch::Contains("\"status\": \"ok\"") &&
                                                  Catch::Contains("\"frozen\": true"));
    CHECK(fs::exists(p / ".freezer/logs/api.log"));
    CHECK(fs::is_directory(p / ".freezer/cache/backends/pyinstaller/api"));  // --workpath kept

    // 2. Nothing changed: both skipped, with one line each.
    auto second = run_freezer(p.dir.path(), {"build"});
    CHECK(second.code == 0);
    CHECK_THAT(second.out, Catch::Contains("api (pyinstaller) up to date, skipped") &&
                               Catch::Contains("cli (pyinstaller) up to date, skipped") &&
                               Catch::Contains("0 built, 2 skipped, 0 failed"));

    // 3. A touch that changes no content is not a change.
    {
        const auto f = p / "api/app/server.py";
        fs::last_write_time(f, fs::file_time_type::clock::now());
        auto touched = run_freezer(p.dir.path(), {"build", "--json"});
        CHECK(status_of(touched, "api") == "skipped");
    }

    // 4. An edit to one sidecar's file rebuilds that sidecar only, and says why.
    {
        std::ofstream(p / "api/app/services/upper.py", std::ios::app) << "# edited\n";
        auto edited = run_freezer(p.dir.path(), {"build", "--json", "-v"});
        CHECK(edited.code == 0);
        CHECK(status_of(edited, "api") == "built");
        CHECK(status_of(edited, "cli") == "skipped");
        CHECK(edited.report["sidecars"][0]["reason"] == "modified app/services/upper.py");
    }

    // 5. --force rebuilds even though nothing changed.
    {
        auto forced = run_freezer(p.dir.path(), {"build", "cli", "--force", "--json"});
        CHECK(forced.code == 0);
        CHECK(status_of(forced, "cli") == "built");
        CHECK(status_of(forced, "api") == "absent");  // only what was asked for
        CHECK(forced.report["sidecars"][0]["reason"] == "--force");
        CHECK_THAT(freezer::test::read(p / ".freezer/logs/cli.log"), Catch::Contains("--clean"));
    }

    // 6. A failing build keeps the old binary and the old state.
    {
        const auto state_before = freezer::test::read(p / ".freezer/state/api@pyinstaller.json");
        const auto entry = p / "api/run_api.py";
        const auto good = freezer::test::read(entry);
        freezer::test::write(entry, good + "\ndef broken(:\n");
        auto failed = run_freezer(p.dir.path(), {"build", "--json"});
        CHECK(failed.code == 1);
        CHECK(status_of(failed, "api") == "failed");
        CHECK(status_of(failed, "cli") == "skipped");
        CHECK_FALSE(failed.report["sidecars"][0]["log_tail"].empty());
        CHECK(freezer::test::read(p / ".freezer/state/api@pyinstaller.json") == state_before);
        CHECK_THAT(query_api(p / "dist/api/api"), Catch::Contains("\"status\": \"ok\""));
        auto text = run_freezer(p.dir.path(), {"build", "api"});
        CHECK(text.code == 1);
        CHECK_THAT(text.out, Catch::Contains("api (pyinstaller) FAILED") &&
                                 Catch::Contains("lines of " + (p / ".freezer/logs/api.log").string()));
        // Putting the file back is a return to the last good build: nothing to do.
        freezer::test::write(entry, good);
        auto reverted = run_freezer(p.dir.path(), {"build", "--json"});
        CHECK(reverted.code == 0);
        CHECK(status_of(reverted, "api") == "skipped");
    }

    // 7. A deleted or modified output is noticed and repaired: from the artifact cache,
    // which has this very build.
    {
        fs::remove(p / "dist/cli/cli");
        auto repaired = run_freezer(p.dir.path(), {"build", "--json"});
        CHECK(status_of(repaired, "cli") == "restored");
        CHECK_THAT(repaired.report["sidecars"][1]["reason"].get<std::string>(),
                   Catch::Contains("missing or was modified"));
        CHECK(run_binary(p / "dist/cli/cli", {"Ada"}).out == "Hello, Ada!\n");
    }
}

TEST_CASE("bad input: clear errors, right exit codes, nothing built", "[integration]") {
    Project p;
    auto yaml = freezer::test::read(p / "freezer.yaml");
    auto with = [&](const std::string& from, const std::string& to) {
        freezer::test::write(p / "freezer.yaml", std::regex_replace(yaml, std::regex(from), to));
    };

    SECTION("a YAML syntax error") {
        freezer::test::write(p / "freezer.yaml", yaml + "\n  bad: [unclosed\n");
        auto r = run_freezer(p.dir.path(), {"build"});
        CHECK(r.code == 2);
        CHECK_THAT(r.err, Catch::Contains("freezer.yaml:") && Catch::Contains("YAML syntax error") &&
                              Catch::Contains("nothing was built"));
    }
    SECTION("a missing entry file") {
        with("entry: run_api.py", "entry: missing.py");
        auto r = run_freezer(p.dir.path(), {"build"});
        CHECK(r.code == 2);
        CHECK_THAT(r.err, Catch::Contains("sidecars.api.entry: entry file") && Catch::Contains("missing.py"));
    }
    SECTION("an unknown backend") {
        with("backend: pyinstaller", "backend: pyinstaler");
        auto r = run_freezer(p.dir.path(), {"build"});
        CHECK(r.code == 2);
        CHECK_THAT(r.err, Catch::Contains("unknown backend 'pyinstaler'; did you mean 'pyinstaller'?"));
    }
    SECTION("an unknown --backend") {
        auto r = run_freezer(p.dir.path(), {"build", "--backend", "nope"});
        CHECK(r.code == 2);
        CHECK_THAT(r.err, Catch::Contains("unknown backend 'nope'") && Catch::Contains("known: cosmofy, nuitka, pex-scie, pyinstaller"));
    }
    SECTION("an interpreter that does not exist") {
        with("python: [^\n]*", "python: /nonexistent/python");
        auto r = run_freezer(p.dir.path(), {"build"});
        CHECK(r.code == 2);
        CHECK_THAT(r.err, Catch::Contains("interpreter '/nonexistent/python' not found"));
        // Where freezer.yaml says it: the examples' file has python: on line 9.
        CHECK_THAT(r.err, Catch::Contains("freezer.yaml:9:9: python: interpreter"));
    }
    SECTION("an unknown backend in matrix.backends, at its place") {
        freezer::test::write(p / "freezer.yaml", freezer::test::read(p / "freezer.yaml") +
                                                      "matrix:\n  backends: [pyinstaller, nuitak]\n");
        auto r = run_freezer(p.dir.path(), {"check"});
        CHECK(r.code == 2);
        CHECK_THAT(r.err, Catch::Matches("(.|\n)*freezer\\.yaml:\\d+:13: error: matrix\\.backends: unknown backend 'nuitak'(.|\n)*"));
    }
    SECTION("PyInstaller not installed for the interpreter") {
        with("python: [^\n]*", "python: /usr/bin/python3");
        auto r = run_freezer(p.dir.path(), {"build"});
        CHECK(r.code == 2);
        CHECK_THAT(r.err, Catch::Contains("PyInstaller is not installed") &&
                              Catch::Contains("pip install pyinstaller==6.22.3"));
        CHECK_THAT(r.err, Catch::Contains("freezer.yaml:") && Catch::Contains(": api: PyInstaller is not installed"));
        auto check = run_freezer(p.dir.path(), {"check"});
        CHECK(check.code == 2);
        CHECK_THAT(check.err, Catch::Contains("how to fix"));
    }
    SECTION("an unknown sidecar on the command line") {
        auto r = run_freezer(p.dir.path(), {"build", "apj"});
        CHECK(r.code == 2);
        CHECK_THAT(r.err, Catch::Contains("no sidecar named 'apj'") && Catch::Contains("did you mean 'api'?"));
    }
    SECTION("an output folder that cannot be written") {
        freezer::test::write(p / "blocked", "a file where the output folder should be");
        freezer::test::write(p / "freezer.yaml", std::regex_replace(yaml, std::regex("output:\n"),
                                                                    "output:\n  dir: blocked/dist\n"));
        auto r = run_freezer(p.dir.path(), {"build", "cli", "--json"});
        CHECK(r.code == 1);
        CHECK(status_of(r, "cli") == "failed");
        CHECK_THAT(r.report["sidecars"][0]["error"].get<std::string>(), Catch::Contains("blocked"));
        CHECK_FALSE(fs::exists(p / ".freezer/state/cli@pyinstaller.json"));
    }
    SECTION("an input glob that matches nothing is a warning") {
        with("    module: greeter", "    module: greeter\n    inputs: {include: [\"**/*.py\", \"*.toml\"]}");
        auto r = run_freezer(p.dir.path(), {"check"});
        CHECK(r.code == 0);
        auto b = run_freezer(p.dir.path(), {"build", "cli", "--json"});
        CHECK(b.code == 0);
        CHECK_THAT(b.err, Catch::Contains("warning:") && Catch::Contains("'*.toml' matches no file"));
    }
    CHECK_FALSE(fs::exists(p / "dist/api"));
}

TEST_CASE("Ctrl-C stops the build, kills the packager and leaves state and outputs alone",
          "[integration]") {
    Project p;
    ProcessSpec spec;
    spec.argv = {"sh", "-c",
                 fmt::format("{} -C {} build api & pid=$!; sleep 3; kill -INT $pid; wait $pid; echo rc=$?",
                             FREEZER_BIN, p.dir.path().string())};
    spec.capture = true;
    spec.timeout = 120s;
    const auto r = run_process(spec);
    INFO(r.out << r.err);
    CHECK_THAT(r.out, Catch::Contains("rc=130"));
    CHECK_FALSE(fs::exists(p / "dist/api"));
    CHECK_FALSE(fs::exists(p / ".freezer/state/api@pyinstaller.json"));
    // No PyInstaller left running for this project.
    ProcessSpec ps;
    ps.argv = {"sh", "-c", "ps -eo args | grep -c '[P]yInstaller.*" + p.dir.path().string() + "' || true"};
    ps.capture = true;
    CHECK(run_process(ps).out == "0\n");
}

TEST_CASE("spec mode builds from a .spec file and tracks its content", "[integration]") {
    Project p;
    freezer::test::write(p / "cli/greeter.spec", R"(a = Analysis(['greeter/__main__.py'], pathex=['.'])
pyz = PYZ(a.pure)
exe = EXE(pyz, a.scripts, a.binaries, a.datas, name='greeter', console=True)
)");
    freezer::test::write(p / "freezer.yaml", R"(python: )" + std::string(FREEZER_TEST_PYTHON) + R"(
sidecars:
  cli:
    root: cli
    module: greeter
    backends:
      pyinstaller: {spec: greeter.spec}
)");
    ProcessSpec git;
    git.argv = {"sh", "-c", "git init -q && git add -A && git -c user.name=t -c user.email=t@t commit -qm init"};
    git.cwd = p.dir.path().string();
    REQUIRE(run_process(git).ok());
    auto r = run_freezer(p.dir.path(), {"build", "--json"});
    REQUIRE(r.code == 0);
    CHECK(status_of(r, "cli") == "built");
    CHECK(run_binary(p / "dist/cli/greeter", {"--version"}).out == "greeter 1.2.0\n");
    CHECK_THAT(r.err, Catch::Contains(".freezer/ and dist/ are not in .gitignore"));
    CHECK_THAT(r.err, !Catch::Contains("uncommitted"));
    std::ofstream(p / "cli/greeter.spec", std::ios::app) << "# a comment changes the key\n";
    freezer::test::write(p / ".gitignore", ".freezer/\ndist/\n");
    auto again = run_freezer(p.dir.path(), {"build", "--json"});
    CHECK(status_of(again, "cli") == "built");
    CHECK(again.report["sidecars"][0]["reason"] == "modified greeter.spec");
    CHECK_THAT(again.err, Catch::Contains("greeter.spec has uncommitted changes"));
    CHECK_THAT(again.err, !Catch::Contains("gitignore"));
}

TEST_CASE("building with -j 2 builds both examples in parallel, smoke-tests both, installs Tauri copies",
          "[integration]") {
    Project p;  // the examples as they are: output.tauri, both onefile
    auto r = run_freezer(p.dir.path(), {"build", "-j", "2", "--json"});
    REQUIRE(r.code == 0);
    CHECK(r.report["jobs"] == 2);
    for (const auto& s : r.report["sidecars"]) {
        CHECK(s["status"] == "built");
        CHECK(s["cpu_tokens"] == 1);
        REQUIRE(s["smoke"].is_object());
        CHECK(s["smoke"]["passed"] == true);
        const fs::path tauri = s["tauri"].get<std::string>();
        CHECK(tauri.parent_path() == p / "src-tauri/binaries");
        CHECK_THAT(tauri.filename().string(), Catch::Matches(s["sidecar"].get<std::string>() + "-[a-z0-9_]+-[a-z]+-[a-z]+-[a-z]+"));
        CHECK(fs::file_size(tauri) == s["size"].get<std::uint64_t>());
    }
    CHECK_THAT(r.report["sidecars"][0]["smoke"]["message"].get<std::string>(),
               Catch::Contains("GET /api/health -> 200") && Catch::Contains("stopped cleanly"));
    CHECK_THAT(r.report["sidecars"][1]["smoke"]["message"].get<std::string>(), Catch::Contains("'cli --version' exited 0"));
    const auto tauri_cli = r.report["sidecars"][1]["tauri"].get<std::string>();
    CHECK(run_binary(tauri_cli, {"--version"}).out == "greeter 1.2.0\n");

    // A deleted Tauri copy comes back without a rebuild.
    fs::remove(tauri_cli);
    auto again = run_freezer(p.dir.path(), {"build", "--json"});
    CHECK(status_of(again, "cli") == "skipped");
    CHECK(fs::exists(tauri_cli));

    // `freezer smoke` re-runs the contract on what is installed.
    auto smoke = run_freezer(p.dir.path(), {"smoke", "--json"});
    CHECK(smoke.code == 0);
    CHECK(smoke.report["sidecars"][0]["status"] == "passed");
    CHECK(smoke.report["sidecars"][1]["status"] == "passed");
}

TEST_CASE("a binary that fails its smoke test is not installed", "[integration]") {
    Project p;
    REQUIRE(run_freezer(p.dir.path(), {"build", "cli"}).code == 0);
    const auto state = freezer::test::read(p / ".freezer/state/cli@pyinstaller.json");

    // A change that breaks what the smoke test checks: the version banner.
    const auto good = freezer::test::read(p / "cli/greeter/__init__.py");
    freezer::test::write(p / "cli/greeter/__init__.py", "__version__ = \"unknown\"\n");
    auto r = run_freezer(p.dir.path(), {"build", "cli", "--json"});
    CHECK(r.code == 1);
    CHECK(status_of(r, "cli") == "failed");
    CHECK_THAT(r.report["sidecars"][0]["error"].get<std::string>(),
               Catch::Contains("smoke test failed") && Catch::Contains("does not match"));
    CHECK(r.report["sidecars"][0]["log_tail"][0] == "greeter unknown");
    CHECK(run_binary(p / "dist/cli/cli", {"--version"}).out == "greeter 1.2.0\n");  // the old one
    CHECK(freezer::test::read(p / ".freezer/state/cli@pyinstaller.json") == state);

    // Changing only the smoke test re-runs it on the installed binary, without a rebuild.
    freezer::test::write(p / "cli/greeter/__init__.py", good);
    auto yaml = freezer::test::read(p / "freezer.yaml");
    freezer::test::write(p / "freezer.yaml", std::regex_replace(yaml, std::regex("greeter \\\\\\\\d"), "greeter 9\\\\d"));
    auto resmoke = run_freezer(p.dir.path(), {"build", "cli", "--json"});
    CHECK(resmoke.code == 1);
    CHECK_THAT(resmoke.report["sidecars"][0]["error"].get<std::string>(),
               Catch::Contains("smoke test failed on the installed binary"));
    freezer::test::write(p / "freezer.yaml", std::regex_replace(yaml, std::regex("greeter \\\\\\\\d"), "greeter [0-9]"));
    auto fixed = run_freezer(p.dir.path(), {"build", "cli", "--json"});
    CHECK(fixed.code == 0);
    CHECK(status_of(fixed, "cli") == "skipped");
    CHECK(fixed.report["sidecars"][0]["reason"] == "up to date; its changed smoke test passed");
}

TEST_CASE("a binary missing a module or a data file says what to add to freezer.yaml", "[integration]") {
    Project p;
    // A module imported by a computed name, and a file read with open(): both invisible
    // to PyInstaller's analysis.
    freezer::test::write(p / "cli/greeter/extra.py", "GREETING = 'Hello'\n");
    freezer::test::write(p / "cli/greeter/names.json", "[\"Ada\"]\n");
    const auto main_py = freezer::test::read(p / "cli/greeter/__main__.py");
    freezer::test::write(p / "cli/greeter/__main__.py",
                         "import importlib, json, os\n"
                         "extra = importlib.import_module('greeter.' + 'extra')\n"
                         "NAMES = json.load(open(os.path.join(os.path.dirname(__file__), 'names.json')))\n" +
                             main_py);
    auto r = run_freezer(p.dir.path(), {"build", "cli", "--json"});
    CHECK(r.code == 1);
    CHECK_THAT(r.report["sidecars"][0]["error"].get<std::string>(),
               Catch::Contains("hint: the binary could not import 'greeter.extra'") &&
                   Catch::Contains("hidden_imports: [greeter.extra]"));

    // Added as the hint says: the module is found, the data file is next.
    auto yaml = freezer::test::read(p / "freezer.yaml");
    yaml = std::regex_replace(yaml, std::regex("    module: greeter"), "    module: greeter\n    hidden_imports: [greeter.extra]");
    freezer::test::write(p / "freezer.yaml", yaml);
    r = run_freezer(p.dir.path(), {"build", "cli", "--json"});
    CHECK(r.code == 1);
    CHECK_THAT(r.report["sidecars"][0]["error"].get<std::string>(),
               Catch::Contains("which is greeter/names.json in the sources") &&
                   Catch::Contains("data: [{src: greeter/names.json, dest: greeter}]"));

    yaml = std::regex_replace(yaml, std::regex("    hidden_imports: \\[greeter.extra\\]"),
                              "    hidden_imports: [greeter.extra]\n    data: [{src: greeter/names.json, dest: greeter}]");
    freezer::test::write(p / "freezer.yaml", yaml);
    r = run_freezer(p.dir.path(), {"build", "cli", "--json"});
    CHECK(r.code == 0);
    CHECK(status_of(r, "cli") == "built");

    // A whole package in one line instead of one line per module.
    yaml = freezer::test::read(p / "freezer.yaml");
    freezer::test::write(p / "freezer.yaml", std::regex_replace(yaml, std::regex("hidden_imports: \\[greeter.extra\\]"),
                                                                "collect_submodules: [greeter]"));
    r = run_freezer(p.dir.path(), {"build", "cli", "--json"});
    CHECK(r.code == 0);
    CHECK(status_of(r, "cli") == "built");
    CHECK_THAT(freezer::test::read(p / ".freezer/logs/cli.log"), Catch::Contains("--collect-submodules greeter"));
}

TEST_CASE("freezer plan prints the steps a build would run and runs nothing (golden)", "[integration][plan]") {
    Project p;
    // Paths that differ per run become names; FREEZER_UPDATE_GOLDEN=1 rewrites the files.
    auto normalized = [&](std::string text) {
        text = std::regex_replace(text, std::regex(p.dir.path().string()), "$$PROJECT");
        text = std::regex_replace(text, std::regex(FREEZER_TEST_PYTHON), "$$PYTHON");
        return std::regex_replace(text, std::regex(R"((@[a-z-]+)\.[0-9]+)"), "$1.$$PID");
    };
    for (const std::string backend : {"pyinstaller", "nuitka"}) {
        auto r = run_freezer(p.dir.path(), {"plan", "cli", "--backend", backend, "-j", "2"});
        INFO(r.out << r.err);
        REQUIRE(r.code == 0);
        const auto golden = fs::path(FREEZER_SOURCE_DIR) / "tests/golden" / ("plan_cli_" + backend + ".txt");
        if (std::getenv("FREEZER_UPDATE_GOLDEN")) freezer::test::write(golden, normalized(r.out));
        CHECK(normalized(r.out) == freezer::test::read(golden));

        auto j = run_freezer(p.dir.path(), {"plan", "cli", "--backend", backend, "-j", "2", "--json"});
        REQUIRE(j.code == 0);
        CHECK(j.report["action"] == "build");
        CHECK(j.report["steps"].size() >= 1);
        CHECK(j.report["standalone"] == true);
    }
    // A dry run: no packager ran, nothing was installed or recorded.
    CHECK_FALSE(fs::exists(p / "dist"));
    CHECK_FALSE(fs::exists(p / ".freezer/state/cli.json"));
    CHECK_FALSE(fs::exists(p / ".freezer/cache/backends/pyinstaller/cli/launch_cli.py"));
    CHECK(run_freezer(p.dir.path(), {"explain", "cli"}).out.find("no previous build") != std::string::npos);
}

TEST_CASE("freezer check plans every sidecar: what its backend refuses is an error with a location",
          "[integration][plan]") {
    Project p;
    p.edit_yaml("output:\n  tauri: [^\n]*\n", "");  // a Tauri project takes onefile sidecars only
    p.edit_yaml("sidecars:\n", R"(sidecars:
  cli-pex:
    root: cli
    module: greeter
    backend: pex-scie
    mode: onedir
  cli-cosmofy:
    root: cli
    module: greeter
    backend: cosmofy
)");
    const auto yaml = (p / "freezer.yaml").string();
    // A mode the backend does not declare: refused where the mode is written.
    auto r = run_freezer(p.dir.path(), {"check"});
    INFO(r.out << r.err);
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Catch::Contains(yaml + ":23:11: error: sidecars.cli-pex.mode: pex-scie does not build "
                                             "'onedir' (it builds: onefile)"));
    // A layout the backend's plan refuses: found by planning, at the backend line.
    p.edit_yaml("    mode: onedir\n", "");
    r = run_freezer(p.dir.path(), {"check"});
    INFO(r.out << r.err);
    CHECK(r.code == 2);
    CHECK(std::regex_search(r.err, std::regex(yaml + R"(:[0-9]+:[0-9]+: cli-cosmofy: cosmofy cannot build it: )"
                                                     R"(cosmofy builds a project: the sidecar's root needs a pyproject.toml)")));
    CHECK_THAT(r.out, Catch::Contains("sidecar cli: pyinstaller") && Catch::Contains("sidecar cli-pex: pex-scie"));
    CHECK_FALSE(fs::exists(p / "dist"));
}

TEST_CASE("freezer init --from-tauri writes a freezer.yaml naming every sidecar", "[integration]") {
    TempDir dir;
    freezer::test::write(dir / "src-tauri/tauri.conf.json", R"({"bundle": {"externalBin": ["binaries/api", "binaries/cli"]}})");
    auto r = run_freezer(dir.path(), {"init", "--from-tauri", (dir / "src-tauri/tauri.conf.json").string()});
    CHECK(r.code == 0);
    const auto yaml = freezer::test::read(dir / "freezer.yaml");
    CHECK_THAT(yaml, Catch::Contains("tauri: src-tauri/binaries") && Catch::Contains("  api:") && Catch::Contains("  cli:"));
    auto again = run_freezer(dir.path(), {"init", "--from-tauri", (dir / "src-tauri/tauri.conf.json").string()});
    CHECK(again.code == 2);
    CHECK_THAT(again.err, Catch::Contains("already exists"));
}

TEST_CASE("freezer check reports a config error and a missing interpreter in one run", "[integration]") {
    TempDir dir;
    freezer::test::write(dir / "api/main.py", "print('hi')\n");
    freezer::test::write(dir / "freezer.yaml", R"(python: no-such-venv/bin/python
sidecars:
  api:
    root: api
    entry: main.py
  web:
    root: missing
    entry: main.py
)");
    const auto text = run_freezer(dir.path(), {"check"});
    CHECK(text.code == 2);
    CHECK_THAT(text.err, Catch::Contains("error: sidecars.web.root: folder") && Catch::Contains("does not exist"));
    CHECK_THAT(text.err, Catch::Contains("no-such-venv/bin/python' not found"));
    CHECK_THAT(text.err, Catch::Contains("check found 2 problems"));
    const auto j = run_freezer(dir.path(), {"check", "--json"});
    CHECK(j.code == 2);
    REQUIRE(j.report.is_object());
    CHECK(j.report["ok"] == false);
    REQUIRE(j.report["config_errors"].size() == 1);
    CHECK_THAT(j.report["config_errors"][0].get<std::string>(), Catch::Contains("sidecars.web.root"));
    CHECK_THAT(j.report["python"]["problem"].get<std::string>(), Catch::Contains("not found"));
    // With an interpreter that has no PyInstaller: the config error and the readable
    // sidecar's missing tool, together.
    freezer::test::write(dir / "freezer.yaml", std::regex_replace(freezer::test::read(dir / "freezer.yaml"),
                                                                  std::regex("no-such-venv/bin/python"), "/usr/bin/python3"));
    const auto tool = run_freezer(dir.path(), {"check", "--json"});
    CHECK(tool.code == 2);
    REQUIRE(tool.report.is_object());
    CHECK(tool.report["config_errors"].size() == 1);
    REQUIRE(tool.report["sidecars"].size() == 1);
    CHECK(tool.report["sidecars"][0]["sidecar"] == "api");
    CHECK(tool.report["sidecars"][0]["tool_found"] == false);
    // A build still stops at the configuration error.
    const auto build = run_freezer(dir.path(), {"build"});
    CHECK(build.code == 2);
    CHECK_THAT(build.err, Catch::Contains("nothing was built") && !Catch::Contains("not found"));
}

// The issue's case: a Tauri v1 app whose FastAPI sidecar is built by a package.json
// script. `init --from-tauri` must write a freezer.yaml that builds, passes its smoke
// test and installs for Tauri as it is, the interpreter found as the project's .venv.
TEST_CASE("init --from-tauri on a Tauri v1 FastAPI app writes a freezer.yaml that builds and passes its smoke test",
          "[integration][tauri]") {
    TempDir dir;
    const int port = free_port();  // the server's fixed port, as a hard-coded one would be
    freezer::test::write(dir / "package.json", R"({
  "name": "tauri-fastapi",
  "scripts": {
    "dev": "vite",
    "build": "vite build",
    "build:sidecar": "pyinstaller -c -F --clean --name main-x86_64-unknown-linux-gnu src/backends/main.py",
    "tauri": "tauri"
  }
})");
    freezer::test::write(dir / "src-tauri/tauri.conf.json", R"({
  "build": {"beforeBuildCommand": "npm run build", "distDir": "../dist"},
  "tauri": {"bundle": {"active": true, "externalBin": ["bin/backends/main"]}}
})");
    freezer::test::write(dir / "src/backends/main.py", fmt::format(R"(from fastapi import FastAPI
import uvicorn

app = FastAPI()


@app.get("/api/health")
def health():
    return {{"status": "ok"}}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port={})
)", port));
    // The project's venv, where init expects it: the sample apps' one (fastapi, uvicorn,
    // PyInstaller).
    fs::create_directory_symlink(fs::path(FREEZER_APPS_PYTHON).parent_path().parent_path(), dir / ".venv");

    const auto init = run_freezer(dir.path(), {"init", "--from-tauri", "src-tauri/tauri.conf.json"});
    REQUIRE(init.code == 0);
    const auto yaml = freezer::test::read(dir / "freezer.yaml");
    INFO(yaml);
    CHECK_THAT(yaml, !Catch::Contains("TODO"));
    CHECK_THAT(yaml, Catch::Contains("python: .venv/bin/python"));
    CHECK_THAT(yaml, Catch::Contains("root: src/backends") && Catch::Contains("entry: main.py"));
    CHECK_THAT(yaml, Catch::Contains(fmt::format("port: {}", port)) && Catch::Contains("path: /api/health"));

    // The file as written: built by PyInstaller, smoke-tested over HTTP, installed for Tauri.
    const auto build = run_freezer(dir.path(), {"build", "--json"});
    REQUIRE(build.code == 0);
    REQUIRE(build.report.is_object());
    const auto& sc = build.report["sidecars"][0];
    CHECK(sc["sidecar"] == "main");
    CHECK(sc["status"] == "built");
    CHECK(sc["smoke"]["passed"] == true);
    REQUIRE(sc["tauri"].is_string());
    const fs::path copy = sc["tauri"].get<std::string>();
    CHECK(copy.parent_path() == dir / "src-tauri/bin/backends");
    CHECK(copy.filename().string().rfind("main-", 0) == 0);
    CHECK(fs::exists(copy));
}

TEST_CASE("nuitka: one word in freezer.yaml switches the packager; a rebuild reuses ccache",
          "[integration][nuitka]") {
    Project p;
    // Standalone (a folder) here; the whoami example covers onefile. Tauri copies need one file.
    auto yaml = freezer::test::read(p / "freezer.yaml");
    yaml = std::regex_replace(yaml, std::regex("output:\n  tauri: [^\n]*\n"), "");
    yaml = std::regex_replace(yaml, std::regex("    module: greeter"), "    backend: nuitka\n    mode: onedir\n    module: greeter");
    freezer::test::write(p / "freezer.yaml", yaml);

    auto cold = run_freezer(p.dir.path(), {"build", "cli", "--json"});
    REQUIRE(cold.code == 0);
    const auto& c = cold.report["sidecars"][0];
    CHECK(c["backend"] == "nuitka");
    CHECK(c["status"] == "built");
    CHECK(c["smoke"]["passed"] == true);
    CHECK(c["cpu_tokens"].get<int>() >= 1);
    CHECK(c["metrics"]["ccache_misses"].get<long>() > 0);
    CHECK(fs::exists(p / ".freezer/cache/backends/nuitka/ccache"));
    CHECK(run_binary(p / "dist/cli/cli", {"Ada"}).out == "Hello, Ada!\n");
    CHECK_THAT(freezer::test::read(p / ".freezer/logs/cli.log"), Catch::Contains("--mode=standalone"));

    // A one-line change: compiled again, with the unchanged C files from ccache.
    auto main_py = freezer::test::read(p / "cli/greeter/__main__.py");
    freezer::test::write(p / "cli/greeter/__main__.py", std::regex_replace(main_py, std::regex("Hello"), "Hi"));
    auto warm = run_freezer(p.dir.path(), {"build", "cli", "--json"});
    REQUIRE(warm.code == 0);
    const auto& w = warm.report["sidecars"][0];
    CHECK(w["status"] == "built");
    CHECK(w["reason"] == "modified greeter/__main__.py");
    CHECK(w["metrics"]["ccache_hits"].get<long>() > 0);
    CHECK(run_binary(p / "dist/cli/cli", {"Ada"}).out == "Hi, Ada!\n");

    // clean forgets every backend's build: the configured one (dist/cli) and a --backend
    // one (dist/cli@pyinstaller), with their logs and state; packager caches stay.
    REQUIRE(run_freezer(p.dir.path(), {"build", "cli", "--backend", "pyinstaller"}).code == 0);
    REQUIRE(fs::exists(p / "dist/cli@pyinstaller/cli"));
    REQUIRE(fs::exists(p / ".freezer/logs/cli@pyinstaller.log"));
    CHECK(run_freezer(p.dir.path(), {"clean", "--backend", "nuitka", "cli"}).code == 0);
    CHECK_FALSE(fs::exists(p / "dist/cli"));
    CHECK_FALSE(fs::exists(p / ".freezer/logs/cli.log"));
    CHECK_FALSE(fs::exists(p / ".freezer/state/cli@nuitka.json"));
    CHECK(fs::exists(p / "dist/cli@pyinstaller/cli"));  // only Nuitka's build was forgotten
    CHECK(fs::exists(p / ".freezer/state/cli@pyinstaller.json"));
    CHECK(fs::exists(p / ".freezer/cache/backends/nuitka/ccache"));
    CHECK(run_freezer(p.dir.path(), {"clean", "cli"}).code == 0);
    CHECK_FALSE(fs::exists(p / "dist/cli@pyinstaller"));
    CHECK_FALSE(fs::exists(p / ".freezer/logs/cli@pyinstaller.log"));
    CHECK_FALSE(fs::exists(p / ".freezer/state/cli@pyinstaller.json"));
    CHECK_FALSE(fs::exists(p / ".freezer/stage/cli"));
    CHECK(fs::exists(p / ".freezer/cache/backends/nuitka/ccache"));
    CHECK(run_freezer(p.dir.path(), {"clean", "nosuch"}).code == 2);
    // Forgotten means rebuilt (or restored from the artifact cache), never skipped.
    auto again = run_freezer(p.dir.path(), {"build", "cli", "--json"});
    CHECK(again.report["sidecars"][0]["status"] != "skipped");
}

TEST_CASE("the same app frozen by PyInstaller, Nuitka and pex knows which one froze it",
          "[integration][nuitka][pex]") {
    TempDir dir;
    copy_example(kExamples / "whoami", dir / "whoami");  // follows the freezer_runtime link
    REQUIRE(fs::exists(dir / "whoami/freezer_runtime/__init__.py"));
    // The examples' whoami sidecars, without the others.
    auto yaml = freezer::test::read(kExamples / "freezer.yaml");
    const auto at = yaml.find("  whoami-pyinstaller:");
    REQUIRE(at != std::string::npos);
    freezer::test::write(dir / "freezer.yaml",
                         std::string("python: ") + FREEZER_TEST_PYTHON + "\nsidecars:\n" + yaml.substr(at));
    auto r = run_freezer(dir.path(), {"build", "--json"});
    REQUIRE(r.code == 0);
    for (const auto& [sidecar, name] : {std::pair{"whoami-pyinstaller", "pyinstaller"},
                                        std::pair{"whoami-nuitka", "nuitka"}, std::pair{"whoami-pex", "pex"}}) {
        INFO(sidecar);
        CHECK(status_of(r, sidecar) == "built");
        const auto out = run_binary(dir / "dist" / sidecar / sidecar, {});
        CHECK(out.out == std::string("frozen by ") + name + "\ndata files travel with the binary\n");
    }
    // A backend switch on the command line builds into its own folder; switching back skips.
    auto other = run_freezer(dir.path(), {"build", "whoami-pex", "--backend", "pyinstaller", "--json"});
    CHECK(status_of(other, "whoami-pex") == "failed");  // its smoke test expects pex...
    CHECK(fs::exists(dir / "dist/whoami-pex/whoami-pex"));   // ...so the pex build stays
    CHECK_FALSE(fs::exists(dir / "dist/whoami-pex@pyinstaller"));
    auto back = run_freezer(dir.path(), {"build", "whoami-pex", "--json"});
    CHECK(status_of(back, "whoami-pex") == "skipped");

    // `clean --backend` empties that packager's cache only.
    REQUIRE(fs::exists(dir / ".freezer/cache/backends/pex-scie/pex-root"));
    CHECK(run_freezer(dir.path(), {"clean", "--backend", "pex-scie"}).code == 0);
    CHECK_FALSE(fs::exists(dir / ".freezer/cache/backends/pex-scie"));
    CHECK(fs::exists(dir / ".freezer/cache/backends/nuitka"));
    CHECK(fs::exists(dir / "dist/whoami-pex/whoami-pex"));
}

TEST_CASE("a scie that cannot download says which settings make it work offline", "[integration][pex]") {
    Project p;
    freezer::test::write(p / "freezer.yaml", std::string("python: ") + FREEZER_TEST_PYTHON + R"(
sidecars:
  cli:
    root: cli
    module: greeter
    backend: pex-scie
    backends:
      pex-scie: {scie: eager, python_version: "3.11"}
)");
    auto r = run_freezer(p.dir.path(), {"build", "--json"});
    if (r.code == 0) {
        // This machine reached the downloads: then the scie must be a real one.
        WARN("the scie's downloads were reachable; checked the scie instead of the offline error");
        CHECK(run_binary(p / "dist/cli/cli", {"--version"}).out == "greeter 1.2.0\n");
        return;
    }
    CHECK(r.code == 1);
    const auto error = r.report["sidecars"][0]["error"].get<std::string>();
    CHECK_THAT(error, Catch::Contains("backends.pex-scie.science_binary") &&
                          Catch::Contains("backends.pex-scie.assets_base_url"));
}

TEST_CASE("cosmofy: the preflight finds os.sched_getaffinity; a missing download names python_url",
          "[integration][cosmofy]") {
    TempDir dir;
    // Line 1 names it in a comment only: the preflight reads code, so line 2 is the one.
    freezer::test::write(dir / "app/main.py", "import os  # len(os.sched_getaffinity(0)) is what we need\n"
                                              "print('cpus', len(os.sched_getaffinity(0)))\n");
    freezer::test::write(dir / "app/pyproject.toml", "[project]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = []\n");
    const std::string head = std::string("python: ") + FREEZER_TEST_PYTHON +
                             "\nsidecars:\n  app:\n    root: app\n    entry: main.py\n    backend: cosmofy\n";
    const std::string finding = "main.py:2: os.sched_getaffinity() does not exist";
    SECTION("strict: the finding is an error that stops the build, with file:line and the fallback") {
        freezer::test::write(dir / "freezer.yaml", head + "    backends:\n      cosmofy: {strict: true}\n");
        auto r = run_freezer(dir.path(), {"build", "--json"});
        CHECK(r.code == 1);
        CHECK_THAT(r.err, !Catch::Contains("warning: app: main.py"));  // an error, not a warning
        const auto& app = r.report["sidecars"][0];
        CHECK_THAT(app["error"].get<std::string>(),
                   Catch::Contains("preflight") && Catch::Contains("hint: ") && Catch::Contains("strict: false"));
        const auto tail = app["log_tail"].dump();
        CHECK_THAT(tail, Catch::Contains("error: " + finding) && Catch::Contains("os.cpu_count()") &&
                             !Catch::Contains("main.py:1:"));
        // What a user sees: the error line under FAILED, in the end of the log.
        r = run_freezer(dir.path(), {"build"});
        INFO(r.out << r.err);
        CHECK(r.code == 1);
        CHECK_THAT(r.out, Catch::Contains("FAILED") && Catch::Contains("| error: " + finding));
    }
    SECTION("not strict: a warning, then the real cosmofy build") {
        freezer::test::write(dir / "freezer.yaml", head);
        auto r = run_freezer(dir.path(), {"build", "--json"});
        CHECK_THAT(r.err, Catch::Contains("warning: app: " + finding) && !Catch::Contains("main.py:1:"));
        if (r.code == 0) {
            WARN("Cosmopolitan Python could be downloaded here; checked the bundle instead of the offline error");
            CHECK(status_of(r, "app") == "built");
        } else {
            // This machine cannot reach cosmo.zip: the error says which setting fixes it.
            CHECK(r.code == 1);
            CHECK_THAT(r.report["sidecars"][0]["error"].get<std::string>(),
                       Catch::Contains("backends.cosmofy.python_url") && Catch::Contains(".freezer/cache/backends/cosmofy"));
        }
    }
}

// Real scie and cosmofy builds need what pex and cosmofy download (pex's science binary
// and a Python build; Cosmopolitan Python). ctest runs these only when the environment
// names local copies (see tests/CMakeLists.txt); otherwise it reports them skipped.
TEST_CASE("a real scie build from local science and assets", "[downloads][scie]") {
    Project p;
    const char* science = std::getenv("FREEZER_TEST_SCIENCE_BINARY");
    const char* assets = std::getenv("FREEZER_TEST_SCIE_ASSETS_BASE_URL");
    REQUIRE(science);
    std::string opts = std::string("{scie: eager, science_binary: ") + science;
    if (assets) opts += std::string(", assets_base_url: ") + assets;
    freezer::test::write(p / "freezer.yaml", std::string("python: ") + FREEZER_TEST_PYTHON +
                                                 "\nsidecars:\n  cli:\n    root: cli\n    module: greeter\n"
                                                 "    backend: pex-scie\n    smoke: {run: [--version]}\n"
                                                 "    backends:\n      pex-scie: " + opts + "}\n");
    auto r = run_freezer(p.dir.path(), {"build", "--json"});
    REQUIRE(r.code == 0);
    CHECK(r.report["sidecars"][0]["smoke"]["passed"] == true);  // standalone: no venv on PATH
}

TEST_CASE("a real cosmofy build from a local Cosmopolitan Python", "[downloads][cosmofy]") {
    TempDir dir;
    const char* url = std::getenv("FREEZER_TEST_COSMOFY_PYTHON_URL");
    REQUIRE(url);
    freezer::test::write(dir / "app/main.py", "import os\nprint('cpus', os.cpu_count())\n");
    freezer::test::write(dir / "app/pyproject.toml", "[project]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = []\n");
    freezer::test::write(dir / "freezer.yaml", std::string("python: ") + FREEZER_TEST_PYTHON +
                                                   "\nsidecars:\n  app:\n    root: app\n    entry: main.py\n"
                                                   "    backend: cosmofy\n    smoke: {run: [], expect_stdout: '^cpus '}\n"
                                                   "    backends:\n      cosmofy: {python_url: \"" + url + "\"}\n");
    auto r = run_freezer(dir.path(), {"build", "--json"});
    REQUIRE(r.code == 0);
    CHECK(r.report["sidecars"][0]["smoke"]["passed"] == true);
}

TEST_CASE("freezer matrix feeds GitHub Actions; --only builds a cell; --junit reports it", "[integration]") {
    Project p;
    auto yaml = freezer::test::read(p / "freezer.yaml");
    yaml = std::regex_replace(yaml, std::regex("output:\n  tauri: [^\n]*\n"), "");
    freezer::test::write(p / "freezer.yaml", yaml + "matrix:\n  backends: [pyinstaller, pex-scie]\n  exclude: [{sidecar: api, backend: pex-scie}]\n");
    auto m = run_freezer(p.dir.path(), {"matrix"});
    REQUIRE(m.code == 0);
    const auto cells = json::parse(m.out);
    REQUIRE(cells.contains("include"));
    std::vector<std::string> names;
    for (const auto& c : cells["include"]) names.push_back(c["sidecar"].get<std::string>() + ":" + c["backend"].get<std::string>());
    CHECK(names == std::vector<std::string>{"api:pyinstaller", "cli:pyinstaller", "cli:pex-scie"});

    auto b = run_freezer(p.dir.path(), {"build", "--only", "cli:pex-scie", "--junit", (p / "junit.xml").string(), "--json"});
    CHECK(b.code == 0);
    CHECK(status_of(b, "cli") == "built");
    CHECK(fs::exists(p / "dist/cli@pex-scie/cli"));
    const auto xml = freezer::test::read(p / "junit.xml");
    CHECK_THAT(xml, Catch::Contains("<testcase classname=\"cli\" name=\"cli:pex-scie\"") && Catch::Contains("failures=\"0\""));
    CHECK(run_freezer(p.dir.path(), {"build", "--only", "cli"}).code == 2);
}

// End to end: what a sidecar runs on and what its bundle holds. The interpreter's
// environment in the key (a dependency upgraded in place, an editable install edited),
// `freezer trace` on a FastAPI server that loads its services by name, pex requirements
// taken from the environment, and `freezer audit` with a size budget on a numpy tool.
// The sample apps are in tests/apps/; their libraries in .venv-apps (scripts/setup.sh).
#include <catch2/catch.hpp>

#include <regex>

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

const fs::path kApps = fs::path(FREEZER_SOURCE_DIR) / "tests/apps";

ProcessResult run(std::vector<std::string> argv) {
    const auto what = argv.front();
    auto r = run_command(std::move(argv));
    INFO(what << ": " << r.out << r.err);
    return r;
}

std::string yaml_with(const std::string& python, const std::string& sidecars) {
    return fmt::format("version: 1\npython: {}\nsidecars:\n{}", python, sidecars);
}

// The packages of a bundle, as recorded by its last build: name -> bytes.
std::map<std::string, std::uint64_t> bundle_packages(const fs::path& project, const std::string& output) {
    const auto j = json::parse(freezer::test::read(project / ".freezer/state" / (output + ".contents.json")));
    std::map<std::string, std::uint64_t> out;
    for (const auto& e : j.at("entries")) out[e.at("package")] += e.at("bytes").get<std::uint64_t>();
    return out;
}

}  // namespace

TEST_CASE("a dependency upgraded in place or an edited editable install rebuilds, and explain says which",
          "[integration][environment]") {
    TempDir dir;
    // A venv of the app's own: six from a local wheelhouse, an editable library through
    // a .pth, and the packagers of .venv layered in through another .pth.
    const auto venv = dir / "venv";
    REQUIRE(run({"/usr/bin/python3", "-m", "venv", venv.string()}).ok());
    const auto python = (venv / "bin/python").string();
    const auto site = run({python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"});
    REQUIRE(site.ok());
    const fs::path site_dir = site.out.substr(0, site.out.find('\n'));
    const auto packagers = run({FREEZER_TEST_PYTHON, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"});
    freezer::test::write(site_dir / "freezer_packagers.pth", packagers.out);
    freezer::test::write(dir / "mylib/src/mylib/__init__.py", "VALUE = 1\n");
    freezer::test::write(site_dir / "mylib.pth", (dir / "mylib/src").string() + "\n");
    auto pip_install = [&](const std::string& req) {
        REQUIRE(run({python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-index",
                     "--find-links", FREEZER_WHEELHOUSE, req})
                    .ok());
    };
    pip_install("six==1.16.0");

    freezer::test::write(dir / "app/main.py", "import six, mylib\nprint(f'six {six.__version__} mylib {mylib.VALUE}')\n");
    freezer::test::write(dir / "freezer.yaml", yaml_with(python, R"(  app:
    root: app
    entry: main.py
    smoke: {run: [], expect_stdout: "^six \\S+ mylib \\d+$"}
)"));
    auto r = run_freezer(dir.path(), {"build", "--json"});
    REQUIRE(r.code == 0);
    CHECK(run({(dir / "dist/app/app").string()}).out == "six 1.16.0 mylib 1\n");
    CHECK(status_of(run_freezer(dir.path(), {"build", "--json"}), "app") == "skipped");

    // 1. pip install six==1.17.0 into the interpreter freezer.yaml names.
    pip_install("six==1.17.0");
    auto x = run_freezer(dir.path(), {"explain", "app"});
    CHECK_THAT(x.out, Catch::Contains("would build") && Catch::Contains("dependency six: 1.16.0 -> 1.17.0"));
    r = run_freezer(dir.path(), {"build", "-v"});
    CHECK(r.code == 0);
    CHECK_THAT(r.out, Catch::Contains("dependency six: 1.16.0 -> 1.17.0"));
    CHECK(run({(dir / "dist/app/app").string()}).out == "six 1.17.0 mylib 1\n");

    // 2. The editable library's source changes; its version does not.
    freezer::test::write(dir / "mylib/src/mylib/__init__.py", "VALUE = 2\n");
    x = run_freezer(dir.path(), {"explain", "app"});
    CHECK_THAT(x.out, Catch::Contains("editable source modified") && Catch::Contains("mylib/__init__.py"));
    r = run_freezer(dir.path(), {"build", "--json"});
    CHECK(status_of(r, "app") == "built");
    CHECK(run({(dir / "dist/app/app").string()}).out == "six 1.17.0 mylib 2\n");
    CHECK(status_of(run_freezer(dir.path(), {"build", "--json"}), "app") == "skipped");
}

namespace {

struct ServicesProject {
    TempDir dir;
    explicit ServicesProject(const std::string& backend) {
        copy_example(kApps / "services", dir / "services");
        freezer::test::write(dir / "freezer.yaml", yaml_with(FREEZER_APPS_PYTHON, fmt::format(R"(  services:         # a FastAPI server; its services are loaded by name
    root: services
    entry: run_server.py
    backend: {}
    smoke:
      http: {{args: ["--port", "{{port}}"], path: /health, startup_timeout: 120s}}
)", backend)));
    }
    fs::path operator/(const std::string& rel) const { return dir / rel; }
};

}  // namespace

TEST_CASE("FastAPI with PyInstaller and pex: the failed smoke test names what is missing; trace --write fixes it",
          "[integration][environment]") {
    ServicesProject p("pyinstaller");
    const auto original = freezer::test::read(p / "freezer.yaml");

    // Without the trace: each failure says what to add.
    auto r = run_freezer(p.dir.path(), {"build", "--json"});
    REQUIRE(r.code == 1);
    CHECK_THAT(r.report["sidecars"][0]["error"].get<std::string>(),
               Catch::Contains("data: [{src: app/services.json, dest: app}]"));
    freezer::test::write(p / "freezer.yaml",
                         original + "    data: [{src: app/services.json, dest: app}]\n");
    r = run_freezer(p.dir.path(), {"build", "--json"});
    REQUIRE(r.code == 1);
    CHECK_THAT(r.report["sidecars"][0]["error"].get<std::string>(),
               Catch::Contains("could not import 'app.services") && Catch::Contains("hidden_imports: [app.services"));

    // With it: one trace, one build. It compares with the failed build's bundle.
    freezer::test::write(p / "freezer.yaml", original);
    r = run_freezer(p.dir.path(), {"trace", "services", "--write"});
    REQUIRE(r.code == 0);
    CHECK_THAT(r.out, Catch::Contains("pyinstaller: ") && Catch::Contains("its last build"));
    const auto yaml = freezer::test::read(p / "freezer.yaml");
    CHECK_THAT(yaml, Catch::Contains("# a FastAPI server; its services are loaded by name"));  // comments kept
    CHECK_THAT(yaml, Catch::Contains("collect_submodules: [app.services]") &&
                         Catch::Contains("- {src: app/services.json, dest: app}"));
    r = run_freezer(p.dir.path(), {"build", "--json"});
    CHECK(r.code == 0);
    CHECK(status_of(r, "services") == "built");
    CHECK(r.report["sidecars"][0]["smoke"]["passed"] == true);
    r = run_freezer(p.dir.path(), {"trace", "services", "--json"});
    CHECK(r.report["backends"][0]["missing_modules"].empty());
    CHECK(r.report["add"]["hidden_imports"].empty());

    // pex with no requirements written: they come from the environment, without the
    // packagers that share the venv.
    r = run_freezer(p.dir.path(), {"build", "--backend", "pex-scie", "--json"});
    CHECK(r.code == 0);
    CHECK(r.report["sidecars"][0]["smoke"]["passed"] == true);
    const auto log = freezer::test::read(p / ".freezer/logs/services@pex-scie.log");
    CHECK_THAT(log, Catch::Contains("requirements from the environment: ") && Catch::Contains("fastapi==") &&
                        Catch::Contains("uvicorn=="));
    const auto packages = bundle_packages(p.dir.path(), "services@pex-scie");
    CHECK(packages.count("fastapi"));
    CHECK(packages.count("pydantic"));
    for (const char* tool : {"PyInstaller", "nuitka", "pex", "numpy"}) {
        INFO(tool);
        CHECK_FALSE(packages.count(tool));
    }
}

TEST_CASE("FastAPI with Nuitka: trace --write before any build, then one build passes",
          "[integration][environment][nuitka]") {
    ServicesProject p("nuitka");
    // No build yet: trace compares with static import analysis.
    auto r = run_freezer(p.dir.path(), {"trace", "services", "--write"});
    REQUIRE(r.code == 0);
    CHECK_THAT(r.out, Catch::Contains("static import analysis"));
    CHECK_THAT(freezer::test::read(p / "freezer.yaml"), Catch::Contains("collect_submodules: [app.services]"));
    r = run_freezer(p.dir.path(), {"build", "--json"}, {}, std::chrono::minutes(45));  // Nuitka, loaded
    CHECK(r.code == 0);
    CHECK(r.report["sidecars"][0]["smoke"]["passed"] == true);
    // Its compilation report says what went in: trace finds nothing missing.
    r = run_freezer(p.dir.path(), {"trace", "services", "--json"});
    CHECK(r.report["backends"][0]["baseline"].get<std::string>().rfind("its last build", 0) == 0);
    CHECK(r.report["backends"][0]["missing_modules"].empty());
}

TEST_CASE("numpy: max_size fails the build with the numbers; audit shows numpy's share and verifies excludes",
          "[integration][environment]") {
    TempDir dir;
    copy_example(kApps / "numbers", dir / "numbers");
    const auto sidecar = R"(  numbers:
    root: numbers
    entry: main.py
    exclude_modules: [tkinter]
    smoke: {run: [], expect_stdout: "^numbers \\S+ 45$"}
)";
    freezer::test::write(dir / "freezer.yaml", yaml_with(FREEZER_APPS_PYTHON, std::string(sidecar) + "    max_size: 20MB\n"));
    auto r = run_freezer(dir.path(), {"build", "--json"});
    REQUIRE(r.code == 1);
    const auto error = r.report["sidecars"][0]["error"].get<std::string>();
    CHECK_THAT(error, Catch::Contains("over its size budget of 20.0 MB") && Catch::Contains("freezer.yaml:9:") &&
                          Catch::Contains("numpy ("));
    CHECK_FALSE(fs::exists(dir / "dist/numbers"));  // not installed

    // The failed build's bundle can be looked into.
    auto a = run_freezer(dir.path(), {"audit", "numbers", "--json"});
    CHECK(a.code == 1);  // over its budget
    INFO(a.out);
    REQUIRE(a.report.is_object());

    // Within budget: built; numpy's share listed, tkinter verified absent.
    freezer::test::write(dir / "freezer.yaml", yaml_with(FREEZER_APPS_PYTHON, sidecar));
    r = run_freezer(dir.path(), {"build", "--json"});
    REQUIRE(r.code == 0);
    const auto packages = bundle_packages(dir.path(), "numbers@pyinstaller");
    REQUIRE(packages.count("numpy"));
    CHECK(packages.at("numpy") > 5'000'000);
    CHECK_FALSE(packages.count("yaml"));  // the tests' PyYAML is not in the apps' venv
    CHECK_FALSE(packages.count("tkinter"));
    a = run_freezer(dir.path(), {"audit", "numbers"});
    CHECK(a.code == 0);
    CHECK_THAT(a.out, Catch::Contains("numpy") && Catch::Contains("tkinter") && Catch::Contains("absent"));
}

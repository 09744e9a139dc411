#include <catch2/catch.hpp>

#include "plugins/plugin_host.hpp"
#include "plugins/project_check.hpp"
#include "test_support.hpp"

using namespace freezer;
namespace fs = std::filesystem;

namespace {
const fs::path kTestPlugins = FREEZER_TEST_PLUGIN_DIR;
const fs::path kPlugins = FREEZER_PLUGIN_DIR;
}  // namespace

TEST_CASE("a good plugin loads and answers", "[plugin]") {
    auto out = load_plugin(kPlugins / "freezer-backend-pyinstaller.so");
    REQUIRE(out.error.empty());
    REQUIRE(out.backend);
    CHECK(out.backend->name() == "pyinstaller");
    CHECK_FALSE(out.backend->version().empty());
    auto hint = out.backend->abi().install_hint();
    CHECK_THAT(std::get<std::string>(hint), Catch::Contains("pip install pyinstaller"));
}

TEST_CASE("the plugin stays loaded while its backend lives", "[plugin]") {
    std::shared_ptr<LoadedBackend> keep;
    {
        PluginHost host({kPlugins});
        keep = host.find("pyinstaller");
        REQUIRE(keep);
    }  // the host is gone; the backend (and its library) must still work
    CHECK(std::get<std::string>(keep->abi().name()) == "pyinstaller");
}

TEST_CASE("an ABI mismatch is refused, naming the file and both versions", "[plugin]") {
    const auto file = kTestPlugins / "freezer-backend-abi_mismatch.so";
    auto out = load_plugin(file);
    CHECK_FALSE(out.backend);
    CHECK_THAT(out.error, Catch::Contains(file.string()) && Catch::Contains("ABI version 999") &&
                              Catch::Contains("ABI version " + std::to_string(sdk::kAbiVersion)));
}

TEST_CASE("a plugin without its factory symbol is refused", "[plugin]") {
    const auto file = kTestPlugins / "freezer-backend-no_factory.so";
    auto out = load_plugin(file);
    CHECK_FALSE(out.backend);
    CHECK_THAT(out.error, Catch::Contains(file.string()) && Catch::Contains("freezer_backend_create"));
}

TEST_CASE("a file that is not a plugin at all is refused", "[plugin]") {
    freezer::test::TempDir dir;
    freezer::test::write(dir / "freezer-backend-junk.so", "not an ELF file");
    auto out = load_plugin(dir / "freezer-backend-junk.so");
    CHECK_FALSE(out.backend);
    CHECK_THAT(out.error, Catch::Contains("cannot load plugin"));
    PluginHost host({dir.path()});
    CHECK(host.backends().empty());
    CHECK(host.errors().size() == 1);
}

TEST_CASE("a plugin that cannot load says the loader's reason, not an errno", "[plugin]") {
    freezer::test::TempDir dir;
    const auto text = dir / "freezer-backend-text.so";
    const auto empty = dir / "freezer-backend-empty.so";
    const auto loop = dir / "freezer-backend-loop.so";
    freezer::test::write(text, std::string(4096, 'x'));
    freezer::test::write(empty, "");
    fs::create_symlink(loop.filename(), loop);
    const std::pair<fs::path, const char*> cases[] = {
        {text, "invalid ELF header"}, {empty, "file too short"}, {loop, "Too many levels of symbolic links"}};
    for (const auto& [file, reason] : cases) {
        const auto out = load_plugin(file);
        INFO(out.error);
        CHECK_FALSE(out.backend);
        CHECK_THAT(out.error, Catch::StartsWith(file.string() + ": cannot load plugin: ") && Catch::Contains(reason));
        CHECK_THAT(out.error, !Catch::Contains("Bad file descriptor"));
    }
}

TEST_CASE("exceptions thrown in a plugin come back as errors", "[plugin]") {
    auto out = load_plugin(kTestPlugins / "freezer-backend-throwing.so");
    REQUIRE(out.backend);
    const auto& b = *out.backend;
    auto plan = b.abi().plan({});
    REQUIRE(std::holds_alternative<sdk::Failure>(plan));
    CHECK(std::get<sdk::Failure>(plan).message == "plan exploded");
    auto probe = b.abi().probe("python3");
    CHECK(std::get<sdk::Failure>(probe).message == "unknown exception");
    CHECK_THROWS_WITH(unwrap(b, "plan", b.abi().plan({})),
                      Catch::Contains("backend 'throwing'") && Catch::Contains("plan exploded"));
}

TEST_CASE("discovery searches FREEZER_BACKEND_PATH first, first name wins", "[plugin]") {
    ::setenv("FREEZER_BACKEND_PATH", (kTestPlugins.string() + ":/nonexistent").c_str(), 1);
    const auto path = plugin_search_path();
    ::unsetenv("FREEZER_BACKEND_PATH");
    REQUIRE(path.size() >= 2);
    CHECK(path[0] == kTestPlugins);
    CHECK(std::find(path.begin(), path.end(), fs::current_path()) == path.end());
    PluginHost host({kTestPlugins, kPlugins, kPlugins});
    CHECK(host.find("throwing"));
    CHECK(host.find("pyinstaller"));
    CHECK(host.shadowed().size() == PluginHost({kPlugins}).backends().size());  // second copies of the real ones
    CHECK(host.errors().size() == 2);     // abi_mismatch and no_factory
}

TEST_CASE("an unknown backend in freezer.yaml lists the known ones", "[plugin][config]") {
    freezer::test::TempDir dir;
    freezer::test::write(dir / "main.py", "");
    freezer::test::write(dir / "freezer.yaml",
                         "sidecars:\n  api:\n    entry: main.py\n    backend: pyinstaler\n"
                         "    backends:\n      pyinstaller: {spec: 3}\n      nosuch: {jobs: 2}\n");
    auto r = config::load_project(dir / "freezer.yaml");
    REQUIRE(r.project);
    PluginHost host({kPlugins});
    const auto diags = check_backends(*r.project, host);
    REQUIRE(diags.size() == 3);
    CHECK_THAT(config::format_diagnostic(diags[0]),
               Catch::Contains("freezer.yaml:4:14: error: sidecars.api.backend: unknown backend 'pyinstaler'; did you mean 'pyinstaller'? (known: cosmofy, nuitka, pex-scie, pyinstaller"));
    CHECK_THAT(config::format_diagnostic(diags[1]),
               Catch::Contains("6:27: error: sidecars.api.backends.pyinstaller.spec: '3' does not end in .spec"));
    CHECK(diags[2].severity == sdk::Diagnostic::Severity::warning);
    CHECK_THAT(diags[2].message, Catch::Contains("no backend plugin named 'nosuch'"));
}

// A failed smoke test's output, as each packager's binary prints it, turned into what
// to add to freezer.yaml.
#include <catch2/catch.hpp>

#include "engine/smoke_hints.hpp"
#include "test_support.hpp"

using namespace freezer;
using freezer::test::TempDir;
using freezer::test::write;

namespace {
config::Sidecar sidecar() {
    config::Sidecar sc;
    sc.name = "api";
    return sc;
}
}  // namespace

TEST_CASE("a module the analysis missed becomes a hidden_imports hint", "[smoke-hints]") {
    TempDir dir;
    write(dir / "app/services/__init__.py", "");
    // PyInstaller onefile, a module imported by a computed name.
    const std::vector<std::string> out = {
        "Traceback (most recent call last):",
        "  File \"importlib/__init__.py\", line 126, in import_module",
        "ModuleNotFoundError: No module named 'app.services.upper'",
        "[4242] Failed to execute script 'main' due to unhandled exception!"};
    const auto hints = missing_piece_hints(sidecar(), "pyinstaller", out, dir.path());
    REQUIRE(hints.size() == 1);
    CHECK_THAT(hints[0], Catch::Contains("hidden_imports: [app.services.upper]") &&
                             Catch::Contains("sidecars.api.hidden_imports"));
}

TEST_CASE("a third-party module missing from a .pex points to its requirements", "[smoke-hints]") {
    TempDir dir;
    write(dir / "main.py", "import fastapi\n");
    const std::vector<std::string> out = {"  File \"/root/.pex/installed_wheels/.../__main__.py\", line 12",
                                          "ModuleNotFoundError: No module named 'fastapi'"};
    // Requirements from the environment (the default): the module was imported another way.
    const auto from_env = missing_piece_hints(sidecar(), "pex-scie", out, dir.path());
    REQUIRE(from_env.size() == 1);
    CHECK_THAT(from_env[0], Catch::Contains("hidden_imports: [fastapi]") && Catch::Contains("installed"));
    // Requirements written by hand: the list misses it.
    auto listed = sidecar();
    sdk::Option options;
    options.kind = sdk::Option::Kind::map;
    sdk::Option reqs;
    reqs.kind = sdk::Option::Kind::list;
    options.entries.push_back({"requirements", reqs});
    listed.backends["pex-scie"] = options;
    const auto pex = missing_piece_hints(listed, "pex-scie", out, dir.path());
    REQUIRE(pex.size() == 1);
    CHECK_THAT(pex[0], Catch::Contains("backends.pex-scie.requirements"));
    // The app's own module missing from a .pex is still a hidden import.
    write(dir / "app/__init__.py", "");
    const auto own = missing_piece_hints(sidecar(), "pex-scie", {"ModuleNotFoundError: No module named 'app.plugins'"},
                                         dir.path());
    REQUIRE(own.size() == 1);
    CHECK_THAT(own[0], Catch::Contains("hidden_imports: [app.plugins]"));
}

TEST_CASE("a data file missing from the bundle is mapped back to its source", "[smoke-hints]") {
    TempDir dir;
    write(dir / "app/services.json", "{}");
    for (const auto& bundled : {std::string("/tmp/_MEI7Gx1a2/app/services.json"),             // PyInstaller onefile
                                std::string("/tmp/onefile_4242_1700000000_1/app/services.json"),  // Nuitka onefile
                                std::string("/opt/app/dist/api/_internal/app/services.json")}) {  // onedir
        INFO(bundled);
        const auto hints = missing_piece_hints(
            sidecar(), "pyinstaller",
            {"FileNotFoundError: [Errno 2] No such file or directory: '" + bundled + "'"}, dir.path());
        REQUIRE(hints.size() == 1);
        CHECK_THAT(hints[0], Catch::Contains("data: [{src: app/services.json, dest: app}]"));
    }
    // A file that is not in the sources is not the bundle's fault: no hint.
    CHECK(missing_piece_hints(sidecar(), "nuitka",
                              {"FileNotFoundError: [Errno 2] No such file or directory: '/etc/nothing.conf'"}, dir.path())
              .empty());
}

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include "engine/build_state.hpp"
#include "engine/install.hpp"
#include "test_support.hpp"

using namespace freezer;
using freezer::test::TempDir;
using freezer::test::write;
namespace fs = std::filesystem;

namespace {
void executable(const fs::path& p, const std::string& content) {
    write(p, content);
    ::chmod(p.c_str(), 0755);
}
}  // namespace

TEST_CASE("install swaps the new output in and removes the old", "[install]") {
    TempDir dir;
    executable(dir / "build1/api", "v1");
    auto first = install_output(dir / "build1", "api", dir / "dist/api");
    CHECK(first.executable == "api");
    CHECK(freezer::test::read(dir / "dist/api/api") == "v1");
    executable(dir / "build2/api", "v2!");
    write(dir / "build2/extra.txt", "x");
    auto second = install_output(dir / "build2", "api", dir / "dist/api");
    CHECK(freezer::test::read(dir / "dist/api/api") == "v2!");
    CHECK(second.size == 4);
    // Nothing left beside it.
    int entries = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir / "dist")) ++entries;
    CHECK(entries == 1);
}

TEST_CASE("install unwraps a single folder (onedir) and finds the executable", "[install]") {
    TempDir dir;
    executable(dir / "out/cli/cli", "bin");
    write(dir / "out/cli/_internal/lib.so", "lib");
    auto r = install_output(dir / "out", "", dir / "dist/cli");
    CHECK(r.executable == "cli");
    CHECK(fs::exists(dir / "dist/cli/_internal/lib.so"));
}

TEST_CASE("a failed install leaves the previous output in place", "[install]") {
    TempDir dir;
    executable(dir / "good/api", "good");
    install_output(dir / "good", "api", dir / "dist/api");
    SECTION("the build did not make the executable") {
        write(dir / "bad/other", "x");
        CHECK_THROWS_WITH(install_output(dir / "bad", "api", dir / "dist/api"),
                          Catch::Contains("did not produce the executable"));
    }
    SECTION("the output folder is blocked by a file") {
        executable(dir / "new/api", "new");
        write(dir / "blocked", "a file where a folder should be");
        CHECK_THROWS_WITH(install_output(dir / "new", "api", dir / "blocked/api"),
                          Catch::Contains("blocked"));
    }
    CHECK(freezer::test::read(dir / "dist/api/api") == "good");
}

TEST_CASE("an installed output is intact until a file in it changes", "[install]") {
    TempDir dir;
    executable(dir / "b/api", "v1");
    auto r = install_output(dir / "b", "api", dir / "dist/api");
    OutputRecord rec{r.dir, r.executable, r.size, list_output(r.dir)};
    CHECK(output_intact(rec));
    executable(dir / "dist/api/api", "v2");
    CHECK_FALSE(output_intact(rec));
    fs::remove(dir / "dist/api/api");
    CHECK_FALSE(output_intact(rec));
}

#include <catch2/catch.hpp>

#include "inputs/input_set.hpp"
#include "test_support.hpp"

using namespace freezer;
using freezer::test::TempDir;
using freezer::test::write;

TEST_CASE("the input scan selects, excludes, prunes and adds explicit files", "[inputs]") {
    TempDir dir;
    write(dir / "main.py", "x");
    write(dir / "pkg/mod.py", "x");
    write(dir / "pkg/__pycache__/mod.cpython-311.pyc", "x");
    write(dir / "build/gen.py", "x");
    write(dir / "assets/logo.txt", "x");
    write(dir / "assets/sub/more.txt", "x");
    write(dir / "notes.md", "x");
    const GlobSet include({"**/*.py", "uv.lock"});
    const GlobSet exclude({"build/**", "**/__pycache__/**"});
    const auto scan = scan_inputs(dir.path(), include, exclude, {"assets", "missing.txt"});
    std::vector<std::string> paths;
    for (const auto& f : scan.files) paths.push_back(f.path);
    CHECK(paths == std::vector<std::string>{"assets/logo.txt", "assets/sub/more.txt", "main.py",
                                            "pkg/mod.py"});
    CHECK(scan.unmatched_includes == std::vector<std::string>{"uv.lock"});
    CHECK(scan.missing == std::vector<std::string>{"missing.txt"});
}

TEST_CASE("linked folders are inputs too, and a link loop ends", "[inputs]") {
    TempDir dir;
    write(dir / "shared/util.py", "x");
    write(dir / "app/main.py", "x");
    std::filesystem::create_directory_symlink("../shared", dir / "app/shared");
    std::filesystem::create_directory_symlink("..", dir / "app/loop");
    const auto scan = scan_inputs(dir / "app", GlobSet({"**/*.py"}), GlobSet(), {});
    std::vector<std::string> paths;
    for (const auto& f : scan.files) paths.push_back(f.path);
    CHECK(std::find(paths.begin(), paths.end(), "main.py") != paths.end());
    CHECK(std::find(paths.begin(), paths.end(), "shared/util.py") != paths.end());
    CHECK(paths.size() < 10);  // the loop was not followed forever
}

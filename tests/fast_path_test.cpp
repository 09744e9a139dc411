// The PyInstaller fast path with the real PyInstaller: a fast-path build and a full
// build of the same sources hold the same archive entries and the same code
// (tests/pyi_archive_diff.py compares them after unmarshalling), both pass the smoke
// test, and a changed import takes the full path.
#include "integration_support.hpp"

using namespace freezer;
using namespace freezer::itest;

namespace {

const fs::path kArchiveDiff = fs::path(FREEZER_SOURCE_DIR) / "tests/pyi_archive_diff.py";

// Replaces `from` in a file (it must be there).
void edit(const fs::path& file, const std::string& from, const std::string& to) {
    auto text = freezer::test::read(file);
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    freezer::test::write(file, text.replace(at, from.size(), to));
}

json sidecar_report(const Run& r) {
    REQUIRE(r.report.is_object());
    REQUIRE(r.report["sidecars"].size() == 1);
    return r.report["sidecars"][0];
}

// Builds `sidecar` (with --force when asked) and returns its report.
json build(const Project& p, const std::string& sidecar, bool force = false) {
    std::vector<std::string> args = {"build", sidecar, "--json"};
    if (force) args.push_back("--force");
    const auto r = run_freezer(p.dir.path(), args);
    INFO(r.out << r.err);
    REQUIRE(r.code == 0);
    return sidecar_report(r);
}

void same_contents(const fs::path& a, const fs::path& b) {
    const auto d = run_command({FREEZER_TEST_PYTHON, kArchiveDiff.string(), a.string(), b.string()});
    INFO(d.out << d.err);
    CHECK(d.exit_code == 0);
    CHECK_THAT(d.out, Catch::StartsWith("same: "));
}

}  // namespace

TEST_CASE("fast path onefile: the patched binary holds the code a full build makes; a new import builds in full",
          "[integration][fast_path]") {
    Project p;
    auto r = build(p, "api");
    CHECK(r["build_path"] == "full build: no previous build to patch");

    // A module of the app and the entry script; the script's lines all move down.
    edit(p / "api/app/server.py", "Example sidecar HTTP API", "Example sidecar HTTP API, patched");
    edit(p / "api/run_api.py", "\"\"\"Entry point", "# a line on top\n\"\"\"Entry point");
    const auto verbose = run_freezer(p.dir.path(), {"build", "api", "-v"});
    REQUIRE(verbose.code == 0);
    CHECK_THAT(verbose.out, Catch::Contains("fast path: 2 modules recompiled (app/server.py, run_api.py)"));
    CHECK_THAT(verbose.out, Catch::Contains("smoke test passed"));
    const auto help = run_command({(p / "dist/api/api").string(), "--help"});
    CHECK_THAT(help.out, Catch::Contains("Example sidecar HTTP API, patched"));
    fs::copy_file(p / "dist/api/api", p / "fast-api");

    // The same sources, built in full.
    r = build(p, "api", /*force=*/true);
    CHECK(r["fast_path"] == false);
    CHECK(r["smoke"]["passed"] == true);
    same_contents(p / "dist/api/api", p / "fast-api");

    // An edit that adds an import is a full build, and says so.
    edit(p / "api/app/server.py", "import argparse\n", "import argparse\nimport csv\n");
    const auto full = run_freezer(p.dir.path(), {"build", "api", "-v"});
    REQUIRE(full.code == 0);
    CHECK_THAT(full.out, Catch::Contains("full build: imports of app/server.py changed (+csv)"));

    // A data file: full.
    edit(p / "api/app/services.json", "{", "{\n");
    r = build(p, "api");
    CHECK(r["build_path"] == "full build: app/services.json changed, and it is not a Python module");
}

TEST_CASE("fast path onedir: only the executable is new; the folder holds what a full build makes",
          "[integration][fast_path]") {
    Project p;
    p.edit_yaml("output:\n  tauri: [^\n]*\n", "");  // Tauri takes one file; this is a folder
    p.edit_yaml("    module: greeter ", "    module: greeter\n    mode: onedir ");
    auto r = build(p, "cli");
    CHECK(r["build_path"] == "full build: no previous build to patch");

    edit(p / "cli/greeter/__init__.py", "1.2.0", "1.3.0");
    edit(p / "cli/greeter/__main__.py", "Hello, {args.name}!", "Hello there, {args.name}!");
    r = build(p, "cli");
    CHECK(r["fast_path"] == true);
    CHECK(r["build_path"] == "fast path: 2 modules recompiled (greeter/__init__.py, greeter/__main__.py)");
    CHECK(r["smoke"]["passed"] == true);
    CHECK(run_command({(p / "dist/cli/cli").string(), "--version"}).out == "greeter 1.3.0\n");
    CHECK(run_command({(p / "dist/cli/cli").string(), "you"}).out == "Hello there, you!\n");
    fs::copy(p / "dist/cli", p / "fast-cli", fs::copy_options::recursive | fs::copy_options::copy_symlinks);

    r = build(p, "cli", /*force=*/true);
    CHECK(r["fast_path"] == false);
    same_contents(p / "dist/cli", p / "fast-cli");
}

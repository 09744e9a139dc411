#include <catch2/catch.hpp>

#include <freezer/config.hpp>

#include "tauri_init.hpp"
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

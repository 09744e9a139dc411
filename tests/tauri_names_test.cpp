// The names Tauri's bundler looks for in src-tauri/binaries/: <sidecar>-<target triple>,
// and .exe on Windows, for every platform Tauri ships sidecars on.
#include <catch2/catch.hpp>

#include "engine/layout.hpp"
#include "plugins/toolchain.hpp"

using namespace freezer;

TEST_CASE("Tauri names a sidecar <name>-<triple> on each platform, with .exe on Windows", "[tauri]") {
    CHECK(tauri_sidecar_name("api", "x86_64-unknown-linux-gnu") == "api-x86_64-unknown-linux-gnu");
    CHECK(tauri_sidecar_name("api", "aarch64-unknown-linux-gnu") == "api-aarch64-unknown-linux-gnu");
    CHECK(tauri_sidecar_name("api", "x86_64-unknown-linux-musl") == "api-x86_64-unknown-linux-musl");
    CHECK(tauri_sidecar_name("api", "x86_64-apple-darwin") == "api-x86_64-apple-darwin");
    CHECK(tauri_sidecar_name("api", "aarch64-apple-darwin") == "api-aarch64-apple-darwin");
    CHECK(tauri_sidecar_name("api", "universal-apple-darwin") == "api-universal-apple-darwin");
    CHECK(tauri_sidecar_name("api", "x86_64-pc-windows-msvc") == "api-x86_64-pc-windows-msvc.exe");
    CHECK(tauri_sidecar_name("api", "aarch64-pc-windows-msvc") == "api-aarch64-pc-windows-msvc.exe");
    CHECK(tauri_sidecar_name("api", "i686-pc-windows-msvc") == "api-i686-pc-windows-msvc.exe");
    CHECK(tauri_sidecar_name("my-cli", "x86_64-pc-windows-gnu") == "my-cli-x86_64-pc-windows-gnu.exe");
}

TEST_CASE("the Tauri copy goes into output.tauri under that name", "[tauri]") {
    config::Project project;
    project.dir = "/p";
    project.cache_dir = "/p/.freezer/cache";
    project.output_dir = "/p/dist";
    CHECK(Layout(project).tauri_copy("api", "x86_64-unknown-linux-gnu").empty());  // no output.tauri
    project.tauri_dir = std::filesystem::path("/p/src-tauri/binaries");
    const Layout with_tauri(project);
    CHECK(with_tauri.tauri_copy("api", "x86_64-pc-windows-msvc") == "/p/src-tauri/binaries/api-x86_64-pc-windows-msvc.exe");
    CHECK(with_tauri.tauri_copy("api", "aarch64-apple-darwin") == "/p/src-tauri/binaries/api-aarch64-apple-darwin");
}

TEST_CASE("this machine's own triple is one Tauri knows", "[tauri]") {
    const auto triple = host_triple();
    INFO(triple);
#if defined(__linux__) && defined(__x86_64__) && defined(__GLIBC__)
    CHECK(triple == "x86_64-unknown-linux-gnu");
#endif
    CHECK(triple.find("unknown-unknown") == std::string::npos);
    CHECK(tauri_sidecar_name("api", triple).find(".exe") == std::string::npos);
}

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include <fmt/format.h>

#include <freezer/config.hpp>

#include "cache/artifact_cache.hpp"
#include "util/sha256.hpp"
#include "test_support.hpp"

using namespace freezer;
using freezer::test::TempDir;
using freezer::test::write;
namespace fs = std::filesystem;

namespace {

// An "installed output": an executable, a data file, a link between them.
fs::path make_output(const fs::path& dir, const std::string& content) {
    write(dir / "app", "#!/bin/sh\necho " + content + "\n");
    ::chmod((dir / "app").c_str(), 0755);
    write(dir / "_internal/data.txt", "data " + content);
    fs::create_symlink("../app", dir / "_internal/app-link");
    return dir;
}

Manifest manifest(const std::string& key) {
    Manifest m;
    m.key = key;
    m.sidecar = "api";
    m.backend = "pyinstaller";
    m.created_at = "2026-11-22T00:00:00Z";
    m.executable = "app";
    return m;
}

std::string key_of(int i) { return fmt::format("{:032x}", i + 1); }

void set_mtime(const fs::path& p, std::time_t when) {
    timespec times[2] = {{when, 0}, {when, 0}};
    ::utimensat(AT_FDCWD, p.c_str(), times, 0);
}

}  // namespace

TEST_CASE("an output stored under its key comes back identical", "[artifact-cache]") {
    TempDir dir;
    ArtifactCache cache(dir / "cache", 1'000'000);
    const auto stored = cache.store(manifest(key_of(1)), make_output(dir / "out", "one"));
    CHECK(stored.files.size() == 3);
    CHECK(stored.size == fs::file_size(dir / "out/app") + fs::file_size(dir / "out/_internal/data.txt"));

    const auto found = cache.lookup(key_of(1));
    REQUIRE(found);
    CHECK(found->files.size() == 3);
    CHECK_FALSE(cache.lookup(key_of(2)));
    REQUIRE_NOTHROW(cache.restore(*found, dir / "restored"));
    CHECK(test::read(dir / "restored/app") == test::read(dir / "out/app"));
    CHECK(::access((dir / "restored/app").c_str(), X_OK) == 0);
    CHECK(test::read(dir / "restored/_internal/data.txt") == "data one");
    CHECK(fs::read_symlink(dir / "restored/_internal/app-link") == "../app");
}

TEST_CASE("a damaged blob is detected on restore, the entry is removed and counts as a miss", "[artifact-cache]") {
    TempDir dir;
    ArtifactCache cache(dir / "cache", 1'000'000);
    const auto m = cache.store(manifest(key_of(1)), make_output(dir / "out", "one"));
    const auto& data = *std::find_if(m.files.begin(), m.files.end(), [](auto& f) { return f.path == "_internal/data.txt"; });
    const auto blob = cache.blob_path(data.sha256);
    fs::permissions(blob, fs::perms::owner_write, fs::perm_options::add);

    SECTION("a flipped byte") {
        std::fstream f(blob, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(2);
        f.put('X');
    }
    SECTION("truncated") { fs::resize_file(blob, 3); }

    const auto found = cache.lookup(key_of(1));
    REQUIRE(found);
    CHECK_THROWS_WITH(cache.restore(*found, dir / "restored"),
                      Catch::Contains("_internal/data.txt") && Catch::Contains("checksum"));
    CHECK_FALSE(fs::exists(dir / "restored"));
    CHECK_FALSE(cache.lookup(key_of(1)));
    CHECK_FALSE(fs::exists(blob));
}

TEST_CASE("a manifest that still parses but was altered fails its checksum", "[artifact-cache]") {
    TempDir dir;
    ArtifactCache cache(dir / "cache", 1'000'000);
    cache.store(manifest(key_of(1)), make_output(dir / "out", "one"));
    const auto file = dir / "cache/ac" / (key_of(1) + ".json");
    auto text = test::read(file);
    const auto pos = text.find("\"pyinstaller\"");
    REQUIRE(pos != std::string::npos);
    text.replace(pos, 13, "\"pyinstallex\"");
    write(file, text);
    CHECK_THROWS_WITH(cache.lookup(key_of(1)), Catch::Contains("damaged") && Catch::Contains("checksum"));
    CHECK_FALSE(cache.lookup(key_of(1)));
    CHECK_FALSE(fs::exists(file));
}

TEST_CASE("a manifest cannot point outside the output", "[artifact-cache]") {
    Manifest m = manifest(key_of(1));
    m.files.push_back({"../../etc/evil", std::string(64, 'a'), std::string(32, 'b'), 1, false, ""});
    CHECK_THROWS_WITH(Manifest::parse(m.to_text()), Catch::Contains("unsafe path"));
    Manifest l = manifest(key_of(1));
    l.files.push_back({"bin/link", "", "", 0, false, "../../../etc/passwd"});
    CHECK_THROWS_WITH(Manifest::parse(l.to_text()), Catch::Contains("outside"));
}

TEST_CASE("prune keeps the most recently used entries within max_size", "[artifact-cache]") {
    TempDir dir;
    ArtifactCache cache(dir / "cache", 2500);
    for (int i = 0; i < 5; ++i) {
        const auto out = dir / fmt::format("out{}", i);
        write(out / "app", std::string(1000, static_cast<char>('a' + i)));
        cache.store(manifest(key_of(i)), out);
        set_mtime(dir / "cache/ac" / (key_of(i) + ".json"), 1'700'000'000 + i * 60);
    }
    // Entry 0 was used last: a restore makes it the newest.
    REQUIRE_NOTHROW(cache.restore(*cache.lookup(key_of(0)), dir / "r0"));

    const auto r = cache.prune();
    CHECK(r.entries_removed == 3);
    CHECK(r.blobs_removed == 3);
    CHECK(r.bytes_freed == 3000);
    CHECK(cache.lookup(key_of(0)));
    CHECK(cache.lookup(key_of(4)));
    for (int i : {1, 2, 3}) CHECK_FALSE(cache.lookup(key_of(i)));
    const auto st = cache.stats();
    CHECK(st.entries == 2);
    CHECK(st.blobs == 2);
    CHECK(st.bytes <= 2500);
    CHECK(st.list.front().key == key_of(0));

    // max_size 0 keeps nothing.
    CHECK(cache.prune(0).entries_removed == 2);
    CHECK(cache.stats().bytes == 0);
}

TEST_CASE("prune sweeps temp files whose writer is gone, never one being written", "[artifact-cache]") {
    TempDir dir;
    ArtifactCache cache(dir / "cache", 1'000'000);
    auto live = cache.temp_file();  // held by this process
    write(dir / "cache/tmp/123-0-dead", "left by a killed freezer");
    const auto r = cache.prune();
    CHECK(r.temps_swept == 1);
    CHECK(fs::exists(live.path));
    CHECK_FALSE(fs::exists(dir / "cache/tmp/123-0-dead"));
    cache.discard(live);
}

TEST_CASE("blobs are shared between entries and survive while one entry uses them", "[artifact-cache]") {
    TempDir dir;
    ArtifactCache cache(dir / "cache", 1'000'000);
    write(dir / "a/app", "same bytes");
    write(dir / "b/app", "same bytes");
    write(dir / "b/extra", "more");
    cache.store(manifest(key_of(1)), dir / "a");
    cache.store(manifest(key_of(2)), dir / "b");
    CHECK(cache.stats().blobs == 2);
    set_mtime(dir / "cache/ac" / (key_of(1) + ".json"), 1'700'000'000);
    // 15 bytes: entry 2 takes 14, and entry 1 adds nothing (its one file is entry 2's).
    CHECK(cache.prune(15).entries_removed == 0);
    cache.remove_entry(key_of(2));
    const auto r = cache.prune();
    CHECK(r.blobs_removed == 1);  // "more"; "same bytes" is still entry 1's
    REQUIRE(cache.lookup(key_of(1)));
    CHECK_NOTHROW(cache.restore(*cache.lookup(key_of(1)), dir / "r"));
    CHECK(test::read(dir / "r/app") == "same bytes");
}

TEST_CASE("sizes in freezer.yaml", "[config]") {
    CHECK(config::parse_size("5GB") == 5'000'000'000ULL);
    CHECK(config::parse_size("500MB") == 500'000'000ULL);
    CHECK(config::parse_size("1.5 GiB") == 1'610'612'736ULL);
    CHECK(config::parse_size("1048576") == 1'048'576ULL);
    CHECK(config::parse_size("0") == 0ULL);
    CHECK_FALSE(config::parse_size("lots"));
    CHECK_FALSE(config::parse_size("5 parsecs"));
}

TEST_CASE("SHA-256 is the standard one", "[artifact-cache]") {
    CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("a manifest's contents are optional, and nothing else is", "[artifact-cache]") {
    // Stored before bundle listings existed: no "contents", still a hit.
    Manifest old = manifest(key_of(1));
    const auto parsed = Manifest::parse(old.to_text());
    CHECK(parsed.contents.is_null());
    Manifest with = manifest(key_of(1));
    with.contents = {{"entries", nlohmann::json::array()}, {"key", "k"}};
    CHECK(Manifest::parse(with.to_text()).contents == with.contents);

    // A field missing under a valid checksum (a server's manifest) is still an error.
    auto j = nlohmann::json::parse(old.to_text());
    j.erase("checksum");
    j.erase("size");
    j["checksum"] = sha256_hex(j.dump());
    CHECK_THROWS_WITH(Manifest::parse(j.dump()), Catch::Contains("malformed"));
}

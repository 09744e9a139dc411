#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>

#include "inputs/stat_cache.hpp"
#include "test_support.hpp"

using namespace freezer;
using freezer::test::TempDir;
using freezer::test::write;

namespace {

FileStat stat_of(const std::filesystem::path& p) {
    struct stat st;
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return FileStat::from(st);
}

// Sets mtime `seconds` away from now (negative: the past).
void set_mtime(const std::filesystem::path& p, int seconds) {
    timespec times[2];
    clock_gettime(CLOCK_REALTIME, &times[0]);
    times[0].tv_sec += seconds;
    times[1] = times[0];
    REQUIRE(::utimensat(AT_FDCWD, p.c_str(), times, 0) == 0);
}

}  // namespace

TEST_CASE("an unchanged file is not read again", "[stat_cache]") {
    TempDir dir;
    const auto f = dir / "a.py";
    write(f, "print(1)\n");
    set_mtime(f, -10);
    Hash128 first;
    {
        StatCache cache(dir / "cache");
        first = *cache.hash("a.py", f, stat_of(f));
        CHECK(cache.files_read() == 1);
        cache.save();
    }
    StatCache cache(dir / "cache");
    CHECK(*cache.hash("a.py", f, stat_of(f)) == first);
    CHECK(cache.files_read() == 0);
}

TEST_CASE("a changed file is re-hashed even when size and mtime are restored", "[stat_cache]") {
    TempDir dir;
    const auto f = dir / "a.py";
    write(f, "print(1)\n");
    set_mtime(f, -10);
    const auto before = stat_of(f);
    Hash128 first;
    {
        StatCache cache(dir / "cache");
        first = *cache.hash("a.py", f, before);
        cache.save();
    }
    write(f, "print(2)\n");  // same size
    timespec times[2] = {{before.mtime_ns / 1000000000, before.mtime_ns % 1000000000},
                         {before.mtime_ns / 1000000000, before.mtime_ns % 1000000000}};
    REQUIRE(::utimensat(AT_FDCWD, f.c_str(), times, 0) == 0);
    StatCache cache(dir / "cache");
    const auto second = *cache.hash("a.py", f, stat_of(f));  // ctime moved
    CHECK(cache.files_read() == 1);
    CHECK_FALSE(second == first);
}

TEST_CASE("racy entries (mtime not older than the scan) are re-hashed", "[stat_cache]") {
    TempDir dir;
    const auto f = dir / "a.py";
    write(f, "print(1)\n");
    set_mtime(f, +5);  // as if written in the same tick the previous scan began, or later
    {
        StatCache cache(dir / "cache");
        cache.hash("a.py", f, stat_of(f));
        cache.save();
    }
    for (int run = 0; run < 2; ++run) {
        StatCache cache(dir / "cache");
        cache.hash("a.py", f, stat_of(f));
        CHECK(cache.files_read() == 1);  // never trusted while its mtime is that new
        cache.save();
    }
}

TEST_CASE("an entry not looked up keeps its racy verdict across saves", "[stat_cache]") {
    TempDir dir;
    const auto racy = dir / "racy.py";
    const auto other = dir / "other.py";
    write(racy, "x");
    write(other, "y");
    set_mtime(other, -10);
    {
        StatCache cache(dir / "cache");
        cache.hash("racy.py", racy, stat_of(racy));  // mtime ~ now: racy
        cache.save();
    }
    {
        StatCache cache(dir / "cache");
        cache.hash("other.py", other, stat_of(other));  // racy.py not looked up
        cache.save();
    }
    StatCache cache(dir / "cache");
    cache.hash("racy.py", racy, stat_of(racy));
    CHECK(cache.files_read() == 1);
}

TEST_CASE("a damaged stat cache is dropped with a warning, never trusted", "[stat_cache]") {
    TempDir dir;
    const auto f = dir / "a.py";
    write(f, "print(1)\n");
    set_mtime(f, -10);
    {
        StatCache cache(dir / "cache");
        cache.hash("a.py", f, stat_of(f));
        cache.save();
    }
    auto bytes = freezer::test::read(dir / "cache");
    SECTION("a flipped byte") { bytes[bytes.size() / 2] ^= 0x40; }
    SECTION("truncated") { bytes.resize(bytes.size() - 9); }
    write(dir / "cache", bytes);
    StatCache cache(dir / "cache");
    CHECK_THAT(cache.warning(), Catch::Contains("re-hashed"));
    cache.hash("a.py", f, stat_of(f));
    CHECK(cache.files_read() == 1);
}

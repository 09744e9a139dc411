// XXH3-128 digests: of bytes, of files, and as a streaming hasher for the cache key.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <xxhash.h>

namespace freezer {

struct Hash128 {
    std::uint64_t high = 0;
    std::uint64_t low = 0;
    bool operator==(const Hash128&) const = default;
    std::string hex() const;  // 32 lower-case hex digits, high half first
    static std::optional<Hash128> from_hex(std::string_view text);
};

Hash128 hash_bytes(std::string_view bytes);
// Hashes a file's content; nullopt (and errno kept) when it cannot be read.
std::optional<Hash128> hash_file(const std::filesystem::path& path);

// Streaming XXH3-128 of raw bytes: the one reader behind hash_file, staging and the
// artifact cache's integrity check.
class Xxh3Stream {
public:
    Xxh3Stream();
    ~Xxh3Stream();
    Xxh3Stream(const Xxh3Stream&) = delete;
    Xxh3Stream& operator=(const Xxh3Stream&) = delete;
    void update(const void* data, std::size_t size);
    Hash128 digest() const;

private:
    XXH3_state_t* state_;
};

// Streaming XXH3-128 of fields. Fields are written length-prefixed so that ("ab","c") and
// ("a","bc") never collide.
class Hasher {
public:
    Hasher();
    ~Hasher();
    Hasher(const Hasher&) = delete;
    Hasher& operator=(const Hasher&) = delete;
    Hasher& field(std::string_view bytes);
    Hasher& field(const Hash128& h);
    Hash128 digest() const;

private:
    XXH3_state_t* state_;
};

}  // namespace freezer

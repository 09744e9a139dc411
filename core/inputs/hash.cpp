#include "inputs/hash.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <new>

#include "util/fd.hpp"

namespace freezer {

namespace {
Hash128 from_xxh(XXH128_hash_t h) { return {h.high64, h.low64}; }
}  // namespace

std::string Hash128::hex() const {
    char buf[33];
    std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(high),
                  static_cast<unsigned long long>(low));
    return buf;
}

std::optional<Hash128> Hash128::from_hex(std::string_view text) {
    if (text.size() != 32) return std::nullopt;
    Hash128 h;
    for (std::size_t i = 0; i < 32; ++i) {
        const char c = text[i];
        int v;
        if (c >= '0' && c <= '9') v = c - '0';
        else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
        else return std::nullopt;
        auto& half = i < 16 ? h.high : h.low;
        half = (half << 4) | static_cast<std::uint64_t>(v);
    }
    return h;
}

Hash128 hash_bytes(std::string_view bytes) {
    return from_xxh(XXH3_128bits(bytes.data(), bytes.size()));
}

std::optional<Hash128> hash_file(const std::filesystem::path& path) {
    const Fd fd = open_fd(path, O_RDONLY);
    if (!fd) return std::nullopt;
    Xxh3Stream h;
    if (!for_each_chunk(fd.get(), [&](const char* d, std::size_t n) { h.update(d, n); })) return std::nullopt;
    return h.digest();
}

Xxh3Stream::Xxh3Stream() : state_(XXH3_createState()) {
    if (!state_) throw std::bad_alloc();
    XXH3_128bits_reset(state_);
}
Xxh3Stream::~Xxh3Stream() { XXH3_freeState(state_); }
void Xxh3Stream::update(const void* data, std::size_t size) { XXH3_128bits_update(state_, data, size); }
Hash128 Xxh3Stream::digest() const { return from_xxh(XXH3_128bits_digest(state_)); }

Hasher::Hasher() : state_(XXH3_createState()) {
    if (!state_) throw std::bad_alloc();
    XXH3_128bits_reset(state_);
}
Hasher::~Hasher() { XXH3_freeState(state_); }

Hasher& Hasher::field(std::string_view bytes) {
    const std::uint64_t n = bytes.size();
    XXH3_128bits_update(state_, &n, sizeof n);
    XXH3_128bits_update(state_, bytes.data(), bytes.size());
    return *this;
}

Hasher& Hasher::field(const Hash128& h) {
    const std::uint64_t parts[2] = {h.high, h.low};
    XXH3_128bits_update(state_, parts, sizeof parts);
    return *this;
}

Hash128 Hasher::digest() const { return from_xxh(XXH3_128bits_digest(state_)); }

}  // namespace freezer

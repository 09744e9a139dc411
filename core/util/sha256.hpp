// SHA-256 (OpenSSL), lower-case hex: the names of blobs in the artifact caches, because
// the remote protocol (Bazel's HTTP cache) names content by it.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace freezer {

std::string sha256_hex(std::string_view bytes);
std::optional<std::string> sha256_file(const std::filesystem::path& path);

// Incremental SHA-256, for downloads hashed as they arrive.
class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;
    void update(const void* data, std::size_t size);
    std::string hex();  // once

private:
    void* ctx_;
};

}  // namespace freezer

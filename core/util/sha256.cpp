#include "util/sha256.hpp"

#include <fcntl.h>

#include <stdexcept>

#include <fmt/format.h>
#include <openssl/evp.h>

#include "util/fd.hpp"

namespace freezer {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_ || EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("OpenSSL cannot compute SHA-256");
}
Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }
void Sha256::update(const void* data, std::size_t size) {
    EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data, size);
}
std::string Sha256::hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), md, &n);
    std::string out;
    out.reserve(n * 2);
    for (unsigned i = 0; i < n; ++i) out += fmt::format("{:02x}", md[i]);
    return out;
}

std::string sha256_hex(std::string_view bytes) {
    Sha256 h;
    h.update(bytes.data(), bytes.size());
    return h.hex();
}

std::optional<std::string> sha256_file(const std::filesystem::path& path) {
    const Fd fd = open_fd(path, O_RDONLY);
    if (!fd) return std::nullopt;
    Sha256 h;
    if (!for_each_chunk(fd.get(), [&](const char* d, std::size_t n) { h.update(d, n); })) return std::nullopt;
    return h.hex();
}

}  // namespace freezer

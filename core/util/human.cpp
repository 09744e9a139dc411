#include "util/human.hpp"

#include <fmt/format.h>

namespace freezer {

std::string human_size(std::uint64_t bytes) {
    if (bytes < 1000) return fmt::format("{} B", bytes);
    if (bytes < 1000 * 1000) return fmt::format("{:.1f} kB", bytes / 1e3);
    if (bytes < 1000ULL * 1000 * 1000) return fmt::format("{:.1f} MB", bytes / 1e6);
    return fmt::format("{:.2f} GB", bytes / 1e9);
}

std::string human_duration(std::chrono::milliseconds ms) {
    const auto n = ms.count();
    if (n < 1000) return fmt::format("{}ms", n);
    if (n < 60000) return fmt::format("{:.1f}s", n / 1000.0);
    return fmt::format("{}m{:02}s", n / 60000, (n / 1000) % 60);
}

}  // namespace freezer

// Sizes and durations in words, for output and error messages.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace freezer {

// Decimal units, as freezer.yaml's sizes are ("5GB" is 5 000 000 000 bytes): "7.3 MB".
std::string human_size(std::uint64_t bytes);
// "850ms", "7.2s", "4m30s"
std::string human_duration(std::chrono::milliseconds ms);

}  // namespace freezer

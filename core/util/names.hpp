// File names as text. A Linux file name is any byte string without '/' or NUL: it may
// hold a newline or bytes that are not UTF-8. freezer stores names in line-based files
// and in JSON (which must be UTF-8), and prints them on one line, so each name goes
// through escape_name() on its way out and unescape_name() on its way back.
//
// The escaped form is valid UTF-8 without control characters; a name that is valid
// UTF-8 without '\' or control characters (nearly every name) is left as it is:
//   '\' -> "\\", newline -> "\n", tab -> "\t", CR -> "\r",
//   any other control character, DEL, or byte not part of valid UTF-8 -> "\xHH".
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace freezer {

std::string escape_name(std::string_view name);
// The bytes escape_name() was given; nullopt for text it cannot have produced.
std::optional<std::string> unescape_name(std::string_view text);

}  // namespace freezer

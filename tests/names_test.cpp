#include <catch2/catch.hpp>

#include "util/names.hpp"

using namespace freezer;

TEST_CASE("file names escape to one line of UTF-8 and come back byte for byte", "[names]") {
    CHECK(escape_name("app/server.py") == "app/server.py");
    CHECK(escape_name("app/caf\xc3\xa9.py") == "app/caf\xc3\xa9.py");  // valid UTF-8 stays
    CHECK(escape_name("bad\xff.py") == "bad\\xff.py");
    CHECK(escape_name("new\nline.py") == "new\\nline.py");
    CHECK(escape_name("a\\b\tc\r\x01\x7f") == "a\\\\b\\tc\\r\\x01\\x7f");
    CHECK(escape_name("\xc0\xaf") == "\\xc0\\xaf");          // an overlong '/'
    CHECK(escape_name("\xed\xa0\x80") == "\\xed\\xa0\\x80");  // a surrogate
    CHECK(escape_name("\xe2\x82") == "\\xe2\\x82");          // cut short
    std::string every;
    for (int c = 1; c < 256; ++c) every += static_cast<char>(c);
    for (const std::string& name : {every, std::string("x\xf0\x9f\x98\x80y"), std::string("\\x41"), std::string()}) {
        const auto escaped = escape_name(name);
        CHECK(escaped.find('\n') == std::string::npos);
        CHECK(unescape_name(escaped) == name);
    }
    CHECK_FALSE(unescape_name("trailing\\"));
    CHECK_FALSE(unescape_name("bad\\q"));
    CHECK_FALSE(unescape_name("short\\x4"));
    CHECK_FALSE(unescape_name("nothex\\xzz"));
}

#include <catch2/catch.hpp>

#include <freezer/backend_util.hpp>

using namespace freezer::sdk;

TEST_CASE("the SDK's quoting gives literals Python and JSON read back", "[sdk]") {
    CHECK(util::python_string("a\"b\\c\nd") == R"("a\"b\\c\nd")");
    CHECK(util::python_string("caf\xc3\xa9\x01") == "\"caf\xc3\xa9\\x01\"");
    CHECK(util::json_string("a\"b\\c\nd\x1f") == R"("a\"b\\c\nd\u001f")");
    CHECK(util::toml_string("x = \"y\"") == R"("x = \"y\"")");
}

TEST_CASE("the SDK's steps and validation helpers", "[sdk]") {
    const auto launcher = util::module_launcher("pkg.app", "/w/launch.py");
    CHECK(launcher.kind == Step::Kind::write_file);
    CHECK(launcher.path == "/w/launch.py");
    CHECK(launcher.content == "import runpy\nrunpy.run_module(\"pkg.app\", run_name=\"__main__\", alter_sys=True)\n");
    const auto remove = util::remove_step("/w/build");
    CHECK(remove.kind == Step::Kind::remove);
    CHECK(remove.description == "remove /w/build");

    Option options;
    options.kind = Option::Kind::map;
    Option yes;
    yes.kind = Option::Kind::scalar;
    yes.scalar = "maybe";
    options.entries.push_back({"strict", yes});
    options.entries.push_back({"stirct", yes});
    const auto diags = util::validate_keys(options, "tool", {"strict"},
                                           [](const std::string&, const Option& v, std::vector<Diagnostic>& out) {
                                               if (!util::as_bool(v)) out.push_back(util::error_at(v, "expected true or false"));
                                           });
    REQUIRE(diags.size() == 2);
    CHECK(diags[0].message == "expected true or false");
    CHECK_THAT(diags[1].message, Catch::Contains("unknown tool option 'stirct'"));
    CHECK(util::distribution_probe("/py", "cx-Freeze").argv.back() == "cx-Freeze");
}

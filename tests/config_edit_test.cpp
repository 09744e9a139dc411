#include <catch2/catch.hpp>

#include <freezer/config_edit.hpp>

using namespace freezer;
using config::ListAddition;

namespace {

config::EditResult add(const std::string& text, const std::string& sidecar, const std::vector<ListAddition>& adds) {
    return config::add_to_sidecar_lists(text, sidecar, adds);
}

// `text` with `insert` put in just before the first occurrence of `before`: what an edit
// that touches nothing else must give.
std::string inserted(const std::string& text, const std::string& before, const std::string& insert) {
    const auto at = text.find(before);
    REQUIRE(at != std::string::npos);
    return text.substr(0, at) + insert + text.substr(at);
}

const char* kProject = R"(# The sidecars of the app.
version: 1
python: .venv/bin/python    # made by scripts/setup.sh
defaults:
  backend: pyinstaller
sidecars:
  api:
    root: api
    entry: run_api.py
    hidden_imports: [app.services.upper]   # imported by name at run time
    exclude_modules: []
    data:
      - {src: app/services.json, dest: app}
    smoke:
      http: {args: ["--port", "{port}"], path: /api/health}

  # The command-line tool: a module, run as python -m greeter.
  # It has no hidden imports yet.
  cli:
    root: cli
    module: greeter          # runs greeter/__main__.py
    collect_submodules:
      - greeter.plugins
    smoke:
      run: ["--version"]
      expect_stdout: |
        greeter
        # not a comment: a line of the expected output
# Built by CI for every push.
matrix:
  backends: [pyinstaller, nuitka]
)";

}  // namespace

TEST_CASE("an item is added to a flow list before its closing bracket, keeping the comment after it", "[config_edit]") {
    const auto r = add(kProject, "api", {{"hidden_imports", {"app.services.lower"}}});
    CHECK(r.text == inserted(kProject, "]   # imported by name", ", app.services.lower"));
    REQUIRE(r.changes.size() == 1);
    CHECK(r.changes[0] == "sidecars.api.hidden_imports: + app.services.lower");

    SECTION("several items, one change line each") {
        const auto r2 = add(kProject, "api", {{"hidden_imports", {"a.b", "c"}}});
        CHECK(r2.text == inserted(kProject, "]   # imported by name", ", a.b, c"));
        CHECK(r2.changes == std::vector<std::string>{"sidecars.api.hidden_imports: + a.b",
                                                     "sidecars.api.hidden_imports: + c"});
    }
    SECTION("the list's own separator and a trailing comma are kept") {
        const std::string text = "sidecars:\n  api:\n    entry: a.py\n    hidden_imports: [x,y]\n"
                                 "    collect_submodules: [\n      p,  # why p\n      q,\n    ]\n";
        const auto r2 = add(text, "api", {{"hidden_imports", {"z"}}, {"collect_submodules", {"s"}}});
        CHECK(r2.text == "sidecars:\n  api:\n    entry: a.py\n    hidden_imports: [x,y,z]\n"
                         "    collect_submodules: [\n      p,  # why p\n      q, s,\n    ]\n");
    }
}

TEST_CASE("an empty flow list gets the items between its brackets", "[config_edit]") {
    const auto r = add(kProject, "api", {{"exclude_modules", {"tkinter", "test"}}});
    CHECK(r.text == inserted(kProject, "]\n    data:", "tkinter, test"));
    CHECK(r.changes.size() == 2);

    const auto spaces = add("sidecars:\n  api:\n    entry: a.py\n    hidden_imports: [ ]\n", "api",
                            {{"hidden_imports", {"x"}}});
    CHECK(spaces.text == "sidecars:\n  api:\n    entry: a.py\n    hidden_imports: [x]\n");
}

TEST_CASE("a block list gets '- item' lines after its last item, at its dashes' indentation", "[config_edit]") {
    const auto r = add(kProject, "cli", {{"collect_submodules", {"greeter.extra", "greeter.more"}}});
    CHECK(r.text == inserted(kProject, "    smoke:\n      run: [\"--version\"]",
                             "      - greeter.extra\n      - greeter.more\n"));

    SECTION("dashes at the key's own column, items that span lines, spacing after the dash") {
        const std::string text = "sidecars:\n  api:\n    entry: a.py\n    data:\n    -   src: a.json\n"
                                 "        dest: app\n    # - {src: old.json}\n    mode: onedir\n";
        const auto r2 = add(text, "api", {{"data", {"{src: b.json, dest: app}"}}});
        CHECK(r2.text == inserted(text, "    # - {src: old", "    -   {src: b.json, dest: app}\n"));
    }
}

TEST_CASE("a missing key goes after the sidecar's last key, before the comments of the next one",
          "[config_edit]") {
    const auto r = add(kProject, "api", {{"collect_submodules", {"app.plugins"}}});
    // After the nested smoke: block, before the blank line and the comment about cli.
    CHECK(r.text == inserted(kProject, "\n\n  # The command-line tool", "\n    collect_submodules: [app.plugins]"));
    CHECK(r.changes == std::vector<std::string>{"sidecars.api.collect_submodules: + app.plugins"});

    SECTION("the last sidecar, whose block scalar has a '#' line, before a top-level comment") {
        const auto r2 = add(kProject, "cli", {{"hidden_imports", {"greeter.dynamic"}}});
        CHECK(r2.text == inserted(kProject, "\n# Built by CI", "\n    hidden_imports: [greeter.dynamic]"));
    }
    SECTION("the sidecar's own indentation, whatever it is") {
        const std::string text = "sidecars:\n api:\n       entry: a.py\n       smoke: {run: []}\n cli:\n"
                                 "       entry: b.py\n";
        const auto r2 = add(text, "api", {{"hidden_imports", {"x"}}});
        CHECK(r2.text == inserted(text, " cli:", "       hidden_imports: [x]\n"));
    }
}

TEST_CASE("a data item is added as a flow map, to a block list or as a new block list", "[config_edit]") {
    const std::string item = "{src: app/extra.json, dest: app}";
    SECTION("to the existing block list") {
        const auto r = add(kProject, "api", {{"data", {item}}});
        CHECK(r.text == inserted(kProject, "    smoke:\n      http:", "      - " + item + "\n"));
        CHECK(r.changes == std::vector<std::string>{"sidecars.api.data: + " + item});
    }
    SECTION("as a new key, laid out as the other sidecars' data lists") {
        const auto r = add(kProject, "cli", {{"data", {item, "{src: b.txt}"}}});
        CHECK(r.text == inserted(kProject, "\n# Built by CI",
                                 "\n    data:\n      - " + item + "\n      - {src: b.txt}"));
    }
    SECTION("as a new flow list when the file's data lists are flow lists") {
        const std::string text = "sidecars:\n  a:\n    entry: a.py\n    data: [{src: x}]\n  b:\n    entry: b.py\n";
        const auto r = add(text, "b", {{"data", {item}}});
        CHECK(r.text == text + "    data: [" + item + "]\n");
    }
}

TEST_CASE("adding what is there changes nothing", "[config_edit]") {
    // Scalars compare by their string ("a" is a), maps by content in any order.
    const std::vector<ListAddition> adds = {
        {"hidden_imports", {"app.services.upper", "'app.services.upper'"}},
        {"data", {"{dest: app, src: app/services.json}"}},
        {"exclude_modules", {}},
    };
    const auto r = add(kProject, "api", adds);
    CHECK(r.text == kProject);
    CHECK(r.changes.empty());

    SECTION("a second run of the same additions is a no-op") {
        const std::vector<ListAddition> more = {{"hidden_imports", {"x.y", "x.y"}},  // twice: added once
                                                {"collect_submodules", {"app.plugins"}},
                                                {"data", {"{src: new.json, dest: .}"}}};
        const auto once = add(kProject, "api", more);
        CHECK(once.changes.size() == 3);
        const auto twice = add(once.text, "api", more);
        CHECK(twice.text == once.text);
        CHECK(twice.changes.empty());
    }
    SECTION("even in a sidecar freezer would not edit") {
        const auto r2 = add("sidecars:\n  api: {entry: a.py, hidden_imports: [x]}\n", "api",
                            {{"hidden_imports", {"x"}}});
        CHECK(r2.changes.empty());
    }
}

TEST_CASE("everything but the inserted bytes stays as it was", "[config_edit]") {
    const std::string text = kProject;
    const auto r = add(text, "cli",
                       {{"hidden_imports", {"greeter.dynamic"}},
                        {"collect_submodules", {"greeter.extra"}},
                        {"data", {"{src: greeter/banner.txt, dest: greeter}"}}});
    REQUIRE(r.changes.size() == 3);
    // The untouched prefix and suffix, byte for byte, then the whole text.
    const auto first = text.find("    smoke:\n      run:");
    CHECK(r.text.compare(0, first, text, 0, first) == 0);
    const std::string tail = "\n# Built by CI for every push.\nmatrix:\n  backends: [pyinstaller, nuitka]\n";
    REQUIRE(r.text.size() > tail.size());
    CHECK(r.text.substr(r.text.size() - tail.size()) == tail);
    CHECK(r.text == inserted(inserted(text, "    smoke:\n      run:", "      - greeter.extra\n"), "\n# Built by CI",
                             "\n    hidden_imports: [greeter.dynamic]\n    data:\n      - {src: greeter/banner.txt, "
                             "dest: greeter}"));
}

TEST_CASE("every edit only inserts", "[config_edit]") {
    const std::string text = kProject;
    for (const auto* sidecar : {"api", "cli"})
        for (const auto* key : {"hidden_imports", "collect_submodules", "exclude_modules", "data"}) {
            const std::string item = std::string(key) == "data" ? "{src: new.json, dest: .}" : "new.module";
            const auto r = add(text, sidecar, {{key, {item}}});
            INFO(sidecar << "." << key << ":\n" << r.text);
            REQUIRE(r.changes.size() == 1);
            std::size_t prefix = 0;
            while (prefix < text.size() && text[prefix] == r.text[prefix]) ++prefix;
            CHECK(r.text.compare(r.text.size() - (text.size() - prefix), std::string::npos, text, prefix) == 0);
            CHECK_THAT(r.text.substr(prefix, r.text.size() - text.size()), Catch::Contains(item));
        }
}

TEST_CASE("an edit that would not read back as expected is an error, not a damaged file", "[config_edit]") {
    // The kept trailing blank line of a |+ scalar belongs to it: a key inserted before the
    // blank line takes it away. The check after the edit notices.
    const std::string text =
        "sidecars:\n  api:\n    entry: a.py\n    note: |+\n      text\n\n  cli:\n    entry: b.py\n";
    try {
        add(text, "api", {{"hidden_imports", {"x"}}});
        FAIL("no error");
    } catch (const config::EditError& e) {
        CHECK_THAT(e.what(), Catch::Contains("internal error") && Catch::Contains("add these entries by hand"));
        CHECK(e.snippet == "  api:\n    hidden_imports: [x]");
    }
}

TEST_CASE("a sidecar in flow style is refused with its location and the lines to add by hand", "[config_edit]") {
    const std::string text = "sidecars:\n  api: {entry: a.py, hidden_imports: [x]}\n";
    try {
        add(text, "api", {{"hidden_imports", {"y"}}, {"data", {"{src: d.json}"}}});
        FAIL("no error");
    } catch (const config::EditError& e) {
        CHECK(e.where.line == 2);
        CHECK(e.where.column == 8);
        CHECK_THAT(e.what(), Catch::StartsWith("freezer.yaml:2:8: cannot add to sidecars.api: sidecars.api is "
                                               "written in flow style"));
        CHECK_THAT(e.what(), Catch::Contains("add these entries by hand"));
        CHECK(e.snippet == "  api:\n    hidden_imports: [y]\n    data:\n      - {src: d.json}");
        CHECK_THAT(e.what(), Catch::EndsWith(e.snippet));
    }
}

TEST_CASE("what freezer does not edit is refused, never damaged", "[config_edit]") {
    auto error = [](const std::string& text, const std::vector<ListAddition>& adds) -> std::string {
        try {
            add(text, "api", adds);
        } catch (const config::EditError& e) {
            return e.what();
        }
        return "no error";
    };
    CHECK_THAT(error("sidecars:\n  api:\n    entry: a.py\n    hidden_imports: x\n", {{"hidden_imports", {"y"}}}),
               Catch::StartsWith("freezer.yaml:4:21: cannot add to sidecars.api.hidden_imports: 'hidden_imports' "
                                 "is a single value, not a list"));
    CHECK_THAT(error("sidecars:\n  api:\n    entry: a.py\n    hidden_imports:\n", {{"hidden_imports", {"y"}}}),
               Catch::Contains("'hidden_imports' has no value"));
    CHECK_THAT(error("x: &l [a]\nsidecars:\n  api:\n    entry: a.py\n    hidden_imports: *l\n",
                     {{"hidden_imports", {"y"}}}),
               Catch::Contains("alias"));
    CHECK_THAT(error("sidecars:\n  api:\n    entry: a.py\n    hidden_imports: &l [a]\n",
                     {{"hidden_imports", {"y"}}}),
               Catch::Contains("anchor or a tag"));
    CHECK_THAT(error("sidecars:\n  api:\r\n    entry: a.py\n", {{"hidden_imports", {"y"}}}), Catch::Contains("CRLF"));
    CHECK_THAT(error("sidecars:\n  api: [\n", {{"hidden_imports", {"y"}}}), Catch::Contains("not valid YAML"));
    CHECK_THAT(error("sidecars:\n  api:\n    entry: a.py\n    hidden_imports: [a]\n", {{"hidden_imports", {"y"}}}),
               Catch::Equals("no error"));

    // An item that would read differently inside a list is the caller's mistake.
    CHECK_THROWS_AS(add(kProject, "api", {{"hidden_imports", {"a, b"}}}), std::invalid_argument);
    CHECK_THROWS_AS(add(kProject, "api", {{"hidden_imports", {"a\nb"}}}), std::invalid_argument);
    CHECK_THROWS_AS(add(kProject, "api", {{"hidden_imports", {"x # y"}}}), std::invalid_argument);
}

TEST_CASE("an unknown sidecar is an error naming the sidecars there are", "[config_edit]") {
    try {
        add(kProject, "apii", {{"hidden_imports", {"x"}}});
        FAIL("no error");
    } catch (const config::EditError& e) {
        CHECK(std::string(e.what()) ==
              "freezer.yaml:6:1: no sidecar 'apii' in sidecars: (it has api, cli); did you mean 'api'?");
    }
}

TEST_CASE("the last sidecar at the end of a file without a final newline", "[config_edit]") {
    const std::string text = "sidecars:\n  api:\n    entry: a.py\n    data:\n      - {src: x}";
    auto r = add(text, "api", {{"hidden_imports", {"h"}}});
    CHECK(r.text == text + "\n    hidden_imports: [h]");
    r = add(r.text, "api", {{"data", {"{src: y}"}}, {"hidden_imports", {"i"}}});
    CHECK(r.text == "sidecars:\n  api:\n    entry: a.py\n    data:\n      - {src: x}\n      - {src: y}\n"
                    "    hidden_imports: [h, i]");

    const std::string with_comment = "sidecars:\n  api:\n    entry: a.py\n  # the end";
    CHECK(add(with_comment, "api", {{"collect_submodules", {"p"}}}).text ==
          "sidecars:\n  api:\n    entry: a.py\n    collect_submodules: [p]\n  # the end");
}

TEST_CASE("document markers and a byte order mark stay where they are", "[config_edit]") {
    const std::string marked = "---\nsidecars:\n  api:\n    entry: a.py\n...\n";
    CHECK(add(marked, "api", {{"hidden_imports", {"x"}}}).text ==
          "---\nsidecars:\n  api:\n    entry: a.py\n    hidden_imports: [x]\n...\n");
    const std::string bom = "\xEF\xBB\xBFsidecars:\n  api:\n    hidden_imports: [a]\n";
    CHECK(add(bom, "api", {{"hidden_imports", {"x"}}}).text == "\xEF\xBB\xBFsidecars:\n  api:\n    hidden_imports: [a, x]\n");
}

TEST_CASE("yaml_scalar quotes only what needs it", "[config_edit]") {
    CHECK(config::yaml_scalar("app.services") == "app.services");
    CHECK(config::yaml_scalar("data/my file.json") == "data/my file.json");
    CHECK(config::yaml_scalar("a, b") == "\"a, b\"");
    CHECK(config::yaml_scalar("key: value") == "\"key: value\"");
    CHECK(config::yaml_scalar("null") == "\"null\"");
    CHECK(config::yaml_scalar("") == "\"\"");
    CHECK(config::yaml_scalar("say \"hi\"") == "say \"hi\"");  // quotes inside plain text are text
    CHECK(config::yaml_scalar("\"hi\" \\o/") == "\"\\\"hi\\\" \\\\o/\"");
    CHECK(config::yaml_scalar("*.json") == "\"*.json\"");
    // Whatever it returns is a valid item that reads back as the value.
    const auto r = add("sidecars:\n  api:\n    entry: a.py\n", "api",
                       {{"data", {"{src: " + config::yaml_scalar("a,b [1].json") + ", dest: .}"}}});
    CHECK(r.text == "sidecars:\n  api:\n    entry: a.py\n    data:\n      - {src: \"a,b [1].json\", dest: .}\n");
}

// The readers of a build's bundle listing: freezer audit's report (engine/audit.hpp),
// from listings written by the StateStore as builds write them (no packager, no build),
// and compare's composition of a build.
#include <catch2/catch.hpp>

#include <freezer/config.hpp>

#include "compare.hpp"
#include "engine/audit.hpp"
#include "engine/build_state.hpp"
#include "engine/layout.hpp"
#include "util/error.hpp"
#include "test_support.hpp"

using namespace freezer;
using freezer::test::TempDir;
using freezer::test::write;
using nlohmann::json;

namespace {

config::Project project_in(const TempDir& dir, const std::string& extra = "") {
    write(dir / "a.py", "print('hi')\n");
    write(dir / "freezer.yaml",
          "sidecars:\n"
          "  api:\n"
          "    entry: a.py\n"
          "    exclude_modules: [tkinter, yaml]\n"
          "    max_size: 10kB\n"
          "  cli: {entry: a.py}\n" +
              extra);
    auto r = config::load_project(dir / "freezer.yaml");
    for (const auto& d : r.diagnostics) INFO(config::format_diagnostic(d));
    REQUIRE(r.project);
    std::filesystem::create_directories(Layout(*r.project).state_dir());
    return std::move(*r.project);
}

json entry(const std::string& name, const std::string& module, const std::string& package, const std::string& kind,
           std::uint64_t bytes) {
    return {{"name", name}, {"module", module.empty() ? json(nullptr) : json(module)}, {"package", package},
            {"kind", kind}, {"bytes", bytes}};
}

json listing(std::vector<json> entries, std::uint64_t artifact_bytes, const std::string& key, const std::string& at) {
    return {{"entries", std::move(entries)}, {"notes", {"a note from the lister"}}, {"artifact_bytes", artifact_bytes},
            {"key", key}, {"recorded_at", at}};
}

// The build before: app, yaml and requests; then: app grew, yaml is gone, numpy came,
// pytest and tkinter slipped in.
void record_two_builds(const config::Project& project) {
    const StateStore states(Layout(project).state_dir());
    states.save_contents("api", "pyinstaller",
                         listing({entry("app/__init__.py", "app", "app", "code", 1000),
                                  entry("yaml/__init__.py", "yaml", "yaml", "code", 3000),
                                  entry("requests/api.py", "requests.api", "requests", "code", 2000),
                                  entry("api (bootloader)", "", "(runtime)", "runtime", 4000)},
                                 10000, "11111111111111111111111111111111", "2026-01-01T00:00:00Z"));
    states.save_contents("api", "pyinstaller",
                         listing({entry("app/__init__.py", "app", "app", "code", 1500),
                                  entry("requests/api.py", "requests.api", "requests", "code", 2000),
                                  entry("numpy/core/_multiarray_umath.so", "numpy.core._multiarray_umath", "numpy",
                                        "extension", 5000),
                                  entry("numpy/core/__init__.py", "numpy.core", "numpy", "code", 300),
                                  entry("pytest/__init__.py", "pytest", "pytest", "code", 200),
                                  entry("tkinter/__init__.py", "tkinter", "tkinter", "code", 700),
                                  entry("tkinter/ttk.py", "tkinter.ttk", "tkinter", "code", 100),
                                  entry("mytool/data.json", "", "mytool", "data", 50),
                                  entry(".bootstrap/pex/__init__.py", "pex", "(runtime)", "runtime", 0),
                                  entry("api (bootloader)", "", "(runtime)", "runtime", 4000)},
                                 14000, "22222222222222222222222222222222", "2026-01-02T00:00:00Z"));
}

}  // namespace

TEST_CASE("audit: packages by size, with their kinds, from the last listing", "[audit]") {
    TempDir dir;
    const auto project = project_in(dir);
    record_two_builds(project);
    const auto r = audit_sidecar(project, *project.find("api"), "");
    CHECK(r.backend == "pyinstaller");
    CHECK(r.key == "22222222222222222222222222222222");
    CHECK(r.recorded_at == "2026-01-02T00:00:00Z");
    CHECK(r.artifact_bytes == 14000);
    CHECK(r.listed_bytes == 13850);
    CHECK(r.entries == 10);
    CHECK_FALSE(r.installed);  // no state: the build was listed, never installed
    REQUIRE(r.packages.size() == 7);
    CHECK(r.packages[0].name == "numpy");
    CHECK(r.packages[0].bytes == 5300);
    CHECK(r.packages[0].files == 2);
    CHECK(r.packages[0].by_kind.at("extension") == 5000);
    CHECK(r.packages[0].by_kind.at("code") == 300);
    CHECK(r.packages[1].name == "(runtime)");
    CHECK(r.notes == std::vector<std::string>{"a note from the lister"});
}

TEST_CASE("audit: changes since the previous listing, per package, added and removed", "[audit]") {
    TempDir dir;
    const auto project = project_in(dir);
    record_two_builds(project);
    const auto r = audit_sidecar(project, *project.find("api"), "");
    REQUIRE(r.changes);
    CHECK(r.changes->previous_recorded_at == "2026-01-01T00:00:00Z");
    CHECK(r.changes->previous_key == "11111111111111111111111111111111");
    CHECK(r.changes->previous_artifact_bytes == 10000);
    CHECK(r.changes->added == std::vector<std::string>{"mytool", "numpy", "pytest", "tkinter"});
    CHECK(r.changes->removed == std::vector<std::string>{"yaml"});
    // Largest change first; requests and the runtime did not change.
    REQUIRE(r.changes->packages.size() == 6);
    CHECK(r.changes->packages[0].name == "numpy");
    CHECK(r.changes->packages[0].delta() == 5300);
    CHECK(r.changes->packages[1].name == "yaml");
    CHECK(r.changes->packages[1].before == 3000);
    CHECK(r.changes->packages[1].after == 0);
    CHECK(r.changes->packages[1].delta() == -3000);
    CHECK(r.changes->packages[1].removed());
    const auto app = std::find_if(r.changes->packages.begin(), r.changes->packages.end(),
                                  [](const PackageChange& c) { return c.name == "app"; });
    REQUIRE(app != r.changes->packages.end());
    CHECK(app->before == 1000);
    CHECK(app->after == 1500);
    CHECK_FALSE(app->added());
    for (const auto& c : r.changes->packages) CHECK((c.name != "requests" && c.name != "(runtime)"));
}

TEST_CASE("audit: no previous listing means no changes, not an empty list", "[audit]") {
    TempDir dir;
    const auto project = project_in(dir);
    StateStore(Layout(project).state_dir())
        .save_contents("cli", "pyinstaller", listing({entry("cli/x.py", "x", "x", "code", 10)}, 10, "k", "t"));
    const auto r = audit_sidecar(project, *project.find("cli"), "");
    CHECK_FALSE(r.changes);
    CHECK(r.excluded.empty());
    CHECK_FALSE(r.max_size);
    CHECK_FALSE(r.failed());
}

TEST_CASE("audit: development-only packages by package and module name, case-sensitive", "[audit]") {
    TempDir dir;
    SECTION("freezer's list, plus audit.dev_only; not the packager's runtime (pex's bootstrap)") {
        const auto project = project_in(dir, "audit: {dev_only: [mytool]}\n");
        record_two_builds(project);
        const auto r = audit_sidecar(project, *project.find("api"), "");
        REQUIRE(r.dev_only.size() == 3);
        CHECK(r.dev_only[0].name == "pytest");
        CHECK(r.dev_only[0].bytes == 200);
        CHECK(r.dev_only[1].name == "tkinter");
        CHECK(r.dev_only[1].bytes == 800);
        CHECK(r.dev_only[1].entries == 2);
        CHECK(r.dev_only[2].name == "mytool");  // a data file of the package is enough
        CHECK(r.dev_only[2].bytes == 50);
    }
    SECTION("a name in another case is another package") {
        const auto project = project_in(dir, "audit: {dev_only: [NumPy, MyTool]}\n");
        record_two_builds(project);
        const auto r = audit_sidecar(project, *project.find("api"), "");
        for (const auto& d : r.dev_only) CHECK((d.name == "pytest" || d.name == "tkinter"));
    }
    SECTION("a submodule counts, a longer name does not") {
        const auto project = project_in(dir, "audit: {dev_only: [numpy.core, num]}\n");
        record_two_builds(project);
        const auto r = audit_sidecar(project, *project.find("api"), "");
        REQUIRE(r.dev_only.size() == 3);
        CHECK(r.dev_only[2].name == "numpy.core");
        CHECK(r.dev_only[2].bytes == 5300);
    }
}

TEST_CASE("audit: exclude_modules verified absent, or present with the entries that carry it", "[audit]") {
    TempDir dir;
    const auto project = project_in(dir);
    record_two_builds(project);
    const auto r = audit_sidecar(project, *project.find("api"), "");
    REQUIRE(r.excluded.size() == 2);
    CHECK(r.excluded[0].module == "tkinter");
    CHECK(r.excluded[0].present());
    CHECK(r.excluded[0].entries == std::vector<std::string>{"tkinter/__init__.py", "tkinter/ttk.py"});
    CHECK(r.excluded[0].bytes == 800);
    CHECK(r.excluded[1].module == "yaml");  // it was in the build before, not in this one
    CHECK_FALSE(r.excluded[1].present());
    CHECK(r.failed());
}

TEST_CASE("audit: max_size within or over, and what CI gates on", "[audit]") {
    TempDir dir;
    const auto project = project_in(dir);
    const StateStore states(Layout(project).state_dir());
    SECTION("over the budget") {
        states.save_contents("api", "pyinstaller",
                             listing({entry("app/__init__.py", "app", "app", "code", 10)}, 12000, "k", "t"));
        const auto r = audit_sidecar(project, *project.find("api"), "");
        REQUIRE(r.max_size);
        CHECK(r.max_size->budget == 10000);
        CHECK(r.max_size->size == 12000);
        CHECK(r.max_size->over());
        CHECK(r.failed());
    }
    SECTION("within it, nothing excluded found: passes") {
        states.save_contents("api", "pyinstaller",
                             listing({entry("app/__init__.py", "app", "app", "code", 10)}, 9000, "k", "t"));
        const auto r = audit_sidecar(project, *project.find("api"), "");
        REQUIRE(r.max_size);
        CHECK_FALSE(r.max_size->over());
        CHECK_FALSE(r.failed());
    }
}

TEST_CASE("audit: a listing matches the installed build when the keys agree", "[audit]") {
    TempDir dir;
    const auto project = project_in(dir);
    const StateStore states(Layout(project).state_dir());
    BuildState st;
    st.key = *Hash128::from_hex("22222222222222222222222222222222");
    st.built_at = "2026-01-02T00:00:00Z";
    states.save("api", "pyinstaller", st, {});
    record_two_builds(project);
    CHECK(audit_sidecar(project, *project.find("api"), "").installed);
}

TEST_CASE("audit: no listing yet says to build first", "[audit]") {
    TempDir dir;
    const auto project = project_in(dir);
    const auto message = [&](const std::string& backend) -> std::string {
        try {
            audit_sidecar(project, *project.find("api"), backend);
        } catch (const Error& e) {
            CHECK(e.kind() == Error::Kind::setup);
            return e.what();
        }
        FAIL("no error");
        return "";
    };
    CHECK_THAT(message(""), Catch::Contains("run `freezer build api` first"));
    CHECK_THAT(message("nuitka"), Catch::Contains("run `freezer build api --backend nuitka` first"));
    SECTION("another backend's listing is not this one's") {
        record_two_builds(project);
        CHECK_THAT(message("nuitka"), Catch::Contains("no record of what api (nuitka) holds"));
    }
    SECTION("an installed build without a listing needs --force") {
        BuildState st;
        st.key = *Hash128::from_hex("22222222222222222222222222222222");
        StateStore(Layout(project).state_dir()).save("api", "pyinstaller", st, {});
        CHECK_THAT(message(""), Catch::Contains("run `freezer build api --force` first"));
    }
    SECTION("a damaged listing is an error that says how to record it again") {
        StateStore(Layout(project).state_dir()).save_contents("api", "pyinstaller", json{{"entries", 3}});
        CHECK_THAT(message(""), Catch::Contains("freezer build api --force"));
    }
}

TEST_CASE("compare: a build's composition is its largest packages, then everything else", "[audit][compare]") {
    BundleContents c;
    for (int i = 1; i <= 12; ++i) c.entries.push_back({"p" + std::to_string(i), "", "p" + std::to_string(i), "code",
                                                        static_cast<std::uint64_t>(i * 100)});
    c.entries.push_back({"p12/more.py", "p12.more", "p12", "code", 5});
    const auto parts = composition(c);
    REQUIRE(parts.size() == 11);
    CHECK(parts[0].package == "p12");
    CHECK(parts[0].bytes == 1205);
    CHECK(parts[9].package == "p3");
    CHECK(parts[10].package == kEverythingElse);
    CHECK(parts[10].bytes == 300);  // p2 and p1
    const auto few = composition(c, 20);
    CHECK(few.size() == 12);
    CHECK(few.back().package == "p1");  // nothing else: no remainder
}

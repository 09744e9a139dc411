#include <catch2/catch.hpp>

#include <freezer/config.hpp>

#include "junit.hpp"
#include "test_support.hpp"

using namespace freezer;
using freezer::test::TempDir;
using freezer::test::write;

namespace {
std::vector<std::string> cells(const std::string& matrix) {
    TempDir dir;
    write(dir / "a.py", "");
    write(dir / "freezer.yaml", "sidecars:\n  api: {entry: a.py}\n  cli: {entry: a.py, backend: nuitka}\n" + matrix);
    auto r = config::load_project(dir / "freezer.yaml");
    for (const auto& d : r.diagnostics) INFO(config::format_diagnostic(d));
    REQUIRE(r.project);
    std::vector<std::string> out;
    for (const auto& c : r.project->matrix_cells()) out.push_back(c.sidecar + ":" + c.backend);
    return out;
}
}  // namespace

TEST_CASE("the matrix: configured backends by default, backends x sidecars, include, exclude", "[matrix]") {
    CHECK(cells("") == std::vector<std::string>{"api:pyinstaller", "cli:nuitka"});
    CHECK(cells("matrix: {backends: [pyinstaller, pex-scie]}\n") ==
          std::vector<std::string>{"api:pyinstaller", "api:pex-scie", "cli:pyinstaller", "cli:pex-scie"});
    CHECK(cells("matrix:\n  include: [{sidecar: api, backend: nuitka}]\n  exclude: [{sidecar: cli}]\n") ==
          std::vector<std::string>{"api:pyinstaller", "api:nuitka"});
    CHECK(cells("matrix:\n  backends: [pyinstaller, nuitka]\n  exclude: [{backend: nuitka}]\n") ==
          std::vector<std::string>{"api:pyinstaller", "cli:pyinstaller"});
}

TEST_CASE("matrix errors name the cell", "[matrix][config]") {
    TempDir dir;
    write(dir / "a.py", "");
    write(dir / "freezer.yaml", "sidecars:\n  api: {entry: a.py}\nmatrix:\n  include: [{sidecar: apj, backend: nuitka}, {}]\n");
    auto r = config::load_project(dir / "freezer.yaml");
    REQUIRE(r.diagnostics.size() == 2);
    CHECK_THAT(config::format_diagnostic(r.diagnostics[0]), Catch::Contains("4:13: error: matrix: no sidecar named 'apj'; did you mean 'api'?"));
    CHECK_THAT(config::format_diagnostic(r.diagnostics[1]), Catch::Contains("matrix.include[1]: give 'sidecar', 'backend' or both"));
}

TEST_CASE("JUnit XML: one testcase per sidecar:backend, failures with the log tail", "[junit]") {
    SidecarResult ok;
    ok.name = "api";
    ok.backend = "pyinstaller";
    ok.status = Status::built;
    ok.reason = "no previous build";
    ok.duration = std::chrono::milliseconds(1500);
    SidecarResult bad;
    bad.name = "cli";
    bad.backend = "nuitka";
    bad.status = Status::failed;
    bad.error = "smoke test failed: stdout of 'cli --version' does not match /^greeter <\\d>/";
    bad.smoke.ran = true;
    bad.log_tail = {"greeter unknown & \x01 more"};
    bad.log = "/p/.freezer/logs/cli@nuitka.log";
    const auto xml = cli::junit_xml("freezer build", {ok, bad});
    CHECK_THAT(xml, Catch::Contains("<testsuite name=\"freezer build\" tests=\"2\" failures=\"1\""));
    CHECK_THAT(xml, Catch::Contains("<testcase classname=\"api\" name=\"api:pyinstaller\" time=\"1.500\">"));
    CHECK_THAT(xml, Catch::Contains("<failure message=\"smoke test failed: stdout of &apos;cli --version&apos; does not match /^greeter &lt;\\d&gt;/\" type=\"smoke\">"));
    CHECK_THAT(xml, Catch::Contains("greeter unknown &amp; ? more"));  // no raw control characters
    CHECK_THAT(xml, Catch::Contains("log: /p/.freezer/logs/cli@nuitka.log"));
}

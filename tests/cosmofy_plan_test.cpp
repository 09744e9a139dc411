// Golden tests of the cosmofy plugin's plans.
#include <catch2/catch.hpp>

#include <regex>

#include "option_builders.hpp"
#include "plugins/plugin_host.hpp"

using namespace freezer;
using freezer::test::list;
using freezer::test::map;
using freezer::test::scalar;
using Args = std::vector<std::string>;

namespace {

sdk::PlanRequest request() {
    auto rq = test::request("cosmofy", "app");
    rq.entry = "main.py";
    rq.inputs = {"main.py", "pyproject.toml"};
    return rq;
}

sdk::Plan plan(const sdk::PlanRequest& rq) { return test::plan("cosmofy", rq); }
std::shared_ptr<LoadedBackend> plugin() { return test::plugin("cosmofy"); }

}  // namespace

TEST_CASE("cosmofy: preflight, then bundle with freezer's cache and python_url", "[plan][cosmofy]") {
    auto rq = request();
    rq.options = map({{"python_url", scalar("file:///mirror/python")}, {"strict", scalar("true")}});
    auto b = plugin();
    const auto p = unwrap(*b, "plan", b->abi().plan(rq));
    REQUIRE(p.steps.size() == 5);
    CHECK(p.steps[0].kind == sdk::Step::Kind::write_file);
    CHECK_THAT(p.steps[0].content, Catch::Contains("import ast") && Catch::Contains("::freezer-warning::") &&
                                       Catch::Contains("\"error: \""));
    CHECK(p.steps[1].argv == Args{"/p/.venv/bin/python", "/p/cache/cosmofy/app/preflight.py", "/p/stage", "1"});
    // uv sync --script reads the script's PEP 723 block only: the entry gets pyproject's.
    CHECK(p.steps[2].path == "/p/cache/cosmofy/app/script_metadata.py");
    CHECK_THAT(p.steps[2].content, Catch::Contains("# /// script"));
    CHECK(p.steps[3].argv == Args{"/p/.venv/bin/python", "/p/cache/cosmofy/app/script_metadata.py",
                                  "/p/stage/pyproject.toml", "/p/stage/main.py", "/p/cache/cosmofy/app/app.py"});
    CHECK(p.steps[4].argv == Args{"/p/.venv/bin/cosmofy", "bundle", "--script", "/p/cache/cosmofy/app/app.py",
                                  "--output-dir", "/p/tmp", "--cache-dir", "/p/cache/cosmofy/cosmofy", "--python-url",
                                  "file:///mirror/python"});
    CHECK(p.executable == "app");
    CHECK_FALSE(p.steps[1].network);
    CHECK_FALSE(p.steps[3].network);
    CHECK(p.steps[4].network);  // the Python download and uv's resolve: timeouts.network
    // Strict: a failed preflight says what to do; the hint matches the count line it ends with.
    REQUIRE(p.failure_hints.size() == 2);
    CHECK(std::regex_search("cosmofy preflight: 2 errors (strict: true): Cosmopolitan Python cannot run this",
                            std::regex(p.failure_hints[0].pattern)));
    CHECK_FALSE(std::regex_search("::freezer-warning::main.py:2: os.sched_getaffinity() does not exist",
                                  std::regex(p.failure_hints[0].pattern)));
    CHECK_THAT(p.failure_hints[0].message, Catch::Contains("'error:' line") && Catch::Contains("strict: false"));
    CHECK_THAT(p.failure_hints[1].message, Catch::Contains("backends.cosmofy.python_url") &&
                                               Catch::Contains("/p/cache/cosmofy/cosmofy"));
}

TEST_CASE("cosmofy: non-strict preflight, module launcher, clean", "[plan][cosmofy]") {
    auto rq = request();
    rq.entry.clear();
    rq.module = "app.cli";
    rq.clean = true;
    auto b = plugin();
    const auto p = unwrap(*b, "plan", b->abi().plan(rq));
    REQUIRE(p.steps.size() == 6);
    CHECK(p.steps[1].argv.back() == "0");
    CHECK(p.failure_hints.size() == 1);  // the download hint only: findings are warnings
    CHECK(p.steps[2].path == "/p/cache/cosmofy/app/launch_app.py");
    CHECK(p.steps[4].argv[3] == "/p/cache/cosmofy/app/launch_app.py");
    CHECK(p.steps[5].argv == Args{"/p/.venv/bin/cosmofy", "bundle", "--script", "/p/cache/cosmofy/app/app.py",
                                  "--output-dir", "/p/tmp", "--cache-dir", "/p/cache/cosmofy/cosmofy", "--no-cache"});
}

TEST_CASE("cosmofy: collect_submodules adds nothing, what cosmofy bundles is whole", "[plan][cosmofy]") {
    auto rq = request();
    rq.collect_submodules = {"app.services"};
    const auto p = plan(rq);
    REQUIRE(p.steps.size() == 5);
    CHECK(p.steps[4].argv == Args{"/p/.venv/bin/cosmofy", "bundle", "--script", "/p/cache/cosmofy/app/app.py",
                                  "--output-dir", "/p/tmp", "--cache-dir", "/p/cache/cosmofy/cosmofy"});
}

TEST_CASE("cosmofy: without a pyproject.toml, the error shows the one to write", "[plan][cosmofy]") {
    auto b = plugin();
    auto rq = request();
    rq.sidecar = "My.Tool__x";
    rq.inputs = {"main.py"};
    const auto message = std::get<sdk::Failure>(b->abi().plan(rq)).message;
    CHECK_THAT(message, Catch::StartsWith("cosmofy builds a project: the sidecar's root needs a pyproject.toml"));
    // The whole file, its project named after the sidecar (normalized).
    CHECK_THAT(message, Catch::Contains("\n    [project]\n    name = \"my-tool-x\"\n    version = \"0.1.0\"\n"
                                        "    requires-python = \">=3.10\"\n    dependencies = []\n"));
    CHECK_THAT(message, Catch::Contains("each distribution the sidecar imports"));
}

TEST_CASE("cosmofy: needs a pyproject.toml and one file, options validated", "[plan][cosmofy]") {
    auto b = plugin();
    auto rq = request();
    rq.inputs = {"main.py"};
    CHECK_THAT(std::get<sdk::Failure>(b->abi().plan(rq)).message, Catch::Contains("pyproject.toml"));
    rq = request();
    rq.mode = "onedir";
    CHECK_THAT(std::get<sdk::Failure>(b->abi().plan(rq)).message, Catch::Contains("mode: onefile"));
    auto d = std::get<std::vector<sdk::Diagnostic>>(b->abi().validate(map({{"strict", scalar("very")}, {"url", scalar("x")}})));
    REQUIRE(d.size() == 2);
}

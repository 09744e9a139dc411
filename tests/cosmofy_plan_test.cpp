// Golden tests of the cosmofy plugin's plans.
#include <catch2/catch.hpp>

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
    REQUIRE(p.steps.size() == 3);
    CHECK(p.steps[0].kind == sdk::Step::Kind::write_file);
    CHECK_THAT(p.steps[0].content, Catch::Contains("sched_getaffinity") && Catch::Contains("::freezer-warning::"));
    CHECK(p.steps[1].argv == Args{"/p/.venv/bin/python", "/p/cache/cosmofy/app/preflight.py", "/p/stage", "1"});
    CHECK(p.steps[2].argv == Args{"/p/.venv/bin/cosmofy", "bundle", "--script", "/p/stage/main.py", "--output-dir",
                                  "/p/tmp", "--cache-dir", "/p/cache/cosmofy/cosmofy", "--python-url",
                                  "file:///mirror/python"});
    REQUIRE(p.failure_hints.size() == 1);
    CHECK_THAT(p.failure_hints[0].message, Catch::Contains("backends.cosmofy.python_url") &&
                                               Catch::Contains("/p/cache/cosmofy/cosmofy"));
}

TEST_CASE("cosmofy: non-strict preflight, module launcher, clean", "[plan][cosmofy]") {
    auto rq = request();
    rq.entry.clear();
    rq.module = "app.cli";
    rq.clean = true;
    auto b = plugin();
    const auto p = unwrap(*b, "plan", b->abi().plan(rq));
    REQUIRE(p.steps.size() == 4);
    CHECK(p.steps[1].argv.back() == "0");
    CHECK(p.steps[2].path == "/p/cache/cosmofy/app/app.py");
    CHECK(p.steps[3].argv == Args{"/p/.venv/bin/cosmofy", "bundle", "--script", "/p/cache/cosmofy/app/app.py",
                                  "--output-dir", "/p/tmp", "--cache-dir", "/p/cache/cosmofy/cosmofy", "--no-cache"});
}

TEST_CASE("cosmofy: collect_submodules adds nothing, what cosmofy bundles is whole", "[plan][cosmofy]") {
    auto rq = request();
    rq.collect_submodules = {"app.services"};
    const auto p = plan(rq);
    REQUIRE(p.steps.size() == 3);
    CHECK(p.steps[2].argv == Args{"/p/.venv/bin/cosmofy", "bundle", "--script", "/p/stage/main.py", "--output-dir",
                                  "/p/tmp", "--cache-dir", "/p/cache/cosmofy/cosmofy"});
}

TEST_CASE("cosmofy: needs a pyproject.toml and one file; options validated", "[plan][cosmofy]") {
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

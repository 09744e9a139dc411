// Golden tests of the pex-scie plugin's plans.
#include <regex>

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
    auto rq = test::request("pex-scie");
    rq.module = "app.main";
    return rq;
}

sdk::Plan plan(const sdk::PlanRequest& rq) { return test::plan("pex-scie", rq); }
std::shared_ptr<LoadedBackend> plugin() { return test::plugin("pex-scie"); }

const Args kHead = {"/p/.venv/bin/python", "-m", "pex", "-v", "-D", "/p/stage", "--pex-root", "/p/cache/pex-scie/pex-root"};

// Requirements written in freezer.yaml: resolved by pex with the interpreter as target.
Args with(const Args& requirements, const Args& rest) {
    Args a = kHead;
    a.insert(a.end(), {"--python", "/p/.venv/bin/python"});
    a.insert(a.end(), requirements.begin(), requirements.end());
    a.insert(a.end(), {"-o", "/p/tmp/api"});
    a.insert(a.end(), rest.begin(), rest.end());
    return a;
}

// No requirements setting: the list made by the step before, taken from the environment.
Args from_env(const Args& rest) {
    Args a = kHead;
    a.insert(a.end(), {"-r", "/p/cache/pex-scie/api/requirements.txt", "--venv-repository", "/p/.venv/bin/python", "-o", "/p/tmp/api"});
    a.insert(a.end(), rest.begin(), rest.end());
    return a;
}

}  // namespace

TEST_CASE("pex: a .pex from a module, with a requirements file", "[plan][pex]") {
    auto rq = request();
    rq.options = map({{"requirements", scalar("requirements.txt")}});
    const auto p = plan(rq);
    REQUIRE(p.steps.size() == 1);
    CHECK(p.steps[0].argv == with({"-r", "/p/stage/requirements.txt"}, {"-m", "app.main"}));
    CHECK(p.steps[0].network);  // resolved from the package index: the network timeout
    CHECK_FALSE(p.standalone);  // a .pex runs on the target's Python
    CHECK(p.executable == "api");
    CHECK(p.failure_hints.empty());
    auto b = plugin();
    const auto extra = std::get<std::vector<sdk::ExtraInput>>(b->abi().extra_inputs(rq.options));
    REQUIRE(extra.size() == 1);
    CHECK(extra[0].path == "requirements.txt");
}

TEST_CASE("pex: a script entry, listed requirements, clean", "[plan][pex]") {
    auto rq = request();
    rq.module.clear();
    rq.entry = "run_api.py";
    rq.clean = true;
    rq.options = map({{"requirements", list({"fastapi==0.115.0", "uvicorn"})}, {"extra_args", list({"--compile"})}});
    CHECK(plan(rq).steps[0].argv ==
          with({"fastapi==0.115.0", "uvicorn"}, {"--exe", "/p/stage/run_api.py", "--disable-cache", "--compile"}));
}

TEST_CASE("pex: without requirements, they come from the environment", "[plan][pex]") {
    auto rq = request();
    rq.hidden_imports = {"uvicorn.loops.auto"};
    rq.collect_submodules = {"app.services"};
    const auto p = plan(rq);
    REQUIRE(p.steps.size() == 3);
    CHECK(p.steps[0].kind == sdk::Step::Kind::write_file);
    CHECK(p.steps[0].path == "/p/cache/pex-scie/api/requirements_from_env.py");
    CHECK_THAT(p.steps[0].content, Catch::Contains("packages_distributions"));
    // hidden_imports and collect_submodules name modules the import statements do not.
    CHECK(p.steps[1].argv == Args{"/p/.venv/bin/python", "-I", "/p/cache/pex-scie/api/requirements_from_env.py", "/p/stage",
                                  "/p/cache/pex-scie/api/requirements.txt", "uvicorn.loops.auto", "app.services"});
    // collect_submodules adds nothing to pex itself: -D already packs every staged module.
    CHECK(p.steps[2].argv == from_env({"-m", "app.main"}));
}

TEST_CASE("pex: a scie with every option, and the offline hint", "[plan][pex]") {
    auto rq = request();
    rq.options = map({{"scie", scalar("eager")},
                      {"python_version", scalar("3.11")},
                      {"pbs_release", scalar("20251014")},
                      {"pbs_stripped", scalar("true")},
                      {"science_binary", scalar("/opt/science")},
                      {"assets_base_url", scalar("http://mirror.local/scie")}});
    const auto p = plan(rq);
    CHECK(p.steps[2].argv == from_env({"-m", "app.main", "--scie", "eager", "--scie-only", "--scie-python-version", "3.11",
                                   "--scie-pbs-release", "20251014", "--scie-science-binary", "/opt/science",
                                   "--scie-assets-base-url", "http://mirror.local/scie", "--scie-pbs-stripped"}));
    CHECK(p.standalone);
    CHECK(p.steps[2].network);  // science and a Python build are downloaded
    REQUIRE(p.failure_hints.size() == 1);
    CHECK_THAT(p.failure_hints[0].message, Catch::Contains("science_binary") && Catch::Contains("assets_base_url"));
}

TEST_CASE("pex: onedir is refused, options are validated", "[plan][pex]") {
    auto rq = request();
    rq.mode = "onedir";
    auto b = plugin();
    auto r = b->abi().plan(rq);
    REQUIRE(std::holds_alternative<sdk::Failure>(r));
    CHECK_THAT(std::get<sdk::Failure>(r).message, Catch::Contains("mode: onefile"));
    auto d = std::get<std::vector<sdk::Diagnostic>>(
        b->abi().validate(map({{"scie", scalar("fast")}, {"pbs_stripped", scalar("maybe")}, {"sciee", scalar("x")}})));
    REQUIRE(d.size() == 3);
    CHECK_THAT(d[0].message, Catch::Contains("none (a .pex), eager or lazy"));
    CHECK_THAT(d[2].message, Catch::Contains("unknown pex-scie option 'sciee'"));
}

TEST_CASE("pex: its -v lines are the build's phases, its timings are not, the environment needs no network",
          "[plan][pex]") {
    const auto p = plan(request());
    CHECK_FALSE(p.steps.back().network);  // --venv-repository: the interpreter's own packages
    REQUIRE(p.phases.size() == 1);
    const std::regex re(p.phases[0]);
    std::smatch m;
    const std::string resolving = "pex: Building pex :: Resolving distributions for requirements: ";
    REQUIRE(std::regex_search(resolving, m, re));
    CHECK(m[1].str() == "Building pex :: Resolving distributions for requirements");
    const std::string zipping = "pex: Zipping PEX file.";
    REQUIRE(std::regex_search(zipping, m, re));
    CHECK(m[1].str() == "Zipping PEX file.");
    for (const std::string timing : {"pex: Building pex: 1.3ms", "pex:   Resolving requirements.: 0.3ms",
                                     "Saving PEX file to x.pex"})
        CHECK_FALSE(std::regex_search(timing, re));
}

// Golden tests of the PyInstaller plugin's plans: the exact argv it asks the core to run.
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
    auto rq = test::request("pyinstaller");
    rq.entry = "run_api.py";
    rq.tool = {true, "-m PyInstaller", "6.22.3", {}, ""};
    return rq;
}

sdk::Plan plan(const sdk::PlanRequest& rq) { return test::plan("pyinstaller", rq); }
std::shared_ptr<LoadedBackend> plugin() { return test::plugin("pyinstaller"); }

const Args kCommon = {"/p/.venv/bin/python", "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
                      "--distpath", "/p/tmp", "--workpath",
                      "/p/cache/pyinstaller/api"};

Args with_common(const Args& rest, bool clean = false) {
    Args a = kCommon;
    if (clean) a.push_back("--clean");
    a.insert(a.end(), rest.begin(), rest.end());
    return a;
}

}  // namespace

TEST_CASE("pyinstaller: onefile script with imports, excludes and data", "[plan][pyinstaller]") {
    auto rq = request();
    rq.hidden_imports = {"app.services.upper"};
    rq.exclude_modules = {"tkinter", "matplotlib"};
    rq.data = {{"app/services.json", "app"}};
    rq.env = {{"APP_MODE", "prod"}};
    const auto p = plan(rq);
    REQUIRE(p.steps.size() == 1);
    const auto& s = p.steps[0];
    CHECK(s.argv == with_common({"--name", "api", "--onefile", "--specpath",
                                 "/p/cache/pyinstaller/api", "--paths",
                                 "/p/stage", "--hidden-import", "app.services.upper",
                                 "--exclude-module", "tkinter", "--exclude-module", "matplotlib",
                                 "--add-data", "/p/stage/app/services.json:app",
                                 "/p/stage/run_api.py"}));
    CHECK(s.cwd == "/p/stage");
    CHECK(s.env == std::vector<std::pair<std::string, std::string>>{
                       {"APP_MODE", "prod"},
                       {"PYINSTALLER_CONFIG_DIR", "/p/cache/pyinstaller/config"}});
    CHECK(p.artifact_dir == "/p/tmp");
    CHECK(p.executable == "api");
}

TEST_CASE("pyinstaller: --force adds --clean, nothing else does", "[plan][pyinstaller]") {
    auto rq = request();
    const auto plain = plan(rq).steps[0].argv;
    CHECK(std::count(plain.begin(), plain.end(), "--clean") == 0);
    rq.clean = true;
    const auto argv = plan(rq).steps[0].argv;
    CHECK(Args(argv.begin(), argv.begin() + 11) == with_common({}, true));
}

TEST_CASE("pyinstaller: onedir module gets a launcher script", "[plan][pyinstaller]") {
    auto rq = request();
    rq.sidecar = "cli";
    rq.entry.clear();
    rq.module = "greeter";
    rq.mode = "onedir";
    rq.work_dir = "/p/w/cli";
    rq.out_dir = "/p/o";
    const auto p = plan(rq);
    REQUIRE(p.steps.size() == 2);
    CHECK(p.steps[0].kind == sdk::Step::Kind::write_file);
    CHECK(p.steps[0].path == "/p/w/cli/launch_cli.py");
    CHECK(p.steps[0].content ==
          "import runpy\nrunpy.run_module(\"greeter\", run_name=\"__main__\", alter_sys=True)\n");
    CHECK(p.steps[1].argv ==
          Args{"/p/.venv/bin/python", "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
               "--distpath", "/p/o", "--workpath", "/p/w/cli", "--name", "cli", "--onedir",
               "--specpath", "/p/w/cli", "--paths", "/p/stage", "--hidden-import",
               "greeter", "--hidden-import", "greeter.__main__", "/p/w/cli/launch_cli.py"});
    CHECK(p.executable == "cli");
}

TEST_CASE("pyinstaller: every option maps to its flag", "[plan][pyinstaller]") {
    auto rq = request();
    rq.options = map({{"strip", scalar("true")},
                      {"optimize", scalar("2")},
                      {"collect_submodules", list({"pydantic"})},
                      {"paths", list({"vendor"})},
                      {"extra_args", list({"--noupx"})}});
    const auto argv = plan(rq).steps[0].argv;
    CHECK(argv == with_common({"--name", "api", "--onefile", "--specpath",
                               "/p/cache/pyinstaller/api", "--paths",
                               "/p/stage", "--paths", "/p/stage/vendor",
                               "--collect-submodules", "pydantic", "--strip", "--optimize", "2",
                               "--noupx", "/p/stage/run_api.py"}));
}

TEST_CASE("pyinstaller: collect_submodules becomes --collect-submodules, before the option's", "[plan][pyinstaller]") {
    auto rq = request();
    rq.hidden_imports = {"app.services.upper"};
    rq.collect_submodules = {"app.services"};
    rq.options = map({{"collect_submodules", list({"pydantic"})}});
    CHECK(plan(rq).steps[0].argv == with_common({"--name", "api", "--onefile", "--specpath",
                                                 "/p/cache/pyinstaller/api", "--paths", "/p/stage",
                                                 "--hidden-import", "app.services.upper",
                                                 "--collect-submodules", "app.services",
                                                 "--collect-submodules", "pydantic", "/p/stage/run_api.py"}));
}

TEST_CASE("pyinstaller: collect_submodules with a spec is refused, naming the key", "[plan][pyinstaller]") {
    auto rq = request();
    rq.options = map({{"spec", scalar("api.spec")}});
    rq.collect_submodules = {"app.services"};
    auto b = plugin();
    const auto r = b->abi().plan(rq);
    REQUIRE(std::holds_alternative<sdk::Failure>(r));
    CHECK_THAT(std::get<sdk::Failure>(r).message,
               Catch::Contains("sidecars.api: collect_submodules cannot be combined with backends.pyinstaller.spec") &&
                   Catch::Contains("hiddenimports=collect_submodules('app.services')") &&
                   Catch::Contains("api.spec"));
}

TEST_CASE("pyinstaller: spec mode passes only what PyInstaller accepts with a spec", "[plan][pyinstaller]") {
    auto rq = request();
    rq.options = map({{"spec", scalar("api.spec")}});
    rq.clean = true;
    const auto p = plan(rq);
    REQUIRE(p.steps.size() == 1);
    CHECK(p.steps[0].argv == with_common({"/p/stage/api.spec"}, true));
    CHECK(p.executable.empty());  // the spec names it; the core finds it
    auto b = plugin();
    const auto extra = std::get<std::vector<sdk::ExtraInput>>(b->abi().extra_inputs(rq.options));
    REQUIRE(extra.size() == 1);
    CHECK(extra[0].path == "api.spec");
    CHECK(extra[0].warn_if_uncommitted);
}

TEST_CASE("pyinstaller: options are validated", "[plan][pyinstaller]") {
    auto b = plugin();
    auto check = [&](sdk::Option o) { return std::get<std::vector<sdk::Diagnostic>>(b->abi().validate(o)); };
    CHECK(check(sdk::Option{}).empty());
    CHECK(check(map({{"strip", scalar("false")}, {"optimize", scalar("1")}})).empty());
    auto d = check(map({{"strip", scalar("maybe")}, {"optimise", scalar("1")}}));
    REQUIRE(d.size() == 2);
    CHECK_THAT(d[0].message, Catch::Contains("expected true or false"));
    CHECK_THAT(d[1].message, Catch::Contains("unknown PyInstaller option 'optimise'"));
    d = check(map({{"spec", scalar("api.spec")}, {"strip", scalar("true")}}));
    REQUIRE(d.size() == 1);
    CHECK_THAT(d[0].message, Catch::Contains("cannot be combined with 'spec'"));
}

TEST_CASE("pyinstaller: probe output is parsed", "[plan][pyinstaller]") {
    auto b = plugin();
    auto facts = std::get<sdk::ToolFacts>(b->abi().parse_probe({0, "6.22.3\n/p/.venv/lib/python3.11/site-packages\n", ""}));
    CHECK(facts.found);
    CHECK(facts.version == "6.22.3");
    CHECK(facts.fingerprint == std::vector<std::string>{"/p/.venv/lib/python3.11/site-packages"});
    facts = std::get<sdk::ToolFacts>(b->abi().parse_probe({1, "", "ModuleNotFoundError: No module named 'PyInstaller'"}));
    CHECK_FALSE(facts.found);
    CHECK_THAT(facts.problem, Catch::Contains("not installed"));
}

namespace {
sdk::Patch patch(const sdk::PatchRequest& pr) {
    auto r = plugin()->abi().patch(pr);
    REQUIRE(std::holds_alternative<sdk::Patch>(r));
    return std::get<sdk::Patch>(r);
}
sdk::PatchRequest patch_request() {
    sdk::PatchRequest pr;
    pr.request = request();
    pr.changed = {"app/server.py", "run_api.py"};
    pr.previous_dir = "/p/dist/api";
    pr.previous_executable = "api";
    return pr;
}
}  // namespace

TEST_CASE("pyinstaller: the fast path runs its helper on the previous executable", "[plan][pyinstaller][fast_path]") {
    REQUIRE(std::get<bool>(plugin()->abi().can_patch()));
    auto pr = patch_request();
    pr.request.mode = "onedir";
    const auto p = patch(pr);
    CHECK(p.refused.empty());
    REQUIRE(p.plan.steps.size() == 2);
    CHECK(p.plan.steps[0].kind == sdk::Step::Kind::write_file);
    CHECK(p.plan.steps[0].path == "/p/cache/pyinstaller/api/fast_path.py");
    CHECK_THAT(p.plan.steps[0].content, Catch::Contains("PyInstaller.archive"));
    CHECK(p.plan.steps[1].argv ==
          Args{"/p/.venv/bin/python", "-I", "/p/cache/pyinstaller/api/fast_path.py", "--executable", "/p/dist/api/api",
               "--mode", "onedir", "--workpath", "/p/cache/pyinstaller/api/api", "--stage", "/p/stage", "--out",
               "/p/tmp", "--name", "api", "--", "app/server.py", "run_api.py"});
    CHECK(p.plan.artifact_dir == "/p/tmp");
    CHECK(p.plan.executable == "api");
}

TEST_CASE("pyinstaller: no fast path outside the tested versions, for a .spec or with extra_args",
          "[plan][pyinstaller][fast_path]") {
    for (const char* version : {"6.15.0", "6.23.0", "7.0.0", "5.13.2", "unknown"}) {
        auto pr = patch_request();
        pr.request.tool.version = version;
        CHECK(patch(pr).refused == std::string("PyInstaller ") + version +
                                       " is outside the fast path's tested range (6.16 to 6.22)");
    }
    for (const char* version : {"6.16.0", "6.19.0", "6.22.3"}) {
        auto pr = patch_request();
        pr.request.tool.version = version;
        CHECK(patch(pr).refused.empty());
    }
    auto pr = patch_request();
    pr.request.options = map({{"spec", scalar("api.spec")}});
    CHECK_THAT(patch(pr).refused, Catch::Contains("a .spec file"));
    pr = patch_request();
    pr.request.options = map({{"fast_path", scalar("false")}});
    CHECK(patch(pr).refused == "fast_path: false in the sidecar's pyinstaller options");
    pr = patch_request();
    pr.request.options = map({{"extra_args", list({"--debug", "all"})}});
    CHECK(patch(pr).refused == "extra_args may change how PyInstaller assembles the executable");
}

// Golden tests of the Nuitka plugin's plans.
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
    auto rq = test::request("nuitka");
    rq.entry = "run_api.py";
    rq.inputs = {"app/__init__.py", "app/assets/logo.png", "app/services.json", "run_api.py"};
    rq.cpu_tokens = 2;
    return rq;
}

sdk::Plan plan(const sdk::PlanRequest& rq) { return test::plan("nuitka", rq); }
std::shared_ptr<LoadedBackend> plugin() { return test::plugin("nuitka"); }

const Args kHead = {"/p/.venv/bin/python", "-m", "nuitka"};

}  // namespace

TEST_CASE("nuitka: onefile script with includes, excludes, data files and folders", "[plan][nuitka]") {
    auto rq = request();
    rq.hidden_imports = {"app.services.upper"};
    rq.exclude_modules = {"tkinter"};
    rq.data = {{"app/services.json", "app"}, {"app/assets", "."}};
    rq.env = {{"APP", "1"}};
    const auto p = plan(rq);
    REQUIRE(p.steps.size() == 1);
    CHECK(p.steps[0].argv == Args{"/p/.venv/bin/python", "-m", "nuitka", "--mode=onefile", "--jobs=2", "--lto=no",
                                  "--output-dir=/p/tmp", "--output-filename=api", "--remove-output",
                                  "--progress-bar=none", "--report=/p/cache/nuitka/api/compilation-report.xml",
                                  "--include-module=app.services.upper", "--nofollow-import-to=tkinter",
                                  "--include-data-files=/p/stage/app/services.json=app/services.json",
                                  "--include-data-dir=/p/stage/app/assets=assets", "/p/stage/run_api.py"});
    CHECK(p.steps[0].env == std::vector<std::pair<std::string, std::string>>{
                                {"APP", "1"},
                                {"NUITKA_CACHE_DIR", "/p/cache/nuitka/nuitka-cache"},
                                {"CCACHE_DIR", "/p/cache/nuitka/ccache"},
                                {"PYTHONPATH", "/p/stage"}});
    CHECK(p.artifact_dir == "/p/tmp");
    CHECK(p.executable == "api");
    CHECK(p.report == "/p/cache/nuitka/api/compilation-report.xml");  // freezer lists the bundle from it
    REQUIRE(p.metrics.size() == 2);
    CHECK(p.metrics[0].name == "ccache_hits");
    CHECK(std::count(p.steps[0].argv.begin(), p.steps[0].argv.end(), "--assume-yes-for-downloads") == 0);
}

TEST_CASE("nuitka: collect_submodules becomes --include-package", "[plan][nuitka]") {
    auto rq = request();
    rq.hidden_imports = {"app.services.upper"};
    rq.collect_submodules = {"app.services"};
    CHECK(plan(rq).steps[0].argv == Args{"/p/.venv/bin/python", "-m", "nuitka", "--mode=onefile", "--jobs=2",
                                         "--lto=no", "--output-dir=/p/tmp", "--output-filename=api",
                                         "--remove-output", "--progress-bar=none",
                                         "--report=/p/cache/nuitka/api/compilation-report.xml",
                                         "--include-module=app.services.upper", "--include-package=app.services",
                                         "/p/stage/run_api.py"});
}

TEST_CASE("nuitka: standalone package module, options, clean", "[plan][nuitka]") {
    auto rq = request();
    rq.sidecar = "cli";
    rq.entry.clear();
    rq.module = "greeter";
    rq.mode = "onedir";
    rq.inputs = {"greeter/__init__.py", "greeter/__main__.py"};
    rq.options = map({{"jobs", scalar("1")}, {"lto", scalar("true")}, {"plugins", list({"anti-bloat"})},
                      {"extra_args", list({"--python-flag=-O"})}});
    rq.clean = true;
    const auto p = plan(rq);
    REQUIRE(p.steps.size() == 1);
    CHECK(p.steps[0].argv == Args{"/p/.venv/bin/python", "-m", "nuitka", "--mode=standalone", "--jobs=1", "--lto=yes",
                                  "--output-dir=/p/tmp", "--output-filename=cli", "--remove-output",
                                  "--progress-bar=none", "--report=/p/cache/nuitka/api/compilation-report.xml",
                                  "--clean-cache=all", "--enable-plugins=anti-bloat",
                                  "--python-flag=-O", "/p/stage/greeter"});
    auto b = plugin();
    CHECK(std::get<int>(b->abi().cpu_tokens_wanted(rq.options, 2)) == 1);
    CHECK(std::get<int>(b->abi().cpu_tokens_wanted(sdk::Option{}, 2)) == 2);
}

TEST_CASE("nuitka: a plain module gets a launcher", "[plan][nuitka]") {
    auto rq = request();
    rq.entry.clear();
    rq.module = "app.main";
    rq.inputs = {"app/__init__.py", "app/main.py"};
    const auto p = plan(rq);
    REQUIRE(p.steps.size() == 2);
    CHECK(p.steps[0].kind == sdk::Step::Kind::write_file);
    CHECK(p.steps[0].path == "/p/cache/nuitka/api/launch_api.py");
    CHECK(p.steps[1].argv.back() == "/p/cache/nuitka/api/launch_api.py");
    CHECK(std::count(p.steps[1].argv.begin(), p.steps[1].argv.end(), "--include-module=app.main") == 1);
}

TEST_CASE("nuitka: options are validated, downloads refused", "[plan][nuitka]") {
    auto b = plugin();
    auto check = [&](sdk::Option o) { return std::get<std::vector<sdk::Diagnostic>>(b->abi().validate(o)); };
    CHECK(check(map({{"jobs", scalar("auto")}, {"lto", scalar("auto")}, {"plugins", list({"pyside6"})}})).empty());
    auto d = check(map({{"jobs", scalar("0")}, {"ltoo", scalar("no")},
                        {"extra_args", list({"--assume-yes-for-downloads"})}}));
    REQUIRE(d.size() == 3);
    CHECK_THAT(d[0].message, Catch::Contains("'auto' or a whole number"));
    CHECK_THAT(d[1].message, Catch::Contains("unknown Nuitka option 'ltoo'"));
    CHECK_THAT(d[2].message, Catch::Contains("must not download"));
}

TEST_CASE("nuitka: probe output is parsed", "[plan][nuitka]") {
    auto b = plugin();
    auto facts = std::get<sdk::ToolFacts>(b->abi().parse_probe({0, "4.3.3\n/p/site-packages\n", ""}));
    CHECK(facts.found);
    CHECK(facts.version == "4.3.3");
    facts = std::get<sdk::ToolFacts>(b->abi().parse_probe({1, "", "ModuleNotFoundError: No module named 'nuitka'"}));
    CHECK_FALSE(facts.found);
    CHECK_THAT(std::get<std::string>(b->abi().install_hint()), Catch::Contains("nuitka==4.3.3"));
}

TEST_CASE("nuitka: its milestones are the build's phases, its option and plugin chatter is not", "[plan][nuitka]") {
    const auto p = plan(request());
    REQUIRE(p.phases.size() == 1);
    const std::regex re(p.phases[0]);
    for (const std::string line : {"Nuitka: Starting Python compilation with:",
                                   "Nuitka: Running C compilation via Scons.",
                                   "Nuitka-Scons: Backend C compiler: gcc (gcc 12).",
                                   "Nuitka-Scons: Backend C linking with 326 files (no progress information available for this stage).",
                                   "Nuitka-Onefile: Creating single file from dist folder, this may take a while."}) {
        std::smatch m;
        CHECK(std::regex_search(line, m, re));
        CHECK(m[1].str() == line);
    }
    for (const std::string line : {"Nuitka-Options: Used command line options:",
                                   "Nuitka-Plugins:anti-bloat: Not including '_json' automatically",
                                   "Nuitka-Scons: Cached C files (using ccache) with result 'cache miss': 325"})
        CHECK_FALSE(std::regex_search(line, re));
}

// The build engine's decisions, end to end but without a real packager: the fake
// plugin (tests/plugins/fake.cpp) writes a script that prints its inputs, so every
// path (skip, rebuild, restore, remote down, failure, cancel, clean) takes milliseconds.
// Each TEST_CASE runs in its own process under ctest; the Ctrl-C test comes last
// because request_interrupt() cannot be undone within a process.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <optional>
#include <set>
#include <chrono>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "engine/build_state.hpp"
#include "engine/builder.hpp"
#include "engine/clean.hpp"
#include "platform/os.hpp"
#include "plugins/plugin_host.hpp"
#include "plugins/project_check.hpp"
#include "process/process.hpp"
#include "test_support.hpp"
#include "util/interrupt.hpp"

using namespace freezer;
using freezer::test::read;
using freezer::test::TempDir;
using freezer::test::write;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

const fs::path kTestPlugins = FREEZER_TEST_PLUGIN_DIR;

class Recorder final : public Reporter {
public:
    void warning(const std::string& message) override {
        std::lock_guard lock(mutex_);
        warnings.push_back(message);
    }
    void phase(const std::string&, const std::string&, Phase, const std::string&) override {}
    void finished(const SidecarResult& r) override {
        std::lock_guard lock(mutex_);
        results.push_back(r);
    }
    void progress(const std::string& sidecar, const Progress& p) override {
        std::lock_guard lock(mutex_);
        progress_reports.emplace_back(sidecar, p);
    }
    std::vector<std::string> warnings;
    std::vector<SidecarResult> results;
    std::vector<std::pair<std::string, Progress>> progress_reports;

private:
    std::mutex mutex_;
};

// Sidecar `name` under <project>/<name>/main.py, built by the fake. `backend_opts` is
// the flow mapping of sidecars.<name>.backends.fake, e.g. "fail: true".
std::string sidecar_yaml(const std::string& name, const std::string& backend_opts = "") {
    return fmt::format(R"(  {0}:
    root: {0}
    entry: main.py
    backend: fake
    smoke: {{run: [], expect_stdout: "^VERSION = "}}
{1})",
                       name, backend_opts.empty() ? "" : "    backends: {fake: {" + backend_opts + "}}\n");
}

std::string project_yaml(const std::string& sidecars, const std::string& extra = "") {
    return "version: 1\npython: /usr/bin/python3\njobs: 2\n" + extra + "sidecars:\n" + sidecars;
}

// A project folder with both fakes loaded. The project is reloaded for every build,
// as each `freezer build` does, so a test edits freezer.yaml between builds.
class Fixture {
public:
    Fixture() {
        for (const char* name : {"fake", "fake2", "fakepatch"}) {
            auto out = load_plugin(kTestPlugins / fmt::format("freezer-backend-{}.so", name));
            INFO(out.error);
            REQUIRE(out.backend);
            host.add(out.backend);
        }
    }

    void config(const std::string& text) { write(dir / "freezer.yaml", text); }
    void source(const std::string& sidecar, const std::string& version) {
        write(dir / sidecar / "main.py", "VERSION = '" + version + "'\n");
    }

    config::Project project() {
        auto loaded = config::load_project(dir / "freezer.yaml");
        for (const auto& d : loaded.diagnostics) UNSCOPED_INFO(config::format_diagnostic(d));
        REQUIRE(loaded.project);
        // What the CLI checks before building: the fake's own validate() among it.
        const auto diags = check_backends(*loaded.project, host);
        for (const auto& d : diags) UNSCOPED_INFO(d.message);
        REQUIRE(diags.empty());
        return *loaded.project;
    }

    std::vector<SidecarResult> build(BuildOptions options = {}) {
        const auto p = project();
        reporter = std::make_unique<Recorder>();
        return Builder(p, host, *reporter).build(options);
    }
    SidecarResult build_one(BuildOptions options = {}) {
        auto results = build(std::move(options));
        REQUIRE(results.size() == 1);
        for (const auto& r : results) UNSCOPED_INFO(r.name << ": " << to_string(r.status) << ": " << r.error);
        return results[0];
    }

    // What the installed executable prints.
    std::string run(const std::string& output) {
        ProcessSpec spec;
        spec.argv = {(dir / "dist" / output / output.substr(0, output.find('@'))).string()};
        spec.capture = true;
        spec.timeout = 10s;
        const auto r = run_process(spec);
        INFO(r.describe() << r.err);
        REQUIRE(r.ok());
        return r.out;
    }

    // <dir>/venv, a real venv without pip (fast); returns its site-packages, where a
    // test lays out distributions as pip would.
    fs::path make_venv() {
        ProcessSpec venv;
        venv.argv = {"/usr/bin/python3", "-m", "venv", "--without-pip", (dir / "venv").string()};
        venv.timeout = 60s;
        REQUIRE(run_process(venv).ok());
        fs::path site;
        for (const auto& e : fs::directory_iterator(dir / "venv/lib")) site = e.path() / "site-packages";
        REQUIRE(fs::is_directory(site));
        return site;
    }

    // How many times the fake's step ran for this sidecar (its counter in work_dir).
    int runs(const std::string& sidecar, const std::string& backend = "fake") {
        const auto file = dir / ".freezer/cache/backends" / backend / sidecar / "runs";
        return fs::exists(file) ? std::stoi(read(file)) : 0;
    }

    TempDir dir;
    PluginHost host;
    std::unique_ptr<Recorder> reporter;
};

}  // namespace

TEST_CASE("a first build builds, a second one skips", "[builder]") {
    Fixture f;
    f.config(project_yaml(sidecar_yaml("api")));
    f.source("api", "A");

    auto r = f.build_one();
    REQUIRE(r.status == Status::built);
    CHECK(r.reason == "no previous build");
    CHECK(r.smoke.ran);
    CHECK(r.smoke.passed);
    CHECK(r.artifact == f.dir / "dist/api/api");
    CHECK(f.run("api") == "VERSION = 'A'\n");
    CHECK(f.runs("api") == 1);
    CHECK(f.reporter->warnings.empty());
    CHECK(fs::is_empty(f.dir / ".freezer/tmp"));  // nothing left of the build's scratch folder

    r = f.build_one();
    CHECK(r.status == Status::skipped);
    CHECK(r.reason == "up to date");
    CHECK(r.changes.empty());
    CHECK(f.runs("api") == 1);
}

TEST_CASE("an edited input rebuilds and says what changed", "[builder]") {
    Fixture f;
    f.config(project_yaml(sidecar_yaml("api")));
    f.source("api", "A");
    REQUIRE(f.build_one().status == Status::built);

    f.source("api", "B");
    const auto r = f.build_one();
    REQUIRE(r.status == Status::built);
    CHECK(r.changes == std::vector<std::string>{"modified main.py"});
    CHECK_THAT(r.reason, Catch::Contains("modified main.py"));
    CHECK(f.run("api") == "VERSION = 'B'\n");
    CHECK(f.runs("api") == 2);
}

TEST_CASE("going back to an earlier input restores it from the local cache", "[builder]") {
    Fixture f;
    f.config(project_yaml(sidecar_yaml("api")));
    f.source("api", "A");
    REQUIRE(f.build_one().status == Status::built);
    f.source("api", "B");
    REQUIRE(f.build_one().status == Status::built);
    REQUIRE(f.runs("api") == 2);

    f.source("api", "A");
    const auto r = f.build_one();
    REQUIRE(r.status == Status::restored);
    CHECK_THAT(r.reason, Catch::Contains("modified main.py") && Catch::Contains("restored from the local cache"));
    CHECK(f.runs("api") == 2);  // the packager did not run
    CHECK(f.run("api") == "VERSION = 'A'\n");
    // Restored counts as built: the next run skips.
    CHECK(f.build_one().status == Status::skipped);
}

TEST_CASE("a remote cache that is down warns once and the build goes on", "[builder]") {
    Fixture f;
    const auto remote = fmt::format("cache: {{remote: {{url: \"http://127.0.0.1:{}\", retries: 0}}}}\n", freezer::test::unused_port());
    f.config(project_yaml(sidecar_yaml("api") + sidecar_yaml("cli"), remote));
    f.source("api", "A");
    f.source("cli", "C");

    const auto results = f.build();
    REQUIRE(results.size() == 2);
    for (const auto& r : results) {
        INFO(r.name << ": " << r.error);
        CHECK(r.status == Status::built);
    }
    CHECK(f.run("api") == "VERSION = 'A'\n");
    CHECK(f.run("cli") == "VERSION = 'C'\n");
    // One warning for the run, not one per sidecar nor one per lookup and upload.
    REQUIRE(f.reporter->warnings.size() == 1);
    CHECK_THAT(f.reporter->warnings[0], Catch::Contains("remote cache") && Catch::Contains("127.0.0.1"));
}

TEST_CASE("a failed or crashed build keeps the previous output and state", "[builder]") {
    const auto [option, error] = GENERATE(table<std::string, std::string>({
        {"fail: true", "exited with 1"},
        {"crash: true", "killed by signal 11"},
    }));
    Fixture f;
    f.config(project_yaml(sidecar_yaml("api")));
    f.source("api", "A");
    REQUIRE(f.build_one().status == Status::built);
    const auto state = read(f.dir / ".freezer/state/api@fake.json");

    f.config(project_yaml(sidecar_yaml("api", option)));
    f.source("api", "B");
    const auto r = f.build_one();
    REQUIRE(r.status == Status::failed);
    CHECK_THAT(r.error, Catch::Contains(error));
    if (option == "fail: true") CHECK_THAT(fmt::format("{}", fmt::join(r.log_tail, "\n")), Catch::Contains("failing on purpose"));
    CHECK(f.run("api") == "VERSION = 'A'\n");
    CHECK(read(f.dir / ".freezer/state/api@fake.json") == state);
    CHECK(f.runs("api") == 2);
    // Nothing left half-built in .freezer/tmp.
    CHECK(fs::is_empty(f.dir / ".freezer/tmp"));

    // Back to what was built: nothing to do, the failure left no trace.
    f.config(project_yaml(sidecar_yaml("api")));
    f.source("api", "A");
    const auto back = f.build_one();
    CHECK(back.status == Status::skipped);
    CHECK(f.runs("api") == 2);
}

TEST_CASE("a dependency upgraded in the interpreter's environment rebuilds and is named", "[builder][environment]") {
    Fixture f;
    // A real venv (no pip: fast), whose site-packages gets distributions as pip lays
    // them out; the probe of its sys.path and the listing are freezer's own.
    const auto site = f.make_venv();
    auto install = [&](const std::string& dist_info) { fs::create_directories(site / dist_info); };
    install("six-1.16.0.dist-info");
    f.config("version: 1\npython: venv/bin/python\nsidecars:\n" + sidecar_yaml("api"));
    f.source("api", "A");
    REQUIRE(f.build_one().status == Status::built);
    REQUIRE(f.build_one().status == Status::skipped);

    // pip install six==1.17.0: nothing of the sidecar's own changed.
    fs::rename(site / "six-1.16.0.dist-info", site / "six-1.17.0.dist-info");
    auto r = f.build_one();
    CHECK(r.status == Status::built);
    CHECK(r.reason == "dependency six: 1.16.0 -> 1.17.0");
    CHECK(f.build_one().status == Status::skipped);

    install("httpx-0.28.1.dist-info");
    install("PyYAML-6.0.3-py3.11.egg-info");
    r = f.build_one();
    CHECK(r.status == Status::built);
    CHECK(r.changes == std::vector<std::string>{"dependency added: httpx 0.28.1", "dependency added: pyyaml 6.0.3"});

    fs::remove_all(site / "httpx-0.28.1.dist-info");
    r = f.build_one();
    CHECK(r.changes == std::vector<std::string>{"dependency removed: httpx 0.28.1"});

    // Back to the first environment: that build is in the artifact cache.
    fs::remove_all(site / "PyYAML-6.0.3-py3.11.egg-info");
    fs::rename(site / "six-1.17.0.dist-info", site / "six-1.16.0.dist-info");
    CHECK(f.build_one().status == Status::restored);
}

TEST_CASE("an editable install's sources are inputs: an edit there rebuilds", "[builder][environment]") {
    Fixture f;
    const auto site = f.make_venv();
    // What `pip install -e libs/mylib` leaves with a .pth-based backend (hatchling, uv):
    // a dist-info and a .pth naming the source folder.
    write(f.dir / "libs/mylib/mylib/__init__.py", "NAME = 'one'\n");
    fs::create_directories(site / "mylib-0.1.0.dist-info");
    write(site / "_mylib.pth", (f.dir / "libs/mylib").string() + "\n");
    f.config("version: 1\npython: venv/bin/python\nsidecars:\n" + sidecar_yaml("api"));
    f.source("api", "A");
    REQUIRE(f.build_one().status == Status::built);
    REQUIRE(f.build_one().status == Status::skipped);

    const auto lib = fs::weakly_canonical(f.dir / "libs/mylib/mylib/__init__.py").string();
    write(f.dir / "libs/mylib/mylib/__init__.py", "NAME = 'two'\n");
    auto r = f.build_one();
    CHECK(r.status == Status::built);
    CHECK(r.reason == "editable source modified: " + lib);
    CHECK(f.build_one().status == Status::skipped);

    write(f.dir / "libs/mylib/mylib/extra.py", "X = 1\n");
    r = f.build_one();
    CHECK(r.changes == std::vector<std::string>{"editable source added: " +
                                                fs::weakly_canonical(f.dir / "libs/mylib/mylib/extra.py").string()});
}

TEST_CASE("names with a newline or bytes that are not UTF-8 are stored, explained and restored", "[builder][names]") {
    Fixture f;
    f.config(project_yaml(sidecar_yaml("api")));
    f.source("api", "A");
    write(f.dir / "api/bad\xff.py", "X = 1\n");
    write(f.dir / "api/new\nline.py", "Y = 1\n");
    auto first = f.build_one();
    CHECK(first.status == Status::built);
    CHECK(f.reporter->warnings.empty());  // stored in the artifact cache: no warning
    CHECK(fs::is_directory(f.dir / ".freezer/cache/artifacts"));
    CHECK(f.build_one().status == Status::skipped);

    write(f.dir / "api/new\nline.py", "Y = 2\n");
    auto edited = f.build_one();
    CHECK(edited.status == Status::built);
    CHECK(edited.changes == std::vector<std::string>{"modified new\\nline.py"});
    fs::remove(f.dir / "api/bad\xff.py");
    auto removed = f.build_one();
    CHECK(removed.changes == std::vector<std::string>{"removed bad\\xff.py"});

    // Back to the first inputs: the entry stored under those names is found and used.
    write(f.dir / "api/bad\xff.py", "X = 1\n");
    write(f.dir / "api/new\nline.py", "Y = 1\n");
    auto back = f.build_one();
    CHECK(back.status == Status::restored);
    CHECK(f.runs("api") == 3);
    CHECK(f.reporter->warnings.empty());
}

TEST_CASE("an input that cannot be read while hashed fails its sidecar with exit 1, the others build",
          "[builder][exit]") {
    Fixture f;
    f.config(project_yaml(sidecar_yaml("api") + sidecar_yaml("web")));
    f.source("api", "A");
    f.source("web", "W");
    // Reading /proc/self/mem at offset 0 fails with EIO: an input that is there when the
    // folder is walked and cannot be read when it is hashed, as one deleted in between.
    fs::create_symlink("/proc/self/mem", f.dir / "api/mem.py");
    auto results = f.build();
    REQUIRE(results.size() == 2);
    CHECK(results[0].status == Status::failed);
    CHECK_THAT(results[0].error, Catch::Contains("cannot read input") && Catch::Contains("mem.py"));
    CHECK(results[1].status == Status::built);

    ProcessSpec spec;
    spec.argv = {FREEZER_BIN, "-C", f.dir.path().string(), "build", "api"};
    spec.capture = true;
    spec.env = environment_with({{"FREEZER_BACKEND_PATH", kTestPlugins.string()}});
    const auto cli = run_process(spec);
    INFO(cli.out << cli.err);
    CHECK(cli.exit_code == 1);
    CHECK_THAT(cli.out + cli.err, Catch::Contains("cannot read input"));
}

TEST_CASE("a link to a parent folder is not followed: freezer's own folders never become inputs", "[builder][links]") {
    Fixture f;
    f.source("api", "A");
    write(f.dir / "api/data/skip.py", "S = 1\n");
    write(f.dir / "api/keep/k.py", "K = 1\n");
    fs::create_symlink("..", f.dir / "api/up");             // contains the root
    fs::create_symlink("../.freezer", f.dir / "api/fz");    // freezer's own state and cache
    fs::create_symlink("../dist", f.dir / "api/out");       // freezer's own output
    fs::create_symlink("data", f.dir / "api/d");            // an excluded folder, through a link
    fs::create_symlink("keep", f.dir / "api/k2");           // an ordinary link: followed
    f.config(project_yaml(sidecar_yaml("api") + "    inputs: {exclude: [\"data/**\"]}\n"));
    auto first = f.build_one();
    REQUIRE(first.status == Status::built);
    std::vector<std::string> links;  // (the others: default include globs that match nothing)
    for (const auto& w : f.reporter->warnings)
        if (w.find("link") != std::string::npos) links.push_back(w);
    REQUIRE(links.size() == 1);
    CHECK_THAT(links[0], Catch::StartsWith("api: api/up links to a folder that contains the sidecar's root"));
    const auto script = read(first.artifact);
    CHECK_THAT(script, Catch::Contains("K = 1"));      // keep/k.py, and k2/k.py
    CHECK_THAT(script, !Catch::Contains("S = 1"));     // data/ stays excluded through d
    CHECK_THAT(script, !Catch::Contains("version: 1")); // nothing of the project above
    // Nothing of what the build wrote is an input: the next builds skip.
    CHECK(f.build_one().status == Status::skipped);
    CHECK(f.build_one().status == Status::skipped);
    CHECK(f.runs("api") == 1);
}

TEST_CASE("the fake's options are validated", "[builder]") {
    Fixture f;
    f.source("api", "A");
    f.config(project_yaml(sidecar_yaml("api", "delay_ms: soon, crash: maybe, color: red")));
    auto loaded = config::load_project(f.dir / "freezer.yaml");
    REQUIRE(loaded.project);
    std::vector<std::string> messages;
    for (const auto& d : check_backends(*loaded.project, f.host)) messages.push_back(d.path + ": " + d.message);
    std::sort(messages.begin(), messages.end());
    CHECK(messages == std::vector<std::string>{
                          "sidecars.api.backends.fake.color: unknown fake option 'color' (known: delay_ms, fail, crash, network)",
                          "sidecars.api.backends.fake.crash: expected true or false",
                          "sidecars.api.backends.fake.delay_ms: expected a number of milliseconds",
                      });
}

TEST_CASE("clean removes every backend's build, or only one backend's", "[builder]") {
    Fixture f;
    f.config(project_yaml(sidecar_yaml("api") + sidecar_yaml("cli")));
    f.source("api", "A");
    f.source("cli", "C");
    REQUIRE(f.build().size() == 2);
    BuildOptions other;
    other.sidecars = {"api"};
    other.backend_override = "fake2";
    REQUIRE(f.build_one(other).status == Status::built);
    CHECK(f.run("api@fake2") == "VERSION = 'A'\n");

    const auto& d = f.dir;
    const std::vector<fs::path> fake_build = {d / "dist/api", d / ".freezer/logs/api.log",
                                              d / ".freezer/state/api@fake.json", d / ".freezer/state/api@fake.inputs"};
    const std::vector<fs::path> fake2_build = {d / "dist/api@fake2", d / ".freezer/logs/api@fake2.log",
                                               d / ".freezer/state/api@fake2.json",
                                               d / ".freezer/state/api@fake2.inputs"};
    const std::vector<fs::path> cli_build = {d / "dist/cli", d / ".freezer/logs/cli.log",
                                             d / ".freezer/state/cli@fake.json"};
    auto all_exist = [](const std::vector<fs::path>& paths) {
        return std::all_of(paths.begin(), paths.end(), [](const fs::path& p) { return fs::exists(p); });
    };
    auto none_exist = [](const std::vector<fs::path>& paths) {
        return std::none_of(paths.begin(), paths.end(), [](const fs::path& p) { return fs::exists(p); });
    };
    REQUIRE(all_exist(fake_build));
    REQUIRE(all_exist(fake2_build));

    SECTION("one backend") {
        CleanOptions options;
        options.sidecars = {"api"};
        options.backend = "fake2";
        clean(f.project(), options);
        CHECK(none_exist(fake2_build));
        CHECK(all_exist(fake_build));
        CHECK(all_exist(cli_build));
        for (const auto& r : f.build()) CHECK(r.status == Status::skipped);
    }
    SECTION("every backend") {
        CleanOptions options;
        options.sidecars = {"api"};
        const auto report = clean(f.project(), options);
        CHECK(report.sidecars == std::vector<std::string>{"api"});
        CHECK(none_exist(fake_build));
        CHECK(none_exist(fake2_build));
        CHECK_FALSE(fs::exists(d / ".freezer/stage/api"));
        CHECK(all_exist(cli_build));
        // The artifact cache stays: the next build is a restore, not a packager run.
        BuildOptions api;
        api.sidecars = {"api"};
        const auto r = f.build_one(api);
        CHECK(r.status == Status::restored);
        CHECK(f.runs("api") == 1);
    }
}

TEST_CASE("fail-fast cancels the other builds when one fails", "[builder][cancel]") {
    const int jobs = GENERATE(1, 2);
    Fixture f;
    f.config(project_yaml(sidecar_yaml("bad", "fail: true") + sidecar_yaml("slow", "delay_ms: 20000")));
    f.source("bad", "A");
    f.source("slow", "B");
    BuildOptions options;
    options.fail_fast = true;
    options.jobs = jobs;
    const auto start = std::chrono::steady_clock::now();
    const auto results = f.build(options);
    CHECK(std::chrono::steady_clock::now() - start < 3s);
    REQUIRE(results.size() == 2);
    CHECK(results[0].status == Status::failed);
    CHECK(results[1].status == Status::cancelled);
    // Two at once: the slow one was stopped; one at a time: it never started.
    CHECK(results[1].error == (jobs == 2 ? "cancelled: another sidecar failed (--fail-fast)"
                                         : "not started: another sidecar failed (--fail-fast)"));
    CHECK_FALSE(fs::exists(f.dir / "dist/slow"));
    CHECK(f.runs("slow") == (jobs == 2 ? 1 : 0));
}

TEST_CASE("a build cancelled by Ctrl-C stops quickly and keeps the previous output", "[builder][cancel]") {
    Fixture f;
    f.config(project_yaml(sidecar_yaml("api")));
    f.source("api", "A");
    REQUIRE(f.build_one().status == Status::built);
    const auto state = read(f.dir / ".freezer/state/api@fake.json");

    f.config(project_yaml(sidecar_yaml("api", "delay_ms: 20000")));
    f.source("api", "B");
    std::thread ctrl_c([] {
        std::this_thread::sleep_for(200ms);
        request_interrupt();
    });
    const auto start = std::chrono::steady_clock::now();
    const auto r = f.build_one();
    const auto took = std::chrono::steady_clock::now() - start;
    ctrl_c.join();
    CHECK(r.status == Status::cancelled);
    CHECK(r.error == "interrupted");
    CHECK(took < 3s);
    CHECK(fs::is_empty(f.dir / ".freezer/tmp"));
    CHECK(f.run("api") == "VERSION = 'A'\n");
    CHECK(read(f.dir / ".freezer/state/api@fake.json") == state);
}

TEST_CASE("a bundle listing of another build becomes the previous one, a retry of the same build replaces it",
          "[builder]") {
    TempDir dir;
    StateStore states(dir / "state");
    auto listing = [](const std::string& key, int bytes) {
        return nlohmann::json{{"key", key}, {"entries", {{{"name", "a"}, {"module", nullptr}, {"package", "a"},
                                                          {"kind", "data"}, {"bytes", bytes}}}}};
    };
    states.save_contents("api", "fake", listing("K1", 1));
    CHECK_FALSE(states.load_contents("api", "fake", true));
    states.save_contents("api", "fake", listing("K2", 2));  // a new build (its smoke test may fail)
    states.save_contents("api", "fake", listing("K2", 3));  // the retry of the same build
    CHECK(states.load_contents("api", "fake")->at("entries")[0]["bytes"] == 3);
    CHECK(states.load_contents("api", "fake", true)->at("key") == "K1");  // still the build before
    // A build that could not be listed: the listing of K2 no longer passes for it.
    states.retire_contents("api", "fake", "K3");
    CHECK_FALSE(states.load_contents("api", "fake"));
    CHECK(states.load_contents("api", "fake", true)->at("key") == "K2");
}

namespace {
// "pid (comm) state ppid pgrp ...": the state and group of a process, if it exists.
std::optional<std::pair<char, int>> state_and_group(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    std::getline(in, stat);
    const auto close = stat.rfind(')');
    int ppid = 0, pgrp = 0;
    if (close == std::string::npos || close + 2 >= stat.size() ||
        std::sscanf(stat.c_str() + close + 3, "%d %d", &ppid, &pgrp) != 2)
        return std::nullopt;
    return std::pair{stat[close + 2], pgrp};
}

std::vector<int> all_pids() {
    std::vector<int> out;
    for (const auto& e : fs::directory_iterator("/proc")) {
        const auto name = e.path().filename().string();
        if (!name.empty() && std::all_of(name.begin(), name.end(), ::isdigit)) out.push_back(std::stoi(name));
    }
    return out;
}

// The live processes of every group (but `except`) that has a member whose command
// line mentions `needle`.
std::vector<int> groups_mentioning(const std::string& needle, int except) {
    std::set<int> groups;
    for (const int pid : all_pids()) {
        const auto cmdline = read(fs::path("/proc") / std::to_string(pid) / "cmdline");
        const auto sg = state_and_group(pid);
        if (sg && sg->second != except && cmdline.find(needle) != std::string::npos) groups.insert(sg->second);
    }
    std::vector<int> out;
    for (const int pid : all_pids()) {
        const auto sg = state_and_group(pid);
        if (sg && sg->first != 'Z' && groups.count(sg->second)) out.push_back(pid);
    }
    return out;
}
}  // namespace

TEST_CASE("no step outlives a freezer killed with SIGKILL", "[builder][kill]") {
    Fixture f;
    f.config(project_yaml(sidecar_yaml("api", "delay_ms: 60000")));
    f.source("api", "A");
    ProcessSpec spec;
    spec.argv = {FREEZER_BIN, "-C", f.dir.path().string(), "build"};
    spec.capture = true;
    spec.env = environment_with({{"FREEZER_BACKEND_PATH", kTestPlugins.string()}});
    Child freezer(spec);
    REQUIRE(freezer.started());
    // The fake's step: its shell, and the sleep it runs.
    const auto work = (f.dir / ".freezer").string();
    std::vector<int> step;
    for (int i = 0; i < 600 && step.size() < 2 && !freezer.exited(); ++i) {
        freezer.wait_for(50ms);
        step = groups_mentioning(work, freezer.pid());
    }
    INFO(freezer.result().err);
    REQUIRE(step.size() >= 2);
    freezer.signal(SIGKILL);
    REQUIRE(freezer.wait_for(10s));
    // Gone within moments; ten seconds so a loaded machine cannot fail it.
    std::vector<int> left = step;
    for (int i = 0; i < 200 && !left.empty(); ++i) {
        std::this_thread::sleep_for(50ms);
        std::erase_if(left, [](int pid) {
            const auto sg = state_and_group(pid);
            return !sg || sg->first == 'Z';
        });
    }
    for (const int pid : left) ::kill(pid, SIGKILL);  // do not leave them to the next test
    CHECK(left.empty());
}

TEST_CASE("a build sweeps the temp folders of freezers that are gone, not of those alive", "[builder]") {
    Fixture f;
    f.config(project_yaml(sidecar_yaml("api")));
    f.source("api", "A");
    // A pid that is surely gone: a child that has exited and been reaped.
    const pid_t gone = ::fork();
    if (gone == 0) ::_exit(0);
    ::waitpid(gone, nullptr, 0);
    const auto dead = f.dir / fmt::format(".freezer/tmp/api@fake.{}", gone);
    const auto alive = f.dir / fmt::format(".freezer/tmp/api@fake.{}", ::getppid());
    const auto other = f.dir / ".freezer/tmp/notes";
    for (const auto& d : {dead, alive, other}) fs::create_directories(d / "sub");
    write(dead / "sub/big.bin", "x");
    CHECK(f.build_one().status == Status::built);
    CHECK_FALSE(fs::exists(dead));
    CHECK(fs::exists(alive));
    CHECK(fs::exists(other));
}

// The fast path (engine/fast_path.hpp) on "fakepatch", whose patch rewrites the
// executable from the staged inputs and counts itself in <work_dir>/patches.
namespace {

struct FastPathFixture : Fixture {
    FastPathFixture() {
        config(project_yaml(R"(  app:
    root: app
    entry: main.py
    backend: fakepatch
    data: [{src: conf.py, dest: .}, {src: data.txt, dest: .}]
    smoke: {run: [], expect_stdout: "VERSION = '"}
)"));
        write(dir / "app/main.py", "import json\nVERSION = '1'\n");
        write(dir / "app/util.py", "\"\"\"Helpers; this docstring says import sys, which imports nothing.\"\"\"\nimport os\n");
        write(dir / "app/data.txt", "data 1\n");
        write(dir / "app/conf.py", "SETTING = 1\n");
    }
    int patches() {
        const auto file = dir / ".freezer/cache/backends/fakepatch/app/patches";
        return fs::exists(file) ? std::stoi(read(file)) : 0;
    }
    int full_runs() { return runs("app", "fakepatch"); }
    SidecarResult rebuild() {
        auto r = build_one();
        UNSCOPED_INFO("reason: " << r.reason << "; path: " << r.build_path << "; error: " << r.error);
        return r;
    }
    fs::path record() const { return dir / ".freezer/state/app@fakepatch.imports.json"; }
    void edit_config(const std::string& from, const std::string& to) {
        auto text = read(dir / "freezer.yaml");
        const auto at = text.find(from);
        REQUIRE(at != std::string::npos);
        config(text.replace(at, from.size(), to));
    }
};

}  // namespace

TEST_CASE("the fast path patches a module whose imports did not change, it is staged, smoke-tested and cached",
          "[builder][fast_path]") {
    FastPathFixture f;
    auto r = f.rebuild();
    REQUIRE(r.status == Status::built);
    CHECK(r.build_path == "full build: no previous build to patch");
    CHECK_FALSE(r.fast_path);
    CHECK(f.full_runs() == 1);
    CHECK(fs::exists(f.record()));

    write(f.dir / "app/main.py", "import json\nVERSION = '2'\n");
    const auto p = f.project();
    Recorder quiet;
    const auto x = Builder(p, f.host, quiet).explain("app");
    CHECK(x.build_path == "fast path: 1 module recompiled (main.py)");
    CHECK(x.fast_path);
    r = f.rebuild();
    REQUIRE(r.status == Status::built);
    CHECK(r.fast_path);
    CHECK(r.build_path == "fast path: 1 module recompiled (main.py)");
    CHECK(r.smoke.ran);
    CHECK(f.full_runs() == 1);
    CHECK(f.patches() == 1);
    CHECK(read(f.dir / ".freezer/cache/backends/fakepatch/app/patched") == "main.py\n");
    CHECK_THAT(f.run("app"), Catch::Contains("VERSION = '2'"));
    CHECK(f.rebuild().status == Status::skipped);

    // Two modules at once; a docstring's "import" is not an import.
    write(f.dir / "app/main.py", "import json\nVERSION = '3'\n");
    write(f.dir / "app/util.py", "\"\"\"Helpers; now it also says import csv.\"\"\"\nimport os\n");
    r = f.rebuild();
    CHECK(r.build_path == "fast path: 2 modules recompiled (main.py, util.py)");
    CHECK(f.patches() == 2);

    // A fast-path build was cached like any other: going back restores it.
    write(f.dir / "app/main.py", "import json\nVERSION = '2'\n");
    write(f.dir / "app/util.py", "\"\"\"Helpers; this docstring says import sys, which imports nothing.\"\"\"\nimport os\n");
    CHECK(f.rebuild().status == Status::restored);
    CHECK_THAT(f.run("app"), Catch::Contains("VERSION = '2'"));

    // A patched binary that fails its smoke test is not installed.
    write(f.dir / "app/main.py", "import json\nVERSON = 'typo'\n");
    r = f.rebuild();
    CHECK(r.status == Status::failed);
    CHECK(r.fast_path);
    CHECK_THAT(r.error, Catch::Contains("smoke test failed"));
    CHECK_THAT(f.run("app"), Catch::Contains("VERSION = '2'"));
}

TEST_CASE("the fast path is not taken for a changed import, a new or removed module, data, config or --force",
          "[builder][fast_path]") {
    FastPathFixture f;
    REQUIRE(f.rebuild().status == Status::built);
    int full = 1;
    auto expect_full = [&](const std::string& why) {
        const auto r = f.rebuild();
        CHECK(r.status == Status::built);
        CHECK(r.build_path == "full build: " + why);
        CHECK_FALSE(r.fast_path);
        CHECK(f.full_runs() == ++full);
        CHECK(f.patches() == 0);
    };

    // Every step has content not built before, so that none restores from the cache.
    write(f.dir / "app/main.py", "import json\nfrom os import path\nVERSION = '2'\n");
    expect_full("imports of main.py changed (+os, +os.path)");
    write(f.dir / "app/main.py", "import json\nfrom os import path\nimport importlib\nVERSION = '3'\n"
                                 "def later():\n    return importlib.import_module('csv')\n");
    expect_full("imports of main.py changed (+csv, +importlib)");
    write(f.dir / "app/main.py", "import json\nVERSION = '4'\n");
    expect_full("imports of main.py changed (-csv, -importlib, -os, -os.path)");
    write(f.dir / "app/extra.py", "X = 1\n");
    expect_full("new input extra.py");
    fs::remove(f.dir / "app/extra.py");
    write(f.dir / "app/main.py", "import json\nVERSION = '5'\n");
    expect_full("extra.py was removed");
    write(f.dir / "app/data.txt", "data 2\n");
    expect_full("data.txt changed, and it is not a Python module");
    write(f.dir / "app/conf.py", "SETTING = 2\n");
    expect_full("conf.py changed, and it is bundled as data");
    write(f.dir / "app/main.py", "import json\nVERSION = '6'\nif :\n");
    {
        const auto r = f.rebuild();  // the fake bundles it as is; the smoke test still passes
        CHECK(r.status == Status::built);
        CHECK_THAT(r.build_path, Catch::StartsWith("full build: main.py cannot be read as Python (SyntaxError"));
        ++full;
    }
    write(f.dir / "app/main.py", "import json\nVERSION = '7'\n");
    expect_full("no record of what main.py imported in the previous build (built without the fast path)");
    f.edit_config("    backend: fakepatch\n", "    backend: fakepatch\n    hidden_imports: [json]\n");
    write(f.dir / "app/main.py", "import json\nVERSION = '8'\n");
    expect_full("the config changed");
    write(f.dir / "app/main.py", "import json\nVERSION = '9'\n");
    {
        BuildOptions force;
        force.force = true;
        const auto r = f.build_one(force);
        CHECK(r.build_path == "full build: --force");
        CHECK(f.full_runs() == 1);  // --force emptied the work folder, counter and all
    }
    // And after all that, a plain edit takes the fast path again.
    write(f.dir / "app/main.py", "import json\nVERSION = '10'\n");
    const auto r = f.rebuild();
    CHECK(r.fast_path);
    CHECK(f.patches() == 1);
}

TEST_CASE("a build without the import record, or with another toolchain, is a full one, a failed patch falls back",
          "[builder][fast_path]") {
    FastPathFixture f;
    REQUIRE(f.rebuild().status == Status::built);

    // A previous build made before the fast path existed has no import record.
    fs::remove(f.record());
    write(f.dir / "app/main.py", "import json\nVERSION = '2'\n");
    auto r = f.rebuild();
    CHECK(r.build_path == "full build: no record of what main.py imported in the previous build (built without the fast path)");
    CHECK(fs::exists(f.record()));  // that build made one
    write(f.dir / "app/main.py", "import json\nVERSION = '3'\n");
    CHECK(f.rebuild().fast_path);

    // The previous build's toolchain part differs (another packager version, a
    // dependency upgraded, another plan): as if it was made with other tools.
    const auto state_file = f.dir / ".freezer/state/app@fakepatch.json";
    auto state = nlohmann::json::parse(read(state_file));
    state["parts"]["toolchain"] = std::string(32, '0');
    write(state_file, state.dump());
    write(f.dir / "app/main.py", "import json\nVERSION = '4'\n");
    r = f.rebuild();
    CHECK(r.build_path == "full build: the toolchain changed");
    CHECK_FALSE(r.fast_path);

    // A patch that finds it does not apply: the full build runs and installs.
    write(f.dir / ".freezer/cache/backends/fakepatch/app/fail_patch", "");
    write(f.dir / "app/main.py", "import json\nVERSION = '5'\n");
    const int before = f.full_runs();
    r = f.rebuild();
    CHECK(r.status == Status::built);
    CHECK_FALSE(r.fast_path);
    CHECK(r.build_path == "full build: the fast path failed: told to fail");
    CHECK(f.full_runs() == before + 1);
    CHECK_THAT(f.run("app"), Catch::Contains("VERSION = '5'"));
    CHECK_THAT(read(r.log), Catch::Contains("fast path refused: told to fail"));
}

TEST_CASE("a sidecar installed without a smoke test is flagged untested, unless freezer.yaml says why", "[builder]") {
    Fixture f;
    f.config(project_yaml(R"(  api:
    root: api
    entry: main.py
    backend: fake
  cli:
    root: cli
    entry: main.py
    backend: fake
    smoke: {untested: "a one-shot migration tool, tested by its own suite"}
)"));
    f.source("api", "A");
    f.source("cli", "A");
    const auto results = f.build();
    REQUIRE(results.size() == 2);
    for (const auto& r : results) {
        INFO(r.name);
        REQUIRE(r.status == Status::built);
        CHECK_FALSE(r.smoke.ran);
        CHECK(r.untested == (r.name == "api"));
    }
}

TEST_CASE("a running step reports the packager's phase and its usage, plain output shows heartbeats", "[builder][progress]") {
    Fixture f;
    f.config(project_yaml(sidecar_yaml("api", "delay_ms: 2500")));
    f.source("api", "A");
    REQUIRE(f.build_one().status == Status::built);
    const auto& reports = f.reporter->progress_reports;
    REQUIRE(!reports.empty());
    // The step itself first, then the fake's own "fake: phase sleeping" line, once.
    CHECK(reports.front().second.phase == "fake api");
    CHECK(reports.front().second.new_phase);
    CHECK_FALSE(reports.front().second.packager);
    int sleeping = 0;
    bool usage = false;
    for (const auto& [sidecar, p] : reports) {
        CHECK(sidecar == "api");
        if (p.new_phase && p.packager) {
            CHECK(p.phase == "sleeping");
            ++sleeping;
        }
        if (p.usage_known) {
            usage = true;
            CHECK(p.rss_kb > 0);  // the shell and its sleep
        }
    }
    CHECK(sleeping == 1);
    // Linux lists a group's processes; the generic POSIX layer cannot.
    const bool linux_layer = std::string(os::name()) == "linux";
    CHECK(usage == linux_layer);

    // The CLI, with its output not a terminal: the phase as it came, then heartbeats.
    ProcessSpec spec;
    spec.argv = {FREEZER_BIN, "-C", f.dir.path().string(), "build", "--force", "--heartbeat", "1"};
    spec.capture = true;
    spec.timeout = 60s;
    spec.env = environment_with({{"FREEZER_BACKEND_PATH", kTestPlugins.string()}});
    const auto cli = run_process(spec);
    INFO(cli.out << cli.err);
    REQUIRE(cli.exit_code == 0);
    CHECK_THAT(cli.out, Catch::Matches(R"((.|\n)*freezer: api \(fake\) [0-9.]+m?s: sleeping\n(.|\n)*)"));
    CHECK_THAT(cli.out, Catch::Contains("freezer: api (fake) still building ("));
    if (linux_layer)
        CHECK_THAT(cli.out, Catch::Matches(R"((.|\n)*still building \([0-9.]+s, cpu [0-9.]+m?s, rss [0-9.]+ [kM]B\)(.|\n)*)"));
    else
        CHECK_THAT(cli.out, Catch::Matches(R"((.|\n)*still building \([0-9.]+s\)\n(.|\n)*)"));

    // --heartbeat 0: none.
    spec.argv = {FREEZER_BIN, "-C", f.dir.path().string(), "build", "--force", "--heartbeat", "0"};
    const auto quiet = run_process(spec);
    INFO(quiet.out << quiet.err);
    REQUIRE(quiet.exit_code == 0);
    CHECK_THAT(quiet.out, !Catch::Contains("still building"));
}

TEST_CASE("a step that resolves or downloads gets timeouts.network, the others timeouts.step", "[builder][progress]") {
    Fixture f;
    f.source("api", "A");
    SECTION("network step, network timeout") {
        f.config(project_yaml(sidecar_yaml("api", "delay_ms: 20000, network: true") +
                              "    timeouts: {network: 1s}\n"));
        const auto r = f.build_one();
        CHECK(r.status == Status::failed);
        CHECK_THAT(r.error, Catch::Contains("timed out after") && Catch::Contains("raise timeouts.network"));
    }
    SECTION("defaults: apply, each timeout on its own") {
        f.config(project_yaml(sidecar_yaml("api", "delay_ms: 20000") + "    timeouts: {network: 1h}\n",
                              "defaults:\n  timeouts: {step: 1s, network: 1s}\n"));
        const auto p = f.project();
        CHECK(p.sidecars[0].timeouts.step == 1s);
        CHECK(p.sidecars[0].timeouts.network == 1h);
        const auto r = f.build_one();
        CHECK(r.status == Status::failed);
        CHECK_THAT(r.error, Catch::Contains("timed out after") && Catch::Contains("raise timeouts.step"));
    }
    SECTION("a network timeout does not cut an ordinary step short") {
        f.config(project_yaml(sidecar_yaml("api", "delay_ms: 1500") + "    timeouts: {network: 1s}\n"));
        CHECK(f.build_one().status == Status::built);
    }
}

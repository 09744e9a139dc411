// What `freezer watch` maps a changed path to (cli/watch_map.hpp): the sidecars it is an
// input of, by the same rules as the input walk, and the folders it never watches.
#include <catch2/catch.hpp>

#include <freezer/config.hpp>

#include "test_support.hpp"
#include "util/error.hpp"
#include "engine/watch_map.hpp"

using namespace freezer;
using freezer::test::TempDir;
using freezer::test::write;
namespace fs = std::filesystem;

namespace {

config::Project load(const TempDir& dir, const std::string& yaml) {
    write(dir / "freezer.yaml", yaml);
    auto r = config::load_project(dir / "freezer.yaml");
    for (const auto& d : r.diagnostics) UNSCOPED_INFO(config::format_diagnostic(d));
    REQUIRE(r.project);
    return *r.project;
}

using Names = std::vector<std::string>;

}  // namespace

TEST_CASE("a changed path rebuilds the sidecars whose inputs hold it", "[watch]") {
    TempDir dir;
    write(dir / "api/run_api.py", "");
    write(dir / "api/app/services.json", "{}");
    write(dir / "api/assets/build/logo.png", "");
    write(dir / "cli/greeter/__init__.py", "");
    write(dir / "cli/greeter/__main__.py", "");
    write(dir / "shared/__init__.py", "");
    write(dir / "shared/lib.py", "");
    const auto project = load(dir, R"(version: 1
python: .venv/bin/python
output: {dir: shared/out, tauri: shared/binaries}
sidecars:
  api:
    root: api
    entry: run_api.py
    data:
      - {src: app/services.json, dest: app}
      - {src: assets, dest: assets}
  cli:
    root: cli
    module: greeter
    inputs: {include: ["**/*.py"], exclude: ["greeter/tests/**"]}
  all:
    root: .
    module: shared
    inputs: {include: ["shared/**/*.py"]}
)");
    const WatchMap map(project, {});
    const auto d = dir.path();
    CHECK(map.sidecars() == Names{"api", "cli", "all"});

    // Sources, by the include globs (defaults: **/*.py, pyproject.toml, ...).
    CHECK(map.affected(d / "api/app/server.py", false) == Names{"api"});
    CHECK(map.affected(d / "api/pyproject.toml", false) == Names{"api"});
    CHECK(map.affected(d / "cli/greeter/__main__.py", false) == Names{"cli"});
    CHECK(map.affected(d / "shared/lib.py", false) == Names{"all"});
    CHECK(map.affected(d / "shared/sub/x.py", false) == Names{"all"});
    // Named in freezer.yaml: a data file, and every file of a data folder (even one an
    // exclude covers: the default excludes hold build/**).
    CHECK(map.affected(d / "api/app/services.json", false) == Names{"api"});
    CHECK(map.affected(d / "api/assets/build/logo.png", false) == Names{"api"});
    // Not inputs: other files, excluded ones, files of no root.
    CHECK(map.affected(d / "api/README.md", false).empty());
    CHECK(map.affected(d / "api/.server.py.swp", false).empty());
    CHECK(map.affected(d / "api/build/lib/x.py", false).empty());
    CHECK(map.affected(d / "cli/greeter/tests/test_x.py", false).empty());
    CHECK(map.affected(d / "frontend/src/main.py", false).empty());
    CHECK(map.affected(d / "README.md", false).empty());
    // freezer's own output and tools' folders, even under a root of "." whose globs match.
    CHECK(map.affected(d / "shared/out/x.py", false).empty());
    CHECK(map.affected(d / ".freezer/stage/all/shared/lib.py", false).empty());
    CHECK(map.affected(d / "shared/binaries/x.py", false).empty());
    CHECK(map.affected(d / "shared/__pycache__/lib.cpython-311.py", false).empty());
    CHECK(map.affected(d / "shared/node_modules/x.py", false).empty());
    // A folder removed or moved away: every sidecar that can have an input there.
    CHECK(map.affected(d / "api/app", true) == Names{"api"});
    CHECK(map.affected(d / "api", true) == Names{"api"});
    CHECK(map.affected(d / "cli/greeter/tests", true).empty());

    // Folders no include can reach are not watched (a root of "." with narrow globs).
    const auto f = map.filter();
    CHECK(f.enter(d / "shared/sub"));
    CHECK(f.enter(d / "api"));
    CHECK_FALSE(f.enter(d / "frontend"));

    CHECK(map.is_config(d / "freezer.yaml"));
    CHECK(map.is_config(d / "./freezer.yaml"));
    CHECK_FALSE(map.is_config(d / "api/freezer.yaml"));
    CHECK(map.shown(d / "api/app/server.py") == "api/app/server.py");
}

TEST_CASE("watch leaves out freezer's folders and those where no watched sidecar has inputs", "[watch]") {
    TempDir dir;
    write(dir / "services/api/main.py", "");
    write(dir / "services/web/main.py", "");
    const auto project = load(dir, R"(version: 1
python: .venv/bin/python
sidecars:
  api:
    root: services/api
    entry: main.py
    inputs: {exclude: ["fixtures/**"]}
  web:
    root: services/web
    entry: main.py
)");
    const auto d = dir.path();
    const WatchMap map(project, {"api"});
    CHECK(map.sidecars() == Names{"api"});
    const auto f = map.filter();
    REQUIRE(f.enter);
    CHECK(f.enter(d / "services"));      // on the way to the root
    CHECK(f.enter(d / "services/api"));
    CHECK(f.enter(d / "services/api/app"));
    CHECK_FALSE(f.enter(d / "services/api/fixtures"));  // its excludes cover it
    CHECK_FALSE(f.enter(d / "services/web"));           // not watched
    CHECK_FALSE(f.enter(d / "src-tauri"));
    CHECK(map.affected(d / "services/web/main.py", false).empty());
    CHECK(std::find(f.skip_names.begin(), f.skip_names.end(), "node_modules") != f.skip_names.end());
    CHECK(std::find(f.skip_paths.begin(), f.skip_paths.end(), d / "dist") != f.skip_paths.end());
    CHECK(std::find(f.skip_paths.begin(), f.skip_paths.end(), d / ".freezer") != f.skip_paths.end());
    CHECK(std::find(f.skip_paths.begin(), f.skip_paths.end(), d / ".venv") != f.skip_paths.end());

    CHECK_THROWS_AS(WatchMap(project, {"apx"}), SetupError);
    CHECK_THROWS_WITH(WatchMap(project, {"apx"}), Catch::Contains("did you mean 'api'"));
}

#include <catch2/catch.hpp>

#include "inputs/cache_key.hpp"
#include "inputs/input_set.hpp"
#include "inputs/stat_cache.hpp"
#include "test_support.hpp"

using namespace freezer;
using freezer::test::TempDir;
using freezer::test::write;
using nlohmann::json;

namespace {

config::Sidecar sidecar() {
    config::Sidecar sc;
    sc.name = "api";
    sc.root = "src";
    sc.entry = "main.py";
    sc.backend = "pyinstaller";
    sc.inputs.include = {"**/*.py"};
    sc.inputs.exclude = {"build/**"};
    return sc;
}

json toolchain() { return toolchain_json("pyinstaller", "1.0.0", "6.22.3", "cpython", "3.11.2", "x86_64-unknown-linux-gnu"); }

std::vector<HashedInput> hash_dir(const TempDir& dir) {
    const auto scan = scan_inputs(dir / "src", GlobSet({"**/*.py"}), GlobSet({"build/**"}), {});
    StatCache cache(dir / "statcache");
    std::vector<HashedInput> out;
    for (const auto& f : scan.files) out.push_back({f.path, *cache.hash(f.path, dir / "src" / f.path, f.stat)});
    return out;
}

}  // namespace

TEST_CASE("the key changes when any one component changes", "[key]") {
    TempDir dir;
    write(dir / "src/main.py", "print(1)\n");
    write(dir / "src/lib/util.py", "X = 1\n");
    const auto base_inputs = hash_dir(dir);
    const auto base = make_key(base_inputs, build_config_json(sidecar(), "pyinstaller"), toolchain());

    SECTION("an input's content") {
        write(dir / "src/lib/util.py", "X = 2\n");
        CHECK_FALSE(make_key(hash_dir(dir), build_config_json(sidecar(), "pyinstaller"), toolchain()).key == base.key);
    }
    SECTION("an input added") {
        write(dir / "src/lib/new.py", "");
        CHECK_FALSE(make_key(hash_dir(dir), build_config_json(sidecar(), "pyinstaller"), toolchain()).key == base.key);
    }
    SECTION("an input renamed, same content") {
        std::filesystem::rename(dir / "src/lib/util.py", dir / "src/lib/util2.py");
        CHECK_FALSE(make_key(hash_dir(dir), build_config_json(sidecar(), "pyinstaller"), toolchain()).key == base.key);
    }
    SECTION("the sidecar's config") {
        auto sc = sidecar();
        sc.hidden_imports = {"x"};
        CHECK_FALSE(make_key(base_inputs, build_config_json(sc, "pyinstaller"), toolchain()).key == base.key);
        sc = sidecar();
        sc.mode = "onedir";
        CHECK_FALSE(make_key(base_inputs, build_config_json(sc, "pyinstaller"), toolchain()).key == base.key);
        sc = sidecar();
        sc.env = {{"FOO", "1"}};
        CHECK_FALSE(make_key(base_inputs, build_config_json(sc, "pyinstaller"), toolchain()).key == base.key);
    }
    SECTION("collect_submodules, kept out of the config part while empty") {
        auto sc = sidecar();
        const auto before = build_config_json(sc, "pyinstaller");
        // Exactly the fields from before the key existed, so their cached builds still hit.
        std::vector<std::string> fields;
        for (const auto& [k, _] : before.items()) fields.push_back(k);
        CHECK(fields == std::vector<std::string>{"backend", "data", "entry", "env", "exclude_modules", "hidden_imports",
                                                 "inputs", "mode", "module", "options", "root"});
        sc.collect_submodules = {"app.services"};
        const auto with = make_key(base_inputs, build_config_json(sc, "pyinstaller"), toolchain());
        CHECK_FALSE(with.config == base.config);
        CHECK_FALSE(with.key == base.key);
        sc.collect_submodules.clear();
        const auto empty = make_key(base_inputs, build_config_json(sc, "pyinstaller"), toolchain());
        CHECK(empty.config == base.config);
        CHECK(empty.key == base.key);
    }
    SECTION("the backend's own options, but not another backend's") {
        auto sc = sidecar();
        sdk::Option strip;
        strip.kind = sdk::Option::Kind::map;
        sdk::Option yes;
        yes.kind = sdk::Option::Kind::scalar;
        yes.scalar = "true";
        strip.entries.push_back({"strip", yes});
        sc.backends["nuitka"] = strip;
        CHECK(make_key(base_inputs, build_config_json(sc, "pyinstaller"), toolchain()).key == base.key);
        sc.backends["pyinstaller"] = strip;
        CHECK_FALSE(make_key(base_inputs, build_config_json(sc, "pyinstaller"), toolchain()).key == base.key);
    }
    SECTION("backend, plugin version, tool version, interpreter, platform") {
        const json variants[] = {
            toolchain_json("nuitka", "1.0.0", "6.22.3", "cpython", "3.11.2", "x86_64-unknown-linux-gnu"),
            toolchain_json("pyinstaller", "1.0.1", "6.22.3", "cpython", "3.11.2", "x86_64-unknown-linux-gnu"),
            toolchain_json("pyinstaller", "1.0.0", "6.22.2", "cpython", "3.11.2", "x86_64-unknown-linux-gnu"),
            toolchain_json("pyinstaller", "1.0.0", "6.22.3", "cpython", "3.12.1", "x86_64-unknown-linux-gnu"),
            toolchain_json("pyinstaller", "1.0.0", "6.22.3", "cpython", "3.11.2", "aarch64-unknown-linux-gnu"),
        };
        for (const auto& t : variants)
            CHECK_FALSE(make_key(base_inputs, build_config_json(sidecar(), "pyinstaller"), t).key == base.key);
    }
    SECTION("but not when an unrelated file changes") {
        write(dir / "src/README.md", "docs");
        write(dir / "src/build/generated.py", "junk");
        write(dir / "elsewhere.py", "outside the root");
        CHECK(make_key(hash_dir(dir), build_config_json(sidecar(), "pyinstaller"), toolchain()).key == base.key);
    }
}

// Golden tests of the contrib backends' plans, with the SDK's harness
// (<freezer/plan_test.hpp>), as any plugin author would write them.
// Usage: contrib_plan_tests PLUGIN_DIR GOLDEN_DIR   (FREEZER_UPDATE_GOLDEN=1 rewrites)
#include <iostream>
#include <string>

#include <freezer/plan_test.hpp>

namespace pt = freezer::sdk::plan_test;

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: contrib_plan_tests PLUGIN_DIR GOLDEN_DIR\n";
        return 2;
    }
    const std::string plugins = argv[1], golden = argv[2];
    int failed = 0;
    auto check = [&](const pt::Plugin& plugin, const freezer::sdk::PlanRequest& rq, const std::string& name) {
        const bool ok = pt::check_golden(pt::render(plugin.plan(rq)), golden + "/" + name + ".txt");
        std::cout << (ok ? "ok   " : "FAIL ") << name << "\n";
        failed += !ok;
    };
    try {
        const pt::Plugin cx(plugins + "/freezer-backend-cx_freeze.so");
        auto rq = pt::request("api", "server.py");
        rq.mode = "onedir";
        rq.inputs = {"app/services.json", "server.py"};
        rq.hidden_imports = {"app.services.upper"};
        rq.exclude_modules = {"tkinter"};
        rq.collect_submodules = {"app.plugins"};
        rq.data = {{"app/services.json", "app"}, {"assets", "."}};
        check(cx, rq, "cx_freeze_entry");
        auto mod = pt::request("whoami", "");
        mod.module = "whoami";
        mod.mode = "onedir";
        mod.clean = true;
        check(cx, mod, "cx_freeze_module_clean");

        const pt::Plugin shiv(plugins + "/freezer-backend-shiv.so");
        auto s = pt::request("cli", "cli.py");
        s.data = {{"cli/words.txt", "cli"}};
        check(shiv, s, "shiv_entry");
        auto sm = pt::request("whoami", "");
        sm.module = "whoami";
        check(shiv, sm, "shiv_module");
    } catch (const std::exception& e) {
        std::cerr << "contrib_plan_tests: " << e.what() << "\n";
        return 1;
    }
    return failed ? 1 : 0;
}

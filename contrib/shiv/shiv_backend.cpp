// shiv: a zipapp of the app and its site-packages that unpacks itself on first run
// (under ~/.shiv) and needs Python on the target, like a .pex.
#include <freezer/backend.hpp>
#include <freezer/backend_util.hpp>

using namespace freezer::sdk;

namespace {
constexpr const char* kPinned = "1.0.8";
}  // namespace

class ShivBackend final : public Backend {
public:
    std::string name() const override { return "shiv"; }
    std::string version() const override { return "1.0"; }
    std::string describe() const override { return "shiv: a zipapp with its dependencies; needs Python on the target"; }
    std::string install_hint() const override {
        return std::string("install it into the interpreter freezer uses (freezer.yaml 'python:'): "
                           "'<python> -m pip install shiv==") + kPinned + "' (freezer's requirements.txt pins it)";
    }
    std::vector<std::string> modes() const override { return {"onefile"}; }  // one .pyz
    std::vector<Diagnostic> validate(const Option& options) const override {
        return util::validate_keys(options, name(), {"pip_args"},
                                   [](const std::string&, const Option& v, std::vector<Diagnostic>& out) {
                                       if (!util::is_string_list(v))
                                           out.push_back(util::error_at(v, "expected a list of strings: what shiv "
                                                                           "passes to pip to add dependencies"));
                                   });
    }
    Probe probe(const std::string& python) const override { return util::distribution_probe(python, "shiv"); }
    ToolFacts parse_probe(const ProbeOutput& output) const override {
        return util::parse_version_probe(output, "shiv", "-m shiv");
    }

    Plan plan(const PlanRequest& rq) const override {
        // The tree shiv archives as site-packages: the staged sources, data files also at
        // their `dest`, the marker for freezer_runtime and the entry point.
        const std::string tree = rq.work_dir + "/site";
        Plan plan;
        plan.steps.push_back(util::remove_step(tree, "remove the previous tree"));
        Step copy;
        copy.description = "copy the sources and data";
        std::string pairs;
        for (const auto& d : rq.data)
            pairs += "(" + util::python_string(d.src) + ", " + util::python_string(d.dest) + "), ";
        copy.argv = {rq.python, "-c",
                     "import os, shutil, sys\n"
                     "src, dst = sys.argv[1], sys.argv[2]\n"
                     "shutil.copytree(src, dst)\n"
                     "for s, d in [" + pairs + "]:\n"
                     "    target = os.path.join(dst, d, os.path.basename(s))\n"
                     "    if os.path.isdir(os.path.join(src, s)):\n"
                     "        shutil.copytree(os.path.join(src, s), os.path.join(dst, d), dirs_exist_ok=True)\n"
                     "    elif not os.path.exists(target):\n"
                     "        os.makedirs(os.path.dirname(target), exist_ok=True)\n"
                     "        shutil.copy2(os.path.join(src, s), target)\n",
                     rq.stage_dir, tree};
        plan.steps.push_back(copy);
        plan.steps.push_back(util::frozen_marker(name(), tree));
        Step main;
        main.kind = Step::Kind::write_file;
        main.description = "write the entry point";
        main.path = tree + "/_freezer_main.py";
        main.content = !rq.module.empty()
                           ? "import runpy\n\n\ndef main():\n    runpy.run_module(" + util::python_string(rq.module) +
                                 ", run_name=\"__main__\", alter_sys=True)\n"
                           : "import os, runpy\n\n\ndef main():\n    runpy.run_path(os.path.join(os.path.dirname("
                             "os.path.abspath(__file__)), " + util::python_string(rq.entry) +
                                 "), run_name=\"__main__\")\n";
        plan.steps.push_back(main);
        Step run;
        run.description = "shiv " + rq.sidecar;
        run.argv = {rq.python, "-m", "shiv", "--site-packages", tree, "-e", "_freezer_main:main",
                    "-o", rq.out_dir + "/" + rq.sidecar, "-p", "/usr/bin/env python3", "--reproducible"};
        for (const auto& a : util::strings(rq.options.find("pip_args"))) run.argv.push_back(a);
        run.cwd = rq.work_dir;
        plan.steps.push_back(run);
        plan.artifact_dir = rq.out_dir;
        plan.executable = rq.sidecar;
        plan.standalone = false;  // it needs python3 on the target
        return plan;
    }
};

FREEZER_BACKEND_PLUGIN(ShivBackend)

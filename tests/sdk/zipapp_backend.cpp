// A small backend on the standard library's zipapp: the sidecar's staged files, with
// its entry as __main__.py, in one .pyz that runs on the target's python3.
#include <freezer/backend.hpp>
#include <freezer/backend_util.hpp>

using namespace freezer::sdk;

class ZipappBackend final : public Backend {
public:
    std::string name() const override { return "zipapp"; }
    std::string version() const override { return "1.0"; }
    std::string describe() const override { return "a .pyz of the sidecar's sources (Python's zipapp)"; }
    std::string install_hint() const override { return "zipapp comes with Python 3.5 and later"; }

    std::vector<std::string> modes() const override { return {"onefile"}; }  // one .pyz

    std::vector<Diagnostic> validate(const Option& options) const override {
        return util::validate_keys(options, name(), {});  // no options: any key is an error
    }

    Probe probe(const std::string& python) const override {
        return {{python, "-c", "import sys, zipapp, os\nprint(sys.version.split()[0])\nprint(os.path.dirname(zipapp.__file__))\n"}};
    }
    ToolFacts parse_probe(const ProbeOutput& output) const override {
        return util::parse_version_probe(output, "zipapp", "-m zipapp");
    }

    Plan plan(const PlanRequest& rq) const override {
        if (rq.entry.empty()) throw std::runtime_error("zipapp needs 'entry:', not 'module:'");
        const std::string tree = rq.work_dir + "/tree";
        Plan plan;
        plan.steps.push_back(util::remove_step(tree, "remove the previous tree"));
        Step copy;
        copy.description = "copy the sources, the entry as __main__.py";
        copy.argv = {rq.python, "-c",
                     "import shutil, sys\n"
                     "shutil.copytree(sys.argv[1], sys.argv[2])\n"
                     "shutil.copy(sys.argv[1] + '/' + sys.argv[3], sys.argv[2] + '/__main__.py')\n",
                     rq.stage_dir, tree, rq.entry};
        plan.steps.push_back(copy);
        plan.steps.push_back(util::frozen_marker(name(), tree));  // freezer_runtime says "zipapp"
        Step pack;
        pack.description = "zipapp";
        pack.argv = {rq.python, "-m", "zipapp", tree, "-o", rq.out_dir + "/" + rq.sidecar, "-p", "/usr/bin/env python3"};
        plan.steps.push_back(pack);
        plan.artifact_dir = rq.out_dir;
        plan.executable = rq.sidecar;
        plan.standalone = false;  // it needs python3 on the target
        return plan;
    }
};

FREEZER_BACKEND_PLUGIN(ZipappBackend)

// cx_Freeze: a folder with the executable, the interpreter's shared library and the
// app's modules (lib/). Configured through the pyproject.toml cx_Freeze reads from its
// working folder, the one way its command line takes data files with a destination.
#include <algorithm>

#include <freezer/backend.hpp>
#include <freezer/backend_util.hpp>

using namespace freezer::sdk;

namespace {

constexpr const char* kPinned = "8.7.3";

std::string toml_list(const std::vector<std::string>& items) {
    std::string out = "[";
    for (const auto& i : items) out += (out.size() > 1 ? ", " : "") + util::toml_string(i);
    return out + "]";
}

}  // namespace

class CxFreezeBackend final : public Backend {
public:
    std::string name() const override { return "cx_freeze"; }
    std::string version() const override { return "1.0"; }
    std::string describe() const override { return "cx_Freeze: a folder with the executable and its libraries"; }
    std::string install_hint() const override {
        return std::string("install it into the interpreter freezer uses (freezer.yaml 'python:'): "
                           "'<python> -m pip install cx_Freeze==") + kPinned + "' (freezer's requirements.txt pins it)";
    }
    std::vector<std::string> modes() const override { return {"onedir"}; }  // no single-file mode on Linux
    std::vector<Diagnostic> validate(const Option& options) const override {
        return util::validate_keys(options, name(), {});
    }
    Probe probe(const std::string& python) const override { return util::distribution_probe(python, "cx_Freeze"); }
    ToolFacts parse_probe(const ProbeOutput& output) const override {
        return util::parse_version_probe(output, "cx_Freeze", "-m cx_Freeze");
    }

    Plan plan(const PlanRequest& rq) const override {
        Plan plan;
        std::vector<std::string> includes = rq.hidden_imports;
        std::string script = rq.stage_dir + "/" + rq.entry;
        if (!rq.module.empty()) {
            script = rq.work_dir + "/launch_" + rq.sidecar + ".py";
            plan.steps.push_back(util::module_launcher(rq.module, script));
            includes.insert(includes.begin(), {rq.module, rq.module + ".__main__"});
        }
        // freezer_runtime.frozen_backend() says "cx_freeze": the marker module, on the
        // module path and named as an include.
        const std::string marker = rq.work_dir + "/marker";
        plan.steps.push_back(util::frozen_marker(name(), marker));
        includes.push_back("_freezer_backend");

        // Data go where the app's packages are, lib/ (freezer_runtime.resource_path looks
        // there, and nothing clashes with the executable's name): a file into its `dest`
        // folder under its own name, a folder as `dest`.
        std::string data;
        for (const auto& d : rq.data) {
            const bool file = std::binary_search(rq.inputs.begin(), rq.inputs.end(), d.src);
            const std::string base = d.src.substr(d.src.find_last_of('/') + 1);
            const std::string dest = d.dest == "." ? "lib" : "lib/" + d.dest;
            const std::string target = file ? dest + "/" + base : dest;
            data += (data.empty() ? "" : ", ") + toml_list({rq.stage_dir + "/" + d.src, target});
        }
        Step config;
        config.kind = Step::Kind::write_file;
        config.description = "write cx_Freeze's configuration";
        config.path = rq.work_dir + "/pyproject.toml";
        config.content = "[project]\nname = " + util::toml_string(rq.sidecar) + "\nversion = \"0\"\n\n"
                         "[tool.cxfreeze]\nexecutables = [{script = " + util::toml_string(script) +
                         ", target_name = " + util::toml_string(rq.sidecar) + "}]\n\n"
                         "[tool.cxfreeze.build_exe]\n"
                         "build_exe = " + util::toml_string(rq.out_dir + "/" + rq.sidecar) + "\n"
                         "silent = true\n"
                         "includes = " + toml_list(includes) + "\n"
                         "excludes = " + toml_list(rq.exclude_modules) + "\n"
                         "packages = " + toml_list(rq.collect_submodules) + "\n"
                         "include_files = [" + data + "]\n";
        plan.steps.push_back(config);
        // cx_Freeze runs setuptools in its working folder (an .egg-info appears there):
        // the work folder, never the staged sources. Their modules come via PYTHONPATH.
        if (rq.clean) plan.steps.push_back(util::remove_step(rq.work_dir + "/" + rq.sidecar + ".egg-info"));
        Step run;
        run.description = "cx_Freeze " + rq.sidecar;
        run.argv = {rq.python, "-m", "cx_Freeze", "build_exe"};
        run.cwd = rq.work_dir;
        run.env = {{"PYTHONPATH", rq.stage_dir + ":" + marker}};
        plan.steps.push_back(run);
        plan.artifact_dir = rq.out_dir;
        plan.executable = rq.sidecar;
        return plan;
    }
};

FREEZER_BACKEND_PLUGIN(CxFreezeBackend)

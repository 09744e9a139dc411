// The PEX backend: a .pex zipapp (needs a Python on the target) or a scie, a single
// native executable with its own interpreter (PEX's `--scie`).
//
// It packs exactly the staged inputs (-D stage), so build/, dist/ and __pycache__
// never reach the artifact. PEX_ROOT lives under freezer's cache, per project.
// A scie needs the `science` binary and a python-build-standalone interpreter, which
// pex downloads unless `science_binary` and `assets_base_url` point at local copies or
// a mirror; when that fails, the error names those two settings.
//
// Requirements: without a `requirements` setting, a step lists the distributions the
// sidecar's imports resolve to in its interpreter (requirements_from_env.py), and pex
// takes them and their dependencies from that environment (--venv-repository): offline,
// at the tested versions, and without the packagers installed next to the app.
// `requirements: [...]` or a file resolves from the index instead; `[]` means none.
#include <freezer/backend.hpp>
#include <freezer/backend_util.hpp>

#include <algorithm>
#include <optional>
#include <stdexcept>

#include "requirements_script.hpp"

namespace {

using namespace freezer::sdk;
using namespace freezer::sdk::util;

const char* kVersion = "1.0.0";
const char* kPinned = "2.105.2";
const std::vector<std::string> kKeys = {"scie",          "python_version",  "pbs_release", "pbs_stripped",
                                        "science_binary", "assets_base_url", "requirements", "extra_args"};




// Two steps: the script, written into the work folder, and its run, which writes
// work_dir/requirements.txt. Python runs with -I: the staged app's folder must not
// shadow the standard library the script imports.
void plan_requirements_from_environment(const PlanRequest& rq, Plan& plan) {
    const std::string script = rq.work_dir + "/requirements_from_env.py";
    Step write;
    write.kind = Step::Kind::write_file;
    write.description = "requirements script";
    write.path = script;
    write.content = kRequirementsScript;
    plan.steps.push_back(std::move(write));
    Step list;
    list.description = "requirements from the environment";
    list.cwd = rq.work_dir;
    list.argv = {rq.python, "-I", script, rq.stage_dir, rq.work_dir + "/requirements.txt"};
    list.argv.insert(list.argv.end(), rq.hidden_imports.begin(), rq.hidden_imports.end());
    list.argv.insert(list.argv.end(), rq.collect_submodules.begin(), rq.collect_submodules.end());
    plan.steps.push_back(std::move(list));
}

class PexScieBackend final : public Backend {
public:
    std::string name() const override { return "pex-scie"; }
    std::string version() const override { return kVersion; }
    std::string describe() const override {
        return "PEX: a .pex zipapp (needs Python on the target) or a scie with its own interpreter";
    }
    std::string install_hint() const override {
        return std::string("install it into the interpreter freezer uses (freezer.yaml 'python:'): "
                           "'<python> -m pip install pex==") +
               kPinned + "' (freezer's requirements.txt pins it)";
    }

    std::vector<std::string> modes() const override { return {"onefile"}; }  // a .pex or a scie

    std::vector<Diagnostic> validate(const Option& options) const override {
        std::vector<Diagnostic> out;
        auto error = [&](const Option& at, std::string msg) { out.push_back(error_at(at, std::move(msg))); };
        if (!options_map(options, "pex-scie", out)) return out;
        for (const auto& [key, value] : options.entries) {
            if (!known_key(key, value, kKeys, "pex-scie", out)) {
            } else if (key == "scie") {
                if (value.kind != Option::Kind::scalar ||
                    (value.scalar != "none" && value.scalar != "eager" && value.scalar != "lazy"))
                    error(value, "expected none (a .pex), eager or lazy");
            } else if (key == "pbs_stripped") {
                if (!as_bool(value)) error(value, "expected true or false");
            } else if (key == "requirements") {
                const bool file = value.kind == Option::Kind::scalar && !value.scalar.empty();
                if (!file && !is_string_list(value)) error(value, "expected a requirements file (relative to the root) or a list of requirements");
            } else if (key == "extra_args") {
                if (!is_string_list(value)) error(value, "expected a list of strings");
            } else if (value.kind != Option::Kind::scalar || value.scalar.empty()) {
                error(value, "expected a string");
            }
        }
        return out;
    }

    std::vector<ExtraInput> extra_inputs(const Option& options) const override {
        const Option* r = options.find("requirements");
        if (r && r->kind == Option::Kind::scalar && !r->scalar.empty()) return {{r->scalar, false}};
        return {};
    }

    Probe probe(const std::string& python) const override {
        return {{python, "-c",
                 "import os, pex.version as v\n"
                 "print(v.__version__)\n"
                 "print(os.path.dirname(os.path.dirname(os.path.abspath(v.__file__))))\n"}};
    }

    ToolFacts parse_probe(const ProbeOutput& output) const override {
        return parse_version_probe(output, "pex", "-m pex");
    }

    Plan plan(const PlanRequest& rq) const override {
        if (rq.mode != "onefile")
            throw std::invalid_argument("pex builds one file (a .pex or a scie): set 'mode: onefile'");
        const std::string scie = scalar(rq.options, "scie", "none");
        Plan plan;
        Step run;
        run.cwd = rq.stage_dir;
        run.env = rq.env;
        // -v: pex says what it is doing ("Building pex :: Resolving distributions for
        // requirements"), which freezer shows as the build's phase; the .pex is the same.
        run.argv = {rq.python, "-m", "pex", "-v", "-D", rq.stage_dir, "--pex-root", rq.cache_dir + "/pex-root"};
        // Its phase lines; not the timings it prints when each ends ("...: 12.3ms").
        plan.phases = {"^pex: (?!.*: [0-9.]+ms$)(\\S.*?)[: ]*$"};
        if (const Option* r = rq.options.find("requirements")) {
            run.network = true;  // resolved from the package index
            run.argv.insert(run.argv.end(), {"--python", rq.python});
            if (r->kind == Option::Kind::scalar)
                run.argv.insert(run.argv.end(), {"-r", rq.stage_dir + "/" + r->scalar});
            else
                for (const auto& req : strings(r)) run.argv.push_back(req);
        } else {
            plan_requirements_from_environment(rq, plan);
            run.argv.insert(run.argv.end(), {"-r", rq.work_dir + "/requirements.txt", "--venv-repository", rq.python});
        }
        run.argv.insert(run.argv.end(), {"-o", rq.out_dir + "/" + rq.sidecar});
        // collect_submodules adds nothing to pex itself: it does no import analysis. -D
        // packs every staged file and each requirement is installed whole, so a package
        // from either already has all its submodules. Third-party names in
        // hidden_imports and collect_submodules join the requirements from the
        // environment, as imports do.
        if (!rq.module.empty())
            run.argv.insert(run.argv.end(), {"-m", rq.module});
        else
            run.argv.insert(run.argv.end(), {"--exe", rq.stage_dir + "/" + rq.entry});
        if (rq.clean) run.argv.push_back("--disable-cache");
        if (scie != "none") {
            run.network = true;  // the science binary and a Python build are downloaded
            run.argv.insert(run.argv.end(), {"--scie", scie, "--scie-only"});
            for (const auto& [key, flag] : {std::pair{"python_version", "--scie-python-version"},
                                            std::pair{"pbs_release", "--scie-pbs-release"},
                                            std::pair{"science_binary", "--scie-science-binary"},
                                            std::pair{"assets_base_url", "--scie-assets-base-url"}}) {
                const auto v = scalar(rq.options, key);
                if (!v.empty()) run.argv.insert(run.argv.end(), {flag, v});
            }
            if (const Option* s = rq.options.find("pbs_stripped"); s && as_bool(*s).value_or(false))
                run.argv.push_back("--scie-pbs-stripped");
            plan.failure_hints.push_back(
                {"urlopen error|Failed to (download|fetch)|science|Could not resolve host|Name or service not known",
                 "a scie needs the 'science' binary and a Python interpreter, which pex downloads. Offline, set "
                 "backends.pex-scie.science_binary (a local science executable) and "
                 "backends.pex-scie.assets_base_url (a mirror of its assets), or scie: none for a .pex"});
        }
        for (const auto& a : strings(rq.options.find("extra_args"))) run.argv.push_back(a);
        run.description = scie == "none" ? "pex " + rq.sidecar + ".pex" : "pex scie (" + scie + ") " + rq.sidecar;
        plan.steps.push_back(std::move(run));
        plan.artifact_dir = rq.out_dir;
        plan.executable = rq.sidecar;
        plan.standalone = scie != "none";  // a .pex runs on the target's Python
        return plan;
    }
};

}  // namespace

FREEZER_BACKEND_PLUGIN(PexScieBackend)

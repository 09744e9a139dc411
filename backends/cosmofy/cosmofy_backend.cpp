// The cosmofy backend (cosmofy 0.2): one Actually Portable Executable from a pure-Python
// project, built on Cosmopolitan Python.
//
// cosmofy downloads Cosmopolitan Python (from cosmo.zip unless `python_url` points
// elsewhere) into its cache, kept under freezer's cache dir. Before the build a
// preflight (preflight.py, carried in the plugin) reads the sidecar's sources and the
// installed distributions it needs, with what they require, for what Cosmopolitan
// Python lacks: os.sched_getaffinity() (file:line, with the portable fallback) and C
// extensions. Findings are warnings; with `strict: true` they are errors: "error:"
// lines in the log, which freezer shows under the FAILED line, and a failure hint.
#include <freezer/backend.hpp>
#include <freezer/backend_util.hpp>

#include <algorithm>
#include <cctype>
#include <optional>
#include <stdexcept>

#include "preflight_script.hpp"

namespace {

using namespace freezer::sdk;
using namespace freezer::sdk::util;

const char* kVersion = "1.0.0";
const char* kPinned = "0.2.1";
const std::vector<std::string> kKeys = {"python_url", "strict", "extra_args"};


// The project name a pyproject.toml for `sidecar` would have: lower case, each run of
// '.', '_' and '-' one '-' (the normalized form of a distribution name).
std::string project_name(const std::string& sidecar) {
    std::string out;
    for (char c : sidecar) {
        if (c == '.' || c == '_' || c == '-') {
            if (!out.empty() && out.back() != '-') out += '-';
        } else {
            out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
    }
    while (!out.empty() && out.back() == '-') out.pop_back();
    return out.empty() ? "app" : out;
}

// Why plan() refuses a root without pyproject.toml, with the smallest file that works
// (the project name taken from the sidecar's).
std::string missing_pyproject(const std::string& sidecar) {
    return "cosmofy builds a project: the sidecar's root needs a pyproject.toml with a [project] table; "
           "the smallest that works:\n"
           "    [project]\n"
           "    name = " + toml_string(project_name(sidecar)) + "\n"
           "    version = \"0.1.0\"\n"
           "    requires-python = \">=3.10\"\n"
           "    dependencies = []\n"
           "  In dependencies, list each distribution the sidecar imports from outside the standard library "
           "(e.g. \"pydantic>=2\"): the cosmofy preflight checks them and what they require.";
}

class CosmofyBackend final : public Backend {
public:
    std::string name() const override { return "cosmofy"; }
    std::string version() const override { return kVersion; }
    std::string describe() const override {
        return "cosmofy: one portable executable on Cosmopolitan Python (pure-Python apps only)";
    }
    std::string install_hint() const override {
        return std::string("install it into the interpreter freezer uses (freezer.yaml 'python:'): "
                           "'<python> -m pip install cosmofy==") +
               kPinned + " uv' (freezer's requirements.txt pins both)";
    }

    std::vector<std::string> modes() const override { return {"onefile"}; }  // one APE file

    std::vector<Diagnostic> validate(const Option& options) const override {
        std::vector<Diagnostic> out;
        auto error = [&](const Option& at, std::string msg) { out.push_back(error_at(at, std::move(msg))); };
        if (!options_map(options, "cosmofy", out)) return out;
        for (const auto& [key, value] : options.entries) {
            if (!known_key(key, value, kKeys, "cosmofy", out))
                continue;
            else if (key == "strict" && !as_bool(value))
                error(value, "expected true or false");
            else if (key == "python_url" && (value.kind != Option::Kind::scalar || value.scalar.empty()))
                error(value, "expected the URL of a Cosmopolitan Python (a file:// URL works offline)");
            else if (key == "extra_args" && !is_string_list(value))
                error(value, "expected a list of strings");
        }
        return out;
    }

    Probe probe(const std::string& python) const override {
        return {{python, "-c",
                 "import importlib.metadata as m, os, sys\n"
                 "print(m.version('cosmofy'))\n"
                 "print(os.path.dirname(os.path.dirname(m.distribution('cosmofy').locate_file('cosmofy'))))\n"}};
    }

    ToolFacts parse_probe(const ProbeOutput& output) const override {
        return parse_version_probe(output, "cosmofy", "cosmofy");
    }

    Plan plan(const PlanRequest& rq) const override {
        if (rq.mode != "onefile")
            throw std::invalid_argument("cosmofy builds one file: set 'mode: onefile'");
        if (!std::binary_search(rq.inputs.begin(), rq.inputs.end(), std::string("pyproject.toml")))
            throw std::invalid_argument(missing_pyproject(rq.sidecar));
        const std::string bin = rq.python.substr(0, rq.python.rfind('/'));
        const std::string cache = rq.cache_dir + "/cosmofy";
        const Option* strict_option = rq.options.find("strict");
        const bool strict = strict_option && as_bool(*strict_option).value_or(false);
        Plan plan;
        // freezer's own helper scripts travel in the plugin; each is written, then run.
        const auto write_helper = [&](const std::string& name, const char* content) {
            Step write;
            write.kind = Step::Kind::write_file;
            write.description = "write " + name;
            write.path = rq.work_dir + "/" + name;
            write.content = content;
            plan.steps.push_back(write);
            return write.path;
        };
        const std::string preflight_py = write_helper("preflight.py", kPreflightScript);

        Step preflight;
        preflight.description = "cosmofy preflight (Cosmopolitan Python compatibility)";
        preflight.cwd = rq.stage_dir;
        preflight.argv = {rq.python, preflight_py, rq.stage_dir, strict ? "1" : "0"};
        plan.steps.push_back(preflight);
        // Strict, the preflight ends with this count line when it fails the build.
        if (strict)
            plan.failure_hints.push_back(
                {"cosmofy preflight: [0-9]+ errors? \\(strict: true\\)",
                 "the cosmofy preflight found what Cosmopolitan Python cannot run (strict: true), one 'error:' line "
                 "each in the log: fix them, or set backends.cosmofy.strict: false to build anyway"});

        std::string source;
        if (!rq.module.empty()) {
            source = rq.work_dir + "/launch_" + rq.sidecar + ".py";
            plan.steps.push_back(module_launcher(rq.module, source));
        } else {
            source = rq.stage_dir + "/" + rq.entry;
        }
        // `uv sync --script`, which cosmofy runs, reads the script's inline metadata and
        // not pyproject.toml: the script cosmofy gets carries pyproject's dependencies in
        // a PEP 723 block. Named after the sidecar, as cosmofy names the executable.
        const std::string metadata_py = write_helper("script_metadata.py", kScriptMetadataScript);
        const std::string script = rq.work_dir + "/" + rq.sidecar + ".py";
        Step meta;
        meta.description = "script metadata for cosmofy (dependencies from pyproject.toml)";
        meta.cwd = rq.stage_dir;
        meta.argv = {rq.python, metadata_py, rq.stage_dir + "/pyproject.toml", source, script};
        plan.steps.push_back(meta);

        // collect_submodules adds nothing: cosmofy does no import analysis. It bundles the
        // script and every file of the environment `uv sync --script` makes for it, so a
        // package it bundles is whole. It takes no other file of the root, with or
        // without the key (a package there must come as a dependency of the script).
        Step run;
        run.description = "cosmofy bundle " + rq.sidecar;
        run.cwd = rq.stage_dir;
        run.env = rq.env;
        // cosmofy runs uv, installed beside the interpreter by the same requirements file.
        run.env.emplace_back("PATH", bin + ":/usr/local/bin:/usr/bin:/bin");
        run.env.emplace_back("COSMOFY_CACHE_DIR", cache);
        run.network = true;  // Cosmopolitan Python is downloaded, uv resolves from the package index
        run.argv = {bin + "/cosmofy", "bundle", "--script", script, "--output-dir", rq.out_dir, "--cache-dir", cache};
        if (const Option* url = rq.options.find("python_url"); url && url->kind == Option::Kind::scalar)
            run.argv.insert(run.argv.end(), {"--python-url", url->scalar});
        if (rq.clean) run.argv.push_back("--no-cache");
        if (const Option* extra = rq.options.find("extra_args"))
            for (const auto& a : extra->items) run.argv.push_back(a.scalar);
        plan.steps.push_back(std::move(run));
        plan.failure_hints.push_back(
            {"cosmo\\.zip|dns error|failed to lookup|[Cc]onnect|download|resolve",
             "cosmofy downloads Cosmopolitan Python (from cosmo.zip by default) into " + cache +
                 ". Offline, set backends.cosmofy.python_url to a reachable copy (file:///path/to/python works), or "
                 "put the file into that cache folder"});
        plan.artifact_dir = rq.out_dir;
        plan.executable = rq.sidecar;
        return plan;
    }
};

}  // namespace

FREEZER_BACKEND_PLUGIN(CosmofyBackend)

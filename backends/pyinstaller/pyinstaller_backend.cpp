// The PyInstaller backend: turns a PlanRequest into `python -m PyInstaller ...`.
//
// Incremental by design: the work dir (--workpath) persists per sidecar under
// freezer's cache, so PyInstaller re-runs only the stages whose inputs changed; --clean
// is passed only for `freezer build --force`. PYINSTALLER_CONFIG_DIR points into the
// backend's cache too, so --clean never touches the user's global cache.
#include <freezer/backend.hpp>
#include <freezer/backend_util.hpp>

#include "fast_path_script.hpp"

#include <algorithm>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace {

using namespace freezer::sdk;
using namespace freezer::sdk::util;

const char* kVersion = "1.0.0";
const char* kPinned = "6.22.3";

const std::vector<std::string> kKeys = {"spec",  "strip",      "optimize",  "collect_submodules",
                                        "paths", "extra_args", "fast_path"};

// The PyInstaller releases the fast path was tested with, as [oldest, newest] (major,
// minor): its helper reads PyInstaller's work-folder records and archive classes, and
// its output must hold what a full build would. Checked with tests/pyi_archive_diff.py
// on 6.16, 6.19 and 6.22 (6.22 in the test suite). Before 6.16 it does not hold: 6.13
// and 6.15 name code objects (co_filename) otherwise, and the archive reader of 6.11
// and earlier has another shape.
constexpr std::pair<int, int> kFastPathOldest{6, 16};
constexpr std::pair<int, int> kFastPathNewest{6, 22};

std::optional<std::pair<int, int>> major_minor(const std::string& version) {
    int major = 0, minor = 0;
    char dot = 0;
    std::istringstream in(version);
    if (!(in >> major >> dot >> minor) || dot != '.') return std::nullopt;
    return std::pair{major, minor};
}

std::string spec_of(const Option& options) {
    const Option* s = options.find("spec");
    return s && s->kind == Option::Kind::scalar ? s->scalar : std::string();
}

class PyInstallerBackend final : public Backend {
public:
    std::string name() const override { return "pyinstaller"; }
    std::string version() const override { return kVersion; }
    std::string describe() const override {
        return "PyInstaller: onefile or onedir bundles, incremental via a kept --workpath";
    }
    std::string install_hint() const override {
        return std::string("install it into the interpreter freezer uses (freezer.yaml 'python:'): "
                           "'<python> -m pip install pyinstaller==") +
               kPinned + "' (freezer's requirements.txt pins it); on Linux it also needs "
                         "objdump: 'apt-get install binutils'";
    }

    std::vector<Diagnostic> validate(const Option& options) const override {
        std::vector<Diagnostic> out;
        auto error = [&](const Option& at, std::string msg) { out.push_back(error_at(at, std::move(msg))); };
        if (!options_map(options, "PyInstaller", out)) return out;
        for (const auto& [key, value] : options.entries) {
            if (!known_key(key, value, kKeys, "PyInstaller", out)) {
            } else if (key == "spec") {
                if (value.kind == Option::Kind::null) continue;
                if (value.kind != Option::Kind::scalar || value.scalar.empty())
                    error(value, "expected the path of a .spec file, relative to the root");
                else if (value.scalar.size() < 5 ||
                         value.scalar.substr(value.scalar.size() - 5) != ".spec")
                    error(value, "'" + value.scalar + "' does not end in .spec");
                else if (value.scalar[0] == '/' || value.scalar.find("..") != std::string::npos)
                    error(value, "must be a path relative to the sidecar's root");
            } else if (key == "strip" || key == "fast_path") {
                if (!as_bool(value)) error(value, "expected true or false");
            } else if (key == "optimize") {
                if (value.kind != Option::Kind::scalar ||
                    (value.scalar != "0" && value.scalar != "1" && value.scalar != "2"))
                    error(value, "expected 0, 1 or 2");
            } else if (!is_string_list(value)) {
                error(value, "expected a list of strings");
            }
        }
        // Spec mode: PyInstaller accepts no other build options with a .spec file.
        if (!spec_of(options).empty())
            for (const auto& [key, value] : options.entries)
                if (key != "spec" && key != "fast_path" && value.kind != Option::Kind::null)
                    error(value, "'" + key +
                                     "' cannot be combined with 'spec': PyInstaller takes its "
                                     "build options from the .spec file");
        return out;
    }

    std::vector<ExtraInput> extra_inputs(const Option& options) const override {
        const auto spec = spec_of(options);
        if (spec.empty()) return {};
        return {{spec, true}};
    }

    Probe probe(const std::string& python) const override {
        return {{python, "-c",
                 "import os, PyInstaller\n"
                 "print(PyInstaller.__version__)\n"
                 "print(os.path.dirname(os.path.dirname(os.path.abspath(PyInstaller.__file__))))\n"}};
    }

    ToolFacts parse_probe(const ProbeOutput& output) const override {
        return parse_version_probe(output, "PyInstaller", "-m PyInstaller");
    }

    Plan plan(const PlanRequest& rq) const override {
        Plan plan;
        Step run;
        run.kind = Step::Kind::run;
        run.cwd = rq.stage_dir;
        run.env = rq.env;
        run.env.emplace_back("PYINSTALLER_CONFIG_DIR", rq.cache_dir + "/config");
        run.argv = {rq.python, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
                    "--distpath", rq.out_dir, "--workpath", rq.work_dir};
        if (rq.clean) run.argv.push_back("--clean");

        const auto spec = spec_of(rq.options);
        if (!spec.empty()) {
            // PyInstaller exits with "makespec options not valid when a .spec file is
            // given" for --collect-submodules; the spec must say it itself.
            if (!rq.collect_submodules.empty())
                throw std::invalid_argument(
                    "sidecars." + rq.sidecar +
                    ": collect_submodules cannot be combined with backends.pyinstaller.spec: PyInstaller takes "
                    "its module options from the .spec file. Write hiddenimports=collect_submodules('" +
                    rq.collect_submodules.front() + "') (from PyInstaller.utils.hooks) in " + spec +
                    " and remove the key (or set collect_submodules: [] when it comes from defaults)");
            run.description = "pyinstaller " + spec;
            run.argv.push_back(rq.stage_dir + "/" + spec);
            plan.steps.push_back(std::move(run));
            plan.artifact_dir = rq.out_dir;  // the spec names the executable
            return plan;
        }

        if (rq.mode != "onefile" && rq.mode != "onedir")
            throw std::invalid_argument("unknown mode '" + rq.mode + "'");
        run.argv.insert(run.argv.end(),
                        {"--name", rq.sidecar, rq.mode == "onefile" ? "--onefile" : "--onedir",
                         "--specpath", rq.work_dir, "--paths", rq.stage_dir});
        for (const auto& p : strings(rq.options.find("paths")))
            run.argv.insert(run.argv.end(), {"--paths", rq.stage_dir + "/" + p});
        std::vector<std::string> hidden = rq.hidden_imports;
        std::string script;
        if (!rq.module.empty()) {
            // PyInstaller wants a script: a two-line launcher that runs the module as
            // __main__, and the module as a hidden import so analysis follows it.
            script = rq.work_dir + "/launch_" + rq.sidecar + ".py";
            plan.steps.push_back(module_launcher(rq.module, script));
            // For a package, runpy runs M.__main__; a missing one only warns.
            hidden.insert(hidden.begin(), {rq.module, rq.module + ".__main__"});
        } else {
            script = rq.stage_dir + "/" + rq.entry;
        }
        for (const auto& m : hidden) run.argv.insert(run.argv.end(), {"--hidden-import", m});
        for (const auto& m : rq.collect_submodules) run.argv.insert(run.argv.end(), {"--collect-submodules", m});
        for (const auto& m : strings(rq.options.find("collect_submodules")))
            run.argv.insert(run.argv.end(), {"--collect-submodules", m});
        for (const auto& m : rq.exclude_modules)
            run.argv.insert(run.argv.end(), {"--exclude-module", m});
        for (const auto& d : rq.data)
            run.argv.insert(run.argv.end(),
                            {"--add-data", rq.stage_dir + "/" + d.src + ":" + d.dest});
        if (const Option* s = rq.options.find("strip"); s && as_bool(*s).value_or(false))
            run.argv.push_back("--strip");
        if (const Option* o = rq.options.find("optimize"); o && o->kind == Option::Kind::scalar)
            run.argv.insert(run.argv.end(), {"--optimize", o->scalar});
        for (const auto& a : strings(rq.options.find("extra_args"))) run.argv.push_back(a);
        run.argv.push_back(script);
        run.description = "pyinstaller " + rq.mode + " " + rq.sidecar;
        plan.steps.push_back(std::move(run));

        plan.artifact_dir = rq.out_dir;
        plan.executable = rq.sidecar;
        return plan;
    }

    bool can_patch() const override { return true; }

    Patch patch(const PatchRequest& pr) const override {
        const auto& rq = pr.request;
        Patch out;
        const auto version = major_minor(rq.tool.version);
        if (const Option* f = rq.options.find("fast_path"); f && !as_bool(*f).value_or(true)) {
            out.refused = "fast_path: false in the sidecar's pyinstaller options";
        } else if (!spec_of(rq.options).empty()) {
            out.refused = "a .spec file may assemble anything; the fast path patches only builds freezer describes";
        } else if (!strings(rq.options.find("extra_args")).empty()) {
            out.refused = "extra_args may change how PyInstaller assembles the executable";
        } else if (!version || *version < kFastPathOldest || *version > kFastPathNewest) {
            out.refused = "PyInstaller " + rq.tool.version + " is outside the fast path's tested range (" +
                          std::to_string(kFastPathOldest.first) + "." + std::to_string(kFastPathOldest.second) +
                          " to " + std::to_string(kFastPathNewest.first) + "." +
                          std::to_string(kFastPathNewest.second) + ")";
        } else if (rq.mode != "onefile" && rq.mode != "onedir") {
            out.refused = "unknown mode '" + rq.mode + "'";
        } else if (pr.changed.empty()) {
            out.refused = "no module changed";
        }
        if (!out.refused.empty()) return out;

        Step write;
        write.kind = Step::Kind::write_file;
        write.description = "write the fast-path helper";
        write.path = rq.work_dir + "/fast_path.py";
        write.content = kFastPathScript;
        out.plan.steps.push_back(write);

        Step run;
        run.kind = Step::Kind::run;
        run.description = "pyinstaller fast path " + rq.mode + " " + rq.sidecar;
        run.cwd = rq.stage_dir;
        run.env = rq.env;
        run.argv = {rq.python, "-I", write.path,
                    "--executable", pr.previous_dir + "/" + pr.previous_executable,
                    "--mode", rq.mode,
                    "--workpath", rq.work_dir + "/" + rq.sidecar,  // PyInstaller's: <workpath>/<name>
                    "--stage", rq.stage_dir,
                    "--out", rq.out_dir,
                    "--name", rq.sidecar,
                    "--"};
        run.argv.insert(run.argv.end(), pr.changed.begin(), pr.changed.end());
        out.plan.steps.push_back(run);
        out.plan.artifact_dir = rq.out_dir;
        out.plan.executable = rq.sidecar;
        return out;
    }
};

}  // namespace

FREEZER_BACKEND_PLUGIN(PyInstallerBackend)

// The Nuitka backend: compiles the sidecar to C and links it (standalone folder or a
// onefile executable).
//
// Speed comes from caches kept per project under freezer's cache dir: NUITKA_CACHE_DIR
// (downloads none; bytecode, dll dependencies) and CCACHE_DIR (Debian's ccache, which
// Nuitka uses when it is on PATH). --jobs is the number of CPU tokens the scheduler
// granted; --lto=no unless asked, for predictable development builds. It never passes
// --assume-yes-for-downloads: a freezer build does not download.
#include <freezer/backend.hpp>
#include <freezer/backend_util.hpp>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <stdexcept>

namespace {

using namespace freezer::sdk;
using namespace freezer::sdk::util;

const char* kVersion = "1.0.0";
const char* kPinned = "4.3.3";
const std::vector<std::string> kKeys = {"jobs", "lto", "plugins", "extra_args"};



// "auto" or absent: whatever the scheduler grants; a number: at most that many.
int jobs_option(const Option& options, int budget) {
    const Option* j = options.find("jobs");
    if (!j || j->kind != Option::Kind::scalar || j->scalar == "auto") return budget;
    return std::clamp(std::stoi(j->scalar), 1, std::max(1, budget));
}

class NuitkaBackend final : public Backend {
public:
    std::string name() const override { return "nuitka"; }
    std::string version() const override { return kVersion; }
    std::string describe() const override {
        return "Nuitka: compiles to C; standalone folder or onefile; incremental through ccache";
    }
    std::string install_hint() const override {
        return std::string("install it into the interpreter freezer uses (freezer.yaml 'python:'): "
                           "'<python> -m pip install nuitka==") +
               kPinned + " zstandard' (freezer's requirements.txt pins both); it also needs a C compiler, "
                         "the Python headers, patchelf and, for fast rebuilds, ccache: "
                         "'apt-get install gcc python3-dev patchelf ccache'";
    }

    int cpu_tokens_wanted(const Option& options, int budget) const override {
        return jobs_option(options, budget);
    }

    std::vector<Diagnostic> validate(const Option& options) const override {
        std::vector<Diagnostic> out;
        auto error = [&](const Option& at, std::string msg) { out.push_back(error_at(at, std::move(msg))); };
        if (!options_map(options, "Nuitka", out)) return out;
        for (const auto& [key, value] : options.entries) {
            if (!known_key(key, value, kKeys, "Nuitka", out)) {
            } else if (key == "jobs") {
                const bool ok = value.kind == Option::Kind::scalar &&
                                (value.scalar == "auto" ||
                                 (!value.scalar.empty() &&
                                  std::all_of(value.scalar.begin(), value.scalar.end(), ::isdigit) &&
                                  std::stoi(value.scalar) >= 1));
                if (!ok) error(value, "expected 'auto' or a whole number of at least 1");
            } else if (key == "lto") {
                if (!as_bool(value) && !(value.kind == Option::Kind::scalar && value.scalar == "auto"))
                    error(value, "expected true, false or auto");
            } else {
                const bool ok = is_string_list(value);
                if (!ok) error(value, "expected a list of strings");
                if (ok && key == "extra_args")
                    for (const auto& i : value.items)
                        if (i.scalar.rfind("--assume-yes-for-downloads", 0) == 0)
                            error(i, "freezer builds must not download: leave out --assume-yes-for-downloads");
            }
        }
        return out;
    }

    Probe probe(const std::string& python) const override {
        return {{python, "-c",
                 "import os, nuitka.Version as v\n"
                 "print(v.getNuitkaVersion())\n"
                 "print(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(v.__file__)))))\n"}};
    }

    ToolFacts parse_probe(const ProbeOutput& output) const override {
        return parse_version_probe(output, "Nuitka", "-m nuitka");
    }

    Plan plan(const PlanRequest& rq) const override {
        namespace fs = std::filesystem;
        // Decided from the request's input list, never from the disk: a plan is a pure
        // function of its request (the core hashes it into the key before staging).
        auto is_input = [&](const std::string& rel) {
            return std::binary_search(rq.inputs.begin(), rq.inputs.end(), rel);
        };
        auto is_input_dir = [&](const std::string& rel) {
            const auto it = std::lower_bound(rq.inputs.begin(), rq.inputs.end(), rel + "/");
            return it != rq.inputs.end() && it->rfind(rel + "/", 0) == 0;
        };
        if (rq.mode != "onefile" && rq.mode != "onedir")
            throw std::invalid_argument("unknown mode '" + rq.mode + "'");
        Plan plan;
        Step run;
        run.cwd = rq.stage_dir;
        run.env = rq.env;
        run.env.emplace_back("NUITKA_CACHE_DIR", rq.cache_dir + "/nuitka-cache");
        run.env.emplace_back("CCACHE_DIR", rq.cache_dir + "/ccache");
        run.env.emplace_back("PYTHONPATH", rq.stage_dir);  // so --include-module finds the app
        run.argv = {rq.python, "-m", "nuitka",
                    rq.mode == "onefile" ? "--mode=onefile" : "--mode=standalone",
                    "--jobs=" + std::to_string(jobs_option(rq.options, rq.cpu_tokens)),
                    "--lto=" + lto(rq.options),
                    "--output-dir=" + rq.out_dir,
                    "--output-filename=" + rq.sidecar,
                    "--remove-output",
                    "--progress-bar=none",
                    // What went in (modules, extensions, data, sizes): a onefile's payload
                    // is compressed, so freezer reads this instead (freezer audit, trace).
                    "--report=" + rq.work_dir + "/compilation-report.xml"};
        if (rq.clean) run.argv.push_back("--clean-cache=all");
        for (const auto& p : strings(rq.options.find("plugins"))) run.argv.push_back("--enable-plugins=" + p);
        std::vector<std::string> includes = rq.hidden_imports;
        std::string main;
        if (!rq.module.empty()) {
            std::string rel = rq.module;
            std::replace(rel.begin(), rel.end(), '.', '/');
            if (is_input(rel + "/__main__.py")) {
                // A package with __main__: Nuitka compiles the package folder as the program.
                main = rq.stage_dir + "/" + rel;
            } else {
                main = rq.work_dir + "/launch_" + rq.sidecar + ".py";
                plan.steps.push_back(module_launcher(rq.module, main));
                includes.insert(includes.begin(), rq.module);
            }
        } else {
            main = rq.stage_dir + "/" + rq.entry;
        }
        for (const auto& m : includes) run.argv.push_back("--include-module=" + m);
        for (const auto& m : rq.collect_submodules) run.argv.push_back("--include-package=" + m);
        for (const auto& m : rq.exclude_modules) run.argv.push_back("--nofollow-import-to=" + m);
        for (const auto& d : rq.data) {
            const auto src = rq.stage_dir + "/" + d.src;
            const auto name = fs::path(d.src).filename().string();
            const std::string dest = d.dest == "." ? name : d.dest + "/" + name;
            run.argv.push_back((is_input_dir(d.src) ? "--include-data-dir=" : "--include-data-files=") + src +
                               "=" + dest);
        }
        for (const auto& a : strings(rq.options.find("extra_args"))) run.argv.push_back(a);
        run.argv.push_back(main);
        run.description = "nuitka " + rq.mode + " " + rq.sidecar;
        plan.steps.push_back(std::move(run));
        plan.artifact_dir = rq.out_dir;  // onefile: the executable; standalone: <main>.dist/
        plan.executable = rq.sidecar;
        plan.report = rq.work_dir + "/compilation-report.xml";
        // Nuitka's milestones, from Python-level compilation to the onefile's payload.
        plan.phases = {"^(Nuitka(?:-Scons|-Onefile)?: (?:Starting Python compilation|Completed Python level compilation|"
                       "Generating source code|Running data composer|Running C compilation|Backend C (?:compil|link)|"
                       "Onefile C (?:compil|link)|Creating single file|Running bootstrap|Using compression|"
                       "Successfully created).*)$"};
        plan.metrics = {{"ccache_hits", "result 'cache hit': (\\d+)"},
                        {"ccache_misses", "result 'cache miss': (\\d+)"}};
        return plan;
    }

private:
    static std::string lto(const Option& options) {
        const Option* l = options.find("lto");
        if (!l) return "no";
        if (l->kind == Option::Kind::scalar && l->scalar == "auto") return "auto";
        return as_bool(*l).value_or(false) ? "yes" : "no";
    }
};

}  // namespace

FREEZER_BACKEND_PLUGIN(NuitkaBackend)

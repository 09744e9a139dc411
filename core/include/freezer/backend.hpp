// freezer backend SDK: the whole contract between freezer's core and a packager plugin.
//
// A backend is a *planner*. The core hands it a plain-data PlanRequest (the sidecar's
// spec, the folders it may use, the interpreter, the CPU tokens it was granted, the
// clean flag and the facts a probe found about its tool) and gets back a Plan: ordered
// steps (argv, env, cwd, or a file to write) and where the artifact will be. A backend
// never runs anything itself, so a plan is a pure function of its request and the
// plugin's tests are golden tests of argv.
//
// ABI rules (read these before writing a plugin):
//  * Host and plugins are built with the same compiler, standard library and flags:
//    the types below cross the boundary as C++ objects (std::string, std::vector).
//  * A plugin exports two symbols, both made by FREEZER_BACKEND_PLUGIN(Class):
//      - `freezer_backend_abi`    (extern "C" std::uint32_t) == kAbiVersion it was built with;
//      - `freezer_backend_create` (BOOST_DLL_ALIAS) returning a new BackendAbi*.
//    The host checks both exist and that the ABI versions match before creating anything.
//  * No exception crosses the boundary. Authors implement `Backend`, whose methods may
//    throw; the macro wraps it in a plugin-side adapter whose noexcept methods turn any
//    exception into a Failure value.
//  * The host keeps the shared library loaded for as long as any object it made lives.
//
// Bump kAbiVersion whenever any type or virtual function below changes shape.
#pragma once

#include <cstdint>
#include <exception>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <boost/config.hpp>
#include <boost/dll/alias.hpp>

namespace freezer::sdk {

// 4: PlanRequest::collect_submodules (plugins built for 3 are refused: the layout moved).
// 5: Plan::report.
// 6: Backend::modes(), Step::Kind::remove, Option::entries of OptionEntry (not std::pair:
//    clang could not compile the recursive pair with libstdc++).
// 7: Backend::can_patch() and patch(): the fast path (PatchRequest, Patch).
// 8: Step::network and Plan::phases: a step's timeout class and the packager's progress.
inline constexpr std::uint32_t kAbiVersion = 8;

// Where a value came from in freezer.yaml (1-based line and column; 0 when synthetic).
struct Location {
    std::string file;
    int line = 0;
    int column = 0;
};

struct OptionEntry;

// A backend's options section (`sidecars.X.backends.<name>`) as plain data: the YAML
// tree without YAML. Scalars keep their text; the backend decides what they mean.
struct Option {
    enum class Kind { null, scalar, list, map };
    Kind kind = Kind::null;
    std::string scalar;
    std::vector<Option> items;         // Kind::list
    std::vector<OptionEntry> entries;  // Kind::map, in file order: `for (auto& [key, value] : entries)`
    Location where;
    std::string path;  // key path, e.g. "sidecars.api.backends.pyinstaller.spec"

    const Option* find(const std::string& key) const;
};

// A key and its value. Not std::pair: a pair of an incomplete Option does not compile
// with clang and libstdc++ (pair's conditionally explicit default constructor asks
// about Option while Option is being defined).
struct OptionEntry {
    std::string first;
    Option second;
};

inline const Option* Option::find(const std::string& key) const {
    for (const auto& [k, v] : entries)
        if (k == key) return &v;
    return nullptr;
}

// A problem found in a backend's options, reported by the core with file:line:column.
struct Diagnostic {
    enum class Severity { error, warning };
    Severity severity = Severity::error;
    Location where;
    std::string path;  // key path
    std::string message;
};

struct DataFile {
    std::string src;   // relative to the staged sidecar root
    std::string dest;  // folder inside the bundle ("." = top)
};

// What the backend's probe found out about its tool.
struct ToolFacts {
    bool found = false;
    std::string path;     // what runs it, e.g. "/p/.venv/bin/python -m PyInstaller"
    std::string version;  // e.g. "6.22.3"
    // Paths whose (mtime, ctime, inode) decide whether a cached probe is still valid,
    // e.g. the site-packages folder the tool is installed in.
    std::vector<std::string> fingerprint;
    std::string problem;  // when !found: what went wrong, shown with install_hint()
};

// A probe: a command the core runs (once per tool fingerprint) to fill ToolFacts.
struct Probe {
    std::vector<std::string> argv;
};

struct ProbeOutput {
    int exit_code = -1;
    std::string stdout_text;
    std::string stderr_text;
};

// A file the backend needs as an input besides the sidecar's globs (a .spec file).
struct ExtraInput {
    std::string path;  // relative to the sidecar root
    bool warn_if_uncommitted = false;
};

struct PlanRequest {
    std::string sidecar;  // the sidecar's name; also the executable's name
    std::string entry;    // script relative to stage_dir, or empty when `module` is set
    std::string module;   // dotted module name, or empty
    std::string mode;     // "onefile" | "onedir"
    std::vector<std::string> hidden_imports;
    std::vector<std::string> exclude_modules;
    std::vector<std::string> collect_submodules;  // packages wanted whole, every submodule
    std::vector<DataFile> data;
    std::vector<std::pair<std::string, std::string>> env;  // declared build environment
    Option options;  // this backend's own options section (Kind::null when absent)

    std::vector<std::string> inputs;  // the staged files, relative to stage_dir, sorted
    std::string stage_dir;  // absolute: the hashed inputs, exactly as hashed
    std::string work_dir;   // absolute: this backend's cache for this sidecar; persists
    std::string out_dir;    // absolute: empty folder the artifact must end up in
    std::string cache_dir;  // absolute: this backend's cache root (shared by sidecars)
    std::string python;     // absolute path of the interpreter
    int cpu_tokens = 1;
    bool clean = false;  // --force: drop the packager's caches
    ToolFacts tool;
};

struct Step {
    // run: argv in cwd with env added; write_file: content to path, atomically, parent
    // folders made; remove: path and everything below it, gone (nothing there is fine).
    enum class Kind { run, write_file, remove };
    Kind kind = Kind::run;
    std::string description;  // one line for progress and logs
    std::vector<std::string> argv;                         // Kind::run
    std::vector<std::pair<std::string, std::string>> env;  // added to the environment
    std::string cwd;
    std::string path;     // Kind::write_file, Kind::remove: absolute path
    std::string content;  // Kind::write_file
    // Kind::run: the step resolves or downloads (pip, pex's resolver, a Python download),
    // so a dead mirror or a stalled connection is its likely way to hang. It gets the
    // network timeout (`timeouts.network`, default 30m) instead of the step timeout
    // (`timeouts.step`, default 2h).
    bool network = false;
};

// A number the core reads off the build's log: every match of `pattern` (an ECMAScript
// regex with one capture group of digits) adds its capture to the metric `name`.
// Nuitka's ccache hits and misses are reported this way.
struct Metric {
    std::string name;
    std::string pattern;
};

// Advice for a failed build: when a failed step's log matches `pattern` (ECMAScript),
// `message` is added to the error, e.g. which setting makes an offline build work.
struct FailureHint {
    std::string pattern;
    std::string message;
};

struct Plan {
    std::vector<Step> steps;
    std::vector<Metric> metrics;
    std::vector<FailureHint> failure_hints;
    // The packager's own progress: ECMAScript regexes matched against each line the steps
    // print while they run. The last matching line (its first capture group, or the whole
    // match) is shown as the build's current phase ("Nuitka-Scons: Backend C compiler").
    std::vector<std::string> phases;
    // Folder whose contents become dist/<sidecar>/ (usually out_dir). If it holds a
    // single folder and nothing else, that folder is used instead (onedir layouts).
    std::string artifact_dir;
    // The main executable, relative to the artifact folder; empty: the core looks for it.
    std::string executable;
    // False when the artifact needs a Python interpreter on the target (a plain .pex):
    // its smoke test then keeps the interpreter's folder on PATH.
    bool standalone = true;
    // A file the steps write that lists what the packager bundled, when the artifact
    // itself cannot be read (Nuitka's compilation report: a onefile is compressed).
    // Empty: freezer lists the artifact (folders, zips, PyInstaller archives).
    std::string report;
};

// The fast path: a build made by patching the previous one. The core asks for it only
// when every input that changed is a pure-Python module whose imports did not change
// (the same import statements and string-literal __import__/import_module calls), and
// the config, the tools and the other inputs are those of the previous build, which is
// installed and intact. The backend may still refuse. A patch that fails at run time
// costs nothing but time: the core then runs the full plan.
struct PatchRequest {
    PlanRequest request;               // what a full build would get (clean is false)
    std::vector<std::string> changed;  // the changed modules, relative to request.stage_dir, sorted
    std::string previous_dir;          // absolute: the previous build as installed; read only
    std::string previous_executable;   // relative to previous_dir
};

struct Patch {
    std::string refused;  // non-empty: no fast path, and why (shown by -v and explain)
    Plan plan;            // otherwise: steps that leave the new artifact as plan() would
};

struct Failure {
    std::string message;
};

template <class T>
using Result = std::variant<T, Failure>;

// What plugin authors implement. Methods may throw; the adapter catches.
class Backend {
public:
    virtual ~Backend() = default;
    virtual std::string name() const = 0;     // as written in freezer.yaml
    virtual std::string version() const = 0;  // the plugin's own version
    virtual std::string describe() const = 0;  // one line for `freezer backends`
    virtual std::string install_hint() const = 0;  // how to get the tool
    // CPU tokens this backend wants for one build (Nuitka compiles in parallel).
    virtual int cpu_tokens_wanted(const Option& options, int budget) const {
        (void)options;
        (void)budget;
        return 1;
    }
    // The values of a sidecar's `mode:` this backend builds; `freezer check` refuses
    // others at the sidecar's mode line.
    virtual std::vector<std::string> modes() const { return {"onefile", "onedir"}; }
    virtual std::vector<Diagnostic> validate(const Option& options) const = 0;
    virtual std::vector<ExtraInput> extra_inputs(const Option& options) const {
        (void)options;
        return {};
    }
    virtual Probe probe(const std::string& python) const = 0;
    virtual ToolFacts parse_probe(const ProbeOutput& output) const = 0;
    virtual Plan plan(const PlanRequest& request) const = 0;
    // True when patch() can ever offer a fast path: the core then keeps the record it
    // needs (what each module imports) after every build.
    virtual bool can_patch() const { return false; }
    virtual Patch patch(const PatchRequest& request) const {
        (void)request;
        Patch p;
        p.refused = "the backend has no fast path";
        return p;
    }
};

// The interface the host sees: every method noexcept, failures as values.
class BackendAbi {
public:
    virtual ~BackendAbi() = default;
    virtual Result<std::string> name() const noexcept = 0;
    virtual Result<std::string> version() const noexcept = 0;
    virtual Result<std::string> describe() const noexcept = 0;
    virtual Result<std::string> install_hint() const noexcept = 0;
    virtual Result<int> cpu_tokens_wanted(const Option& options, int budget) const noexcept = 0;
    virtual Result<std::vector<std::string>> modes() const noexcept = 0;
    virtual Result<std::vector<Diagnostic>> validate(const Option& options) const noexcept = 0;
    virtual Result<std::vector<ExtraInput>> extra_inputs(const Option& options) const noexcept = 0;
    virtual Result<Probe> probe(const std::string& python) const noexcept = 0;
    virtual Result<ToolFacts> parse_probe(const ProbeOutput& output) const noexcept = 0;
    virtual Result<Plan> plan(const PlanRequest& request) const noexcept = 0;
    virtual Result<bool> can_patch() const noexcept = 0;
    virtual Result<Patch> patch(const PatchRequest& request) const noexcept = 0;
};

namespace detail {

template <class F>
auto guarded(F&& f) noexcept -> Result<decltype(f())> {
    try {
        return f();
    } catch (const std::exception& e) {
        return Failure{e.what()};
    } catch (...) {
        return Failure{"unknown exception"};
    }
}

// Compiled into the plugin: catches on the plugin's side of the boundary.
template <class Impl>
class Guarded final : public BackendAbi {
public:
    Result<std::string> name() const noexcept override {
        return guarded([&] { return impl_.name(); });
    }
    Result<std::string> version() const noexcept override {
        return guarded([&] { return impl_.version(); });
    }
    Result<std::string> describe() const noexcept override {
        return guarded([&] { return impl_.describe(); });
    }
    Result<std::string> install_hint() const noexcept override {
        return guarded([&] { return impl_.install_hint(); });
    }
    Result<int> cpu_tokens_wanted(const Option& o, int budget) const noexcept override {
        return guarded([&] { return impl_.cpu_tokens_wanted(o, budget); });
    }
    Result<std::vector<std::string>> modes() const noexcept override {
        return guarded([&] { return impl_.modes(); });
    }
    Result<std::vector<Diagnostic>> validate(const Option& o) const noexcept override {
        return guarded([&] { return impl_.validate(o); });
    }
    Result<std::vector<ExtraInput>> extra_inputs(const Option& o) const noexcept override {
        return guarded([&] { return impl_.extra_inputs(o); });
    }
    Result<Probe> probe(const std::string& python) const noexcept override {
        return guarded([&] { return impl_.probe(python); });
    }
    Result<ToolFacts> parse_probe(const ProbeOutput& out) const noexcept override {
        return guarded([&] { return impl_.parse_probe(out); });
    }
    Result<Plan> plan(const PlanRequest& request) const noexcept override {
        return guarded([&] { return impl_.plan(request); });
    }
    Result<bool> can_patch() const noexcept override {
        return guarded([&] { return impl_.can_patch(); });
    }
    Result<Patch> patch(const PatchRequest& request) const noexcept override {
        return guarded([&] { return impl_.patch(request); });
    }

private:
    Impl impl_;
};

}  // namespace detail

using CreateFn = BackendAbi*() noexcept;

}  // namespace freezer::sdk

#define FREEZER_PLUGIN_API extern "C" BOOST_SYMBOL_EXPORT

// Defines the two exported symbols of a backend plugin for class `Impl` (a Backend).
#define FREEZER_BACKEND_PLUGIN(Impl)                                                        \
    FREEZER_PLUGIN_API const std::uint32_t freezer_backend_abi = ::freezer::sdk::kAbiVersion; \
    namespace freezer_plugin_entry {                                                          \
    inline ::freezer::sdk::BackendAbi* create() noexcept {                                    \
        try {                                                                                 \
            return new ::freezer::sdk::detail::Guarded<Impl>();                               \
        } catch (...) {                                                                       \
            return nullptr;                                                                   \
        }                                                                                     \
    }                                                                                         \
    }                                                                                         \
    BOOST_DLL_ALIAS(freezer_plugin_entry::create, freezer_backend_create)

// libFuzzer target: any bytes as a freezer.yaml. The loader promises never to throw for
// bad input (every problem a Diagnostic, see config.hpp), so an exception escaping it, a
// sanitizer report, a hang, or one of the promises checked below failing is a bug.
// replay_main.cpp runs the same function on fuzz/corpus/ as ordinary tests.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include <freezer/config.hpp>
#include <freezer/config_edit.hpp>

namespace {

namespace fs = std::filesystem;
using namespace freezer;
using Severity = sdk::Diagnostic::Severity;

// A broken promise: say which, then abort so that libFuzzer keeps the input.
[[noreturn]] void broken(const std::string& what) {
    std::fprintf(stderr, "config_fuzz: %s\n", what.c_str());
    std::abort();
}

// freezer.yaml in a folder whose files the examples and the corpus name, so that root:,
// entry:, module: and data: also reach their "it exists" branches. Made once per process,
// always the same, so concurrent runs (ctest -j) may share it.
const fs::path& project_file() {
    static const fs::path file = [] {
        const auto dir = fs::temp_directory_path() / "freezer-config-fuzz";
        for (const char* f : {"main.py", "src/main.py", "src/pkg/__init__.py", "src/data.json", "python/run_api.py",
                              "python/app/services.json", "python/greeter/__main__.py", "legacy/main.py"}) {
            std::error_code ec;
            fs::create_directories((dir / f).parent_path(), ec);
            if (!fs::exists(dir / f, ec)) std::ofstream(dir / f) << "\n";
        }
        return dir / "freezer.yaml";
    }();
    return file;
}

// The loader's last-resort catch turns a yaml-cpp exception into a diagnostic with no key
// path and yaml-cpp's message. From the node API (not the parser), one means the loader
// used a node wrongly, e.g. the "zombie" node of a missing key or a subscript of a scalar,
// and the user gets yaml-cpp's words instead of what is wrong in the file.
bool from_node_api(const config::Diagnostic& d) {
    if (!d.path.empty()) return false;
    for (const char* msg : {"invalid node", YAML::ErrorMsg::INVALID_SCALAR, YAML::ErrorMsg::KEY_NOT_FOUND,
                            YAML::ErrorMsg::BAD_CONVERSION, YAML::ErrorMsg::BAD_DEREFERENCE,
                            YAML::ErrorMsg::BAD_SUBSCRIPT, YAML::ErrorMsg::BAD_PUSHBACK, YAML::ErrorMsg::BAD_INSERT})
        if (d.message.rfind(msg, 0) == 0) return true;
    return false;
}

void check_diagnostics(const config::LoadResult& r, const fs::path& file) {
    bool errors = false;
    for (const auto& d : r.diagnostics) {
        const auto text = config::format_diagnostic(d);
        (void)config::where_text(d.where);
        if (d.message.empty() || d.where.file != file.string() || d.where.line < 0 || d.where.column < 0)
            broken("malformed diagnostic: " + text);
        if (from_node_api(d)) broken("a yaml-cpp exception escaped the reader: " + text);
        errors = errors || d.severity == Severity::error;
    }
    if (errors == r.project.has_value()) broken("a project must be given exactly when there is no error");
}

bool duration_ok(std::chrono::milliseconds d) {
    return d.count() >= 0 && static_cast<double>(d.count()) <= config::kMaxDurationMs;
}

// What a loaded project promises the core.
void check_project(const config::Project& p) {
    if (p.jobs < 0 || p.jobs > 1024) broken("jobs out of range");
    if (static_cast<double>(p.cache_max_size) > config::kMaxSizeBytes) broken("cache.max_size out of range");
    if (p.remote_cache) {
        const auto& rc = *p.remote_cache;
        if (rc.url.empty() || rc.url.back() == '/' || !duration_ok(rc.timeout) || rc.retries < 0 || rc.retries > 10)
            broken("cache.remote out of range");
    }
    if (p.sidecars.empty()) broken("a project without sidecars");
    for (const auto& sc : p.sidecars) {
        if (!config::valid_sidecar_name(sc.name) || p.find(sc.name) != &sc)
            broken("sidecar name invalid or not unique: " + sc.name);
        if (sc.entry.empty() == sc.module.empty()) broken("sidecar " + sc.name + ": not exactly one of entry, module");
        if (sc.max_size && (*sc.max_size == 0 || static_cast<double>(*sc.max_size) > config::kMaxSizeBytes))
            broken("sidecar " + sc.name + ": max_size out of range");
        if (sc.smoke.run && !duration_ok(sc.smoke.run->timeout)) broken("smoke.timeout out of range");
        if (sc.smoke.http && (!duration_ok(sc.smoke.http->startup_timeout) || !duration_ok(sc.smoke.http->grace)))
            broken("smoke.http durations out of range");
    }
    for (const auto& cell : p.matrix_cells())
        if (!p.find(cell.sidecar) || cell.backend.empty())
            broken("matrix cell " + cell.sidecar + "/" + cell.backend + " names no sidecar or no backend");
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

// `freezer trace --write` on a project that loads: the editor either refuses (EditError,
// its documented way out) or its result loads too, with the additions in place.
void check_edit(const std::string& text, const config::Project& p, const fs::path& file) {
    const auto& sc = p.sidecars.front();
    std::vector<config::ListAddition> adds = {{"hidden_imports", {"fuzz.added"}}};
    // A data entry only where its file exists: otherwise the reloaded file is rightly refused.
    std::error_code ec;
    const bool data = fs::is_regular_file(p.dir / sc.root / "main.py", ec);
    if (data) adds.push_back({"data", {"{src: main.py, dest: fuzz}"}});
    config::EditResult edited;
    try {
        edited = config::add_to_sidecar_lists(text, sc.name, adds, file.string());
    } catch (const config::EditError&) {
        return;
    }
    const auto again = config::load_project_from_string(edited.text, file);
    if (!again.project)
        broken("an edited file does not load: " +
               (again.diagnostics.empty() ? std::string("?") : config::format_diagnostic(again.diagnostics.front())));
    const auto* after = again.project->find(sc.name);
    if (!after || !contains(after->hidden_imports, "fuzz.added")) broken("the edit lost hidden_imports: fuzz.added");
    if (data && std::none_of(after->data.begin(), after->data.end(),
                             [](const config::DataEntry& d) { return d.src == "main.py" && d.dest == "fuzz"; }))
        broken("the edit lost data: {src: main.py, dest: fuzz}");
}

// yaml_scalar() promises text that reads back as the value in a flow list and after "- ".
// Checked on short ASCII inputs (other bytes are yaml-cpp's business: it reads UTF-8).
void check_scalar(const std::string& value) {
    if (value.size() > 256 || !std::all_of(value.begin(), value.end(), [](char c) { return c > 0 && c < 0x7f; }))
        return;
    const auto quoted = config::yaml_scalar(value);
    try {
        const auto flow = YAML::Load("[" + quoted + "]");
        const auto block = YAML::Load("- " + quoted);
        for (const auto& list : {flow, block})
            if (!list.IsSequence() || list.size() != 1 || !list[0].IsScalar() || list[0].Scalar() != value)
                broken("yaml_scalar() reads back as something else: " + quoted);
    } catch (const YAML::Exception& e) {
        broken("yaml_scalar() gives invalid YAML: " + quoted + " (" + e.msg + ")");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    const auto& file = project_file();
    const auto result = config::load_project_from_string(text, file);
    check_diagnostics(result, file);
    if (result.project) {
        check_project(*result.project);
        check_edit(text, *result.project, file);
    }
    // Cheap and pure: the value parsers also see raw text, not only YAML scalars.
    (void)config::parse_duration(text);
    (void)config::parse_size(text);
    (void)config::valid_sidecar_name(text);
    check_scalar(text);
    return 0;
}

#include "engine/fast_path.hpp"

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <set>

#include <fmt/format.h>

#include "engine/evaluate.hpp"
#include "engine/imports_script.hpp"
#include "process/process.hpp"
#include "util/error.hpp"
#include "util/formats.hpp"
#include "util/names.hpp"

namespace freezer {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Versions of one file whose imports the record keeps.
constexpr std::size_t kVersionsKept = 8;

bool is_python(const std::string& path) { return path.size() > 3 && path.compare(path.size() - 3, 3, ".py") == 0; }

// True when `path` is a data source of the sidecar, or lies in a folder that is one.
bool bundled_as_data(const config::Sidecar& sc, const std::string& path) {
    for (const auto& d : sc.data) {
        const auto src = fs::path(d.src).lexically_normal().generic_string();
        if (path == src || (path.size() > src.size() && path.compare(0, src.size(), src) == 0 && path[src.size()] == '/'))
            return true;
    }
    return false;
}

// "+json, -os": what one import list has that the other lacks.
std::string import_diff(const json& before, const json& after) {
    std::set<std::string> a, b;
    for (const auto& x : before) a.insert(x.get<std::string>());
    for (const auto& x : after) b.insert(x.get<std::string>());
    std::vector<std::string> out;
    for (const auto& x : b)
        if (!a.count(x)) out.push_back("+" + x);
    for (const auto& x : a)
        if (!b.count(x)) out.push_back("-" + x);
    return fmt::format("{}", fmt::join(out, ", "));
}

// The imports recorded for this content of `path`, or null.
const json* recorded_imports(const json& record, const std::string& path, const std::string& hash) {
    const auto& files = record["files"];
    const auto it = files.find(path);
    if (it == files.end() || !it->is_array()) return nullptr;
    for (const auto& version : *it)
        if (version.is_object() && version.value("hash", "") == hash && version.contains("imports") &&
            version["imports"].is_array())
            return &version["imports"];
    return nullptr;
}

std::string modules_text(const std::vector<std::string>& changed) {
    std::vector<std::string> shown;
    for (const auto& c : changed) shown.push_back(escape_name(c));
    return fmt::format("{} module{} recompiled ({})", changed.size(), changed.size() == 1 ? "" : "s",
                       fmt::join(shown, ", "));
}

}  // namespace

json scan_imports(BuildContext& ctx, const fs::path& root, const std::vector<std::string>& paths) {
    static std::atomic<unsigned> counter{0};
    fs::create_directories(ctx.layout.temp_dir());
    const auto list = ctx.layout.temp_dir() / fmt::format("imports.{}.{}.txt", ::getpid(), counter++);
    {
        std::ofstream out(list, std::ios::binary);
        for (const auto& p : paths) out << p << '\n';
        if (!out) throw Error(Error::Kind::failed, fmt::format("cannot write {}", list.string()));
    }
    ProcessSpec spec;
    spec.argv = {ctx.python(), "-I", "-c", kImportsScanScript, root.string(), list.string()};
    spec.capture = true;
    spec.timeout = std::chrono::seconds(120);
    const auto r = run_process(spec);
    std::error_code ec;
    fs::remove(list, ec);
    if (!r.ok())
        throw Error(Error::Kind::failed, fmt::format("the import scanner {}: {}", r.describe(),
                                                     r.err.substr(0, r.err.find_last_not_of('\n') + 1)));
    auto j = json::parse(r.out, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) throw Error(Error::Kind::failed, "the import scanner printed no JSON object");
    return j;
}

sdk::PatchRequest make_patch_request(BuildContext& ctx, const Evaluation& ev, int tokens) {
    return make_patch_request(ctx, ev, ev.fast_path.changed, tokens);
}

sdk::PatchRequest make_patch_request(BuildContext& ctx, const Evaluation& ev, const std::vector<std::string>& changed,
                                     int tokens) {
    sdk::PatchRequest rq;
    rq.request = make_request(ctx, ev, /*clean=*/false, tokens);
    rq.changed = changed;
    rq.previous_dir = fs::absolute(ev.previous->output.dir).string();
    rq.previous_executable = ev.previous->output.executable;
    return rq;
}

FastPath consider_fast_path(BuildContext& ctx, const Evaluation& ev, bool force) {
    FastPath fp;
    const auto& backend = *ev.backend;
    if (!unwrap(backend, "can_patch", backend.abi().can_patch())) return fp;
    fp.verdict = FastPath::Verdict::full;
    auto full = [&](const std::string& why) {
        fp.why = "full build: " + why;
        fp.changed.clear();
        return fp;
    };
    const auto& sc = *ev.sidecar;
    if (force) return full("--force");
    if (!ev.previous) return full("no previous build to patch");
    const auto& prev = *ev.previous;
    if (prev.parts.config != ev.key.config) return full("the config changed");

    const auto previous = ctx.states.load_inputs(sc.name, ev.backend_name());
    std::map<std::string, Hash128> before;
    std::map<std::string, std::string> previous_hash;
    for (const auto& i : previous) {
        before[i.path] = i.hash;
        previous_hash[i.path] = i.hash.hex();
    }
    if (before.empty()) return full("no record of the previous build's inputs");
    for (const auto& i : ev.inputs) {
        const auto it = before.find(i.path);
        if (it == before.end()) return full("new input " + escape_name(i.path));
        if (it->second != i.hash) fp.changed.push_back(i.path);
        before.erase(it);
    }
    if (!before.empty()) return full(escape_name(before.begin()->first) + " was removed");
    // After added and removed inputs: a plan may list the inputs, so those change it.
    if (prev.parts.toolchain != ev.key.toolchain) return full("the toolchain changed");
    if (fp.changed.empty()) return full("no input changed");
    if (!output_intact(prev.output)) return full("the installed output is missing or was modified");
    for (const auto& p : fp.changed) {
        if (!is_python(p)) return full(escape_name(p) + " changed, and it is not a Python module");
        if (bundled_as_data(sc, p)) return full(escape_name(p) + " changed, and it is bundled as data");
    }

    // The backend's word (its tool's version, its options) before any file is read.
    const auto patch = unwrap(backend, "patch", backend.abi().patch(make_patch_request(ctx, ev, fp.changed)));
    if (!patch.refused.empty()) return full(patch.refused);

    const auto record = ctx.states.load_imports(sc.name, ev.backend_name());
    std::map<std::string, const json*> was;
    for (const auto& p : fp.changed) {
        was[p] = record ? recorded_imports(*record, p, previous_hash[p]) : nullptr;
        if (!was[p])
            return full("no record of what " + escape_name(p) + " imported in the previous build (built without the fast path)");
    }
    json now;
    try {
        now = scan_imports(ctx, ctx.project.dir / sc.root, fp.changed);
    } catch (const std::exception& e) {
        return full(e.what());
    }
    std::map<std::string, std::string> hash_now;
    for (const auto& i : ev.inputs) hash_now[i.path] = i.hash.hex();
    for (const auto& p : fp.changed) {
        const auto& scanned = now.contains(p) ? now[p] : json();
        if (!scanned.is_object() || !scanned.contains("imports"))
            return full(fmt::format("{} cannot be read as Python ({})", escape_name(p),
                                    scanned.is_object() ? scanned.value("error", "no answer") : "no answer"));
        if (*was[p] != scanned["imports"])
            return full(fmt::format("imports of {} changed ({})", escape_name(p), import_diff(*was[p], scanned["imports"])));
        fp.scanned[p] = {{"hash", hash_now[p]}, {"imports", scanned["imports"]}};
    }
    fp.verdict = FastPath::Verdict::fast;
    fp.why = "fast path: " + modules_text(fp.changed);
    return fp;
}

ImportRecorder::ImportRecorder(BuildContext& ctx, const Evaluation& ev) : ctx_(ctx), ev_(ev) {
    wanted_ = unwrap(*ev.backend, "can_patch", ev.backend->abi().can_patch());
}

ImportRecorder::~ImportRecorder() {
    if (scanning_.valid()) scanning_.wait();
}

void ImportRecorder::start() {
    if (!wanted_) return;
    const auto& sc = *ev_.sidecar;
    previous_ = ctx_.states.load_imports(sc.name, ev_.backend_name()).value_or(json::object());
    if (!previous_.contains("files")) previous_["files"] = json::object();
    for (const auto& i : ev_.inputs) {
        if (!is_python(i.path)) continue;
        const auto hash = i.hash.hex();
        if (ev_.fast_path.scanned.contains(i.path) && ev_.fast_path.scanned[i.path].value("hash", "") == hash)
            files_[i.path] = ev_.fast_path.scanned[i.path]["imports"];
        else if (const json* known = recorded_imports(previous_, i.path, hash))
            files_[i.path] = *known;
        else
            to_scan_.push_back(i.path);
    }
    if (to_scan_.empty()) return;
    // The staged copies: the exact bytes that were hashed and are being built.
    scanning_ = std::async(std::launch::async, [this, stage = ctx_.layout.stage_dir(sc.name)] {
        return scan_imports(ctx_, stage, to_scan_);
    });
}

std::string ImportRecorder::save() {
    if (!wanted_) return "";
    const auto& sc = *ev_.sidecar;
    try {
        if (scanning_.valid()) {
            const auto scanned = scanning_.get();
            // A file that does not parse gets no record: a change to it builds in full.
            for (const auto& p : to_scan_)
                if (scanned.contains(p) && scanned[p].contains("imports")) files_[p] = scanned[p]["imports"];
        }
        // Each input's imports now, then what earlier versions of it imported (a build
        // restored from the cache may be the previous one next time), kVersionsKept in all.
        json files = json::object();
        for (const auto& i : ev_.inputs) {
            if (!files_.contains(i.path)) continue;
            const auto hash = i.hash.hex();
            json versions = json::array({{{"hash", hash}, {"imports", files_[i.path]}}});
            if (const auto it = previous_["files"].find(i.path); it != previous_["files"].end() && it->is_array())
                for (const auto& v : *it)
                    if (versions.size() < kVersionsKept && v.is_object() && v.value("hash", "") != hash) versions.push_back(v);
            files[i.path] = std::move(versions);
        }
        ctx_.states.save_imports(sc.name, ev_.backend_name(), {{"format", formats::kImportRecord}, {"files", files}});
        return "";
    } catch (const std::exception& e) {
        ctx_.states.remove_imports(sc.name, ev_.backend_name());
        return e.what();
    }
}

}  // namespace freezer

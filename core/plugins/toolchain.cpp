#include "plugins/toolchain.hpp"

#include <sys/stat.h>

#include <cstdlib>

#include <sstream>

#include <fmt/format.h>

#include "util/atomic_file.hpp"
#include "util/file_stat.hpp"
#include "process/process.hpp"

#include "util/formats.hpp"

namespace freezer {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json fingerprint_of(const std::vector<std::string>& paths) {
    json out = json::array();
    for (const auto& p : paths) {
        struct stat st;
        if (::stat(p.c_str(), &st) != 0) {
            out.push_back({p, 0, 0, 0});
            continue;
        }
        const auto fst = FileStat::from(st);
        out.push_back({p, fst.mtime_ns, fst.ctime_ns, fst.inode});
    }
    return out;
}

std::vector<std::string> paths_of(const json& fingerprint) {
    std::vector<std::string> out;
    for (const auto& e : fingerprint) out.push_back(e.at(0).get<std::string>());
    return out;
}

}  // namespace

std::string host_triple() {
#if defined(__x86_64__) || defined(_M_X64)
    std::string arch = "x86_64";
#elif defined(__aarch64__) || defined(_M_ARM64)
    std::string arch = "aarch64";
#elif defined(__i386__) || defined(_M_IX86)
    std::string arch = "i686";
#else
    std::string arch = "unknown";
#endif
#if defined(__linux__) && defined(__GLIBC__)
    return arch + "-unknown-linux-gnu";
#elif defined(__linux__)
    return arch + "-unknown-linux-musl";
#elif defined(__APPLE__)
    return arch + "-apple-darwin";
#elif defined(_WIN32) && defined(_MSC_VER)
    return arch + "-pc-windows-msvc";
#elif defined(_WIN32)
    return arch + "-pc-windows-gnu";
#else
    return arch + "-unknown-unknown";
#endif
}

Toolchain::Toolchain(fs::path cache_file) : file_(std::move(cache_file)) {
    std::string text;
    if (!file_.empty() && read_file(file_, text)) {
        cache_ = json::parse(text, nullptr, /*allow_exceptions=*/false);
        if (cache_.is_discarded() || !cache_.is_object() || cache_.value("format", 0) != formats::kProbes)
            cache_ = json();
    }
    if (!cache_.is_object()) cache_ = json{{"format", formats::kProbes}, {"probes", json::object()}};
}

Toolchain::~Toolchain() = default;

std::optional<json> Toolchain::cached(const std::string& id) const {
    const auto& probes = cache_["probes"];
    const auto it = probes.find(id);
    if (it == probes.end() || !it->contains("fingerprint") || !it->contains("facts"))
        return std::nullopt;
    try {
        if (fingerprint_of(paths_of((*it)["fingerprint"])) != (*it)["fingerprint"])
            return std::nullopt;
    } catch (const json::exception&) {
        return std::nullopt;
    }
    return (*it)["facts"];
}

void Toolchain::remember(const std::string& id, const std::vector<std::string>& fingerprint,
                         json facts) {
    cache_["probes"][id] = {{"fingerprint", fingerprint_of(fingerprint)}, {"facts", std::move(facts)}};
    dirty_ = true;
}

const Interpreter& Toolchain::interpreter(const std::string& configured,
                                          const fs::path& project_dir, const std::string& where) {
    if (interpreter_) return *interpreter_;
    const std::string at = where.empty() ? "" : where + ": python: ";
    const std::string wanted = configured.empty() ? "python3" : configured;
    std::string path;
    if (wanted.find('/') != std::string::npos) {
        path = (fs::path(wanted).is_absolute() ? fs::path(wanted) : project_dir / wanted)
                   .lexically_normal()
                   .string();
        if (::access(path.c_str(), X_OK) != 0)
            throw SetupError(fmt::format(
                "{}interpreter '{}' not found{}; create it (python3 -m venv .venv && "
                ".venv/bin/pip install -r requirements.txt) or set 'python:' in freezer.yaml",
                at, path, configured.empty() ? "" : " (freezer.yaml 'python:')"));
    } else {
        const char* p = std::getenv("PATH");
        auto found = find_program(wanted, p ? p : "");
        if (!found)
            throw SetupError(fmt::format(
                "{}interpreter '{}' not found on PATH; install Python ('apt-get install python3 "
                "python3-venv') or set 'python:' in freezer.yaml",
                at, wanted));
        path = fs::absolute(*found).lexically_normal().string();
    }
    std::error_code ec;
    const auto real = fs::canonical(path, ec).string();
    const std::string id = "python:" + path;
    if (auto facts = cached(id)) {
        interpreter_ = Interpreter{path, facts->value("version", ""), facts->value("implementation", ""),
                                   facts->value("sys_path", std::vector<std::string>{}),
                                   facts->value("source_folders", std::vector<std::string>{})};
        return *interpreter_;
    }
    ProcessSpec spec;
    // The sys.path the packager will see (the cwd's '' entry is dropped).
    spec.argv = {path, "-c",
                 "import sys, os, platform\nprint(platform.python_version())\n"
                 "print(sys.implementation.name)\n"
                 "inst = [os.path.realpath(p) for p in (sys.prefix, sys.base_prefix)]\n"
                 "import site\n"
                 "user = os.path.realpath(site.getusersitepackages())\n"
                 "for p in sys.path:\n"
                 "    if not p or not os.path.isdir(p): continue\n"
                 "    r = os.path.realpath(p)\n"
                 "    mine = any(r == i or r.startswith(i + os.sep) for i in inst) or r.startswith(user)\n"
                 "    mine = mine or any(n.endswith('.dist-info') for n in os.listdir(r))\n"
                 "    print(('' if mine else 'src ') + p)\n"};
    spec.capture = true;
    spec.timeout = std::chrono::seconds(60);
    const auto r = run_process(spec);
    if (!r.ok())
        throw SetupError(fmt::format("{}interpreter '{}' does not run: {}{}", at, path, r.describe(),
                                    r.err.empty() ? "" : "\n" + r.err));
    std::istringstream lines(r.out);
    Interpreter interp{path, "", "", {}, {}};
    std::getline(lines, interp.version);
    std::getline(lines, interp.implementation);
    for (std::string dir; std::getline(lines, dir);) {
        if (dir.rfind("src ", 0) == 0) {
            dir = dir.substr(4);
            interp.source_folders.push_back(dir);
        }
        if (!dir.empty()) interp.sys_path.push_back(dir);
    }
    // Installing or removing a distribution changes its folder: the probe runs again,
    // and so a new .pth's folder is found.
    std::vector<std::string> fingerprint = {path, real.empty() ? path : real};
    fingerprint.insert(fingerprint.end(), interp.sys_path.begin(), interp.sys_path.end());
    remember(id, fingerprint,
             {{"version", interp.version}, {"implementation", interp.implementation}, {"sys_path", interp.sys_path},
              {"source_folders", interp.source_folders}});
    interpreter_ = interp;
    return *interpreter_;
}

sdk::ToolFacts Toolchain::tool(const LoadedBackend& backend, const Interpreter& python) {
    const std::string id = fmt::format("{}@{}:{}", backend.name(), backend.version(), python.path);
    if (auto facts = cached(id)) {
        sdk::ToolFacts f;
        f.found = true;
        f.path = facts->value("path", "");
        f.version = facts->value("version", "");
        f.fingerprint = facts->value("fingerprint", std::vector<std::string>{});
        return f;
    }
    const auto probe = unwrap(backend, "probe", backend.abi().probe(python.path));
    ProcessSpec spec;
    spec.argv = probe.argv;
    spec.capture = true;
    spec.timeout = std::chrono::seconds(120);
    const auto r = run_process(spec);
    sdk::ProbeOutput out{r.started ? (r.exit_code) : -1, r.out,
                         r.started ? r.err : r.start_error};
    auto facts = unwrap(backend, "parse_probe", backend.abi().parse_probe(out));
    if (facts.found) {
        std::error_code ec;
        std::vector<std::string> fp = facts.fingerprint;
        fp.push_back(python.path);
        const auto real = fs::canonical(python.path, ec);
        if (!ec) fp.push_back(real.string());
        remember(id, fp,
                 {{"path", facts.path}, {"version", facts.version}, {"fingerprint", facts.fingerprint}});
    }
    return facts;
}

const std::string& Toolchain::target_triple() {
    if (triple_) return *triple_;
    const char* path = std::getenv("PATH");
    const auto rustc = find_program("rustc", path ? path : "");
    if (!rustc) return *(triple_ = host_triple());
    const std::string id = "rustc:" + *rustc;
    if (auto facts = cached(id)) return *(triple_ = facts->value("host", host_triple()));
    ProcessSpec spec;
    spec.argv = {*rustc, "-vV"};
    spec.capture = true;
    spec.timeout = std::chrono::seconds(60);
    const auto r = run_process(spec);
    const auto at = r.out.find("\nhost: ");
    if (!r.ok() || at == std::string::npos) return *(triple_ = host_triple());
    const auto end = r.out.find('\n', at + 7);
    triple_ = r.out.substr(at + 7, end == std::string::npos ? std::string::npos : end - at - 7);
    remember(id, {*rustc}, {{"host", *triple_}});
    return *triple_;
}

void Toolchain::save() {
    if (!dirty_ || file_.empty()) return;
    write_file_atomically(file_, cache_.dump(1));
    dirty_ = false;
}

}  // namespace freezer

#include "plugins/plugin_host.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>

#include <boost/dll/runtime_symbol_info.hpp>
#include <fmt/format.h>

#ifndef FREEZER_LIB_RELDIR
#define FREEZER_LIB_RELDIR "../lib/freezer"  // from bin/ (CMake sets it from the install dirs)
#endif

namespace freezer {
namespace fs = std::filesystem;

LoadedBackend::LoadedBackend(boost::dll::shared_library lib, sdk::BackendAbi* backend,
                             fs::path file)
    : lib_(std::move(lib)), backend_(backend), file_(std::move(file)) {
    const auto n = backend_->name();
    if (auto* s = std::get_if<std::string>(&n))
        name_ = *s;
    else
        name_ = file_.stem().string();
    auto v = backend_->version();
    if (auto* s = std::get_if<std::string>(&v)) version_ = *s;
}

LoadedBackend::~LoadedBackend() { backend_.reset(); }  // before lib_ unloads

namespace {
// Boost.DLL keeps only an errno-like code ("Bad file descriptor" for a text file, an
// empty one or a link loop alike); the dynamic loader's own words say what is wrong.
std::string loader_reason(const fs::path& file, const boost::dll::fs::error_code& ec) {
    ::dlerror();  // clear
    if (void* h = ::dlopen(file.c_str(), RTLD_LAZY | RTLD_LOCAL)) {
        ::dlclose(h);
        return ec.message();
    }
    const char* said = ::dlerror();  // once: a second call returns null
    std::string why = said ? said : "";
    if (why.empty()) return ec.message();
    // "<file>: invalid ELF header": the file is named already.
    const auto prefix = file.string() + ": ";
    if (why.rfind(prefix, 0) == 0) why.erase(0, prefix.size());
    return why;
}
}  // namespace

LoadOutcome load_plugin(const fs::path& file) {
    LoadOutcome out;
    boost::dll::shared_library lib;
    boost::dll::fs::error_code ec;
    lib.load(file, boost::dll::load_mode::rtld_lazy | boost::dll::load_mode::rtld_local, ec);
    if (ec) {
        out.error = fmt::format("{}: cannot load plugin: {}", file.string(), loader_reason(file, ec));
        return out;
    }
    if (!lib.has("freezer_backend_abi")) {
        out.error = fmt::format(
            "{}: not a freezer backend: symbol 'freezer_backend_abi' is missing (build it with "
            "FREEZER_BACKEND_PLUGIN from <freezer/backend.hpp>)",
            file.string());
        return out;
    }
    const auto abi = lib.get<const std::uint32_t>("freezer_backend_abi");
    if (abi != sdk::kAbiVersion) {
        out.error = fmt::format(
            "{}: plugin ABI version {} does not match this freezer's ABI version {}; rebuild the "
            "plugin against this freezer's SDK",
            file.string(), abi, sdk::kAbiVersion);
        return out;
    }
    if (!lib.has("freezer_backend_create")) {
        out.error = fmt::format(
            "{}: not a freezer backend: symbol 'freezer_backend_create' is missing (ABI version "
            "{} matches)",
            file.string(), abi);
        return out;
    }
    auto& create = lib.get_alias<sdk::CreateFn>("freezer_backend_create");
    sdk::BackendAbi* backend = create();
    if (!backend) {
        out.error = fmt::format("{}: the plugin's factory failed to create a backend",
                                file.string());
        return out;
    }
    out.backend = std::make_shared<LoadedBackend>(std::move(lib), backend, file);
    return out;
}

std::vector<fs::path> plugin_search_path() {
    std::vector<fs::path> dirs;
    if (const char* env = std::getenv("FREEZER_BACKEND_PATH")) {
        std::string s(env);
        std::size_t start = 0;
        while (start <= s.size()) {
            auto colon = s.find(':', start);
            if (colon == std::string::npos) colon = s.size();
            if (colon > start) dirs.emplace_back(s.substr(start, colon - start));
            start = colon + 1;
        }
    }
    boost::dll::fs::error_code ec;
    const auto exe = boost::dll::program_location(ec);
    if (!ec) dirs.push_back((exe.parent_path() / FREEZER_LIB_RELDIR / "backends").lexically_normal());
    // Drop duplicates, keeping the first.
    std::vector<fs::path> unique;
    for (auto& d : dirs) {
        bool seen = false;
        for (auto& u : unique) seen = seen || u == d;
        if (!seen) unique.push_back(d);
    }
    return unique;
}

PluginHost::PluginHost(const std::vector<fs::path>& search_path) {
    for (const auto& dir : search_path) {
        std::error_code ec;
        if (!fs::is_directory(dir, ec)) continue;
        std::vector<fs::path> files;
        for (const auto& e : fs::directory_iterator(dir, ec))
            if (e.path().extension() == ".so" && e.path().filename().string().rfind("freezer-backend-", 0) == 0)
                files.push_back(e.path());
        std::sort(files.begin(), files.end());
        for (const auto& f : files) {
            auto outcome = load_plugin(f);
            if (!outcome.backend) {
                errors_.push_back({f, outcome.error});
                continue;
            }
            if (find(outcome.backend->name()))
                shadowed_.push_back(f);
            else
                backends_.push_back(std::move(outcome.backend));
        }
    }
}

void PluginHost::add(std::shared_ptr<LoadedBackend> backend) {
    backends_.push_back(std::move(backend));
}

std::shared_ptr<LoadedBackend> PluginHost::find(const std::string& name) const {
    for (const auto& b : backends_)
        if (b->name() == name) return b;
    return nullptr;
}

std::vector<std::string> PluginHost::names() const {
    std::vector<std::string> out;
    for (const auto& b : backends_) out.push_back(b->name());
    return out;
}

}  // namespace freezer

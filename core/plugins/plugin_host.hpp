// Finds and loads backend plugins (Boost.DLL) and calls them without letting anything
// escape the boundary: every call returns a value or an error message.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <boost/dll/shared_library.hpp>
#include <freezer/backend.hpp>

#include "util/error.hpp"

namespace freezer {

// A loaded plugin. The library is declared first so it is destroyed last: it stays
// loaded while the backend object it made lives.
class LoadedBackend {
public:
    LoadedBackend(boost::dll::shared_library lib, sdk::BackendAbi* backend,
                  std::filesystem::path file);
    ~LoadedBackend();
    LoadedBackend(const LoadedBackend&) = delete;
    LoadedBackend& operator=(const LoadedBackend&) = delete;

    const std::filesystem::path& file() const { return file_; }
    const std::string& name() const { return name_; }
    const std::string& version() const { return version_; }
    const sdk::BackendAbi& abi() const { return *backend_; }

private:
    boost::dll::shared_library lib_;
    std::unique_ptr<sdk::BackendAbi> backend_;
    std::filesystem::path file_;
    std::string name_, version_;
};

struct PluginLoadError {
    std::filesystem::path file;
    std::string message;
};

struct LoadOutcome {
    std::shared_ptr<LoadedBackend> backend;  // null on failure
    std::string error;                       // names the file (and both ABI versions)
};

// Loads one plugin file, checking its symbols and ABI version first.
LoadOutcome load_plugin(const std::filesystem::path& file);

// The folders searched, in order: $FREEZER_BACKEND_PATH (colon-separated), then
// <exe>/../lib/freezer/backends (the build tree and an installed prefix have the same
// layout), then the configured install prefix. Never the current directory.
std::vector<std::filesystem::path> plugin_search_path();

class PluginHost {
public:
    // Discovers and loads every plugin in `search_path`. The first plugin of a name wins.
    explicit PluginHost(const std::vector<std::filesystem::path>& search_path);
    PluginHost() = default;

    void add(std::shared_ptr<LoadedBackend> backend);  // for tests and explicit loads
    std::shared_ptr<LoadedBackend> find(const std::string& name) const;
    std::vector<std::string> names() const;
    const std::vector<std::shared_ptr<LoadedBackend>>& backends() const { return backends_; }
    const std::vector<PluginLoadError>& errors() const { return errors_; }
    // Plugins that were found but hidden by an earlier one of the same name.
    const std::vector<std::filesystem::path>& shadowed() const { return shadowed_; }

private:
    std::vector<std::shared_ptr<LoadedBackend>> backends_;
    std::vector<PluginLoadError> errors_;
    std::vector<std::filesystem::path> shadowed_;
};

// Unwraps a plugin call: the value, or throws an Error (internal) naming the plugin.

template <class T>
T unwrap(const LoadedBackend& b, const char* what, sdk::Result<T> r) {
    if (auto* f = std::get_if<sdk::Failure>(&r))
        throw Error(Error::Kind::internal, "backend '" + b.name() + "' (" + b.file().string() + ") failed in " +
                           what + ": " + f->message);
    return std::get<T>(std::move(r));
}

}  // namespace freezer

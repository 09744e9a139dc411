// Reads YAML nodes into values, reporting every problem as a Diagnostic with the
// node's file:line:column and key path. Internal to freezer_config.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <freezer/config.hpp>
#include <yaml-cpp/yaml.h>

namespace freezer::config::detail {

std::string join_path(const std::string& parent, const std::string& key);

class Reader {
public:
    Reader(std::string file, std::vector<Diagnostic>& out) : file_(std::move(file)), out_(out) {}

    Location loc(const YAML::Node& n) const;
    void error(const Location& where, const std::string& path, std::string message);
    void warning(const Location& where, const std::string& path, std::string message);
    const std::string& file() const { return file_; }
    // How many errors were reported so far.
    std::size_t errors() const;
    // Sidecars with an error of their own: left out of LoadResult::partial.
    std::vector<std::string> broken_sidecars;

    // Checks `node` is a map, reports unknown and duplicate keys (every key is known
    // when `known` is empty). False if not a map.
    bool map(const YAML::Node& node, const std::string& path, const std::vector<std::string>& known);

    std::optional<std::string> string(const YAML::Node& n, const std::string& path);
    std::optional<std::string> nonempty_string(const YAML::Node& n, const std::string& path);
    std::optional<int> integer(const YAML::Node& n, const std::string& path, int lo, int hi);
    std::optional<std::chrono::milliseconds> duration(const YAML::Node& n, const std::string& path);
    std::optional<std::vector<std::string>> strings(const YAML::Node& n, const std::string& path);
    // Any node, kept as it is for a backend plugin to validate. YAML aliases are
    // references, so a node can contain itself (`&b {k: *b}`) or expand exponentially
    // (aliases of aliases: "billion laughs"); both are bounded, with an error at the node.
    sdk::Option option(const YAML::Node& n, const std::string& path);
    // Counts `o`'s values again towards kMaxValues: an option section copied into
    // every sidecar (defaults.backends) costs its size once per copy. False (with an
    // error at `o`) past the limit.
    bool copied(const sdk::Option& o, const std::string& path);

    static constexpr int kMaxDepth = 32;
    static constexpr std::size_t kMaxValues = 10000;  // per file, every option section together

private:
    sdk::Option option_at(const YAML::Node& n, const std::string& path, int depth);

    std::string file_;
    std::vector<Diagnostic>& out_;
    std::size_t values_ = 0;
    bool too_big_ = false;
};

}  // namespace freezer::config::detail

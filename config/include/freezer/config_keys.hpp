// The one table of freezer.yaml's keys. The loader takes its known keys from it, and
// tests/config_keys_test.cpp holds config/freezer.schema.json to it, so a key added in
// one place only fails a test instead of surprising a user.
//
// Not here: maps whose keys are names (sidecars, env, backends), and each backend's own
// options (backends.<name>.*), which the backend plugin owns and validates.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace freezer::config {

struct KeySpec {
    // A dotted path pattern: "" (top level), "cache.remote", "sidecars.*" (any sidecar),
    // "matrix.include[]" (an item of a list).
    std::string_view section;
    std::string_view key;
    std::string_view what;  // one line, for people
    // Known only so that the error says what to do instead; never valid, so the schema
    // leaves it out (cache.remote.token).
    bool refused = false;
};

// Every row, sections in file order, keys in the order error messages list them.
std::span<const KeySpec> config_keys();

// The keys of `section` in table order. Throws std::invalid_argument for a section with
// no rows: a misspelt section would otherwise switch off the unknown-key check.
std::vector<std::string> keys_of(std::string_view section);

}  // namespace freezer::config

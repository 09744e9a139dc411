// Holds config/freezer.schema.json to the loader's key table (config_keys.hpp) and to
// what each in-tree backend plugin's validate() accepts, so none of the three drifts.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <freezer/config.hpp>
#include <freezer/config_keys.hpp>

#include "option_builders.hpp"
#include "plugins/plugin_host.hpp"

using namespace freezer;
using json = nlohmann::json;

namespace {

std::string join(const std::string& section, const std::string& key) {
    return section.empty() ? key : section + "." + key;
}

const json& schema() {
    static const json s = [] {
        std::ifstream in(FREEZER_SCHEMA_FILE);
        REQUIRE(in);
        return json::parse(in);
    }();
    return s;
}

// The per-backend option objects: each plugin owns them, so they are checked against
// the plugins, not the table.
const json& backends_def() { return schema().at("/$defs/backends"_json_pointer); }

const json& resolve(const json& node) {
    const auto ref = node.find("$ref");
    if (ref == node.end()) return node;
    const auto target = ref->get<std::string>();
    REQUIRE(target.rfind("#/", 0) == 0);  // local references only
    return schema().at(json::json_pointer(target.substr(1)));
}

// Every property of the schema as "section.key", with the table's section patterns:
// "*" for any key of a map (sidecars), "[]" for an item of a list.
void collect(const json& raw, const std::string& section, std::set<std::string>& out) {
    const json& node = resolve(raw);
    if (&node == &backends_def()) return;
    if (const auto props = node.find("properties"); props != node.end())
        for (const auto& [key, sub] : props->items()) {
            out.insert(join(section, key));
            collect(sub, join(section, key), out);
        }
    if (const auto more = node.find("additionalProperties"); more != node.end() && more->is_object())
        collect(*more, join(section, "*"), out);
    if (const auto items = node.find("items"); items != node.end() && items->is_object())
        collect(*items, section + "[]", out);
    for (const char* alt : {"oneOf", "anyOf", "allOf"})
        if (const auto alts = node.find(alt); alts != node.end())
            for (const auto& a : *alts) collect(a, section, out);
}

std::vector<std::string> minus(const std::set<std::string>& a, const std::set<std::string>& b) {
    std::vector<std::string> out;
    std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
    return out;
}

// A freezer.yaml (flow style) that puts `key` in `section`: "sidecars.*.data[]" ->
// {sidecars: {api: {data: [{key: 1}]}}}.
std::string yaml_with(const std::string& section, const std::string& key) {
    std::vector<std::string> parts;
    std::stringstream in(section);
    for (std::string p; std::getline(in, p, '.');) parts.push_back(p);
    std::string doc = fmt::format("{{{}: 1}}", key);
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
        const bool item = it->size() > 2 && it->ends_with("[]");
        const auto name = *it == "*" ? std::string("api") : item ? it->substr(0, it->size() - 2) : *it;
        doc = item ? fmt::format("{{{}: [{}]}}", name, doc) : fmt::format("{{{}: {}}}", name, doc);
    }
    return doc;
}

std::vector<std::string> messages(const std::string& yaml) {
    std::vector<std::string> out;
    for (const auto& d : config::load_project_from_string(yaml, "/nonexistent/freezer.yaml").diagnostics)
        out.push_back(d.message);
    return out;
}

// The plugin's option keys, from its refusal of a made-up key: "unknown <tool> option
// 'k' (known: a, b)" (sdk::known_key). The only way to see keys the schema lacks.
std::set<std::string> known_from_refusal(const std::string& message) {
    const auto open = message.find("(known: ");
    const auto close = message.rfind(')');
    REQUIRE(open != std::string::npos);
    REQUIRE(close != std::string::npos);
    std::set<std::string> out;
    std::stringstream in(message.substr(open + 8, close - open - 8));
    for (std::string k; std::getline(in, k, ',');) out.insert(k.substr(k.find_first_not_of(' ')));
    return out;
}

bool says_unknown_option(const sdk::Diagnostic& d, const std::string& key) {
    return d.message.rfind("unknown ", 0) == 0 && d.message.find(" option '" + key + "'") != std::string::npos;
}

}  // namespace

TEST_CASE("the key table has one row per key", "[config][keys]") {
    std::set<std::string> seen;
    for (const auto& k : config::config_keys()) {
        INFO(k.section << " " << k.key);
        CHECK(seen.insert(join(std::string(k.section), std::string(k.key))).second);
        CHECK_FALSE(k.what.empty());
    }
    CHECK_THROWS_AS(config::keys_of("no.such.section"), std::invalid_argument);
}

TEST_CASE("freezer.schema.json lists exactly the keys of the table", "[config][keys]") {
    std::set<std::string> in_schema;
    collect(schema(), "", in_schema);
    std::set<std::string> in_table, refused;
    for (const auto& k : config::config_keys())
        (k.refused ? refused : in_table).insert(join(std::string(k.section), std::string(k.key)));
    const std::vector<std::string> none;
    CHECK(minus(in_schema, in_table) == none);  // in the schema, not in the table
    CHECK(minus(in_table, in_schema) == none);  // in the table, not in the schema
    // A refused key is an error in freezer.yaml, so the schema must refuse it too.
    for (const auto& k : refused) CHECK(in_schema.count(k) == 0);
}

TEST_CASE("the loader takes its known keys from the table", "[config][keys]") {
    std::set<std::string> sections;
    for (const auto& k : config::config_keys()) {
        const std::string section(k.section), key(k.key);
        sections.insert(section);
        INFO(yaml_with(section, key));
        for (const auto& m : messages(yaml_with(section, key)))
            CHECK(m.rfind(fmt::format("unknown key '{}'", key), 0) != 0);
    }
    const std::string bogus = "zzzzzzzzzzzz";  // too far from every key for a "did you mean"
    for (const auto& section : sections) {
        INFO(yaml_with(section, bogus));
        const auto expected = fmt::format("unknown key '{}' (expected one of: {})", bogus,
                                          fmt::join(config::keys_of(section), ", "));
        const auto got = messages(yaml_with(section, bogus));
        CHECK(std::find(got.begin(), got.end(), expected) != got.end());
    }
}

TEST_CASE("each plugin accepts exactly the options the schema lists for it", "[config][keys][plugin]") {
    const auto& plugins = backends_def().at("properties");
    std::set<std::string> in_schema, in_tree;
    for (const auto& [name, _] : plugins.items()) in_schema.insert(name);
    for (const auto& name : PluginHost({FREEZER_PLUGIN_DIR}).names()) in_tree.insert(name);
    CHECK(in_schema == in_tree);

    for (const auto& [name, def] : plugins.items()) {
        INFO("backends." << name);
        std::set<std::string> keys;
        for (const auto& alt : def.at("oneOf"))
            if (const auto props = alt.find("properties"); props != alt.end())
                for (const auto& [key, _] : props->items()) keys.insert(key);
        REQUIRE_FALSE(keys.empty());
        const auto plugin = test::plugin(name);
        for (const auto& key : keys) {
            INFO(key);
            const auto out = unwrap(*plugin, "validate", plugin->abi().validate(test::map({{key, test::scalar("x")}})));
            CHECK(std::none_of(out.begin(), out.end(), [&](const auto& d) { return says_unknown_option(d, key); }));
        }
        const auto out = unwrap(*plugin, "validate", plugin->abi().validate(test::map({{"made_up_key", test::scalar("x")}})));
        const auto refusal = std::find_if(out.begin(), out.end(), [](const auto& d) { return says_unknown_option(d, "made_up_key"); });
        REQUIRE(refusal != out.end());
        CHECK(known_from_refusal(refusal->message) == keys);
    }
}

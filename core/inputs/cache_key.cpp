#include "inputs/cache_key.hpp"

#include "util/formats.hpp"

namespace freezer {
using nlohmann::json;

json option_to_json(const sdk::Option& o) {
    switch (o.kind) {
        case sdk::Option::Kind::null: return nullptr;
        case sdk::Option::Kind::scalar: return o.scalar;
        case sdk::Option::Kind::list: {
            json a = json::array();
            for (const auto& i : o.items) a.push_back(option_to_json(i));
            return a;
        }
        case sdk::Option::Kind::map: {
            json m = json::object();
            for (const auto& [k, v] : o.entries) m[k] = option_to_json(v);
            return m;
        }
    }
    return nullptr;
}

json build_config_json(const config::Sidecar& sc, const std::string& backend) {
    json data = json::array();
    for (const auto& d : sc.data) data.push_back({{"src", d.src}, {"dest", d.dest}});
    json env = json::object();
    for (const auto& [k, v] : sc.env) env[k] = v;
    const auto opts = sc.backends.find(backend);
    json config = {
        {"root", sc.root},
        {"entry", sc.entry},
        {"module", sc.module},
        {"backend", backend},
        {"mode", sc.mode},
        {"inputs", {{"include", sc.inputs.include}, {"exclude", sc.inputs.exclude}}},
        {"hidden_imports", sc.hidden_imports},
        {"exclude_modules", sc.exclude_modules},
        {"data", data},
        {"env", env},
        {"options", opts == sc.backends.end() ? json(nullptr) : option_to_json(opts->second)},
    };
    // Only when given: an always-present empty list would change every existing key
    // and rebuild every project on upgrade, for a setting it does not use.
    if (!sc.collect_submodules.empty()) config["collect_submodules"] = sc.collect_submodules;
    return config;
}

json toolchain_json(const std::string& backend, const std::string& plugin_version,
                    const std::string& tool_version, const std::string& python_impl,
                    const std::string& python_version, const std::string& triple) {
    return {{"backend", backend},         {"plugin_version", plugin_version},
            {"tool_version", tool_version}, {"python", python_impl + " " + python_version},
            {"platform", triple}};
}

std::string smoke_digest(const config::Smoke& smoke) {
    if (!smoke.run && !smoke.http) return "";
    json j = json::object();
    if (smoke.run)
        j["run"] = {{"args", smoke.run->args}, {"exit", smoke.run->expect_exit},
                    {"stdout", smoke.run->expect_stdout}, {"stderr", smoke.run->expect_stderr},
                    {"timeout_ms", smoke.run->timeout.count()}};
    if (smoke.http)
        j["http"] = {{"args", smoke.http->args}, {"path", smoke.http->path},
                     {"status", smoke.http->expect_status},

                     {"startup_ms", smoke.http->startup_timeout.count()}, {"grace_ms", smoke.http->grace.count()}};
    if (smoke.http) {  // newer settings, only when set: an older key stays the same
        if (!smoke.http->env.empty()) j["http"]["env"] = smoke.http->env;
        if (!smoke.http->expect_json.empty()) j["http"]["expect_json"] = smoke.http->expect_json;
        for (const auto& c : smoke.http->endpoints)
            j["http"]["endpoints"].push_back({{"path", c.path}, {"status", c.expect_status}, {"body", c.expect_body},
                                              {"json", c.expect_json}});
        if (smoke.http->port) j["http"]["port"] = *smoke.http->port;
        if (!smoke.http->expect_body.empty()) j["http"]["body"] = smoke.http->expect_body;
    }
    return hash_bytes(j.dump()).hex();
}

Hash128 hash_inputs(const std::vector<HashedInput>& inputs) {
    Hasher h;
    h.field("inputs");
    for (const auto& i : inputs) h.field(i.path).field(i.hash);
    return h.digest();
}

KeyParts make_key(const std::vector<HashedInput>& inputs, const json& config,
                  const json& toolchain) {
    KeyParts k;
    k.inputs = hash_inputs(inputs);
    // nlohmann::json objects are ordered by key, so dump() is canonical.
    k.config = hash_bytes(config.dump());
    k.toolchain = hash_bytes(toolchain.dump());
    Hasher h;
    h.field(formats::kKeyDomain).field(k.inputs).field(k.config).field(k.toolchain);
    k.key = h.digest();
    return k;
}

}  // namespace freezer

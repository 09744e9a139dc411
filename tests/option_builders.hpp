// Builders for backend options, a loader for the real plugins and a plan request with
// made-up paths, shared by the golden plan tests.
#pragma once

#include <catch2/catch.hpp>

#include <map>
#include <memory>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <freezer/backend.hpp>

#include "plugins/plugin_host.hpp"

namespace freezer::test {

inline sdk::Option scalar(std::string v) {
    sdk::Option o;
    o.kind = sdk::Option::Kind::scalar;
    o.scalar = std::move(v);
    return o;
}

inline sdk::Option list(std::vector<std::string> items) {
    sdk::Option o;
    o.kind = sdk::Option::Kind::list;
    for (auto& i : items) o.items.push_back(scalar(i));
    return o;
}

inline sdk::Option map(std::vector<sdk::OptionEntry> entries) {
    sdk::Option o;
    o.kind = sdk::Option::Kind::map;
    o.entries = std::move(entries);
    return o;
}

// The built plugin freezer-backend-<name>.so, loaded once per test binary.
inline std::shared_ptr<LoadedBackend> real_plugin(const std::string& name) {
    return load_plugin(std::filesystem::path(FREEZER_PLUGIN_DIR) / ("freezer-backend-" + name + ".so")).backend;
}

// The real plugin `name`, loaded once per test binary.
inline std::shared_ptr<LoadedBackend> plugin(const std::string& name) {
    static std::map<std::string, std::shared_ptr<LoadedBackend>> loaded;
    auto& b = loaded[name];
    if (!b) b = real_plugin(name);
    REQUIRE(b);
    return b;
}

// What `name`'s plugin plans for rq; a refusal fails the test.
inline sdk::Plan plan(const std::string& name, const sdk::PlanRequest& rq) {
    auto b = plugin(name);
    return unwrap(*b, "plan", b->abi().plan(rq));
}

// A request for `sidecar` in onefile mode with the paths the golden argv use:
// /p/stage, /p/cache/<backend>[/<sidecar>], /p/tmp, /p/.venv/bin/python.
inline sdk::PlanRequest request(const std::string& backend, const std::string& sidecar = "api") {
    sdk::PlanRequest rq;
    rq.sidecar = sidecar;
    rq.mode = "onefile";
    rq.stage_dir = "/p/stage";
    rq.cache_dir = "/p/cache/" + backend;
    rq.work_dir = rq.cache_dir + "/" + sidecar;
    rq.out_dir = "/p/tmp";
    rq.python = "/p/.venv/bin/python";
    return rq;
}

}  // namespace freezer::test

// Golden tests of a backend's plans, for plugin authors: load the built plugin as
// freezer does, ask it to plan a request whose folders are placeholders, and compare
// the plan, rendered as text, with a file kept next to the tests.
//
//   #include <freezer/plan_test.hpp>
//   namespace pt = freezer::sdk::plan_test;
//   int main(int argc, char** argv) {
//       pt::Plugin plugin(argv[1]);                  // .../freezer-backend-mine.so
//       auto rq = pt::request("hello");              // entry main.py, onefile, placeholders
//       rq.hidden_imports = {"pkg.plugin"};
//       return pt::check_golden(pt::render(plugin.plan(rq)), argv[2]) ? 0 : 1;
//   }
//
// FREEZER_UPDATE_GOLDEN=1 in the environment writes the golden file instead.
// Header-only, C++20, Boost.DLL (what freezer::sdk already gives).
#pragma once

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <variant>

#include <boost/dll/shared_library.hpp>

#include <freezer/backend.hpp>

namespace freezer::sdk::plan_test {

// A plugin loaded as freezer loads it: the ABI version checked, the backend created.
class Plugin {
public:
    explicit Plugin(const std::string& file) : lib_(file, boost::dll::load_mode::rtld_lazy | boost::dll::load_mode::rtld_local) {
        if (!lib_.has("freezer_backend_abi") || !lib_.has("freezer_backend_create"))
            throw std::runtime_error(file + ": not a freezer backend (FREEZER_BACKEND_PLUGIN missing)");
        const auto abi = lib_.get<const std::uint32_t>("freezer_backend_abi");
        if (abi != kAbiVersion)
            throw std::runtime_error(file + ": built for ABI " + std::to_string(abi) + ", this SDK is " +
                                     std::to_string(kAbiVersion));
        backend_ = lib_.get_alias<CreateFn>("freezer_backend_create")();
        if (!backend_) throw std::runtime_error(file + ": the plugin's factory failed");
    }
    ~Plugin() { delete backend_; }
    Plugin(const Plugin&) = delete;
    Plugin& operator=(const Plugin&) = delete;

    const BackendAbi& abi() const { return *backend_; }
    // The plan, or the plugin's refusal as an exception (what `freezer check` reports).
    Plan plan(const PlanRequest& rq) const {
        auto r = backend_->plan(rq);
        if (auto* f = std::get_if<Failure>(&r)) throw std::runtime_error("plan refused: " + f->message);
        return std::get<Plan>(std::move(r));
    }

private:
    boost::dll::shared_library lib_;
    BackendAbi* backend_ = nullptr;
};

// A request as freezer makes one, with placeholder folders so the rendering is the
// same on every machine: $STAGE, $WORK, $OUT, $CACHE and $PYTHON.
inline PlanRequest request(const std::string& sidecar, const std::string& entry = "main.py") {
    PlanRequest rq;
    rq.sidecar = sidecar;
    rq.entry = entry;
    rq.mode = "onefile";
    rq.inputs = {entry};
    rq.stage_dir = "$STAGE";
    rq.work_dir = "$WORK";
    rq.out_dir = "$OUT";
    rq.cache_dir = "$CACHE";
    rq.python = "$PYTHON";
    rq.tool.found = true;
    return rq;
}

// Every field of every step, one per line, in order: what a golden file holds.
inline std::string render(const Plan& plan) {
    std::ostringstream out;
    auto block = [&](const std::string& text) {  // multi-line values indented, so lines stay apart
        std::istringstream in(text);
        for (std::string line; std::getline(in, line);) out << "    | " << line << "\n";
    };
    int n = 0;
    for (const auto& s : plan.steps) {
        out << "step " << ++n << ": " << s.description << "\n";
        if (s.kind == Step::Kind::run) {
            out << "  run\n";
            if (!s.cwd.empty()) out << "  cwd " << s.cwd << "\n";
            for (const auto& [k, v] : s.env) out << "  env " << k << "=" << v << "\n";
            for (const auto& a : s.argv) {
                if (a.find('\n') == std::string::npos) {
                    out << "  arg " << a << "\n";
                } else {
                    out << "  arg (" << std::count(a.begin(), a.end(), '\n') << " lines)\n";
                    block(a);
                }
            }
        } else if (s.kind == Step::Kind::write_file) {
            out << "  write " << s.path << "\n";
            block(s.content);
        } else {
            out << "  remove " << s.path << "\n";
        }
    }
    out << "artifact_dir " << plan.artifact_dir << "\n";
    out << "executable " << plan.executable << "\n";
    out << "standalone " << (plan.standalone ? "true" : "false") << "\n";
    if (!plan.report.empty()) out << "report " << plan.report << "\n";
    return out.str();
}

// True when `text` is the golden file's content; else prints both and returns false.
// With FREEZER_UPDATE_GOLDEN set, writes the file and returns true.
inline bool check_golden(const std::string& text, const std::string& golden_file) {
    if (std::getenv("FREEZER_UPDATE_GOLDEN")) {
        std::ofstream(golden_file, std::ios::binary) << text;
        std::cerr << "wrote " << golden_file << "\n";
        return true;
    }
    std::ifstream in(golden_file, std::ios::binary);
    std::stringstream want;
    want << in.rdbuf();
    if (in && want.str() == text) return true;
    std::cerr << "plan differs from " << golden_file << (in ? "" : " (missing)") << "\n--- golden\n"
              << want.str() << "--- plan\n" << text << "(FREEZER_UPDATE_GOLDEN=1 rewrites the golden file)\n";
    return false;
}

}  // namespace freezer::sdk::plan_test

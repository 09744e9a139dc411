// Shared by the end-to-end tests: the real `freezer` binary on scratch copies of
// examples/.
#pragma once

#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>

#include <nlohmann/json.hpp>

#include "process/process.hpp"
#include "test_support.hpp"

namespace freezer::itest {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

inline const fs::path kExamples = fs::path(FREEZER_SOURCE_DIR) / "examples";

struct Run {
    int code;
    std::string out, err;
    json report;  // when --json
};

// `env`: extra variables for this run. `timeout`: a bound on a stuck freezer; a Nuitka
// build on a loaded 2-core machine needs more than the default (ctest's own timeout of
// the case stays the real limit).
inline Run run_freezer(const fs::path& project, std::vector<std::string> args,
                       std::vector<std::pair<std::string, std::string>> env = {},
                       std::chrono::minutes timeout = std::chrono::minutes(10)) {
    ProcessSpec spec;
    spec.argv = {FREEZER_BIN, "-C", project.string()};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.capture = true;
    spec.timeout = timeout;
    env.emplace_back("NO_COLOR", "1");
    spec.env = environment_with(env);
    auto r = run_process(spec);
    Run out{r.exit_code, r.out, r.err, {}};
    if (std::find(args.begin(), args.end(), "--json") != args.end())
        out.report = json::parse(r.out, nullptr, false);
    INFO("freezer " << args.front() << " stdout:\n" << r.out << "\nstderr:\n" << r.err);
    return out;
}

// Runs a command to its end (captured, at most `timeout`): a built binary, pip, a venv.
inline ProcessResult run_command(std::vector<std::string> argv, std::chrono::seconds timeout = 120s) {
    ProcessSpec spec;
    spec.argv = std::move(argv);
    spec.capture = true;
    spec.timeout = timeout;
    return run_process(spec);
}

inline std::string status_of(const Run& r, const std::string& sidecar) {
    if (!r.report.is_object() || !r.report.contains("sidecars")) return "no report";
    for (const auto& s : r.report.at("sidecars"))
        if (s.at("sidecar") == sidecar) return s.at("status");
    return "absent";
}

// A TCP port on 127.0.0.1 nobody listens on (for a moment).
inline int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

// Copies examples/<from> to <to>, following symlinks (whoami's freezer_runtime) and
// leaving out __pycache__: another test may be writing bytecode there right now (the
// freezer_runtime pytest imports python/freezer_runtime), and a .pyc renamed away
// mid-copy would fail this one.
inline void copy_example(const fs::path& from, const fs::path& to) {
    fs::create_directories(to);
    for (const auto& e : fs::directory_iterator(from)) {
        const auto name = e.path().filename();
        if (name == "__pycache__") continue;
        if (e.is_directory()) copy_example(e.path(), to / name);
        else fs::copy_file(e.path(), to / name);
    }
}

// A scratch copy of examples/ (api and cli) whose freezer.yaml uses the test venv's interpreter.
struct Project {
    freezer::test::TempDir dir;
    Project() {
        copy_example(kExamples / "api", dir / "api");
        copy_example(kExamples / "cli", dir / "cli");
        auto yaml = freezer::test::read(kExamples / "freezer.yaml");
        yaml = std::regex_replace(yaml, std::regex("python: [^\n]*"),
                                  std::string("python: ") + FREEZER_TEST_PYTHON);
        // Only api and cli: the whoami sidecars (one per packager) have a test of their own.
        yaml = yaml.substr(0, yaml.find("  whoami-pyinstaller:"));
        freezer::test::write(dir / "freezer.yaml", yaml);
    }
    fs::path operator/(const std::string& rel) const { return dir / rel; }
    // Replaces `from` (a regex) in freezer.yaml.
    void edit_yaml(const std::string& from, const std::string& to) const {
        const auto yaml = freezer::test::read(dir / "freezer.yaml");
        const auto edited = std::regex_replace(yaml, std::regex(from), to);
        REQUIRE(edited != yaml);
        freezer::test::write(dir / "freezer.yaml", edited);
    }
};

}  // namespace freezer::itest

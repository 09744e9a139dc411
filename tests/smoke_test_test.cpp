// The smoke-test contract, on small real programs.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <functional>

#include <fmt/format.h>

#include "process/smoke_test.hpp"
#include "test_support.hpp"

using namespace freezer;
using freezer::test::TempDir;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

fs::path script(const TempDir& dir, const std::string& name, const std::string& body) {
    const auto p = dir / name;
    freezer::test::write(p, "#!/bin/sh\n" + body);
    ::chmod(p.c_str(), 0755);
    return p;
}

config::Smoke run(std::vector<std::string> args, int exit = 0, std::string out = "", std::string err = "",
                  std::chrono::milliseconds timeout = 10s) {
    config::Smoke s;
    s.run = config::RunSmoke{std::move(args), exit, std::move(out), std::move(err), timeout};
    return s;
}

config::Smoke http(std::string path = "/health", int status = 200, std::chrono::milliseconds startup = 10s) {
    config::Smoke s;
    s.http = config::HttpSmoke{{"--port", "{port}"}, std::move(path), status, startup, 2s};
    return s;
}

const SmokeEnvironment kEnv{"/usr/bin/python3", true};

// A real HTTP server on the standard library: `server --port N`, /health -> 200.
const std::string kServer = R"(exec /usr/bin/python3 -c '
import http.server, signal, sys
port = int(sys.argv[2])
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/health" else 404); self.end_headers()
    def log_message(self, *a): pass
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
s = http.server.HTTPServer(("127.0.0.1", port), H)
print("listening", flush=True)
s.serve_forever()
' "$@"
)";

}  // namespace

TEST_CASE("run: exit code and output regexes", "[smoke]") {
    TempDir dir;
    const auto exe = script(dir, "greeter", "[ \"$1\" = --version ] && echo 'greeter 1.2.0' && exit 0\necho oops >&2\nexit 3\n");
    SECTION("passes") {
        const auto o = run_smoke_test(run({"--version"}, 0, "^greeter \\d+\\.\\d+"), exe, kEnv);
        CHECK(o.ran);
        CHECK(o.passed);
        CHECK_THAT(o.message, Catch::Contains("exited 0"));
    }
    SECTION("wrong exit code") {
        const auto o = run_smoke_test(run({"--help"}), exe, kEnv);
        CHECK_FALSE(o.passed);
        CHECK_THAT(o.message, Catch::Contains("exited with 3, expected 0"));
        CHECK(o.output_tail == std::vector<std::string>{"oops"});
    }
    SECTION("stdout regex misses") {
        const auto o = run_smoke_test(run({"--version"}, 0, "^greeter 2\\."), exe, kEnv);
        CHECK_FALSE(o.passed);
        CHECK_THAT(o.message, Catch::Contains("stdout of 'greeter --version' does not match"));
    }
    SECTION("stderr regex") {
        CHECK(run_smoke_test(run({"x"}, 3, "", "oo+ps"), exe, kEnv).passed);
        CHECK_FALSE(run_smoke_test(run({"x"}, 3, "", "^fine$"), exe, kEnv).passed);
    }
}

TEST_CASE("run: a hung binary times out and is killed", "[smoke]") {
    TempDir dir;
    const auto exe = script(dir, "hang", "sleep 30\n");
    const auto start = std::chrono::steady_clock::now();
    const auto o = run_smoke_test(run({}, 0, "", "", 300ms), exe, kEnv);
    CHECK_FALSE(o.passed);
    CHECK_THAT(o.message, Catch::Contains("did not finish within 0.3s"));
    CHECK(std::chrono::steady_clock::now() - start < 10s);
}

TEST_CASE("http: a server that answers and stops on SIGTERM passes", "[smoke]") {
    TempDir dir;
    const auto exe = script(dir, "server", kServer);
    const auto o = run_smoke_test(http(), exe, kEnv);
    INFO(o.message);
    CHECK(o.passed);
    CHECK_THAT(o.message, Catch::Contains("GET /health -> 200") && Catch::Contains("stopped cleanly"));
}

TEST_CASE("http: failures", "[smoke]") {
    TempDir dir;
    SECTION("the wrong status") {
        const auto o = run_smoke_test(http("/nope", 200, 2s), script(dir, "server", kServer), kEnv);
        CHECK_FALSE(o.passed);
        CHECK_THAT(o.message, Catch::Contains("answered 404, expected 200"));
    }
    SECTION("never ready") {
        const auto o = run_smoke_test(http("/health", 200, 1s), script(dir, "mute", "sleep 30\n"), kEnv);
        CHECK_FALSE(o.passed);
        CHECK_THAT(o.message, Catch::Contains("got no answer within 1.0s"));
    }
    SECTION("exits before answering") {
        const auto o = run_smoke_test(http(), script(dir, "crash", "echo 'cannot bind' >&2; exit 4\n"), kEnv);
        CHECK_FALSE(o.passed);
        CHECK_THAT(o.message, Catch::Contains("exited with 4 before answering"));
        CHECK(o.output_tail == std::vector<std::string>{"cannot bind"});
    }
    SECTION("an orphaned child after SIGTERM") {
        // The parent traps SIGTERM and exits, leaving its helper child behind: the
        // bug of a onefile bootloader that does not stop its Python child.
        const auto pidfile = dir / "orphan.pid";
        const auto exe = script(dir, "leaky",
                                "sleep 60 &\necho $! > " + pidfile.string() + "\n"
                                "trap 'exit 0' TERM\n" + kServer.substr(5, kServer.size() - 6 /* no "exec ", no newline */) + " &\nwait\n");
        const auto o = run_smoke_test(http(), exe, kEnv);
        CHECK_FALSE(o.passed);
        CHECK_THAT(o.message, Catch::Contains("left") && Catch::Contains("running") && Catch::Contains("orphaned"));
        // ...and freezer killed the leftovers.
        const int orphan = std::stoi(freezer::test::read(pidfile));
        bool gone = false;
        for (int i = 0; i < 100 && !gone; ++i) {
            const auto stat = freezer::test::read("/proc/" + std::to_string(orphan) + "/stat");
            gone = stat.empty() || stat.find(") Z") != std::string::npos;
            if (!gone) ::usleep(20000);
        }
        CHECK(gone);
    }
}

TEST_CASE("the smoke environment proves self-containment", "[smoke]") {
    TempDir dir;
    // A fake build venv whose bin/ is on PATH, as when freezer runs from an activated venv.
    freezer::test::write(dir / "venv/pyvenv.cfg", "home = /usr/bin\n");
    script(dir, "venv/bin/python", "exit 0\n");
    script(dir, "venv/bin/helper-from-venv", "echo helped\n");
    const std::string old_path = std::getenv("PATH");
    ::setenv("PATH", ((dir / "venv/bin").string() + ":" + old_path).c_str(), 1);
    for (const char* v : {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "_PYI_APPLICATION_HOME_DIR",
                          "NUITKA_ONEFILE_PARENT", "PEX", "SCIE"})
        ::setenv(v, "/leaked", 1);
    const SmokeEnvironment how{(dir / "venv/bin/python").string(), true};

    SECTION("a self-contained binary sees none of the build's environment") {
        const auto exe = script(dir, "probe",
                                "env | grep -E '^(PYTHONPATH|PYTHONHOME|VIRTUAL_ENV|_PYI_|NUITKA_|PEX|SCIE)' && exit 1\n"
                                "case \"$PATH\" in *venv/bin*) exit 2;; esac\n"
                                "case \"$HOME\" in */freezer-smoke-*/home) ;; *) exit 3;; esac\n"
                                "case \"$(pwd)\" in */freezer-smoke-*/work) ;; *) exit 4;; esac\n"
                                "echo clean\n");
        const auto o = run_smoke_test(run({}, 0, "^clean$"), exe, how);
        INFO(o.message);
        CHECK(o.passed);
    }
    SECTION("a binary that needs the build venv fails") {
        const auto exe = script(dir, "needy", "helper-from-venv\n");
        CHECK(run_smoke_test(run({}, 0, "helped"), exe, SmokeEnvironment{"/usr/bin/python3", true}).passed == false);
        const auto o = run_smoke_test(run({}, 0, "helped"), exe, how);
        CHECK_FALSE(o.passed);
        CHECK_THAT(o.message, Catch::Contains("exited with 127"));
    }
    SECTION("a backend that is not standalone gets the venv's base interpreter as python3, never the venv") {
        // As a venv is made: bin/python links to the installation's interpreter.
        script(dir, "base/python3.11", "echo base\n");
        fs::remove(dir / "venv/bin/python");
        fs::create_symlink(dir / "base/python3.11", dir / "venv/bin/python");
        const auto exe = script(dir, "zipapp", "echo \"$(python3) $(python3.11) $(python) $(helper-from-venv || echo no-venv)\"\n");
        const auto o = run_smoke_test(run({}, 0, "^base base base no-venv$"), exe, SmokeEnvironment{how.python, false});
        for (const auto& line : o.output_tail) UNSCOPED_INFO(line);
        INFO(o.message);
        CHECK(o.passed);
    }
    ::setenv("PATH", old_path.c_str(), 1);
    for (const char* v : {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "_PYI_APPLICATION_HOME_DIR",
                          "NUITKA_ONEFILE_PARENT", "PEX", "SCIE"})
        ::unsetenv(v);
}

namespace {


// A server as real ones are written: the port from $PORT, else a fixed one; it says
// where it listens as uvicorn does, and /health answers {"status": "ok"}.
std::string uvicorn_like(int fixed_port) {
    return fmt::format(R"PY(exec /usr/bin/python3 -c '
import http.server, os, signal, sys
port = int(os.environ.get("PORT", "{}"))
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"{{\"status\": \"ok\"}}"
        self.send_response(200 if self.path == "/health" else 404)
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
s = http.server.HTTPServer(("127.0.0.1", port), H)
print("INFO:     Uvicorn running on http://0.0.0.0:%d (Press CTRL+C to quit)" % port, flush=True)
s.serve_forever()
'
)PY",
                       fixed_port);
}

config::Smoke http_smoke(std::function<void(config::HttpSmoke&)> set) {
    config::Smoke s;
    config::HttpSmoke h;
    h.path = "/health";
    h.startup_timeout = 20s;
    h.grace = 2s;
    set(h);
    s.http = std::move(h);
    return s;
}

}  // namespace

TEST_CASE("http: a server on a fixed port, one told its port by the environment, and the body checked", "[smoke]") {
    TempDir dir;
    const int fixed = freezer::test::unused_port();
    const auto exe = script(dir, "api", uvicorn_like(fixed));
    SECTION("the fixed port is probed, and the server passes") {
        const auto o = run_smoke_test(http_smoke([&](auto& h) { h.port = fixed; }), exe, kEnv);
        INFO(o.message);
        CHECK(o.passed);
        CHECK_THAT(o.message, Catch::Contains("GET /health -> 200"));
    }
    SECTION("env PORT={port} tells the server the port probed") {
        const auto o = run_smoke_test(http_smoke([&](auto& h) { h.env = {{"PORT", "{port}"}}; }), exe, kEnv);
        INFO(o.message);
        CHECK(o.passed);
    }
    SECTION("a server that says it listens elsewhere fails at once, saying what to set") {
        const auto o = run_smoke_test(http_smoke([](auto&) {}), exe, kEnv);
        CHECK_FALSE(o.passed);
        CHECK_THAT(o.message, Catch::Contains(fmt::format("it says it listens on port {}", fixed)) &&
                                  Catch::Contains("Uvicorn running on") &&
                                  Catch::Contains(fmt::format("smoke.http.port: {}", fixed)));
    }
    SECTION("the body matches expect_body") {
        const auto o = run_smoke_test(
            http_smoke([&](auto& h) { h.port = fixed; h.expect_body = "\"status\": *\"ok\""; }), exe, kEnv);
        INFO(o.message);
        CHECK(o.passed);
    }
    SECTION("a body that does not match fails, showing the body") {
        const auto o = run_smoke_test(
            http_smoke([&](auto& h) { h.port = fixed; h.expect_body = "\"status\": *\"ready\""; }), exe, kEnv);
        CHECK_FALSE(o.passed);
        CHECK_THAT(o.message, Catch::Contains("answered 200, but its body does not match") &&
                                  Catch::Contains("{\"status\": \"ok\"}"));
    }
}

TEST_CASE("http: several endpoints in one smoke test, bodies checked by regex and by JSON field", "[smoke]") {
    TempDir dir;
    const auto exe = script(dir, "api", R"PY(exec /usr/bin/python3 -c '
import http.server, json, os, signal, sys
routes = {"/health": {"status": "ok"}, "/api/items": {"data": {"items": [{"id": 7, "name": "seven"}]}, "up": True}}
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps(routes.get(self.path, {"detail": "Not Found"})).encode()
        self.send_response(200 if self.path in routes else 404)
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
'
)PY");
    const auto smoke = [&](std::vector<config::HttpCheck> endpoints,
                           std::vector<std::pair<std::string, std::string>> json = {}) {
        return run_smoke_test(http_smoke([&](auto& h) {
                                  h.env = {{"PORT", "{port}"}};
                                  h.expect_json = json;
                                  h.endpoints = endpoints;
                              }),
                              exe, kEnv);
    };
    SECTION("every endpoint answers as expected: passed, each one named") {
        const auto o = smoke({{"/api/items", 200, "seven", {{"data.items.0.id", "7"}, {"up", "true"}}},
                              {"/nothing", 404, "Not Found", {}}},
                             {{"status", "ok"}});
        INFO(o.message);
        CHECK(o.passed);
        CHECK_THAT(o.message, Catch::Contains("GET /health -> 200") && Catch::Contains("GET /api/items -> 200") &&
                                  Catch::Contains("GET /nothing -> 404"));
    }
    SECTION("the ready endpoint's JSON field differs: failed, naming the field and both values") {
        const auto o = smoke({}, {{"status", "ready"}});
        CHECK_FALSE(o.passed);
        CHECK_THAT(o.message, Catch::Contains("GET /health answered 200, but its JSON field status is \"ok\", expected ready"));
    }
    SECTION("a later endpoint's status, body or JSON differs: failed, naming that endpoint") {
        auto o = smoke({{"/api/items", 200, "", {}}, {"/api/users", 200, "", {}}});
        CHECK_FALSE(o.passed);
        CHECK_THAT(o.message, Catch::Contains("GET /api/users answered 404, expected 200") &&
                                  Catch::Contains("Not Found"));
        o = smoke({{"/api/items", 200, "eight", {}}});
        CHECK_FALSE(o.passed);
        CHECK_THAT(o.message, Catch::Contains("GET /api/items answered 200, but its body does not match /eight/"));
        o = smoke({{"/api/items", 200, "", {{"data.items.1.id", "8"}}}});
        CHECK_FALSE(o.passed);
        CHECK_THAT(o.message, Catch::Contains("its JSON has no field data.items.1.id"));
    }
}

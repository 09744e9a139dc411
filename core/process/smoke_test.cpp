#include "process/smoke_test.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <regex>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "util/http_client.hpp"
#include "process/process.hpp"

namespace freezer {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

class ScratchDir {
public:
    ScratchDir() {
        std::string tmpl = (fs::temp_directory_path() / "freezer-smoke-XXXXXX").string();
        if (::mkdtemp(tmpl.data())) path_ = tmpl;
    }
    ~ScratchDir() {
        std::error_code ec;
        if (!path_.empty()) fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

bool is_venv_bin(const fs::path& dir) {
    std::error_code ec;
    return fs::exists(dir.parent_path() / "pyvenv.cfg", ec);
}

std::vector<std::string> tail(const std::string& out, const std::string& err, std::size_t n) {
    std::vector<std::string> lines;
    for (const auto* text : {&out, &err}) {
        std::istringstream in(*text);
        std::string line;
        while (std::getline(in, line)) lines.push_back(line);
    }
    if (lines.size() > n) lines.erase(lines.begin(), lines.end() - static_cast<long>(n));
    return lines;
}

// The pattern found anywhere in the text, or at the start of any line ("^greeter").
bool search(const std::string& pattern, const std::string& text) {
    const std::regex re(pattern, std::regex::ECMAScript);
    if (std::regex_search(text, re)) return true;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line))
        if (std::regex_search(line, re)) return true;
    return false;
}

int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    int port = -1;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
        port = ntohs(addr.sin_port);
    ::close(fd);
    return port;
}

// The port a server's log says it listens on ("Uvicorn running on http://0.0.0.0:8008",
// "Serving HTTP on 0.0.0.0 port 8000", " * Running on http://127.0.0.1:5000"), with the
// line that says it; nothing when no line says so.
struct Announced {
    int port = 0;
    std::string line;
};
std::optional<Announced> announced_port(const std::string& output) {
    static const std::regex says(R"((listen|running on|serving|started server|bound to))", std::regex::icase);
    static const std::regex address(
        R"((?:localhost|\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]*\]|[A-Za-z][A-Za-z0-9.\-]*):(\d{2,5})\b|\bport (\d{2,5})\b)",
        std::regex::icase);
    std::istringstream in(output);
    std::string line;
    while (std::getline(in, line)) {
        if (!std::regex_search(line, says)) continue;
        std::smatch m;
        if (!std::regex_search(line, m, address)) continue;
        const int port = std::stoi(m[1].matched ? m[1].str() : m[2].str());
        if (port <= 0 || port > 65535) continue;
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
        return Announced{port, line.size() > 120 ? line.substr(0, 117) + "..." : line};
    }
    return std::nullopt;
}

// The start of a body, on one line, for a message.
std::string excerpt(std::string body) {
    for (auto& c : body)
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    if (body.empty()) return "(empty)";
    return body.size() > 200 ? body.substr(0, 197) + "..." : body;
}

SmokeOutcome fail(SmokeOutcome o, std::string message, const ProcessResult& r) {
    o.passed = false;
    o.message = std::move(message);
    o.output_tail = tail(r.out, r.err, 30);
    return o;
}

SmokeOutcome run_mode(const config::RunSmoke& run, const fs::path& exe, const SmokeEnvironment& how) {
    SmokeOutcome o{true, true, "run", "", {}, {}};
    ScratchDir scratch;
    ProcessSpec spec;
    spec.argv = {exe.string()};
    spec.argv.insert(spec.argv.end(), run.args.begin(), run.args.end());
    spec.env = smoke_environment(how, scratch.path());
    spec.cwd = (scratch.path() / "work").string();
    spec.capture = true;
    spec.timeout = run.timeout;
    spec.kill_grace = milliseconds(2000);
    const auto r = run_process(spec);
    const std::string cmd = fmt::format("{}{}{}", exe.filename().string(), run.args.empty() ? "" : " ",
                                        fmt::join(run.args, " "));
    if (!r.started) return fail(o, fmt::format("'{}' could not start: {}", cmd, r.start_error), r);
    if (r.interrupted) return fail(o, "interrupted", r);
    if (r.timed_out)
        return fail(o, fmt::format("'{}' did not finish within {:.1f}s", cmd, run.timeout.count() / 1000.0), r);
    if (r.signal) return fail(o, fmt::format("'{}' {}", cmd, r.describe()), r);
    if (r.exit_code != run.expect_exit)
        return fail(o, fmt::format("'{}' exited with {}, expected {}", cmd, r.exit_code, run.expect_exit), r);
    try {
        if (!run.expect_stdout.empty() && !search(run.expect_stdout, r.out))
            return fail(o, fmt::format("stdout of '{}' does not match /{}/", cmd, run.expect_stdout), r);
        if (!run.expect_stderr.empty() && !search(run.expect_stderr, r.err))
            return fail(o, fmt::format("stderr of '{}' does not match /{}/", cmd, run.expect_stderr), r);
    } catch (const std::regex_error& e) {
        return fail(o, fmt::format("invalid regex: {}", e.what()), r);
    }
    o.message = fmt::format("'{}' exited {} in {:.1f}s", cmd, r.exit_code, r.wall.count() / 1000.0);
    o.startup = std::chrono::duration_cast<milliseconds>(r.wall);
    return o;
}

// The field at a dotted path of a JSON document ("data.items.0.id"); nullptr when absent.
const nlohmann::json* json_field(const nlohmann::json& doc, const std::string& path) {
    const nlohmann::json* at = &doc;
    std::size_t begin = 0;
    while (begin <= path.size()) {
        const auto end = std::min(path.find('.', begin), path.size());
        const auto key = path.substr(begin, end - begin);
        if (at->is_object()) {
            const auto it = at->find(key);
            if (it == at->end()) return nullptr;
            at = &*it;
        } else if (at->is_array() && !key.empty() && key.find_first_not_of("0123456789") == std::string::npos &&
                   key.size() < 9) {
            const auto i = std::stoul(key);
            if (i >= at->size()) return nullptr;
            at = &(*at)[i];
        } else {
            return nullptr;
        }
        begin = end + 1;
    }
    return at;
}

// What is wrong with an answer's body for expect_body and expect_json; empty: nothing.
std::string body_problem(const std::string& body, const std::string& expect_body,
                         const std::vector<std::pair<std::string, std::string>>& expect_json) {
    if (!expect_body.empty() && !search(expect_body, body))
        return fmt::format("its body does not match /{}/: {}", expect_body, excerpt(body));
    if (expect_json.empty()) return "";
    const auto doc = nlohmann::json::parse(body, nullptr, false);
    if (doc.is_discarded()) return fmt::format("its body is not JSON: {}", excerpt(body));
    for (const auto& [field, want] : expect_json) {
        const auto* f = json_field(doc, field);
        if (!f) return fmt::format("its JSON has no field {}: {}", field, excerpt(body));
        const auto got = f->is_string() ? f->get<std::string>() : f->dump();
        if (got != want) return fmt::format("its JSON field {} is {}, expected {}", field, f->dump(), want);
    }
    return "";
}

SmokeOutcome http_mode(const config::HttpSmoke& http, const fs::path& exe, const SmokeEnvironment& how) {
    SmokeOutcome o{true, true, "http", "", {}, {}};
    ScratchDir scratch;
    const int port = http.port ? *http.port : free_port();
    const auto with_port = [&](std::string a) {
        for (auto pos = a.find("{port}"); pos != std::string::npos; pos = a.find("{port}"))
            a.replace(pos, 6, std::to_string(port));
        return a;
    };
    ProcessSpec spec;
    spec.argv = {exe.string()};
    for (const auto& a : http.args) spec.argv.push_back(with_port(a));
    spec.env = smoke_environment(how, scratch.path());
    for (const auto& [name, value] : http.env) {
        const auto prefix = name + "=";
        spec.env.erase(std::remove_if(spec.env.begin(), spec.env.end(),
                                      [&](const std::string& kv) { return kv.rfind(prefix, 0) == 0; }),
                       spec.env.end());
        spec.env.push_back(prefix + with_port(value));
    }
    spec.cwd = (scratch.path() / "work").string();
    spec.capture = true;
    Child child(spec);
    if (!child.started())
        return fail(o, fmt::format("could not start {}: {}", exe.string(), child.result().start_error),
                    child.result());
    const std::string url = fmt::format("http://127.0.0.1:{}{}", port, http.path);
    const auto start = Clock::now();
    long status = -1;
    HttpResponse answer;
    for (;;) {
        if (child.wait_for(milliseconds(20))) {
            auto& r = child.finish(milliseconds(0));
            return fail(o, fmt::format("it {} before answering GET {}", r.describe(), url), r);
        }
        if (interrupt_requested()) return fail(o, "interrupted", child.finish(milliseconds(1000)));
        // A server that says it listens elsewhere will never answer here: say so now,
        // not after startup_timeout.
        if (const auto said = announced_port(child.result().out + child.result().err); said && said->port != port) {
            auto& r = child.finish(milliseconds(1000));
            return fail(o, fmt::format("it says it listens on port {} (\"{}\"), but the smoke test probes port {}: "
                                       "pass the port with \"{{port}}\" in smoke.http args or env, or set "
                                       "smoke.http.port: {}",
                                       said->port, said->line, port, said->port),
                        r);
        }
        if (http.expect_body.empty() && http.expect_json.empty()) {
            status = http_get_status(url, milliseconds(2000)).status;
        } else {
            HttpRequest rq;
            rq.url = url;
            rq.timeout = milliseconds(2000);
            rq.connect_timeout = milliseconds(500);
            answer = http_request(rq);
            status = answer.status;
        }
        if (status == http.expect_status || (http.expect_status == 0 && status > 0)) break;
        if (Clock::now() - start > http.startup_timeout) {
            auto& r = child.finish(milliseconds(1000));
            return fail(o, status < 0 ? fmt::format("GET {} got no answer within {:.1f}s", url,
                                                    http.startup_timeout.count() / 1000.0)
                                      : fmt::format("GET {} answered {}, expected {} (waited {:.1f}s)",
                                                    url, status, http.expect_status,
                                                    http.startup_timeout.count() / 1000.0),
                        r);
        }
    }
    const auto ready = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
    o.startup = ready;
    if (const auto why = body_problem(answer.body, http.expect_body, http.expect_json); !why.empty()) {
        auto& r = child.finish(milliseconds(1000));
        return fail(o, fmt::format("GET {} answered {}, but {}", http.path, status, why), r);
    }
    // The other endpoints, once each, now that the server is up.
    std::vector<std::string> checked;
    for (const auto& c : http.endpoints) {
        HttpRequest rq;
        rq.url = fmt::format("http://127.0.0.1:{}{}", port, c.path);
        rq.timeout = milliseconds(5000);
        rq.connect_timeout = milliseconds(1000);
        const auto a = http_request(rq);
        std::string why;
        if (a.status < 0)
            why = "got no answer" + (a.error.empty() ? std::string() : ": " + a.error);
        else if (a.status != c.expect_status)
            why = fmt::format("answered {}, expected {}: {}", a.status, c.expect_status, excerpt(a.body));
        else if (auto b = body_problem(a.body, c.expect_body, c.expect_json); !b.empty())
            why = fmt::format("answered {}, but {}", a.status, b);
        if (!why.empty()) {
            auto& r = child.finish(milliseconds(1000));
            return fail(o, fmt::format("GET {} {}", c.path, why), r);
        }
        checked.push_back(fmt::format("GET {} -> {}", c.path, a.status));
    }

    // Stop it as a desktop app does: SIGTERM to the process it started, nothing else.
    child.signal(SIGTERM);
    const auto deadline = Clock::now() + http.grace;
    const bool exited = child.wait_for(http.grace);
    auto left = child.group_members();
    while (left.alive && Clock::now() < deadline) {
        std::this_thread::sleep_for(milliseconds(50));
        left = child.group_members();
    }
    const int group = child.pid();
    auto& r = child.finish(milliseconds(0));  // kills whatever is left
    if (!exited)
        return fail(o, fmt::format("it did not exit within {:.1f}s of SIGTERM", http.grace.count() / 1000.0), r);
    if (left.alive)
        return fail(o, fmt::format("after SIGTERM it exited but left {} running ({}): an "
                                   "orphaned child keeps the port and the files busy",
                                   left.pids.empty() ? std::string("processes")
                                   : fmt::format("{} process{}", left.pids.size(), left.pids.size() == 1 ? "" : "es"),
                                   left.pids.empty() ? fmt::format("process group {}", group)
                                                     : fmt::format("pid {}", fmt::join(left.pids, ", "))),
                    r);
    o.message = fmt::format("GET {} -> {} after {:.1f}s; {}stopped cleanly on SIGTERM", http.path, status,
                            ready.count() / 1000.0,
                            checked.empty() ? "" : fmt::format("{}; ", fmt::join(checked, ", ")));
    return o;
}

}  // namespace

namespace {
// What a target machine's `python3` is for an artifact that needs one (a .pex, a
// zipapp): the build interpreter's own installation, without the venv freezer's tools
// and the app's dependencies live in. Its folder on PATH would let a bundle that lacks a
// dependency pass, run by `#!/usr/bin/env python3` in that venv. A folder of links named
// as shebangs ask (python, python3, python3.11) to the real executable behind the venv.
fs::path bare_python_dir(const std::string& python, const fs::path& scratch) {
    std::error_code ec;
    const fs::path dir = scratch / "python-bin";
    fs::create_directories(dir, ec);
    const auto real = fs::canonical(python, ec);
    if (ec) return fs::path(python).parent_path();
    for (const auto& name : {std::string("python"), std::string("python3"), real.filename().string(),
                             fs::path(python).filename().string()}) {
        fs::remove(dir / name, ec);
        fs::create_symlink(real, dir / name, ec);
    }
    return dir;
}
}  // namespace

std::vector<std::string> smoke_environment(const SmokeEnvironment& how, const fs::path& scratch) {
    std::error_code ec;
    const fs::path home = how.home.empty() ? scratch / "home" : how.home;
    fs::create_directories(home, ec);
    fs::create_directories(scratch / "tmp", ec);
    fs::create_directories(scratch / "work", ec);
    const fs::path python_dir = fs::path(how.python).parent_path();
    std::string path;
    const char* current = std::getenv("PATH");
    std::istringstream dirs(current ? current : "/usr/local/bin:/usr/bin:/bin");
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        if (dir.empty()) continue;
        const bool keep = !is_venv_bin(dir) && !(how.standalone && fs::path(dir) == python_dir);
        if (keep) path += (path.empty() ? "" : ":") + dir;
    }
    if (!how.standalone) path = bare_python_dir(how.python, scratch).string() + (path.empty() ? "" : ":") + path;
    return environment_with({{"PATH", path},
                             {"HOME", home.string()},
                             {"TMPDIR", (scratch / "tmp").string()},
                             {"PWD", (scratch / "work").string()}},
                            {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP",
                             "PYTHONUSERBASE", "_PYI_*", "PYINSTALLER_*", "NUITKA_*", "PEX",
                             "PEX_*", "SCIE", "SCIE_*", "CONDA_PREFIX", "OLDPWD"});
}

SmokeOutcome run_smoke_test(const config::Smoke& smoke, const fs::path& executable,
                            const SmokeEnvironment& how) {
    const auto start = Clock::now();
    SmokeOutcome total;
    if (smoke.run) {
        total = run_mode(*smoke.run, executable, how);
        if (!total.passed) {
            total.duration = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
            return total;
        }
    }
    if (smoke.http) {
        auto h = http_mode(*smoke.http, executable, how);
        if (total.ran) h.message = total.message + "; " + h.message, h.mode = "run+http";
        total = std::move(h);
    }
    total.duration = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
    return total;
}

}  // namespace freezer

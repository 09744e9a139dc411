// The artifact cache end to end: real PyInstaller builds, restores without the
// packager, damaged entries, a SIGKILL in the middle of a store, two freezers at once,
// `freezer explain`; and the remote cache against Debian's nginx with WebDAV PUT.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "integration_support.hpp"

using namespace freezer;
using namespace freezer::itest;
using freezer::test::read;
using freezer::test::TempDir;
using freezer::test::write;

namespace {

const std::string kVersionA = "__version__ = \"1.2.0\"";
const std::string kVersionB = "__version__ = \"1.3.0\"";

// "Checks out" version A or B of the cli's sources.
void checkout(const Project& p, const std::string& version) {
    write(p / "cli/greeter/__init__.py", "\"\"\"An example command-line sidecar.\"\"\"\n" + version + "\n");
}

std::string installed_version(const Project& p) {
    ProcessSpec spec;
    spec.argv = {(p / "dist/cli/cli").string(), "--version"};
    spec.capture = true;
    spec.timeout = 60s;
    return run_process(spec).out;
}

// Whether the last build of cli ran the packager, from its log.
bool packager_ran(const Project& p) { return read(p / ".freezer/logs/cli.log").find("-m PyInstaller") != std::string::npos; }

std::vector<fs::path> files_under(const fs::path& dir) {
    std::vector<fs::path> out;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec); it != fs::recursive_directory_iterator(); ++it)
        if (it->is_regular_file()) out.push_back(it->path());
    std::sort(out.begin(), out.end());
    return out;
}

fs::path largest_file(const fs::path& dir) {
    fs::path best;
    for (const auto& f : files_under(dir))
        if (best.empty() || fs::file_size(f) > fs::file_size(best)) best = f;
    return best;
}

void flip_byte(const fs::path& file, std::streamoff at) {
    fs::permissions(file, fs::perms::owner_write, fs::perm_options::add);
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(at);
    const char c = static_cast<char>(f.get());
    f.seekp(at);
    f.put(static_cast<char>(c ^ 0x5a));
}

}  // namespace

TEST_CASE("switching branches back and forth restores from the cache without running the packager",
          "[integration][cache]") {
    Project p;
    auto a = run_freezer(p.dir.path(), {"build", "cli", "--json"});
    REQUIRE(status_of(a, "cli") == "built");
    checkout(p, kVersionB);
    REQUIRE(status_of(run_freezer(p.dir.path(), {"build", "cli", "--json"}), "cli") == "built");
    CHECK_THAT(installed_version(p), Catch::Contains("1.3.0"));

    checkout(p, kVersionA);
    auto explain = run_freezer(p.dir.path(), {"explain", "cli", "--json"});
    CHECK(explain.report["action"] == "restore");
    CHECK(explain.report["source"] == "local");
    CHECK(explain.report["changes"] == json::array({"modified greeter/__init__.py"}));

    auto back = run_freezer(p.dir.path(), {"build", "cli", "--json", "-v"});
    CHECK(status_of(back, "cli") == "restored");
    CHECK_FALSE(packager_ran(p));
    CHECK_THAT(installed_version(p), Catch::Contains("1.2.0"));
    CHECK_THAT(back.report["sidecars"][0]["reason"].get<std::string>(), Catch::Contains("restored from the local cache"));
    // The Tauri copy follows the restore.
    std::vector<fs::path> tauri;
    for (const auto& f : files_under(p / "src-tauri/binaries"))
        if (f.filename().string().rfind("cli-", 0) == 0) tauri.push_back(f);
    REQUIRE(tauri.size() == 1);
    CHECK(read(tauri[0]) == read(p / "dist/cli/cli"));

    // And forth again; then nothing to do.
    checkout(p, kVersionB);
    CHECK(status_of(run_freezer(p.dir.path(), {"build", "cli", "--json"}), "cli") == "restored");
    CHECK_THAT(installed_version(p), Catch::Contains("1.3.0"));
    CHECK(status_of(run_freezer(p.dir.path(), {"build", "cli", "--json"}), "cli") == "skipped");

    auto stats = run_freezer(p.dir.path(), {"--json", "cache", "stats"});
    CHECK(stats.report["entries"] == 2);

    // --force builds, whatever the cache has.
    CHECK(status_of(run_freezer(p.dir.path(), {"build", "cli", "--force", "--json"}), "cli") == "built");
}

TEST_CASE("a damaged cache entry is detected, removed and rebuilt", "[integration][cache]") {
    Project p;
    REQUIRE(status_of(run_freezer(p.dir.path(), {"build", "cli", "--json"}), "cli") == "built");
    // The entry's one big file is the onefile binary.
    const auto blob = largest_file(p / ".freezer/cache/artifacts/cas");
    REQUIRE(!blob.empty());
    checkout(p, kVersionB);
    REQUIRE(status_of(run_freezer(p.dir.path(), {"build", "cli", "--json"}), "cli") == "built");

    SECTION("a flipped byte") { flip_byte(blob, static_cast<std::streamoff>(fs::file_size(blob) / 2)); }
    SECTION("truncated") {
        fs::permissions(blob, fs::perms::owner_write, fs::perm_options::add);
        fs::resize_file(blob, fs::file_size(blob) / 3);
    }
    checkout(p, kVersionA);
    auto r = run_freezer(p.dir.path(), {"build", "cli", "--json"});
    CHECK(r.code == 0);
    CHECK(status_of(r, "cli") == "built");
    CHECK_THAT(r.err, Catch::Contains("was not used") && Catch::Contains("checksum"));
    CHECK(packager_ran(p));
    CHECK_THAT(installed_version(p), Catch::Contains("1.2.0"));
    // The rebuild stored a good entry again.
    checkout(p, kVersionB);
    REQUIRE(status_of(run_freezer(p.dir.path(), {"build", "cli", "--json"}), "cli") == "restored");
    checkout(p, kVersionA);
    CHECK(status_of(run_freezer(p.dir.path(), {"build", "cli", "--json"}), "cli") == "restored");
}

TEST_CASE("a freezer killed while storing leaves nothing that counts as a hit", "[integration][cache]") {
    Project p;
    const fs::path marker = p / "paused";
    {
        ProcessSpec spec;
        spec.argv = {FREEZER_BIN, "-C", p.dir.path().string(), "build", "cli"};
        spec.capture = true;
        spec.env = environment_with({{"FREEZER_TEST_PAUSE_BEFORE_MANIFEST", marker.string()}, {"NO_COLOR", "1"}});
        Child freezer(spec);
        REQUIRE(freezer.started());
        for (int i = 0; i < 1200 && !fs::exists(marker); ++i) std::this_thread::sleep_for(100ms);
        REQUIRE(fs::exists(marker));  // blobs written, manifest not yet
        freezer.signal_group(SIGKILL);
        freezer.finish(0ms);
    }
    CHECK(files_under(p / ".freezer/cache/artifacts/ac").empty());
    CHECK_FALSE(files_under(p / ".freezer/cache/artifacts/cas").empty());

    // Another version, then back: A was never committed to the cache, so it is built.
    checkout(p, kVersionB);
    REQUIRE(status_of(run_freezer(p.dir.path(), {"build", "cli", "--json"}), "cli") == "built");
    checkout(p, kVersionA);
    CHECK(status_of(run_freezer(p.dir.path(), {"build", "cli", "--json"}), "cli") == "built");
    CHECK_THAT(installed_version(p), Catch::Contains("1.2.0"));
    auto stats = run_freezer(p.dir.path(), {"--json", "cache", "stats"});
    CHECK(stats.report["entries"] == 2);
    CHECK(stats.report["temp_files"] == 0);
}

TEST_CASE("two freezers building one project both succeed; the second waits for the first",
          "[integration][cache]") {
    Project p;
    ProcessSpec spec;
    spec.argv = {FREEZER_BIN, "-C", p.dir.path().string(), "build", "cli", "--json"};
    spec.capture = true;
    spec.timeout = 10min;
    spec.env = environment_with({{"NO_COLOR", "1"}});
    ProcessResult first, second;
    std::thread t1([&] { first = run_process(spec); });
    std::this_thread::sleep_for(300ms);
    std::thread t2([&] { second = run_process(spec); });
    t1.join();
    t2.join();
    INFO("first:\n" << first.out << first.err << "\nsecond:\n" << second.out << second.err);
    CHECK(first.exit_code == 0);
    CHECK(second.exit_code == 0);
    const auto s1 = json::parse(first.out)["sidecars"][0]["status"].get<std::string>();
    const auto s2 = json::parse(second.out)["sidecars"][0]["status"].get<std::string>();
    CHECK(((s1 == "built" && s2 == "skipped") || (s1 == "skipped" && s2 == "built")));
    CHECK_THAT(first.err + second.err, Catch::Contains("another freezer") && Catch::Contains("waiting"));
    auto stats = run_freezer(p.dir.path(), {"--json", "cache", "stats"});
    CHECK(stats.report["entries"] == 1);
    CHECK(stats.report["temp_files"] == 0);
    CHECK_THAT(installed_version(p), Catch::Contains("1.2.0"));
}

TEST_CASE("eviction keeps the newest entries within cache.max_size", "[integration][cache]") {
    Project p;
    REQUIRE(status_of(run_freezer(p.dir.path(), {"build", "cli", "--json"}), "cli") == "built");
    const auto one = run_freezer(p.dir.path(), {"--json", "cache", "stats"}).report["bytes"].get<std::uint64_t>();
    // Room for one entry and a half: after the second build only the newest is kept.
    p.edit_yaml("version: 1\n", fmt::format("version: 1\ncache:\n  max_size: {}\n", one + one / 2));
    checkout(p, kVersionB);
    // (cache settings are not part of the key: only the sources changed.)
    REQUIRE(status_of(run_freezer(p.dir.path(), {"build", "cli", "--json"}), "cli") == "built");
    auto stats = run_freezer(p.dir.path(), {"--json", "cache", "stats"});
    CHECK(stats.report["entries"] == 1);
    CHECK(stats.report["bytes"].get<std::uint64_t>() <= one + one / 2);
    checkout(p, kVersionA);
    CHECK(status_of(run_freezer(p.dir.path(), {"build", "cli", "--json"}), "cli") == "built");  // evicted
    checkout(p, kVersionB);
    CHECK(status_of(run_freezer(p.dir.path(), {"build", "cli", "--json"}), "cli") == "built");  // evicted by A
    auto cleared = run_freezer(p.dir.path(), {"--json", "cache", "clear"});
    CHECK(cleared.report["entries_removed"] == 1);
    CHECK(run_freezer(p.dir.path(), {"--json", "cache", "stats"}).report["bytes"] == 0);
}

TEST_CASE("freezer explain names the changed file, config key and tool version", "[integration][cache]") {
    Project p;
    REQUIRE(status_of(run_freezer(p.dir.path(), {"build", "cli", "--json"}), "cli") == "built");
    auto same = run_freezer(p.dir.path(), {"explain", "cli", "--json"});
    CHECK(same.report["action"] == "skip");

    checkout(p, kVersionB);
    auto file = run_freezer(p.dir.path(), {"explain", "cli"});
    CHECK_THAT(file.out, Catch::Contains("would build it with pyinstaller") &&
                             Catch::Contains("because: modified greeter/__init__.py"));
    checkout(p, kVersionA);

    p.edit_yaml("greeter` does\n    exclude_modules: \\[tkinter\\]", "greeter` does\n    exclude_modules: [tkinter, sqlite3]");
    auto key = run_freezer(p.dir.path(), {"explain", "cli", "--json"});
    CHECK(key.report["action"] == "build");
    CHECK(key.report["changes"] ==
          json::array({R"(config exclude_modules: ["tkinter"] -> ["tkinter","sqlite3"])"}));
    auto verbose = run_freezer(p.dir.path(), {"build", "cli", "-v"});
    CHECK_THAT(verbose.out, Catch::Contains(R"(because: config exclude_modules: ["tkinter"] -> ["tkinter","sqlite3"])"));

    // The last build was made by an older PyInstaller (its record says so).
    const auto state_file = p / ".freezer/state/cli@pyinstaller.json";
    auto state = json::parse(read(state_file));
    const std::string now = state["toolchain"]["tool_version"];
    state["toolchain"]["tool_version"] = "6.0.0";
    state["parts"]["toolchain"] = std::string(32, '0');  // as that older tool's record hashed it
    state["key"] = std::string(32, '0');
    write(state_file, state.dump());
    auto tool = run_freezer(p.dir.path(), {"explain", "cli"});
    CHECK_THAT(tool.out, Catch::Contains(fmt::format(R"(because: toolchain tool_version: "6.0.0" -> "{}")", now)));
}

// ---- Remote cache: nginx with WebDAV PUT on 127.0.0.1 ------------------------------

namespace {


// Debian's nginx serving <dir>/root, accepting PUT (WebDAV) with a bearer token.
class Nginx {
public:
    explicit Nginx(const std::string& token) : port_(free_port()) {
        fs::create_directories(dir_ / "root/cache");
        fs::create_directories(dir_ / "logs");
        write(dir_ / "nginx.conf", fmt::format(R"(daemon off;
master_process off;
worker_processes 1;
error_log {d}/logs/error.log warn;
pid {d}/nginx.pid;
events {{ worker_connections 64; }}
http {{
    access_log {d}/logs/access.log;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {d}/root;
        client_max_body_size 0;
        location /cache/ {{
            if ($http_authorization != "Bearer {token}") {{ return 401; }}
            dav_methods PUT;
            create_full_put_path on;
        }}
    }}
}}
)",
                                               fmt::arg("d", dir_.path().string()), fmt::arg("port", port_),
                                               fmt::arg("token", token)));
        start();
    }
    ~Nginx() { stop(); }
    void start() {
        ProcessSpec spec;
        spec.argv = {"nginx", "-p", dir_.path().string(), "-c", (dir_ / "nginx.conf").string(), "-e",
                     (dir_ / "logs/error.log").string()};
        spec.capture = true;
        child_ = std::make_unique<Child>(spec);
        REQUIRE(child_->started());
        for (int i = 0; i < 100; ++i) {  // until it listens
            const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
            sockaddr_in addr{};
            addr.sin_family = AF_INET;
            addr.sin_port = htons(static_cast<uint16_t>(port_));
            addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            const bool up = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
            ::close(fd);
            if (up) return;
            if (child_->wait_for(50ms)) FAIL("nginx exited: " << child_->result().err << read(dir_ / "logs/error.log"));
        }
        FAIL("nginx did not listen on port " << port_);
    }
    void stop() {
        if (child_) child_->finish(2s);
        child_.reset();
    }
    std::string url() const { return fmt::format("http://127.0.0.1:{}/cache", port_); }
    fs::path root() const { return dir_ / "root/cache"; }
    std::size_t count(const std::string& kind) const { return files_under(root() / kind).size(); }
    // Requests with this method in the access log so far.
    std::size_t requests(const std::string& method) const {
        const auto log = read(dir_ / "logs/access.log");
        std::size_t n = 0;
        for (std::size_t pos = 0; (pos = log.find("\"" + method + " ", pos)) != std::string::npos; ++pos) ++n;
        return n;
    }

private:
    TempDir dir_;
    int port_;
    std::unique_ptr<Child> child_;
};

struct RemoteProject : Project {
    RemoteProject(const Nginx& server, bool read_only = false) {
        edit_yaml("version: 1\n", fmt::format("version: 1\ncache:\n  remote:\n    url: {}\n    token_env: "
                                              "FREEZER_TEST_CACHE_TOKEN\n    timeout: 10s\n    retries: 1\n{}",
                                              server.url(), read_only ? "    read_only: true\n" : ""));
    }
};

const std::vector<std::pair<std::string, std::string>> kToken = {{"FREEZER_TEST_CACHE_TOKEN", "s3cret"}};

}  // namespace

TEST_CASE("a remote cache on nginx shares builds between checkouts, verified", "[remote]") {
    Nginx server("s3cret");

    // A teammate builds: the build goes up.
    RemoteProject first(server);
    auto up = run_freezer(first.dir.path(), {"build", "cli", "--json"}, kToken);
    REQUIRE(status_of(up, "cli") == "built");
    CHECK(up.err.find("remote cache") == std::string::npos);
    CHECK(server.count("ac") == 1);
    CHECK(server.count("cas") >= 1);

    // A fresh clone with an empty local cache gets it without building.
    RemoteProject second(server);
    auto down = run_freezer(second.dir.path(), {"build", "cli", "--json"}, kToken);
    CHECK(status_of(down, "cli") == "restored");
    CHECK_FALSE(packager_ran(second));
    CHECK_THAT(down.report["sidecars"][0]["reason"].get<std::string>(), Catch::Contains("remote cache"));
    CHECK_THAT(installed_version(second), Catch::Contains("1.2.0"));
    // ... and keeps it locally: the next restore needs no server.
    CHECK(run_freezer(second.dir.path(), {"--json", "cache", "stats"}).report["entries"] == 1);

    SECTION("a tampered blob on the server is rejected, then repaired by the local build's upload") {
        flip_byte(largest_file(server.root() / "cas"), 1000);
        RemoteProject third(server);
        auto r = run_freezer(third.dir.path(), {"build", "cli", "--json"}, kToken);
        CHECK(r.code == 0);
        CHECK(status_of(r, "cli") == "built");
        CHECK(packager_ran(third));
        CHECK_THAT(r.err, Catch::Contains("failed verification") && Catch::Contains("hash mismatch") &&
                              Catch::Contains("building locally") && Catch::Contains("replaces the damaged entry"));
        CHECK_THAT(installed_version(third), Catch::Contains("1.2.0"));

        // The next clean checkout is served the repaired entry.
        RemoteProject fourth(server);
        auto again = run_freezer(fourth.dir.path(), {"build", "cli", "--json"}, kToken);
        CHECK(status_of(again, "cli") == "restored");
        CHECK_FALSE(packager_ran(fourth));
        CHECK(again.err.find("remote cache") == std::string::npos);

        // A blob longer than its manifest says is a size mismatch, in those words.
        fs::path newest;
        for (const auto& f : files_under(server.root() / "cas"))
            if (newest.empty() || fs::last_write_time(f) > fs::last_write_time(newest)) newest = f;
        std::ofstream(newest, std::ios::app | std::ios::binary) << std::string(4096, 'x');
        RemoteProject fifth(server);
        auto longer = run_freezer(fifth.dir.path(), {"build", "cli", "--json"}, kToken);
        CHECK(status_of(longer, "cli") == "built");
        CHECK_THAT(longer.err, Catch::Contains("size mismatch") && !Catch::Contains("Failed writing"));
    }
    SECTION("read_only never uploads") {
        RemoteProject pr(server, /*read_only=*/true);
        checkout(pr, kVersionB);
        const auto ac = server.count("ac"), cas = server.count("cas"), puts = server.requests("PUT");
        CHECK(puts > 0);  // the first checkout's uploads
        auto r = run_freezer(pr.dir.path(), {"build", "cli", "--json"}, kToken);
        CHECK(status_of(r, "cli") == "built");
        CHECK(server.requests("GET") > 0);
        CHECK(server.requests("PUT") == puts);
        CHECK(server.count("ac") == ac);
        CHECK(server.count("cas") == cas);
    }
    SECTION("a wrong token degrades to a local build with one warning") {
        RemoteProject other(server);
        checkout(other, kVersionB);
        auto r = run_freezer(other.dir.path(), {"build", "cli", "--json"}, {{"FREEZER_TEST_CACHE_TOKEN", "wrong"}});
        CHECK(r.code == 0);
        CHECK(status_of(r, "cli") == "built");
        CHECK_THAT(r.err, Catch::Contains("HTTP 401") && Catch::Contains("$FREEZER_TEST_CACHE_TOKEN"));
    }
    SECTION("the server stopped in the middle of a run degrades to a local build") {
        RemoteProject other(server);
        checkout(other, kVersionB);  // not on the server: looked up, then built, then uploaded
        ProcessSpec spec;
        spec.argv = {FREEZER_BIN, "-C", other.dir.path().string(), "build", "cli", "--json"};
        spec.capture = true;
        spec.env = environment_with({{"FREEZER_TEST_CACHE_TOKEN", "s3cret"}, {"NO_COLOR", "1"}});
        Child freezer(spec);
        // Once PyInstaller runs, the lookup is over: stop the server before the upload.
        for (int i = 0; i < 600 && !(fs::exists(other / ".freezer/logs/cli.log") && packager_ran(other)); ++i)
            std::this_thread::sleep_for(100ms);
        server.stop();
        REQUIRE(freezer.wait_for(10min));
        auto& r = freezer.finish(0ms);
        INFO(r.out << r.err);
        CHECK(r.exit_code == 0);
        CHECK(json::parse(r.out)["sidecars"][0]["status"] == "built");
        // One warning line about the remote cache.
        std::size_t lines = 0;
        for (std::size_t pos = 0; (pos = r.err.find("warning: remote cache", pos)) != std::string::npos; ++pos) ++lines;
        CHECK(lines == 1);
        CHECK_THAT(installed_version(other), Catch::Contains("1.3.0"));
    }
}

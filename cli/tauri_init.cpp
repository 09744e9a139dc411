#include "tauri_init.hpp"

#include <algorithm>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <freezer/config.hpp>
#include <nlohmann/json.hpp>

#include "engine/entry_scan.hpp"
#include "util/atomic_file.hpp"
#include "util/formats.hpp"

namespace freezer {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// ---------------------------------------------------------------------------------
// YAML output helpers

// A scalar as YAML: plain when that is unambiguous, else double-quoted (JSON's quoting
// is valid YAML).
std::string yq(const std::string& s) {
    static const std::regex plain("^[A-Za-z0-9_./][A-Za-z0-9_./:+-]*$");
    if (std::regex_match(s, plain) && s != "true" && s != "false" && s != "null" && s != "yes" && s != "no")
        return s;
    return json(s).dump();
}

std::string yq_list(const std::vector<std::string>& v) {
    std::string out = "[";
    for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + json(v[i]).dump();
    return out + "]";
}

// One line "<indent>text   # comment", the comments of a block lined up where they can be.
std::string line(int indent, const std::string& text, const std::string& comment = "") {
    std::string out(indent, ' ');
    if (text.empty()) return out + "# " + comment + "\n";  // a comment line of its own
    out += text;
    if (!comment.empty()) {
        if (out.size() < 34) out.append(34 - out.size(), ' ');
        out += "  # " + comment;
    }
    return out + "\n";
}

std::string rel(const fs::path& p, const fs::path& base) {
    auto r = p.lexically_normal().lexically_relative(base.lexically_normal()).generic_string();
    if (r.empty()) return p.generic_string();
    if (r.size() > 2 && r.compare(r.size() - 2, 2, "/.") == 0) r.resize(r.size() - 2);
    return r;
}

// The first line of a command, shortened for a comment.
std::string short_text(std::string s) {
    std::replace(s.begin(), s.end(), '\n', ' ');
    if (s.size() > 140) s = s.substr(0, 137) + "...";
    return s;
}

// ---------------------------------------------------------------------------------
// Shell words

struct Token {
    std::string text;
    bool op = false;  // an operator: && || ; | & or a newline
};

std::vector<Token> shell_tokens(const std::string& s) {
    std::vector<Token> out;
    std::string cur;
    bool have = false;  // a word is under way (it may be empty: '')
    auto flush = [&] {
        if (have) out.push_back({cur, false});
        cur.clear();
        have = false;
    };
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '\\' && i + 1 < s.size()) {
            if (s[i + 1] == '\n') {  // a line continuation
                ++i;
                continue;
            }
            cur += s[++i];
            have = true;
        } else if (c == '\'') {
            const auto end = s.find('\'', i + 1);
            cur += s.substr(i + 1, (end == std::string::npos ? s.size() : end) - i - 1);
            i = end == std::string::npos ? s.size() : end;
            have = true;
        } else if (c == '"') {
            ++i;
            for (; i < s.size() && s[i] != '"'; ++i) {
                if (s[i] == '\\' && i + 1 < s.size() && std::string("\"\\$`\n").find(s[i + 1]) != std::string::npos)
                    ++i;
                cur += s[i];
            }
            have = true;
        } else if (c == '#' && !have) {  // a comment: to the end of the line
            while (i + 1 < s.size() && s[i + 1] != '\n') ++i;
        } else if (c == ' ' || c == '\t' || c == '\r') {
            flush();
        } else if (c == '\n' || c == ';' || c == '&' || c == '|') {
            flush();
            std::string op(1, c);
            if ((c == '&' || c == '|') && i + 1 < s.size() && s[i + 1] == c) op += s[++i];
            out.push_back({op, true});
        } else {
            cur += c;
            have = true;
        }
    }
    flush();
    return out;
}

// ---------------------------------------------------------------------------------
// Finding PyInstaller runs

bool is_python(const std::string& w) {
    static const std::regex re(R"((.*/)?(python[0-9.]*|py)(\.exe)?)");
    return std::regex_match(w, re);
}

bool is_pyinstaller(const std::string& w) {
    const auto base = fs::path(w).filename().string();
    return base == "pyinstaller" || base == "pyinstaller.exe" || base == "PyInstaller";
}

// The words after `pyinstaller`, when `words` (one simple command) runs PyInstaller.
std::optional<std::vector<std::string>> pyinstaller_args(std::vector<std::string> words) {
    // Leading VAR=value assignments, then wrappers that run a tool in a project's venv.
    static const std::regex assignment(R"([A-Za-z_][A-Za-z0-9_]*=.*)");
    auto it = words.begin();
    while (it != words.end() && std::regex_match(*it, assignment)) ++it;
    words.erase(words.begin(), it);
    for (bool again = true; again && !words.empty();) {
        again = false;
        static const std::set<std::string> runners = {"poetry", "uv", "pipenv", "pdm", "hatch", "rye", "pixi"};
        if (words.size() > 1 && runners.count(words[0]) && words[1] == "run") {
            words.erase(words.begin(), words.begin() + 2);
            // uv run --with x, pdm run -v: the runner's own options.
            while (!words.empty() && words[0].rfind("-", 0) == 0) words.erase(words.begin());
            again = true;
        } else if (!words.empty() && (words[0] == "exec" || words[0] == "time" || words[0] == "env")) {
            words.erase(words.begin());
            again = true;
        }
    }
    if (words.empty()) return std::nullopt;
    if (is_pyinstaller(words[0])) return std::vector<std::string>(words.begin() + 1, words.end());
    if (is_python(words[0])) {
        std::size_t i = 1;
        while (i < words.size() && words[i].rfind("-", 0) == 0 && words[i] != "-m") ++i;  // python -u -m ...
        if (i + 1 < words.size() && words[i] == "-m" && is_pyinstaller(words[i + 1]))
            return std::vector<std::string>(words.begin() + static_cast<long>(i) + 2, words.end());
    }
    return std::nullopt;
}

// The shell script a command runs (`sh x.sh`, `bash -e x.sh`, `./x.sh`), if any.
std::optional<std::string> shell_script_of(const std::vector<std::string>& words) {
    if (words.empty()) return std::nullopt;
    if (words[0] == "sh" || words[0] == "bash" || words[0] == "zsh" || words[0] == "dash") {
        for (std::size_t i = 1; i < words.size(); ++i) {
            if (words[i] == "-c") return std::nullopt;
            if (words[i].rfind("-", 0) != 0) return words[i];
        }
        return std::nullopt;
    }
    const auto& w = words[0];
    if (w.size() > 3 && w.compare(w.size() - 3, 3, ".sh") == 0) return w;
    return std::nullopt;
}

}  // namespace

std::vector<std::string> shell_words(const std::string& text) {
    std::vector<std::string> out;
    for (auto& t : shell_tokens(text)) out.push_back(std::move(t.text));
    return out;
}

std::vector<PyInstallerRun> find_pyinstaller_runs(const std::string& text, const fs::path& cwd_in,
                                                  const std::string& origin, int depth) {
    std::vector<PyInstallerRun> out;
    fs::path cwd = cwd_in;
    const auto tokens = shell_tokens(text);
    // The simple commands, one by one; `cd DIR` moves the ones after it (as in
    // `cd py && pyinstaller app.py`), like the shell does.
    std::vector<std::string> words;
    auto simple = [&] {
        if (words.empty()) return;
        if (words[0] == "cd" && words.size() == 2) {
            cwd = (cwd / words[1]).lexically_normal();
        } else if (auto args = pyinstaller_args(words)) {
            std::string cmd;
            for (const auto& w : words) cmd += (cmd.empty() ? "" : " ") + w;
            out.push_back({origin, cmd, cwd, *args});
        } else if (auto script = shell_script_of(words); script && depth == 0) {
            // One level deep: the scripts that package.json or the build commands run.
            std::string body;
            const fs::path file = (cwd / *script).lexically_normal();
            if (read_file(file, body)) {
                auto inner = find_pyinstaller_runs(body, cwd, origin + " runs " + *script, depth + 1);
                out.insert(out.end(), inner.begin(), inner.end());
            }
        }
        words.clear();
    };
    for (const auto& t : tokens) {
        if (t.op) simple();
        else words.push_back(t.text);
    }
    simple();
    return out;
}

// ---------------------------------------------------------------------------------
// Reading an entry script

namespace {

EntryFacts scan_text(const std::string& src) {
    EntryFacts f;
    f.reader = "text";
    static const std::regex import_re(R"(^\s*(?:import|from)\s+([A-Za-z_][\w.]*))");
    static const std::regex main_re(R"(^\s*if\s+__name__\s*==\s*['"]__main__['"])");
    static const std::regex run_port_re(R"(\b([\w.]*\w)\.(run|run_app|serve)\s*\(.*\bport\s*=\s*(\d+))");
    static const std::regex server_port_re(R"((\w*Server)\s*\(\s*\(\s*['"][^'"]*['"]\s*,\s*(\d+)\s*\))");
    static const std::regex env_re(R"((?:environ\s*\[|getenv\s*\(|environ\.get\s*\()\s*['"](\w*PORT\w*)['"])");
    static const std::regex arg_re(R"((add_argument|option)\s*\(\s*(?:['"]-\w['"]\s*,\s*)?['"]--port['"])");
    static const std::regex route_re(R"(^\s*@\w+(?:\.\w+)*\.(get|route)\s*\(\s*['"]([^'"]+)['"](.*))");
    static const std::regex add_get_re(R"(add_get\s*\(\s*['"]([^'"]+)['"])");
    static const std::set<std::string> servers = {"uvicorn", "flask", "aiohttp", "fastapi", "http.server",
                                                  "hypercorn", "waitress", "starlette", "sanic", "bottle"};
    std::istringstream in(src);
    std::string l;
    int n = 0;
    std::set<std::string> imports;
    while (std::getline(in, l)) {
        ++n;
        const auto first = l.find_first_not_of(" \t");
        if (first == std::string::npos || l[first] == '#') continue;
        std::smatch m;
        if (std::regex_search(l, m, import_re)) {
            const std::string mod = m[1];
            imports.insert(mod.substr(0, mod.find('.')));
            for (const auto& s : servers)
                if (f.server.empty() && (mod == s || mod.rfind(s + ".", 0) == 0)) f.server = "imports " + s;
            for (const char* fw : {"fastapi", "flask", "aiohttp", "http.server"})
                if (f.framework.empty() && mod.rfind(fw, 0) == 0) f.framework = fw;
            for (const char* c : {"typer", "click", "argparse"})
                if (mod == c) f.cli = f.cli.empty() || std::string(c) == "typer" ? c : f.cli;
        }
        if (std::regex_search(l, main_re)) f.main_block = true;
        if (std::regex_search(l, m, run_port_re) && !f.port) {
            f.port = std::stoi(m[3]);
            f.port_line = n;
            f.port_call = m[1].str() + "." + m[2].str();
        }
        if (std::regex_search(l, m, server_port_re)) {
            f.port = std::stoi(m[2]);
            f.port_line = n;
            f.port_call = m[1].str();
            if (f.server.empty()) f.server = "calls " + m[1].str();
        }
        if (l.find("serve_forever") != std::string::npos && f.server.empty()) f.server = "calls serve_forever()";
        if (std::regex_search(l, m, env_re) && f.env_port.empty()) {
            f.env_port = m[1];
            f.env_port_line = n;
        }
        if (std::regex_search(l, arg_re) && !f.arg_port_line) f.arg_port_line = n;
        if (std::regex_search(l, m, route_re)) {
            const std::string rest = m[3];
            // @app.route("/x", methods=["POST"]) is no GET route.
            if (m[1] == "get" || rest.find("methods") == std::string::npos || rest.find("GET") != std::string::npos)
                f.routes.emplace_back(m[2], n);
        } else if (std::regex_search(l, m, add_get_re)) {
            f.routes.emplace_back(m[1], n);
        }
    }
    f.imports.assign(imports.begin(), imports.end());
    return f;
}

}  // namespace

EntryFacts scan_entry(const fs::path& file, const std::string& python) {
    std::string src;
    if (!read_file(file, src)) return {};
    if (!python.empty()) {
        const auto out = run_entry_scan(python, file);
        auto j = out ? json::parse(*out, nullptr, false) : json();  // not const: [] of a missing key is null
        if (j.is_object() && !j.contains("error")) {
            EntryFacts f;
            f.reader = "python";
            f.imports = j.value("imports", std::vector<std::string>{});
            f.server = j.value("server", "");
            f.framework = j.value("framework", "");
            f.cli = j.value("cli", "");
            f.main_block = j.value("main_block", false);
            if (j["port"].is_object()) {
                f.port = j["port"].value("value", 0);
                f.port_line = j["port"].value("line", 0);
                f.port_call = j["port"].value("call", "");
                f.port_default = j["port"].value("default", false);
            }
            if (j["env_port"].is_object()) {
                f.env_port = j["env_port"].value("name", "");
                f.env_port_line = j["env_port"].value("line", 0);
            }
            if (j["arg_port"].is_object()) f.arg_port_line = j["arg_port"].value("line", 0);
            for (const auto& r2 : j["routes"]) f.routes.emplace_back(r2.value("path", ""), r2.value("line", 0));
            return f;
        }
        // No usable interpreter (or a file it cannot parse): the text patterns below.
    }
    return scan_text(src);
}

// ---------------------------------------------------------------------------------
// From what was found to freezer.yaml

namespace {

// PyInstaller's command line, sorted into what freezer.yaml says.
struct PyiFlags {
    std::string target;  // the script or .spec
    std::string name;    // --name
    std::string mode, mode_flag;
    std::vector<std::string> hidden, collect, exclude;
    std::vector<std::pair<std::string, std::string>> data;  // as written (relative to the run's folder)
    std::vector<std::string> dropped;                       // flags freezer manages
    std::vector<std::string> extra;                         // for backends.pyinstaller.extra_args
};

// Why freezer drops a flag it manages itself.
const std::map<std::string, std::string>& managed_flags() {
    static const std::map<std::string, std::string> m = {
        {"--clean", "freezer cleans PyInstaller's cache itself (with --force)"},
        {"-y", "freezer replaces its outputs itself"},
        {"--noconfirm", "freezer replaces its outputs itself"},
        {"--distpath", "freezer chooses where builds go (output.dir)"},
        {"--workpath", "freezer keeps PyInstaller's work folder under .freezer/cache"},
        {"--specpath", "freezer writes the generated .spec into its work folder"},
        {"-c", "a console program is PyInstaller's default"},
        {"--console", "a console program is PyInstaller's default"},
        {"--nowindowed", "a console program is PyInstaller's default"},
        {"-w", "a sidecar runs without a window of its own"},
        {"--windowed", "a sidecar runs without a window of its own"},
        {"--noconsole", "a sidecar runs without a window of its own"},
        {"--log-level", "freezer keeps the packager's log in .freezer/logs"},
    };
    return m;
}

PyiFlags parse_pyinstaller(const std::vector<std::string>& args) {
    // PyInstaller's options that take a value (the rest are flags).
    static const std::set<std::string> with_value = {
        "-n", "--name", "--hidden-import", "--hiddenimport", "--add-data", "--add-binary",
        "--collect-submodules", "--collect-data", "--collect-datas", "--collect-binaries", "--collect-all",
        "--exclude-module", "--distpath", "--workpath", "--specpath", "--log-level", "-p", "--paths",
        "-i", "--icon", "--runtime-hook", "--additional-hooks-dir", "--upx-dir", "--upx-exclude",
        "--target-arch", "--target-architecture", "--codesign-identity", "--osx-entitlements-file",
        "--splash", "--key", "--version-file", "--manifest", "-r", "--resource", "--copy-metadata",
        "--recursive-copy-metadata", "--python-option", "--contents-directory", "--runtime-tmpdir",
        "--osx-bundle-identifier", "-d", "--debug", "--optimize"};
    PyiFlags f;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string opt = args[i], value;
        bool has_value = false;
        if (opt.rfind("--", 0) == 0 && opt.find('=') != std::string::npos) {
            value = opt.substr(opt.find('=') + 1);
            opt = opt.substr(0, opt.find('='));
            has_value = true;
        } else if (with_value.count(opt) && i + 1 < args.size()) {
            value = args[++i];
            has_value = true;
        }
        const std::string as_written = has_value ? opt + " " + value : opt;
        if (opt.rfind("-", 0) != 0) {
            if (f.target.empty()) f.target = opt;
            else f.extra.push_back(opt);
        } else if (opt == "-F" || opt == "--onefile") {
            f.mode = "onefile", f.mode_flag = opt;
        } else if (opt == "-D" || opt == "--onedir") {
            f.mode = "onedir", f.mode_flag = opt;
        } else if (opt == "-n" || opt == "--name") {
            f.name = value;
        } else if (opt == "--hidden-import" || opt == "--hiddenimport") {
            f.hidden.push_back(value);
        } else if (opt == "--collect-submodules") {
            f.collect.push_back(value);
        } else if (opt == "--exclude-module") {
            f.exclude.push_back(value);
        } else if (opt == "--add-data") {
            // SRC:DEST (SRC;DEST on Windows, and accepted by older versions everywhere).
            auto sep = value.find(';');
            if (sep == std::string::npos) sep = value.rfind(':');
            if (sep == std::string::npos) f.extra.push_back(opt), f.extra.push_back(value);
            else f.data.emplace_back(value.substr(0, sep), value.substr(sep + 1));
        } else if (managed_flags().count(opt)) {
            f.dropped.push_back(as_written);
        } else {
            f.extra.push_back(opt);
            if (has_value) f.extra.push_back(value);
        }
    }
    return f;
}

// --name without a target-triple suffix or a placeholder for one:
// main-x86_64-unknown-linux-gnu, main-$TARGET, main-${TARGET_TRIPLE}, main-{{target}}.
std::string name_stem(std::string name) {
    static const std::regex suffix(
        R"(-((x86_64|aarch64|i686|armv7|arm64|universal|riscv64gc|powerpc64le|s390x)-[A-Za-z0-9_-]+|\$\{?\w+\}?|\{\{\s*\w+\s*\}\}|%\w+%)$)");
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".exe") == 0) name.resize(name.size() - 4);
    return std::regex_replace(name, suffix, "");
}

bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// A console script of pyproject.toml: `name = "pkg.mod:func"`.
struct ConsoleScript {
    fs::path pyproject;
    std::string name, module, func;
    int line = 0;
};

// [project.scripts] (and Poetry's [tool.poetry.scripts]) of one pyproject.toml; a small
// reader for the one shape these tables have.
std::vector<ConsoleScript> console_scripts(const fs::path& file) {
    std::vector<ConsoleScript> out;
    std::string text;
    if (!read_file(file, text)) return out;
    static const std::regex header(R"(^\s*\[([^\]]+)\]\s*(#.*)?$)");
    static const std::regex entry(R"re(^\s*"?([A-Za-z0-9_.-]+)"?\s*=\s*["']([A-Za-z0-9_.]+)(?::([A-Za-z0-9_.]+))?["'])re");
    std::istringstream in(text);
    std::string l;
    bool inside = false;
    int n = 0;
    while (std::getline(in, l)) {
        ++n;
        std::smatch m;
        if (std::regex_match(l, m, header)) {
            inside = m[1] == "project.scripts" || m[1] == "tool.poetry.scripts";
        } else if (inside && std::regex_search(l, m, entry)) {
            out.push_back({file, m[1], m[2], m[3], n});
        }
    }
    return out;
}

// pyproject.toml files of the project: its folder and two levels below, leaving out
// the folders that hold no Python sources of the app.
std::vector<fs::path> find_pyprojects(const fs::path& dir, int depth = 0) {
    std::vector<fs::path> out;
    if (fs::exists(dir / "pyproject.toml")) out.push_back(dir / "pyproject.toml");
    if (depth == 2) return out;
    std::error_code ec;
    std::vector<fs::path> subdirs;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        const auto name = e.path().filename().string();
        if (!e.is_directory(ec) || name.empty() || name[0] == '.' || name == "node_modules" || name == "target" ||
            name == "dist" || name == "build")
            continue;
        subdirs.push_back(e.path());
    }
    std::sort(subdirs.begin(), subdirs.end());
    for (const auto& s : subdirs) {
        auto inner = find_pyprojects(s, depth + 1);
        out.insert(out.end(), inner.begin(), inner.end());
    }
    return out;
}

// The interpreter that reads entry scripts: the one given, the project's .venv, python3.
std::string reader_python(const InitOptions& o, const fs::path& project_dir) {
    if (o.text_only) return "";
    if (!o.python.empty()) {
        const fs::path p = o.python;
        if (p.is_absolute() || o.python.find('/') == std::string::npos) return o.python;
        return (project_dir / p).string();
    }
    if (fs::exists(project_dir / ".venv/bin/python")) return (project_dir / ".venv/bin/python").string();
    return "python3";
}

// The lines of the smoke test for an entry with these facts.
std::string smoke_block(const EntryFacts& f, const std::string& entry_name) {
    std::string out = line(4, "smoke:", "proves the binary works before it is installed");
    if (f.reader.empty()) {
        out += line(6, "run: [\"--help\"]", "TODO: the entry could not be read; a command that must succeed");
        out += line(6, "expect_exit: 0");
        return out;
    }
    const std::string how = f.reader == "python" ? "" : " (read as text)";
    if (!f.server.empty()) {
        out += line(6, "http:", fmt::format("{} {}{}: a server, so an HTTP request", entry_name, f.server, how));
        if (f.port) {
            out += line(8, fmt::format("port: {}", *f.port),
                        f.port_default ? fmt::format("{}:{} calls {}() without a port: its default", entry_name,
                                                     f.port_line, f.port_call)
                                       : fmt::format("{}:{} calls {}(..., port={})", entry_name, f.port_line,
                                                     f.port_call, *f.port));
        } else if (!f.env_port.empty()) {
            out += line(8, fmt::format("env: {{{}: \"{{port}}\"}}", f.env_port),
                        fmt::format("{}:{} reads its port from ${}: a free one", entry_name, f.env_port_line,
                                    f.env_port));
        } else if (f.arg_port_line) {
            out += line(8, "args: [\"--port\", \"{port}\"]",
                        fmt::format("{}:{} takes --port: a free one", entry_name, f.arg_port_line));
        } else {
            out += line(8, "args: [\"--port\", \"{port}\"]",
                        "TODO: how the server is told its port (args, env: {PORT: \"{port}\"}, or port: N)");
        }
        if (f.arg_port_line && (f.port || !f.env_port.empty()))
            out += line(8, "", fmt::format("(it also takes --port at line {})", f.arg_port_line));
        // A GET route without parameters; a health check when there is one.
        std::vector<std::pair<std::string, int>> plain;
        for (const auto& r : f.routes)
            if (r.first.find_first_of("{<:*") == std::string::npos) plain.push_back(r);
        auto pick = std::find_if(plain.begin(), plain.end(), [](const auto& r) {
            return r.first.find("health") != std::string::npos || r.first.find("ping") != std::string::npos ||
                   r.first.find("status") != std::string::npos;
        });
        if (pick == plain.end()) pick = std::find_if(plain.begin(), plain.end(), [](const auto& r) { return r.first == "/"; });
        if (pick == plain.end() && !plain.empty()) pick = plain.begin();
        if (pick != plain.end()) {
            out += line(8, "path: " + yq(pick->first), fmt::format("{}:{}: a GET route", entry_name, pick->second));
        } else if (f.framework == "fastapi") {
            out += line(8, "path: /openapi.json", "no GET route without parameters found: FastAPI serves its schema here");
        } else if (f.framework == "http.server") {
            out += line(8, "path: /", "http.server answers any GET");
        } else {
            out += line(8, "path: /", "TODO: no GET route found: a path that answers 200");
        }
        out += line(8, "expect_status: 200");
        return out;
    }
    if (!f.cli.empty()) {
        out += line(6, "run: [\"--help\"]", fmt::format("{} parses its options with {}{}", entry_name, f.cli, how));
        out += line(6, "expect_exit: 0");
    } else {
        out += line(6, "run: []", fmt::format("{} parses no options and starts no server{}: run it bare", entry_name, how));
        out += line(6, "expect_exit: 0", "TODO: the exit code it ends with when all is well");
    }
    return out;
}

// Moves `root` up when the entry imports a module that is not beside it but in a
// folder above (up to the project): `from backends.db import x` in src/backends/main.py
// needs src/ on the path.
fs::path root_for(const fs::path& script_dir, const EntryFacts& f, const fs::path& project_dir,
                  std::string& why) {
    for (const auto& mod : f.imports) {
        auto here = [&](const fs::path& d) {
            return fs::exists(d / (mod + ".py")) || fs::exists(d / mod / "__init__.py") ||
                   (fs::is_directory(d / mod) && fs::exists(d / mod) && d / mod != script_dir);
        };
        if (here(script_dir)) continue;
        for (fs::path d = script_dir.parent_path();; d = d.parent_path()) {
            if (here(d)) {
                why = fmt::format("it imports {}, which is in {}", mod, rel(d, project_dir));
                return d;
            }
            if (d == project_dir || d == d.parent_path() || rel(d, project_dir).rfind("..", 0) == 0) break;
        }
    }
    return script_dir;
}

struct SidecarGuess {
    std::string text;  // the sidecar's lines
    bool todo = false;
};

SidecarGuess from_pyinstaller(const std::string& name, const PyInstallerRun& run, const fs::path& project_dir,
                              const std::string& python) {
    const PyiFlags f = parse_pyinstaller(run.args);
    std::string out = line(2, name + ":");
    out += line(4, "", fmt::format("from {}: {}", run.origin, short_text(run.command)));
    if (!f.name.empty() && f.name != name)
        out += line(4, "", fmt::format("PyInstaller's --name {} is not needed: freezer names it {} and installs "
                                       "{}-<target-triple>", f.name, name, name));
    bool todo = false;
    const fs::path target = (run.cwd / f.target).lexically_normal();
    const bool spec = ends_with(f.target, ".spec");
    fs::path entry_file = target;
    if (spec) {
        // The script the spec analyses: Analysis(['main.py'], ...), relative to the spec.
        std::string body;
        read_file(target, body);
        std::smatch m;
        static const std::regex analysis(R"(Analysis\s*\(\s*\[\s*(?:r?['"])([^'"]+)['"])");
        entry_file = std::regex_search(body, m, analysis) ? (target.parent_path() / m[1].str()).lexically_normal()
                                                           : fs::path();
    }
    const std::string entry_name = entry_file.filename().string();
    const auto facts = entry_file.empty() ? EntryFacts{} : scan_entry(entry_file, python);
    std::string why_root;
    const fs::path root = spec ? target.parent_path()
                               : root_for(target.parent_path(), facts, project_dir, why_root);
    out += line(4, "root: " + yq(rel(root, project_dir)),
                why_root.empty() ? fmt::format("the folder of {}", target.filename().string())
                                 : fmt::format("the folder above {}: {}", target.filename().string(), why_root));
    if (spec) {
        if (!entry_file.empty() && fs::exists(entry_file))
            out += line(4, "entry: " + yq(rel(entry_file, root)), "the script the .spec's Analysis() names");
        else
            out += line(4, "entry: main.py", "TODO: the script the .spec builds, relative to root"), todo = true;
        out += line(4, "backends:");
        out += line(6, "pyinstaller:");
        out += line(8, "spec: " + yq(rel(target, root)),
                    "PyInstaller builds from the .spec: it decides onefile or onedir and the modules");
        for (const auto& d : f.dropped) out += line(4, "", fmt::format("not carried over: {}", d));
        for (const auto& e : f.extra) out += line(4, "", fmt::format("not carried over (the .spec decides): {}", e));
    } else {
        if (!fs::exists(target)) todo = true;
        out += line(4, "entry: " + yq(rel(target, root)),
                    fs::exists(target) ? std::string("the script PyInstaller was given")
                                       : fmt::format("TODO: {} does not exist", rel(target, project_dir)));
        if (f.mode == "onedir")
            out += line(4, "mode: onefile", fmt::format("the script says {}, but Tauri installs one file per "
                                                        "externalBin entry (output.tauri)", f.mode_flag));
        else if (f.mode == "onefile")
            out += line(4, "mode: onefile", "from " + f.mode_flag);
        if (!f.hidden.empty()) out += line(4, "hidden_imports: " + yq_list(f.hidden), "from --hidden-import");
        if (!f.collect.empty())
            out += line(4, "collect_submodules: " + yq_list(f.collect), "from --collect-submodules");
        if (!f.exclude.empty()) out += line(4, "exclude_modules: " + yq_list(f.exclude), "from --exclude-module");
        if (!f.data.empty()) {
            out += line(4, "data:", "from --add-data (src relative to root)");
            for (const auto& [src, dest] : f.data) {
                const auto r = rel((run.cwd / src).lexically_normal(), root);
                out += line(6, fmt::format("- {{src: {}, dest: {}}}", yq(r), yq(dest)),
                            r.rfind("..", 0) == 0 ? "TODO: outside root: move it in, or move root up" : "");
                if (r.rfind("..", 0) == 0) todo = true;
            }
        }
        for (const auto& d : f.dropped) {
            const auto flag = d.substr(0, d.find(' '));
            out += line(4, "", fmt::format("dropped {}: {}", d, managed_flags().at(flag)));
        }
        if (!f.extra.empty()) {
            out += line(4, "backends:");
            out += line(6, "pyinstaller:");
            out += line(8, "extra_args: " + yq_list(f.extra),
                        "passed to PyInstaller as they were (freezer.yaml has no key for them)");
        }
    }
    auto smoke = smoke_block(facts, entry_name.empty() ? "the entry" : entry_name);
    if (smoke.find("TODO") != std::string::npos) todo = true;
    return {out + smoke, todo};
}

SidecarGuess from_console_script(const std::string& name, const ConsoleScript& cs, const fs::path& project_dir,
                                 const std::string& python) {
    std::string out = line(2, name + ":");
    const fs::path pdir = cs.pyproject.parent_path();
    out += line(4, "", fmt::format("from {}:{}: [project.scripts] {} = \"{}{}{}\"", rel(cs.pyproject, project_dir),
                                   cs.line, cs.name, cs.module, cs.func.empty() ? "" : ":", cs.func));
    // Where the package is: beside pyproject.toml, or in src/ (the src layout).
    std::string mod_path = cs.module;
    std::replace(mod_path.begin(), mod_path.end(), '.', '/');
    fs::path base = pdir, file;
    for (const auto& b : {pdir, pdir / "src"}) {
        for (const auto& cand : {b / (mod_path + ".py"), b / mod_path / "__main__.py", b / mod_path / "__init__.py"})
            if (fs::exists(cand)) {
                base = b, file = cand;
                break;
            }
        if (!file.empty()) break;
    }
    bool todo = false;
    const auto facts = file.empty() ? EntryFacts{} : scan_entry(file, python);
    out += line(4, "root: " + yq(rel(base, project_dir)),
                base == pdir ? "the folder of pyproject.toml" : "the src/ folder of pyproject.toml's project");
    if (file.empty()) {
        out += line(4, "module: " + cs.module, fmt::format("TODO: {} was not found under {}", cs.module, rel(base, project_dir)));
        todo = true;
    } else if (file.filename() == "__main__.py" || facts.main_block) {
        out += line(4, "module: " + cs.module,
                    fmt::format("{} runs as `python -m {}`", rel(file, base), cs.module));
    } else {
        out += line(4, "module: " + cs.module,
                    fmt::format("TODO: {} has no `if __name__ == \"__main__\":` block, so running it does not call "
                                "{}(): add one that calls it, or set entry: to a script that does",
                                rel(file, base), cs.func.empty() ? "its function" : cs.func));
        todo = true;
    }
    auto smoke = smoke_block(facts, file.empty() ? "the module" : file.filename().string());
    if (smoke.find("TODO") != std::string::npos) todo = true;
    return {out + smoke, todo};
}

}  // namespace

std::string init_template(const std::vector<std::string>& sidecars, const std::string& tauri_dir,
                          const std::string& python) {
    std::string out =
        "# freezer.yaml: which packager freezes each Python sidecar, from which inputs, and\n"
        "# how the result proves it works. Reference: config/freezer.schema.json.\n"
        "version: " + std::to_string(formats::kConfig) + "\n";
    out += python.empty() ? "python: .venv/bin/python        # the interpreter with the packagers installed\n"
                          : line(0, "python: " + yq(python), "the interpreter with the packagers installed");
    if (!tauri_dir.empty())
        out += fmt::format("output:\n  tauri: {}        # installs <name>-<target-triple> for Tauri\n", tauri_dir);
    out += "defaults:\n  backend: pyinstaller\n  mode: onefile\nsidecars:\n";
    const std::vector<std::string> names = sidecars.empty() ? std::vector<std::string>{"app"} : sidecars;
    for (const auto& name : names)
        out += fmt::format(
            "  {0}:\n"
            "    root: python/{0}               # TODO: the folder with this sidecar's sources\n"
            "    entry: main.py                 # TODO: its script (or module: package.main)\n"
            "    smoke:                         # proves the binary works before it is installed\n"
            "      run: [\"--help\"]\n"
            "      expect_exit: 0\n",
            name);
    return out;
}

std::string init_from_tauri(const fs::path& conf, const fs::path& project_dir_in, const InitOptions& options) {
    std::string text;
    if (!read_file(conf, text)) throw std::runtime_error(fmt::format("cannot read {}", conf.string()));
    const json j = json::parse(text, nullptr, false, /*ignore_comments=*/true);
    if (j.is_discarded()) throw std::runtime_error(fmt::format("{} is not valid JSON", conf.string()));
    const json* bins = nullptr;
    for (const char* ptr : {"/bundle/externalBin", "/tauri/bundle/externalBin"}) {
        const auto p = json::json_pointer(ptr);
        if (j.contains(p)) {
            bins = &j.at(p);
            break;
        }
    }
    if (!bins || !bins->is_array() || bins->empty())
        throw std::runtime_error(fmt::format(
            "{} has no bundle.externalBin entries: list your sidecars there first (e.g. "
            "\"externalBin\": [\"binaries/api\"]), or run 'freezer init' without --from-tauri",
            conf.string()));
    const fs::path conf_dir = fs::absolute(conf).lexically_normal().parent_path();
    const fs::path project_dir = fs::absolute(project_dir_in).lexically_normal();
    std::vector<std::string> names;
    std::string dir;
    for (const auto& b : *bins) {
        if (!b.is_string()) throw std::runtime_error("bundle.externalBin must be a list of strings");
        const fs::path entry = b.get<std::string>();
        const auto name = entry.filename().string();
        if (!config::valid_sidecar_name(name))
            throw std::runtime_error(fmt::format("externalBin entry '{}' does not end in a usable sidecar name",
                                                 entry.string()));
        const auto folder = fs::relative((conf_dir / entry).parent_path(), project_dir)
                                .lexically_normal()
                                .generic_string();
        if (!dir.empty() && folder != dir)
            throw std::runtime_error(fmt::format(
                "externalBin entries are in different folders ({} and {}); freezer installs Tauri copies into "
                "one folder (output.tauri): put them side by side",
                dir, folder));
        dir = folder;
        names.push_back(name);
    }

    // The commands the project runs today. package.json: the nearest one at or above
    // tauri.conf.json, not above the project (Tauri's front end, usually the parent of
    // src-tauri/). Its folder is also where Tauri runs the build commands.
    fs::path pkg_dir;
    for (fs::path d = conf_dir;; d = d.parent_path()) {
        if (fs::exists(d / "package.json")) {
            pkg_dir = d;
            break;
        }
        if (d == project_dir || d == d.parent_path()) break;
    }
    const fs::path run_dir = pkg_dir.empty() ? conf_dir.parent_path() : pkg_dir;
    std::vector<PyInstallerRun> runs;
    auto add = [&](const std::string& cmd, const fs::path& cwd, const std::string& origin) {
        for (auto& r : find_pyinstaller_runs(cmd, cwd, origin)) {
            // The same run reached twice (a build command running a package.json script's
            // shell file): once is enough.
            const bool seen = std::any_of(runs.begin(), runs.end(),
                                          [&](const auto& o) { return o.cwd == r.cwd && o.args == r.args; });
            if (!seen) runs.push_back(std::move(r));
        }
    };
    if (!pkg_dir.empty()) {
        std::string pkg_text;
        read_file(pkg_dir / "package.json", pkg_text);
        const json pkg = json::parse(pkg_text, nullptr, false);
        if (pkg.is_object() && pkg.contains("scripts") && pkg["scripts"].is_object())
            for (const auto& [key, value] : pkg["scripts"].items())
                if (value.is_string())
                    add(value.get<std::string>(), pkg_dir,
                        fmt::format("{} scripts.{}", rel(pkg_dir / "package.json", project_dir), key));
    }
    for (const char* key : {"beforeBuildCommand", "beforeDevCommand", "beforeBundleCommand"}) {
        const auto p = json::json_pointer(std::string("/build/") + key);
        if (!j.contains(p)) continue;
        const auto& v = j.at(p);
        const std::string origin = fmt::format("{} build.{}", rel(fs::absolute(conf), project_dir), key);
        if (v.is_string()) add(v.get<std::string>(), run_dir, origin);
        else if (v.is_object() && v.contains("script") && v["script"].is_string())
            add(v["script"].get<std::string>(), run_dir / v.value("cwd", "."), origin);
    }

    // Each externalBin entry with its run: by --name (without a target triple), by the
    // script's name, or the only run for the only sidecar.
    std::vector<std::optional<PyInstallerRun>> matched(names.size());
    std::set<std::size_t> used;
    for (std::size_t i = 0; i < names.size(); ++i)
        for (std::size_t k = 0; k < runs.size() && !matched[i]; ++k) {
            const auto f = parse_pyinstaller(runs[k].args);
            if (used.count(k)) continue;
            if ((!f.name.empty() && name_stem(f.name) == names[i]) ||
                (f.name.empty() && fs::path(f.target).stem() == names[i]))
                matched[i] = runs[k], used.insert(k);
        }
    if (names.size() == 1 && runs.size() == 1 && !matched[0]) matched[0] = runs[0];

    const std::string python = reader_python(options, project_dir);
    std::vector<ConsoleScript> scripts;
    if (std::any_of(matched.begin(), matched.end(), [](const auto& m) { return !m; }))
        for (const auto& p : find_pyprojects(project_dir)) {
            auto s = console_scripts(p);
            scripts.insert(scripts.end(), s.begin(), s.end());
        }

    std::string out = init_template({}, dir, options.python);
    out.erase(out.find("sidecars:\n") + 10);  // the placeholder sidecar goes; the real ones follow
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (matched[i]) {
            out += from_pyinstaller(names[i], *matched[i], project_dir, python).text;
            continue;
        }
        auto cs = std::find_if(scripts.begin(), scripts.end(), [&](const auto& s) { return s.name == names[i]; });
        if (cs == scripts.end() && names.size() == 1 && scripts.size() == 1) cs = scripts.begin();
        if (cs != scripts.end()) {
            out += from_console_script(names[i], *cs, project_dir, python).text;
            continue;
        }
        // Nothing found: the placeholders, saying where freezer looked.
        auto placeholder = init_template({names[i]}, "", "");
        placeholder = placeholder.substr(placeholder.find("sidecars:\n") + 10);
        out += placeholder.substr(0, placeholder.find('\n') + 1);
        out += line(4, "", "no PyInstaller command naming it in package.json scripts or tauri.conf.json's build "
                           "commands, and no [project.scripts] entry in a pyproject.toml");
        out += placeholder.substr(placeholder.find('\n') + 1);
    }
    return out;
}

}  // namespace freezer

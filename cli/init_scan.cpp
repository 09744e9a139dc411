// `freezer init --from-tauri`, reading the project: the shell commands of its build
// scripts (split into words as sh would, PyInstaller runs found among them) and what an
// entry script is (engine/entry_scan.hpp reads its syntax tree; text patterns when no
// interpreter can run). tauri_init.cpp turns what these find into freezer.yaml.
#include "tauri_init.hpp"
#include "init_scan.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/entry_scan.hpp"
#include "util/atomic_file.hpp"

namespace freezer {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

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
// PyInstaller's flags and pyproject.toml's console scripts

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
std::vector<fs::path> find_pyprojects(const fs::path& dir, int depth) {
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

}  // namespace freezer

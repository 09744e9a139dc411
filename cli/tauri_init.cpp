#include "tauri_init.hpp"
#include "init_scan.hpp"

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

}  // namespace

// ---------------------------------------------------------------------------------
// From what was found to freezer.yaml

namespace {

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

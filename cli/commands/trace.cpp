// freezer trace: run a sidecar unfrozen under an audit hook and say what its bundles
// miss, as freezer.yaml entries; --write adds them to the file, keeping its comments.
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <freezer/config_edit.hpp>

#include "engine/builder.hpp"
#include "command.hpp"
#include "util/atomic_file.hpp"

namespace freezer::cli {
using nlohmann::json;

namespace {

struct Flags {
    std::string sidecar;
    std::vector<std::string> backends, runs, gets;
    bool write = false;
    bool check = false;
    bool no_smoke = false;
};

std::vector<std::string> split_args(const std::string& s) {
    std::istringstream in(s);
    std::vector<std::string> out;
    for (std::string a; in >> a;) out.push_back(a);
    return out;
}

// A sidecar's own list replaces the one in defaults:, so a list the sidecar inherits is
// written out whole before the new items (items already in its own list are skipped).
std::vector<config::ListAddition> additions(const TraceReport& r, const config::Sidecar& sc) {
    std::vector<config::ListAddition> out;
    auto scalars = [](const std::vector<std::string>& now, const std::vector<std::string>& more) {
        std::vector<std::string> items;
        for (const auto* v : {&now, &more})
            for (const auto& s : *v) items.push_back(config::yaml_scalar(s));
        return items;
    };
    if (!r.collect_submodules.empty())
        out.push_back({"collect_submodules", scalars(sc.collect_submodules, r.collect_submodules)});
    if (!r.hidden_imports.empty()) out.push_back({"hidden_imports", scalars(sc.hidden_imports, r.hidden_imports)});
    if (!r.data.empty()) {
        config::ListAddition d{"data", {}};
        for (const auto& f : r.data)
            d.items.push_back(fmt::format("{{src: {}, dest: {}}}", config::yaml_scalar(f.src), config::yaml_scalar(f.dest)));
        out.push_back(std::move(d));
    }
    return out;
}

json to_json(const TraceReport& r, const std::vector<std::string>& written) {
    json runs = json::array(), backends = json::array(), data = json::array();
    for (const auto& x : r.runs) runs.push_back({{"what", x.what}, {"passed", x.passed}, {"message", x.message}});
    for (const auto& b : r.backends)
        backends.push_back({{"backend", b.backend}, {"baseline", b.baseline}, {"missing_modules", b.missing_modules},
                            {"missing_package_files", b.missing_package_files}});
    for (const auto& d : r.data) data.push_back({{"src", d.src}, {"dest", d.dest}});
    return {{"format", kReportFormat}, {"command", "trace"}, {"sidecar", r.sidecar}, {"python", r.python},
            {"runs", runs}, {"modules_imported", r.modules_imported}, {"modules_from_root", r.modules_from_root},
            {"modules_from_packages", r.modules_from_packages}, {"files_read", r.files_read}, {"backends", backends},
            {"add", {{"hidden_imports", r.hidden_imports}, {"collect_submodules", r.collect_submodules}, {"data", data}}},
            {"written", written}, {"record", r.record_file}};
}

void print_text(const TraceReport& r, const Style& style) {
    fmt::print("freezer: traced {} unfrozen ({})\n", style.bold(r.sidecar), r.python);
    for (const auto& x : r.runs)
        fmt::print("  {} {}: {}\n", x.passed ? style.green("ran") : style.yellow("ran (failed)"), x.what, x.message);
    fmt::print("  it imported {} modules ({} of its own, {} from installed packages) and read {} files\n",
               r.modules_imported, r.modules_from_root, r.modules_from_packages, r.files_read);
    for (const auto& b : r.backends) {
        if (b.missing_modules.empty())
            fmt::print("  {}: every module it imported is there (compared with {})\n", b.backend, b.baseline);
        else
            fmt::print("  {}: {} module{} would be missing (compared with {}): {}\n", b.backend,
                       b.missing_modules.size(), b.missing_modules.size() == 1 ? "" : "s", b.baseline,
                       fmt::join(b.missing_modules, ", "));
        if (!b.missing_package_files.empty())
            fmt::print("  {}: it read files of installed packages the bundle lacks: {}\n"
                       "    (no freezer.yaml key bundles them yet; pass the packager's own flag in "
                       "backends.{}.extra_args, e.g. PyInstaller's --collect-data PACKAGE or --copy-metadata DIST)\n",
                       b.backend, fmt::join(b.missing_package_files, ", "), b.backend);
    }
    if (r.complete()) {
        fmt::print("{}: nothing to add to freezer.yaml for {}\n", style.green("freezer"), r.sidecar);
        return;
    }
    fmt::print("\nadd to freezer.yaml, under sidecars.{}:\n", r.sidecar);
    if (!r.collect_submodules.empty())
        fmt::print("    collect_submodules: [{}]   # loaded by name at run time\n", fmt::join(r.collect_submodules, ", "));
    if (!r.hidden_imports.empty())
        fmt::print("    hidden_imports: [{}]\n", fmt::join(r.hidden_imports, ", "));
    if (!r.data.empty()) {
        fmt::print("    data:\n");
        for (const auto& d : r.data) fmt::print("      - {{src: {}, dest: {}}}\n", d.src, d.dest);
    }
}

int run_trace(const Globals& g, const Flags& f) {
    const auto style = make_style(g.color, stdout);
    Session session;
    print_plugin_warnings(session, g);
    auto project = load_project(session, g, true);
    if (!project) return kUsage;
    TerminalReporter reporter(style, false, true, false);
    if (!g.json) {
        fmt::print("freezer: running {} unfrozen under an audit hook...\n", f.sidecar);
        std::fflush(stdout);
    }
    TraceOptions opt;
    opt.backends = f.backends;
    for (const auto& r : f.runs) opt.runs.push_back(split_args(r));
    opt.gets = f.gets;
    opt.skip_smoke = f.no_smoke;
    const auto report = Builder(*project, session.host(), reporter).trace(f.sidecar, opt);

    std::vector<std::string> written;
    std::string refused;
    if (f.write && !report.complete()) {
        std::ifstream in(project->file, std::ios::binary);
        std::stringstream text;
        text << in.rdbuf();
        try {
            const auto edit = config::add_to_sidecar_lists(text.str(), report.sidecar,
                                                           additions(report, *project->find(report.sidecar)),
                                                           project->file.string());
            if (edit.text != text.str()) write_file_atomically(project->file, edit.text);
            written = edit.changes;
        } catch (const config::EditError& e) {
            refused = e.what();  // the report still counts: print it, then why nothing was written
        }
    }
    if (g.json) {
        auto j = to_json(report, written);
        if (!refused.empty()) j["write_refused"] = refused;
        fmt::print("{}\n", j.dump(2));
        return !refused.empty() || (f.check && !report.complete() && !f.write) ? kFailed : kOk;
    }
    print_text(report, style);
    if (!refused.empty()) {
        fmt::print(stderr, "freezer: error: nothing was written: {}\n", refused);
        return kFailed;
    }
    if (f.write) {
        for (const auto& c : written) fmt::print("  wrote {}\n", c);
        if (!written.empty()) fmt::print("freezer: {} updated; run `freezer build {}`\n", project->file.string(), report.sidecar);
    } else if (!report.complete()) {
        fmt::print("run `freezer trace {} --write` to add them (comments and layout are kept)\n", report.sidecar);
        if (f.check) return kFailed;
    }
    return kOk;
}

}  // namespace

Run add_trace(CLI::App& app, const Globals& g) {
    auto f = std::make_shared<Flags>();
    auto* cmd = app.add_subcommand(
        "trace",
        "Run a sidecar unfrozen, under its own interpreter, and find what a frozen build would miss.\n"
        "An audit hook records every module it imports and every file it reads while its smoke test\n"
        "drives it (plus --run and --get). freezer compares that with what each backend's last\n"
        "build bundled (before a first build: with static import analysis of the entry, which\n"
        "finds the sidecar's own modules loaded by name) and prints what to add to freezer.yaml:\n"
        "hidden_imports, collect_submodules for a plugin package, data for files it reads.\n\n"
        "  freezer trace api                        drive it with its smoke test\n"
        "  freezer trace api --get /api/upper       ... and one more request\n"
        "  freezer trace cli --run '--help' --run 'convert in.txt'\n"
        "  freezer trace api --backend nuitka --backend pex-scie\n"
        "  freezer trace api --write                add the entries to freezer.yaml\n\n"
        "The raw record stays in .freezer/logs/SIDECAR.trace.jsonl. Exit codes: 0, or 1 with --check\n"
        "when something is missing, or when --write could not edit the file (it says why).");
    cmd->add_option("sidecar", f->sidecar, "The sidecar")->type_name("SIDECAR")->required();
    cmd->add_option("--backend", f->backends, "Compare with this packager's bundle (repeatable; default: the sidecar's)")
        ->type_name("NAME");
    cmd->add_option("--run", f->runs, "Also run it with these arguments, split on spaces (repeatable)")
        ->type_name("ARGS")
        ->allow_extra_args(false);
    cmd->add_option("--get", f->gets, "Also GET this path from the server its HTTP smoke test starts (repeatable)")
        ->type_name("PATH")
        ->allow_extra_args(false);
    cmd->add_flag("--no-smoke", f->no_smoke, "Skip the smoke test; only --run and --get drive it");
    cmd->add_flag("--write", f->write, "Add what is missing to freezer.yaml, keeping its comments and layout");
    cmd->add_flag("--check", f->check, "Exit 1 when something is missing (for CI); without --write");
    cmd->fallthrough();
    return [&g, f] { return run_trace(g, *f); };
}

}  // namespace freezer::cli

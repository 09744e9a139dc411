// freezer compare: packagers side by side on the same sidecars.
#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "command.hpp"
#include "compare.hpp"
#include "compare_report.hpp"
#include "junit.hpp"
#include "util/atomic_file.hpp"
#include "util/interrupt.hpp"

namespace freezer::cli {

namespace {

struct CompareFlags {
    std::vector<std::string> sidecars;
    std::vector<std::string> backends;
    int runs = 5;
    int jobs = 0;
    bool markdown = false;
    std::string html;
    std::string junit;
    std::string scratch;
    bool keep = false;
};

int run_compare_command(const Globals& g, const CompareFlags& flags) {
    Session session;
    print_plugin_warnings(session, g);
    // The user's project is only read: its own checks, not the compared backends'
    // (a missing backend is a row of the report, not an error).
    auto project = load_project(session, g, false);
    if (!project) return kUsage;
    CompareOptions opts;
    opts.sidecars = flags.sidecars;
    opts.backends = flags.backends;
    opts.runs = flags.runs;
    opts.jobs = flags.jobs;
    opts.scratch = flags.scratch;
    opts.keep_scratch = flags.keep || !flags.scratch.empty();
    const auto progress = [](const std::string& line) {
        fmt::print(stderr, "freezer compare: {}\n", line);
        std::fflush(stderr);
    };
    const auto report = run_compare(*project, session.host(), opts, progress);
    if (!flags.html.empty()) {
        write_file_atomically(flags.html, compare_html(report, FREEZER_VERSION));
        fmt::print(stderr, "freezer compare: wrote {}\n", flags.html);
    }
    if (!flags.junit.empty()) write_junit(flags.junit, "freezer compare", compare_results(report));
    if (g.json)  // what a binary printed need not be UTF-8: replaced, not an error after the whole run
        fmt::print("{}\n", compare_json(report, FREEZER_VERSION)
                               .dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
    else if (flags.markdown)
        fmt::print("{}", compare_markdown(report));
    else
        fmt::print("{}", compare_table(report, make_style(g.color, stdout)));
    // Where the scratch copy is, when it is kept, and each failed cell's log in it; on
    // stderr, the last thing said whatever the report's format.
    std::vector<const CompareRow*> failed;
    for (const auto& r : report.rows)
        if (r.status == "failed") failed.push_back(&r);
    if (!report.scratch.empty()) {
        if (opts.keep_scratch)
            progress(fmt::format("the scratch copy is kept in {}", report.scratch.string()));
        else
            progress(fmt::format("the scratch copy is kept in {} for the {}; delete it when done",
                                 report.scratch.string(),
                                 failed.size() == 1 ? "failed cell's log" : "failed cells' logs"));
        for (const auto* r : failed)
            progress(fmt::format("{} x {} failed; its log: {}", r->sidecar, r->backend, r->log.string()));
    }
    if (interrupt_requested()) return kInterrupted;
    return failed.empty() ? kOk : kFailed;
}

}  // namespace

Run add_compare(CLI::App& app, const Globals& g) {
    auto f = std::make_shared<CompareFlags>();
    auto* cmd = app.add_subcommand(
        "compare",
        "Freeze the same sidecars with several packagers and compare build times, size and start-up.\n"
        "Works in a scratch copy with empty caches: your tree, dist/, .freezer/ and caches are not touched.\n"
        "Per sidecar x backend: cold build, no-change build, rebuild after a one-line change, peak RSS and CPU,\n"
        "size (and file count), start-up (first run, then median and p90 of --runs runs of the smoke test).\n"
        "A backend that is missing or fails gets its row with the reason; a failure also with what the binary\n"
        "printed and the log's last lines, and the scratch copy is kept with its full log.\n"
        "Exit 1 when a build or smoke test failed.\n\n"
        "  freezer compare api --backends pyinstaller,nuitka,pex-scie --html compare.html\n"
        "  freezer compare --backends pyinstaller,nuitka --markdown >> \"$GITHUB_STEP_SUMMARY\"");
    cmd->add_option("sidecars", f->sidecars, "Sidecars to compare (default: all)")->type_name("SIDECAR");
    cmd->add_option("--backends", f->backends, "Packagers to compare, comma-separated")
        ->type_name("A,B,...")
        ->delimiter(',')
        ->required();
    cmd->add_option("--runs", f->runs, "Start-up runs after the first, and no-change builds (default 5)")
        ->type_name("N")
        ->check(CLI::Range(1, 1000));
    cmd->add_option("-j,--jobs", f->jobs, "CPU budget of each build (default: every CPU)")
        ->type_name("N")
        ->check(CLI::Range(1, 1024));
    cmd->add_flag("--markdown", f->markdown, "Print a Markdown table (for a CI step summary)");
    cmd->add_option("--html", f->html, "Also write a self-contained HTML report with bar charts")->type_name("FILE");
    cmd->add_option("--junit", f->junit, "Also write JUnit XML (one testcase per sidecar:backend)")->type_name("FILE");
    cmd->add_option("--scratch", f->scratch,
                    "Work in this empty folder and keep it (default: a temp folder, removed unless a cell failed)")
        ->type_name("DIR");
    cmd->add_flag("--keep,--keep-scratch", f->keep,
                  "Keep the scratch copy (builds, logs) also when every cell passed; a failed cell keeps it anyway");
    cmd->fallthrough();
    return [&g, f] { return run_compare_command(g, *f); };
}

}  // namespace freezer::cli

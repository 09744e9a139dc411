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
    bool keep_scratch = false;
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
    opts.keep_scratch = flags.keep_scratch || !flags.scratch.empty();
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
    if (g.json)
        fmt::print("{}\n", compare_json(report, FREEZER_VERSION).dump(2));
    else if (flags.markdown)
        fmt::print("{}", compare_markdown(report));
    else
        fmt::print("{}", compare_table(report, make_style(g.color, stdout)));
    if (interrupt_requested()) return kInterrupted;
    const bool failed =
        std::any_of(report.rows.begin(), report.rows.end(), [](const auto& r) { return r.status == "failed"; });
    return failed ? kFailed : kOk;
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
        "A backend that is missing or fails gets its row with the reason. Exit 1 when a build or smoke test failed.\n\n"
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
    cmd->add_option("--scratch", f->scratch, "Work in this empty folder and keep it (default: a temp folder, removed)")
        ->type_name("DIR");
    cmd->add_flag("--keep-scratch", f->keep_scratch, "Keep the scratch copy (its logs) for a look afterwards");
    cmd->fallthrough();
    return [&g, f] { return run_compare_command(g, *f); };
}

}  // namespace freezer::cli

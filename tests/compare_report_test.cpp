// What `freezer compare` shows of a failed cell (cli/compare_report.cpp), on a report made
// here: the reason in full, what the binary printed, the log's last lines and where the
// log is, in the table, Markdown, JSON, HTML and JUnit. tests/compare_test.py runs the
// real thing; these are the cases it cannot make cheaply.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "compare_report.hpp"
#include "junit.hpp"

using namespace freezer;
using namespace freezer::cli;
using Catch::Contains;

namespace {

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
    return n;
}

// One sidecar, two backends: pex failed in its cold build's smoke test (a long reason with
// a hint on a second line, and an "é" where the charts cut it short), nuitka is missing.
CompareReport failed_report() {
    CompareReport report;
    report.backends = {"pex-scie", "nuitka"};
    report.runs = 2;
    report.started_at = "2026-01-02T03:04:05Z";
    report.project = "/p/freezer.yaml";
    report.python_version = "3.12.1";
    report.cpus = 2;
    report.jobs = 2;
    report.scratch = "/tmp/freezer-compare-abc";
    CompareRow failed;
    failed.sidecar = "api";
    failed.backend = "pex-scie";
    failed.status = "failed";
    failed.mode = "onefile";
    failed.smoke_configured = true;
    // As a chart shows it, "failed: " first: the é (2 bytes) is at 59 and 60, where a
    // failure's note is cut.
    failed.reason = "cold build: smoke test failed: it exited with 1" + std::string(4, '.') +
                    "\xc3\xa9 before answering GET http://127.0.0.1:5000/health; the previous output was kept\n"
                    "  hint: add the module to hidden_imports";
    failed.cold.measured = true;
    failed.cold.wall = std::chrono::milliseconds(1500);
    for (int i = 1; i <= 30; ++i) failed.log_tail.push_back("log line " + std::to_string(i));
    failed.output_tail = {"Traceback (most recent call last):", "```", "RuntimeError: no database"};
    failed.log = "/tmp/freezer-compare-abc/api@pex-scie/failure.log";
    CompareRow missing;
    missing.sidecar = "api";
    missing.backend = "nuitka";
    missing.status = "missing";
    missing.reason = "no backend plugin named 'nuitka'";
    report.rows = {failed, missing};
    return report;
}

}  // namespace

TEST_CASE("compare: the table shows a failure in full under it, with the binary's output and the log's end",
          "[compare]") {
    const auto report = failed_report();
    const auto text = compare_table(report, Style{});
    CHECK_THAT(text, Contains("  api x pex-scie: failed: " + report.rows[0].reason + "\n"));
    CHECK_THAT(text, Contains("    what the binary printed (its last 3 lines):\n"
                              "    | Traceback (most recent call last):\n"
                              "    | ```\n"
                              "    | RuntimeError: no database\n"));
    // After the binary's output (which the log holds too), the log's last 12 lines only.
    CHECK_THAT(text, Contains("    the log's last 12 lines:\n    | log line 19\n"));
    CHECK_THAT(text, !Contains("log line 18\n"));
    CHECK_THAT(text, Contains("    | log line 30\n    full log: /tmp/freezer-compare-abc/api@pex-scie/failure.log\n"));
    CHECK_THAT(text, Contains("  api x nuitka: missing: no backend plugin named 'nuitka'\n"));
    CHECK_THAT(text, Contains("  scratch copy kept in /tmp/freezer-compare-abc\n"));

    SECTION("without the binary's output, all of the log's tail") {
        auto build_failed = report;
        build_failed.rows[0].output_tail.clear();
        const auto t = compare_table(build_failed, Style{});
        CHECK_THAT(t, !Contains("what the binary printed"));
        CHECK_THAT(t, Contains("    the log's last 30 lines:\n    | log line 1\n"));
    }
}

TEST_CASE("compare: the JSON keeps a failure's log, its tail and the binary's output", "[compare]") {
    auto report = failed_report();
    auto j = compare_json(report, "1.0.0");
    CHECK(j["scratch"] == "/tmp/freezer-compare-abc");
    const auto& failed = j["results"][0];
    CHECK(failed["reason"] == report.rows[0].reason);
    CHECK(failed["log"] == "/tmp/freezer-compare-abc/api@pex-scie/failure.log");
    CHECK(failed["log_tail"].size() == 30);
    CHECK(failed["output_tail"] == nlohmann::json(report.rows[0].output_tail));
    CHECK(j["results"][1]["log"].is_null());
    CHECK(j["results"][1]["output_tail"].empty());
    report.scratch.clear();
    CHECK(compare_json(report, "1.0.0")["scratch"].is_null());
}

TEST_CASE("compare: the HTML has a Failures section, and the charts' short notes link to it", "[compare]") {
    const auto report = failed_report();
    const auto page = compare_html(report, "1.0.0");
    const auto at = page.find(R"(<section id="failures">)");
    REQUIRE(at != std::string::npos);
    const auto failures = page.substr(at);
    CHECK_THAT(failures, Contains(R"(<div class="failure" id="failure-api-pex-scie"><h3>api x pex-scie</h3>)"));
    CHECK_THAT(failures, Contains(xml_escape(report.rows[0].reason)));  // in full, the hint's line too
    CHECK_THAT(failures, Contains("<p>What the binary printed (its last 3 lines):</p><pre class=\"output\">"
                                  "Traceback (most recent call last):\n```\nRuntimeError: no database\n</pre>"));
    CHECK_THAT(failures, Contains("log line 1\n"));
    CHECK_THAT(failures, Contains("log line 30\n"));
    CHECK_THAT(failures, Contains("<code>/tmp/freezer-compare-abc/api@pex-scie/failure.log</code>"));
    CHECK_THAT(failures, !Contains("failure-api-nuitka"));  // missing is no failure
    // Size and start-up have no bars for it: each chart cuts the reason short, before the é
    // rather than inside it, links to the entry and has the whole on hover.
    const std::string note = std::string(R"(<a href="#failure-api-pex-scie"><text )");
    CHECK(count(page, note) == 2);
    CHECK(count(page, "<title>" + xml_escape("failed: " + report.rows[0].reason) + "</title>") == 2);
    CHECK(count(page, "</title>failed: cold build: smoke test failed: it exited with 1....\xe2\x80\xa6 (in full under "
                      "Failures)</text></a>") == 2);
    CHECK(count(page, R"(<a href="#failure-api-pex-scie">failed</a>)") == 1);  // the table's status
    CHECK_THAT(page, Contains("scratch copy kept in <code>/tmp/freezer-compare-abc</code>"));
}

TEST_CASE("compare: Markdown folds a failure's output in fences no line can close", "[compare]") {
    const auto md = compare_markdown(failed_report());
    CHECK_THAT(md, Contains("<details><summary>api x pex-scie: what the binary printed and the log's last lines"
                            "</summary>"));
    // The binary printed ``` : its fence is longer.
    CHECK_THAT(md, Contains("What the binary printed:\n\n````text\nTraceback (most recent call last):\n```\n"
                            "RuntimeError: no database\n````\n"));
    CHECK_THAT(md, Contains("The log's last 30 lines (/tmp/freezer-compare-abc/api@pex-scie/failure.log):\n\n"
                            "```text\n"));
}

TEST_CASE("compare: JUnit's failure text has the binary's output, then the log's end", "[compare]") {
    const auto xml = junit_xml("freezer compare", compare_results(failed_report()));
    CHECK_THAT(xml, Contains("type=\"smoke\">what the binary printed:\n| Traceback (most recent call last):\n| ```\n"
                             "| RuntimeError: no database\nthe log&apos;s last lines:\nlog line 1\n"));
    CHECK_THAT(xml, Contains("log line 30\nlog: /tmp/freezer-compare-abc/api@pex-scie/failure.log\n</failure>"));
}

#include "junit.hpp"

#include <fmt/format.h>

#include "util/atomic_file.hpp"

namespace freezer::cli {

std::string xml_escape(const std::string& s) {
    std::string out;
    out.reserve(s.size());
    for (const char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            default:
                // XML 1.0 forbids most control characters, which build logs do contain.
                if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r')
                    out += "?";
                else
                    out += c;
        }
    }
    return out;
}

std::string junit_xml(const std::string& suite, const std::vector<SidecarResult>& results) {
    int failures = 0, skipped = 0;
    double total = 0;
    for (const auto& r : results) {
        failures += r.status == Status::failed;
        skipped += r.status == Status::cancelled;
        total += r.duration.count() / 1000.0;
    }
    std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    // <testsuites> carries no skipped count: Jenkins' schema (and tests/junit.xsd) has none.
    out += fmt::format("<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" time=\"{:.3f}\">\n",
                       xml_escape(suite), results.size(), failures, total);
    out += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{:.3f}\">\n",
                       xml_escape(suite), results.size(), failures, skipped, total);
    for (const auto& r : results) {
        out += fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3f}\"", xml_escape(r.name),
                           xml_escape(r.name + ":" + r.backend), r.duration.count() / 1000.0);
        if (r.status == Status::failed) {
            std::string tail;
            for (const auto& l : r.log_tail) tail += l + "\n";
            if (!r.log.empty()) tail += "log: " + r.log.string() + "\n";
            out += fmt::format(">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>\n",
                               xml_escape(r.error), r.smoke.ran && !r.smoke.passed ? "smoke" : "build",
                               xml_escape(tail));
        } else if (r.status == Status::cancelled) {
            out += fmt::format(">\n      <skipped message=\"{}\"/>\n    </testcase>\n", xml_escape(r.error));
        } else {
            out += fmt::format(">\n      <system-out>{}</system-out>\n    </testcase>\n",
                               xml_escape(r.reason + (r.smoke.message.empty() ? "" : "; smoke: " + r.smoke.message)));
        }
    }
    out += "  </testsuite>\n</testsuites>\n";
    return out;
}

void write_junit(const std::filesystem::path& file, const std::string& suite, const std::vector<SidecarResult>& results) {
    write_file_atomically(file, junit_xml(suite, results));
}

}  // namespace freezer::cli

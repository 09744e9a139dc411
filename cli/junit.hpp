// JUnit XML for CI systems: one testcase per sidecar x backend.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "engine/result.hpp"

namespace freezer::cli {

// Text and attribute values for XML and HTML; control characters XML 1.0 forbids
// (build logs have them) become '?'.
std::string xml_escape(const std::string& s);

// `suite` names the run ("freezer build", "freezer smoke"). Failed results become
// <failure> with the message and the log tail; cancelled and skipped ones <skipped>
// only when nothing was checked (a skipped build is up to date: it passes).
std::string junit_xml(const std::string& suite, const std::vector<SidecarResult>& results);
void write_junit(const std::filesystem::path& file, const std::string& suite,
                 const std::vector<SidecarResult>& results);

}  // namespace freezer::cli

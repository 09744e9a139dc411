// Checks of freezer.yaml that need the plugins: every sidecar's backend exists, and
// each backend's options section passes that backend's own validation.
#pragma once

#include <vector>

#include <freezer/config.hpp>

#include "plugins/plugin_host.hpp"

namespace freezer {

std::vector<sdk::Diagnostic> check_backends(const config::Project& project,
                                            const PluginHost& host,
                                            const std::string& backend_override = "");

}  // namespace freezer

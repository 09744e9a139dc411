// A plugin that forgot its factory: only the ABI symbol is there.
#include <freezer/backend.hpp>

FREEZER_PLUGIN_API const std::uint32_t freezer_backend_abi = freezer::sdk::kAbiVersion;

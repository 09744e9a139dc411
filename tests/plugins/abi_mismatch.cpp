// A plugin built against a future SDK: exports ABI version 999.
#include <freezer/backend.hpp>

FREEZER_PLUGIN_API const std::uint32_t freezer_backend_abi = 999;
namespace {
freezer::sdk::BackendAbi* create() noexcept { return nullptr; }
}  // namespace
BOOST_DLL_ALIAS(create, freezer_backend_create)

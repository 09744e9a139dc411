// A backend whose methods throw: the adapter must turn that into errors.
#include <freezer/backend.hpp>

#include <stdexcept>

namespace {
using namespace freezer::sdk;
class Throwing final : public Backend {
public:
    std::string name() const override { return "throwing"; }
    std::string version() const override { return "0.1"; }
    std::string describe() const override { return "throws"; }
    std::string install_hint() const override { return "none"; }
    std::vector<Diagnostic> validate(const Option&) const override {
        throw std::runtime_error("validate exploded");
    }
    Probe probe(const std::string&) const override { throw 42; }
    ToolFacts parse_probe(const ProbeOutput&) const override { return {}; }
    Plan plan(const PlanRequest&) const override { throw std::logic_error("plan exploded"); }
};
}  // namespace

FREEZER_BACKEND_PLUGIN(Throwing)

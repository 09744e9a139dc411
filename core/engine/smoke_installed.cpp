// `freezer smoke`: the smoke tests again, on what is installed.
#include <chrono>

#include <fmt/format.h>

#include "engine/builder.hpp"
#include "engine/context.hpp"
#include "engine/smoke_hints.hpp"
#include "process/smoke_test.hpp"

namespace freezer {
using Clock = std::chrono::steady_clock;

std::vector<SidecarResult> Builder::smoke(const std::vector<std::string>& names, const std::string& backend_override) {
    auto& ctx = *ctx_;
    std::vector<SidecarResult> results;
    for (const auto* sc : select(names)) {
        SidecarResult r;
        r.name = sc->name;
        r.backend = backend_override.empty() ? sc->backend : backend_override;
        r.log = ctx.layout.log_file(Layout::output_name(*sc, r.backend));
        const auto state = ctx.states.load(sc->name, r.backend);
        ctx.reporter.phase(r.name, r.backend, Phase::smoke, "");
        const auto t = Clock::now();
        if (!state) {
            r.status = Status::failed;
            r.error = "not built yet: run 'freezer build " + sc->name + "' first";
        } else if (!sc->smoke.run && !sc->smoke.http) {
            r.status = Status::skipped;
            r.reason = "no smoke test configured";
        } else {
            r.key = state->key.hex();
            r.artifact = state->output.dir / state->output.executable;
            r.size = state->output.size;
            if (!output_intact(state->output))
                ctx.reporter.warning(fmt::format("{}: {} was modified since it was installed; testing it as it is",
                                                 sc->name, state->output.dir.string()));
            const auto o = run_smoke_test(sc->smoke, r.artifact, {ctx.python(), state->output.standalone, {}});
            r.smoke = {true, o.passed, o.message, o.output_tail};
            r.status = o.passed ? Status::built : Status::failed;
            r.reason = o.passed ? "smoke test passed" : "";
            if (!o.passed) {
                r.error = "smoke test failed: " + o.message;
                for (const auto& hint : missing_piece_hints(*sc, r.backend, o.output_tail, ctx.project.dir / sc->root))
                    r.error += "\n  hint: " + hint;
                r.log_tail = o.output_tail;
            }
        }
        r.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t);
        ctx.reporter.finished(r);
        results.push_back(std::move(r));
    }
    return results;
}

}  // namespace freezer

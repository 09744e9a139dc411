// One sidecar's way through a run, after the evaluation decided: a skip (with its
// changed smoke test re-run), a restore from the cache, or a build: stage the inputs,
// plan, run the steps, smoke-test the fresh artifact, commit. Any failure leaves the
// installed output and the state as they were.
#pragma once

#include <atomic>

#include "engine/context.hpp"
#include "engine/evaluate.hpp"
#include "engine/result.hpp"

namespace freezer {

// An up-to-date sidecar: its result, its changed smoke test re-run on the installed
// binary, its Tauri copy put back when missing.
SidecarResult finish_skip(BuildContext& ctx, const Evaluation& ev);

// Restores (when the evaluation found a hit and not --force) or builds. `tokens` is
// what the scheduler granted; `cancel` stops the steps (Ctrl-C, --fail-fast).
SidecarResult build_sidecar(BuildContext& ctx, const Evaluation& ev, bool force, int tokens,
                            const std::atomic<bool>* cancel);

// A result that names the sidecar, backend, key and log, for every outcome.
SidecarResult result_for(const BuildContext& ctx, const Evaluation& ev);

}  // namespace freezer

// Ctrl-C and SIGTERM. While a child process runs (an InterruptScope exists: every
// Child holds one), the first signal sets a flag that every running step and smoke test
// sees, so each kills its process group before freezer stops; a second one exits at
// once with 130. With no child running there is nothing to stop, and the first signal
// exits at once with 130: loading a large freezer.yaml or hashing inputs never makes
// Ctrl-C wait. Every write freezer makes is atomic, so an exit anywhere is as safe as
// a SIGKILL.
#pragma once

namespace freezer {

// Installs the handlers: a process-wide setting made once, at start. (Becoming the
// reaper of orphaned descendants is the process layer's, at the first child.)
void install_interrupt_handler();
bool interrupt_requested();
void request_interrupt();  // for tests

class InterruptScope {
public:
    InterruptScope();
    ~InterruptScope();
    InterruptScope(const InterruptScope&) = delete;
    InterruptScope& operator=(const InterruptScope&) = delete;
};

}  // namespace freezer

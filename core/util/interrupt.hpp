// Ctrl-C: the first SIGINT/SIGTERM sets a flag that every running step and smoke test
// sees (each kills its process group); a second one exits at once with 130.
#pragma once

namespace freezer {

// Installs the handlers. Also makes freezer a child subreaper, so that a grandchild
// orphaned by its parent is re-parented to freezer (not init) and can be reaped by
// its process group: both are process-wide settings made once, at start.
void install_interrupt_handler();
bool interrupt_requested();
void request_interrupt();  // for tests

}  // namespace freezer

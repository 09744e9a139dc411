#include "util/interrupt.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>

namespace freezer {

namespace {
std::atomic<int> g_interrupts{0};
std::atomic<int> g_scopes{0};  // children running

void on_interrupt(int) {
    if (g_scopes.load() == 0 || g_interrupts.fetch_add(1) >= 1) _exit(130);
}
}  // namespace

void install_interrupt_handler() {
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
}

bool interrupt_requested() { return g_interrupts.load() > 0; }
void request_interrupt() { g_interrupts.fetch_add(1); }

InterruptScope::InterruptScope() { g_scopes.fetch_add(1); }
InterruptScope::~InterruptScope() { g_scopes.fetch_sub(1); }

}  // namespace freezer

// No step outlives freezer, even a freezer killed with SIGKILL.
//
// A watchdog process, forked once when the first child starts, holds the read end of
// a pipe; freezer holds the only write end. Every Child tells it the process group it
// started and, once that group is dead, that it finished. When freezer ends in any way
// (exit, _exit on a second Ctrl-C, SIGKILL, a crash) the kernel closes the write end,
// the watchdog reads EOF, sends SIGKILL to every group still registered and exits.
//
// A death signal set in the child (PR_SET_PDEATHSIG) would stop the packager itself
// but not what it started (PyInstaller's and Nuitka's own subprocesses, compilers),
// and it fires when the spawning *thread* ends, not the process.
#pragma once

#include <sys/types.h>

namespace freezer::watchdog {

// Makes the watchdog if there is none yet: called before a child is spawned, so the
// first child is never unwatched.
void prepare();

// Called by Child: `pgid` is the group of a child just started / now dead. Cheap (one
// write of 8 bytes to a pipe); a watchdog that could not be made is not an error.
void started(pid_t pgid);
void finished(pid_t pgid);

}  // namespace freezer::watchdog

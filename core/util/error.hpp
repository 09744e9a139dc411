// The one error convention of freezer's core (docs/architecture.md, "Errors"):
//
//  - A function that cannot do its job throws an Error. Its kind says what the
//    failure means for the run, and so the exit code: `setup` stops the run before
//    anything is built (exit 2), `failed` fails one sidecar's build (exit 1),
//    `internal` is a plugin or freezer itself misbehaving (exit 3), `cancelled` is
//    Ctrl-C or --fail-fast stopping a build (exit 130 or 1), and `remote` is a remote
//    cache that cannot be used (one warning, then local builds).
//  - std::optional means "not there" (a cache miss, a file that does not exist), never
//    "went wrong", and never "succeeded".
//  - No out-parameters for errors or warnings: a warning is part of what a function
//    returns, or goes to the Reporter.
//  - sdk::Result (a value or a Failure) exists only at the plugin boundary, where no
//    exception may cross; the plugin host turns a Failure into an Error.
//  - What a build reports to the user (SidecarResult::error) is data for the report,
//    not a way to signal: it is filled from the Error that ended the build.
#pragma once

#include <stdexcept>
#include <string>

namespace freezer {

class Error : public std::runtime_error {
public:
    enum class Kind { setup, failed, internal, cancelled, remote };
    Error(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
    Kind kind() const noexcept { return kind_; }

private:
    Kind kind_;
};

// Shorthands for the kinds that callers catch by type.
struct SetupError : Error {
    explicit SetupError(const std::string& message) : Error(Kind::setup, message) {}
};
struct RemoteError : Error {
    explicit RemoteError(const std::string& message) : Error(Kind::remote, message) {}
};

// The exit code of a run that ended with an Error of this kind.
inline int exit_code(Error::Kind kind) {
    switch (kind) {
        case Error::Kind::setup: return 2;
        case Error::Kind::failed: return 1;
        case Error::Kind::remote: return 1;
        case Error::Kind::cancelled: return 130;
        case Error::Kind::internal: return 3;
    }
    return 3;
}

}  // namespace freezer

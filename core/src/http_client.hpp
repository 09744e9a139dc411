// A small HTTP client on libcurl, loaded on first use. Linking libcurl directly costs
// every freezer run the dynamic loading of libcurl and its ~25 dependencies (TLS,
// Kerberos, LDAP, ...), about 6 ms measured, even the no-change run that never speaks
// HTTP; loading it when a smoke test first needs it keeps that run in milliseconds.
#pragma once

#include <chrono>
#include <string>

namespace freezer {

// The HTTP status of GET `url`, -1 when nothing answered; `error` says why.
long http_get_status(const std::string& url, std::chrono::milliseconds timeout, std::string* error = nullptr);

}  // namespace freezer

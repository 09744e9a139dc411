// A small HTTP client on libcurl, loaded on first use. Linking libcurl directly costs
// every freezer run the dynamic loading of libcurl and its ~25 dependencies (TLS,
// Kerberos, LDAP, ...), about 6 ms measured, even the no-change run that never speaks
// HTTP; loading it when a smoke test first needs it keeps that run in milliseconds.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace freezer {

struct HttpRequest {
    std::string method = "GET";  // GET, HEAD or PUT
    std::string url;
    std::vector<std::string> headers;  // "Name: value"
    // PUT: the body comes from `upload_fd` (upload_size bytes from its start) or `upload_text`.
    int upload_fd = -1;
    std::uint64_t upload_size = 0;
    const std::string* upload_text = nullptr;
    // GET: each chunk of the body goes here (false aborts); without it the body is kept.
    std::function<bool(const char* data, std::size_t size)> on_data;
    std::chrono::milliseconds timeout{30000};
    std::chrono::milliseconds connect_timeout{5000};
};

struct HttpResponse {
    long status = -1;   // -1: no answer (error says why)
    std::string error;
    std::string body;   // when no on_data was given
};

HttpResponse http_request(const HttpRequest& request);

// GET `url`, the body thrown away: the status, or -1 and the error when nothing answered.
HttpResponse http_get_status(const std::string& url, std::chrono::milliseconds timeout);

}  // namespace freezer

#include "http_client.hpp"

#include <mutex>
#include <stdexcept>

#include <boost/dll/shared_library.hpp>
#include <curl/curl.h>

namespace freezer {

namespace {

struct Curl {
    boost::dll::shared_library lib;
    decltype(&curl_easy_init) easy_init = nullptr;
    decltype(&curl_easy_setopt) easy_setopt = nullptr;
    decltype(&curl_easy_perform) easy_perform = nullptr;
    decltype(&curl_easy_getinfo) easy_getinfo = nullptr;
    decltype(&curl_easy_cleanup) easy_cleanup = nullptr;
    decltype(&curl_easy_strerror) easy_strerror = nullptr;
    std::string problem;

    Curl() {
        boost::dll::fs::error_code ec;
        lib.load("libcurl.so.4", boost::dll::load_mode::search_system_folders | boost::dll::load_mode::rtld_local, ec);
        if (ec) {
            problem = "libcurl is not installed (apt-get install libcurl4): " + ec.message();
            return;
        }
        easy_init = &lib.get<CURL*()>("curl_easy_init");
        easy_setopt = &lib.get<CURLcode(CURL*, CURLoption, ...)>("curl_easy_setopt");
        easy_perform = &lib.get<CURLcode(CURL*)>("curl_easy_perform");
        easy_getinfo = &lib.get<CURLcode(CURL*, CURLINFO, ...)>("curl_easy_getinfo");
        easy_cleanup = &lib.get<void(CURL*)>("curl_easy_cleanup");
        easy_strerror = &lib.get<const char*(CURLcode)>("curl_easy_strerror");
        // Not thread-safe, so done here, once, under the static's guard.
        lib.get<CURLcode(long)>("curl_global_init")(CURL_GLOBAL_DEFAULT);
    }
};

const Curl& curl() {
    static const Curl instance;
    return instance;
}

size_t discard(char*, size_t size, size_t n, void*) { return size * n; }

}  // namespace

long http_get_status(const std::string& url, std::chrono::milliseconds timeout, std::string* error) {
    const auto& c = curl();
    if (!c.problem.empty()) {
        if (error) *error = c.problem;
        return -1;
    }
    CURL* h = c.easy_init();
    if (!h) return -1;
    c.easy_setopt(h, CURLOPT_URL, url.c_str());
    c.easy_setopt(h, CURLOPT_NOPROXY, "*");
    c.easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    c.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, std::min(500L, static_cast<long>(timeout.count())));
    c.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    c.easy_setopt(h, CURLOPT_WRITEFUNCTION, &discard);
    long status = -1;
    const CURLcode rc = c.easy_perform(h);
    if (rc == CURLE_OK)
        c.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    else if (error)
        *error = c.easy_strerror(rc);
    c.easy_cleanup(h);
    return status;
}

}  // namespace freezer

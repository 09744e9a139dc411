#include "util/http_client.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <curl/curl.h>

#ifndef FREEZER_LIB_RELDIR
#define FREEZER_LIB_RELDIR "../lib/freezer"  // from bin/ (CMake sets it from the install dirs)
#endif

namespace freezer {

namespace {

// SSL_CERT_FILE, else the first CA bundle of the usual places (Debian and Ubuntu,
// Fedora and RHEL, openSUSE, Alpine).
std::string carried_ca_file() {
    if (const char* env = std::getenv("SSL_CERT_FILE"); env && *env) return env;
    for (const char* f : {"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
                          "/etc/ssl/ca-bundle.pem", "/etc/ssl/cert.pem"})
        if (::access(f, R_OK) == 0) return f;
    return {};
}

struct Curl {
    boost::dll::shared_library lib;
    decltype(&curl_easy_init) easy_init = nullptr;
    decltype(&curl_easy_setopt) easy_setopt = nullptr;
    decltype(&curl_easy_perform) easy_perform = nullptr;
    decltype(&curl_easy_getinfo) easy_getinfo = nullptr;
    decltype(&curl_easy_cleanup) easy_cleanup = nullptr;
    decltype(&curl_easy_strerror) easy_strerror = nullptr;
    decltype(&curl_slist_append) slist_append = nullptr;
    decltype(&curl_slist_free_all) slist_free_all = nullptr;
    std::string problem;
    // The CA bundle for HTTPS when the libcurl is the one freezer carries: it was built on
    // Debian and looks where Debian keeps the bundle, which other systems do not have.
    std::string ca_file;

    Curl() {
        boost::dll::fs::error_code ec;
        // A package that carries its own libcurl (the wheel) has freezer-curl.so next to
        // the plugins: it links libcurl, so loading it loads that libcurl, and its symbols
        // are found through it. Else the system's.
        const auto exe = boost::dll::program_location(ec);
        const auto carried = ec ? boost::dll::fs::path() : exe.parent_path() / FREEZER_LIB_RELDIR / "freezer-curl.so";
        ec.clear();
        if (!carried.empty() && boost::dll::fs::exists(carried, ec))
            lib.load(carried, boost::dll::load_mode::rtld_local, ec);
        if (lib.is_loaded()) {
            ca_file = carried_ca_file();
        } else {
            ec.clear();
            lib.load("libcurl.so.4", boost::dll::load_mode::search_system_folders | boost::dll::load_mode::rtld_local, ec);
        }
        if (ec || !lib.is_loaded()) {
            problem = "libcurl is not installed (apt-get install libcurl4): " + ec.message();
            return;
        }
        easy_init = &lib.get<CURL*()>("curl_easy_init");
        easy_setopt = &lib.get<CURLcode(CURL*, CURLoption, ...)>("curl_easy_setopt");
        easy_perform = &lib.get<CURLcode(CURL*)>("curl_easy_perform");
        easy_getinfo = &lib.get<CURLcode(CURL*, CURLINFO, ...)>("curl_easy_getinfo");
        easy_cleanup = &lib.get<void(CURL*)>("curl_easy_cleanup");
        easy_strerror = &lib.get<const char*(CURLcode)>("curl_easy_strerror");
        slist_append = &lib.get<curl_slist*(curl_slist*, const char*)>("curl_slist_append");
        slist_free_all = &lib.get<void(curl_slist*)>("curl_slist_free_all");
        // Not thread-safe, so done here, once, under the static's guard.
        lib.get<CURLcode(long)>("curl_global_init")(CURL_GLOBAL_DEFAULT);
    }
};

const Curl& curl() {
    static const Curl instance;
    return instance;
}

size_t discard(char*, size_t size, size_t n, void*) { return size * n; }

struct Transfer {
    const HttpRequest* rq;
    HttpResponse* rs;
    std::uint64_t sent = 0;
};

size_t on_body(char* data, size_t size, size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const size_t bytes = size * n;
    if (t->rq->on_data) return t->rq->on_data(data, bytes) ? bytes : 0;
    t->rs->body.append(data, bytes);
    return bytes;
}

size_t on_upload(char* buffer, size_t size, size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const size_t room = size * n;
    if (t->rq->upload_text) {
        const auto& text = *t->rq->upload_text;
        const size_t k = std::min<size_t>(room, text.size() - t->sent);
        std::memcpy(buffer, text.data() + t->sent, k);
        t->sent += k;
        return k;
    }
    for (;;) {
        const ssize_t k = ::pread(t->rq->upload_fd, buffer, room, static_cast<off_t>(t->sent));
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return CURL_READFUNC_ABORT;
        t->sent += static_cast<std::uint64_t>(k);
        return static_cast<size_t>(k);
    }
}

// A transfer's handle, or nullptr with the reason in rs.error.
CURL* begin(const Curl& c, HttpResponse& rs) {
    if (!c.problem.empty()) {
        rs.error = c.problem;
        return nullptr;
    }
    CURL* h = c.easy_init();
    if (!h) rs.error = "curl_easy_init failed";
    return h;
}

void perform(const Curl& c, CURL* h, HttpResponse& rs) {
    const CURLcode rc = c.easy_perform(h);
    if (rc == CURLE_OK)
        c.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &rs.status);
    else
        rs.error = c.easy_strerror(rc);
}

}  // namespace

HttpResponse http_get_status(const std::string& url, std::chrono::milliseconds timeout) {
    HttpResponse rs;
    const auto& c = curl();
    CURL* h = begin(c, rs);
    if (!h) return rs;
    c.easy_setopt(h, CURLOPT_URL, url.c_str());
    c.easy_setopt(h, CURLOPT_NOPROXY, "*");
    c.easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    c.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, std::min(500L, static_cast<long>(timeout.count())));
    c.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    c.easy_setopt(h, CURLOPT_WRITEFUNCTION, &discard);
    perform(c, h, rs);
    c.easy_cleanup(h);
    return rs;
}

HttpResponse http_request(const HttpRequest& rq) {
    HttpResponse rs;
    const auto& c = curl();
    CURL* h = begin(c, rs);
    if (!h) return rs;
    Transfer t{&rq, &rs};
    curl_slist* headers = nullptr;
    for (const auto& line : rq.headers) headers = c.slist_append(headers, line.c_str());
    c.easy_setopt(h, CURLOPT_URL, rq.url.c_str());
    if (!c.ca_file.empty()) c.easy_setopt(h, CURLOPT_CAINFO, c.ca_file.c_str());
    c.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    c.easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(rq.timeout.count()));
    c.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(rq.connect_timeout.count()));
    c.easy_setopt(h, CURLOPT_BUFFERSIZE, 512L * 1024);
    c.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    c.easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
    if (headers) c.easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    c.easy_setopt(h, CURLOPT_WRITEFUNCTION, &on_body);
    c.easy_setopt(h, CURLOPT_WRITEDATA, &t);
    if (rq.method == "HEAD") {
        c.easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (rq.method == "PUT") {
        c.easy_setopt(h, CURLOPT_UPLOAD, 1L);
        c.easy_setopt(h, CURLOPT_READFUNCTION, &on_upload);
        c.easy_setopt(h, CURLOPT_READDATA, &t);
        const auto size = rq.upload_text ? rq.upload_text->size() : rq.upload_size;
        c.easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(size));
    }
    perform(c, h, rs);
    if (headers) c.slist_free_all(headers);
    c.easy_cleanup(h);
    return rs;
}

}  // namespace freezer

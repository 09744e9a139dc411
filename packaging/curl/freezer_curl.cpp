// freezer-curl.so: a module with no code of its own, linked with libcurl. The wheel
// installs it so that auditwheel copies libcurl and its libraries into the wheel; freezer
// loads it on first use of HTTP and finds libcurl's functions through it
// (core/util/http_client.cpp).
extern "C" {
__attribute__((visibility("default"))) const int freezer_curl_module = 1;
}

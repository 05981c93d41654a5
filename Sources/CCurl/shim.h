// libcurl for Swift: curl_easy_setopt/getinfo are variadic, which Swift cannot call, so each
// argument type gets a typed inline wrapper here.
#include <curl/curl.h>

typedef size_t (*planogram_curl_data_cb)(char *, size_t, size_t, void *);
typedef int (*planogram_curl_xfer_cb)(void *, curl_off_t, curl_off_t, curl_off_t, curl_off_t);

static inline CURLcode planogram_curl_set_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode planogram_curl_set_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode planogram_curl_set_pointer(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode planogram_curl_set_headers(CURL *h, struct curl_slist *v) { return curl_easy_setopt(h, CURLOPT_HTTPHEADER, v); }
static inline CURLcode planogram_curl_set_data_callback(CURL *h, CURLoption o, planogram_curl_data_cb cb) { return curl_easy_setopt(h, o, cb); }
static inline CURLcode planogram_curl_set_xfer_callback(CURL *h, planogram_curl_xfer_cb cb) { return curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, cb); }
static inline long planogram_curl_response_code(CURL *h) { long c = 0; curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &c); return c; }
static inline long planogram_curl_http_version(CURL *h) { long v = 0; curl_easy_getinfo(h, CURLINFO_HTTP_VERSION, &v); return v; }

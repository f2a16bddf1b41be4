// Forwarders for the libcurl functions OmniHTTP calls: see ccurl.h for why
// libcurl is loaded with dlopen. Each forwarder has libcurl's name and
// signature (the compiler checks them against curl.h), is hidden so that no
// other object binds to it, and loads the library on first use.
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "ccurl.h"

#define CCURL_HIDDEN __attribute__((visibility("hidden")))

// Every fixed-argument function: return type, name, parameters, arguments.
// PROCEDURE is the same for functions that return nothing.
#define CCURL_FUNCTIONS(FUNCTION, PROCEDURE) \
    FUNCTION(CURLcode, curl_global_init, (long flags), (flags)) \
    FUNCTION(CURL *, curl_easy_init, (void), ()) \
    PROCEDURE(curl_easy_cleanup, (CURL *curl), (curl)) \
    PROCEDURE(curl_easy_reset, (CURL *curl), (curl)) \
    FUNCTION(CURLcode, curl_easy_perform, (CURL *curl), (curl)) \
    FUNCTION(const char *, curl_easy_strerror, (CURLcode code), (code)) \
    FUNCTION(struct curl_slist *, curl_slist_append, (struct curl_slist *list, const char *string), (list, string)) \
    PROCEDURE(curl_slist_free_all, (struct curl_slist *list), (list))

// The variadic ones, called only through the typed wrappers below.
#define CCURL_VARIADIC(LOOKUP) \
    LOOKUP(curl_easy_setopt) \
    LOOKUP(curl_easy_getinfo) \
    LOOKUP(curl_version_info)

// libcurl's soname has been libcurl.so.4 since 2006 (curl 7.16).
static const char ccurl_soname[] = "libcurl.so.4";

#define CCURL_FIELD(type, name, parameters, arguments) __typeof__(&name) name;
#define CCURL_PROCEDURE_FIELD(name, parameters, arguments) __typeof__(&name) name;
#define CCURL_VARIADIC_FIELD(name) __typeof__(&name) name;
static struct {
    CCURL_FUNCTIONS(CCURL_FIELD, CCURL_PROCEDURE_FIELD)
    CCURL_VARIADIC(CCURL_VARIADIC_FIELD)
} ccurl_table;

static pthread_once_t ccurl_once = PTHREAD_ONCE_INIT;
static atomic_bool ccurl_loaded;
static char ccurl_failure[512];

static void ccurl_load_once(void) {
    void *handle = dlopen(ccurl_soname, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char *reason = dlerror();
        snprintf(ccurl_failure, sizeof ccurl_failure, "cannot load %s (%s): install Debian's libcurl4", ccurl_soname,
                 reason ? reason : "not found");
        return;
    }
#define CCURL_LOOKUP(name)                                                                                   \
    if (!(ccurl_table.name = (__typeof__(&name))dlsym(handle, #name))) {                                     \
        snprintf(ccurl_failure, sizeof ccurl_failure, "%s has no function %s: install a newer libcurl4",       \
                 ccurl_soname, #name);                                                                       \
        return;                                                                                              \
    }
#define CCURL_LOOKUP_FUNCTION(type, name, parameters, arguments) CCURL_LOOKUP(name)
#define CCURL_LOOKUP_PROCEDURE(name, parameters, arguments) CCURL_LOOKUP(name)
    CCURL_FUNCTIONS(CCURL_LOOKUP_FUNCTION, CCURL_LOOKUP_PROCEDURE)
    CCURL_VARIADIC(CCURL_LOOKUP)
    atomic_store_explicit(&ccurl_loaded, true, memory_order_release);
}

int ccurl_load(char *message, size_t size) {
    pthread_once(&ccurl_once, ccurl_load_once);
    if (atomic_load_explicit(&ccurl_loaded, memory_order_acquire)) return 0;
    if (message && size > 0) snprintf(message, size, "%s", ccurl_failure);
    return -1;
}

// OmniHTTP calls ccurl_load first and reports a failure as an error; a call
// that comes before it anyway still works, or stops with the reason.
static inline void ccurl_require(void) {
    if (__builtin_expect(atomic_load_explicit(&ccurl_loaded, memory_order_acquire), 1)) return;
    if (ccurl_load(NULL, 0) != 0) {
        fprintf(stderr, "omnistore: %s\n", ccurl_failure);
        exit(1);
    }
}

#define CCURL_FORWARD_FUNCTION(type, name, parameters, arguments)                                             \
    CCURL_HIDDEN type name parameters {                                                                      \
        ccurl_require();                                                                                     \
        return ccurl_table.name arguments;                                                                   \
    }
#define CCURL_FORWARD_PROCEDURE(name, parameters, arguments)                                                 \
    CCURL_HIDDEN void name parameters {                                                                      \
        ccurl_require();                                                                                     \
        ccurl_table.name arguments;                                                                          \
    }
CCURL_FUNCTIONS(CCURL_FORWARD_FUNCTION, CCURL_FORWARD_PROCEDURE)

CURLcode ccurl_setopt_long(CURL *h, CURLoption o, long v) {
    ccurl_require();
    return ccurl_table.curl_easy_setopt(h, o, v);
}
CURLcode ccurl_setopt_off_t(CURL *h, CURLoption o, curl_off_t v) {
    ccurl_require();
    return ccurl_table.curl_easy_setopt(h, o, v);
}
CURLcode ccurl_setopt_string(CURL *h, CURLoption o, const char *v) {
    ccurl_require();
    return ccurl_table.curl_easy_setopt(h, o, v);
}
CURLcode ccurl_setopt_pointer(CURL *h, CURLoption o, void *v) {
    ccurl_require();
    return ccurl_table.curl_easy_setopt(h, o, v);
}
CURLcode ccurl_setopt_data_function(CURL *h, CURLoption o, ccurl_data_cb cb) {
    ccurl_require();
    return ccurl_table.curl_easy_setopt(h, o, cb);
}
CURLcode ccurl_setopt_xferinfo_function(CURL *h, CURLoption o, ccurl_xferinfo_cb cb) {
    ccurl_require();
    return ccurl_table.curl_easy_setopt(h, o, cb);
}
curl_version_info_data *ccurl_version_info(void) {
    ccurl_require();
    return ccurl_table.curl_version_info(CURLVERSION_NOW);
}
CURLcode ccurl_getinfo_long(CURL *h, CURLINFO i, long *out) {
    ccurl_require();
    return ccurl_table.curl_easy_getinfo(h, i, out);
}

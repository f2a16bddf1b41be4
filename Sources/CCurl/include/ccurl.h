#ifndef OMNISTORE_CCURL_H
#define OMNISTORE_CCURL_H

// libcurl, loaded when the first request is made rather than when omnistore
// starts: Debian's libcurl brings about 35 shared libraries (TLS, SSH, LDAP,
// Kerberos, HTTP/2) that cost every command 3 ms, though only the remote and
// generation commands talk to a server. As for FFmpeg (cffmpeg.h), the
// functions OmniHTTP calls are defined in ccurl.c under their libcurl names,
// hidden, and forward to the real ones found with dlsym.

#include <stddef.h>
#include <curl/curl.h>

/// Loads libcurl (the major version omnistore was built against) and looks
/// up every function omnistore uses. Safe to call from any thread, any number
/// of times.
///
/// Returns 0, or -1 with a one-line reason (naming the library and what to
/// install) in `message`.
int ccurl_load(char *message, size_t size);

// curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot
// call; each wrapper fixes the argument type.
typedef size_t (*ccurl_data_cb)(char *ptr, size_t size, size_t nmemb, void *userdata);
CURLcode ccurl_setopt_long(CURL *h, CURLoption o, long v);
CURLcode ccurl_setopt_off_t(CURL *h, CURLoption o, curl_off_t v);
CURLcode ccurl_setopt_string(CURL *h, CURLoption o, const char *v);
CURLcode ccurl_setopt_pointer(CURL *h, CURLoption o, void *v);
CURLcode ccurl_setopt_data_function(CURL *h, CURLoption o, ccurl_data_cb cb);
typedef int (*ccurl_xferinfo_cb)(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow);
CURLcode ccurl_setopt_xferinfo_function(CURL *h, CURLoption o, ccurl_xferinfo_cb cb);
curl_version_info_data *ccurl_version_info(void);
CURLcode ccurl_getinfo_long(CURL *h, CURLINFO i, long *out);

#endif

/* Helpers the HTTP URL parser, server and client share (private to
 * src/http). */
#ifndef INETBOX_HTTP_INT_H
#define INETBOX_HTTP_INT_H

#include <stdlib.h>

#include "inetbox/http.h"

/* ASCII lower case: URL schemes and hosts (RFC 3986 §6.2.2.1) and field
 * names (RFC 9110 §5.1) compare without case, whatever the locale. */
static inline int ib_http_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* a (n bytes) equals the C string b, ignoring ASCII case. */
static inline bool ib_http_ieq(const char *a, size_t n, const char *b)
{
    size_t i = 0;
    for (; i < n && b[i]; i++)
        if (ib_http_lower((unsigned char)a[i]) != ib_http_lower((unsigned char)b[i])) return false;
    return i == n && b[i] == '\0';
}

/* A heap copy of s, or NULL when out of memory. */
static inline char *ib_http_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

#endif

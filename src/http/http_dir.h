/* Mapping a request path onto a file under a served directory (private to
 * src/http): percent-decoding, refusing what could leave the directory,
 * and the Content-Type of a file name. */
#ifndef INETBOX_HTTP_DIR_H
#define INETBOX_HTTP_DIR_H

#include "inetbox/types.h"

struct ib_http_file {
    int fd;            /* open for reading: the caller closes it */
    uint64_t len;      /* the size fstat gave when it was opened */
    const char *ctype; /* a constant string */
};

/* Opens the regular file that path (n bytes, the request-target without
 * its query, still percent-encoded) names under the directory root.
 * Returns 200 with *f filled; 301 when path names a directory without
 * its trailing slash; 400 for a malformed or forbidden path (bad percent
 * escape, an encoded NUL, a ".." segment); 404 for anything else (absent,
 * not a regular file, a symbolic link, unreadable). */
uint16_t ib_http_dir_open(int root, const char *path, size_t n, struct ib_http_file *f);

/* The media type (RFC 9110 §8.3) for a file name, by its extension. */
const char *ib_http_dir_ctype(const char *name);

#endif

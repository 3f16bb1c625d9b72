/* Request paths to files under a served directory.
 *
 * The path is percent-decoded first (RFC 3986 §2.1), so that an encoded
 * dot or slash cannot slip a ".." segment past the checks; then any ".."
 * segment or encoded NUL refuses the request outright (clients remove dot
 * segments before sending, RFC 3986 §5.2.4, so a raw one is an attack or
 * a broken client). The walk opens one component at a time relative to the
 * directory, never following a symbolic link (O_NOFOLLOW on every
 * component), so no name, link or race can reach outside the directory.
 * Only regular files are served: a FIFO, device or socket is never opened. */
#include "http/http_dir.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/http_int.h"

#define INDEX_NAME "index.html"

static int hex_value(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = ib_http_lower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* RFC 3986 §2.1: pct-encoded = "%" HEXDIG HEXDIG, one octet. out holds
 * cap bytes with the NUL; returns 0 or 400. */
static uint16_t decode(const char *p, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)p[i];
        if (c == '%') {
            if (n - i < 3) return 400;
            int hi = hex_value((unsigned char)p[i + 1]), lo = hex_value((unsigned char)p[i + 2]);
            if (hi < 0 || lo < 0) return 400;
            c = hi << 4 | lo;
            i += 2;
        }
        /* A NUL would cut the name the file system sees. */
        if (c == '\0' || k + 1 >= cap) return 400;
        out[k++] = (char)c;
    }
    out[k] = '\0';
    return 0;
}

static bool is_dotdot(const char *seg, size_t n)
{
    return n == 2 && seg[0] == '.' && seg[1] == '.';
}

static uint16_t open_regular(int dir, const char *name, struct ib_http_file *f)
{
    struct stat st;
    /* Looked at before opening, so that a FIFO or a device is never
     * opened (opening either can block or act); checked again after. */
    if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return 404;
    if (S_ISDIR(st.st_mode)) return 301;
    if (!S_ISREG(st.st_mode)) return 404;
    int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return 404;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return 404;
    }
    f->fd = fd;
    f->len = (uint64_t)st.st_size;
    f->ctype = ib_http_dir_ctype(name);
    return 200;
}

uint16_t ib_http_dir_open(int root, const char *path, size_t n, struct ib_http_file *f)
{
    char buf[IB_HTTP_DEF_LINE + 1];
    f->fd = -1;
    if (n == 0 || path[0] != '/') return 400;
    uint16_t st = decode(path, n, buf, sizeof(buf));
    if (st) return st;
    for (const char *s = buf + 1;; s++) {
        size_t len = strcspn(s, "/");
        if (is_dotdot(s, len)) return 400;
        s += len;
        if (!*s) break;
    }
    int dir = root;
    char *seg = buf + 1;
    for (;;) {
        char *slash = strchr(seg, '/');
        if (!slash) break;
        *slash = '\0';
        /* Empty and "." segments name the same directory. */
        if (seg[0] && strcmp(seg, ".") != 0) {
            int next = openat(dir, seg, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (dir != root) close(dir);
            if (next < 0) return 404;
            dir = next;
        }
        seg = slash + 1;
    }
    bool is_dir = !seg[0] || strcmp(seg, ".") == 0;
    st = open_regular(dir, is_dir ? INDEX_NAME : seg, f);
    if (dir != root) close(dir);
    /* A directory's index that is itself a directory is not served. */
    return is_dir && st == 301 ? 404 : st;
}

const char *ib_http_dir_ctype(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {"html", "text/html; charset=utf-8"},
        {"htm", "text/html; charset=utf-8"},
        {"txt", "text/plain; charset=utf-8"},
        {"css", "text/css"},
        {"js", "text/javascript"}, /* RFC 9239 §6 */
        {"json", "application/json"},
        {"png", "image/png"},
        {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},
        {"svg", "image/svg+xml"},
    };
    const char *dot = strrchr(name, '.');
    if (dot && dot != name) {
        for (size_t i = 0; i < IB_ARRAY_LEN(types); i++)
            if (ib_http_ieq(dot + 1, strlen(dot + 1), types[i].ext)) return types[i].type;
    }
    /* RFC 9110 §8.3: unknown content is octets. */
    return "application/octet-stream";
}

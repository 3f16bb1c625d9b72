/* "http" URLs (RFC 9110 §4.2.1, RFC 3986 §3): what a client connects to
 * (host, port) and the request-target it sends, from a table of good URLs
 * and of URLs that must be refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "inetbox/http.h"

struct good {
    const char *url, *host;
    uint16_t port;
    const char *path;
};

static const struct good goods[] = {
    {"http://example.com", "example.com", 80, "/"}, /* RFC 9112 §3.2.1: empty path is "/" */
    {"http://example.com/", "example.com", 80, "/"},
    {"http://example.com/index.html", "example.com", 80, "/index.html"},
    {"http://10.0.0.2:8080/a/b.txt", "10.0.0.2", 8080, "/a/b.txt"},
    {"HTTP://WWW.Example.COM/Path", "www.example.com", 80, "/Path"}, /* RFC 3986 §6.2.2.1 */
    {"http://example.com:/x", "example.com", 80, "/x"},              /* RFC 3986 §6.2.3 */
    {"http://example.com:65535", "example.com", 65535, "/"},
    {"http://example.com:00081/", "example.com", 81, "/"},
    {"http://example.com?q=1", "example.com", 80, "/?q=1"},
    {"http://example.com/s?q=a&b=%20#frag", "example.com", 80, "/s?q=a&b=%20"}, /* RFC 3986 §3.5 */
    {"http://example.com#top", "example.com", 80, "/"},
    {"http://a-b_c.example./", "a-b_c.example.", 80, "/"}, /* an absolute name */
    {"http://localhost:1/", "localhost", 1, "/"},
};

static const char *const bads[] = {
    "https://example.com/", /* another scheme */
    "ftp://example.com/",
    "http:/example.com/", /* no authority */
    "http//example.com/",
    "example.com/",
    "",
    "http://", /* RFC 9110 §4.2.1: no empty host */
    "http:///path",
    "http://:80/",
    "http://user@example.com/", /* RFC 9110 §4.2.4: userinfo */
    "http://user:pw@example.com/",
    "http://example.com:0/", /* port out of range */
    "http://example.com:65536/",
    "http://example.com:99999999999/",
    "http://example.com:8o/",
    "http://example.com:80:81/",
    "http://[::1]/", /* IPv6 literal: IPv4 only */
    "http://exa mple.com/",
    "http://example..com/", /* empty label */
    "http://.example.com/",
    "http://exam%70le.com/",
    "http://example.com/a b", /* would break the request-line */
    "http://example.com/a\tb",
    "http://example.com/a\r\nHost: evil",
    "http://example.com/\x7f",
    "http://example.com/\xc3\xa9", /* raw non-ASCII (RFC 3986 §2.1) */
    " http://example.com/",
};

static void test_good_urls(void **state)
{
    (void)state;
    for (size_t i = 0; i < IB_ARRAY_LEN(goods); i++) {
        struct ib_url u;
        memset(&u, 0x55, sizeof(u));
        int e = ib_url_parse(goods[i].url, &u);
        if (e) fail_msg("%s: %d", goods[i].url, e);
        assert_string_equal(u.host, goods[i].host);
        assert_int_equal(u.port, goods[i].port);
        assert_string_equal(u.path, goods[i].path);
    }
}

static void test_bad_urls(void **state)
{
    (void)state;
    for (size_t i = 0; i < IB_ARRAY_LEN(bads); i++) {
        struct ib_url u;
        if (ib_url_parse(bads[i], &u) != IB_ERR_INVAL) fail_msg("accepted: %s", bads[i]);
    }
    struct ib_url u;
    assert_int_equal(ib_url_parse(NULL, &u), IB_ERR_INVAL);
}

/* Parses fmt with part put in. */
static int parse_with(struct ib_url *u, const char *fmt, const char *part)
{
    static char url[2048];
    snprintf(url, sizeof(url), fmt, part);
    return ib_url_parse(url, u);
}

/* The limits are the struct's: a host of 255 and a path of 1023 bytes fit,
 * one more does not; labels are at most 63 bytes (RFC 1035 §2.3.4). */
static void test_lengths(void **state)
{
    (void)state;
    struct ib_url u;
    char host[300];
    for (size_t i = 0; i < 255; i++)
        host[i] = (i % 50 == 49) ? '.' : 'a';
    host[255] = '\0';
    assert_int_equal(parse_with(&u, "http://%s/", host), 0);
    assert_int_equal(strlen(u.host), 255);
    assert_int_equal(parse_with(&u, "http://%sa/", host), IB_ERR_INVAL);

    memset(host, 'b', 63);
    host[63] = '\0';
    assert_int_equal(parse_with(&u, "http://%s/", host), 0);
    assert_int_equal(parse_with(&u, "http://%sb/", host), IB_ERR_INVAL);

    char path[1100];
    path[0] = '/';
    memset(path + 1, 'p', 1022);
    path[1023] = '\0';
    assert_int_equal(parse_with(&u, "http://h%s", path), 0);
    assert_int_equal(strlen(u.path), 1023);
    assert_int_equal(parse_with(&u, "http://h%sp", path), IB_ERR_INVAL);
    /* A query alone gets the "/" in front, which counts too. */
    path[0] = '?';
    assert_int_equal(parse_with(&u, "http://h%s", path), IB_ERR_INVAL);
    path[1022] = '\0';
    assert_int_equal(parse_with(&u, "http://h%s", path), 0);
    assert_int_equal(strlen(u.path), 1023);
    assert_memory_equal(u.path, "/?pp", 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_urls),
        cmocka_unit_test(test_bad_urls),
        cmocka_unit_test(test_lengths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

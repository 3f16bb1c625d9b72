/* The browser: URL, then DNS, then HTTP. It owns nothing but the fetch in
 * progress: the lookup or the GET, whichever is running. */
#include "inetbox/browser.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "inetbox/dns_resolver.h"

struct ib_browser_fetch {
    struct ib_stack *stack;
    struct ib_url url;
    char text[1024]; /* the URL as given, for events */
    ib_http_done_fn done;
    void *arg;
    struct ib_dns_lookup *lookup;
    struct ib_http_get *get;
    size_t max_body; /* 0: the HTTP client's default */
    struct ib_timer fail_timer; /* reports a bad URL from the event loop */
};

static void fetch_event(struct ib_browser_fetch *f, uint8_t what, int err, ib_ip4 peer)
{
    struct ib_env *env = f->stack->node.env;
    if (!ib_tracing(env))
        return;
    struct ib_event ev;
    ib_event_init(&ev, env, IB_EV_HTTP, 7, &f->stack->node, NULL, NULL);
    ev.u.http.what = what;
    ev.u.http.err = err;
    ev.u.http.method = "GET";
    ev.u.http.host = f->url.host;
    ev.u.http.path = f->url.path;
    ev.u.http.url = f->text;
    ev.u.http.peer = peer;
    ev.u.http.port = f->url.port;
    ib_emit(env, &ev);
}

static void fetch_finish(struct ib_browser_fetch *f, const struct ib_http_result *r)
{
    ib_http_done_fn done = f->done;
    void *arg = f->arg;
    ib_evq_forget(f->stack->node.env->q, &f->fail_timer);
    free(f);
    done(arg, r);
}

/* A fetch that ended before its GET (bad URL, DNS failure): the HTTP
 * client did not start, so the browser reports the end itself. */
static void fetch_fail(struct ib_browser_fetch *f, int err, ib_ip4 addr)
{
    fetch_event(f, IB_HTTP_FETCH_DONE, err, addr);
    struct ib_http_result r = {.err = err, .content_type = "", .addr = addr, .port = f->url.port};
    fetch_finish(f, &r);
}

static void on_response(void *arg, const struct ib_http_result *r)
{
    struct ib_browser_fetch *f = arg;
    f->get = NULL;
    fetch_finish(f, r);
}

static void on_resolved(void *arg, int err, const char *name, ib_ip4 addr, uint32_t ttl)
{
    struct ib_browser_fetch *f = arg;
    f->lookup = NULL;
    if (err) {
        fetch_fail(f, err, 0);
        return;
    }
    f->get = ib_http_get(f->stack, addr, f->url.port, f->url.host, f->url.path, on_response, f);
    if (!f->get)
        fetch_fail(f, IB_ERR_NOMEM, addr);
    else if (f->max_body)
        ib_http_get_set_max_body(f->get, f->max_body);
}

static void on_bad_url(struct ib_timer *t)
{
    struct ib_browser_fetch *f = (struct ib_browser_fetch *)((char *)t -
                                                             offsetof(struct ib_browser_fetch, fail_timer));
    fetch_fail(f, IB_ERR_INVAL, 0);
}

struct ib_browser_fetch *ib_browser_fetch(struct ib_stack *s, const char *url, ib_http_done_fn done,
                                          void *arg)
{
    struct ib_browser_fetch *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->stack = s;
    f->done = done;
    f->arg = arg;
    ib_timer_init(&f->fail_timer, on_bad_url);
    size_t len = strlen(url);
    memcpy(f->text, url, len < sizeof(f->text) ? len : sizeof(f->text) - 1);
    struct ib_env *env = s->node.env;
    if (len >= sizeof(f->text) || ib_url_parse(url, &f->url) != 0) {
        fetch_event(f, IB_HTTP_FETCH_START, IB_ERR_INVAL, 0);
        ib_timer_arm(env, &f->fail_timer, ib_now(env));
        return f;
    }
    fetch_event(f, IB_HTTP_FETCH_START, 0, 0);
    f->lookup = ib_dns_lookup(s, f->url.host, 0, on_resolved, f);
    if (!f->lookup) {
        free(f);
        return NULL;
    }
    return f;
}

void ib_browser_set_max_body(struct ib_browser_fetch *f, size_t max) { f->max_body = max; }

void ib_browser_cancel(struct ib_browser_fetch *f)
{
    if (f->lookup)
        ib_dns_lookup_cancel(f->lookup);
    if (f->get)
        ib_http_get_cancel(f->get);
    ib_timer_cancel(&f->fail_timer);
    ib_evq_forget(f->stack->node.env->q, &f->fail_timer);
    free(f);
}

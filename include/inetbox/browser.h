/* What a browser does with a URL: look up the host's address with the
 * stack's stub resolver (unless the host is an address already), then GET
 * the path over HTTP/1.1 and close the connection when the response is
 * complete. The journey's story starts here (IB_EV_HTTP FETCH_START). */
#ifndef INETBOX_BROWSER_H
#define INETBOX_BROWSER_H

#include "inetbox/http.h"
#include "inetbox/stack.h"

struct ib_browser_fetch;

/* Starts fetching url (http://host[:port][/path]). done is called exactly
 * once, never from inside this call: with err IB_ERR_INVAL for a URL we
 * cannot fetch, a DNS error (IB_ERR_NOTFOUND, IB_ERR_TIMEOUT ...), a TCP
 * error, or 0 and the response. NULL only when out of memory. */
struct ib_browser_fetch *ib_browser_fetch(struct ib_stack *s, const char *url, ib_http_done_fn done,
                                          void *arg);
/* The most body bytes kept (default IB_HTTP_MAX_BODY_DEFAULT); call it
 * right after ib_browser_fetch. */
void ib_browser_set_max_body(struct ib_browser_fetch *f, size_t max);
/* Stops a fetch whose done has not been called; done never will be. */
void ib_browser_cancel(struct ib_browser_fetch *f);

#endif

/* What every application shares: reporting to the trace bus. Applications
 * describe what they saw with an IB_EV_APP event; observers (the story
 * teller, JSON, the CLI) decide how to show it. */
#include "inetbox/apps.h"

void ib_app_emit(struct ib_stack *s, const char *what, ib_ip4 peer, uint32_t seq, uint32_t ttl,
                 ib_time rtt)
{
    struct ib_env *env = s->node.env;
    if (!ib_tracing(env))
        return;
    struct ib_event ev;
    ib_event_init(&ev, env, IB_EV_APP, 7, &s->node, NULL, NULL);
    ev.u.app.what = what;
    ev.u.app.peer = peer;
    ev.u.app.seq = seq;
    ev.u.app.ttl = ttl;
    ev.u.app.rtt = rtt;
    ib_emit(env, &ev);
}

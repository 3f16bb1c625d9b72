/* What the scenario loader's files share (internal): the parse state and
 * the YAML helpers of sc_yaml.c. */
#ifndef INETBOX_SC_PARSE_H
#define INETBOX_SC_PARSE_H

#include <yaml.h>

#include "inetbox/scenario.h"

struct sp {
    struct ib_scenario *sc;
    yaml_document_t *doc;
    bool *seen; /* by node id - 1 */
    char *err;
    size_t errlen;
    const char *text; /* the whole file, for positions inside block scalars */
    size_t len;
};

/* Calls fn on each entry of a mapping (key and value) or of a list (key
 * NULL), after checking n is of that type. */
typedef int (*entry_fn)(struct sp *p, void *ctx, yaml_node_t *k, yaml_node_t *v);

struct unit {
    const char *name;
    uint64_t mult;
};
extern const struct unit sc_time_units[], sc_rate_units[], sc_no_units[];

struct ib_sc_pos sc_pos_of(const yaml_node_t *n);
int sc_fail(struct sp *p, struct ib_sc_pos at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const char *sc_str(const yaml_node_t *n);
/* A scalar with no NUL inside, so that C string functions see all of it. */
bool sc_is_text(const yaml_node_t *n);
/* How a value is shown after "got": quoted and escaped, cut if long. */
const char *sc_shown(const yaml_node_t *n, char *buf, size_t cap);
int sc_expected(struct sp *p, const yaml_node_t *n, const char *what);
/* Each tree node may be reached once; a second time means an alias. */
yaml_node_t *sc_take(struct sp *p, int id);
/* Makes room for element n of a power-of-two-grown array. */
int sc_grow(void **arr, uint32_t n, size_t elem);
int sc_each(struct sp *p, yaml_node_t *n, yaml_node_type_t type, const char *what, entry_fn fn,
            void *ctx);
/* Reads a mapping whose keys must come from keys[0..nkeys): vals[i] gets
 * the value of keys[i] (NULL if absent), kpos[i] where its key is. A value
 * that is an empty scalar counts as an empty mapping when allow_empty. */
int sc_read_map(struct sp *p, yaml_node_t *map, const char *what, const char *const *keys,
                size_t nkeys, const char *list, yaml_node_t **vals, struct ib_sc_pos *kpos,
                bool allow_empty);
bool sc_scaled(const char *s, const struct unit *units, uint64_t max, uint64_t *out);
int sc_duration(struct sp *p, const yaml_node_t *n, ib_time *out);
int sc_uint(struct sp *p, const yaml_node_t *n, uint64_t min, uint64_t max, const char *what,
            uint64_t *out);
int sc_prob(struct sp *p, const yaml_node_t *n, double *out);
int sc_name(struct sp *p, const yaml_node_t *n, size_t max, const char *what, char *out);
bool sc_same_net(ib_ip4 a, ib_ip4 b, uint8_t plen);
/* A dotted quad; what names it in the message. */
int sc_ip4(struct sp *p, const yaml_node_t *n, const char *what, ib_ip4 *out);

/* services.c and timeline.c: the node keys nat, dns, services and the
 * top-level timeline. */
int sc_parse_nat(struct sp *p, struct ib_sc_node *nd, yaml_node_t *v);
int sc_parse_dns(struct sp *p, struct ib_sc_node *nd, yaml_node_t *v);
int sc_parse_services(struct sp *p, struct ib_sc_node *nd, yaml_node_t *v);
int sc_check_services(struct sp *p, struct ib_sc_node *nd);
int sc_parse_timeline(struct sp *p, yaml_node_t *v);
void sc_free_services(struct ib_sc_node *nd);

#endif

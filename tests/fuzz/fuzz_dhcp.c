/* libFuzzer harness for the DHCP message codec (RFC 2131 §2, RFC 2132):
 * the input is one UDP payload. Oracles: a message that parses re-emits
 * (within 4 KiB: every kept option is bounded), the emitted bytes parse
 * back to the same struct, apart from option overload, which the emitter
 * never uses (it moves every option to the options field), and are at
 * least the 300-byte BOOTP minimum (RFC 1542 §2.1); every error is a named
 * reason. Seeds: corpus/dhcp/. */
#include <stdlib.h>
#include <string.h>

#include "inetbox/dhcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ib_dhcp_msg m, m2;
    uint8_t out[4096];
    int err = ib_dhcp_parse(data, size, &m);
    if (err < 0 || err >= IB_DHCP_ERR__COUNT) abort();
    if (err) return 0;
    size_t n = ib_dhcp_emit(&m, out, sizeof(out));
    if (n < IB_DHCP_MIN_LEN) abort();
    if (ib_dhcp_parse(out, n, &m2) != 0) abort();
    if (m2.overload != 0 || ib_dhcp_has(&m2, IB_DHCP_OPT_OVERLOAD)) abort();
    m2.overload = m.overload;
    m2.has |= m.has & (1ull << IB_DHCP_OPT_OVERLOAD);
    if (memcmp(&m, &m2, sizeof(m)) != 0) abort();
    return 0;
}

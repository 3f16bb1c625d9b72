/* libFuzzer harness for the tcpdump-style decoder: the input is decoded as
 * a whole Ethernet frame, and again as an IPv4 datagram behind a fixed
 * Ethernet header, each from an exactly-sized heap copy so that a read
 * past the end is caught by AddressSanitizer. The oracle: whatever the
 * bytes, the line is terminated inside the buffer. */
#include <stdlib.h>
#include <string.h>

#include "inetbox/tcpdump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const uint8_t *b, size_t len)
{
    char line[160];
    ib_tcpdump_frame(b, len, line, sizeof(line));
    if (memchr(line, '\0', sizeof(line)) == NULL)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t eth[14] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00};
    uint8_t *b = malloc(size ? size : 1);
    uint8_t *f = malloc(size + sizeof(eth));
    if (b && f) {
        memcpy(b, data, size);
        check(b, size);
        memcpy(f, eth, sizeof(eth));
        memcpy(f + sizeof(eth), data, size);
        check(f, size + sizeof(eth));
    }
    free(b);
    free(f);
    return 0;
}

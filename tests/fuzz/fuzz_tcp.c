/* libFuzzer harness for TCP input: arbitrary segments, wrapped in Ethernet
 * and a valid IPv4 header (TCP checksum fixed when the record asks), to a
 * stack with a listener on port 80 and a connection in the state the
 * first input byte selects; the input format and the oracles are
 * described in fuzz_common.h. Seeds: corpus/tcp/. */
#include "fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ib_fuzz_run(IB_FUZZ_TCP, data, size, NULL);
    return 0;
}

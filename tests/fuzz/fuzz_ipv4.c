/* libFuzzer harness for the IPv4 input path: validation, local delivery,
 * reassembly (records are fragments, with simulated time between them so
 * reassembly timeouts fire) and, in the router variant, forwarding and
 * fragmentation. Input format and oracles: fuzz_common.h. Seeds:
 * corpus/ipv4/. */
#include "fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ib_fuzz_run(IB_FUZZ_IP4, data, size, NULL);
    return 0;
}

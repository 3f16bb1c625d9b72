/* libFuzzer harness for the ARP input path; the input format and the
 * oracles are described in fuzz_common.h. Seeds: corpus/arp/. */
#include "fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ib_fuzz_run(IB_FUZZ_ARP, data, size, NULL);
    return 0;
}

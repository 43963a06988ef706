/* libFuzzer target: the legacy profile parsers (heap/growth text, count profiles, threads,
 * contention, gperftools CPU binary, Java) through their common entry np_legacy_parse, which
 * dispatches on content; gzip input is inflated first as the CLI does. A parsed profile must
 * satisfy the round-trip invariants of fuzz_common.h. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"
#include "analyze/formats/legacy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    np_fuzz_text_parser(data, size, np_legacy_parse);
    return 0;
}

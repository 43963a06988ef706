/* libFuzzer target: `perf script` text through np_perfscript_parse, as the CLI reads it when no
 * other format claims the input; gzip input is inflated first. A parsed profile must satisfy
 * the round-trip invariants of fuzz_common.h. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"
#include "analyze/formats/legacy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    np_fuzz_text_parser(data, size, np_perfscript_parse);
    return 0;
}

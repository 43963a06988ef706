/* libFuzzer target: the reader of objdump's listings (np_objdump_parse), which takes whatever
 * the objdump on PATH prints. Every instruction's strings must be terminated and the place
 * lines must give a line number that is not negative. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "analyze/report/objdump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    np_objdump d = {0};
    np_objdump_parse((const char *)data, size, &d);
    for (size_t i = 0; i < d.n; i++) {
        const np_objdump_inst *in = &d.v[i];
        if (!in->text || !in->function || !in->file)
            np_fuzz_die("np_objdump_parse left a NULL string", NULL);
        if (strlen(in->text) > size || strlen(in->function) > size || strlen(in->file) > size)
            np_fuzz_die("np_objdump_parse made a string longer than its input", NULL);
        if (in->line < 0)
            np_fuzz_die("np_objdump_parse read a negative line", NULL);
    }
    np_objdump_free(&d);
    return 0;
}

/* nprof command line entry point (bootstrap: decodes and prints -raw). */
#include <stdio.h>

#include "gz.h"
#include "profile.h"

int main(int argc, char **argv)
{
    np_err err = {{0}};
    for (int i = 1; i < argc; i++) {
        np_buf in = {0}, raw = {0}, out = {0};
        np_profile *p = NULL;
        if (np_read_file(argv[i], &in, &err) < 0)
            goto fail;
        const np_buf *data = &in;
        if (np_is_gzip(in.data, in.len)) {
            if (np_gunzip(in.data, in.len, &raw, &err) < 0)
                goto fail;
            data = &raw;
        }
        if (np_profile_decode(data->data, data->len, &p, &err) < 0)
            goto fail;
        np_profile_raw(p, &out);
        fwrite(out.data, 1, out.len, stdout);
        np_profile_free(p);
        np_buf_free(&in);
        np_buf_free(&raw);
        np_buf_free(&out);
        continue;
    fail:
        fprintf(stderr, "nprof: %s: %s\n", argv[i], err.msg);
        return 1;
    }
    return 0;
}

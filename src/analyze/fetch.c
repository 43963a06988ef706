/* Reading a profile source: the bytes from a file (or a URL, see fetch_url.c), then gzip,
 * profile.proto or a legacy format, with pprof's error texts. */
#include "analyze/fetch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/gofmt.h"
#include "core/gz.h"
#include "analyze/formats/legacy.h"

/* np_parse_profile_data; when owned is not NULL it holds data, and is freed as soon as the
 * bytes are inflated, so the compressed and inflated copies are not both kept while decoding. */
static int parse_data(const void *data, size_t len, np_buf *owned, np_profile **out, np_err *err)
{
    np_buf raw = {0};
    np_err perr;
    if (np_is_gzip(data, len)) {
        if (np_gunzip(data, len, &raw, &perr) < 0) {
            np_buf_free(&raw);
            /* zlib says "gzip: ..."; pprof says "decompressing profile: <reason>". */
            const char *why = strncmp(perr.msg, "gzip: ", 6) == 0 ? perr.msg + 6 : perr.msg;
            return np_fail(err, "decompressing profile: %s", why);
        }
        if (owned)
            np_buf_free(owned);
        data = raw.data;
        len = raw.len;
    }
    int rc;
    if (len == 0) {
        rc = np_fail(err, "parsing profile: empty input file");
    } else if (np_profile_decode(data, len, out, &perr) == 0) {
        rc = 0;
    } else {
        int lr = np_legacy_parse(data, len, out, err);
        if (lr == 0)
            lr = np_perfscript_parse(data, len, out, err);
        if (lr == 1)
            rc = 0;
        else if (lr == 0)
            rc = np_fail(err, "parsing profile: unrecognized profile format");
        else {
            np_err inner = *err;
            rc = np_fail(err, "parsing profile: %s", inner.msg);
        }
    }
    np_buf_free(&raw);
    if (rc == 0 && np_profile_check(*out, &perr) < 0) {
        np_profile_free(*out);
        *out = NULL;
        return np_fail(err, "malformed profile: %s", perr.msg);
    }
    return rc;
}

int np_parse_profile_data(const void *data, size_t len, np_profile **out, np_err *err)
{
    return parse_data(data, len, NULL, out, err);
}

/* -1 with Go's "op path: reason" for a failed system call. */
static int fail_errno(np_err *err, const char *op, const char *path, int e)
{
    np_buf why = {0};
    np_go_errno(&why, e);
    np_fail(err, "%s %s: %s", op, path, np_buf_cstr(&why));
    np_buf_free(&why);
    return -1;
}

static int read_source_file(const char *path, np_buf *out, np_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return fail_errno(err, "open", path, errno);
    /* Read straight into the buffer, sized from the file when it has a size, so a large
     * profile is neither copied through a bounce buffer nor regrown. */
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
        np_buf_reserve(out, (size_t)st.st_size);
    for (;;) {
        if (out->cap - out->len <= 1)
            np_buf_reserve(out, 1 << 16);
        size_t n = fread(out->data + out->len, 1, out->cap - out->len - 1, f);
        if (n == 0)
            break;
        out->len += n;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad)
        return fail_errno(err, "read", path, errno ? errno : EIO);
    return 0;
}

int np_fetch_source(const char *source, const np_fetch_opts *o, np_profile **out, np_err *err)
{
    np_buf data = {0};
    char *url = NULL;
    int timeout_s = 0, rc;
    if (np_source_url(source, o->seconds, o->timeout, &url, &timeout_s)) {
        if (!o->quiet)
            np_fetch_url_announce(url, o->seconds);
        rc = np_fetch_url(url, timeout_s, &data, err);
        free(url);
    } else {
        rc = read_source_file(source, &data, err);
    }
    if (rc == 0)
        rc = parse_data(data.data ? data.data : "", data.len, &data, out, err);
    np_buf_free(&data);
    return rc;
}

/* Reading a profile source: the bytes from a file (or a URL, see fetch_url.c), then gzip,
 * profile.proto or a legacy format, with pprof's error texts. */
#include "fetch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gz.h"
#include "legacy.h"

int np_parse_profile_data(const void *data, size_t len, np_profile **out, np_err *err)
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

static int read_source_file(const char *path, np_buf *out, np_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return np_fail(err, "open %s: %s", path, errno == ENOENT ? "no such file or directory" : strerror(errno));
    char tmp[1 << 16];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        np_buf_add(out, tmp, n);
    int bad = ferror(f);
    fclose(f);
    if (bad)
        return np_fail(err, "read %s: %s", path, strerror(errno ? errno : EIO));
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
        rc = np_parse_profile_data(data.data ? data.data : "", data.len, out, err);
    np_buf_free(&data);
    return rc;
}

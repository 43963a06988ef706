/* gzip in and out through zlib. */
#include "core/gz.h"

#include <string.h>
#include <zlib.h>

bool np_is_gzip(const void *data, size_t len)
{
    const unsigned char *p = data;
    return len >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

int np_gunzip(const void *data, size_t len, np_buf *out, np_err *err)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        return np_fail(err, "gzip: cannot initialise zlib");
    z.next_in = (Bytef *)data;
    /* The trailer's ISIZE (the last member's length mod 2^32) sizes the output up front, so a
     * large profile is not inflated through a series of doubling copies. It is only a hint:
     * bounded by deflate's best ratio (about 1032:1) so that a forged trailer cannot make a
     * small input reserve gigabytes. */
    if (len >= 18) {
        const unsigned char *t = (const unsigned char *)data + len - 4;
        size_t isize = (size_t)t[0] | (size_t)t[1] << 8 | (size_t)t[2] << 16 | (size_t)t[3] << 24;
        if (isize / 1032 <= len)
            np_buf_reserve(out, isize + (1 << 16));
    }
    int rc = Z_OK;
    size_t left = len;
    while (1) {
        uInt chunk = left > (1u << 30) ? (1u << 30) : (uInt)left;
        z.avail_in = chunk;
        z.next_in = (Bytef *)data + (len - left);
        np_buf_reserve(out, 1 << 16);
        z.next_out = (Bytef *)out->data + out->len;
        z.avail_out = (uInt)(out->cap - out->len - 1);
        size_t before_out = z.avail_out;
        rc = inflate(&z, Z_NO_FLUSH);
        left -= chunk - z.avail_in;
        out->len += before_out - z.avail_out;
        if (rc == Z_STREAM_END) {
            /* Another member may follow (concatenated gzip files). */
            if (left >= 2 && np_is_gzip((const char *)data + (len - left), left)) {
                inflateReset(&z);
                continue;
            }
            break;
        }
        if (rc == Z_BUF_ERROR && left == 0) {
            inflateEnd(&z);
            return np_fail(err, "gzip: unexpected EOF");
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            inflateEnd(&z);
            return np_fail(err, "gzip: %s", z.msg ? z.msg : "invalid data");
        }
    }
    inflateEnd(&z);
    np_buf_cstr(out);
    return 0;
}

int np_gzip(const void *data, size_t len, np_buf *out, np_err *err)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return np_fail(err, "gzip: cannot initialise zlib");
    np_buf_reserve(out, deflateBound(&z, (uLong)len) + 64);
    z.next_in = (Bytef *)data;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)out->data + out->len;
    z.avail_out = (uInt)(out->cap - out->len - 1);
    int rc = deflate(&z, Z_FINISH);
    out->len = out->cap - 1 - z.avail_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END)
        return np_fail(err, "gzip: compression failed");
    return 0;
}

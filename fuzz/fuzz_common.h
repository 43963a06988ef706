/* Helpers shared by the fuzz targets (header-only so every target is one translation unit). */
#ifndef NP_FUZZ_COMMON_H
#define NP_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/gz.h"
#include "core/profile.h"

/* Largest inflated payload handed to the decoders: bigger outputs are legal but only slow the
 * fuzzer down (they come from highly repetitive gzip input, not from interesting structure). */
#define NP_FUZZ_MAX_INFLATED (8u << 20)

/* deflate cannot expand data by more than 1032:1 per member, and every gzip member costs at
 * least 18 bytes of input, so no correct inflater can produce more than this from len bytes. */
#define NP_FUZZ_INFLATE_BOUND(len) ((size_t)(len) * 1032u + 1024u)

static void np_fuzz_die(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz invariant violated: %s%s%s\n", what, detail ? ": " : "",
            detail ? detail : "");
    abort();
}

/* Inflates gzip input into out. Returns 1 when the result should be decoded further, 0 when it
 * should be skipped (gzip error, or output above the cap). Aborts if the inflater reports more
 * output than deflate can possibly encode in the input. */
static int np_fuzz_gunzip(const uint8_t *data, size_t size, np_buf *out)
{
    np_err err = {{0}};
    if (np_gunzip(data, size, out, &err) < 0) {
        if (!err.msg[0])
            np_fuzz_die("np_gunzip failed without an error message", NULL);
        return 0;
    }
    if (out->len > NP_FUZZ_INFLATE_BOUND(size))
        np_fuzz_die("np_gunzip produced more output than deflate allows", NULL);
    return out->len <= NP_FUZZ_MAX_INFLATED;
}

/* The invariants every successfully decoded or parsed profile must satisfy:
 *  - np_profile_check accepts it (the model is internally consistent);
 *  - -raw renders it without crashing;
 *  - encode then decode succeeds, and the result prints the same -raw text (lossless);
 *  - encoding is a fixed point: encode(decode(encode(p))) == encode(p).
 * Frees p. */
static void np_fuzz_roundtrip_strict(np_profile *p)
{
    np_err err = {{0}};
    np_buf raw1 = {0}, raw2 = {0}, enc1 = {0}, enc2 = {0};
    np_profile *q = NULL;

    if (np_profile_check(p, &err) < 0)
        np_fuzz_die("np_profile_check rejects a profile the parser accepted", err.msg);
    np_profile_raw(p, &raw1);
    np_profile_encode(p, &enc1);
    if (np_profile_decode(enc1.data, enc1.len, &q, &err) < 0)
        np_fuzz_die("decode of our own encoding failed", err.msg);
    np_profile_raw(q, &raw2);
    if (raw1.len != raw2.len || memcmp(raw1.data, raw2.data, raw1.len) != 0) {
        if (getenv("NP_FUZZ_VERBOSE")) {
            fprintf(stderr, "--- raw before round trip\n%.*s\n--- raw after round trip\n%.*s\n",
                    (int)raw1.len, raw1.data, (int)raw2.len, raw2.data);
        }
        np_fuzz_die("-raw text differs after encode/decode (round trip is lossy)", NULL);
    }
    np_profile_encode(q, &enc2);
    if (enc1.len != enc2.len || memcmp(enc1.data, enc2.data, enc1.len) != 0)
        np_fuzz_die("encode is not a fixed point of decode/encode", NULL);

    np_profile_free(q);
    np_profile_free(p);
    np_buf_free(&raw1);
    np_buf_free(&raw2);
    np_buf_free(&enc1);
    np_buf_free(&enc2);
}

/* For profiles built by a parser rather than decoded from profile.proto: the model can hold
 * what the proto cannot carry, exactly as in pprof (a numeric label of 0 with no unit is
 * dropped by decoding, in Go too), so the first encode/decode need only succeed and keep the
 * profile consistent; from the decoded profile on, the strict invariants apply. Frees p. */
static void np_fuzz_roundtrip_parsed(np_profile *p)
{
    np_err err = {{0}};
    np_buf raw = {0}, enc = {0};
    np_profile *q = NULL;

    if (np_profile_check(p, &err) < 0)
        np_fuzz_die("np_profile_check rejects a profile the parser accepted", err.msg);
    np_profile_raw(p, &raw);
    np_profile_encode(p, &enc);
    if (np_profile_decode(enc.data, enc.len, &q, &err) < 0)
        np_fuzz_die("decode of our own encoding of a parsed profile failed", err.msg);
    np_profile_free(p);
    np_buf_free(&raw);
    np_buf_free(&enc);
    np_fuzz_roundtrip_strict(q);
}

/* A text parser's contract, checked on one input (inflated first when gzipped): 1 with a
 * profile that passes the round trip, 0 (not its format) or -1 with a message and no profile. */
typedef int np_fuzz_parse_fn(const char *data, size_t len, np_profile **out, np_err *err);

static void np_fuzz_text_parser(const uint8_t *data, size_t size, np_fuzz_parse_fn *parse)
{
    np_buf inflated = {0};
    const char *text = (const char *)data;
    size_t len = size;
    if (np_is_gzip(data, size)) {
        if (!np_fuzz_gunzip(data, size, &inflated)) {
            np_buf_free(&inflated);
            return;
        }
        text = inflated.data;
        len = inflated.len;
    }
    np_err err = {{0}};
    np_profile *p = NULL;
    int rc = parse(text, len, &p, &err);
    if (rc == 1) {
        if (!p)
            np_fuzz_die("the parser succeeded without a profile", NULL);
        np_fuzz_roundtrip_parsed(p);
    } else {
        if (p)
            np_fuzz_die("the parser failed but returned a profile", NULL);
        if (rc != 0 && rc != -1)
            np_fuzz_die("the parser returned a value other than 1, 0, -1", NULL);
        if (rc == -1 && !err.msg[0])
            np_fuzz_die("the parser failed without an error message", NULL);
    }
    np_buf_free(&inflated);
}

#endif

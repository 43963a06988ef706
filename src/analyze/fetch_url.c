/* URL sources: which sources name URLs and how -seconds/-timeout rewrite them (go tool pprof's
 * adjustURL on top of a subset of Go's net/url), and fetching them with libcurl, Go-style. */
#include "analyze/fetch.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "analyze/curl_dl.h" /* after <curl/curl.h>: libcurl is loaded when first used */
#include "core/gofmt.h"
#include "analyze/pathutil.h"

/* ---------------------------------------------------------------------------------------------
 * Go's net/url, as far as adjustURL needs it. The printed URL is compared with go tool pprof's
 * output, so escaping follows Go's rules rather than RFC 3986 or curl's.
 */

enum url_mode { M_PATH, M_HOST, M_ZONE, M_USERPASS, M_QUERY, M_FRAGMENT };

static bool is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static unsigned hex_val(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return c - 'A' + 10;
}

static bool should_escape(unsigned char c, enum url_mode m)
{
    if (is_alnum(c))
        return false;
    if (m == M_HOST || m == M_ZONE) {
        /* Hosts keep sub-delims, the port colon, IPv6 brackets and the few bytes Go would
         * otherwise be unable to round-trip (hosts cannot %-encode ASCII). */
        if (strchr("!$&'()*+,;=:[]<>\"", c) && c)
            return false;
    }
    switch (c) {
    case '-': case '_': case '.': case '~':
        return false;
    case '$': case '&': case '+': case ',': case '/': case ':': case ';': case '=': case '?':
    case '@':
        switch (m) {
        case M_PATH:
            return c == '?';
        case M_USERPASS:
            return c == '@' || c == '/' || c == '?' || c == ':';
        case M_QUERY:
            return true;
        case M_FRAGMENT:
            return false;
        default:
            break;
        }
        break;
    default:
        break;
    }
    if (m == M_FRAGMENT && (c == '!' || c == '(' || c == ')' || c == '*'))
        return false;
    return true;
}

/* %XX decoding ('+' is a space in queries). False on a malformed escape, or on a byte that a
 * host may not carry: Go refuses such hosts instead of repairing them, and so must we. */
static bool url_unescape(const char *s, size_t n, enum url_mode m, np_buf *out)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            if (i + 2 >= n || !is_hex((unsigned char)s[i + 1]) || !is_hex((unsigned char)s[i + 2]))
                return false;
            unsigned char v = (unsigned char)(hex_val((unsigned char)s[i + 1]) << 4 |
                                              hex_val((unsigned char)s[i + 2]));
            bool pct25 = s[i + 1] == '2' && s[i + 2] == '5';
            if (m == M_HOST && hex_val((unsigned char)s[i + 1]) < 8 && !pct25)
                return false;
            if (m == M_ZONE && !pct25 && v != ' ' && should_escape(v, M_HOST))
                return false;
            np_buf_putc(out, (char)v);
            i += 3;
        } else if (c == '+') {
            np_buf_putc(out, m == M_QUERY ? ' ' : '+');
            i++;
        } else {
            if ((m == M_HOST || m == M_ZONE) && c < 0x80 && should_escape(c, m))
                return false;
            np_buf_putc(out, (char)c);
            i++;
        }
    }
    return true;
}

static void url_escape(np_buf *out, const char *s, size_t n, enum url_mode m)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' && m == M_QUERY) {
            np_buf_putc(out, '+');
        } else if (should_escape(c, m)) {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            np_buf_add(out, e, 3);
        } else {
            np_buf_putc(out, (char)c);
        }
    }
}

/* Whether the text as written may be printed back unchanged (Go keeps RawPath/RawFragment). */
static bool valid_encoded(const char *s, size_t n, enum url_mode m)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c && strchr("!$&'()*+,;=:@[]%", c))
            continue;
        if (should_escape(c, m))
            return false;
    }
    return true;
}

static bool valid_port(const char *s, size_t n)
{
    if (n == 0)
        return true;
    if (s[0] != ':')
        return false;
    for (size_t i = 1; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static bool valid_userinfo(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_alnum(c) || (c && strchr("-._:~!$&'()*+,;=%@", c)))
            continue;
        return false;
    }
    return true;
}

static const char *mem_rchr(const char *s, size_t n, char c)
{
    while (n-- > 0)
        if (s[n] == c)
            return s + n;
    return NULL;
}

/* The parts of a parsed URL; text fields are unescaped, raw_* keep what was written. */
typedef struct go_url {
    np_buf scheme, opaque, user, pass, host, path, raw_path, query, frag, raw_frag;
    bool has_user, has_pass, force_query, omit_host;
} go_url;

static void go_url_free(go_url *u)
{
    np_buf *f[] = {&u->scheme, &u->opaque, &u->user, &u->pass, &u->host,
                   &u->path, &u->raw_path, &u->query, &u->frag, &u->raw_frag};
    for (size_t i = 0; i < sizeof f / sizeof *f; i++)
        np_buf_free(f[i]);
    memset(u, 0, sizeof *u);
}

static bool buf_is(const np_buf *b, const char *s)
{
    size_t n = strlen(s);
    return b->len == n && (n == 0 || memcmp(b->data, s, n) == 0);
}

static bool parse_host(const char *h, size_t n, np_buf *out)
{
    if (n > 0 && h[0] == '[') {
        const char *rb = mem_rchr(h, n, ']');
        if (!rb)
            return false;
        size_t i = (size_t)(rb - h);
        if (!valid_port(rb + 1, n - i - 1))
            return false;
        /* An IPv6 zone ("%25en0") may use escapes a host may not. */
        const char *zone = NULL;
        for (size_t k = 0; k + 2 < i; k++)
            if (h[k] == '%' && h[k + 1] == '2' && h[k + 2] == '5') {
                zone = h + k;
                break;
            }
        if (zone) {
            size_t z = (size_t)(zone - h);
            return url_unescape(h, z, M_HOST, out) && url_unescape(zone, i - z, M_ZONE, out) &&
                   url_unescape(rb, n - i, M_HOST, out);
        }
    } else {
        const char *colon = mem_rchr(h, n, ':');
        if (colon && !valid_port(colon, n - (size_t)(colon - h)))
            return false;
    }
    return url_unescape(h, n, M_HOST, out);
}

static bool parse_authority(go_url *u, const char *a, size_t n)
{
    const char *at = mem_rchr(a, n, '@');
    const char *h = at ? at + 1 : a;
    if (!parse_host(h, n - (size_t)(h - a), &u->host))
        return false;
    if (!at)
        return true;
    size_t ui = (size_t)(at - a);
    if (!valid_userinfo(a, ui))
        return false;
    u->has_user = true;
    const char *colon = memchr(a, ':', ui);
    if (!colon)
        return url_unescape(a, ui, M_USERPASS, &u->user);
    u->has_pass = true;
    size_t un = (size_t)(colon - a);
    return url_unescape(a, un, M_USERPASS, &u->user) &&
           url_unescape(colon + 1, ui - un - 1, M_USERPASS, &u->pass);
}

/* Keeps the written form only when it differs from what escaping would print, as Go does. */
static bool set_escaped(np_buf *val, np_buf *raw, const char *s, size_t n, enum url_mode m)
{
    if (!url_unescape(s, n, m, val))
        return false;
    np_buf e = {0};
    url_escape(&e, val->data ? val->data : "", val->len, m);
    if (e.len != n || (n && memcmp(e.data, s, n) != 0))
        np_buf_add(raw, s, n);
    np_buf_free(&e);
    return true;
}

/* url.Parse: false wherever Go returns an error. */
static bool go_url_parse(const char *raw, size_t n, go_url *u)
{
    memset(u, 0, sizeof *u);
    const char *hash = memchr(raw, '#', n);
    size_t un = hash ? (size_t)(hash - raw) : n;

    for (size_t i = 0; i < un; i++)
        if ((unsigned char)raw[i] < ' ' || raw[i] == 0x7f)
            return false;
    if (un == 1 && raw[0] == '*') {
        np_buf_putc(&u->path, '*');
    } else {
        /* Scheme: [A-Za-z][A-Za-z0-9+.-]* before the first ':'; anything else means none. */
        const char *rest = raw;
        size_t rn = un;
        for (size_t i = 0; i < un; i++) {
            unsigned char c = (unsigned char)raw[i];
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
                continue;
            if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.') {
                if (i == 0)
                    break;
                continue;
            }
            if (c == ':') {
                if (i == 0)
                    return false;
                for (size_t k = 0; k < i; k++)
                    np_buf_putc(&u->scheme, (char)(raw[k] | (raw[k] >= 'A' && raw[k] <= 'Z' ? 0x20 : 0)));
                rest = raw + i + 1;
                rn = un - i - 1;
            }
            break;
        }

        size_t nq = 0;
        for (size_t i = 0; i < rn; i++)
            nq += rest[i] == '?';
        if (nq == 1 && rest[rn - 1] == '?') {
            u->force_query = true;
            rn--;
        } else {
            const char *q = memchr(rest, '?', rn);
            if (q) {
                np_buf_add(&u->query, q + 1, rn - (size_t)(q - rest) - 1);
                rn = (size_t)(q - rest);
            }
        }

        if (rn == 0 || rest[0] != '/') {
            if (u->scheme.len) {
                np_buf_add(&u->opaque, rest, rn);
                goto fragment;
            }
            /* A relative path's first segment may not hold a colon (it would read as a scheme). */
            const char *slash = memchr(rest, '/', rn);
            if (memchr(rest, ':', slash ? (size_t)(slash - rest) : rn))
                return false;
        }
        bool two = rn >= 2 && rest[0] == '/' && rest[1] == '/';
        bool three = two && rn >= 3 && rest[2] == '/';
        if ((u->scheme.len || !three) && two) {
            const char *a = rest + 2;
            const char *slash = memchr(a, '/', rn - 2);
            size_t an = slash ? (size_t)(slash - a) : rn - 2;
            if (!parse_authority(u, a, an))
                return false;
            rest = a + an;
            rn = rn - 2 - an;
        } else if (u->scheme.len && rn > 0 && rest[0] == '/') {
            u->omit_host = true;
        }
        if (!set_escaped(&u->path, &u->raw_path, rest, rn, M_PATH))
            return false;
    }
fragment:
    if (hash && n - un - 1 > 0)
        return set_escaped(&u->frag, &u->raw_frag, hash + 1, n - un - 1, M_FRAGMENT);
    return true;
}

static void put_escaped(np_buf *out, const np_buf *val, const np_buf *raw, enum url_mode m)
{
    if (raw->len && valid_encoded(raw->data, raw->len, m)) {
        np_buf_add(out, raw->data, raw->len);
        return;
    }
    if (m == M_PATH && buf_is(val, "*")) {
        np_buf_putc(out, '*');
        return;
    }
    url_escape(out, val->data ? val->data : "", val->len, m);
}

/* url.URL.String(). */
static void go_url_string(const go_url *u, np_buf *out)
{
    size_t start = out->len;
    if (u->scheme.len) {
        np_buf_add(out, u->scheme.data, u->scheme.len);
        np_buf_putc(out, ':');
    }
    if (u->opaque.len) {
        np_buf_add(out, u->opaque.data, u->opaque.len);
    } else {
        if ((u->scheme.len || u->host.len || u->has_user) &&
            !(u->omit_host && !u->host.len && !u->has_user)) {
            if (u->host.len || u->path.len || u->has_user)
                np_buf_puts(out, "//");
            if (u->has_user) {
                url_escape(out, u->user.data ? u->user.data : "", u->user.len, M_USERPASS);
                if (u->has_pass) {
                    np_buf_putc(out, ':');
                    url_escape(out, u->pass.data ? u->pass.data : "", u->pass.len, M_USERPASS);
                }
                np_buf_putc(out, '@');
            }
            url_escape(out, u->host.data ? u->host.data : "", u->host.len, M_HOST);
        }
        np_buf path = {0};
        put_escaped(&path, &u->path, &u->raw_path, M_PATH);
        if (path.len && path.data[0] != '/' && u->host.len)
            np_buf_putc(out, '/');
        if (out->len == start) {
            const char *slash = path.len ? memchr(path.data, '/', path.len) : NULL;
            size_t seg = slash ? (size_t)(slash - path.data) : path.len;
            if (seg && memchr(path.data, ':', seg))
                np_buf_puts(out, "./");
        }
        if (path.len)
            np_buf_add(out, path.data, path.len);
        np_buf_free(&path);
    }
    if (u->force_query || u->query.len) {
        np_buf_putc(out, '?');
        if (u->query.len)
            np_buf_add(out, u->query.data, u->query.len);
    }
    if (u->frag.len) {
        np_buf_putc(out, '#');
        put_escaped(out, &u->frag, &u->raw_frag, M_FRAGMENT);
    }
}

/* url.Values: pairs in the order written; seq keeps a key's values in order after sorting. */
typedef struct qpair {
    np_buf key, val;
    size_t seq;
} qpair;

typedef struct qvalues {
    qpair *v;
    size_t n, cap;
} qvalues;

static void qvalues_free(qvalues *q)
{
    for (size_t i = 0; i < q->n; i++) {
        np_buf_free(&q->v[i].key);
        np_buf_free(&q->v[i].val);
    }
    free(q->v);
    memset(q, 0, sizeof *q);
}

/* url.ParseQuery, keeping the good pairs: Query() ignores the error and so does adjustURL. */
static void qvalues_parse(qvalues *q, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        const char *amp = memchr(s + i, '&', n - i);
        size_t end = amp ? (size_t)(amp - s) : n;
        const char *p = s + i;
        size_t pn = end - i;
        i = amp ? end + 1 : n;
        if (pn == 0 || memchr(p, ';', pn))
            continue;
        const char *eq = memchr(p, '=', pn);
        size_t kn = eq ? (size_t)(eq - p) : pn;
        qpair pr = {{0}, {0}, q->n};
        if (!url_unescape(p, kn, M_QUERY, &pr.key) ||
            (eq && !url_unescape(eq + 1, pn - kn - 1, M_QUERY, &pr.val))) {
            np_buf_free(&pr.key);
            np_buf_free(&pr.val);
            continue;
        }
        *NP_PUSH(q->v, q->n, q->cap) = pr;
    }
}

static int qpair_cmp(const void *a, const void *b)
{
    const qpair *x = a, *y = b;
    size_t m = x->key.len < y->key.len ? x->key.len : y->key.len;
    int c = m ? memcmp(x->key.data, y->key.data, m) : 0;
    if (c)
        return c;
    if (x->key.len != y->key.len)
        return x->key.len < y->key.len ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* url.Values.Encode: keys in byte order, each key's values in the order given. */
static void qvalues_encode(qvalues *q, np_buf *out)
{
    if (q->n > 1)
        qsort(q->v, q->n, sizeof *q->v, qpair_cmp);
    for (size_t i = 0; i < q->n; i++) {
        if (i)
            np_buf_putc(out, '&');
        url_escape(out, q->v[i].key.data ? q->v[i].key.data : "", q->v[i].key.len, M_QUERY);
        np_buf_putc(out, '=');
        url_escape(out, q->v[i].val.data ? q->v[i].val.data : "", q->v[i].val.len, M_QUERY);
    }
}

static const np_buf *qvalues_get(const qvalues *q, const char *key)
{
    for (size_t i = 0; i < q->n; i++)
        if (buf_is(&q->v[i].key, key))
            return &q->v[i].val;
    return NULL;
}

static void qvalues_set(qvalues *q, const char *key, const char *val)
{
    size_t w = 0;
    for (size_t i = 0; i < q->n; i++) {
        if (buf_is(&q->v[i].key, key)) {
            np_buf_free(&q->v[i].key);
            np_buf_free(&q->v[i].val);
        } else {
            q->v[w++] = q->v[i];
        }
    }
    q->n = w;
    qpair pr = {{0}, {0}, SIZE_MAX};
    np_buf_puts(&pr.key, key);
    np_buf_puts(&pr.val, val);
    *NP_PUSH(q->v, q->n, q->cap) = pr;
}

/* strconv.ParseInt(s, 10, 32): optional sign, decimal digits only, int32 range. */
static bool parse_int32(const np_buf *b, int64_t *out)
{
    size_t i = 0, n = b->len;
    bool neg = false;
    if (n && (b->data[0] == '+' || b->data[0] == '-')) {
        neg = b->data[0] == '-';
        i = 1;
    }
    if (i == n)
        return false;
    int64_t v = 0;
    for (; i < n; i++) {
        if (b->data[i] < '0' || b->data[i] > '9')
            return false;
        v = v * 10 + (b->data[i] - '0');
        if (v > (int64_t)INT32_MAX + 1)
            return false;
    }
    if (neg)
        v = -v;
    if (v > INT32_MAX || v < INT32_MIN)
        return false;
    *out = v;
    return true;
}

/* go tool pprof's adjustURL (cmd/pprof's variant, which also defaults the path to the CPU
 * profile handler). Purely textual: a local file named "host:1" is still a URL, as in Go. */
bool np_source_url(const char *source, int seconds, int timeout, char **url, int *timeout_s)
{
    *url = NULL;
    *timeout_s = 0;
    go_url u;
    bool ok = go_url_parse(source, strlen(source), &u);
    if (!ok || (!u.host.len && u.scheme.len && !buf_is(&u.scheme, "file"))) {
        /* "host:port/path" parses as scheme "host"; retry it as an http URL. */
        go_url_free(&u);
        np_buf alt = {0};
        np_buf_puts(&alt, "http://");
        np_buf_puts(&alt, source);
        ok = go_url_parse(alt.data, alt.len, &u);
        np_buf_free(&alt);
    }
    if (!ok || !u.host.len) {
        go_url_free(&u);
        return false;
    }

    if (u.path.len == 0 || buf_is(&u.path, "/")) {
        u.path.len = 0;
        u.raw_path.len = 0;
        np_buf_puts(&u.path, "/debug/pprof/profile");
    }

    qvalues q = {0};
    qvalues_parse(&q, u.query.data ? u.query.data : "", u.query.len);
    int64_t duration = seconds > 0 ? seconds : 0;
    if (seconds > 0) {
        char num[24];
        snprintf(num, sizeof num, "%d", seconds);
        qvalues_set(&q, "seconds", num);
    } else {
        const np_buf *s = qvalues_get(&q, "seconds");
        int64_t us;
        if (s && s->len && parse_int32(s, &us))
            duration = us;
    }
    int64_t t;
    if (timeout > 0)
        t = timeout;
    else if (duration > 0)
        t = duration + (duration + 1) / 2; /* 1.5x; whole seconds, so round the half up */
    else
        t = 60;
    *timeout_s = t > INT_MAX ? INT_MAX : (int)t;

    u.query.len = 0;
    qvalues_encode(&q, &u.query);
    qvalues_free(&q);

    np_buf out = {0};
    go_url_string(&u, &out);
    go_url_free(&u);
    np_buf_cstr(&out);
    *url = out.data;
    return true;
}

void np_fetch_url_announce(const char *url, int seconds)
{
    fprintf(stderr, "Fetching profile over HTTP from %s\n", url);
    if (seconds > 0) {
        np_buf d = {0};
        np_go_duration(&d, (int64_t)seconds * 1000000000);
        fprintf(stderr, "Please wait... (%s)\n", np_buf_cstr(&d));
        np_buf_free(&d);
    }
}

/* ---------------------------------------------------------------------------------------------
 * Fetching. go tool pprof uses its own client (cmd/pprof), not google/pprof's fetchURL: a
 * Transport with ResponseHeaderTimeout = timeout + 5 s (the body may take as long as it
 * takes), proxies from the environment, Go's redirect policy, and errors shaped like
 * `Get "URL": reason`. libcurl does the transport; the policy is done here.
 */

#define BODY_LIMIT ((uint64_t)2 << 30) /* a profile is far smaller; a bigger body is an error */
#define MAX_REDIRECTS 10

typedef struct xfer {
    np_buf body;                 /* of the current response */
    int status;                  /* from the status line, 0 before one arrives */
    np_buf status_text;          /* "404 Not Found" as the server wrote it */
    np_buf location, ctype;      /* first Location / Content-Type values */
    bool seen_location, seen_ctype, seen_pprof, pprof_hdr;
    bool headers_done;           /* the final (non-1xx) header block is complete */
    bool too_big, timed_out;
    int64_t limit_ns;            /* header wait limit; <= 0 means none, as in Go */
    int64_t req_start;           /* when the current request went out, 0 if not yet */
    char dialed[64];             /* first address connected to, "ip:port", for messages */
    char local[64], remote[64];  /* the connection the request went out on */
} xfer;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init_once(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static bool is_redirect(int status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

static void reset_response(xfer *x)
{
    x->body.len = 0;
    x->status = 0;
    x->status_text.len = 0;
    x->location.len = 0;
    x->ctype.len = 0;
    x->seen_location = x->seen_ctype = x->seen_pprof = x->pprof_hdr = false;
    x->headers_done = false;
}

static void trim(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t'))
        (*s)++, (*n)--;
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\r' ||
                  (*s)[*n - 1] == '\n'))
        (*n)--;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
    xfer *x = ud;
    size_t n = size * nmemb, len = n;
    while (len && (p[len - 1] == '\r' || p[len - 1] == '\n'))
        len--;
    if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
        /* A new response (a 1xx, or the next hop) replaces everything seen so far. */
        reset_response(x);
        const char *sp = memchr(p, ' ', len);
        if (sp) {
            const char *st = sp;
            while (st < p + len && *st == ' ')
                st++;
            np_buf_add(&x->status_text, st, (size_t)(p + len - st));
            for (int i = 0; i < 3 && st + i < p + len && st[i] >= '0' && st[i] <= '9'; i++)
                x->status = x->status * 10 + (st[i] - '0');
        }
        return n;
    }
    if (len == 0) {
        /* Go keeps waiting (and timing) through interim 1xx responses. */
        if (x->status >= 200 || x->status == 101)
            x->headers_done = true;
        return n;
    }
    const char *colon = memchr(p, ':', len);
    if (!colon)
        return n;
    size_t kn = (size_t)(colon - p);
    const char *v = colon + 1;
    size_t vn = len - kn - 1;
    trim(&v, &vn);
    /* Header.Get: the first value of a case-insensitive name. */
    if (kn == 8 && strncasecmp(p, "location", 8) == 0 && !x->seen_location) {
        x->seen_location = true;
        np_buf_add(&x->location, v, vn);
    } else if (kn == 12 && strncasecmp(p, "content-type", 12) == 0 && !x->seen_ctype) {
        x->seen_ctype = true;
        np_buf_add(&x->ctype, v, vn);
    } else if (kn == 10 && strncasecmp(p, "x-go-pprof", 10) == 0 && !x->seen_pprof) {
        x->seen_pprof = true;
        x->pprof_hdr = vn > 0;
    }
    return n;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
    xfer *x = ud;
    size_t n = size * nmemb;
    /* Go reads a redirect's body only to drain it; keep nothing. */
    if (is_redirect(x->status) && x->location.len)
        return n;
    if ((uint64_t)x->body.len + n > BODY_LIMIT) {
        x->too_big = true;
        return 0;
    }
    np_buf_add(&x->body, p, n);
    return n;
}

static void format_addr(char *out, size_t cap, const char *ip, long port)
{
    if (strchr(ip, ':'))
        snprintf(out, cap, "[%s]:%ld", ip, port);
    else
        snprintf(out, cap, "%s:%ld", ip, port);
}

#if LIBCURL_VERSION_NUM >= 0x075000
static int on_prereq(void *ud, char *primary_ip, char *local_ip, int primary_port, int local_port)
{
    xfer *x = ud;
    x->req_start = now_ns();
    format_addr(x->remote, sizeof x->remote, primary_ip, primary_port);
    format_addr(x->local, sizeof x->local, local_ip, local_port);
    return CURL_PREREQFUNC_OK;
}
#endif

/* Notes the address being dialed: after a failed connect curl no longer reports it, and Go's
 * "dial tcp IP:PORT: connect: ..." names it. */
static curl_socket_t on_open_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *a)
{
    xfer *x = ud;
    if (!x->dialed[0]) {
        char ip[INET6_ADDRSTRLEN] = "";
        if (a->family == AF_INET) {
            const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)&a->addr;
            inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
            format_addr(x->dialed, sizeof x->dialed, ip, ntohs(in->sin_port));
        } else if (a->family == AF_INET6) {
            const struct sockaddr_in6 *in = (const struct sockaddr_in6 *)(const void *)&a->addr;
            inet_ntop(AF_INET6, &in->sin6_addr, ip, sizeof ip);
            format_addr(x->dialed, sizeof x->dialed, ip, ntohs(in->sin6_port));
        }
    }
    return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    xfer *x = ud;
    if (x->limit_ns > 0 && !x->headers_done && x->req_start &&
        now_ns() - x->req_start >= x->limit_ns) {
        x->timed_out = true;
        return 1;
    }
    return 0;
}

/* Scheme of a URL string in lower case, "" when it has none (e.g. "//host/x"). */
static void url_scheme(const char *url, char *out, size_t cap)
{
    size_t i = 0;
    out[0] = 0;
    while (url[i] && url[i] != ':' && url[i] != '/' && url[i] != '?' && url[i] != '#')
        i++;
    if (url[i] != ':' || i >= cap)
        return;
    for (size_t k = 0; k < i; k++)
        out[k] = (char)(url[k] >= 'A' && url[k] <= 'Z' ? url[k] | 0x20 : url[k]);
    out[i] = 0;
}

/* Go's stripPassword: errors show the user but "***" for the password. */
static void url_for_error(const char *url, np_buf *out)
{
    const char *a = strstr(url, "//");
    if (a) {
        a += 2;
        size_t an = strcspn(a, "/?#");
        const char *at = mem_rchr(a, an, '@');
        const char *colon = at ? memchr(a, ':', (size_t)(at - a)) : NULL;
        if (colon) {
            np_buf_add(out, url, (size_t)(a - url));
            if (!url_unescape(a, (size_t)(colon - a), M_USERPASS, out))
                np_buf_add(out, a, (size_t)(colon - a));
            np_buf_puts(out, ":***");
            np_buf_puts(out, at);
            return;
        }
    }
    np_buf_puts(out, url);
}

/* verb is how Go names the method in client errors: "Get" or "Post". */
static int fail_verb(np_err *err, const char *verb, const char *url, const char *why)
{
    np_buf u = {0}, q = {0};
    url_for_error(url, &u);
    np_go_quote(&q, np_buf_cstr(&u));
    np_fail(err, "%s %s: %s", verb, np_buf_cstr(&q), why);
    np_buf_free(&u);
    np_buf_free(&q);
    return -1;
}

/* The host part of a URL, brackets removed, for messages and the loopback test. */
static void url_host(const char *url, char *out, size_t cap)
{
    out[0] = 0;
    CURLU *cu = curl_url();
    char *h = NULL;
    if (cu && curl_url_set(cu, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
        curl_url_get(cu, CURLUPART_HOST, &h, 0) == CURLUE_OK && h) {
        const char *s = h;
        size_t n = strlen(s);
        if (n >= 2 && s[0] == '[' && s[n - 1] == ']')
            s++, n -= 2;
        if (n < cap) {
            memcpy(out, s, n);
            out[n] = 0;
        }
    }
    curl_free(h);
    curl_url_cleanup(cu);
}

/* What Go's net/http would say; curl's own wording is the fallback for rarer failures. */
static void describe_error(CURL *h, CURLcode rc, const xfer *x, const char *url, bool proxied,
                           const char *errbuf, np_buf *why)
{
    long oserr = 0;
    curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &oserr);
    char host[512];

    if (x->timed_out) {
        np_buf_puts(why, "net/http: timeout awaiting response headers");
        return;
    }
    if (x->too_big) {
        np_buf_puts(why, "response body larger than 2 GiB");
        return;
    }
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
        url_host(url, host, sizeof host);
        np_buf_printf(why, "dial tcp: lookup %s: no such host", host);
        return;
    case CURLE_COULDNT_CONNECT:
        if (oserr) {
            if (proxied)
                np_buf_puts(why, "proxyconnect tcp: ");
            np_buf_puts(why, "dial tcp ");
            if (x->dialed[0])
                np_buf_printf(why, "%s: ", x->dialed);
            np_buf_puts(why, "connect: ");
            np_go_errno(why, (int)oserr);
            return;
        }
        break;
    case CURLE_GOT_NOTHING:
        np_buf_puts(why, "EOF");
        return;
    case CURLE_PARTIAL_FILE:
        np_buf_puts(why, "unexpected EOF");
        return;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
        if (oserr && x->remote[0]) {
            const char *op = rc == CURLE_RECV_ERROR ? "read" : "write";
            np_buf_printf(why, "%s tcp %s->%s: %s: ", op, x->local, x->remote, op);
            np_go_errno(why, (int)oserr);
            return;
        }
        break;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_UNSUPPORTED_PROTOCOL:
        np_buf_puts(why, "malformed HTTP response");
        return;
    case CURLE_SSL_CONNECT_ERROR:
        /* The usual cause: an https URL for a plain-http pprof port. */
        if (strstr(errbuf, "wrong version number")) {
            np_buf_puts(why, "http: server gave HTTP response to HTTPS client");
            return;
        }
        break;
    case CURLE_PEER_FAILED_VERIFICATION: {
        long vr = 0;
        curl_easy_getinfo(h, CURLINFO_SSL_VERIFYRESULT, &vr);
        /* OpenSSL's X509_V_ERR_* codes, in Go's x509 words. */
        if (vr == 18 || vr == 19 || vr == 20 || vr == 21 || vr == 2) {
            np_buf_puts(why, "x509: certificate signed by unknown authority");
            return;
        }
        if (vr == 9 || vr == 10) {
            np_buf_puts(why, "x509: certificate has expired or is not yet valid");
            return;
        }
        if (vr == 0) {
            url_host(url, host, sizeof host);
            np_buf_printf(why, "x509: certificate is not valid for %s", host);
            return;
        }
        break;
    }
    default:
        break;
    }
    np_go_error_text(why, errbuf[0] ? errbuf : curl_easy_strerror(rc));
}

static bool is_loopback(const char *host)
{
    if (strcasecmp(host, "localhost") == 0)
        return true;
    unsigned char a[16];
    if (inet_pton(AF_INET, host, a) == 1)
        return a[0] == 127;
    if (inet_pton(AF_INET6, host, a) == 1) {
        static const unsigned char one[16] = {[15] = 1};
        static const unsigned char v4[12] = {[10] = 0xff, [11] = 0xff};
        return memcmp(a, one, 16) == 0 || (memcmp(a, v4, 12) == 0 && a[12] == 127);
    }
    return false;
}

static const char *env(const char *upper, const char *lower)
{
    const char *v = getenv(upper);
    if (!v || !*v)
        v = getenv(lower);
    return v && *v ? v : NULL;
}

/* http.ProxyFromEnvironment: curl would also read ALL_PROXY and ignore HTTP_PROXY in upper
 * case, and would proxy loopback; so the choice is made here and curl is told exactly. */
static bool set_proxy(CURL *h, const char *url, bool https)
{
    const char *p = https ? env("HTTPS_PROXY", "https_proxy") : env("HTTP_PROXY", "http_proxy");
    if (p) {
        char host[512];
        url_host(url, host, sizeof host);
        if (is_loopback(host))
            p = NULL;
    }
    const char *np = env("NO_PROXY", "no_proxy");
    curl_easy_setopt(h, CURLOPT_PROXY, p ? p : "");
    curl_easy_setopt(h, CURLOPT_NOPROXY, np ? np : "");
    return p != NULL;
}

/* One request, following redirects: a GET, or a POST of post (NULL for a GET) that turns
 * into a GET on a 301, 302 or 303 as Go's client does. limit_ns bounds the wait for response
 * headers (<= 0: no bound). */
static int transfer(const char *url, const np_buf *post, int64_t limit_ns, np_buf *body, np_err *err)
{
    const char *verb = post ? "Post" : "Get";
    char scheme[32];
    url_scheme(url, scheme, sizeof scheme);
    bool insecure = strcmp(scheme, "https+insecure") == 0;
    np_buf cur = {0};
    if (insecure) {
        /* cmd/pprof's own scheme: https without certificate checks. */
        np_buf_puts(&cur, "https");
        np_buf_puts(&cur, url + strlen(scheme));
        strcpy(scheme, "https");
    } else {
        np_buf_puts(&cur, url);
    }
    if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
        char why[64];
        snprintf(why, sizeof why, "unsupported protocol scheme \"%s\"", scheme);
        fail_verb(err, verb, np_buf_cstr(&cur), why);
        np_buf_free(&cur);
        return -1;
    }

    pthread_once(&curl_once, curl_init_once);
    CURL *h = curl_init_rc == CURLE_OK ? curl_easy_init() : NULL;
    if (!h) {
        np_buf_free(&cur);
        return np_fail(err, "http fetch: cannot initialize libcurl");
    }

    xfer x = {0};
    x.limit_ns = limit_ns;
    char errbuf[CURL_ERROR_SIZE];
    /* Go sends no Accept header; curl would add one accepting anything. */
    struct curl_slist *hdrs = curl_slist_append(NULL, "Accept:");
    if (post) {
        hdrs = curl_slist_append(hdrs, "Content-Type: application/octet-stream");
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, post->data ? post->data : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)post->len);
    }

    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "Go-http-client/1.1");
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "gzip");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, (void *)&x);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, (void *)&x);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, (void *)&x);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, (void *)&x);
#if LIBCURL_VERSION_NUM >= 0x075000
    curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, on_prereq);
    curl_easy_setopt(h, CURLOPT_PREREQDATA, (void *)&x);
#endif
    if (insecure) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }

    int rc = -1;
    for (int nreq = 0;; nreq++) {
        reset_response(&x);
        x.too_big = x.timed_out = false;
        x.dialed[0] = x.local[0] = x.remote[0] = 0;
        errbuf[0] = 0;
#if LIBCURL_VERSION_NUM >= 0x075000
        x.req_start = 0;
#else
        x.req_start = now_ns();
#endif
        bool proxied = set_proxy(h, np_buf_cstr(&cur), strcmp(scheme, "https") == 0);
        curl_easy_setopt(h, CURLOPT_URL, np_buf_cstr(&cur));
        CURLcode cc = curl_easy_perform(h);

        bool follow = x.headers_done && is_redirect(x.status) && x.location.len;
        if (cc != CURLE_OK && !follow) {
            /* A redirect whose body broke is still followed (Go only drains it). */
            np_buf why = {0};
            describe_error(h, cc, &x, np_buf_cstr(&cur), proxied, errbuf, &why);
            if (!x.headers_done)
                fail_verb(err, verb, np_buf_cstr(&cur), np_buf_cstr(&why));
            else if (x.status == 200)
                /* Go reads the body in profile.Parse, whose errors come unwrapped. */
                np_fail(err, "%s", np_buf_cstr(&why));
            else
                /* An error body that broke: Go falls back to the bare status. */
                np_fail(err, "server response: %s", np_buf_cstr(&x.status_text));
            np_buf_free(&why);
            break;
        }

        if (follow) {
            if (nreq + 1 >= MAX_REDIRECTS) {
                /* Go names the Location it refused to follow. */
                np_fail(err, "%s \"%s\": stopped after %d redirects", verb,
                        np_buf_cstr(&x.location), MAX_REDIRECTS);
                break;
            }
            char *next = NULL;
            if (curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &next) != CURLE_OK || !next) {
                np_buf why = {0};
                np_buf_puts(&why, "failed to parse Location header ");
                np_go_quote(&why, np_buf_cstr(&x.location));
                fail_verb(err, verb, np_buf_cstr(&cur), np_buf_cstr(&why));
                np_buf_free(&why);
                break;
            }
            if (post && x.status <= 303) {
                verb = "Get";
                curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
            }
            np_buf nb = {0};
            np_buf_puts(&nb, next);
            np_buf_free(&cur);
            cur = nb;
            url_scheme(np_buf_cstr(&cur), scheme, sizeof scheme);
            if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
                char why[64];
                snprintf(why, sizeof why, "unsupported protocol scheme \"%s\"", scheme);
                fail_verb(err, verb, np_buf_cstr(&cur), why);
                break;
            }
            continue;
        }

        if (x.status != 200) {
            if (x.pprof_hdr && x.ctype.len && memmem(x.ctype.data, x.ctype.len, "text/plain", 10))
                np_fail(err, "server response: %s - %.*s", np_buf_cstr(&x.status_text),
                        (int)(x.body.len > INT_MAX ? INT_MAX : x.body.len),
                        x.body.data ? x.body.data : "");
            else
                np_fail(err, "server response: %s", np_buf_cstr(&x.status_text));
            break;
        }

        if (!body->data) {
            *body = x.body;
            memset(&x.body, 0, sizeof x.body);
        } else if (x.body.len) {
            np_buf_add(body, x.body.data, x.body.len);
        }
        rc = 0;
        break;
    }

    curl_easy_cleanup(h);
    curl_slist_free_all(hdrs);
    np_buf_free(&cur);
    np_buf_free(&x.body);
    np_buf_free(&x.status_text);
    np_buf_free(&x.location);
    np_buf_free(&x.ctype);
    return rc;
}

int np_fetch_url(const char *url, int timeout_s, np_buf *body, np_err *err)
{
    return transfer(url, NULL, ((int64_t)timeout_s + 5) * 1000000000, body, err);
}

int np_post_url(const char *url, const char *data, size_t len, np_buf *body, np_err *err)
{
    np_buf post = {0};
    np_buf_add(&post, data, len);
    int rc = transfer(url, &post, 0, body, err);
    np_buf_free(&post);
    return rc;
}

bool np_symbolz_url(const char *source, char **out)
{
    *out = NULL;
    go_url u;
    if (!go_url_parse(source, strlen(source), &u) || !u.host.len) {
        go_url_free(&u);
        return false;
    }
    static const char *const gperftools[] = {"/pprof/heap", "/pprof/growth", "/pprof/profile",
                                             "/pprof/pmuprofile", "/pprof/contention"};
    const char *path = np_buf_cstr(&u.path);
    bool pprof_path = strstr(path, "/debug/pprof/") != NULL;
    for (size_t i = 0; i < sizeof gperftools / sizeof *gperftools && !pprof_path; i++) {
        size_t n = strlen(gperftools[i]);
        pprof_path = u.path.len >= n && memcmp(path + u.path.len - n, gperftools[i], n) == 0;
    }
    np_buf p = {0};
    if (pprof_path) {
        np_buf up = {0};
        np_buf_printf(&up, "%s/../symbol", path);
        np_path_clean(&p, np_buf_cstr(&up));
        np_buf_free(&up);
    } else {
        np_buf_puts(&p, "/symbolz");
    }
    np_buf_free(&u.path);
    u.path = p;
    u.raw_path.len = 0;
    u.query.len = 0;
    u.force_query = false;
    np_buf s = {0};
    go_url_string(&u, &s);
    go_url_free(&u);
    *out = np_xstrdup(np_buf_cstr(&s));
    np_buf_free(&s);
    return true;
}

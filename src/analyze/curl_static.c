/* The libcurl stand-ins of curl_dl.h for nprof-static: plain http:// over a socket of our own,
 * enough of curl's behaviour (callbacks, info, errors) for fetch_url.c to keep its Go policy. */
#include "analyze/curl_dl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include "analyze/httpresp.h"
#include "core/util.h"

#define TICK_MS 100            /* how often a wait gives the progress callback a say */
#define CONNECT_LIMIT_MS 300000 /* curl's own default connect timeout */
#define HTTPS_ONLY_DYNAMIC "https needs the dynamic nprof (libcurl); nprof-static fetches http:// only"

typedef struct easy {
    char *url;
    const char *post;            /* POSTFIELDS, not owned; NULL for a GET */
    curl_off_t post_len;
    const struct curl_slist *headers;
    char *agent, *proxy, *noproxy;
    char *errbuf;                /* ERRORBUFFER, CURL_ERROR_SIZE bytes, not owned */
    curl_write_callback on_header, on_body;
    void *header_ud, *body_ud;
    curl_xferinfo_callback on_progress;
    void *progress_ud;
    curl_opensocket_callback on_open;
    void *open_ud;
    curl_prereq_callback on_prereq;
    void *prereq_ud;
    long os_errno;
    char *redirect;              /* the next hop's absolute URL, after a 3xx with Location */
} easy;

/* One URL's parts, each malloc'd: host keeps IPv6 brackets; target is path and query. */
typedef struct url_parts {
    char *scheme, *userinfo, *host, *port, *target;
} url_parts;

/* ---- URLs ---- */

static char *dup_n(const char *s, size_t n)
{
    char *d = np_xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

static void parts_free(url_parts *u)
{
    free(u->scheme);
    free(u->userinfo);
    free(u->host);
    free(u->port);
    free(u->target);
    memset(u, 0, sizeof *u);
}

/* "scheme://[user@]host[:port][/path][?query][#frag]"; false when it has no authority. */
static bool parse_url(const char *url, url_parts *u)
{
    memset(u, 0, sizeof *u);
    const char *sep = strstr(url, "://");
    if (!sep || sep == url)
        return false;
    u->scheme = dup_n(url, (size_t)(sep - url));
    for (char *c = u->scheme; *c; c++)
        *c = (char)(*c >= 'A' && *c <= 'Z' ? *c | 0x20 : *c);
    const char *a = sep + 3;
    size_t an = strcspn(a, "/?#");
    const char *at = NULL;
    for (size_t i = 0; i < an; i++)
        if (a[i] == '@')
            at = a + i;
    if (at) {
        u->userinfo = dup_n(a, (size_t)(at - a));
        an -= (size_t)(at + 1 - a);
        a = at + 1;
    }
    const char *close = a[0] == '[' ? memchr(a, ']', an) : NULL;
    const char *colon = NULL;
    for (const char *c = close ? close : a; c < a + an; c++)
        if (*c == ':')
            colon = c;
    size_t hn = colon ? (size_t)(colon - a) : an;
    u->host = dup_n(a, hn);
    u->port = colon ? dup_n(colon + 1, an - hn - 1) : np_xstrdup("");
    const char *rest = a + an;
    size_t tn = strcspn(rest, "#");
    np_buf t = {0};
    if (rest[0] != '/')
        np_buf_putc(&t, '/');
    np_buf_add(&t, rest, tn);
    u->target = (char *)np_buf_cstr(&t);
    return u->host[0] != 0;
}

/* A Location resolved against the URL it came from (absolute, "//host", "/path" or relative). */
static char *resolve(const char *base, const char *loc)
{
    url_parts b;
    if (strstr(loc, "://") || !parse_url(base, &b))
        return np_xstrdup(loc);
    np_buf out = {0};
    if (loc[0] == '/' && loc[1] == '/') {
        np_buf_printf(&out, "%s:%s", b.scheme, loc);
    } else {
        const char *auth = strstr(base, "://") + 3;
        np_buf_add(&out, base, (size_t)(auth - base) + strcspn(auth, "/?#"));
        if (loc[0] == '/') {
            np_buf_puts(&out, loc);
        } else {
            size_t dir = strcspn(b.target, "?");
            while (dir > 0 && b.target[dir - 1] != '/')
                dir--;
            np_buf_add(&out, b.target, dir);
            np_buf_puts(&out, loc);
        }
    }
    parts_free(&b);
    return (char *)np_buf_cstr(&out);
}

/* ---- the handle ---- */

CURLcode np_curl_global_init(long flags)
{
    return CURLE_OK;
}

CURL *np_curl_easy_init(void)
{
    return np_xcalloc(1, sizeof(easy));
}

static void set_str(char **slot, const char *v)
{
    free(*slot);
    *slot = v ? np_xstrdup(v) : NULL;
}

static void set_pointer(easy *e, CURLoption option, void *v)
{
    switch (option) {
    case CURLOPT_URL: set_str(&e->url, v); break;
    case CURLOPT_POSTFIELDS: e->post = v; break;
    case CURLOPT_HTTPHEADER: e->headers = v; break;
    case CURLOPT_USERAGENT: set_str(&e->agent, v); break;
    case CURLOPT_PROXY: set_str(&e->proxy, v); break;
    case CURLOPT_NOPROXY: set_str(&e->noproxy, v); break;
    case CURLOPT_ERRORBUFFER: e->errbuf = v; break;
    case CURLOPT_HEADERDATA: e->header_ud = v; break;
    case CURLOPT_WRITEDATA: e->body_ud = v; break;
    case CURLOPT_XFERINFODATA: e->progress_ud = v; break;
    case CURLOPT_OPENSOCKETDATA: e->open_ud = v; break;
    case CURLOPT_PREREQDATA: e->prereq_ud = v; break;
    default: break; /* protocols, encodings: this client speaks plain HTTP/1.1 only */
    }
}

/* The variadic argument's type follows from the option's number range, as curl.h numbers them. */
CURLcode np_curl_easy_setopt(CURL *h, CURLoption option, ...)
{
    easy *e = (easy *)h;
    va_list ap;
    va_start(ap, option);
    if (option < CURLOPTTYPE_OBJECTPOINT) {
        long v = va_arg(ap, long);
        if (option == CURLOPT_HTTPGET && v)
            e->post = NULL;
    } else if (option < CURLOPTTYPE_FUNCTIONPOINT) {
        set_pointer(e, option, va_arg(ap, void *));
    } else if (option < CURLOPTTYPE_OFF_T) {
        switch (option) {
        case CURLOPT_HEADERFUNCTION: e->on_header = va_arg(ap, curl_write_callback); break;
        case CURLOPT_WRITEFUNCTION: e->on_body = va_arg(ap, curl_write_callback); break;
        case CURLOPT_XFERINFOFUNCTION: e->on_progress = va_arg(ap, curl_xferinfo_callback); break;
        case CURLOPT_OPENSOCKETFUNCTION: e->on_open = va_arg(ap, curl_opensocket_callback); break;
        case CURLOPT_PREREQFUNCTION: e->on_prereq = va_arg(ap, curl_prereq_callback); break;
        default: break;
        }
    } else if (option < CURLOPTTYPE_BLOB && option == CURLOPT_POSTFIELDSIZE_LARGE) {
        e->post_len = va_arg(ap, curl_off_t);
    }
    va_end(ap);
    return CURLE_OK;
}

CURLcode np_curl_easy_getinfo(CURL *h, CURLINFO info, ...)
{
    easy *e = (easy *)h;
    va_list ap;
    va_start(ap, info);
    CURLcode rc = CURLE_OK;
    if (info == CURLINFO_OS_ERRNO || info == CURLINFO_SSL_VERIFYRESULT)
        *va_arg(ap, long *) = info == CURLINFO_OS_ERRNO ? e->os_errno : 0;
    else if (info == CURLINFO_REDIRECT_URL)
        *va_arg(ap, char **) = e->redirect;
    else
        rc = CURLE_UNKNOWN_OPTION;
    va_end(ap);
    return rc;
}

void np_curl_easy_cleanup(CURL *h)
{
    easy *e = (easy *)h;
    if (!e)
        return;
    free(e->url);
    free(e->agent);
    free(e->proxy);
    free(e->noproxy);
    free(e->redirect);
    free(e);
}

const char *np_curl_easy_strerror(CURLcode code)
{
    switch (code) {
    case CURLE_OK: return "No error";
    case CURLE_COULDNT_CONNECT: return "Couldn't connect to server";
    case CURLE_COULDNT_RESOLVE_HOST: return "Couldn't resolve host name";
    case CURLE_OPERATION_TIMEDOUT: return "Timeout was reached";
    case CURLE_URL_MALFORMAT: return "URL using bad/illegal format or missing URL";
    default: return "HTTP transfer failed";
    }
}

void np_curl_free(void *p)
{
    free(p);
}

struct curl_slist *np_curl_slist_append(struct curl_slist *list, const char *s)
{
    struct curl_slist *n = np_xcalloc(1, sizeof *n);
    n->data = np_xstrdup(s);
    if (!list)
        return n;
    struct curl_slist *t = list;
    while (t->next)
        t = t->next;
    t->next = n;
    return list;
}

void np_curl_slist_free_all(struct curl_slist *list)
{
    while (list) {
        struct curl_slist *next = list->next;
        free(list->data);
        free(list);
        list = next;
    }
}

/* fetch_url.c asks a URL handle for nothing but the host. */
struct Curl_URL {
    char *host;
};

CURLU *np_curl_url(void)
{
    return np_xcalloc(1, sizeof(CURLU));
}

void np_curl_url_cleanup(CURLU *u)
{
    if (u)
        free(u->host);
    free(u);
}

CURLUcode np_curl_url_set(CURLU *u, CURLUPart what, const char *part, unsigned int flags)
{
    url_parts p;
    if (what != CURLUPART_URL || !parse_url(part, &p))
        return CURLUE_MALFORMED_INPUT;
    free(u->host);
    u->host = p.host;
    p.host = NULL;
    parts_free(&p);
    return CURLUE_OK;
}

CURLUcode np_curl_url_get(CURLU *u, CURLUPart what, char **part, unsigned int flags)
{
    if (what != CURLUPART_HOST || !u->host)
        return CURLUE_NO_HOST;
    *part = np_xstrdup(u->host);
    return CURLUE_OK;
}

/* ---- one exchange ---- */

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Waits for events on fd, giving the progress callback (fetch_url.c's header timeout) a say
 * every tick, as curl does; deadline_ms 0 means none. */
static CURLcode wait_fd(easy *e, int fd, short events, int64_t deadline_ms)
{
    for (;;) {
        struct pollfd p = {fd, events, 0};
        int rc = poll(&p, 1, TICK_MS);
        if (rc > 0)
            return CURLE_OK;
        if (rc < 0 && errno != EINTR) {
            e->os_errno = errno;
            return CURLE_RECV_ERROR;
        }
        if (e->on_progress && e->on_progress(e->progress_ud, 0, 0, 0, 0))
            return CURLE_ABORTED_BY_CALLBACK;
        if (deadline_ms && now_ms() >= deadline_ms)
            return CURLE_OPERATION_TIMEDOUT;
    }
}

typedef struct addr {
    struct sockaddr_storage ss;
    socklen_t len;
} addr;

static bool numeric(const char *host, int port, addr *a)
{
    memset(a, 0, sizeof *a);
    struct sockaddr_in *v4 = (struct sockaddr_in *)&a->ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&a->ss;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        a->len = sizeof *v4;
        return true;
    }
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        a->len = sizeof *v6;
        return true;
    }
    return false;
}

/* The addresses of host: IP literals and localhost without any lookup (a bare container has
 * no /etc and a static C library no name service modules), other names by getaddrinfo. */
static size_t lookup(const char *host, int port, addr *out, size_t cap)
{
    size_t hn = strlen(host);
    char *h = host[0] == '[' && hn > 2 ? dup_n(host + 1, hn - 2) : np_xstrdup(host);
    size_t n = 0;
    if (numeric(h, port, &out[0])) {
        n = 1;
    } else if (strcasecmp(h, "localhost") == 0) {
        n = numeric("127.0.0.1", port, &out[0]) + numeric("::1", port, &out[1]);
    } else {
        struct addrinfo hints = {0}, *res = NULL;
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        if (getaddrinfo(h, NULL, &hints, &res) == 0) {
            for (struct addrinfo *r = res; r && n < cap; r = r->ai_next) {
                char ip[INET6_ADDRSTRLEN];
                const void *sa = r->ai_family == AF_INET
                                     ? (const void *)&((struct sockaddr_in *)r->ai_addr)->sin_addr
                                     : (const void *)&((struct sockaddr_in6 *)r->ai_addr)->sin6_addr;
                if (inet_ntop(r->ai_family, sa, ip, sizeof ip) && numeric(ip, port, &out[n]))
                    n++;
            }
            freeaddrinfo(res);
        }
    }
    free(h);
    return n;
}

static CURLcode dial(easy *e, const addr *a, int *fd)
{
    union {
        struct curl_sockaddr c;
        char room[sizeof(struct curl_sockaddr) + sizeof(struct sockaddr_storage)];
    } sa;
    sa.c.family = a->ss.ss_family;
    sa.c.socktype = SOCK_STREAM;
    sa.c.protocol = IPPROTO_TCP;
    sa.c.addrlen = a->len;
    memcpy(&sa.c.addr, &a->ss, a->len);
    int s = e->on_open ? e->on_open(e->open_ud, CURLSOCKTYPE_IPCXN, &sa.c)
                       : socket(sa.c.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) {
        e->os_errno = errno;
        return CURLE_COULDNT_CONNECT;
    }
    fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK);
    CURLcode rc = CURLE_OK;
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (connect(s, (struct sockaddr *)&a->ss, a->len) < 0 && errno != EINPROGRESS)
        soerr = errno;
    else if ((rc = wait_fd(e, s, POLLOUT, now_ms() + CONNECT_LIMIT_MS)) == CURLE_OK)
        getsockopt(s, SOL_SOCKET, SO_ERROR, &soerr, &sl);
    if (rc == CURLE_OK && soerr) {
        e->os_errno = soerr;
        rc = CURLE_COULDNT_CONNECT;
    }
    if (rc != CURLE_OK)
        close(s);
    else
        *fd = s;
    return rc;
}

static void name_of(const struct sockaddr_storage *ss, char *ip, size_t cap, int *port)
{
    ip[0] = 0;
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, (socklen_t)cap);
        *port = ntohs(a->sin6_port);
    } else {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &a->sin_addr, ip, (socklen_t)cap);
        *port = ntohs(a->sin_port);
    }
}

/* Tells fetch_url.c the connection's two ends as curl's prerequest callback does. */
static void announce(easy *e, int fd)
{
    if (!e->on_prereq)
        return;
    struct sockaddr_storage peer = {0}, self = {0};
    socklen_t pl = sizeof peer, sl = sizeof self;
    getpeername(fd, (struct sockaddr *)&peer, &pl);
    getsockname(fd, (struct sockaddr *)&self, &sl);
    char pip[INET6_ADDRSTRLEN], sip[INET6_ADDRSTRLEN];
    int pport = 0, sport = 0;
    name_of(&peer, pip, sizeof pip, &pport);
    name_of(&self, sip, sizeof sip, &sport);
    e->on_prereq(e->prereq_ud, pip, sip, pport, sport);
}

static CURLcode connect_any(easy *e, const char *host, const char *port, int *fd)
{
    char *end;
    long p = port[0] ? strtol(port, &end, 10) : 80;
    if ((port[0] && *end) || p <= 0 || p > 65535)
        return CURLE_URL_MALFORMAT;
    addr as[16];
    size_t n = lookup(host, (int)p, as, sizeof as / sizeof *as);
    if (n == 0)
        return CURLE_COULDNT_RESOLVE_HOST;
    CURLcode rc = CURLE_COULDNT_CONNECT;
    for (size_t i = 0; i < n; i++)
        if ((rc = dial(e, &as[i], fd)) == CURLE_OK || rc == CURLE_ABORTED_BY_CALLBACK)
            break;
    if (rc == CURLE_OK)
        announce(e, *fd);
    return rc;
}

/* ---- the request ---- */

static void base64(np_buf *out, const unsigned char *s, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0) |
                     (i + 2 < n ? s[i + 2] : 0);
        char q[4] = {tab[v >> 18 & 63], tab[v >> 12 & 63], i + 1 < n ? tab[v >> 6 & 63] : '=',
                     i + 2 < n ? tab[v & 63] : '='};
        np_buf_add(out, q, 4);
    }
}

/* user:password from the URL, %-escapes undone, as Basic credentials. */
static void basic_auth(np_buf *req, const char *userinfo)
{
    np_buf plain = {0};
    for (const char *c = userinfo; *c; c++) {
        unsigned v;
        if (c[0] == '%' && sscanf(c + 1, "%2x", &v) == 1 && c[1] && c[2]) {
            np_buf_putc(&plain, (char)v);
            c += 2;
        } else {
            np_buf_putc(&plain, *c);
        }
    }
    np_buf_puts(req, "Authorization: Basic ");
    base64(req, (const unsigned char *)(plain.data ? plain.data : ""), plain.len);
    np_buf_puts(req, "\r\n");
    np_buf_free(&plain);
}

static void build_request(const easy *e, const url_parts *u, bool proxied, np_buf *req)
{
    np_buf_printf(req, "%s ", e->post ? "POST" : "GET");
    if (proxied)
        np_buf_printf(req, "%s://%s%s%s", u->scheme, u->host, u->port[0] ? ":" : "", u->port);
    np_buf_printf(req, "%s HTTP/1.1\r\nHost: %s%s%s\r\n", u->target, u->host, u->port[0] ? ":" : "",
                  u->port);
    if (u->userinfo)
        basic_auth(req, u->userinfo);
    if (e->agent)
        np_buf_printf(req, "User-Agent: %s\r\n", e->agent);
    for (const struct curl_slist *h = e->headers; h; h = h->next) {
        size_t n = strlen(h->data);
        /* curl's conventions: "Name:" removes a header, "Name;" sends it empty. */
        if (n && h->data[n - 1] == ':')
            continue;
        if (n && h->data[n - 1] == ';')
            np_buf_printf(req, "%.*s:\r\n", (int)(n - 1), h->data);
        else
            np_buf_printf(req, "%s\r\n", h->data);
    }
    if (e->post)
        np_buf_printf(req, "Content-Length: %lld\r\n", (long long)e->post_len);
    np_buf_puts(req, "Connection: close\r\n\r\n");
    if (e->post)
        np_buf_add(req, e->post, (size_t)e->post_len);
}

static CURLcode send_all(easy *e, int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno != EAGAIN) {
            e->os_errno = errno;
            return CURLE_SEND_ERROR;
        }
        CURLcode rc = wait_fd(e, fd, POLLOUT, 0);
        if (rc != CURLE_OK)
            return rc;
    }
    return CURLE_OK;
}

/* ---- the response ---- */

static bool to_header_cb(void *ud, const char *p, size_t n)
{
    easy *e = ud;
    return !e->on_header || e->on_header((char *)p, 1, n, e->header_ud) == n;
}

static bool to_body_cb(void *ud, const char *p, size_t n)
{
    easy *e = ud;
    return !e->on_body || e->on_body((char *)p, 1, n, e->body_ud) == n;
}

/* The reader's verdict as the curl error it stands for. */
static CURLcode curl_code(np_httpresp_state s)
{
    switch (s) {
    case NP_HTTPRESP_DONE: return CURLE_OK;
    case NP_HTTPRESP_NOTHING: return CURLE_GOT_NOTHING;
    case NP_HTTPRESP_PARTIAL: return CURLE_PARTIAL_FILE;
    case NP_HTTPRESP_NOT_HTTP: return CURLE_WEIRD_SERVER_REPLY;
    case NP_HTTPRESP_STOPPED: return CURLE_WRITE_ERROR;
    default: return CURLE_RECV_ERROR;
    }
}

/* Receives the answer into r, which hands it to the callbacks, until it is complete or wrong. */
static CURLcode read_answer(easy *e, int fd, np_httpresp *r)
{
    enum { ROOM = 65536 };
    char *in = np_xmalloc(ROOM);
    np_httpresp_state s = NP_HTTPRESP_MORE;
    CURLcode rc = CURLE_OK;
    while (s == NP_HTTPRESP_MORE && (rc = wait_fd(e, fd, POLLIN, 0)) == CURLE_OK) {
        ssize_t n = recv(fd, in, ROOM, 0);
        if (n >= 0) {
            s = np_httpresp_feed(r, in, (size_t)n);
        } else if (errno != EINTR && errno != EAGAIN) {
            e->os_errno = errno;
            rc = CURLE_RECV_ERROR;
            break;
        }
    }
    free(in);
    return rc != CURLE_OK ? rc : curl_code(s);
}

/* ---- perform ---- */

static bool no_proxy_for(const char *list, const char *host)
{
    if (!list || !*list)
        return false;
    if (strcmp(list, "*") == 0)
        return true;
    size_t hn = strlen(host);
    for (const char *p = list; *p;) {
        p += strspn(p, ", ");
        size_t n = strcspn(p, ", ");
        const char *d = p;
        size_t dn = n;
        if (dn && d[0] == '.')
            d++, dn--;
        if (dn && (hn == dn || (hn > dn && host[hn - dn - 1] == '.')) &&
            strncasecmp(host + hn - dn, d, dn) == 0 && hn >= dn)
            return true;
        p += n;
    }
    return false;
}

static CURLcode fail_with(easy *e, CURLcode rc, const char *msg)
{
    if (e->errbuf)
        snprintf(e->errbuf, CURL_ERROR_SIZE, "%s", msg);
    return rc;
}

/* Where to connect: the URL's host, or the proxy's for a proxied request. */
static CURLcode route(easy *e, const url_parts *u, url_parts *via, bool *proxied)
{
    *proxied = e->proxy && e->proxy[0] && !no_proxy_for(e->noproxy, u->host);
    if (!*proxied)
        return CURLE_OK;
    np_buf p = {0};
    if (!strstr(e->proxy, "://"))
        np_buf_puts(&p, "http://");
    np_buf_puts(&p, e->proxy);
    bool ok = parse_url(np_buf_cstr(&p), via);
    np_buf_free(&p);
    if (!ok)
        return fail_with(e, CURLE_COULDNT_RESOLVE_PROXY, "malformed proxy URL");
    if (strcmp(via->scheme, "http") != 0)
        return fail_with(e, CURLE_NOT_BUILT_IN, "nprof-static reaches plain http:// proxies only");
    return CURLE_OK;
}

static CURLcode exchange(easy *e, const url_parts *u, const url_parts *via, bool proxied)
{
    int fd = -1;
    CURLcode rc = proxied ? connect_any(e, via->host, via->port, &fd)
                          : connect_any(e, u->host, u->port, &fd);
    if (rc == CURLE_COULDNT_RESOLVE_HOST && proxied)
        rc = CURLE_COULDNT_RESOLVE_PROXY;
    if (rc == CURLE_OK) {
        np_buf req = {0};
        build_request(e, u, proxied, &req);
        rc = send_all(e, fd, req.data, req.len);
        np_buf_free(&req);
    }
    np_httpresp r;
    np_httpresp_init(&r, &(np_httpresp_sink){to_header_cb, to_body_cb, e});
    if (rc == CURLE_OK)
        rc = read_answer(e, fd, &r);
    if (rc == CURLE_OK && r.location && r.status >= 300 && r.status < 400)
        e->redirect = resolve(e->url, r.location);
    np_httpresp_free(&r);
    if (fd >= 0)
        close(fd);
    return rc;
}

CURLcode np_curl_easy_perform(CURL *h)
{
    easy *e = (easy *)h;
    free(e->redirect);
    e->redirect = NULL;
    e->os_errno = 0;
    url_parts u = {0}, via = {0};
    CURLcode rc;
    bool proxied = false;
    if (!e->url || !parse_url(e->url, &u))
        rc = fail_with(e, CURLE_URL_MALFORMAT, "malformed URL");
    else if (strcmp(u.scheme, "https") == 0)
        rc = fail_with(e, CURLE_NOT_BUILT_IN, HTTPS_ONLY_DYNAMIC);
    else if (strcmp(u.scheme, "http") != 0)
        rc = fail_with(e, CURLE_UNSUPPORTED_PROTOCOL, "unsupported protocol");
    else if ((rc = route(e, &u, &via, &proxied)) == CURLE_OK)
        rc = exchange(e, &u, &via, proxied);
    parts_free(&u);
    parts_free(&via);
    return rc;
}

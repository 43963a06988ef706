/* Unit tests for the HTTP server: real sockets on loopback ephemeral ports, covering parsing,
 * limits, auth, timeouts (slowloris, slow readers), floods of idle clients and eviction,
 * connection caps, stop, fork and client_gone. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/http.h"
#include "unit.h"

static atomic_int calls;            /* handler invocations */
static atomic_int slow_running;     /* /slow handlers currently waiting */
static atomic_int slow_saw_gone;    /* /slow handlers that saw client_gone */
static atomic_llong slow_gone_at;   /* when the last one saw it (ms) */

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static long qnum(const np_http_request *req, const char *name, long def)
{
    np_buf b = {0};
    long v = np_http_query_param(req, name, &b) ? atol(b.data) : def;
    np_buf_free(&b);
    return v;
}

static void handler(const np_http_request *req, np_http_response *resp, void *ctx)
{
    (void)ctx;
    atomic_fetch_add(&calls, 1);
    if (strcmp(req->path, "/echo") == 0) {
        np_buf v = {0};
        np_http_printf(resp, "method=%s path=%s query=%s\n", req->method, req->path, req->query);
        static const char *names[] = {"a", "b", "c"};
        for (int i = 0; i < 3; i++)
            if (np_http_query_param(req, names[i], &v))
                np_http_printf(resp, "%s=[%s]\n", names[i], v.data);
        const char *ua = np_http_header_value(req, "user-agent");
        np_http_printf(resp, "ua=[%s]\n", ua ? ua : "(none)");
        np_http_printf(resp, "body=[%.*s]\n", (int)req->body_len, req->body);
        np_http_printf(resp, "peer=%s\n", req->peer);
        np_buf_free(&v);
    } else if (strcmp(req->path, "/sleep") == 0) {
        sleep_ms((int)qnum(req, "ms", 100));
        np_http_printf(resp, "slept\n");
    } else if (strcmp(req->path, "/slow") == 0) {
        /* Stands in for a 30 s CPU profile that stops when nobody waits for it. */
        atomic_fetch_add(&slow_running, 1);
        long long end = now_ms() + 10000;
        while (!np_http_client_gone(resp) && now_ms() < end)
            sleep_ms(10);
        if (now_ms() < end) {
            atomic_store(&slow_gone_at, now_ms());
            atomic_fetch_add(&slow_saw_gone, 1);
        }
        atomic_fetch_sub(&slow_running, 1);
        np_http_printf(resp, "done\n");
    } else if (strcmp(req->path, "/big") == 0) {
        static char chunk[65536];
        memset(chunk, 'x', sizeof chunk);
        long mb = qnum(req, "mb", 1);
        for (long i = 0; i < mb * 16; i++)
            np_http_write(resp, chunk, sizeof chunk);
    } else if (strcmp(req->path, "/hdr") == 0) {
        np_http_add_header(resp, "Content-Type", "application/json");
        np_http_add_header(resp, "X-Ok", "yes");
        np_http_add_header(resp, "X-Bad", "a\r\nInjected: 1");
        np_http_add_header(resp, "Content-Length", "999");
        np_http_add_header(resp, "Bad Name", "v");
        np_http_write(resp, "{}", 2);
    } else if (strcmp(req->path, "/stream") == 0) {
        /* The head and a first part go at once; the rest after a pause, then the close. */
        np_http_add_header(resp, "Content-Type", "text/html");
        np_http_printf(resp, "first part\n");
        np_http_flush(resp);
        np_http_set_status(resp, 500); /* too late: ignored */
        sleep_ms((int)qnum(req, "ms", 300));
        np_http_printf(resp, "second part\n");
        np_http_flush(resp);
        np_http_printf(resp, "last part\n");
    } else if (strcmp(req->path, "/teapot") == 0) {
        np_http_set_status(resp, 418);
    } else {
        np_http_set_status(resp, 404);
        np_http_printf(resp, "no such page: %s\n", req->path);
    }
}

typedef struct srv {
    np_http_server *s;
    char bound[80];
} srv;

static bool start(srv *t, const np_http_options *o)
{
    np_err err = {{0}};
    memset(t, 0, sizeof *t);
    if (np_http_start(o, handler, NULL, &t->s, t->bound, sizeof t->bound, &err) < 0) {
        fprintf(stderr, "  start: %s\n", err.msg);
        return false;
    }
    return true;
}

static void stop(srv *t)
{
    if (t->s)
        CHECK(np_http_stop(t->s) == 0);
    t->s = NULL;
}

/* Connects to "1.2.3.4:port" or "[::1]:port"; rcvbuf > 0 shrinks the receive buffer first. */
static int dial_buf(const char *bound, int rcvbuf)
{
    char host[64];
    const char *colon = strrchr(bound, ':');
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t sl;
    int port = atoi(colon + 1);
    if (bound[0] == '[') {
        snprintf(host, sizeof host, "%.*s", (int)(colon - bound - 2), bound + 1);
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        if (strcmp(host, "::") == 0)
            a->sin6_addr = in6addr_loopback;
        else
            inet_pton(AF_INET6, host, &a->sin6_addr);
        sl = sizeof *a;
    } else {
        snprintf(host, sizeof host, "%.*s", (int)(colon - bound), bound);
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        inet_pton(AF_INET, strcmp(host, "0.0.0.0") == 0 ? "127.0.0.1" : host, &a->sin_addr);
        sl = sizeof *a;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (rcvbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    if (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int dial(const char *bound)
{
    return dial_buf(bound, 0);
}

static void send_all(int fd, const void *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return; /* the server may close on us early; the test reads what it said */
        p = (const char *)p + w;
        n -= (size_t)w;
    }
}

/* Reads until EOF, error or timeout. Returns 0 at EOF, 1 on a reset, -1 on timeout. */
static int read_all(int fd, np_buf *out, int timeout_ms)
{
    long long end = now_ms() + timeout_ms;
    char tmp[65536];
    for (;;) {
        long long left = end - now_ms();
        if (left <= 0)
            return -1;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, (int)left) <= 0)
            continue;
        ssize_t n = recv(fd, tmp, sizeof tmp, 0);
        if (n == 0)
            return 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return 1;
        np_buf_add(out, tmp, (size_t)n);
    }
}

typedef struct resp {
    np_buf raw;
    int status;
    int end; /* 0 EOF, 1 reset, -1 timeout */
    const char *body;
    size_t body_len;
} resp;

static void parse_resp(resp *r)
{
    np_buf_cstr(&r->raw);
    r->status = 0;
    if (r->raw.len >= 12 && strncmp(r->raw.data, "HTTP/1.1 ", 9) == 0)
        r->status = atoi(r->raw.data + 9);
    char *e = strstr(r->raw.data, "\r\n\r\n");
    r->body = e ? e + 4 : "";
    r->body_len = e ? r->raw.len - (size_t)(e + 4 - r->raw.data) : 0;
}

/* The value of header `name` in the response (case-insensitive), copied; "" if absent. */
static const char *rhdr(const resp *r, const char *name)
{
    static char val[256];
    val[0] = '\0';
    const char *p = strstr(r->raw.data, "\r\n");
    size_t nl = strlen(name);
    while (p && p[2] != '\r' && p[2] != '\0') {
        p += 2;
        const char *e = strstr(p, "\r\n");
        if (!e)
            break;
        if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ')
                v++;
            snprintf(val, sizeof val, "%.*s", (int)(e - v), v);
            return val;
        }
        p = e;
    }
    return val;
}

static int count_hdr(const resp *r, const char *name)
{
    int n = 0;
    size_t nl = strlen(name);
    char *e = strstr(r->raw.data, "\r\n\r\n");
    for (const char *p = r->raw.data; (p = strstr(p, "\r\n")) && (!e || p < e); p += 2)
        if (strncasecmp(p + 2, name, nl) == 0 && p[2 + nl] == ':')
            n++;
    return n;
}

/* Sends raw bytes on a fresh connection and reads the whole answer. */
static void exchange(const srv *t, const void *req, size_t len, resp *r)
{
    memset(r, 0, sizeof *r);
    int fd = dial(t->bound);
    CHECK(fd >= 0);
    if (fd < 0) {
        parse_resp(r);
        return;
    }
    send_all(fd, req, len);
    r->end = read_all(fd, &r->raw, 5000);
    close(fd);
    parse_resp(r);
}

static void ask(const srv *t, const char *req, resp *r)
{
    exchange(t, req, strlen(req), r);
}

/* The status of the answer to req, for checks that look at nothing else. */
static int status_of(const srv *t, const char *req)
{
    resp r;
    ask(t, req, &r);
    np_buf_free(&r.raw);
    return r.status;
}

/* Starts the test's server, or fails the test. */
#define START_OR_FAIL(t, o)                                                                        \
    do {                                                                                           \
        if (!start(t, o)) {                                                                        \
            CHECK(0);                                                                              \
            return;                                                                                \
        }                                                                                          \
    } while (0)

static bool body_has(const resp *r, const char *s)
{
    return r->body && strstr(r->body, s) != NULL;
}

/* A half-closed exchange: the request, then shutdown(SHUT_WR), then the answer is read. */
static void half_closed(const srv *t, const char *req, resp *r)
{
    memset(r, 0, sizeof *r);
    int fd = dial(t->bound);
    CHECK(fd >= 0);
    send_all(fd, req, strlen(req));
    shutdown(fd, SHUT_WR);
    r->end = read_all(fd, &r->raw, 5000);
    close(fd);
    parse_resp(r);
}

TEST(http_get_query_params)
{
    srv t;
    np_http_options o = {0};
    START_OR_FAIL(&t, &o);
    CHECK(strncmp(t.bound, "127.0.0.1:", 10) == 0);
    resp r;
    ask(&t, "GET /ec%68o?a=1+2&b=%41%2Fz&a=second&c HTTP/1.1\r\nHost: x\r\nUSER-AGENT:  t/1 \r\n\r\n",
        &r);
    CHECK(r.status == 200);
    CHECK(strncmp(r.raw.data, "HTTP/1.1 200 OK\r\n", 17) == 0);
    CHECK(r.end == 0);
    CHECK(body_has(&r, "method=GET path=/echo query=a=1+2&b=%41%2Fz&a=second&c\n"));
    CHECK(body_has(&r, "a=[1 2]\n"));
    CHECK(body_has(&r, "b=[A/z]\n"));
    CHECK(body_has(&r, "c=[]\n"));
    CHECK(body_has(&r, "ua=[t/1]\n"));
    CHECK(body_has(&r, "body=[]\n"));
    CHECK(body_has(&r, "peer=127.0.0.1:"));
    CHECK_STR_EQ(rhdr(&r, "Content-Type"), "text/plain; charset=utf-8");
    CHECK_STR_EQ(rhdr(&r, "Connection"), "close");
    CHECK(strlen(rhdr(&r, "Date")) == 29 && strstr(rhdr(&r, "Date"), " GMT"));
    CHECK((size_t)atol(rhdr(&r, "Content-Length")) == r.body_len);
    np_buf_free(&r.raw);

    /* HTTP/1.0 without Host, bare LF line ends, and empty lines before the request line. */
    CHECK(status_of(&t, "GET /echo HTTP/1.0\n\n") == 200);
    ask(&t, "\r\n\r\nGET /echo?a=x HTTP/1.1\r\n\r\n", &r);
    CHECK(r.status == 200 && body_has(&r, "a=[x]"));
    np_buf_free(&r.raw);
    stop(&t);
}

TEST(http_query_param_decoding)
{
    np_http_request req = {.query = "a=1&b=%zz&b=2&c&d=x+y%2B%20&e=%4&a=3&%61%62=k"};
    np_buf v = {0};
    CHECK(np_http_query_param(&req, "a", &v) && strcmp(v.data, "1") == 0);
    CHECK(np_http_query_param(&req, "b", &v) && strcmp(v.data, "2") == 0);
    CHECK(np_http_query_param(&req, "c", &v) && v.len == 0);
    CHECK(np_http_query_param(&req, "d", &v) && strcmp(v.data, "x y+ ") == 0);
    CHECK(!np_http_query_param(&req, "e", &v) && v.len == 0);
    CHECK(np_http_query_param(&req, "ab", &v) && strcmp(v.data, "k") == 0);
    CHECK(!np_http_query_param(&req, "zz", &v));
    np_http_request empty = {.query = ""};
    CHECK(!np_http_query_param(&empty, "a", &v));
    np_buf_free(&v);
}

TEST(http_post_body_and_expect)
{
    srv t;
    np_http_options o = {0};
    START_OR_FAIL(&t, &o);
    resp r;
    ask(&t, "POST /echo HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello world", &r);
    CHECK(r.status == 200 && body_has(&r, "method=POST") && body_has(&r, "body=[hello world]"));
    np_buf_free(&r.raw);

    /* Identical duplicate Content-Length is accepted. */
    ask(&t, "POST /echo HTTP/1.1\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\nhello", &r);
    CHECK(r.status == 200 && body_has(&r, "body=[hello]"));
    np_buf_free(&r.raw);

    /* Expect: 100-continue gets the interim answer before the body is sent. */
    int fd = dial(t.bound);
    CHECK(fd >= 0);
    const char *h = "POST /echo HTTP/1.1\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n";
    send_all(fd, h, strlen(h));
    char buf[64] = {0};
    struct pollfd p = {.fd = fd, .events = POLLIN};
    CHECK(poll(&p, 1, 2000) == 1);
    ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
    CHECK(n > 0 && strcmp(buf, "HTTP/1.1 100 Continue\r\n\r\n") == 0);
    send_all(fd, "ping", 4);
    memset(&r, 0, sizeof r);
    read_all(fd, &r.raw, 5000);
    close(fd);
    parse_resp(&r);
    CHECK(r.status == 200 && body_has(&r, "body=[ping]"));
    np_buf_free(&r.raw);
    stop(&t);
}

TEST(http_head_404_and_headers)
{
    srv t;
    np_http_options o = {0};
    START_OR_FAIL(&t, &o);
    resp r;
    ask(&t, "HEAD /echo HTTP/1.1\r\n\r\n", &r);
    CHECK(r.status == 200);
    CHECK(atol(rhdr(&r, "Content-Length")) > 0);
    CHECK(r.body_len == 0);
    np_buf_free(&r.raw);

    ask(&t, "GET /nope HTTP/1.1\r\n\r\n", &r);
    CHECK(r.status == 404 && strncmp(r.raw.data, "HTTP/1.1 404 Not Found\r\n", 24) == 0);
    CHECK(body_has(&r, "no such page: /nope"));
    np_buf_free(&r.raw);

    ask(&t, "GET /teapot HTTP/1.1\r\n\r\n", &r);
    CHECK(r.status == 418 && strncmp(r.raw.data, "HTTP/1.1 418 \r\n", 15) == 0);
    np_buf_free(&r.raw);

    ask(&t, "GET /hdr HTTP/1.1\r\n\r\n", &r);
    CHECK(r.status == 200);
    CHECK_STR_EQ(rhdr(&r, "Content-Type"), "application/json");
    CHECK(count_hdr(&r, "Content-Type") == 1);
    CHECK(count_hdr(&r, "Content-Length") == 1);
    CHECK_STR_EQ(rhdr(&r, "Content-Length"), "2");
    CHECK_STR_EQ(rhdr(&r, "X-Ok"), "yes");
    CHECK(count_hdr(&r, "X-Bad") == 0 && count_hdr(&r, "Injected") == 0);
    CHECK(r.body_len == 2 && memcmp(r.body, "{}", 2) == 0);
    np_buf_free(&r.raw);
    stop(&t);
}

/* Reads until the buffer holds s or the time is up; whether it came. */
static bool read_until(int fd, np_buf *out, const char *s, int timeout_ms)
{
    long long end = now_ms() + timeout_ms;
    while (!(out->len && memmem(out->data, out->len, s, strlen(s)))) {
        long long left = end - now_ms();
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            return false;
        char tmp[4096];
        ssize_t n = recv(fd, tmp, sizeof tmp, 0);
        if (n <= 0)
            return false;
        np_buf_add(out, tmp, (size_t)n);
    }
    return true;
}

TEST(http_flush_streams_the_head)
{
    srv t;
    np_http_options o = {0};
    START_OR_FAIL(&t, &o);
    int fd = dial(t.bound);
    CHECK(fd >= 0);
    static const char get[] = "GET /stream?ms=400 HTTP/1.1\r\n\r\n";
    send_all(fd, get, strlen(get));
    long long t0 = now_ms();
    resp r = {0};
    /* The head and the first part arrive while the handler still sleeps. */
    CHECK(read_until(fd, &r.raw, "first part\n", 2000));
    CHECK(now_ms() - t0 < 350);
    CHECK(!memmem(r.raw.data, r.raw.len, "second part", 11));
    r.end = read_all(fd, &r.raw, 5000);
    close(fd);
    parse_resp(&r);
    CHECK(r.end == 0);
    CHECK(r.status == 200);
    CHECK(count_hdr(&r, "Content-Length") == 0);
    CHECK_STR_EQ(rhdr(&r, "Connection"), "close");
    CHECK_STR_EQ(rhdr(&r, "Content-Type"), "text/html");
    CHECK(r.body_len == 33 && memcmp(r.body, "first part\nsecond part\nlast part\n", 33) == 0);
    np_buf_free(&r.raw);

    /* HEAD: the head alone, however the handler flushes. */
    ask(&t, "HEAD /stream?ms=1 HTTP/1.1\r\n\r\n", &r);
    CHECK(r.status == 200 && r.body_len == 0 && r.end == 0);
    np_buf_free(&r.raw);
    stop(&t);
}

TEST(http_bearer_token)
{
    srv t;
    np_http_options o = {.bearer_token = "s3cr3t-tok"};
    START_OR_FAIL(&t, &o);
    static const struct {
        const char *auth;
        int status;
    } cases[] = {
        {NULL, 401},
        {"Authorization: Bearer wrong-tok\r\n", 401},
        {"Authorization: Bearer s3cr3t-to\r\n", 401},
        {"Authorization: Bearer s3cr3t-tokk\r\n", 401},
        {"Authorization: Basic s3cr3t-tok\r\n", 401},
        {"Authorization: Bearer\r\n", 401},
        {"Authorization: Bearer s3cr3t-tok\r\n", 200},
        {"authorization: bearer  s3cr3t-tok \r\n", 200},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char req[256];
        snprintf(req, sizeof req, "GET /echo HTTP/1.1\r\n%s\r\n", cases[i].auth ? cases[i].auth : "");
        int before = atomic_load(&calls);
        resp r;
        ask(&t, req, &r);
        CHECK(r.status == cases[i].status);
        if (cases[i].status == 401) {
            CHECK_STR_EQ(rhdr(&r, "WWW-Authenticate"), "Bearer");
            CHECK(atomic_load(&calls) == before);
        } else {
            CHECK(atomic_load(&calls) == before + 1);
        }
        np_buf_free(&r.raw);
    }
    /* An unauthenticated client cannot make the server read (or even wait for) a body. */
    CHECK(status_of(&t, "POST /echo HTTP/1.1\r\nContent-Length: 100000000\r\n\r\n") == 401);
    stop(&t);
}

TEST(http_limits_431_413)
{
    srv t;
    np_http_options o = {.max_header_bytes = 4096, .max_body_bytes = 1000};
    START_OR_FAIL(&t, &o);
    int before = atomic_load(&calls);
    np_buf big = {0};
    np_buf_puts(&big, "GET /echo HTTP/1.1\r\nX-Big: ");
    for (int i = 0; i < 20000; i++)
        np_buf_putc(&big, 'a');
    np_buf_puts(&big, "\r\n\r\n");
    resp r;
    exchange(&t, big.data, big.len, &r);
    CHECK(r.status == 431 && body_has(&r, "exceeds 4096 bytes"));
    np_buf_free(&r.raw);

    big.len = 0;
    np_buf_puts(&big, "GET /echo HTTP/1.1\r\n");
    for (int i = 0; i < 150; i++)
        np_buf_printf(&big, "X-%d: v\r\n", i);
    np_buf_puts(&big, "\r\n");
    exchange(&t, big.data, big.len, &r);
    CHECK(r.status == 431);
    np_buf_free(&r.raw);

    /* A body over the limit is refused from its Content-Length, even while it is being sent;
     * the answer must survive the unread body (no reset before the client reads it). */
    big.len = 0;
    np_buf_puts(&big, "POST /echo HTTP/1.1\r\nContent-Length: 200000\r\n\r\n");
    for (int i = 0; i < 200000; i++)
        np_buf_putc(&big, 'b');
    exchange(&t, big.data, big.len, &r);
    CHECK(r.status == 413 && body_has(&r, "exceeds the limit of 1000 bytes"));
    np_buf_free(&r.raw);

    CHECK(status_of(&t, "POST /echo HTTP/1.1\r\nContent-Length: 1001\r\n\r\n") == 413);
    CHECK(atomic_load(&calls) == before);
    np_buf_free(&big);

    stop(&t);
}

TEST(http_garbage_and_half_close)
{
    srv t;
    np_http_options o = {0};
    START_OR_FAIL(&t, &o);
    static const struct {
        const char *req;
        int status;
    } cases[] = {
        {"GARBAGE\r\n\r\n", 400},
        {"GET /\r\n\r\n", 400},
        {"GET / HTTP/2.0\r\n\r\n", 505},
        {"GET / HTTP/1.1 extra\r\n\r\n", 400},
        {"GET /a b HTTP/1.1\r\n\r\n", 400},
        {"GET  / HTTP/1.1\r\n\r\n", 400},
        {"GET noslash HTTP/1.1\r\n\r\n", 400},
        {"GET http://x/ HTTP/1.1\r\n\r\n", 400},
        {"GET / http/1.1\r\n\r\n", 400},
        {"G(T / HTTP/1.1\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nName : v\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\n: v\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nA: b\x01\r\n\r\n", 400},
        {"\x01\x02\x03\xff\xfe\r\n\r\n", 400},
        {"GET /\xc3\xa9 HTTP/1.1\r\n\r\n", 400},
        {"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 411},
        {"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello", 400},
        {"POST /echo HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400},
        {"POST /echo HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400},
        {"POST /echo HTTP/1.1\r\nContent-Length: +5\r\n\r\nhello", 400},
        {"POST /echo HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400},
        {"POST /echo HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400},
        {"GET /%zz HTTP/1.1\r\n\r\n", 400},
        {"GET /a% HTTP/1.1\r\n\r\n", 400},
        {"GET /a%00b HTTP/1.1\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nExpect: something\r\n\r\n", 417},
        {"GET /../../etc/passwd HTTP/1.1\r\n\r\n", 404}, /* only the handler's routes exist */
    };
    int before = atomic_load(&calls);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        resp r;
        ask(&t, cases[i].req, &r);
        if (r.status != cases[i].status)
            fprintf(stderr, "  case %zu: got %d want %d\n", i, r.status, cases[i].status);
        CHECK(r.status == cases[i].status);
        CHECK(r.end == 0);
        np_buf_free(&r.raw);
    }
    CHECK(atomic_load(&calls) == before + 1); /* only the path-traversal case reached it */

    /* A NUL byte inside a header line. */
    static const char nul[] = "GET / HTTP/1.1\r\nA: b\0c\r\n\r\n";
    resp r;
    exchange(&t, nul, sizeof nul - 1, &r);
    CHECK(r.status == 400);
    np_buf_free(&r.raw);

    /* Half-closed after a whole request: still answered. */
    half_closed(&t, "GET /echo?a=h HTTP/1.0\r\n\r\n", &r);
    CHECK(r.status == 200 && body_has(&r, "a=[h]") && r.end == 0);
    np_buf_free(&r.raw);
    /* Half-closed in the middle of the headers: a prompt 400, no hang. */
    long long t0 = now_ms();
    half_closed(&t, "GET /echo HTTP/1.1\r\nHost: x", &r);
    CHECK(r.status == 400 && now_ms() - t0 < 1000);
    np_buf_free(&r.raw);
    /* A body cut short by the client's half-close. */
    half_closed(&t, "POST /echo HTTP/1.1\r\nContent-Length: 5\r\n\r\nab", &r);
    CHECK(r.status == 400 && body_has(&r, "incomplete request body"));
    np_buf_free(&r.raw);
    /* Connect and close without a byte: nothing happens, the server keeps serving. */
    int fd = dial(t.bound);
    close(fd);
    CHECK(status_of(&t, "GET /echo HTTP/1.1\r\n\r\n") == 200);
    stop(&t);
}

typedef struct slowloris_arg {
    const char *bound;
    int status;
    long long elapsed;
} slowloris_arg;

static void *slowloris(void *p)
{
    slowloris_arg *a = p;
    const char *req = "GET /echo HTTP/1.1\r\nHost: x\r\nX-Slow: yes\r\n\r\n";
    long long t0 = now_ms();
    int fd = dial(a->bound);
    if (fd < 0)
        return NULL;
    resp r;
    memset(&r, 0, sizeof r);
    /* One byte a second, watching for the server's answer between bytes. */
    for (size_t i = 0; i < strlen(req); i++) {
        if (send(fd, req + i, 1, MSG_NOSIGNAL) != 1)
            break;
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        if (poll(&pf, 1, 1000) > 0)
            break;
    }
    read_all(fd, &r.raw, 5000);
    a->elapsed = now_ms() - t0;
    close(fd);
    parse_resp(&r);
    a->status = r.status;
    np_buf_free(&r.raw);
    return NULL;
}

TEST(http_slowloris)
{
    srv t;
    np_http_options o = {.request_timeout_ms = 2000};
    START_OR_FAIL(&t, &o);
    slowloris_arg a = {.bound = t.bound};
    pthread_t th;
    pthread_create(&th, NULL, slowloris, &a);
    sleep_ms(500);
    long long t0 = now_ms();
    resp r;
    ask(&t, "GET /echo HTTP/1.1\r\n\r\n", &r);
    long long took = now_ms() - t0;
    CHECK(r.status == 200 && took < 500);
    np_buf_free(&r.raw);
    pthread_join(th, NULL);
    CHECK(a.status == 408);
    CHECK(a.elapsed >= 1800 && a.elapsed < 3500);
    stop(&t);
}

TEST(http_connection_cap)
{
    srv t;
    np_http_options o = {.max_connections = 4};
    START_OR_FAIL(&t, &o);
    enum { N = 9 };
    int fds[N];
    const char *req = "GET /sleep?ms=600 HTTP/1.1\r\n\r\n";
    long long t0 = now_ms();
    for (int i = 0; i < N; i++) {
        fds[i] = dial(t.bound);
        CHECK(fds[i] >= 0);
        send_all(fds[i], req, strlen(req));
    }
    int ok = 0, busy = 0, other = 0;
    for (int i = 0; i < N; i++) {
        resp r;
        memset(&r, 0, sizeof r);
        read_all(fds[i], &r.raw, 5000);
        close(fds[i]);
        parse_resp(&r);
        if (r.status == 200)
            ok++;
        else if (r.status == 503) {
            busy++;
            CHECK_STR_EQ(rhdr(&r, "Retry-After"), "1");
        } else
            other++;
        np_buf_free(&r.raw);
    }
    CHECK(ok == 4 && busy == 5 && other == 0);
    CHECK(now_ms() - t0 < 3000);
    /* Once the first ones are done the slots are free again. */
    CHECK(status_of(&t, "GET /echo HTTP/1.1\r\n\r\n") == 200);
    stop(&t);
}

TEST(http_slow_reader_write_timeout)
{
    srv t;
    np_http_options o = {.max_connections = 1, .write_timeout_ms = 1000};
    START_OR_FAIL(&t, &o);
    /* A client that asks for 8 MiB and never reads holds the only worker... */
    int fd = dial_buf(t.bound, 4096);
    CHECK(fd >= 0);
    const char *req = "GET /big?mb=8 HTTP/1.1\r\n\r\n";
    send_all(fd, req, strlen(req));
    sleep_ms(300);
    CHECK(status_of(&t, "GET /echo HTTP/1.1\r\n\r\n") == 503);
    /* ...until the write timeout resets it. */
    sleep_ms(1300);
    CHECK(status_of(&t, "GET /echo HTTP/1.1\r\n\r\n") == 200);
    resp big;
    memset(&big, 0, sizeof big);
    big.end = read_all(fd, &big.raw, 5000);
    CHECK(big.end == 1);                    /* reset, not a clean end */
    CHECK(big.raw.len < 8u * 1024 * 1024); /* and not the whole body */
    np_buf_free(&big.raw);
    close(fd);
    stop(&t);
}

TEST(http_client_gone)
{
    srv t;
    np_http_options o = {0};
    START_OR_FAIL(&t, &o);
    int seen = atomic_load(&slow_saw_gone);
    int fd = dial(t.bound);
    const char *req = "GET /slow HTTP/1.1\r\n\r\n";
    send_all(fd, req, strlen(req));
    long long t0 = now_ms();
    while (atomic_load(&slow_running) == 0 && now_ms() - t0 < 2000)
        sleep_ms(5);
    CHECK(atomic_load(&slow_running) == 1);
    sleep_ms(200);
    CHECK(atomic_load(&slow_saw_gone) == seen); /* still connected: keeps going */
    long long closed = now_ms();
    close(fd);
    while (atomic_load(&slow_saw_gone) == seen && now_ms() - closed < 2000)
        sleep_ms(5);
    CHECK(atomic_load(&slow_saw_gone) == seen + 1);
    CHECK(atomic_load(&slow_gone_at) - closed < 500);
    stop(&t);
}

TEST(http_stop_with_clients)
{
    srv t;
    np_http_options o = {0};
    START_OR_FAIL(&t, &o);
    int fds[5];
    fds[0] = dial(t.bound);                      /* idle */
    fds[1] = dial(t.bound);                      /* half a request */
    send_all(fds[1], "GET /echo HTTP/1.1\r\nHo", 22);
    fds[2] = dial(t.bound);                      /* a long handler */
    send_all(fds[2], "GET /slow HTTP/1.1\r\n\r\n", 22);
    fds[3] = dial_buf(t.bound, 4096);            /* a big answer nobody reads */
    send_all(fds[3], "GET /big?mb=8 HTTP/1.1\r\n\r\n", 26);
    fds[4] = dial(t.bound);                      /* half a body */
    send_all(fds[4], "POST /echo HTTP/1.1\r\nContent-Length: 10\r\n\r\nab", 46);
    int seen = atomic_load(&slow_saw_gone);
    long long t0 = now_ms();
    while (atomic_load(&slow_running) == 0 && now_ms() - t0 < 2000)
        sleep_ms(5);
    sleep_ms(300);
    t0 = now_ms();
    int left = np_http_stop(t.s);
    long long took = now_ms() - t0;
    CHECK(left == 0);
    CHECK(took < 1000);
    CHECK(atomic_load(&slow_saw_gone) == seen + 1);
    /* The port is closed: a new client is refused. */
    CHECK(dial(t.bound) < 0);
    for (int i = 0; i < 5; i++)
        close(fds[i]);
}

TEST(http_addresses)
{
    np_http_server *s = NULL;
    np_err err = {{0}};
    char bound[80];
    static const char *refused[] = {"0.0.0.0:0", "[::]:0", "192.0.2.1:0"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        np_http_options o = {.addr = refused[i]};
        CHECK(np_http_start(&o, handler, NULL, &s, bound, sizeof bound, &err) < 0);
        CHECK(s == NULL && strstr(err.msg, "loopback") != NULL);
    }
    static const char *bad[] = {"127.0.0.1", "127.0.0.1:99999", "127.0.0.1:x", "[::1",
                                "::1:80", "no such host.invalid:0", "127.0.0.1:"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        np_http_options o = {.addr = bad[i]};
        err.msg[0] = '\0';
        CHECK(np_http_start(&o, handler, NULL, &s, bound, sizeof bound, &err) < 0);
        CHECK(strncmp(err.msg, "http: ", 6) == 0);
    }
    np_http_options tok = {.bearer_token = "has space"};
    CHECK(np_http_start(&tok, handler, NULL, &s, bound, sizeof bound, &err) < 0);

    static const char *local[] = {":0", "localhost:0", "127.0.0.1:0", NULL};
    for (size_t i = 0; i < sizeof local / sizeof local[0]; i++) {
        np_http_options o = {.addr = local[i]};
        CHECK(np_http_start(&o, handler, NULL, &s, bound, sizeof bound, &err) == 0);
        CHECK(strncmp(bound, "127.0.0.1:", 10) == 0 && atoi(bound + 10) > 0);
        CHECK(np_http_stop(s) == 0);
    }

    /* ":PORT" with allow_remote: every interface, reachable on loopback. */
    srv t;
    np_http_options o = {.addr = ":0", .allow_remote = true};
    if (start(&t, &o)) {
        CHECK(strncmp(t.bound, "[::]:", 5) == 0 || strncmp(t.bound, "0.0.0.0:", 8) == 0);
        /* An IPv4 client of the dual-stack socket shows as a plain IPv4 peer. */
        srv v4 = t;
        snprintf(v4.bound, sizeof v4.bound, "127.0.0.1:%s", strrchr(t.bound, ':') + 1);
        resp r;
        ask(&v4, "GET /echo HTTP/1.1\r\n\r\n", &r);
        CHECK(r.status == 200 && body_has(&r, "peer=127.0.0.1:"));
        np_buf_free(&r.raw);
        stop(&t);
    } else {
        CHECK(0);
    }

    /* Two servers cannot share a port; the error says why. */
    if (start(&t, &(np_http_options){0})) {
        np_http_options o2 = {.addr = t.bound};
        CHECK(np_http_start(&o2, handler, NULL, &s, bound, sizeof bound, &err) < 0);
        CHECK(strstr(err.msg, "in use") != NULL);
        stop(&t);
    }

    /* Start and stop many times: nothing leaks (ASan) and stop is quick when idle. */
    long long t0 = now_ms();
    for (int i = 0; i < 20; i++) {
        np_http_options q = {0};
        CHECK(np_http_start(&q, handler, NULL, &s, NULL, 0, &err) == 0);
        CHECK(np_http_stop(s) == 0);
    }
    CHECK(now_ms() - t0 < 2000);
}

TEST(http_ipv6_loopback)
{
    np_http_server *s = NULL;
    np_err err = {{0}};
    srv t;
    memset(&t, 0, sizeof t);
    np_http_options o = {.addr = "[::1]:0"};
    if (np_http_start(&o, handler, NULL, &s, t.bound, sizeof t.bound, &err) < 0) {
        fprintf(stderr, "  (%s)\n", err.msg);
        SKIP("no IPv6 loopback");
    }
    t.s = s;
    CHECK(strncmp(t.bound, "[::1]:", 6) == 0);
    resp r;
    ask(&t, "GET /echo?a=6 HTTP/1.1\r\n\r\n", &r);
    CHECK(r.status == 200 && body_has(&r, "a=[6]") && body_has(&r, "peer=[::1]:"));
    np_buf_free(&r.raw);
    stop(&t);
}

/* How many of this process's descriptors are sockets bound to port (the server's side of it). */
static int sockets_on_port(int port)
{
    int n = 0;
    for (int fd = 3; fd < 4096; fd++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 && ss.ss_family == AF_INET &&
            ntohs(((struct sockaddr_in *)&ss)->sin_port) == port)
            n++;
    }
    return n;
}

TEST(http_fork_child_forgets)
{
    srv t;
    np_http_options o = {0};
    START_OR_FAIL(&t, &o);
    /* A connection still sending its request is held by the polling thread: the child must
     * close its copy as well as the listener's. */
    int half = dial(t.bound);
    CHECK(half >= 0);
    send_all(half, "GET /echo HTTP/1.1\r\nHo", 22);
    sleep_ms(100);
    int port = atoi(strrchr(t.bound, ':') + 1);
    pid_t pid = fork();
    if (pid == 0) {
        int before = sockets_on_port(port);
        np_http_forget_in_child(t.s);
        _exit(before == 2 && sockets_on_port(port) == 0 ? 0 : 1);
    }
    CHECK(pid > 0);
    int st = 0;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK(status_of(&t, "GET /echo HTTP/1.1\r\n\r\n") == 200);
    /* The parent's copy is still open and still served. */
    resp r;
    memset(&r, 0, sizeof r);
    send_all(half, "st: x\r\n\r\n", 9);
    read_all(half, &r.raw, 5000);
    parse_resp(&r);
    CHECK(r.status == 200);
    np_buf_free(&r.raw);
    close(half);
    stop(&t);
}

TEST(http_host_reuses_listener_fd)
{
    /* A daemoniser closes every descriptor and reopens files, reusing our listener's number:
     * the server must not spin, accept on it, or close the host's new file at stop. */
    srv t;
    np_http_options o = {0};
    START_OR_FAIL(&t, &o);
    int port = atoi(strrchr(t.bound, ':') + 1), lfd = -1;
    for (int fd = 3; fd < 1024 && lfd < 0; fd++) {
        struct sockaddr_in a;
        socklen_t al = sizeof a;
        int acc = 0;
        socklen_t accl = sizeof acc;
        if (getsockname(fd, (struct sockaddr *)&a, &al) == 0 && a.sin_family == AF_INET &&
            ntohs(a.sin_port) == port &&
            getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &accl) == 0 && acc)
            lfd = fd;
    }
    CHECK(lfd >= 0);
    if (lfd < 0) {
        stop(&t);
        return;
    }
    /* Closed: the acceptor's next poll (within ACCEPT_POLL_MS) sees POLLNVAL. */
    close(lfd);
    struct timespec c0, c1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    sleep_ms(1300);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    long long cpu = (c1.tv_sec - c0.tv_sec) * 1000LL + (c1.tv_nsec - c0.tv_nsec) / 1000000;
    CHECK(cpu < 100);
    /* Reused by a host file: stop must leave it alone. */
    FILE *f = tmpfile();
    CHECK(f != NULL);
    dup2(fileno(f), lfd);
    stop(&t);
    CHECK(write(lfd, "still mine", 10) == 10); /* the host's file is still open */
    close(lfd);
    fclose(f);
}

/* Raises this process's soft fd limit towards want. Returns the limit in force. */
static int raise_fd_limit(int want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return 1024;
    if (rl.rlim_cur < (rlim_t)want) {
        rl.rlim_cur = rl.rlim_max < (rlim_t)want ? rl.rlim_max : (rlim_t)want;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur > 1 << 20 ? 1 << 20 : (int)rl.rlim_cur;
}

/* Sends what the socket takes now, without waiting: an attacker that does not care. */
static void send_some(int fd, const char *p, size_t n)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            break;
        p += w;
        n -= (size_t)w;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
}

/* True if nothing (no answer, no end) arrives on fd within ms. */
static bool silent(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, ms) == 0;
}

/* The answer already sent, or sent within ms, on a connection the test kept. */
static int answer_on(int fd, int ms, resp *r)
{
    memset(r, 0, sizeof *r);
    r->end = read_all(fd, &r->raw, ms);
    parse_resp(r);
    return r->status;
}

static const char half_request[] = "GET /debug/pprof/heap HTTP/1.1\r\nHost: x\r\n";

/* Opens n connections that each send half a request and then wait. */
static void open_half_requests(const srv *t, int *fds, int n)
{
    for (int i = 0; i < n; i++) {
        fds[i] = dial(t->bound);
        if (fds[i] >= 0)
            send_all(fds[i], half_request, sizeof half_request - 1);
    }
}

/* The three oversized or malformed requests of the flood, left open: a garbage line, a
 * 100 kB request line and a 2 MB header. */
static void open_bad_requests(const srv *t, int bad[3])
{
    static const char garbage[] = "\x16\x03\x01 not http at all\r\n\r\n";
    np_buf b = {0};
    bad[0] = dial(t->bound);
    send_all(bad[0], garbage, sizeof garbage - 1);
    np_buf_puts(&b, "GET /");
    for (int i = 0; i < 100000; i++)
        np_buf_putc(&b, 'a');
    bad[1] = dial(t->bound);
    send_some(bad[1], b.data, b.len);
    b.len = 0;
    np_buf_puts(&b, "GET / HTTP/1.1\r\nX-Big: ");
    for (int i = 0; i < 2 << 20; i++)
        np_buf_putc(&b, 'b');
    bad[2] = dial(t->bound);
    send_some(bad[2], b.data, b.len);
    np_buf_free(&b);
}

TEST(http_flood_of_idle_and_oversized_clients)
{
    /* The client's 500 sockets, and the server's pending table: a quarter of the limit at most. */
    int limit = raise_fd_limit(2048);
    int n = limit * 3 / 4 - 60 < 500 ? limit * 3 / 4 - 60 : 500;
    if (n < 300)
        SKIP("fd limit too low for the flood");
    srv t;
    np_http_options o = {0};
    START_OR_FAIL(&t, &o);
    int *fds = malloc((size_t)n * sizeof *fds), bad[3];
    open_half_requests(&t, fds, n);
    open_bad_requests(&t, bad);

    /* Twenty real requests in a row, each answered, each within a second. */
    long long slowest = 0;
    for (int i = 0; i < 20; i++) {
        char req[64], want[32];
        snprintf(req, sizeof req, "GET /echo?a=%d HTTP/1.1\r\nHost: x\r\n\r\n", i);
        snprintf(want, sizeof want, "a=[%d]\n", i);
        long long t0 = now_ms();
        resp r;
        ask(&t, req, &r);
        long long took = now_ms() - t0;
        slowest = took > slowest ? took : slowest;
        CHECK(r.status == 200 && body_has(&r, want) && took < 1000);
        np_buf_free(&r.raw);
    }
    fprintf(stderr, "  20 requests behind %d idle and 3 oversized clients: slowest %lld ms\n", n,
            slowest);

    /* The bad ones got their codes. */
    static const int want[3] = {400, 431, 431};
    for (int i = 0; i < 3; i++) {
        resp r;
        CHECK(answer_on(bad[i], 2000, &r) == want[i]);
        np_buf_free(&r.raw);
        close(bad[i]);
    }
    /* The idle ones went oldest first; the newest still waits and is served when it finishes. */
    resp r;
    CHECK(answer_on(fds[0], 1000, &r) == 503);
    np_buf_free(&r.raw);
    CHECK(silent(fds[n - 1], 100));
    send_all(fds[n - 1], "\r\n", 2);
    CHECK(answer_on(fds[n - 1], 1000, &r) == 404); /* no such page in this handler */
    np_buf_free(&r.raw);
    for (int i = 0; i < n; i++)
        close(fds[i]);
    free(fds);
    stop(&t);
}

TEST(http_evicts_the_idlest)
{
    srv t;
    np_http_options o = {.max_pending = 4};
    START_OR_FAIL(&t, &o);
    int fds[5];
    for (int i = 0; i < 4; i++) {
        fds[i] = dial(t.bound);
        send_all(fds[i], "GET /echo?a=", 12);
        sleep_ms(30);
    }
    send_all(fds[0], "0", 1); /* the first is no longer the idlest: the second is */
    sleep_ms(30);
    fds[4] = dial(t.bound);
    send_all(fds[4], "GET /echo?a=", 12);
    resp r;
    CHECK(answer_on(fds[1], 2000, &r) == 503);
    CHECK(r.end == 0 && body_has(&r, "too many connections"));
    CHECK_STR_EQ(rhdr(&r, "Retry-After"), "1");
    np_buf_free(&r.raw);
    static const int kept[] = {0, 2, 3, 4};
    for (int k = 0; k < 4; k++)
        CHECK(silent(fds[kept[k]], 50));
    for (int k = 0; k < 4; k++) {
        int i = kept[k];
        const char *rest = " HTTP/1.1\r\n\r\n";
        send_all(fds[i], rest, strlen(rest));
        CHECK(answer_on(fds[i], 2000, &r) == 200);
        CHECK(body_has(&r, i == 0 ? "a=[0]\n" : "a=[]\n"));
        np_buf_free(&r.raw);
    }
    for (int i = 0; i < 5; i++)
        close(fds[i]);
    stop(&t);
}

/* Sends the head of a POST of len bytes and the first part bytes of its body. */
static int post_part(const srv *t, size_t len, size_t part)
{
    np_buf b = {0};
    np_buf_printf(&b, "POST /echo HTTP/1.1\r\nContent-Length: %zu\r\n\r\n", len);
    for (size_t i = 0; i < part; i++)
        np_buf_putc(&b, 'p');
    int fd = dial(t->bound);
    send_all(fd, b.data, b.len);
    np_buf_free(&b);
    return fd;
}

/* Sends n more body bytes and reads the answer's status. */
static int post_rest(int fd, size_t n)
{
    char *rest = malloc(n);
    memset(rest, 'p', n);
    send_all(fd, rest, n);
    free(rest);
    resp r;
    int st = answer_on(fd, 2000, &r);
    np_buf_free(&r.raw);
    return st;
}

TEST(http_pending_bytes_budget)
{
    /* The budget is raised to its least, one largest request: 1024 + 8192 + 1 bytes. */
    srv t;
    np_http_options o = {.max_header_bytes = 1024, .max_body_bytes = 8192, .max_pending_bytes = 1};
    START_OR_FAIL(&t, &o);
    /* Three bodies begun: their buffers hold what came (a few hundred bytes each), not 8 KiB. */
    int x[3];
    for (int i = 0; i < 3; i++) {
        x[i] = post_part(&t, 8192, 100);
        sleep_ms(30);
    }
    /* A fourth that sends most of its body needs room: the two idlest go. */
    int big = post_part(&t, 8192, 6000);
    resp r;
    for (int i = 0; i < 2; i++) {
        CHECK(answer_on(x[i], 2000, &r) == 503);
        np_buf_free(&r.raw);
    }
    CHECK(silent(x[2], 50));
    CHECK(post_rest(big, 8192 - 6000) == 200);
    CHECK(post_rest(x[2], 8192 - 100) == 200);
    for (int i = 0; i < 3; i++)
        close(x[i]);
    close(big);
    stop(&t);
}

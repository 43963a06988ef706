/* Unit tests for fetch_url.c: source-to-URL mapping against go tool pprof's adjustURL, and
 * fetching from a tiny HTTP server on 127.0.0.1 that plays every response pprof must handle. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "analyze/fetch.h"
#include "core/gz.h"
#include "unit.h"

/* ---- np_source_url ------------------------------------------------------------------------
 * Expected values come from running cmd/pprof's adjustURL (Go 1.19) on the same inputs;
 * timeouts are Go's rounded up to whole seconds (7.5s -> 8). */

static const struct {
    const char *source;
    int seconds, timeout;
    const char *url; /* NULL: not a URL, pprof opens it as a file */
    int timeout_s;
} url_cases[] = {
    {"localhost:6060", -1, -1, "http://localhost:6060/debug/pprof/profile", 60},
    {"localhost:6060", 30, -1, "http://localhost:6060/debug/pprof/profile?seconds=30", 45},
    {"localhost:6060/", -1, -1, "http://localhost:6060/debug/pprof/profile", 60},
    {"localhost:6060/debug/pprof/heap", -1, -1, "http://localhost:6060/debug/pprof/heap", 60},
    {"localhost:6060/debug/pprof/heap", 5, -1, "http://localhost:6060/debug/pprof/heap?seconds=5", 8},
    {"localhost:6060/debug/pprof/heap", 5, 10, "http://localhost:6060/debug/pprof/heap?seconds=5", 10},
    {"http://localhost:6060/debug/pprof/heap", -1, -1, "http://localhost:6060/debug/pprof/heap", 60},
    {"https://example.com/debug/pprof/profile?seconds=10", -1, -1,
     "https://example.com/debug/pprof/profile?seconds=10", 15},
    {"https://example.com/debug/pprof/profile?seconds=10", 20, -1,
     "https://example.com/debug/pprof/profile?seconds=20", 30},
    {"https://example.com/debug/pprof/profile?seconds=7", -1, -1,
     "https://example.com/debug/pprof/profile?seconds=7", 11},
    {"http://h/x?seconds=abc", -1, -1, "http://h/x?seconds=abc", 60},
    {"http://h/x?seconds=-5", -1, -1, "http://h/x?seconds=-5", 60},
    {"http://h/x?seconds=+4", -1, -1, "http://h/x?seconds=+4", 60},
    {"http://h/x?seconds=2147483648", -1, -1, "http://h/x?seconds=2147483648", 60},
    {"http://h/x?seconds=2147483647", -1, -1, "http://h/x?seconds=2147483647", 2147483647},
    {"http://h/x?seconds=", -1, -1, "http://h/x?seconds=", 60},
    {"http://h/x?seconds=1&seconds=2", -1, -1, "http://h/x?seconds=1&seconds=2", 2},
    {"http://h/x?seconds=1&seconds=2", 9, -1, "http://h/x?seconds=9", 14},
    {"http://127.0.0.1:1/x?b=1&a=2&seconds=4", 90, -1, "http://127.0.0.1:1/x?a=2&b=1&seconds=90", 135},
    {"http://h/x?", -1, -1, "http://h/x?", 60},
    {"http://h/x?", 3, -1, "http://h/x?seconds=3", 5},
    {"http://h/x?a?", -1, -1, "http://h/x?a%3F=", 60},
    {"http://h/x?b+c=%41&z", -1, -1, "http://h/x?b+c=A&z=", 60},
    {"http://h/x?x=%zz;y", -1, -1, "http://h/x", 60},
    {"http://h/x?a=1;b=2&c=3", -1, -1, "http://h/x?c=3", 60},
    {"http://h/x?a=%20&b=%2B&c=~&d=%7e", -1, -1, "http://h/x?a=+&b=%2B&c=~&d=~", 60},
    {"http://h/x?&&a=1&&", -1, -1, "http://h/x?a=1", 60},
    {"http://h/x?=v&k", -1, -1, "http://h/x?=v&k=", 60},
    {"http://h/x?B=1&a=2&A=3&b=4", -1, -1, "http://h/x?A=3&B=1&a=2&b=4", 60},
    {"HTTP://H:80", -1, -1, "http://H:80/debug/pprof/profile", 60},
    {"https+insecure://127.0.0.1:6060", -1, -1, "https+insecure://127.0.0.1:6060/debug/pprof/profile", 60},
    {"https+insecure://127.0.0.1:6060/debug/pprof/heap", 10, -1,
     "https+insecure://127.0.0.1:6060/debug/pprof/heap?seconds=10", 15},
    {"http://u:p@127.0.0.1:1/a b", -1, -1, "http://u:p@127.0.0.1:1/a%20b", 60},
    {"http://u@h/x", -1, -1, "http://u@h/x", 60},
    {"http://u%40x:p%3Aq@h/x", -1, -1, "http://u%40x:p%3Aq@h/x", 60},
    {"http://u:@h/x", -1, -1, "http://u:@h/x", 60},
    {"http://a@b@h/x", -1, -1, "http://a%40b@h/x", 60},
    {"http://u^x@h/x", -1, -1, "http://http://u%5Ex@h/x", 60},
    {"http://h/x#frag", -1, -1, "http://h/x#frag", 60},
    {"http://h#frag", -1, -1, "http://h/debug/pprof/profile#frag", 60},
    {"http://h/x#", -1, -1, "http://h/x", 60},
    {"http://h/x#a b%20c", -1, -1, "http://h/x#a%20b%20c", 60},
    {"http://h/x#%zz", -1, -1, NULL, 0},
    {"http://h/a%2Fb", -1, -1, "http://h/a%2Fb", 60},
    {"http://h/a%2fb", -1, -1, "http://h/a%2fb", 60},
    {"http://h/a%zzb", -1, -1, NULL, 0},
    {"http://h/%2F", -1, -1, "http://h/%2F", 60},
    {"http://h/a;b,c:d@e&f=g+h$i", -1, -1, "http://h/a;b,c:d@e&f=g+h$i", 60},
    {"http://h/a[b]c", -1, -1, "http://h/a[b]c", 60},
    {"http://h/\xc3\xa9", -1, -1, "http://h/%C3%A9", 60},
    {"http://h/a\"b'c<d>", -1, -1, "http://h/a%22b%27c%3Cd%3E", 60},
    {"http://%C3%A9/x", -1, -1, "http://%C3%A9/x", 60},
    {"http://%41/x", -1, -1, "http://http://%41/x", 60},
    {"http://[::1]:6060", -1, -1, "http://[::1]:6060/debug/pprof/profile", 60},
    {"http://[::1]", -1, -1, "http://[::1]/debug/pprof/profile", 60},
    {"[::1]:6060", -1, -1, "http://[::1]:6060/debug/pprof/profile", 60},
    {"http://[fe80::1%25en0]:8080/x", -1, -1, "http://[fe80::1%25en0]:8080/x", 60},
    {"http://[::1", -1, -1, "http://http://[::1", 60},
    {"http://h:port/x", -1, -1, "http://http://h:port/x", 60},
    {"http://h:/x", -1, -1, "http://h:/x", 60},
    {"h:", -1, -1, "http://h:/debug/pprof/profile", 60},
    /* A local file named "a:1" is still fetched as http://a:1/..., exactly as go tool pprof. */
    {"a:1", -1, -1, "http://a:1/debug/pprof/profile", 60},
    {"a:1/x", -1, -1, "http://a:1/x", 60},
    {"1.pb:x", -1, -1, NULL, 0},
    {"1a:80", -1, -1, "http://1a:80/debug/pprof/profile", 60},
    {"host", -1, -1, NULL, 0},
    {"host/path", -1, -1, NULL, 0},
    {"profile.pb.gz", -1, -1, NULL, 0},
    {"/tmp/x:1", -1, -1, NULL, 0},
    {"./a:1", -1, -1, NULL, 0},
    {"C:\\foo", -1, -1, NULL, 0},
    {"file:///etc/x", -1, -1, NULL, 0},
    {"file://host/x", -1, -1, "file://host/x", 60},
    {"ftp://h/x", -1, -1, "ftp://h/x", 60},
    {"//127.0.0.1:1/x", -1, -1, "//127.0.0.1:1/x", 60},
    {"///x", -1, -1, NULL, 0},
    {"mailto:x@y", -1, -1, "http://mailto:x@y/debug/pprof/profile", 60},
    {"*", -1, -1, NULL, 0},
    {"http://", -1, -1, "http://http://", 60},
    {"http:///x", -1, -1, "http://http:///x", 60},
    {"http://h", -1, -1, "http://h/debug/pprof/profile", 60},
    {"http://h?a=1", -1, -1, "http://h/debug/pprof/profile?a=1", 60},
    {"http://h:1?seconds=5", -1, -1, "http://h:1/debug/pprof/profile?seconds=5", 8},
    {"a b:1", -1, -1, NULL, 0},
    {"a\tb:1", -1, -1, NULL, 0},
    {"h:1", 0, 0, "http://h:1/debug/pprof/profile", 60},
    {"h:1", 5, 0, "http://h:1/debug/pprof/profile?seconds=5", 8},
    {"h:1", -1, 7, "http://h:1/debug/pprof/profile", 7},
    {"h:1", 1, -1, "http://h:1/debug/pprof/profile?seconds=1", 2},
    {"h:1", 3600, -1, "http://h:1/debug/pprof/profile?seconds=3600", 5400},
    {"x+y://h/p", -1, -1, "x+y://h/p", 60},
    {"-x:1", -1, -1, "http://-x:1/debug/pprof/profile", 60},
    {"h.example.com:8080/debug/pprof/goroutine?debug=2", -1, -1,
     "http://h.example.com:8080/debug/pprof/goroutine?debug=2", 60},
    {"h!$&'()*+,;=:1/x", -1, -1, "http://h!$&'()*+,;=:1/x", 60},
    {"h<x>:1", -1, -1, "http://h<x>:1/debug/pprof/profile", 60},
    {"h_x~y-z:1", -1, -1, "http://h_x~y-z:1/debug/pprof/profile", 60},
    {"h%x:1", -1, -1, NULL, 0},
};

TEST(source_url_matches_adjustURL)
{
    for (size_t i = 0; i < sizeof url_cases / sizeof *url_cases; i++) {
        char *url = (char *)"unset";
        int t = -7;
        bool is = np_source_url(url_cases[i].source, url_cases[i].seconds, url_cases[i].timeout,
                                &url, &t);
        if (!url_cases[i].url) {
            if (is)
                fprintf(stderr, "  source %s: got URL %s\n", url_cases[i].source, url);
            CHECK(!is);
            CHECK(url == NULL);
        } else {
            if (!is)
                fprintf(stderr, "  source %s: not taken as a URL\n", url_cases[i].source);
            CHECK(is);
            CHECK_STR_EQ(url, url_cases[i].url);
            if (t != url_cases[i].timeout_s)
                fprintf(stderr, "  source %s: timeout %d, want %d\n", url_cases[i].source, t,
                        url_cases[i].timeout_s);
            CHECK(t == url_cases[i].timeout_s);
        }
        free(url);
    }
}

/* ---- np_fetch_url_announce --------------------------------------------------------------- */

static char *capture_announce(const char *url, int seconds)
{
    fflush(stderr);
    FILE *tmp = tmpfile();
    int saved = dup(2);
    dup2(fileno(tmp), 2);
    np_fetch_url_announce(url, seconds);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(tmp);
    static char out[512];
    size_t n = fread(out, 1, sizeof out - 1, tmp);
    out[n] = 0;
    fclose(tmp);
    return out;
}

TEST(announce_lines)
{
    CHECK_STR_EQ(capture_announce("http://h:1/debug/pprof/heap", -1),
                 "Fetching profile over HTTP from http://h:1/debug/pprof/heap\n");
    CHECK_STR_EQ(capture_announce("http://h:1/debug/pprof/heap", 0),
                 "Fetching profile over HTTP from http://h:1/debug/pprof/heap\n");
    CHECK_STR_EQ(capture_announce("http://h:1/debug/pprof/profile?seconds=30", 30),
                 "Fetching profile over HTTP from http://h:1/debug/pprof/profile?seconds=30\n"
                 "Please wait... (30s)\n");
    CHECK_STR_EQ(capture_announce("u", 90), "Fetching profile over HTTP from u\nPlease wait... (1m30s)\n");
    CHECK_STR_EQ(capture_announce("u", 3600), "Fetching profile over HTTP from u\nPlease wait... (1h0m0s)\n");
}

/* ---- the test server ----------------------------------------------------------------------
 * One thread accepts; each connection gets its own thread so a stalled response does not
 * hold up the next test. Routes are chosen by path. */

static int srv_port;
static pthread_mutex_t srv_mu = PTHREAD_MUTEX_INITIALIZER;
static char srv_last[4096]; /* head of the last request received */
static int srv_requests;

static void send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        c += w;
        n -= (size_t)w;
    }
}

static void send_str(int fd, const char *s)
{
    send_all(fd, s, strlen(s));
}

static void respond(int fd, const char *status, const char *headers, const char *body)
{
    char head[1024];
    snprintf(head, sizeof head, "HTTP/1.1 %s\r\n%sContent-Length: %zu\r\nConnection: close\r\n\r\n",
             status, headers, strlen(body));
    send_str(fd, head);
    send_str(fd, body);
}

/* Waits until the client gives up (or 10 s pass), as a server stuck on a profile would. */
static void wait_for_close(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char b[64];
    for (int i = 0; i < 100; i++)
        if (poll(&p, 1, 100) > 0 && recv(fd, b, sizeof b, 0) <= 0)
            return;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static void serve(int fd, const char *req, const char *path)
{
    char buf[256];
    if (strcmp(path, "/ok") == 0 || strncmp(path, "/ok?", 4) == 0) {
        respond(fd, "200 OK", "Content-Type: application/octet-stream\r\n", "profile bytes");
    } else if (strcmp(path, "/notfound") == 0) {
        respond(fd, "404 Not Found", "Content-Type: text/plain; charset=utf-8\r\n", "404 page not found\n");
    } else if (strcmp(path, "/pperr") == 0) {
        respond(fd, "400 Bad Request", "Content-Type: text/plain; charset=utf-8\r\nX-Go-Pprof: 1\r\n",
                "profile duration exceeds server's WriteTimeout\n");
    } else if (strcmp(path, "/pphtml") == 0) {
        respond(fd, "500 Internal Server Error", "Content-Type: text/html\r\nX-Go-Pprof: 1\r\n", "<b>no</b>");
    } else if (strcmp(path, "/ppempty") == 0) {
        respond(fd, "500 Internal Server Error",
                "Content-Type: text/plain\r\nX-Go-Pprof:\r\nX-Go-Pprof: 1\r\n", "hidden");
    } else if (strcmp(path, "/reason") == 0) {
        respond(fd, "404 Gone Fishing", "", "");
    } else if (strcmp(path, "/redir") == 0) {
        respond(fd, "302 Found", "Location: /ok\r\n", "moved");
    } else if (strcmp(path, "/redir-abs") == 0) {
        snprintf(buf, sizeof buf, "Location: http://127.0.0.1:%d/ok?from=abs\r\n", srv_port);
        respond(fd, "301 Moved Permanently", buf, "");
    } else if (strncmp(path, "/chain/", 7) == 0) {
        int n = atoi(path + 7);
        if (n == 0) {
            respond(fd, "200 OK", "", "end of chain");
        } else {
            snprintf(buf, sizeof buf, "Location: /chain/%d\r\n", n - 1);
            respond(fd, "307 Temporary Redirect", buf, "");
        }
    } else if (strcmp(path, "/noloc") == 0) {
        respond(fd, "302 Found", "", "");
    } else if (strcmp(path, "/multi") == 0) {
        respond(fd, "300 Multiple Choices", "Location: /ok\r\n", "");
    } else if (strcmp(path, "/toftp") == 0) {
        respond(fd, "302 Found", "Location: ftp://files.example/x\r\n", "");
    } else if (strcmp(path, "/interim") == 0) {
        send_str(fd, "HTTP/1.1 100 Continue\r\n\r\n");
        respond(fd, "200 OK", "", "after interim");
    } else if (strcmp(path, "/gzip") == 0) {
        np_buf z = {0};
        np_err e;
        np_gzip("unzipped by the client", 22, &z, &e);
        snprintf(buf, sizeof buf,
                 "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n", z.len);
        send_str(fd, buf);
        send_all(fd, z.data, z.len);
        np_buf_free(&z);
    } else if (strcmp(path, "/slow") == 0) {
        wait_for_close(fd);
    } else if (strcmp(path, "/slowbody") == 0) {
        /* Headers at once, body late: Go's timeout covers only the headers. */
        send_str(fd, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nslow");
        sleep_ms(1800);
        send_str(fd, " body");
    } else if (strcmp(path, "/close") == 0) {
        /* nothing: the connection closes without a response */
    } else if (strcmp(path, "/trunc") == 0) {
        send_str(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b");
    } else if (strncmp(req, "GET http://", 11) == 0) {
        respond(fd, "200 OK", "", "via proxy");
    } else {
        respond(fd, "404 Not Found", "", "no route");
    }
}

static void *conn_main(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char req[4096];
    size_t n = 0;
    while (n < sizeof req - 1) {
        ssize_t r = recv(fd, req + n, sizeof req - 1 - n, 0);
        if (r <= 0)
            break;
        n += (size_t)r;
        req[n] = 0;
        if (strstr(req, "\r\n\r\n") || req[0] == 0x16)
            break;
    }
    req[n] = 0;
    if (n > 0 && req[0] == 0x16) {
        /* A TLS hello: answer like Go's server does to one, with a 400, and hang up. */
        send_str(fd, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
        close(fd);
        return NULL;
    }
    pthread_mutex_lock(&srv_mu);
    snprintf(srv_last, sizeof srv_last, "%s", req);
    srv_requests++;
    pthread_mutex_unlock(&srv_mu);

    char path[1024] = "";
    const char *sp = strchr(req, ' ');
    if (sp) {
        size_t pn = strcspn(sp + 1, " \r\n");
        if (pn < sizeof path) {
            memcpy(path, sp + 1, pn);
            path[pn] = 0;
        }
    }
    serve(fd, req, path);
    shutdown(fd, SHUT_WR);
    close(fd);
    return NULL;
}

static void *accept_main(void *arg)
{
    int ls = (int)(intptr_t)arg;
    for (;;) {
        int fd = accept(ls, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR)
                continue;
            return NULL;
        }
        pthread_t t;
        if (pthread_create(&t, NULL, conn_main, (void *)(intptr_t)fd) == 0)
            pthread_detach(t);
        else
            close(fd);
    }
}

/* A port on 127.0.0.1 that nothing listens on: bound, then closed. */
static int closed_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    bind(s, (struct sockaddr *)&a, sizeof a);
    getsockname(s, (struct sockaddr *)&a, &al);
    close(s);
    return ntohs(a.sin_port);
}

static int start_server(void)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 64) < 0 ||
        getsockname(ls, (struct sockaddr *)&a, &al) < 0) {
        perror("test server");
        exit(2);
    }
    pthread_t t;
    pthread_create(&t, NULL, accept_main, (void *)(intptr_t)ls);
    pthread_detach(t);
    return ntohs(a.sin_port);
}

/* FETCH_URL_SERVE=1 runs only the server, to point go tool pprof at it and compare. */
__attribute__((constructor(200))) static void maybe_serve_only(void)
{
    if (!getenv("FETCH_URL_SERVE"))
        return;
    srv_port = start_server();
    printf("serving on 127.0.0.1:%d\n", srv_port);
    fflush(stdout);
    for (;;) {
        sleep(1);
        pthread_mutex_lock(&srv_mu);
        if (srv_last[0]) {
            printf("---\n%s", srv_last);
            fflush(stdout);
            srv_last[0] = 0;
        }
        pthread_mutex_unlock(&srv_mu);
    }
}

static const char *url_to(const char *path)
{
    static char u[256];
    if (!srv_port)
        srv_port = start_server();
    snprintf(u, sizeof u, "http://127.0.0.1:%d%s", srv_port, path);
    return u;
}

/* Fetches and returns the error text ("" on success, body in *got). */
static const char *fetch(const char *url, int timeout_s, np_buf *got)
{
    static np_err err;
    np_buf body = {0};
    err.msg[0] = 0;
    int rc = np_fetch_url(url, timeout_s, &body, &err);
    if (rc == 0 && err.msg[0])
        snprintf(err.msg, sizeof err.msg, "rc 0 with error set");
    if (rc != 0 && !err.msg[0])
        snprintf(err.msg, sizeof err.msg, "rc %d without an error", rc);
    if (got)
        *got = body;
    else
        np_buf_free(&body);
    return err.msg;
}

static const char *want_get(const char *url, const char *why)
{
    static char w[1024];
    snprintf(w, sizeof w, "Get \"%s\": %s", url, why);
    return w;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- np_fetch_url ------------------------------------------------------------------------ */

TEST(fetch_ok_and_request_shape)
{
    np_buf body = {0};
    CHECK_STR_EQ(fetch(url_to("/ok"), 60, &body), "");
    CHECK_STR_EQ(np_buf_cstr(&body), "profile bytes");
    np_buf_free(&body);
    pthread_mutex_lock(&srv_mu);
    /* The request Go's client sends: no Accept, Go's agent, gzip offered. */
    CHECK(strncmp(srv_last, "GET /ok HTTP/1.1\r\n", 18) == 0);
    CHECK(strstr(srv_last, "\r\nUser-Agent: Go-http-client/1.1\r\n") != NULL);
    CHECK(strstr(srv_last, "\r\nAccept-Encoding: gzip\r\n") != NULL);
    CHECK(strstr(srv_last, "\r\nAccept:") == NULL);
    pthread_mutex_unlock(&srv_mu);

    /* The fragment stays on our side, the query goes out. */
    CHECK_STR_EQ(fetch(url_to("/ok?seconds=1#frag"), 60, NULL), "");
    pthread_mutex_lock(&srv_mu);
    CHECK(strncmp(srv_last, "GET /ok?seconds=1 HTTP/1.1\r\n", 28) == 0);
    pthread_mutex_unlock(&srv_mu);

    /* Appends to a buffer that already holds data. */
    np_buf pre = {0};
    np_buf_puts(&pre, "x:");
    np_err err;
    CHECK(np_fetch_url(url_to("/ok"), 60, &pre, &err) == 0);
    CHECK_STR_EQ(np_buf_cstr(&pre), "x:profile bytes");
    np_buf_free(&pre);
}

TEST(fetch_basic_auth_from_url)
{
    char u[256];
    url_to("");
    snprintf(u, sizeof u, "http://u:p@127.0.0.1:%d/ok", srv_port);
    CHECK_STR_EQ(fetch(u, 60, NULL), "");
    pthread_mutex_lock(&srv_mu);
    CHECK(strstr(srv_last, "\r\nAuthorization: Basic dTpw\r\n") != NULL);
    pthread_mutex_unlock(&srv_mu);
}

TEST(fetch_status_errors)
{
    CHECK_STR_EQ(fetch(url_to("/notfound"), 60, NULL), "server response: 404 Not Found");
    CHECK_STR_EQ(fetch(url_to("/pperr"), 60, NULL),
                 "server response: 400 Bad Request - profile duration exceeds server's WriteTimeout\n");
    /* The body is shown only for text/plain, and only if the first X-Go-Pprof is non-empty. */
    CHECK_STR_EQ(fetch(url_to("/pphtml"), 60, NULL), "server response: 500 Internal Server Error");
    CHECK_STR_EQ(fetch(url_to("/ppempty"), 60, NULL), "server response: 500 Internal Server Error");
    CHECK_STR_EQ(fetch(url_to("/reason"), 60, NULL), "server response: 404 Gone Fishing");
    CHECK_STR_EQ(fetch(url_to("/nowhere"), 60, NULL), "server response: 404 Not Found");
}

TEST(fetch_redirects)
{
    np_buf body = {0};
    CHECK_STR_EQ(fetch(url_to("/redir"), 60, &body), "");
    CHECK_STR_EQ(np_buf_cstr(&body), "profile bytes");
    np_buf_free(&body);

    CHECK_STR_EQ(fetch(url_to("/redir-abs"), 60, NULL), "");
    pthread_mutex_lock(&srv_mu);
    CHECK(strncmp(srv_last, "GET /ok?from=abs HTTP/1.1\r\n", 27) == 0);
    pthread_mutex_unlock(&srv_mu);

    /* Go sends at most 10 requests: 9 redirects are followed, the 10th is refused and the
     * error names its Location. */
    pthread_mutex_lock(&srv_mu);
    srv_requests = 0;
    pthread_mutex_unlock(&srv_mu);
    CHECK_STR_EQ(fetch(url_to("/chain/9"), 60, &body), "");
    CHECK_STR_EQ(np_buf_cstr(&body), "end of chain");
    np_buf_free(&body);
    pthread_mutex_lock(&srv_mu);
    CHECK(srv_requests == 10);
    srv_requests = 0;
    pthread_mutex_unlock(&srv_mu);
    CHECK_STR_EQ(fetch(url_to("/chain/10"), 60, NULL), "Get \"/chain/0\": stopped after 10 redirects");
    pthread_mutex_lock(&srv_mu);
    CHECK(srv_requests == 10);
    pthread_mutex_unlock(&srv_mu);

    /* Not followed: no Location, or a 3xx Go does not follow. */
    CHECK_STR_EQ(fetch(url_to("/noloc"), 60, NULL), "server response: 302 Found");
    CHECK_STR_EQ(fetch(url_to("/multi"), 60, NULL), "server response: 300 Multiple Choices");
    CHECK_STR_EQ(fetch(url_to("/toftp"), 60, NULL),
                 "Get \"ftp://files.example/x\": unsupported protocol scheme \"ftp\"");
}

TEST(fetch_interim_and_gzip)
{
    np_buf body = {0};
    CHECK_STR_EQ(fetch(url_to("/interim"), 60, &body), "");
    CHECK_STR_EQ(np_buf_cstr(&body), "after interim");
    np_buf_free(&body);
    CHECK_STR_EQ(fetch(url_to("/gzip"), 60, &body), "");
    CHECK_STR_EQ(np_buf_cstr(&body), "unzipped by the client");
    np_buf_free(&body);
}

TEST(fetch_transport_errors)
{
    char u[256], why[256];
    int p = closed_port();
    snprintf(u, sizeof u, "http://127.0.0.1:%d/debug/pprof/profile", p);
    snprintf(why, sizeof why, "dial tcp 127.0.0.1:%d: connect: connection refused", p);
    CHECK_STR_EQ(fetch(u, 60, NULL), want_get(u, why));

    /* The password never shows in errors. */
    snprintf(u, sizeof u, "http://u:secret@127.0.0.1:%d/x", p);
    char shown[256];
    snprintf(shown, sizeof shown, "http://u:***@127.0.0.1:%d/x", p);
    CHECK_STR_EQ(fetch(u, 60, NULL), want_get(shown, why));

    /* https+insecure is https on the wire: the error names the https URL. */
    snprintf(u, sizeof u, "https+insecure://127.0.0.1:%d/x", p);
    snprintf(shown, sizeof shown, "https://127.0.0.1:%d/x", p);
    CHECK_STR_EQ(fetch(u, 60, NULL), want_get(shown, why));

    CHECK_STR_EQ(fetch("ftp://h/x", 60, NULL), "Get \"ftp://h/x\": unsupported protocol scheme \"ftp\"");
    CHECK_STR_EQ(fetch("//127.0.0.1:1/x", 60, NULL),
                 "Get \"//127.0.0.1:1/x\": unsupported protocol scheme \"\"");

    CHECK_STR_EQ(fetch(url_to("/close"), 60, NULL), want_get(url_to("/close"), "EOF"));
    /* A short body surfaces as the body reader's error, without the Get prefix. */
    CHECK_STR_EQ(fetch(url_to("/trunc"), 60, NULL), "unexpected EOF");

    /* TLS against a plain HTTP server fails in the handshake, under the https URL. */
    snprintf(u, sizeof u, "https+insecure://127.0.0.1:%d/ok", srv_port);
    snprintf(shown, sizeof shown, "Get \"https://127.0.0.1:%d/ok\": ", srv_port);
    const char *e = fetch(u, 60, NULL);
    CHECK(strncmp(e, shown, strlen(shown)) == 0);
}

TEST(fetch_header_timeout)
{
    /* timeout_s + 5 s bounds the wait for headers; -4 makes that 1 s. */
    double t0 = now_s();
    CHECK_STR_EQ(fetch(url_to("/slow"), -4, NULL),
                 want_get(url_to("/slow"), "net/http: timeout awaiting response headers"));
    double dt = now_s() - t0;
    CHECK(dt >= 0.9 && dt < 4);

    /* A body slower than the limit is fine once the headers are in. */
    np_buf body = {0};
    t0 = now_s();
    CHECK_STR_EQ(fetch(url_to("/slowbody"), -4, &body), "");
    CHECK_STR_EQ(np_buf_cstr(&body), "slow body");
    CHECK(now_s() - t0 >= 1.5);
    np_buf_free(&body);
}

TEST(fetch_proxy_from_environment)
{
    char proxy[64];
    url_to("");
    snprintf(proxy, sizeof proxy, "127.0.0.1:%d", srv_port);

    /* Upper-case HTTP_PROXY counts (curl alone would ignore it); no scheme means http. */
    unsetenv("NO_PROXY");
    unsetenv("no_proxy");
    setenv("HTTP_PROXY", proxy, 1);
    np_buf body = {0};
    CHECK_STR_EQ(fetch("http://profiled.example/debug/pprof/heap", 60, &body), "");
    CHECK_STR_EQ(np_buf_cstr(&body), "via proxy");
    np_buf_free(&body);
    pthread_mutex_lock(&srv_mu);
    CHECK(strncmp(srv_last, "GET http://profiled.example/debug/pprof/heap HTTP/1.1\r\n", 55) == 0);
    pthread_mutex_unlock(&srv_mu);

    /* Loopback is never proxied: a dead proxy does not matter. */
    char dead[64];
    snprintf(dead, sizeof dead, "http://127.0.0.1:%d", closed_port());
    setenv("HTTP_PROXY", dead, 1);
    CHECK_STR_EQ(fetch(url_to("/ok"), 60, NULL), "");
    unsetenv("HTTP_PROXY");
}

TEST(fetch_many_in_a_row)
{
    /* Handles and global state survive repeated use (and ASan sees no leak). */
    for (int i = 0; i < 20; i++) {
        np_buf body = {0};
        CHECK_STR_EQ(fetch(url_to(i % 2 ? "/ok" : "/redir"), 60, &body), "");
        np_buf_free(&body);
    }
}

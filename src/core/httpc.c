/* The loopback HTTP client: one connection per request, Connection: close, the answer read to
 * its end (its Content-Length when given). */
#include "core/httpc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Waits until fd is ready for events or the deadline passes; false on timeout or error. */
static bool wait_ready(int fd, short events, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return false;
        struct pollfd p = {fd, events, 0};
        int rc = poll(&p, 1, (int)(left > 1000000 ? 1000000 : left));
        if (rc > 0)
            return true;
        if (rc < 0 && errno != EINTR)
            return false;
    }
}

/* addr "HOST:PORT" with a numeric IPv4 or [IPv6] host. */
static int parse_addr(const char *addr, struct sockaddr_storage *ss, socklen_t *len)
{
    const char *colon = strrchr(addr, ':');
    if (!colon)
        return -1;
    char host[64];
    size_t hl = (size_t)(colon - addr);
    if (hl >= sizeof host)
        return -1;
    memcpy(host, addr, hl);
    host[hl] = 0;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port <= 0 || port > 65535)
        return -1;
    memset(ss, 0, sizeof *ss);
    if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
        host[hl - 1] = 0;
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        *len = sizeof *a;
        return inet_pton(AF_INET6, host + 1, &a->sin6_addr) == 1 ? 0 : -1;
    }
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    *len = sizeof *a;
    return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
}

static int connect_to(const char *addr, int64_t deadline, np_err *err)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    if (parse_addr(addr, &ss, &sl) < 0)
        return np_fail(err, "%s: not a numeric host:port", addr);
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return np_fail(err, "socket: %s", strerror(errno));
    if (connect(fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS) {
        np_fail(err, "connect %s: %s", addr, strerror(errno));
        close(fd);
        return -1;
    }
    int soerr = 0;
    socklen_t el = sizeof soerr;
    if (!wait_ready(fd, POLLOUT, deadline) || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &el) < 0 || soerr) {
        np_fail(err, "connect %s: %s", addr, soerr ? strerror(soerr) : "timed out");
        close(fd);
        return -1;
    }
    return fd;
}

static int send_all(int fd, const char *p, size_t n, int64_t deadline)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
        } else if (w < 0 && errno == EINTR) {
            continue;
        } else if (w < 0 && errno == EAGAIN && wait_ready(fd, POLLOUT, deadline)) {
            continue;
        } else {
            return -1;
        }
    }
    return 0;
}

/* Reads until the peer closes, the answer is complete (head plus Content-Length) or the
 * deadline passes; 0 when it ended well. */
static int read_answer(int fd, np_buf *raw, int64_t deadline)
{
    for (;;) {
        np_buf_reserve(raw, 65536);
        ssize_t n = recv(fd, raw->data + raw->len, raw->cap - raw->len, 0);
        if (n > 0) {
            raw->len += (size_t)n;
            continue;
        }
        if (n == 0)
            return 0;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN || !wait_ready(fd, POLLIN, deadline))
            return -1;
    }
}

/* The value of header name in the head (lines after the status line), copied into out. */
static void header(const char *head, const char *name, char *out, size_t cap)
{
    out[0] = 0;
    size_t nl = strlen(name);
    for (const char *line = strstr(head, "\r\n"); line && line[2]; line = strstr(line + 2, "\r\n")) {
        const char *h = line + 2;
        if (strncasecmp(h, name, nl) == 0 && h[nl] == ':') {
            const char *v = h + nl + 1, *end = strstr(v, "\r\n");
            while (*v == ' ' || *v == '\t')
                v++;
            size_t len = end ? (size_t)(end - v) : strlen(v);
            snprintf(out, cap, "%.*s", (int)len, v);
            return;
        }
    }
}

static int parse_answer(np_buf *raw, np_httpc_reply *out, np_err *err)
{
    np_buf_cstr(raw);
    char *end = strstr(raw->data, "\r\n\r\n");
    int status;
    if (!end || sscanf(raw->data, "HTTP/1.%*[01] %3d", &status) != 1)
        return np_fail(err, "not an HTTP answer");
    end[2] = 0; /* the head, each line ending in CRLF */
    char len[32];
    header(raw->data, "Content-Length", len, sizeof len);
    header(raw->data, "Content-Type", out->content_type, sizeof out->content_type);
    header(raw->data, "Content-Disposition", out->disposition, sizeof out->disposition);
    const char *body = end + 4;
    size_t have = raw->len - (size_t)(body - raw->data);
    if (len[0] && strtoull(len, NULL, 10) != have)
        return np_fail(err, "answer cut short: %zu of %s bytes", have, len);
    out->status = status;
    np_buf_add(&out->body, body, have);
    return 0;
}

int np_httpc_get(const char *addr, const char *target, const char *auth, int timeout_ms,
                 np_httpc_reply *out, np_err *err)
{
    memset(out, 0, sizeof *out);
    int64_t deadline = now_ms() + timeout_ms;
    int fd = connect_to(addr, deadline, err);
    if (fd < 0)
        return -1;
    np_buf req = {0}, raw = {0};
    np_buf_printf(&req, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", target, addr);
    if (auth && *auth)
        np_buf_printf(&req, "Authorization: %s\r\n", auth);
    np_buf_puts(&req, "\r\n");
    int rc = -1;
    if (send_all(fd, req.data, req.len, deadline) < 0)
        np_fail(err, "%s: cannot send the request: %s", addr, strerror(errno));
    else if (read_answer(fd, &raw, deadline) < 0)
        np_fail(err, "%s: no complete answer within %d ms", addr, timeout_ms);
    else
        rc = parse_answer(&raw, out, err);
    close(fd);
    np_buf_free(&req);
    np_buf_free(&raw);
    if (rc < 0)
        np_buf_free(&out->body);
    return rc;
}

/* The HTTP/1.1 server behind /debug/pprof and the web UI: one thread polls every connection until
 * its request is whole, and a thread per complete request runs the handler and answers. */
#include "core/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

enum {
    DEF_MAX_CONN = 16,
    CAP_MAX_CONN = 1024,       /* one thread each: keep a typo from spawning 100k threads */
    DEF_MAX_PENDING = 256,
    MIN_MAX_PENDING = 8,
    CAP_MAX_PENDING = 4096,
    PENDING_FD_SHARE = 4,      /* pending connections take at most this fraction of the fd limit */
    DEF_PENDING_BYTES = 8 << 20,
    FIRST_BUF = 256,           /* a request buffer starts this small and doubles as bytes arrive */
    READ_ROUND = 64 * 1024,    /* per connection and poll round, so none starves the rest */
    DEF_REQUEST_MS = 10000,
    DEF_WRITE_MS = 60000,
    DEF_STOP_MS = 2000,
    DEF_MAX_HEADER = 16 * 1024,
    MIN_MAX_HEADER = 256,      /* below this not even a plain GET with curl's headers fits */
    CAP_MAX_HEADER = 1 << 20,
    DEF_MAX_BODY = 1 << 20,
    MAX_HEADERS = 100,         /* header lines per request; more gets 431 */
    LINGER_MS = 1000,          /* after an early answer, how long we read and discard */
    LINGER_BYTES = 256 * 1024,
    ACCEPT_POLL_MS = 1000,     /* the wake pipe ends waits at once; this only re-checks flags */
    ACCEPT_BACKOFF_MS = 100,   /* out of fds: pause so a full backlog does not spin us */
    ACCEPT_BURST = 16,
};

/* Which open file a descriptor was when we opened it, to tell it from a reused number. */
typedef struct fid {
    dev_t dev;
    ino_t ino;
} fid;

/* What the request line and headers said, parsed in place. */
typedef struct head {
    char *method, *target;
    int minor;
    np_http_header *hdrs;
    size_t n_hdrs;
    bool has_cl, has_te, expect_continue;
    size_t cl;
    const char *auth;
} head;

/* A request: being completed by the polling thread, then whole and answered by a worker. */
typedef struct conn {
    np_http_server *s;
    int fd, slot;
    fid id;
    char *buf;       /* the request line and headers, parsed in place */
    head h;          /* h.hdrs is a copy of exactly h.n_hdrs entries */
    char *pathq;     /* decoded path, NUL, raw query */
    const char *path, *query;
    char *body;      /* h.cl bytes once whole, then a NUL; NULL until body bytes arrive */
    size_t body_len, body_cap;
    char peer[64];
} conn;

enum pstate {
    P_FREE,
    P_HEAD,   /* reading the request line and headers */
    P_BODY,   /* reading the body of a request whose head was accepted */
    P_LINGER, /* answered early: reading and discarding what the client still sends */
};

/* A connection on the polling thread, from accept until its request is whole (or answered).
 * Kept small: the table of them is mapped up front, and most hold a few hundred bytes. */
typedef struct pend {
    atomic_int fd1;   /* the descriptor plus one, 0 when free (a fork child closes them): a
                         table of zeros is all free, and costs nothing until connections come */
    unsigned char state;
    fid id;
    int64_t last;     /* when bytes last arrived (else when accepted): the idlest goes first */
    int64_t deadline; /* for the whole request (408), or for the end of lingering */
    char *buf;        /* P_HEAD: what has arrived, cap bytes allocated */
    size_t len, cap;  /* in P_LINGER, len counts the bytes discarded */
    size_t start;     /* where the request line begins (empty lines before it are skipped) */
    size_t scan;      /* how far the search for the end of the head has got */
    size_t held;      /* bytes of buffers counted in the server's pend_bytes */
    conn *c;          /* P_BODY: the request whose body is arriving */
} pend;

struct np_http_server {
    np_http_options opt; /* defaults filled in; addr and bearer_token not kept */
    char *token;         /* owned copy, NULL when no token is required */
    size_t token_len;
    np_http_handler handler;
    void *ctx;

    int lfd;
    fid lid;         /* identity of lfd, so we never close a number the host has reused */
    int wake[2];     /* a byte written on stop makes every poll in every thread return */
    fid wid[2];
    pthread_t acceptor;
    bool acceptor_started;
    atomic_int stopping;

    /* The polling thread's alone, but for the fds a fork child reads from pend. */
    int64_t backoff_until;
    pend *pend;          /* opt.max_pending entries */
    int n_pend;          /* entries not free */
    size_t pend_bytes;   /* request buffers they hold, at most opt.max_pending_bytes */
    struct pollfd *pfd;  /* the poll set, 2 + opt.max_pending */
    int *pidx;           /* the pend entry of each pfd after the first two */

    pthread_mutex_t mu;
    pthread_cond_t cv;  /* signalled when a worker exits */
    int active;         /* live workers, under mu */
    bool abandoned;     /* stop gave up waiting: the last worker frees the server, under mu */
    atomic_int *conn_fds; /* max_connections slots (-1 = free) so a fork child can close them */
};

struct np_http_response {
    conn *c;
    int status;
    np_buf head; /* the handler's header lines, already validated, CRLF-terminated */
    np_buf body;
    bool has_type;
    bool streamed;    /* head sent by np_http_flush: the body is delimited by the close */
    bool send_failed; /* a flush could not send: nothing more goes out */
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool stopping(const np_http_server *s)
{
    return atomic_load((atomic_int *)&s->stopping) != 0;
}

/* ASCII-only case folding: strcasecmp follows the host's LC_CTYPE, which we must not depend on. */
static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static bool ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (lower((unsigned char)*a) != lower((unsigned char)*b))
            return false;
    return *a == *b;
}

static bool is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_token(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_tchar((unsigned char)s[i]))
            return false;
    return true;
}

static const char *reason(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "";
    }
}

/* The Date header, computed from days since the epoch rather than with gmtime_r/strftime: those
 * take glibc's timezone lock (a fork hazard in a host process) and follow the host's LC_TIME. */
static void put_date(np_buf *b)
{
    static const char wd[7][4] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
    static const char mn[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t t = ts.tv_sec < 0 ? 0 : ts.tv_sec;
    int64_t days = t / 86400, secs = t % 86400;
    /* Civil date from a day count, with years starting in March so leap days fall last. */
    int64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = yoe + era * 400 + (m <= 2);
    np_buf_printf(b, "Date: %s, %02d %s %04d %02d:%02d:%02d GMT\r\n", wd[days % 7], (int)d,
                  mn[m - 1], (int)y, (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
}

/* True if fd is still the object we opened: programs that close every descriptor
 * (daemonisers, closefrom) may have handed the number to something of their own, which we
 * must never close, write or accept on. */
static bool is_own(int fd, const fid *id)
{
    struct stat now;
    return fd >= 0 && fstat(fd, &now) == 0 && now.st_dev == id->dev && now.st_ino == id->ino;
}

static int get_fid(int fd, fid *id)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -1;
    id->dev = st.st_dev;
    id->ino = st.st_ino;
    return 0;
}

static void close_own(int fd, const fid *id)
{
    if (is_own(fd, id))
        close(fd);
}

/* Waits until fd is ready for ev, the deadline passes or the server stops; the wake pipe is in
 * every poll so stop interrupts every wait. Returns 1 ready, 0 timed out, -1 stopping/error. */
static int wait_fd(np_http_server *s, int fd, short ev, int64_t deadline)
{
    for (;;) {
        if (stopping(s))
            return -1;
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return 0;
        struct pollfd p[2] = {{.fd = fd, .events = ev}, {.fd = s->wake[0], .events = POLLIN}};
        int n = poll(p, 2, left > INT_MAX ? INT_MAX : (int)left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || p[1].revents)
            return -1;
        if (p[0].revents) /* errors and hangups too: the next recv/send reports them */
            return 1;
    }
}

/* Sends every byte of iov before the deadline. Returns 0, or -1 on error, timeout or stop. */
static int write_all(conn *c, struct iovec *iov, int niov, int64_t deadline)
{
    while (niov > 0) {
        if (iov->iov_len == 0) {
            iov++, niov--;
            continue;
        }
        struct msghdr m = {.msg_iov = iov, .msg_iovlen = (size_t)niov};
        /* MSG_NOSIGNAL: a vanished client must not raise SIGPIPE in the host process. */
        ssize_t w = sendmsg(c->fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                return -1;
            /* Try at least once more when stopping (the wait fails at once), so small answers
             * still leave; large ones to a slow reader are abandoned. */
            if (wait_fd(c->s, c->fd, POLLOUT, deadline) != 1)
                return -1;
            continue;
        }
        size_t done = (size_t)w;
        while (niov > 0 && done >= iov->iov_len) {
            done -= iov->iov_len;
            iov++, niov--;
        }
        if (niov > 0) {
            iov->iov_base = (char *)iov->iov_base + done;
            iov->iov_len -= done;
        }
    }
    return 0;
}

/* Ends a worker's connection, whose whole request was read. Closing a socket with unread input
 * makes the kernel send a reset, which can destroy a response the client has not read yet; so
 * unless aborting, we stop sending and first discard what has arrived since. An abort (the
 * client stopped reading) resets at once to free the kernel's buffers. */
static void close_conn(conn *c, bool abort)
{
    np_http_server *s = c->s;
    char sink[4096];
    if (abort) {
        struct linger l = {.l_onoff = 1, .l_linger = 0};
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    } else {
        shutdown(c->fd, SHUT_WR);
        size_t total = 0;
        while (total < LINGER_BYTES) {
            ssize_t r = recv(c->fd, sink, sizeof sink, MSG_DONTWAIT);
            if (r > 0)
                total += (size_t)r;
            else if (r == 0 || errno != EINTR)
                break;
        }
    }
    /* Forget the slot before closing: a fork child closes what the slots list, so a slot must
     * never name a descriptor number that is no longer ours. */
    atomic_store(&s->conn_fds[c->slot], -1);
    close_own(c->fd, &c->id);
    c->fd = -1;
}

/* ---- responses ---- */

void np_http_set_status(np_http_response *r, int status)
{
    if (r)
        r->status = status;
}

void np_http_add_header(np_http_response *r, const char *name, const char *value)
{
    if (!r || !name || !value || !is_token(name, strlen(name)))
        return;
    /* A CR or LF in a value would let a caller's data forge headers or a second response. */
    for (const char *p = value; *p; p++)
        if (*p == '\r' || *p == '\n')
            return;
    /* Framing headers are the server's: a wrong Content-Length would desynchronise the client. */
    if (ieq(name, "Content-Length") || ieq(name, "Transfer-Encoding") || ieq(name, "Connection") ||
        ieq(name, "Date"))
        return;
    if (ieq(name, "Content-Type"))
        r->has_type = true;
    np_buf_printf(&r->head, "%s: %s\r\n", name, value);
}

void np_http_write(np_http_response *r, const void *data, size_t len)
{
    if (r && data && len)
        np_buf_add(&r->body, data, len);
}

void np_http_printf(np_http_response *r, const char *fmt, ...)
{
    if (!r || !fmt)
        return;
    va_list ap;
    va_start(ap, fmt);
    np_buf_vprintf(&r->body, fmt, ap);
    va_end(ap);
}

bool np_http_client_gone(const np_http_response *r)
{
    if (!r || !r->c || r->c->fd < 0 || stopping(r->c->s))
        return true;
    struct pollfd p = {.fd = r->c->fd, .events = POLLIN | POLLRDHUP};
    if (poll(&p, 1, 0) <= 0)
        return false;
    /* A half-close (POLLRDHUP) counts as gone, as in Go: the client can send nothing more and
     * almost always has stopped waiting too. */
    if (p.revents & (POLLHUP | POLLERR | POLLRDHUP | POLLNVAL))
        return true;
    char b;
    ssize_t n = recv(r->c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0)
        return true;
    return n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
}

/* Writes the status line and header section of r into h. Returns whether a body follows
 * (not for 1xx, 204 and 304; HEAD is the caller's business). */
static bool put_head(np_buf *h, const np_http_response *r)
{
    int st = r->status;
    if (st < 100 || st > 999)
        st = 500;
    bool bodiless = st < 200 || st == 204 || st == 304;
    np_buf_printf(h, "HTTP/1.1 %d %s\r\n", st, reason(st));
    put_date(h);
    if (!bodiless) {
        if (!r->has_type)
            np_buf_puts(h, "Content-Type: text/plain; charset=utf-8\r\n");
        /* A streamed body has no length: the close after it ends it (we always close). */
        if (!r->streamed)
            np_buf_printf(h, "Content-Length: %zu\r\n", r->body.len);
    }
    np_buf_puts(h, "Connection: close\r\nX-Content-Type-Options: nosniff\r\n");
    if (r->head.len)
        np_buf_add(h, r->head.data, r->head.len);
    np_buf_puts(h, "\r\n");
    return !bodiless;
}

static bool head_only_request(const conn *c)
{
    return strcmp(c->h.method, "HEAD") == 0;
}

/* Sends the response, or what a flush left of it; HEAD and bodiless statuses send headers
 * only. Returns 0 or -1. */
static int send_response(conn *c, np_http_response *r, bool head_only)
{
    if (r->send_failed)
        return -1;
    np_buf h = {0};
    bool body;
    if (r->streamed)
        body = !head_only && r->body.len > 0;
    else
        body = put_head(&h, r) && !head_only && r->body.len > 0;
    struct iovec iov[2] = {{h.data, h.len}, {r->body.data, r->body.len}};
    int rc = write_all(c, iov, body ? 2 : 1, now_ms() + c->s->opt.write_timeout_ms);
    np_buf_free(&h);
    r->body.len = 0;
    return rc;
}

void np_http_flush(np_http_response *r)
{
    if (!r->c || r->send_failed)
        return;
    bool head_only = head_only_request(r->c);
    if (!r->streamed) {
        r->streamed = true;
        np_buf h = {0};
        if (!put_head(&h, r))
            head_only = true;
        if (!head_only && r->body.len)
            np_buf_add(&h, r->body.data, r->body.len);
        struct iovec iov = {h.data, h.len};
        r->send_failed = write_all(r->c, &iov, 1, now_ms() + r->c->s->opt.write_timeout_ms) < 0;
        np_buf_free(&h);
        r->body.len = 0;
        return;
    }
    if (!head_only && r->body.len)
        r->send_failed = send_response(r->c, r, false) < 0;
    r->body.len = 0;
}

/* A server-made answer: status, one extra header if hname is set, a one-line text body. */
static void error_response(np_http_response *r, int status, const char *hname, const char *hvalue,
                           const char *why)
{
    r->status = status;
    np_buf_printf(&r->body, "%s\n", why);
    if (hname)
        np_http_add_header(r, hname, hvalue);
}

/* Answers from a worker with a server-made status. */
static int send_error(conn *c, int status, const char *why)
{
    np_http_response r = {.c = c};
    error_response(&r, status, NULL, NULL, why);
    int rc = send_response(c, &r, false);
    np_buf_free(&r.body);
    np_buf_free(&r.head);
    return rc;
}

/* Answers from the polling thread, which must not wait: such an answer is small and meets an
 * empty send buffer, so it leaves at once; a client that does not let it in loses it. */
static void send_now(int fd, int status, const char *hname, const char *hvalue, const char *why)
{
    np_http_response r = {0};
    np_buf out = {0};
    error_response(&r, status, hname, hvalue, why);
    put_head(&out, &r);
    np_buf_add(&out, r.body.data, r.body.len);
    (void)!send(fd, out.data, out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
    np_buf_free(&out);
    np_buf_free(&r.body);
    np_buf_free(&r.head);
}

/* ---- request parsing ---- */

/* Decodes %XX escapes (and '+' as space when plus) of s[0..n) into out, which needs n bytes.
 * Returns the decoded length, or -1 on a malformed escape. */
static long pct_decode(const char *s, size_t n, bool plus, char *out)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == '%') {
            if (n - i < 3)
                return -1;
            const char *h1 = s[i + 1] ? strchr(hex, lower((unsigned char)s[i + 1])) : NULL;
            const char *h2 = s[i + 2] ? strchr(hex, lower((unsigned char)s[i + 2])) : NULL;
            if (!h1 || !h2)
                return -1;
            out[o++] = (char)((h1 - hex) << 4 | (h2 - hex));
            i += 2;
        } else {
            out[o++] = plus && ch == '+' ? ' ' : ch;
        }
    }
    return (long)o;
}

/* Finds the end of the header section (just past its empty line) in b[0..n), scanning from
 * *from; lines may end in CRLF or a bare LF. Returns 0 while the section is incomplete. */
static size_t head_end(const char *b, size_t n, size_t *from)
{
    size_t i = *from;
    for (; i < n; i++) {
        if (b[i] != '\n')
            continue;
        if (i + 1 < n && b[i + 1] == '\n')
            return i + 2;
        if (i + 2 < n && b[i + 1] == '\r' && b[i + 2] == '\n')
            return i + 3;
        if (i + 2 >= n) /* not decidable until more arrives */
            break;
    }
    *from = i;
    return 0;
}

/* Takes the next line of [*p, e), NUL-terminates it in place (dropping CRLF or LF) and
 * advances *p. Returns 0, or -1 if the line holds a NUL or a bare CR (smuggling material). */
static int next_line(char **p, char *e, char **line)
{
    char *nl = memchr(*p, '\n', (size_t)(e - *p));
    if (!nl)
        return -1;
    char *end = nl > *p && nl[-1] == '\r' ? nl - 1 : nl;
    for (char *q = *p; q < end; q++)
        if (*q == '\0' || *q == '\r')
            return -1;
    *end = '\0';
    *line = *p;
    *p = nl + 1;
    return 0;
}

/* Parses the request line. Returns 0 or the status to answer with (and *why). */
static int parse_request_line(char *line, head *h, const char **why)
{
    *why = "malformed request line";
    char *sp1 = strchr(line, ' ');
    if (!sp1 || !is_token(line, (size_t)(sp1 - line)))
        return 400;
    char *target = sp1 + 1, *sp2 = strchr(target, ' ');
    if (!sp2 || sp2 == target)
        return 400; /* includes HTTP/0.9's version-less line */
    *sp1 = *sp2 = '\0';
    for (char *q = target; *q; q++)
        if ((unsigned char)*q <= 0x20 || (unsigned char)*q >= 0x7f)
            return 400;
    const char *v = sp2 + 1;
    if (strncmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' || v[6] != '.' || v[7] < '0' ||
        v[7] > '9' || v[8] != '\0')
        return 400;
    if (v[5] != '1') {
        *why = "only HTTP/1.0 and HTTP/1.1 are supported";
        return 505;
    }
    if (target[0] != '/') {
        *why = "request target must be an absolute path";
        return 400;
    }
    h->method = line;
    h->target = target;
    h->minor = v[7] - '0';
    return 0;
}

/* Reads the value of a Content-Length header; false unless it is plain digits that fit. */
static bool parse_length(const char *v, size_t *out)
{
    size_t n = 0;
    if (!*v)
        return false;
    for (; *v; v++) {
        if (*v < '0' || *v > '9' || n > (SIZE_MAX - 9) / 10)
            return false;
        n = n * 10 + (size_t)(*v - '0');
    }
    *out = n;
    return true;
}

/* Interprets the headers that shape how we read the request. Returns 0 or a status. */
static int scan_headers(head *h, const char **why)
{
    for (size_t i = 0; i < h->n_hdrs; i++) {
        const char *n = h->hdrs[i].name, *v = h->hdrs[i].value;
        if (ieq(n, "Content-Length")) {
            size_t cl;
            *why = "invalid Content-Length";
            if (!parse_length(v, &cl))
                return 400;
            *why = "conflicting Content-Length headers";
            if (h->has_cl && cl != h->cl)
                return 400;
            h->has_cl = true;
            h->cl = cl;
        } else if (ieq(n, "Transfer-Encoding")) {
            h->has_te = true;
        } else if (ieq(n, "Expect")) {
            *why = "unsupported Expect header";
            if (!ieq(v, "100-continue"))
                return 417;
            h->expect_continue = true;
        } else if (ieq(n, "Authorization") && !h->auth) {
            h->auth = v;
        }
    }
    if (h->has_te) {
        /* Both framings at once is the classic request-smuggling shape; refuse it outright. */
        *why = h->has_cl ? "both Content-Length and Transfer-Encoding"
                         : "chunked request bodies are not supported; send Content-Length";
        return h->has_cl ? 400 : 411;
    }
    return 0;
}

/* Parses the request line and header fields in b[start, end), in place. Returns 0 or a status. */
static int parse_head(char *b, size_t start, size_t end, head *h, const char **why)
{
    char *p = b + start, *e = b + end, *line;
    *why = "malformed request line";
    if (next_line(&p, e, &line) < 0)
        return 400;
    int st = parse_request_line(line, h, why);
    if (st)
        return st;
    for (;;) {
        *why = "malformed header line";
        if (next_line(&p, e, &line) < 0)
            return 400;
        if (!*line)
            break;
        if (*line == ' ' || *line == '\t') {
            *why = "obsolete header line folding";
            return 400;
        }
        char *colon = strchr(line, ':');
        /* No space before the colon: "Name : v" is another smuggling shape. */
        if (!colon || !is_token(line, (size_t)(colon - line)))
            return 400;
        *colon = '\0';
        char *v = colon + 1, *ve = v + strlen(v);
        while (*v == ' ' || *v == '\t')
            v++;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;
        *ve = '\0';
        for (char *q = v; q < ve; q++)
            if (((unsigned char)*q < 0x20 && *q != '\t') || *q == 0x7f)
                return 400;
        if (h->n_hdrs == MAX_HEADERS) {
            *why = "too many header fields";
            return 431;
        }
        h->hdrs[h->n_hdrs].name = line;
        h->hdrs[h->n_hdrs++].value = v;
    }
    return scan_headers(h, why);
}

/* Compares the Authorization value with the token in time that does not depend on where they
 * differ, so the token cannot be guessed byte by byte from response times. */
static bool auth_ok(const np_http_server *s, const char *auth)
{
    if (!s->token)
        return true;
    if (!auth || strlen(auth) < 7)
        return false;
    char scheme[7];
    memcpy(scheme, auth, 6);
    scheme[6] = '\0';
    if (!ieq(scheme, "bearer") || auth[6] != ' ')
        return false;
    const char *got = auth + 7;
    while (*got == ' ')
        got++;
    size_t glen = strlen(got);
    volatile unsigned char diff = glen != s->token_len;
    for (size_t i = 0; i < s->token_len; i++)
        diff |= (unsigned char)(s->token[i] ^ (i < glen ? got[i] : 0));
    return diff == 0;
}

/* Splits the target into a decoded path and the raw query, both copied into c->pathq.
 * Returns 0 or a status (400 for a bad path, 503 out of memory). */
static int split_target(conn *c, const char **why)
{
    const char *target = c->h.target;
    size_t tl = strlen(target);
    const char *hash = strchr(target, '#'); /* never sent by real clients; ignore it if it is */
    size_t ul = hash ? (size_t)(hash - target) : tl;
    const char *q = memchr(target, '?', ul);
    size_t pl = q ? (size_t)(q - target) : ul;
    char *m = malloc(ul + 2);
    *why = "server out of memory";
    if (!m)
        return 503;
    c->pathq = m;
    long dl = pct_decode(target, pl, false, m);
    *why = "malformed percent-escape in path";
    if (dl < 0)
        return 400;
    *why = "NUL byte in path";
    if (memchr(m, '\0', (size_t)dl))
        return 400;
    m[dl] = '\0';
    char *qs = m + dl + 1;
    size_t ql = q ? ul - pl - 1 : 0;
    memcpy(qs, q ? q + 1 : "", ql);
    qs[ql] = '\0';
    c->path = m;
    c->query = qs;
    return 0;
}

/* ---- threads, and the workers that answer whole requests ---- */

/* Starts a thread with every asynchronous signal blocked, so the host's signals (SIGPROF,
 * SIGCHLD, SIGINT, ...) keep going to its own threads. Fault signals stay open: blocking them
 * would not stop a crash, only hide it from the host's crash handler. */
static int spawn(pthread_t *t, bool detached, void *(*fn)(void *), void *arg)
{
    sigset_t all, old;
    sigfillset(&all);
    sigdelset(&all, SIGSEGV);
    sigdelset(&all, SIGBUS);
    sigdelset(&all, SIGFPE);
    sigdelset(&all, SIGILL);
    sigdelset(&all, SIGTRAP);
    sigdelset(&all, SIGSYS);
    pthread_attr_t a;
    if (pthread_attr_init(&a) != 0)
        return -1;
    if (detached)
        pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(t, &a, fn, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&a);
    return rc == 0 ? 0 : -1;
}

static void fmt_addr(const struct sockaddr *sa, char *out, size_t cap)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
        snprintf(out, cap, "%s:%u", ip, ntohs(a->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
        if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) { /* a v4 client of a dual-stack listener */
            inet_ntop(AF_INET, &a->sin6_addr.s6_addr[12], ip, sizeof ip);
            snprintf(out, cap, "%s:%u", ip, ntohs(a->sin6_port));
        } else {
            inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
            snprintf(out, cap, "[%s]:%u", ip, ntohs(a->sin6_port));
        }
    } else {
        snprintf(out, cap, "?");
    }
}

static void free_tables(np_http_server *s)
{
    if (s->pend)
        munmap(s->pend, (size_t)s->opt.max_pending * sizeof *s->pend);
    free(s->pfd);
    free(s->pidx);
    free(s->conn_fds);
}

static void free_server(np_http_server *s)
{
    for (int i = 0; i < 2; i++)
        close_own(s->wake[i], &s->wid[i]);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free_tables(s);
    free(s->token);
    free(s);
}

static void conn_free(conn *c)
{
    if (!c)
        return;
    free(c->buf);
    free(c->h.hdrs);
    free(c->pathq);
    free(c->body);
    free(c);
}

/* Runs the handler on a whole request, sends its answer and closes. */
static void serve(conn *c)
{
    np_http_server *s = c->s;
    if (stopping(s)) {
        send_error(c, 503, "server is stopping");
        close_conn(c, false);
        return;
    }
    np_http_request req = {
        .method = c->h.method,
        .target = c->h.target,
        .path = c->path,
        .query = c->query,
        .headers = c->h.hdrs,
        .n_headers = c->h.n_hdrs,
        .body = c->body ? c->body : "",
        .body_len = c->h.cl,
        .peer = c->peer,
    };
    np_http_response r = {.c = c, .status = 200};
    s->handler(&req, &r, s->ctx);
    bool sent = send_response(c, &r, head_only_request(c)) == 0;
    np_buf_free(&r.body);
    np_buf_free(&r.head);
    close_conn(c, !sent);
}

/* Takes one of max_connections handler places and a free fd slot. Returns the slot, or -1 when
 * every place is taken. */
static int claim_worker(np_http_server *s)
{
    int slot = -1;
    pthread_mutex_lock(&s->mu);
    /* Below the cap a slot is free: workers clear theirs before they leave the active count. */
    for (int i = 0; s->active < s->opt.max_connections && i < s->opt.max_connections; i++)
        if (atomic_load(&s->conn_fds[i]) < 0) {
            slot = i;
            s->active++;
            break;
        }
    pthread_mutex_unlock(&s->mu);
    return slot;
}

/* Gives a handler place back. Returns true if the caller must free the server: stop gave up
 * waiting and this was the last worker. */
static bool release_worker(np_http_server *s)
{
    pthread_mutex_lock(&s->mu);
    s->active--;
    bool last = s->abandoned && s->active == 0;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return last;
}

static void *worker_main(void *arg)
{
    conn *c = arg;
    np_http_server *s = c->s;
    if (s->opt.thread_start)
        s->opt.thread_start();
    pthread_setname_np(pthread_self(), "nprof-http");
    serve(c);
    conn_free(c);
    /* Unless stop has abandoned us, it may free s as soon as the lock is released. */
    if (release_worker(s))
        free_server(s);
    return NULL;
}

/* ---- the polling thread: every connection until its request is whole ---- */

static int pend_fd(pend *p)
{
    return atomic_load(&p->fd1) - 1;
}

/* Frees the buffers an entry holds and gives their bytes back to the budget. */
static void pend_drop_bufs(np_http_server *s, pend *p)
{
    free(p->buf);
    conn_free(p->c);
    p->buf = NULL;
    p->c = NULL;
    p->len = p->cap = 0;
    s->pend_bytes -= p->held;
    p->held = 0;
}

/* Frees an entry, closing its connection unless a worker has taken it. */
static void pend_release(np_http_server *s, pend *p, bool close_fd)
{
    int fd = pend_fd(p);
    pend_drop_bufs(s, p);
    /* Unlisted before closed: a fork child closes what the table lists, so it must never name
     * a number that is no longer ours. */
    atomic_store(&p->fd1, 0);
    if (close_fd)
        close_own(fd, &p->id);
    p->state = P_FREE;
    s->n_pend--;
}

/* Answers early, then keeps the connection a while to discard what the client still sends:
 * closing on unread input makes the kernel reset the connection, which can destroy the answer
 * before the client has read it. */
static void answer(np_http_server *s, pend *p, int status, const char *hname, const char *hvalue,
                   const char *why)
{
    int fd = pend_fd(p);
    send_now(fd, status, hname, hvalue, why);
    shutdown(fd, SHUT_WR);
    pend_drop_bufs(s, p);
    p->state = P_LINGER;
    p->deadline = now_ms() + LINGER_MS;
}

/* Closes the entry whose client has sent nothing for the longest time, other than keep (may be
 * NULL). A waiting client is told why in a 503. Returns false when there is none. */
static bool evict(np_http_server *s, const pend *keep)
{
    pend *v = NULL;
    for (int i = 0; i < s->opt.max_pending; i++) {
        pend *p = &s->pend[i];
        if (p->state != P_FREE && p != keep && (!v || p->last < v->last))
            v = p;
    }
    if (!v)
        return false;
    if (v->state != P_LINGER)
        send_now(pend_fd(v), 503, "Retry-After", "1",
                 "too many connections are sending their requests");
    pend_release(s, v, true);
    return true;
}

/* Doubles a buffer of p (from FIRST_BUF, up to limit, which *cap is below) within the budget for
 * pending bytes, closing other connections, the idlest first, to make room. Returns false when
 * out of memory. */
static bool grow(np_http_server *s, pend *p, char **buf, size_t *cap, size_t limit)
{
    size_t ncap = *cap ? *cap * 2 : FIRST_BUF;
    if (ncap > limit)
        ncap = limit;
    size_t add = ncap - *cap;
    while (s->pend_bytes + add > s->opt.max_pending_bytes && evict(s, p))
        ;
    char *nb = s->pend_bytes + add <= s->opt.max_pending_bytes ? realloc(*buf, ncap) : NULL;
    if (!nb)
        return false;
    *buf = nb;
    *cap = ncap;
    p->held += add;
    s->pend_bytes += add;
    return true;
}

/* Receives into buf[len, cap) what has arrived. When buf is full it only peeks at whether more
 * has, so that buffers grow for bytes that are there, not for connections that are idle.
 * Returns as recv does. */
static ssize_t recv_some(int fd, char *buf, size_t len, size_t cap)
{
    char probe;
    for (;;) {
        ssize_t r = len < cap ? recv(fd, buf + len, cap - len, MSG_DONTWAIT)
                              : recv(fd, &probe, 1, MSG_PEEK | MSG_DONTWAIT);
        if (r >= 0 || errno != EINTR)
            return r;
    }
}

/* After a failed recv: a connection that only had nothing to read stays; others are dropped. */
static void recv_failed(np_http_server *s, pend *p)
{
    if (errno != EAGAIN && errno != EWOULDBLOCK)
        pend_release(s, p, true);
}

/* Copies the parsed head into a request of its own (the header array is the caller's).
 * Returns it, or NULL with *st and *why set. */
static conn *take_request(pend *p, const head *h, int *st, const char **why)
{
    conn *c = calloc(1, sizeof *c);
    np_http_header *hdrs = malloc((h->n_hdrs ? h->n_hdrs : 1) * sizeof *hdrs);
    *st = 503;
    *why = "server out of memory";
    if (c && hdrs) {
        memcpy(hdrs, h->hdrs, h->n_hdrs * sizeof *hdrs);
        c->h = *h;
        c->h.hdrs = hdrs;
        if ((*st = split_target(c, why)) == 0) {
            c->buf = p->buf; /* the head's strings live in it */
            p->buf = NULL;
            p->len = p->cap = 0;
            return c;
        }
    } else {
        free(hdrs);
    }
    conn_free(c);
    return NULL;
}

/* Hands a whole request to a new worker thread, unless max_connections handlers are running:
 * then it is refused at once rather than queued, where it would hold its memory while its
 * client waits for an answer no sooner than a retry would get. */
static void dispatch(np_http_server *s, pend *p)
{
    conn *c = p->c;
    int slot = claim_worker(s);
    if (slot < 0) {
        answer(s, p, 503, "Retry-After", "1", "too many requests in progress");
        return;
    }
    int fd = pend_fd(p);
    c->s = s;
    c->fd = fd;
    c->slot = slot;
    c->id = p->id;
    if (c->body)
        c->body[c->h.cl] = '\0';
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0)
        fmt_addr((struct sockaddr *)&ss, c->peer, sizeof c->peer);
    else
        snprintf(c->peer, sizeof c->peer, "?");
    /* In the worker's slot before it leaves the table, so a fork child always finds it. */
    atomic_store(&s->conn_fds[slot], fd);
    p->c = NULL;
    pend_release(s, p, false);
    pthread_t t;
    if (spawn(&t, true, worker_main, c) == 0)
        return;
    send_now(fd, 503, "Retry-After", "1", "cannot start a worker");
    close_conn(c, false);
    conn_free(c);
    release_worker(s);
}

/* Reads what has arrived of a body; a whole request goes to a worker. */
static void read_body(np_http_server *s, pend *p)
{
    conn *c = p->c;
    int fd = pend_fd(p);
    for (size_t got = 0; c->body_len < c->h.cl && got < READ_ROUND;) {
        size_t room = c->body_cap ? c->body_cap - 1 : 0; /* the last byte is for a NUL */
        bool full = c->body_len == room;
        ssize_t r = recv_some(fd, c->body, c->body_len, room);
        if (r < 0) {
            recv_failed(s, p);
            return;
        }
        if (r == 0) { /* the client closed (or half-closed) before sending all of it */
            answer(s, p, 400, NULL, NULL, "incomplete request body");
            return;
        }
        if (full && !grow(s, p, &c->body, &c->body_cap, c->h.cl + 1)) {
            answer(s, p, 503, NULL, NULL, "server out of memory");
            return;
        }
        if (!full) {
            c->body_len += (size_t)r;
            got += (size_t)r;
            p->last = now_ms();
        }
    }
    if (c->body_len == c->h.cl)
        dispatch(s, p);
}

/* Takes on a request whose head (ending at end) is whole: refused at once, complete already, or
 * waiting for the rest of its body. */
static void head_done(np_http_server *s, pend *p, size_t end)
{
    np_http_header hdrs[MAX_HEADERS];
    head h = {.hdrs = hdrs};
    char whybuf[128];
    const char *why;
    int st = parse_head(p->buf, p->start, end, &h, &why);
    if (st == 0 && !auth_ok(s, h.auth)) {
        answer(s, p, 401, "WWW-Authenticate", "Bearer", "missing or wrong bearer token");
        return;
    }
    if (st == 0 && h.cl > s->opt.max_body_bytes) {
        st = 413;
        snprintf(whybuf, sizeof whybuf, "request body of %zu bytes exceeds the limit of %zu bytes",
                 h.cl, s->opt.max_body_bytes);
        why = whybuf;
    }
    size_t have = p->len - end < h.cl ? p->len - end : h.cl;
    conn *c = st ? NULL : take_request(p, &h, &st, &why);
    if (!c) {
        answer(s, p, st, NULL, NULL, why);
        return;
    }
    p->c = c;
    p->state = P_BODY;
    while (have && c->body_cap <= have)
        if (!grow(s, p, &c->body, &c->body_cap, h.cl + 1)) {
            answer(s, p, 503, NULL, NULL, "server out of memory");
            return;
        }
    if (have)
        memcpy(c->body, c->buf + end, have);
    c->body_len = have;
    /* curl waits a second for this before sending a large POST body. */
    if (have < h.cl && h.expect_continue && h.minor >= 1) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        (void)!send(pend_fd(p), cont, sizeof cont - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    read_body(s, p);
}

/* Where the head in p's buffer ends (just past its empty line), or 0 while it is incomplete. */
static size_t find_head_end(pend *p)
{
    /* Empty lines before the request line are tolerated (RFC 9112 2.2). */
    while (p->start < p->len && (p->buf[p->start] == '\r' || p->buf[p->start] == '\n'))
        p->start++;
    if (p->scan < p->start)
        p->scan = p->start;
    return p->start < p->len ? head_end(p->buf, p->len, &p->scan) : 0;
}

/* Reads what has arrived of a request line and headers; a whole head is taken on. */
static void read_head(np_http_server *s, pend *p)
{
    int fd = pend_fd(p);
    for (size_t got = 0; got < READ_ROUND;) {
        bool full = p->len == p->cap;
        if (full && p->cap >= s->opt.max_header_bytes) {
            char why[96];
            snprintf(why, sizeof why, "request header section exceeds %zu bytes", p->cap);
            answer(s, p, 431, NULL, NULL, why);
            return;
        }
        ssize_t r = recv_some(fd, p->buf, p->len, p->cap);
        if (r < 0) {
            recv_failed(s, p);
            return;
        }
        if (r == 0) { /* the client closed (or half-closed) before finishing its request */
            if (p->len > p->start)
                answer(s, p, 400, NULL, NULL, "incomplete request");
            else
                pend_release(s, p, true);
            return;
        }
        if (full) {
            if (!grow(s, p, &p->buf, &p->cap, s->opt.max_header_bytes)) {
                answer(s, p, 503, NULL, NULL, "server out of memory");
                return;
            }
            continue;
        }
        p->len += (size_t)r;
        got += (size_t)r;
        p->last = now_ms();
        size_t end = find_head_end(p);
        if (end) {
            head_done(s, p, end);
            return;
        }
    }
}

/* Discards what an answered client still sends; closes at its end, or when enough is enough. */
static void drain(np_http_server *s, pend *p)
{
    char sink[4096];
    int fd = pend_fd(p);
    for (;;) {
        ssize_t r = recv(fd, sink, sizeof sink, MSG_DONTWAIT);
        if (r > 0 && (p->len += (size_t)r) < LINGER_BYTES)
            continue;
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        break;
    }
    pend_release(s, p, true);
}

static void serve_pending(np_http_server *s, pend *p)
{
    if (p->state == P_HEAD)
        read_head(s, p);
    else if (p->state == P_BODY)
        read_body(s, p);
    else if (p->state == P_LINGER)
        drain(s, p);
}

/* Ends what has run out of time: 408 for a request not whole by its deadline, and lingering. */
static void expire(np_http_server *s, int64_t now)
{
    for (int i = 0; i < s->opt.max_pending; i++) {
        pend *p = &s->pend[i];
        if (p->state == P_FREE || p->deadline > now)
            continue;
        if (p->state == P_LINGER)
            pend_release(s, p, true);
        else
            answer(s, p, 408, NULL, NULL,
                   p->state == P_BODY ? "request body not received in time"
                                      : "request not received in time");
    }
}

/* Takes a new connection into the table, closing the idlest entry when it is full. */
static void admit(np_http_server *s, int fd)
{
    fid id;
    if (get_fid(fd, &id) < 0) {
        close(fd);
        return;
    }
    if (s->n_pend == s->opt.max_pending)
        evict(s, NULL);
    pend *p = s->pend;
    while (p->state != P_FREE)
        p++;
    int64_t now = now_ms();
    p->state = P_HEAD;
    p->id = id;
    p->last = now;
    p->deadline = now + s->opt.request_timeout_ms;
    p->start = p->scan = 0;
    atomic_store(&p->fd1, fd + 1);
    s->n_pend++;
    read_head(s, p); /* the request often comes with the connection */
}

/* Accepts what the backlog holds (a bounded burst). Returns -1 if the listener is unusable. */
static int accept_some(np_http_server *s)
{
    for (int i = 0; i < ACCEPT_BURST && !stopping(s); i++) {
        int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd >= 0) {
            admit(s, fd);
            continue;
        }
        switch (errno) {
        case EAGAIN:
#if EWOULDBLOCK != EAGAIN
        case EWOULDBLOCK:
#endif
            return 0;
        case EBADF: case ENOTSOCK: case EINVAL: case EOPNOTSUPP:
            return -1; /* the host closed our listener (closefrom and friends) */
        case EMFILE: case ENFILE: case ENOBUFS: case ENOMEM:
            s->backoff_until = now_ms() + ACCEPT_BACKOFF_MS;
            return 0;
        default: /* ECONNABORTED, EINTR, EPROTO, network errors: that client only */
            continue;
        }
    }
    return 0;
}

/* The poll set: the listener (unless backing off), the wake pipe and every entry of the table.
 * Returns its size and lowers *timeout to the nearest deadline. */
static nfds_t poll_set(np_http_server *s, int64_t now, int64_t *timeout)
{
    bool backoff = s->backoff_until > now;
    /* poll ignores negative fds: during a backoff the full backlog must not wake us. */
    s->pfd[0] = (struct pollfd){.fd = backoff ? -1 : s->lfd, .events = POLLIN};
    s->pfd[1] = (struct pollfd){.fd = s->wake[0], .events = POLLIN};
    if (backoff && s->backoff_until - now < *timeout)
        *timeout = s->backoff_until - now;
    nfds_t n = 2;
    for (int i = 0; i < s->opt.max_pending; i++) {
        pend *p = &s->pend[i];
        if (p->state == P_FREE)
            continue;
        if (p->deadline - now < *timeout)
            *timeout = p->deadline - now;
        s->pidx[n - 2] = i;
        s->pfd[n++] = (struct pollfd){.fd = pend_fd(p), .events = POLLIN};
    }
    if (*timeout < 0)
        *timeout = 0;
    return n;
}

/* One round of the polling thread once poll has answered. Returns false to stop serving. */
static bool handle_events(np_http_server *s, nfds_t n)
{
    if (s->pfd[1].revents)
        return false;
    for (nfds_t k = 2; k < n; k++) {
        pend *p = &s->pend[s->pidx[k - 2]];
        /* Skips an entry closed earlier in this round (evicted to make room for another). */
        if (s->pfd[k].revents && p->state != P_FREE && pend_fd(p) == s->pfd[k].fd)
            serve_pending(s, p);
    }
    if (s->pfd[0].revents & (POLLNVAL | POLLERR))
        return false; /* the listener was closed under us: serve no more rather than spin */
    if ((s->pfd[0].revents & POLLIN) && (!is_own(s->lfd, &s->lid) || accept_some(s) < 0))
        return false;
    return true;
}

static void *acceptor_main(void *arg)
{
    np_http_server *s = arg;
    if (s->opt.thread_start)
        s->opt.thread_start();
    pthread_setname_np(pthread_self(), "nprof-http-acc");
    int64_t last_tick = now_ms();
    while (!stopping(s)) {
        int64_t now = now_ms(), timeout = ACCEPT_POLL_MS;
        if (s->opt.tick && now - last_tick >= 1000) {
            last_tick = now;
            s->opt.tick();
            now = now_ms();
        }
        if (s->opt.tick && last_tick + 1000 - now < timeout)
            timeout = last_tick + 1000 - now;
        expire(s, now);
        nfds_t n = poll_set(s, now, &timeout);
        int rc = poll(s->pfd, n, (int)timeout);
        if (rc < 0 && errno != EINTR)
            break;
        if (rc > 0 && !handle_events(s, n))
            break;
    }
    for (int i = 0; i < s->opt.max_pending; i++)
        if (s->pend[i].state != P_FREE)
            pend_release(s, &s->pend[i], true);
    return NULL;
}
/* ---- listening ---- */

static bool is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
    }
    return false;
}

/* Splits "host:port", "[v6]:port" or ":port" into host and port. Returns 0 or -1. */
static int split_addr(const char *addr, char *host, size_t hcap, unsigned *port, np_err *err)
{
    const char *colon;
    if (addr[0] == '[') {
        const char *rb = strchr(addr, ']');
        if (!rb || rb[1] != ':')
            return np_fail(err, "http: bad listen address \"%s\": want [IPv6]:port", addr);
        if ((size_t)(rb - addr - 1) >= hcap)
            return np_fail(err, "http: bad listen address \"%s\": host too long", addr);
        memcpy(host, addr + 1, (size_t)(rb - addr - 1));
        host[rb - addr - 1] = '\0';
        colon = rb + 1;
    } else {
        colon = strrchr(addr, ':');
        if (!colon)
            return np_fail(err, "http: bad listen address \"%s\": missing :port", addr);
        if (memchr(addr, ':', (size_t)(colon - addr)))
            return np_fail(err, "http: bad listen address \"%s\": put IPv6 addresses in brackets",
                           addr);
        if ((size_t)(colon - addr) >= hcap)
            return np_fail(err, "http: bad listen address \"%s\": host too long", addr);
        memcpy(host, addr, (size_t)(colon - addr));
        host[colon - addr] = '\0';
    }
    const char *p = colon + 1;
    unsigned long v = 0;
    if (!*p || strlen(p) > 5)
        return np_fail(err, "http: bad listen address \"%s\": port must be 0-65535", addr);
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return np_fail(err, "http: bad listen address \"%s\": port must be 0-65535", addr);
        v = v * 10 + (unsigned long)(*p - '0');
    }
    if (v > 65535)
        return np_fail(err, "http: bad listen address \"%s\": port must be 0-65535", addr);
    *port = (unsigned)v;
    return 0;
}

/* Opens, binds and listens on one address. Returns the socket, or -1 with err set. */
static int listen_on(const struct sockaddr *sa, socklen_t len, bool dual, np_err *err)
{
    char name[96];
    fmt_addr(sa, name, sizeof name);
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return np_fail(err, "http: cannot listen on %s: %s", name, strerror(errno));
    int one = 1, v6only = !dual;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (sa->sa_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
    if (bind(fd, sa, len) < 0 || listen(fd, 128) < 0) {
        np_fail(err, "http: cannot listen on %s: %s", name, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* Resolves addr into candidate socket addresses and listens on the first that works. */
static int open_listener(const char *addr, bool remote, np_err *err)
{
    char host[256];
    unsigned port;
    if (!addr || !*addr)
        addr = ":0";
    if (split_addr(addr, host, sizeof host, &port, err) < 0)
        return -1;
    struct sockaddr_storage cand[8];
    socklen_t clen[8];
    bool dual[8] = {false};
    int nc = 0;
    struct sockaddr_in v4 = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    struct sockaddr_in6 v6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
#define ADD4(a) (v4.sin_addr.s_addr = htonl(a), memcpy(&cand[nc], &v4, sizeof v4), clen[nc++] = sizeof v4)
#define ADD6(a) (v6.sin6_addr = (a), memcpy(&cand[nc], &v6, sizeof v6), clen[nc++] = sizeof v6)
    if (!*host && remote) {
        dual[nc] = true; /* ":port" with remote access: every interface, IPv6 and IPv4 */
        ADD6(in6addr_any);
        ADD4(INADDR_ANY);
    } else if (!*host || ieq(host, "localhost")) {
        /* Not resolved through NSS: localhost is loopback by definition (RFC 6761), and
         * getaddrinfo in a host process may load modules or query DNS. */
        ADD4(INADDR_LOOPBACK);
        if (*host)
            ADD6(in6addr_loopback);
    } else if (inet_pton(AF_INET, host, &v4.sin_addr) == 1) {
        memcpy(&cand[nc], &v4, sizeof v4), clen[nc++] = sizeof v4;
    } else if (inet_pton(AF_INET6, host, &v6.sin6_addr) == 1) {
        memcpy(&cand[nc], &v6, sizeof v6), clen[nc++] = sizeof v6;
    } else {
        struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG}, *res;
        int rc = getaddrinfo(host, NULL, &hints, &res);
        if (rc != 0)
            return np_fail(err, "http: cannot resolve \"%s\": %s", host, gai_strerror(rc));
        for (struct addrinfo *ai = res; ai && nc < 8; ai = ai->ai_next) {
            if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
                continue;
            memcpy(&cand[nc], ai->ai_addr, ai->ai_addrlen);
            ((struct sockaddr_in *)&cand[nc])->sin_port = htons((uint16_t)port); /* same offset in v6 */
            clen[nc++] = ai->ai_addrlen;
        }
        freeaddrinfo(res);
        if (nc == 0)
            return np_fail(err, "http: cannot resolve \"%s\": no IPv4 or IPv6 address", host);
    }
#undef ADD4
#undef ADD6
    int fd = -1;
    bool refused = false;
    char name[96];
    for (int i = 0; i < nc && fd < 0; i++) {
        if (!remote && !is_loopback((struct sockaddr *)&cand[i])) {
            fmt_addr((struct sockaddr *)&cand[i], name, sizeof name);
            refused = true;
            continue;
        }
        fd = listen_on((struct sockaddr *)&cand[i], clen[i], dual[i], err);
    }
    if (fd < 0 && refused)
        return np_fail(err,
                       "http: refusing to listen on %s: not a loopback address, and profiles "
                       "expose code, stacks and the command line (enable remote access to allow it)",
                       name);
    return fd;
}

/* ---- start and stop ---- */

/* Zero or negative settings take their defaults; the rest are clamped to sane ranges. */
static void fill_defaults(np_http_options *so)
{
    if (so->max_connections <= 0)
        so->max_connections = DEF_MAX_CONN;
    if (so->max_connections > CAP_MAX_CONN)
        so->max_connections = CAP_MAX_CONN;
    if (so->request_timeout_ms <= 0)
        so->request_timeout_ms = DEF_REQUEST_MS;
    if (so->write_timeout_ms <= 0)
        so->write_timeout_ms = DEF_WRITE_MS;
    if (so->stop_timeout_ms <= 0)
        so->stop_timeout_ms = DEF_STOP_MS;
    if (so->max_header_bytes == 0)
        so->max_header_bytes = DEF_MAX_HEADER;
    if (so->max_header_bytes < MIN_MAX_HEADER)
        so->max_header_bytes = MIN_MAX_HEADER;
    if (so->max_header_bytes > CAP_MAX_HEADER)
        so->max_header_bytes = CAP_MAX_HEADER;
    if (so->max_body_bytes == 0)
        so->max_body_bytes = DEF_MAX_BODY;
    if (so->max_body_bytes > SIZE_MAX / 2)
        so->max_body_bytes = SIZE_MAX / 2;
}

/* The pending table's bounds, once the byte limits are known. Its connections get at most a
 * share of the fd limit, so an attack on the server cannot take every fd from the host. */
static void fill_pending(np_http_options *so)
{
    struct rlimit rl;
    if (so->max_pending <= 0)
        so->max_pending = DEF_MAX_PENDING;
    if (so->max_pending > CAP_MAX_PENDING)
        so->max_pending = CAP_MAX_PENDING;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        (rlim_t)so->max_pending > rl.rlim_cur / PENDING_FD_SHARE)
        so->max_pending = rl.rlim_cur / PENDING_FD_SHARE < MIN_MAX_PENDING
                              ? MIN_MAX_PENDING
                              : (int)(rl.rlim_cur / PENDING_FD_SHARE);
    /* One connection with the largest head and body always fits, once the others are gone. */
    size_t least = so->max_header_bytes + so->max_body_bytes + 1;
    if (so->max_pending_bytes == 0)
        so->max_pending_bytes = DEF_PENDING_BYTES;
    if (so->max_pending_bytes < least)
        so->max_pending_bytes = least;
}

/* Allocates the tables sized by the options. Returns 0, or -1 out of memory. The pending table
 * is mapped rather than allocated, so that its pages stay unbacked until connections use them:
 * every process a served process forks runs a server of its own. */
static int alloc_tables(np_http_server *s)
{
    int nc = s->opt.max_connections;
    size_t np = (size_t)s->opt.max_pending;
    s->conn_fds = malloc((size_t)nc * sizeof *s->conn_fds);
    void *m = mmap(NULL, np * sizeof *s->pend, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    s->pend = m == MAP_FAILED ? NULL : m;
    s->pfd = malloc((np + 2) * sizeof *s->pfd);
    s->pidx = malloc(np * sizeof *s->pidx);
    if (!s->conn_fds || !s->pend || !s->pfd || !s->pidx)
        return -1;
    for (int i = 0; i < nc; i++)
        atomic_init(&s->conn_fds[i], -1);
    return 0;
}

int np_http_start(const np_http_options *o, np_http_handler handler, void *ctx,
                  np_http_server **out, char *bound, size_t bound_cap, np_err *err)
{
    np_http_options none = {0};
    if (!out || !handler)
        return np_fail(err, "http: np_http_start needs a handler and a place for the server");
    *out = NULL;
    if (!o)
        o = &none;
    np_http_server *s = calloc(1, sizeof *s);
    if (!s)
        return np_fail(err, "http: out of memory");
    s->opt = *o;
    s->opt.addr = NULL;
    s->opt.bearer_token = NULL;
    fill_defaults(&s->opt);
    fill_pending(&s->opt);
    s->handler = handler;
    s->ctx = ctx;
    s->lfd = s->wake[0] = s->wake[1] = -1;
    if (o->bearer_token && *o->bearer_token) {
        for (const char *p = o->bearer_token; *p; p++)
            if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
                free(s);
                return np_fail(err, "http: bearer token must be printable ASCII without spaces");
            }
        s->token = strdup(o->bearer_token);
        s->token_len = strlen(o->bearer_token);
    }
    if ((o->bearer_token && *o->bearer_token && !s->token) || alloc_tables(s) < 0) {
        free_tables(s);
        free(s->token);
        free(s);
        return np_fail(err, "http: out of memory");
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&s->mu, NULL);

    s->lfd = open_listener(o->addr, o->allow_remote, err);
    if (s->lfd < 0 || get_fid(s->lfd, &s->lid) < 0) {
        if (s->lfd >= 0)
            close(s->lfd);
        free_server(s);
        return -1;
    }
    if (pipe2(s->wake, O_CLOEXEC | O_NONBLOCK) < 0 || get_fid(s->wake[0], &s->wid[0]) < 0 ||
        get_fid(s->wake[1], &s->wid[1]) < 0) {
        np_fail(err, "http: pipe: %s", strerror(errno));
        close(s->lfd);
        free_server(s);
        return -1;
    }
    if (bound && bound_cap) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        if (getsockname(s->lfd, (struct sockaddr *)&ss, &sl) == 0)
            fmt_addr((struct sockaddr *)&ss, bound, bound_cap);
        else
            bound[0] = '\0';
    }
    if (spawn(&s->acceptor, false, acceptor_main, s) < 0) {
        np_fail(err, "http: cannot start the server thread");
        close(s->lfd);
        free_server(s);
        return -1;
    }
    s->acceptor_started = true;
    *out = s;
    return 0;
}

int np_http_stop(np_http_server *s)
{
    if (!s)
        return 0;
    atomic_store(&s->stopping, 1);
    if (is_own(s->wake[1], &s->wid[1]))
        (void)!write(s->wake[1], "x", 1);
    if (s->acceptor_started)
        pthread_join(s->acceptor, NULL);
    close_own(s->lfd, &s->lid);
    s->lfd = -1;

    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += s->opt.stop_timeout_ms / 1000;
    ts.tv_nsec += (long)(s->opt.stop_timeout_ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&s->mu);
    while (s->active > 0)
        if (pthread_cond_timedwait(&s->cv, &s->mu, &ts) == ETIMEDOUT)
            break;
    int left = s->active;
    if (left)
        s->abandoned = true;
    pthread_mutex_unlock(&s->mu);
    if (!left)
        free_server(s);
    return left;
}

void np_http_forget_in_child(np_http_server *s)
{
    if (!s)
        return;
    /* Only close(): this runs in a fork child, where the server's threads do not exist and its
     * mutex may have been copied locked. */
    if (s->lfd >= 0)
        close(s->lfd);
    for (int i = 0; i < 2; i++)
        if (s->wake[i] >= 0)
            close(s->wake[i]);
    for (int i = 0; i < s->opt.max_connections; i++) {
        int fd = atomic_load(&s->conn_fds[i]);
        if (fd >= 0)
            close(fd);
    }
    for (int i = 0; i < s->opt.max_pending; i++) {
        int fd = pend_fd(&s->pend[i]);
        if (fd >= 0)
            close(fd);
    }
}

/* ---- request helpers for handlers ---- */

bool np_http_query_param(const np_http_request *req, const char *name, np_buf *out)
{
    if (!out)
        return false;
    out->len = 0;
    if (!req || !req->query || !name)
        return false;
    size_t nlen = strlen(name);
    const char *p = req->query;
    while (*p) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        size_t klen = eq ? (size_t)(eq - p) : len;
        np_buf_reserve(out, len);
        long k = pct_decode(p, klen, true, out->data);
        if (k == (long)nlen && memcmp(out->data, name, nlen) == 0) {
            long v = eq ? pct_decode(eq + 1, len - klen - 1, true, out->data) : 0;
            if (v >= 0) { /* a malformed value is skipped, as if that pair were absent */
                out->len = (size_t)v;
                np_buf_cstr(out);
                return true;
            }
        }
        if (!amp)
            break;
        p = amp + 1;
    }
    out->len = 0;
    return false;
}

const char *np_http_header_value(const np_http_request *req, const char *name)
{
    if (!req || !name)
        return NULL;
    for (size_t i = 0; i < req->n_headers; i++)
        if (ieq(req->headers[i].name, name))
            return req->headers[i].value;
    return NULL;
}

/* leaky-server PORT: the C twin of the leaky Go server of the pprof guides. Every
 * GET /leaky-endpoint keeps a 1,000,000-byte buffer in a global table; GET /clear frees them.
 * Run it with LD_PRELOAD=libnprof.so NPROF_HTTP=127.0.0.1:6060 to watch the leak grow. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { LEAK_SIZE = 1000000 };

typedef struct user_data {
    char *data;
} user_data;

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static user_data *table;
static size_t table_len, table_cap;

/* The leak: the buffer is remembered forever (until /clear). */
__attribute__((noinline)) static size_t leaky_handler(void)
{
    user_data u;
    u.data = malloc(LEAK_SIZE);
    if (!u.data)
        return 0;
    memset(u.data, 'x', LEAK_SIZE);
    pthread_mutex_lock(&table_lock);
    if (table_len == table_cap) {
        size_t cap = table_cap ? table_cap * 2 : 64;
        user_data *t = realloc(table, cap * sizeof *t);
        if (!t) {
            pthread_mutex_unlock(&table_lock);
            free(u.data);
            return 0;
        }
        table = t;
        table_cap = cap;
    }
    table[table_len++] = u;
    size_t n = table_len;
    pthread_mutex_unlock(&table_lock);
    return n;
}

__attribute__((noinline)) static size_t clear_handler(void)
{
    pthread_mutex_lock(&table_lock);
    size_t n = table_len;
    for (size_t i = 0; i < table_len; i++)
        free(table[i].data);
    table_len = 0;
    pthread_mutex_unlock(&table_lock);
    return n;
}

static void reply(int fd, int status, const char *body)
{
    char head[256];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                     status, status == 200 ? "OK" : "Not Found", strlen(body));
    if (send(fd, head, (size_t)n, MSG_NOSIGNAL) >= 0)
        send(fd, body, strlen(body), MSG_NOSIGNAL);
}

static void *serve(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char req[4096];
    size_t got = 0;
    /* Read up to the end of the headers; requests here have no body. */
    while (got < sizeof req - 1) {
        ssize_t r = recv(fd, req + got, sizeof req - 1 - got, 0);
        if (r <= 0)
            break;
        got += (size_t)r;
        req[got] = 0;
        if (strstr(req, "\r\n\r\n"))
            break;
    }
    req[got] = 0;
    char body[128];
    if (strncmp(req, "GET /leaky-endpoint", 19) == 0 && (req[19] == ' ' || req[19] == '?')) {
        snprintf(body, sizeof body, "leaked %zu buffers\n", leaky_handler());
        reply(fd, 200, body);
    } else if (strncmp(req, "GET /clear", 10) == 0 && (req[10] == ' ' || req[10] == '?')) {
        snprintf(body, sizeof body, "freed %zu buffers\n", clear_handler());
        reply(fd, 200, body);
    } else {
        reply(fd, 404, "not found\n");
    }
    close(fd);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: leaky-server PORT\n");
        return 2;
    }
    int port = atoi(argv[1]);
    signal(SIGPIPE, SIG_IGN);
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof a;
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 128) < 0 ||
        getsockname(s, (struct sockaddr *)&a, &alen) < 0) {
        fprintf(stderr, "leaky-server: cannot listen on 127.0.0.1:%d: %s\n", port, strerror(errno));
        return 1;
    }
    printf("leaky-server listening on 127.0.0.1:%d\n", ntohs(a.sin_port));
    fflush(stdout);
    for (;;) {
        int fd = accept4(s, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR)
                continue;
            return 1;
        }
        pthread_t t;
        if (pthread_create(&t, NULL, serve, (void *)(intptr_t)fd) == 0)
            pthread_detach(t);
        else
            close(fd);
    }
}

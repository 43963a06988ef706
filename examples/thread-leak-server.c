/* thread-leak-server PORT: a tiny HTTP server on 127.0.0.1 that leaks threads, for thread
 * dumps (/debug/pprof/goroutine). Each GET /leak starts a thread that never ends, from one of
 * two call sites, in turn (or as ?site=a or ?site=b says): site a's thread waits forever on a
 * condition variable nobody signals, site b's reads a pipe nobody writes. The answer says
 * which site and how many threads each has leaked. Needs no nprof code: preload libnprof.
 *
 *   LD_PRELOAD=libnprof.so NPROF_HTTP=127.0.0.1:6060 thread-leak-server 8080 &
 *   curl -s localhost:8080/leak; curl -s localhost:8080/leak
 *   curl -s 'localhost:6060/debug/pprof/goroutine?debug=1'
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static pthread_mutex_t never_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never_signalled = PTHREAD_COND_INITIALIZER;
static int silent_pipe[2];
static int leaked[2];

/* Site a's thread: a reply that never comes. */
__attribute__((noinline)) static void *wait_for_reply(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "leak-cond");
    pthread_mutex_lock(&never_lock);
    for (;;)
        pthread_cond_wait(&never_signalled, &never_lock);
    return NULL;
}

/* Site b's thread: input that never comes. */
__attribute__((noinline)) static void *read_forever(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "leak-read");
    char c;
    while (read(silent_pipe[0], &c, 1) != 0)
        ;
    return NULL;
}

static int start_detached(void *(*fn)(void *))
{
    pthread_t t;
    int rc = pthread_create(&t, NULL, fn, NULL);
    if (rc == 0)
        pthread_detach(t);
    return rc;
}

__attribute__((noinline)) static int leak_site_a(void)
{
    return start_detached(wait_for_reply);
}

__attribute__((noinline)) static int leak_site_b(void)
{
    return start_detached(read_forever);
}

/* The site a request names, else the next in turn. */
static int choose_site(const char *request)
{
    static int turn;
    if (strncmp(request, "GET /leak?site=a", 16) == 0)
        return 0;
    if (strncmp(request, "GET /leak?site=b", 16) == 0)
        return 1;
    return turn++ % 2;
}

static void answer(int fd, const char *status, const char *text)
{
    dprintf(fd, "HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
            status, strlen(text), text);
}

/* One request per connection, answered on the accepting thread. */
static void handle(int fd)
{
    char request[1024] = {0}, text[128];
    ssize_t n = recv(fd, request, sizeof request - 1, 0);
    if (n > 0 && strncmp(request, "GET /leak", 9) == 0 && strchr(" ?", request[9])) {
        int site = choose_site(request);
        if ((site == 0 ? leak_site_a() : leak_site_b()) == 0)
            leaked[site]++;
        snprintf(text, sizeof text, "site %c; leaked a=%d b=%d\n", 'a' + site, leaked[0], leaked[1]);
        answer(fd, "200 OK", text);
    } else {
        answer(fd, "404 Not Found", "try GET /leak\n");
    }
    close(fd);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: thread-leak-server PORT\n");
        return 2;
    }
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    int one = 1, s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0 || pipe(silent_pipe) < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(s, (struct sockaddr *)&addr, len) < 0 || listen(s, 64) < 0 ||
        getsockname(s, (struct sockaddr *)&addr, &len) < 0) {
        perror("thread-leak-server");
        return 1;
    }
    printf("thread-leak-server listening on 127.0.0.1:%d\n", ntohs(addr.sin_port));
    fflush(stdout);
    for (;;) {
        int fd = accept(s, NULL, NULL);
        if (fd >= 0)
            handle(fd);
        else if (errno != EINTR)
            return 1;
    }
}

/* prefork DIR N -- a server shaped like nginx: a master allocates 4 MiB from master_alloc, then
 * forks N workers; worker i (from 0) runs as nobody when started as root (as nginx's workers
 * do), allocates (i + 1) * 8 MiB from worker_alloc, writes DIR/worker.PID and waits. A worker
 * exits when DIR/stop.PID appears, the master (and then every worker) when DIR/stop does; each
 * waits at most 60 s. The master writes DIR/ready once every worker has written its file.
 * prefork DIR N busy -- each worker also starts 2 threads (worker_spawn) that take turns on one
 * mutex (worker_contend) and burn CPU while holding it (worker_burn), for the other profiles;
 * such workers keep the user they were started as, so that their threads' stacks can be read. */
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>

#include "common.h"

static const char *dir;

static bool exists(const char *name, int pid)
{
    char path[512];
    snprintf(path, sizeof path, pid ? "%s/%s.%d" : "%s/%s", dir, name, pid);
    return access(path, F_OK) == 0;
}

static void touch(const char *name, int pid)
{
    char path[512];
    snprintf(path, sizeof path, pid ? "%s/%s.%d" : "%s/%s", dir, name, pid);
    FILE *f = fopen(path, "w");
    if (!f)
        die("cannot write %s", path);
    fclose(f);
}

__attribute__((noinline)) static void *master_alloc(size_t n)
{
    void *p = do_malloc(n);
    memset(p, 1, n);
    return p;
}

__attribute__((noinline)) static void *worker_alloc(size_t n)
{
    void *p = do_malloc(n);
    memset(p, 2, n);
    return p;
}

static pthread_mutex_t busy_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile unsigned long burnt;

__attribute__((noinline)) static void worker_burn(double sec)
{
    double end = now_sec() + sec;
    while (now_sec() < end)
        burnt++;
}

__attribute__((noinline)) static void worker_contend(void)
{
    pthread_mutex_lock(&busy_lock);
    worker_burn(0.0002);
    pthread_mutex_unlock(&busy_lock);
}

static void *busy_thread(void *arg)
{
    (void)arg;
    for (double end = now_sec() + 60; now_sec() < end;) {
        worker_contend();
        sleep_ms(0); /* a yield: the other thread gets its turn at the lock */
    }
    return NULL;
}

__attribute__((noinline)) static void worker_spawn(void)
{
    for (int k = 0; k < 2; k++) {
        pthread_t t;
        if (pthread_create(&t, NULL, busy_thread, NULL) != 0)
            die("cannot start a thread");
        pthread_detach(t);
    }
}

static void drop_privileges(void)
{
    struct passwd *pw = getuid() == 0 ? getpwnam("nobody") : NULL;
    if (pw && (setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0))
        die("cannot become nobody");
}

static void worker(int i, bool busy)
{
    if (busy)
        worker_spawn();
    else
        drop_privileges();
    void *keep[64];
    for (int k = 0; k <= i && k < 64; k++)
        keep[k] = worker_alloc((size_t)8 << 20);
    touch("worker", getpid());
    double end = now_sec() + 60;
    while (!exists("stop", 0) && !exists("stop", getpid()) && now_sec() < end)
        sleep_ms(20);
    (void)keep;
    exit(0);
}

int main(int argc, char **argv)
{
    if (argc < 3)
        die("usage: prefork DIR N [busy]");
    dir = argv[1];
    bool busy = argc > 3 && strcmp(argv[3], "busy") == 0;
    int n = atoi(argv[2]);
    void *mine = master_alloc((size_t)4 << 20);
    pid_t pids[64];
    for (int i = 0; i < n && i < 64; i++) {
        pids[i] = fork();
        if (pids[i] < 0)
            die("fork failed");
        if (pids[i] == 0)
            worker(i, busy);
    }
    double end = now_sec() + 60;
    for (int i = 0; i < n; i++)
        while (!exists("worker", pids[i]) && now_sec() < end)
            sleep_ms(10);
    touch("ready", 0);
    while (!exists("stop", 0) && now_sec() < end)
        sleep_ms(20);
    for (int i = 0; i < n; i++)
        waitpid(pids[i], NULL, 0);
    (void)mine;
    return 0;
}

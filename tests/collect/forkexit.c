/* forkexit N GOFILE -- after GOFILE appears, forks N children one after the other; each
 * allocates and calls exit(), which (with NPROF_HEAP_DUMP set) writes the child's own heap
 * profile at exit. Run while the parent's endpoints are scraped: a fork that lands while a
 * collector thread holds a lock the child needs (the loader's, in dl_iterate_phdr) leaves the
 * child hung in that dump. A child not done within 5 s is reported with its wchan and killed.
 * Prints "forkexit: N ok, B bad, H hung" and exits 0 only if every child exited 0. */
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>

#include "common.h"

int main(int argc, char **argv)
{
    if (argc < 3)
        die("usage: forkexit N GOFILE");
    int n = atoi(argv[1]), ok = 0, bad = 0, hung = 0;
    if (!wait_file(argv[2], 20))
        die("forkexit: %s did not appear", argv[2]);
    for (int i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            bad++;
            continue;
        }
        if (pid == 0) {
            free(malloc(600000));
            exit(0);
        }
        int st = 0;
        double end = now_sec() + 5;
        pid_t r;
        while ((r = waitpid(pid, &st, WNOHANG)) == 0 && now_sec() < end)
            sleep_ms(1);
        if (r == 0) {
            char wchan[128];
            read_wchan((int)pid, wchan, sizeof wchan);
            fprintf(stderr, "child %d hung, wchan %s\n", (int)pid, wchan);
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            hung++;
        } else if (r == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
            ok++;
        } else {
            bad++;
        }
    }
    printf("forkexit: %d ok, %d bad, %d hung\n", ok, bad, hung);
    return ok == n ? 0 : 1;
}

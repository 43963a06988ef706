/* tsdfree THREADS -- thread-specific data whose destructor is free (Heap-Layers#30's repro),
 * plus a destructor that allocates and frees while its thread is being torn down. THREADS
 * threads are made in batches of 8; each exits with both keys set. Prints "tsdfree: ok N". */
#include <pthread.h>
#include <stdatomic.h>

#include "common.h"

static pthread_key_t key_free, key_churn;
static atomic_int churned;

static void churn(void *p)
{
    /* Runs after the thread function returned: allocate, use and free again. */
    char *q = malloc(4096);
    if (q) {
        memcpy(q, p, 100);
        atomic_fetch_add(&churned, q[0] == 'x');
    }
    free(q);
    free(p);
}

static void *thread_main(void *arg)
{
    (void)arg;
    void *a = malloc(100);
    char *b = malloc(100);
    if (!a || !b)
        die("malloc failed");
    memset(b, 'x', 100);
    pthread_setspecific(key_free, a);
    pthread_setspecific(key_churn, b);
    return NULL;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 200;
    if (pthread_key_create(&key_free, free) != 0 || pthread_key_create(&key_churn, churn) != 0)
        die("pthread_key_create failed");
    int made = 0;
    while (made < n) {
        pthread_t t[8];
        int k = 0;
        for (; k < 8 && made < n; k++, made++)
            if (pthread_create(&t[k], NULL, thread_main, NULL) != 0)
                die("pthread_create failed");
        for (int i = 0; i < k; i++)
            pthread_join(t[i], NULL);
    }
    printf("tsdfree: ok %d %d\n", made, atomic_load(&churned));
    return atomic_load(&churned) == made ? 0 : 1;
}

/* The library that tests/collect/dlloop.c loads and unloads: its constructor, destructor and
 * functions allocate (some of it dynamic TLS, which glibc allocates through malloc inside
 * __tls_get_addr), and dl_make hands out memory that outlives the library. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static __thread char tls_scratch[256];
static char *table;

__attribute__((constructor)) static void dl_init(void)
{
    table = calloc(1000, 16);
}

__attribute__((destructor)) static void dl_fini(void)
{
    free(table);
    table = NULL;
}

typedef struct node {
    struct node *next;
    char *text;
} node;

/* Builds and frees a list of n strings; returns a checksum of what it built. */
__attribute__((noinline)) uint64_t dl_work(int n)
{
    node *head = NULL;
    for (int i = 0; i < n; i++) {
        node *x = malloc(sizeof *x);
        if (!x)
            abort();
        memcpy(tls_scratch, "item-", 5);
        tls_scratch[5] = (char)('a' + i % 26);
        tls_scratch[6] = 0;
        x->text = strdup(tls_scratch);
        x->next = head;
        head = x;
    }
    uint64_t h = table ? 1 : 0;
    while (head) {
        node *x = head;
        head = x->next;
        for (const char *p = x->text; *p; p++)
            h = h * 131 + (unsigned char)*p;
        free(x->text);
        free(x);
    }
    return h;
}

/* Memory the caller keeps (and frees) after the library is gone. */
__attribute__((noinline)) char *dl_make(int i)
{
    size_t n = 100000 + (size_t)i;
    char *p = malloc(n);
    if (p)
        memset(p, i & 0xff, n);
    return p;
}

/* The web UI's cache of view bodies: a view is a pure function of its URL's settings (the
 * profile never changes while the server runs), so a body once made is kept for the next
 * request with the same settings: going back, a reload, a link shared, or the page's prefetch
 * of the click menu's Focus. Bounded in entries and bytes; the least recently used goes. */
#include "analyze/webui_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct entry {
    char *key;
    np_buf body;
    bool ready;      /* else a request is making it: others wait for it */
    uint64_t used;   /* the clock of its last use */
} entry;

struct np_webui_cache {
    pthread_mutex_t mu;
    pthread_cond_t changed;
    entry *e;
    size_t n, cap, max_entries, max_bytes, bytes;
    uint64_t clock;
};

np_webui_cache *np_webui_cache_new(size_t max_entries, size_t max_bytes)
{
    np_webui_cache *c = np_xcalloc(1, sizeof *c);
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->changed, NULL);
    c->max_entries = max_entries;
    c->max_bytes = max_bytes;
    return c;
}

void np_webui_cache_free(np_webui_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->e[i].key);
        np_buf_free(&c->e[i].body);
    }
    free(c->e);
    pthread_cond_destroy(&c->changed);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static entry *find(np_webui_cache *c, const char *key)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->e[i].key, key) == 0)
            return &c->e[i];
    return NULL;
}

static void drop(np_webui_cache *c, entry *e)
{
    c->bytes -= e->body.len;
    free(e->key);
    np_buf_free(&e->body);
    *e = c->e[--c->n];
}

/* Makes room for `entries` more entries and `len` more bytes by dropping the least recently
 * used ready entries (an entry being made is never dropped, though it may move). */
static void make_room(np_webui_cache *c, size_t entries, size_t len)
{
    while (c->n + entries > c->max_entries || c->bytes + len > c->max_bytes) {
        entry *old = NULL;
        for (size_t i = 0; i < c->n; i++)
            if (c->e[i].ready && (!old || c->e[i].used < old->used))
                old = &c->e[i];
        if (!old)
            return;
        drop(c, old);
    }
}

bool np_webui_cache_get_or_claim(np_webui_cache *c, const char *key, np_buf *out)
{
    pthread_mutex_lock(&c->mu);
    entry *e;
    while ((e = find(c, key)) && !e->ready)
        pthread_cond_wait(&c->changed, &c->mu);
    if (e) {
        e->used = ++c->clock;
        np_buf_add(out, e->body.data, e->body.len);
    } else {
        make_room(c, 1, 0);
        e = NP_PUSH(c->e, c->n, c->cap);
        memset(e, 0, sizeof *e);
        e->key = np_xstrdup(key);
    }
    pthread_mutex_unlock(&c->mu);
    return e->ready;
}

void np_webui_cache_put(np_webui_cache *c, const char *key, const void *body, size_t len)
{
    pthread_mutex_lock(&c->mu);
    entry *e = find(c, key);
    if (e && !e->ready) {
        /* One page may not take the cache over; a cache of no entries keeps nothing. */
        if (c->max_entries == 0 || len > c->max_bytes / 4) {
            drop(c, e);
        } else {
            make_room(c, 0, len);
            e = find(c, key);
            np_buf_add(&e->body, body, len);
            c->bytes += len;
            e->ready = true;
            e->used = ++c->clock;
        }
    }
    pthread_cond_broadcast(&c->changed);
    pthread_mutex_unlock(&c->mu);
}

void np_webui_cache_abandon(np_webui_cache *c, const char *key)
{
    pthread_mutex_lock(&c->mu);
    entry *e = find(c, key);
    if (e && !e->ready)
        drop(c, e);
    pthread_cond_broadcast(&c->changed);
    pthread_mutex_unlock(&c->mu);
}

/* The web UI's cache of view bodies: a hit returns what was put, the least recently used goes
 * when entries or bytes run out, a request for a key being made waits for it (and makes it
 * itself when the maker gives up), and a body too large for its share is not kept. */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "unit.h"
#include "analyze/webui_int.h"

static bool get(np_webui_cache *c, const char *key, const char *want)
{
    np_buf b = {0};
    bool hit = np_webui_cache_get_or_claim(c, key, &b);
    bool ok = hit && want && b.len == strlen(want) && memcmp(b.data, want, b.len) == 0;
    if (!hit)
        np_webui_cache_abandon(c, key);
    np_buf_free(&b);
    return want ? ok : !hit;
}

static void fill(np_webui_cache *c, const char *key, const char *body)
{
    np_buf b = {0};
    CHECK(!np_webui_cache_get_or_claim(c, key, &b));
    np_webui_cache_put(c, key, body, strlen(body));
    np_buf_free(&b);
}

TEST(webui_cache_hits_and_least_recent_goes)
{
    np_webui_cache *c = np_webui_cache_new(3, 1 << 20);
    CHECK(get(c, "graph?f=a", NULL));
    fill(c, "graph?f=a", "A");
    fill(c, "graph?f=b", "B");
    fill(c, "top?", "T");
    CHECK(get(c, "graph?f=a", "A")); /* a is now the most recent; b the least */
    fill(c, "peek?f=x", "P");
    CHECK(get(c, "graph?f=a", "A"));
    CHECK(get(c, "top?", "T"));
    CHECK(get(c, "peek?f=x", "P"));
    CHECK(get(c, "graph?f=b", NULL)); /* asking claims a place: a, now the least recent, goes */
    CHECK(get(c, "top?", "T") && get(c, "peek?f=x", "P"));
    np_webui_cache_free(c);
}

TEST(webui_cache_bytes_bound)
{
    np_webui_cache *c = np_webui_cache_new(100, 40);
    fill(c, "a", "0123456789");
    fill(c, "b", "0123456789");
    fill(c, "c", "0123456789");
    fill(c, "d", "0123456789"); /* 40 bytes: all four fit */
    CHECK(get(c, "a", "0123456789"));
    fill(c, "e", "0123456789"); /* b, the least recent, goes */
    CHECK(get(c, "b", NULL));
    CHECK(get(c, "a", "0123456789") && get(c, "e", "0123456789"));
    CHECK(get(c, "c", "0123456789"));
    fill(c, "big", "01234567890"); /* over a quarter of the bytes: not kept */
    CHECK(get(c, "big", NULL));
    np_webui_cache_free(c);
    /* Off (no room at all): nothing is kept, every request makes its own. */
    c = np_webui_cache_new(0, 0);
    fill(c, "a", "x");
    CHECK(get(c, "a", NULL));
    np_webui_cache_free(c);
}

typedef struct waiter {
    np_webui_cache *c;
    atomic_int state; /* 0 waiting, 1 hit, 2 claimed */
    np_buf body;
} waiter;

static void *wait_for(void *arg)
{
    waiter *w = arg;
    bool hit = np_webui_cache_get_or_claim(w->c, "slow", &w->body);
    atomic_store(&w->state, hit ? 1 : 2);
    return NULL;
}

static void nap_ms(int ms)
{
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

TEST(webui_cache_waits_for_the_maker)
{
    np_webui_cache *c = np_webui_cache_new(8, 1 << 20);
    np_buf b = {0};
    CHECK(!np_webui_cache_get_or_claim(c, "slow", &b));
    waiter w = {.c = c};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, wait_for, &w) == 0);
    nap_ms(50);
    CHECK(atomic_load(&w.state) == 0); /* still waiting for the maker */
    np_webui_cache_put(c, "slow", "made once", 9);
    pthread_join(t, NULL);
    CHECK(atomic_load(&w.state) == 1 && w.body.len == 9 && memcmp(w.body.data, "made once", 9) == 0);
    np_buf_free(&w.body);

    /* A maker that gives up hands the key to the next request. */
    waiter w2 = {.c = c};
    CHECK(!np_webui_cache_get_or_claim(c, "other", &b));
    np_webui_cache_abandon(c, "other");
    CHECK(!np_webui_cache_get_or_claim(c, "other", &b));
    np_webui_cache_abandon(c, "other");
    np_webui_cache_free(c);
    c = np_webui_cache_new(8, 1 << 20);
    w2.c = c;
    CHECK(!np_webui_cache_get_or_claim(c, "slow", &b));
    CHECK(pthread_create(&t, NULL, wait_for, &w2) == 0);
    nap_ms(50);
    CHECK(atomic_load(&w2.state) == 0);
    np_webui_cache_abandon(c, "slow");
    pthread_join(t, NULL);
    CHECK(atomic_load(&w2.state) == 2); /* it makes the body itself now */
    np_webui_cache_abandon(c, "slow");
    np_buf_free(&b);
    np_buf_free(&w2.body);
    np_webui_cache_free(c);
}

/*
 * test_journal.c: persist/journal.c — the store's mutations reach every
 * sink as records (the item's value, flags and cas; deletes, touches and
 * flushes), only while a sink is set, not from a muted thread, and
 * journal_log_only reaches the log sink alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/clock.h"
#include "persist/journal.h"
#include "persist/record.h"
#include "store/store.h"

#define MAX_SEEN 16

struct seen {
    int n;
    enum rec_type type[MAX_SEEN];
    char key[MAX_SEEN][16];
    char value[MAX_SEEN][16];
    uint32_t flags[MAX_SEEN];
    uint64_t cas[MAX_SEEN];
    int64_t exptime[MAX_SEEN];
};

static void sink(void *arg, const struct rec *r)
{
    struct seen *s = arg;
    assert_true(s->n < MAX_SEEN);
    s->type[s->n] = r->type;
    if (r->nkey > 0)
        memcpy(s->key[s->n], r->key, r->nkey);
    s->key[s->n][r->nkey] = '\0';
    if (r->vlen > 0)
        memcpy(s->value[s->n], r->value, r->vlen);
    s->value[s->n][r->vlen] = '\0';
    s->flags[s->n] = r->flags;
    s->cas[s->n] = r->cas;
    s->exptime[s->n] = r->exptime;
    s->n++;
}

static struct store *mk(void)
{
    struct store_config cfg = {.max_bytes = 64u << 20, .item_size_max = 1u << 20, .evict = true,
                               .use_cas = true};
    struct store *s = NULL;
    assert_int_equal(store_create(&cfg, &s), STORE_OK);
    return s;
}

static uint64_t set(struct store *s, const char *key, const char *val, uint32_t flags)
{
    struct item *it = NULL;
    size_t n = strlen(val);
    assert_int_equal(store_reserve(s, key, strlen(key), flags, 0, (uint32_t)n, &it), STORE_OK);
    memcpy(item_data(it), val, n);
    uint64_t cas = 0;
    assert_int_equal(store_commit(s, &it, STORE_SET, 0, NULL, &cas), STORE_OK);
    return cas;
}

static void test_every_sink_sees_every_mutation(void **state)
{
    (void)state;
    struct store *s = mk();
    struct journal *j = journal_create(s);
    assert_non_null(j);
    struct seen log = {0}, repl = {0};
    set(s, "before", "x", 0); /* no sink yet: nobody hears of it */
    journal_set_sink(j, JOURNAL_LOG, sink, &log);
    journal_set_sink(j, JOURNAL_REPL, sink, &repl);
    uint64_t cas = set(s, "k", "val", 7);
    assert_int_equal(store_touch(s, "k", 1, clock_now() + 100), STORE_OK);
    assert_int_equal(store_delete(s, "k", 1, NULL), STORE_OK);
    store_flush(s, 0);
    for (int i = 0; i < 2; i++) {
        struct seen *x = i == 0 ? &log : &repl;
        assert_int_equal(x->n, 4);
        assert_int_equal(x->type[0], REC_SET);
        assert_string_equal(x->key[0], "k");
        assert_string_equal(x->value[0], "val");
        assert_int_equal(x->flags[0], 7);
        assert_int_equal(x->cas[0], cas);
        assert_int_equal(x->type[1], REC_TOUCH);
        assert_int_equal(x->exptime[1], clock_to_unix(clock_now() + 100));
        assert_int_equal(x->type[2], REC_DELETE);
        assert_string_equal(x->key[2], "k");
        assert_int_equal(x->type[3], REC_FLUSH);
    }
    /* removing one sink leaves the other */
    journal_set_sink(j, JOURNAL_REPL, NULL, NULL);
    set(s, "a", "1", 0);
    assert_int_equal(log.n, 5);
    assert_int_equal(repl.n, 4);
    /* with none set, the store is unhooked: nothing */
    journal_set_sink(j, JOURNAL_LOG, NULL, NULL);
    set(s, "b", "2", 0);
    assert_int_equal(log.n, 5);
    journal_free(&j);
    assert_null(j);
    store_destroy(&s);
}

static void test_muted_thread_and_log_only(void **state)
{
    (void)state;
    struct store *s = mk();
    struct journal *j = journal_create(s);
    struct seen log = {0}, repl = {0};
    journal_set_sink(j, JOURNAL_LOG, sink, &log);
    journal_set_sink(j, JOURNAL_REPL, sink, &repl);
    journal_mute(true);
    set(s, "quiet", "q", 0);
    assert_int_equal(store_delete(s, "quiet", 5, NULL), STORE_OK);
    assert_int_equal(log.n, 0);
    assert_int_equal(repl.n, 0);
    struct rec r = {.type = REC_SET, .nkey = 3, .key = "abc", .vlen = 2, .value = "hi", .cas = 9};
    journal_log_only(j, &r);
    assert_int_equal(log.n, 1);
    assert_int_equal(repl.n, 0);
    assert_string_equal(log.key[0], "abc");
    assert_int_equal(log.cas[0], 9);
    journal_mute(false);
    set(s, "loud", "l", 0);
    assert_int_equal(log.n, 2);
    assert_int_equal(repl.n, 1);
    journal_free(&j);
    store_destroy(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_sink_sees_every_mutation),
        cmocka_unit_test(test_muted_thread_and_log_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for server/exec: the meaning of each command, driven with
 * hand-built requests against a real store, replies captured as struct
 * responses (no sockets, no wire format). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../clock_fresh.h"

#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "server/exec.h"
#include "server/server.h"
#include "server/stats.h"
#include "store/store.h"

struct capture {
    struct store *store;
    enum response_kind kinds[16];
    char values[16][64];
    uint64_t numbers[16];
    char msgs[16][96];
    int n;
};

static void capture_reply(void *sink, const struct response *rsp, struct item *it)
{
    struct capture *c = sink;
    assert_true(c->n < 16);
    c->kinds[c->n] = rsp->kind;
    c->numbers[c->n] = rsp->number;
    c->values[c->n][0] = '\0';
    c->msgs[c->n][0] = '\0';
    if (rsp->nmsg > 0)
        snprintf(c->msgs[c->n], sizeof(c->msgs[0]), "%.*s", (int)rsp->nmsg, rsp->msg);
    if (it != NULL) {
        snprintf(c->values[c->n], sizeof(c->values[0]), "%.*s", (int)item_vlen(it), item_value(it));
        store_release(c->store, &it);
    }
    c->n++;
}

struct fixture {
    struct server srv;
    struct thread_stats stats;
    struct capture cap;
    struct exec_ctx x;
};

static int setup(void **state)
{
    static struct fixture f;
    memset(&f, 0, sizeof(f));
    config_defaults(&f.srv.cfg);
    struct store_config scfg = {.max_bytes = 8u << 20, .item_size_max = 1u << 20, .evict = true, .use_cas = true};
    assert_int_equal(store_create(&scfg, &f.srv.store), STORE_OK);
    f.cap.store = f.srv.store;
    f.x = (struct exec_ctx){.srv = &f.srv, .stats = &f.stats, .reply = capture_reply, .sink = &f.cap};
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    store_destroy(&f->srv.store);
    return 0;
}

/* Run a storage command with the given data block (including its "\r\n"). */
static void store_cmd(struct fixture *f, enum request_cmd cmd, const char *key, const char *block,
                      uint64_t cas)
{
    size_t blen = strlen(block);
    struct request req = {.cmd = cmd, .key = key, .nkey = strlen(key), .vlen = (uint32_t)(blen - 2),
                          .cas = cas, .nkeys = 1};
    struct item *it = NULL;
    f->cap.n = 0;
    enum exec_next next = exec_store_begin(&f->x, &req, &it);
    if (next != EXEC_READ_DATA)
        return;
    memcpy(item_data(it), block, blen);
    exec_store_finish(&f->x, &req, &it);
    assert_null(it);
}

static void get_cmd(struct fixture *f, enum request_cmd cmd, const char *keys)
{
    size_t n = strlen(keys);
    const char *space = memchr(keys, ' ', n);
    struct request req = {.cmd = cmd, .key = keys, .nkey = space ? (size_t)(space - keys) : n,
                          .keys = keys, .nkeys_text = n, .nkeys = 1};
    f->cap.n = 0;
    assert_int_equal(exec_request(&f->x, &req), EXEC_CONTINUE);
}

static void simple_cmd(struct fixture *f, enum request_cmd cmd, const char *key, uint64_t delta)
{
    struct request req = {.cmd = cmd, .key = key, .nkey = key ? strlen(key) : 0, .delta = delta, .nkeys = 1};
    f->cap.n = 0;
    exec_request(&f->x, &req);
}

static void test_set_get(void **state)
{
    struct fixture *f = *state;
    store_cmd(f, REQ_SET, "k", "hello\r\n", 0);
    assert_int_equal(f->cap.n, 1);
    assert_int_equal(f->cap.kinds[0], RSP_STORED);
    get_cmd(f, REQ_GET, "k missing");
    /* A miss is reported explicitly (meta says EN, binary "Not found"; the
     * text composer writes nothing for it). */
    assert_int_equal(f->cap.n, 3);
    assert_int_equal(f->cap.kinds[0], RSP_VALUE);
    assert_string_equal(f->cap.values[0], "hello");
    assert_int_equal(f->cap.kinds[1], RSP_MISS);
    assert_int_equal(f->cap.kinds[2], RSP_END);
    assert_int_equal(atomic_load(&f->stats.get_hits), 1);
    assert_int_equal(atomic_load(&f->stats.get_misses), 1);
}

static void test_bad_data_chunk(void **state)
{
    struct fixture *f = *state;
    store_cmd(f, REQ_SET, "k", "hello!!", 0); /* no "\r\n" at the end */
    assert_int_equal(f->cap.kinds[0], RSP_CLIENT_ERROR);
    assert_string_equal(f->cap.msgs[0], "bad data chunk");
    get_cmd(f, REQ_GET, "k");
    assert_int_equal(f->cap.kinds[0], RSP_MISS);
    assert_int_equal(f->cap.kinds[1], RSP_END);
}

static void test_add_replace_cas(void **state)
{
    struct fixture *f = *state;
    store_cmd(f, REQ_REPLACE, "k", "a\r\n", 0);
    assert_int_equal(f->cap.kinds[0], RSP_NOT_STORED);
    store_cmd(f, REQ_ADD, "k", "a\r\n", 0);
    assert_int_equal(f->cap.kinds[0], RSP_STORED);
    store_cmd(f, REQ_ADD, "k", "b\r\n", 0);
    assert_int_equal(f->cap.kinds[0], RSP_NOT_STORED);
    store_cmd(f, REQ_CAS, "nope", "b\r\n", 1);
    assert_int_equal(f->cap.kinds[0], RSP_NOT_FOUND);
    struct item *it = store_get(f->srv.store, "k", 1, NULL, NULL);
    uint64_t cas = store_item_cas(f->srv.store, it);
    store_release(f->srv.store, &it);
    store_cmd(f, REQ_CAS, "k", "c\r\n", cas + 1000);
    assert_int_equal(f->cap.kinds[0], RSP_EXISTS);
    store_cmd(f, REQ_CAS, "k", "c\r\n", cas);
    assert_int_equal(f->cap.kinds[0], RSP_STORED);
    assert_int_equal(atomic_load(&f->stats.cas_badval), 1);
    assert_int_equal(atomic_load(&f->stats.cas_hits), 1);
    assert_int_equal(atomic_load(&f->stats.cas_misses), 1);
}

static void test_incr_decr(void **state)
{
    struct fixture *f = *state;
    simple_cmd(f, REQ_INCR, "n", 1);
    assert_int_equal(f->cap.kinds[0], RSP_NOT_FOUND);
    store_cmd(f, REQ_SET, "n", "18446744073709551615\r\n", 0);
    simple_cmd(f, REQ_INCR, "n", 1);
    assert_int_equal(f->cap.kinds[0], RSP_NUMBER);
    assert_int_equal(f->cap.numbers[0], 0);
    simple_cmd(f, REQ_DECR, "n", 5);
    assert_int_equal(f->cap.numbers[0], 0);
    store_cmd(f, REQ_SET, "s", "abc\r\n", 0);
    simple_cmd(f, REQ_INCR, "s", 1);
    assert_int_equal(f->cap.kinds[0], RSP_CLIENT_ERROR);
    assert_string_equal(f->cap.msgs[0], "cannot increment or decrement non-numeric value");
}

static void test_too_large_drops_old_value(void **state)
{
    struct fixture *f = *state;
    store_cmd(f, REQ_SET, "k", "old\r\n", 0);
    struct request req = {.cmd = REQ_SET, .key = "k", .nkey = 1, .vlen = 2u << 20, .nkeys = 1};
    struct item *it = NULL;
    f->cap.n = 0;
    assert_int_equal(exec_store_begin(&f->x, &req, &it), EXEC_SWALLOW);
    assert_null(it);
    assert_int_equal(f->cap.kinds[0], RSP_SERVER_ERROR);
    assert_string_equal(f->cap.msgs[0], "object too large for cache");
    get_cmd(f, REQ_GET, "k");
    assert_int_equal(f->cap.kinds[0], RSP_MISS);
    assert_int_equal(f->cap.kinds[1], RSP_END); /* memcached drops the stale value */
}

static void test_flush_and_disabled_commands(void **state)
{
    struct fixture *f = *state;
    store_cmd(f, REQ_SET, "k", "v\r\n", 0);
    simple_cmd(f, REQ_FLUSH_ALL, NULL, 0);
    assert_int_equal(f->cap.kinds[0], RSP_OK);
    get_cmd(f, REQ_GET, "k");
    assert_int_equal(f->cap.kinds[0], RSP_MISS);
    assert_int_equal(f->cap.kinds[1], RSP_END);
    f->srv.cfg.flush_enabled = false;
    simple_cmd(f, REQ_FLUSH_ALL, NULL, 0);
    assert_int_equal(f->cap.kinds[0], RSP_CLIENT_ERROR);
    assert_string_equal(f->cap.msgs[0], "flush_all not allowed");
    struct request shut = {.cmd = REQ_SHUTDOWN};
    f->cap.n = 0;
    assert_int_equal(exec_request(&f->x, &shut), EXEC_CONTINUE);
    assert_int_equal(f->cap.kinds[0], RSP_LINE);
    assert_string_equal(f->cap.msgs[0], "SERVER_ERROR: shutdown not enabled");
    f->srv.cfg.shutdown_enabled = true;
    assert_int_equal(exec_request(&f->x, &shut), EXEC_CLOSE);
    assert_true(atomic_load(&f->srv.shutdown_requested));
}

static void test_exptime_rules(void **state)
{
    uint32_t now = clock_fresh_now();
    assert_int_equal(exec_exptime(0), 0);
    assert_int_equal(exec_exptime(-1), STORE_EXPIRED);
    assert_int_equal(exec_exptime(100), now + 100);
    assert_int_equal(exec_exptime(60 * 60 * 24 * 30), now + 60 * 60 * 24 * 30);
    /* Above 30 days: absolute Unix time; one in the past is already expired. */
    assert_true(exec_exptime(60 * 60 * 24 * 30 + 1) <= now);
    int64_t future = clock_to_unix(now) + 1000;
    assert_int_equal(exec_exptime(future), now + 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_set_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_data_chunk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_replace_cas, setup, teardown),
        cmocka_unit_test_setup_teardown(test_incr_decr, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_large_drops_old_value, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flush_and_disabled_commands, setup, teardown),
        cmocka_unit_test(test_exptime_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

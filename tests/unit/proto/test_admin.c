/*
 * test_admin.c: the arguments of slabs, lru, lru_crawler and watch
 * (src/proto/admin.c). Each case is a line 1.6.45 was asked, with the
 * reply it gave when that reply does not depend on the server's state
 * (the table atop admin.c), or the operation and values parsed; and every
 * fuzz seed through fuzz_admin.c's checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/admin.h"

#define FUZZ_CHECK(cond) assert_true(cond)
#include "fuzz_admin.c"
#include "seed_replay.h"

struct bad_case {
    enum request_cmd cmd;
    const char *arg;
    const char *reply;
};

static const struct bad_case bad[] = {
    {REQ_SLABS, "", "ERROR"},
    {REQ_SLABS, "foo", "ERROR"},
    {REQ_SLABS, "automove", "ERROR"},
    {REQ_SLABS, "automove 3", "ERROR"},
    {REQ_SLABS, "automove x", "CLIENT_ERROR bad command line format"},
    {REQ_SLABS, "automove -1", "CLIENT_ERROR bad command line format"},
    {REQ_SLABS, "automove window 2", "CLIENT_ERROR automove window too low or too high"},
    {REQ_SLABS, "automove window 1801", "CLIENT_ERROR automove window too low or too high"},
    {REQ_SLABS, "automove window", "CLIENT_ERROR bad command line format"},
    {REQ_SLABS, "automove ratio", "ERROR"},
    {REQ_SLABS, "automove freeratio x", "ERROR"},
    {REQ_SLABS, "reassign", "ERROR"},
    {REQ_SLABS, "reassign 1", "ERROR"},
    {REQ_SLABS, "reassign 1 2 3", "ERROR"},
    {REQ_SLABS, "reassign x 2", "CLIENT_ERROR bad command line format"},
    {REQ_SLABS, "reassign 1 2147483648", "CLIENT_ERROR bad command line format"},
    {REQ_LRU, "", "ERROR"},
    {REQ_LRU, "tune", "ERROR"},
    {REQ_LRU, "tune a b c d", "ERROR"},
    {REQ_LRU, "tune 50 50 0.1 2", "ERROR hot and warm pcts must not exceed 80"},
    {REQ_LRU, "tune 10 10 0 2", "ERROR hot/warm age factors must be greater than 0"},
    {REQ_LRU, "tune 10 10 0.1 -2", "ERROR hot/warm age factors must be greater than 0"},
    {REQ_LRU, "mode", "ERROR"},
    {REQ_LRU, "mode x", "ERROR"},
    {REQ_LRU, "temp_ttl", "ERROR"},
    {REQ_LRU, "temp_ttl x", "ERROR"},
    {REQ_LRU, "foo", "ERROR"},
    {REQ_LRU_CRAWLER, "", "ERROR"},
    {REQ_LRU_CRAWLER, "crawl", "ERROR"},
    {REQ_LRU_CRAWLER, "crawl 1 2", "ERROR"},
    {REQ_LRU_CRAWLER, "mgdump", "ERROR"},
    {REQ_LRU_CRAWLER, "tocrawl", "ERROR"},
    {REQ_LRU_CRAWLER, "tocrawl x", "CLIENT_ERROR bad command line format"},
    {REQ_LRU_CRAWLER, "tocrawl -1", "CLIENT_ERROR bad command line format"},
    {REQ_LRU_CRAWLER, "sleep x", "CLIENT_ERROR bad command line format"},
    {REQ_LRU_CRAWLER, "sleep 1000001", "CLIENT_ERROR sleep must be one second or less"},
    {REQ_LRU_CRAWLER, "foo", "ERROR"},
    {REQ_LRU_CRAWLER, "foo bar", "ERROR"},
    {REQ_LRU_CRAWLER, "enable now", "ERROR"},
    {REQ_WATCH, "foo", "ERROR"},
    {REQ_WATCH, "mutations foo", "ERROR"},
};

static void test_bad(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct admin_req r;
        print_message("bad: %s %s\n", request_cmd_name(bad[i].cmd), bad[i].arg);
        admin_parse(bad[i].cmd, bad[i].arg, strlen(bad[i].arg), &r);
        assert_int_equal(r.op, ADMIN_INVALID);
        assert_string_equal(r.reply, bad[i].reply);
    }
}

static struct admin_req parse(enum request_cmd cmd, const char *arg)
{
    struct admin_req r;
    admin_parse(cmd, arg, strlen(arg), &r);
    return r;
}

static void test_slabs(void **state)
{
    (void)state;
    struct admin_req r = parse(REQ_SLABS, "automove 2");
    assert_int_equal(r.op, ADMIN_SLABS_AUTOMOVE);
    assert_int_equal(r.u[0], 2);
    r = parse(REQ_SLABS, "a 0"); /* any prefix of a sub-command */
    assert_int_equal(r.op, ADMIN_SLABS_AUTOMOVE);
    assert_int_equal(r.u[0], 0);
    r = parse(REQ_SLABS, "automove 1 2"); /* extra tokens ignored */
    assert_int_equal(r.op, ADMIN_SLABS_AUTOMOVE);
    r = parse(REQ_SLABS, "automove window 30");
    assert_int_equal(r.op, ADMIN_SLABS_AUTOMOVE_WINDOW);
    assert_int_equal(r.u[0], 30);
    r = parse(REQ_SLABS, "automove ratio 0.5");
    assert_int_equal(r.op, ADMIN_SLABS_AUTOMOVE_RATIO);
    assert_true(r.d[0] == 0.5);
    r = parse(REQ_SLABS, "automove freeratio 0.02");
    assert_int_equal(r.op, ADMIN_SLABS_AUTOMOVE_FREERATIO);
    r = parse(REQ_SLABS, "r -1 2");
    assert_int_equal(r.op, ADMIN_SLABS_REASSIGN);
    assert_int_equal(r.i[0], -1);
    assert_int_equal(r.i[1], 2);
}

static void test_lru(void **state)
{
    (void)state;
    struct admin_req r = parse(REQ_LRU, "tune 10 20 0.1 2 5");
    assert_int_equal(r.op, ADMIN_LRU_TUNE);
    assert_int_equal(r.u[0], 10);
    assert_int_equal(r.u[1], 20);
    assert_true(r.d[0] == 0.1 && r.d[1] == 2.0);
    r = parse(REQ_LRU, "mode f");
    assert_int_equal(r.op, ADMIN_LRU_MODE);
    assert_false(r.flag);
    r = parse(REQ_LRU, "mode segmented");
    assert_true(r.flag);
    r = parse(REQ_LRU, "temp_ttl -1");
    assert_int_equal(r.op, ADMIN_LRU_TEMP_TTL);
    assert_int_equal(r.i[0], -1);
    /* "t" with fewer than four numbers is not tune but temp_ttl, as in 1.6.45 */
    r = parse(REQ_LRU, "t 5");
    assert_int_equal(r.op, ADMIN_LRU_TEMP_TTL);
    assert_int_equal(r.i[0], 5);
}

static void test_crawler(void **state)
{
    (void)state;
    struct admin_req r = parse(REQ_LRU_CRAWLER, "crawl all");
    assert_int_equal(r.op, ADMIN_CRAWLER_CRAWL);
    assert_int_equal(r.classes, ADMIN_CLASSES_ALL);
    r = parse(REQ_LRU_CRAWLER, "metadump hash");
    assert_int_equal(r.op, ADMIN_CRAWLER_METADUMP);
    assert_int_equal(r.classes, ADMIN_CLASSES_HASH);
    r = parse(REQ_LRU_CRAWLER, "mgdump 1,,63");
    assert_int_equal(r.op, ADMIN_CRAWLER_MGDUMP);
    assert_int_equal(r.classes, ADMIN_CLASSES_LIST);
    assert_true(r.class_mask == ((1ull << 1) | (1ull << 63)));
    static const char *const badclass[] = {"crawl 0", "crawl 64", "crawl x", "crawl 1,x", "metadump -1"};
    for (size_t i = 0; i < sizeof(badclass) / sizeof(badclass[0]); i++) {
        r = parse(REQ_LRU_CRAWLER, badclass[i]);
        assert_int_not_equal(r.op, ADMIN_INVALID);
        assert_int_equal(r.classes, ADMIN_CLASSES_BAD);
    }
    r = parse(REQ_LRU_CRAWLER, "m all"); /* metadump comes before mgdump */
    assert_int_equal(r.op, ADMIN_CRAWLER_METADUMP);
    r = parse(REQ_LRU_CRAWLER, "sleep 1000000");
    assert_int_equal(r.op, ADMIN_CRAWLER_SLEEP);
    assert_int_equal(r.u[0], 1000000);
    r = parse(REQ_LRU_CRAWLER, "tocrawl 4294967295");
    assert_int_equal(r.op, ADMIN_CRAWLER_TOCRAWL);
    r = parse(REQ_LRU_CRAWLER, "tocrawl 4294967296");
    assert_int_equal(r.op, ADMIN_INVALID);
    assert_int_equal(parse(REQ_LRU_CRAWLER, "enable").op, ADMIN_CRAWLER_ENABLE);
    assert_int_equal(parse(REQ_LRU_CRAWLER, "d").op, ADMIN_CRAWLER_DISABLE);
}

static void test_watch(void **state)
{
    (void)state;
    struct admin_req r = parse(REQ_WATCH, "");
    assert_int_equal(r.op, ADMIN_WATCH);
    assert_int_equal(r.mask, ADMIN_WATCH_FETCHERS);
    r = parse(REQ_WATCH, "mutations deletions");
    assert_int_equal(r.mask, ADMIN_WATCH_MUTATIONS | ADMIN_WATCH_DELETIONS);
    r = parse(REQ_WATCH, "e"); /* a prefix: evictions */
    assert_int_equal(r.mask, ADMIN_WATCH_EVICTIONS);
}

static void test_fuzz_seeds(void **state)
{
    (void)state;
    seed_replay(MNEMO_ADMIN_SEEDS_DIR, LLVMFuzzerTestOneInput, 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad),     cmocka_unit_test(test_slabs),
        cmocka_unit_test(test_lru),     cmocka_unit_test(test_crawler),
        cmocka_unit_test(test_watch),   cmocka_unit_test(test_fuzz_seeds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

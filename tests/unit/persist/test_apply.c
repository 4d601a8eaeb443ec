/*
 * test_apply.c: persist/apply.c — records put back into a store, with
 * field values a CRC does not vouch for: times at both ends of 64 bits, a
 * touch that counts as a fetch, cas values at the top; and every fuzz
 * seed through fuzz_apply.c's model of what each record means.
 *
 *   test_apply --write-seeds DIR   writes the seeds of tests/fuzz/seeds/apply
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define FUZZ_CHECK(cond) assert_true(cond)
#include "fuzz_apply.c"
#include "../proto/seed_replay.h"

/* ---- direct cases ------------------------------------------------------------- */

/* A store with records applied to it. */
static struct store *applied(const struct rec *recs, int n)
{
    struct store_config cfg = {.max_bytes = 4u * APPLY_MB, .item_size_max = APPLY_ITEM_MAX,
                               .evict = true, .use_cas = true};
    struct store *s = NULL;
    assert_int_equal(store_create(&cfg, &s), STORE_OK);
    struct rec_apply a;
    rec_apply_init(&a, s, itemrec_now_unix());
    for (int i = 0; i < n; i++)
        rec_apply(&a, &recs[i]);
    rec_apply_free(&a);
    return s;
}

static bool present(struct store *s, const char *key)
{
    struct store_get_opts peek = {.peek = true};
    struct item *it = store_get(s, key, strlen(key), &peek, NULL);
    if (it == NULL)
        return false;
    store_release(s, &it);
    return true;
}

#define SET(k, t) {.type = REC_SET, .nkey = 2, .key = (k), .vlen = 1, .value = "v", .exptime = (t)}
#define TOUCH(k, t) {.type = REC_TOUCH, .nkey = 2, .key = (k), .exptime = (t)}

/* A TOUCH to the earliest time a record can carry expires the item: the
 * time once overflowed on its way to the server clock and came out as
 * the far future, so the item never expired. The latest time keeps it. */
static void test_touch_to_either_end_of_time(void **state)
{
    (void)state;
    const struct rec recs[] = {SET("k1", 0), SET("k2", 0), TOUCH("k1", INT64_MIN),
                               TOUCH("k2", INT64_MAX)};
    struct store *s = applied(recs, 4);
    assert_false(present(s, "k1"));
    assert_true(present(s, "k2"));
    store_destroy(&s);
}

/* A SET whose expiry is the earliest or the latest time: not loaded, and
 * loaded to stay. */
static void test_set_at_either_end_of_time(void **state)
{
    (void)state;
    const struct rec recs[] = {SET("k1", INT64_MIN), SET("k2", INT64_MAX)};
    struct store *s = applied(recs, 2);
    assert_false(present(s, "k1"));
    assert_true(present(s, "k2"));
    store_destroy(&s);
}

/* ---- the fuzz seeds ----------------------------------------------------------- */

static void test_fuzz_seeds(void **state)
{
    (void)state;
    seed_replay(MNEMO_APPLY_SEEDS_DIR, LLVMFuzzerTestOneInput, 8);
}

/* A seed is the input fuzz_apply.c reads: each record as choose_record
 * takes its fields, byte by byte. */
struct seed {
    char b[2048];
    size_t n;
};

static void put(struct seed *sd, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++) {
        assert_true(sd->n < sizeof(sd->b));
        sd->b[sd->n++] = (char)(uint8_t)(v >> (8 * i));
    }
}

enum { EXP_NONE, EXP_FUTURE, EXP_PAST, EXP_RAW, EXP_END, EXP_NEAR };
enum { CAS_NONE, CAS_RAW, CAS_COUNTED, CAS_TOP };
#define DRAIN 0x80u
#define RAW_KEY 0xc0u /* a key byte at or above 192: a key of the input's own bytes follows */

struct seed_rec {
    enum rec_type type;
    uint8_t drain, bits, key; /* key: k<key % 24> below RAW_KEY */
    uint32_t flags;
    uint8_t exp;
    uint64_t exp_arg;
    uint8_t cas;
    uint64_t cas_arg;
    uint8_t vlen;    /* 240 and up: a long value, of big_arg */
    uint16_t big_arg;
    uint8_t vseed;
    const char *raw_key; /* with key >= RAW_KEY */
    uint8_t raw_nkey;
};

static void put_rec(struct seed *sd, const struct seed_rec *r)
{
    put(sd, (uint64_t)(r->type - 1) | r->drain, 1);
    put(sd, r->bits, 1);
    if (r->type == REC_SET || r->type == REC_DELETE || r->type == REC_TOUCH) {
        put(sd, r->key, 1);
        if (r->key >= RAW_KEY) {
            put(sd, (uint64_t)(r->raw_nkey - 1), 1);
            for (int i = 0; i < r->raw_nkey; i++)
                put(sd, (uint8_t)r->raw_key[i], 1);
        }
    }
    put(sd, r->flags, 4);
    put(sd, 0, 1); /* stamp: now */
    put(sd, r->exp, 1);
    static const int exp_bytes[] = {0, 1, 1, 8, 1, 1};
    put(sd, r->exp_arg, exp_bytes[r->exp]);
    put(sd, r->cas, 1);
    static const int cas_bytes[] = {0, 8, 0, 1};
    put(sd, r->cas_arg, cas_bytes[r->cas]);
    if (r->type == REC_SET) {
        put(sd, r->vlen, 1);
        if (r->vlen >= 240)
            put(sd, r->big_arg, 2);
        put(sd, r->vseed, 1);
    }
}

static void write_seed(const char *dir, const char *name, const struct seed_rec *recs, int n)
{
    struct seed sd = {.n = 0};
    for (int i = 0; i < n; i++)
        put_rec(&sd, &recs[i]);
    seed_write(dir, name, sd.b, sd.n);
}

static int write_seeds(const char *dir)
{
    const struct seed_rec past_touch[] = {
        {.type = REC_SET, .key = 0, .vlen = 5, .vseed = 1},
        {.type = REC_TOUCH, .key = 0, .exp = EXP_END, .exp_arg = 1},
        {.type = REC_SET, .key = 1, .vlen = 5, .vseed = 2},
        {.type = REC_TOUCH, .key = 1, .exp = EXP_END, .exp_arg = 0},
    };
    write_seed(dir, "touch_to_either_end", past_touch, 4);
    const struct seed_rec fetched[] = {
        {.type = REC_SET, .key = 2, .bits = REC_BIT_STALE, .vlen = 9, .vseed = 3},
        {.type = REC_TOUCH, .key = 2, .exp = EXP_FUTURE, .exp_arg = 7, .drain = DRAIN},
        {.type = REC_TOUCH, .key = 3},
    };
    write_seed(dir, "touch_counts_as_fetch", fetched, 3);
    const struct seed_rec flushes[] = {
        {.type = REC_SET, .key = 0, .vlen = 3, .flags = 7},
        {.type = REC_SET, .key = 1, .vlen = 3, .exp = EXP_FUTURE},
        {.type = REC_FLUSH, .exp = EXP_FUTURE, .exp_arg = 3},
        {.type = REC_SET, .key = 2, .vlen = 3, .drain = DRAIN},
        {.type = REC_FLUSH},
        {.type = REC_SET, .key = 3, .vlen = 3, .cas = CAS_COUNTED},
    };
    write_seed(dir, "flush_delayed_then_now", flushes, 6);
    const struct seed_rec top[] = {
        {.type = REC_SET, .key = 0, .vlen = 1, .cas = CAS_TOP, .cas_arg = 0},
        {.type = REC_SET, .key = 1, .vlen = 1, .cas = CAS_RAW, .cas_arg = UINT64_C(1) << 63},
        {.type = REC_DELETE, .key = 1, .cas = CAS_RAW, .cas_arg = (UINT64_C(1) << 63) - 2},
    };
    write_seed(dir, "cas_at_the_top", top, 3);
    const struct seed_rec bigs[] = {
        {.type = REC_SET, .key = 0, .vlen = 240, .big_arg = 100, .vseed = 9},
        {.type = REC_SET, .key = 1, .vlen = 250, .big_arg = 5715, .vseed = 8}, /* past -I */
        {.type = REC_SET, .key = 0, .vlen = 250, .big_arg = 2000, .drain = DRAIN},
        {.type = REC_SET, .key = 2, .vlen = 200, .cas = CAS_COUNTED},
    };
    write_seed(dir, "long_values", bigs, 4);
    static const char odd[] = "a key with spaces,\r\n a NUL \0 and \xff bytes";
    const struct seed_rec raw[] = {
        {.type = REC_SET, .key = RAW_KEY, .raw_key = odd, .raw_nkey = sizeof(odd) - 1,
         .bits = 0x0f, .vlen = 4},
        {.type = REC_SET, .key = 5, .bits = REC_BIT_KEY_BINARY | REC_BIT_WIN_SENT, .vlen = 0},
        {.type = REC_DELETE, .key = RAW_KEY, .raw_key = odd, .raw_nkey = 10},
        {.type = REC_TOUCH, .key = RAW_KEY, .raw_key = odd, .raw_nkey = sizeof(odd) - 1,
         .exp = EXP_PAST, .exp_arg = 3},
    };
    write_seed(dir, "odd_keys_and_bits", raw, 4);
    struct seed_rec times[6];
    for (int i = 0; i < 6; i++)
        times[i] = (struct seed_rec){.type = REC_SET, .key = (uint8_t)i, .vlen = 2,
                                     .exp = (uint8_t)i, .exp_arg = i == EXP_RAW ? 12345 : 1,
                                     .drain = i % 2 ? DRAIN : 0};
    write_seed(dir, "every_kind_of_expiry", times, 6);
    const struct seed_rec misc[] = {
        {.type = REC_SYNC, .cas = CAS_COUNTED},
        {.type = REC_DELETE, .key = 4},
        {.type = REC_TOUCH, .key = 4, .exp = EXP_NONE},
        {.type = REC_SET, .key = 4, .vlen = 1},
        {.type = REC_SET, .key = 4, .vlen = 2, .exp = EXP_NEAR, .exp_arg = 5},
    };
    write_seed(dir, "sync_and_absent_keys", misc, 5);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write-seeds") == 0) {
        return write_seeds(argv[2]);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_touch_to_either_end_of_time),
        cmocka_unit_test(test_set_at_either_end_of_time),
        cmocka_unit_test(test_fuzz_seeds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

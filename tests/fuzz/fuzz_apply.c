/*
 * fuzz_apply.c: libFuzzer target for putting records back into a store
 * (persist/apply.c, store/restore.c): what recovery does with a log's and
 * a snapshot's records, and a replica with its primary's stream.
 *
 * Every record that reaches rec_apply has passed its CRC, so the readers'
 * targets (fuzz_logfile, fuzz_snapfile) never get here with odd fields:
 * a CRC is no proof the fields make sense. A primary of another version,
 * a damaged disk that happened to keep a CRC, or a peer that speaks the
 * stream on purpose can hand over any values the format can carry. So the
 * input here is not bytes of a record but the choice of each field: type,
 * key (from a small set, so records meet on keys, or any bytes), flags,
 * stamp, exptime (none, past, future, near, or any 64-bit value), cas
 * (none, counted, or any 64-bit value up to the top), value length (up to
 * beyond -I). Each record is encoded with a right CRC, decoded, and
 * applied, with the batch drained at the input's choice. Checks:
 *  - a record encodes and decodes back to exactly its fields;
 *  - afterwards the store agrees with a model of what each record means:
 *    a key whose last word was a SET that fits, is unexpired and was not
 *    flushed is there with its value, flags, cas and meta bits; a deleted,
 *    expired, flushed or too-large one is not; a TOUCH moves the expiry;
 *    a delayed FLUSH changes nothing yet (keys expiring within ten minutes
 *    of now are left unjudged: the real clock may reach them); a TOUCH
 *    marks the item fetched, as a touch on the primary did;
 *  - nothing was evicted (the inputs are bounded to fit);
 *  - after store_raise_cas(the largest cas applied), a new item's cas is
 *    above it (up to the store's ceiling of 2^63 - 1): cas values are not
 *    handed out twice after a recovery;
 *  - and, as for every target, no crash and no undefined behaviour.
 *
 * Also compiled into tests/unit/persist/test_apply.c (FUZZ_CHECK mapped
 * to cmocka), so every seed in seeds/apply/ is a unit test.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "persist/apply.h"
#include "persist/itemrec.h"
#include "persist/record.h"
#include "store/store.h"

#include "fuzz_check.h"

#define APPLY_MB (1024u * 1024u)
#define APPLY_STORE_BYTES (16u * APPLY_MB)
#define APPLY_ITEM_MAX (32u * 1024u)    /* the store's -I: longer values are refused */
#define APPLY_BIG_MAX (48u * 1024u)     /* the longest value a record gets */
#define APPLY_BIGS 8                    /* values longer than 255 bytes, per input */
#define APPLY_RECORDS 512               /* records per input */
#define APPLY_KEYS 24                   /* the small key set: k0 .. k23 */
#define APPLY_MODEL (APPLY_RECORDS + APPLY_KEYS)
#define APPLY_NEAR 600                  /* seconds from now an expiry is left unjudged */
#define APPLY_CAS_CEILING ((UINT64_C(1) << 63) - 1u)

/* The bytes of the input, read field by field; 0 once they run out. */
struct apply_input {
    const uint8_t *p;
    size_t n;
};

static uint8_t in8(struct apply_input *in)
{
    if (in->n == 0) {
        return 0;
    }
    in->n--;
    return *in->p++;
}

static uint64_t in_bytes(struct apply_input *in, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) {
        v |= (uint64_t)in8(in) << (8 * i);
    }
    return v;
}

enum apply_state { M_ABSENT, M_PRESENT, M_UNJUDGED };

/* What the model expects of one key. */
struct apply_key {
    char key[REC_KEY_MAX];
    uint8_t nkey;
    enum apply_state state;
    uint32_t flags, vlen;
    uint8_t vseed, bits;
    uint64_t cas; /* 0: the store derived one */
};

struct apply_model {
    struct apply_key keys[APPLY_MODEL];
    int n;
};

/* The value of a record: vlen bytes made from a seed, so the model keeps
 * two numbers instead of a copy. */
static void apply_value(char *dst, uint32_t vlen, uint8_t seed)
{
    for (uint32_t i = 0; i < vlen; i++) {
        dst[i] = (char)(uint8_t)(seed + i * 131u);
    }
}

static struct apply_key *model_key(struct apply_model *m, const char *key, uint8_t nkey)
{
    for (int i = 0; i < m->n; i++) {
        if (m->keys[i].nkey == nkey && memcmp(m->keys[i].key, key, nkey) == 0) {
            return &m->keys[i];
        }
    }
    struct apply_key *k = &m->keys[m->n++];
    memset(k, 0, sizeof(*k));
    memcpy(k->key, key, nkey);
    k->nkey = nkey;
    k->state = M_ABSENT;
    return k;
}

/* An expiry as the model sees it at now: gone, kept, or too near to say. */
static enum apply_state expiry_state(int64_t exptime, int64_t now)
{
    if (exptime == 0 || exptime > now + APPLY_NEAR) {
        return M_PRESENT;
    }
    return exptime <= now ? M_ABSENT : M_UNJUDGED;
}

static void model_apply(struct apply_model *m, const struct store *s, const struct rec *r,
                        uint8_t vseed, int64_t now)
{
    switch (r->type) {
    case REC_SET: {
        struct apply_key *k = model_key(m, r->key, r->nkey);
        k->state = store_item_fits(s, r->nkey, r->vlen) ? expiry_state(r->exptime, now) : M_ABSENT;
        k->flags = r->flags;
        k->vlen = r->vlen;
        k->vseed = vseed;
        k->bits = r->bits;
        k->cas = r->cas;
        break;
    }
    case REC_DELETE:
        model_key(m, r->key, r->nkey)->state = M_ABSENT;
        break;
    case REC_TOUCH: {
        struct apply_key *k = model_key(m, r->key, r->nkey);
        if (k->state == M_PRESENT) {
            k->state = expiry_state(r->exptime, now);
            k->bits |= REC_BIT_FETCHED; /* a touch counts as a fetch (memcached's) */
        }
        break;
    }
    case REC_FLUSH:
        if (r->exptime <= (int64_t)r->stamp) { /* in effect now; a later one is pending */
            for (int i = 0; i < m->n; i++) {
                m->keys[i].state = M_ABSENT;
            }
        }
        break;
    default:
        break;
    }
}

/* One record's fields, chosen by the input. vseed receives the value's seed. */
static void choose_record(struct apply_input *in, struct rec *r, char *keybuf, char *valbuf,
                          int *bigs, uint64_t *counter, int64_t now, uint8_t *vseed)
{
    memset(r, 0, sizeof(*r));
    r->type = (enum rec_type)(1 + in8(in) % 5);
    r->bits = in8(in) & 0x0fu;
    if (r->type == REC_SET || r->type == REC_DELETE || r->type == REC_TOUCH) {
        uint8_t kb = in8(in);
        if (kb < 192) {
            r->nkey = (uint8_t)snprintf(keybuf, REC_KEY_MAX, "k%u", (unsigned)(kb % APPLY_KEYS));
        } else {
            r->nkey = (uint8_t)(1 + in8(in) % REC_KEY_MAX);
            for (int i = 0; i < r->nkey; i++) {
                keybuf[i] = (char)in8(in);
            }
        }
        r->key = keybuf;
    }
    r->flags = (uint32_t)in_bytes(in, 4);
    r->stamp = (in8(in) & 1u) ? (uint32_t)in_bytes(in, 4) : (uint32_t)now;
    switch (in8(in) % 6) {
    case 0:
        r->exptime = 0;
        break;
    case 1:
        r->exptime = now + APPLY_NEAR + 1 + in8(in) * 10;
        break;
    case 2:
        r->exptime = now - 1 - in8(in);
        break;
    case 3:
        r->exptime = (int64_t)in_bytes(in, 8);
        break;
    case 4:
        r->exptime = (in8(in) & 1u) ? INT64_MIN : INT64_MAX;
        break;
    default:
        r->exptime = now + (int8_t)in8(in);
        break;
    }
    switch (in8(in) % 4) {
    case 0:
        r->cas = 0;
        break;
    case 1:
        r->cas = in_bytes(in, 8);
        break;
    case 2:
        r->cas = ++*counter;
        break;
    default:
        r->cas = UINT64_MAX - in8(in);
        break;
    }
    *vseed = 0;
    if (r->type == REC_SET) {
        uint8_t vb = in8(in);
        r->vlen = vb;
        if (vb >= 240 && *bigs < APPLY_BIGS) {
            (*bigs)++;
            r->vlen = 256 + (uint32_t)(in_bytes(in, 2) * 7u % (APPLY_BIG_MAX - 256));
        }
        *vseed = in8(in);
        apply_value(valbuf, r->vlen, *vseed);
        r->value = valbuf;
    }
}

/* The record went through its encoding unchanged. */
static void check_round_trip(const struct rec *r, const char *enc, size_t size)
{
    struct rec d;
    size_t used = 0;
    FUZZ_CHECK(rec_decode(enc, size, &d, &used) == REC_OK);
    FUZZ_CHECK(used == size);
    FUZZ_CHECK(d.type == r->type && d.bits == r->bits && d.nkey == r->nkey);
    FUZZ_CHECK(d.stamp == r->stamp && d.flags == r->flags && d.vlen == r->vlen);
    FUZZ_CHECK(d.exptime == r->exptime && d.cas == r->cas);
    FUZZ_CHECK(r->nkey == 0 || memcmp(d.key, r->key, r->nkey) == 0);
    FUZZ_CHECK(r->vlen == 0 || memcmp(d.value, r->value, r->vlen) == 0);
}

/* The store holds what the model says, key by key. */
static void check_store(struct store *s, const struct apply_model *m, char *valbuf)
{
    struct store_get_opts peek = {.peek = true};
    for (int i = 0; i < m->n; i++) {
        const struct apply_key *k = &m->keys[i];
        struct item *it = store_get(s, k->key, k->nkey, &peek, NULL);
        if (k->state == M_ABSENT) {
            FUZZ_CHECK(it == NULL);
        } else if (k->state == M_PRESENT) {
            FUZZ_CHECK(it != NULL);
            FUZZ_CHECK(item_vlen(it) == k->vlen && item_flags(it) == k->flags);
            apply_value(valbuf, k->vlen, k->vseed);
            FUZZ_CHECK(k->vlen == 0 || memcmp(item_value(it), valbuf, k->vlen) == 0);
            FUZZ_CHECK(k->cas == 0 || store_item_cas(s, it) == k->cas);
            FUZZ_CHECK(item_stale(it) == ((k->bits & REC_BIT_STALE) != 0));
            FUZZ_CHECK(item_key_binary(it) == ((k->bits & REC_BIT_KEY_BINARY) != 0));
            FUZZ_CHECK(item_win_sent(it) == ((k->bits & REC_BIT_WIN_SENT) != 0));
            FUZZ_CHECK(item_fetched(it) == ((k->bits & REC_BIT_FETCHED) != 0));
        }
        if (it != NULL) {
            store_release(s, &it);
        }
    }
}

/* After recovery raises the floor to the largest cas it read, the next
 * item's cas is above it. */
static void check_cas_floor(struct store *s, uint64_t max_cas)
{
    store_raise_cas(s, max_cas);
    struct item *it = NULL;
    FUZZ_CHECK(store_reserve(s, "cas-after", 9, 0, 0, 1, &it) == STORE_OK);
    memcpy(item_data(it), "x\r\n", 3);
    uint64_t cas = 0;
    FUZZ_CHECK(store_commit(s, &it, STORE_SET, 0, NULL, &cas) == STORE_OK);
    FUZZ_CHECK(cas > (max_cas < APPLY_CAS_CEILING ? max_cas : APPLY_CAS_CEILING));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct store_config cfg = {.max_bytes = APPLY_STORE_BYTES, .item_size_max = APPLY_ITEM_MAX,
                               .evict = true, .use_cas = true};
    struct store *s = NULL;
    FUZZ_CHECK(store_create(&cfg, &s) == STORE_OK);
    struct apply_model *m = calloc(1, sizeof(*m));
    size_t enc_cap = REC_HEAD + REC_BODY_FIXED + REC_KEY_MAX + APPLY_BIG_MAX;
    char *enc = malloc(enc_cap);
    char *valbuf = malloc(APPLY_BIG_MAX);
    FUZZ_CHECK(m != NULL && enc != NULL && valbuf != NULL);

    int64_t now = itemrec_now_unix();
    struct rec_apply a;
    rec_apply_init(&a, s, now);
    struct apply_input in = {data, size};
    char keybuf[REC_KEY_MAX];
    int bigs = 0;
    uint64_t counter = 0, max_cas = 0;
    for (int i = 0; i < APPLY_RECORDS && in.n > 0; i++) {
        bool drain = (in.p[0] & 0x80u) != 0;
        struct rec r;
        uint8_t vseed;
        choose_record(&in, &r, keybuf, valbuf, &bigs, &counter, now, &vseed);
        size_t n = rec_encode(&r, enc);
        FUZZ_CHECK(n == rec_size(&r) && n <= enc_cap);
        check_round_trip(&r, enc, n);
        struct rec d;
        size_t used;
        FUZZ_CHECK(rec_decode(enc, n, &d, &used) == REC_OK);
        rec_apply(&a, &d);
        model_apply(m, s, &r, vseed, now);
        if (r.cas > max_cas) {
            max_cas = r.cas;
        }
        if (drain) {
            rec_apply_drain(&a);
        }
    }
    rec_apply_free(&a);
    FUZZ_CHECK(a.max_cas == max_cas);

    struct store_stats st;
    store_stats(s, &st);
    FUZZ_CHECK(st.evictions == 0);
    check_store(s, m, valbuf);
    check_cas_floor(s, max_cas);

    store_destroy(&s);
    free(valbuf);
    free(enc);
    free(m);
    return 0;
}

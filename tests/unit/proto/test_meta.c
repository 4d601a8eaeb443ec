/*
 * test_meta.c: the meta protocol parser and composer (src/proto/meta.c),
 * and the base64 it uses for binary keys (src/proto/base64.c).
 *
 * Table-driven: valid lines with every field checked, each also fed one byte
 * at a time (every prefix must be PARSE_AGAIN, from an exact-size heap copy
 * so ASan sees any over-read) and through both entry points (meta_parse and
 * text_parse); malformed lines with the error memcached 1.6.18 was observed
 * to give and whether it swallows an ms data block (see the table atop
 * meta.c); compose of every command's replies with exact bytes; q
 * suppression; base64 round trips; cap too small; and every fuzz seed run
 * through the fuzz target's own invariant checks and oracle.
 */
#include <dirent.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/base64.h"
#include "proto/meta.h"
#include "proto/request.h"
#include "proto/text.h"

/* The fuzz target, with its checks reported through cmocka. */
#define FUZZ_CHECK(cond) assert_true(cond)
#include "fuzz_meta.c"
#include "seed_replay.h"

/* ---- helpers ------------------------------------------------------------- */

typedef enum parse_status (*parse_fn)(struct request *, const char *, size_t, size_t *);

/* Parse from an exact-size heap copy, so reading past len is an ASan error. */
static enum parse_status parse_copy(parse_fn fn, struct request *req, const char *s, size_t len,
                                    size_t *consumed, char **copy)
{
    *copy = malloc(len > 0 ? len : 1);
    assert_non_null(*copy);
    memcpy(*copy, s, len);
    return fn(req, *copy, len, consumed);
}

static void show(const char *tag, const char *s, size_t n)
{
    char out[512];
    size_t o = 0;

    for (size_t i = 0; i < n && o + 5 < sizeof(out); i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f) {
            out[o++] = (char)c;
        } else {
            o += (size_t)snprintf(out + o, sizeof(out) - o, "\\x%02x", c);
        }
    }
    out[o] = '\0';
    print_message("%s: %s\n", tag, out);
}

static uint64_t mflags_of(const char *letters)
{
    uint64_t m = 0;

    for (const char *p = letters; *p != '\0'; p++) {
        m |= REQ_MFLAG(*p);
    }
    return m;
}

/* ---- valid lines --------------------------------------------------------- */

struct valid_case {
    const char *line;
    enum request_cmd cmd;
    const char *key; /* decoded bytes; NULL for mn */
    size_t nkey;     /* 0: strlen(key) */
    bool binary;
    const char *flags; /* flag letters given */
    bool quiet;
    bool has_exptime;
    int64_t exptime;
    uint32_t cflags;
    uint64_t cas, new_cas, delta, initial;
    uint32_t vlen;
    int64_t vivify, recache;
    enum request_mode mode;
    const char *opaque; /* NULL: none */
    const char *flag_text;
};

static const struct valid_case valid_cases[] = {
    { .line = "mn\r\n", .cmd = REQ_MN, .flags = "" },
    { .line = "mn foo bar\r\n", .cmd = REQ_MN, .flags = "" },
    { .line = "mn q\n", .cmd = REQ_MN, .flags = "" },
    { .line = "mg k\r\n", .cmd = REQ_MG, .key = "k", .flags = "" },
    { .line = "mg foo v\r\n", .cmd = REQ_MG, .key = "foo", .flags = "v", .flag_text = "v" },
    { .line = "mg  k   v  s\r\n", .cmd = REQ_MG, .key = "k", .flags = "vs", .flag_text = "v  s" },
    { .line = "mg k s v f t c k O123 h l u q\r\n", .cmd = REQ_MG, .key = "k",
      .flags = "svftckOhluq", .quiet = true, .opaque = "123",
      .flag_text = "s v f t c k O123 h l u q" },
    { .line = "mg k T30 N60 R10\r\n", .cmd = REQ_MG, .key = "k", .flags = "TNR",
      .has_exptime = true, .exptime = 30, .vivify = 60, .recache = 10 },
    { .line = "mg k T-1 N5 R3\r\n", .cmd = REQ_MG, .key = "k", .flags = "TNR",
      .has_exptime = true, .exptime = -1, .vivify = 5, .recache = 3 },
    /* 1.6.45 takes the byte after M, whatever follows; mg ignores it */
    { .line = "mg k Mxx\r\n", .cmd = REQ_MG, .key = "k", .flags = "M" },
    { .line = "ms k 2 MSS\r\n", .cmd = REQ_MS, .key = "k", .flags = "M", .vlen = 2, .mode = REQ_MODE_SET },
    { .line = "ma k MII\r\n", .cmd = REQ_MA, .key = "k", .flags = "M", .delta = 1, .mode = REQ_MODE_INCR },
    { .line = "mg k T-2147483648\r\n", .cmd = REQ_MG, .key = "k", .flags = "T",
      .has_exptime = true, .exptime = INT32_MIN },
    { .line = "mg k vfoo kbar\r\n", .cmd = REQ_MG, .key = "k", .flags = "vk" },
    { .line = "mg k O\r\n", .cmd = REQ_MG, .key = "k", .flags = "O", .opaque = "" },
    { .line = "mg k O1234567890123456789012345678901\r\n", .cmd = REQ_MG, .key = "k",
      .flags = "O", .opaque = "1234567890123456789012345678901" },
    /* mg takes every flag letter memcached knows, and ignores M */
    { .line = "mg k C5 F6 I D7 J8 Mx P L E9\r\n", .cmd = REQ_MG, .key = "k", .flags = "CFIDJMPLE",
      .cas = 5, .cflags = 6, .delta = 7, .initial = 8, .new_cas = 9 },
    { .line = "mg YWJj b k v\r\n", .cmd = REQ_MG, .key = "abc", .binary = true, .flags = "bkv" },
    { .line = "mg YW== b\r\n", .cmd = REQ_MG, .key = "a", .binary = true, .flags = "b" },
    { .line = "mg YQ=a b\r\n", .cmd = REQ_MG, .key = "a\0", .nkey = 2, .binary = true, .flags = "b" },
    { .line = "mg YW==junk b\r\n", .cmd = REQ_MG, .key = "a", .binary = true, .flags = "b" },
    { .line = "mg Y!W!J!j b\r\n", .cmd = REQ_MG, .key = "abc", .binary = true, .flags = "b" },
    { .line = "mg IGE= b\r\n", .cmd = REQ_MG, .key = " a", .binary = true, .flags = "b" },
    { .line = "mg k\tv\r\n", .cmd = REQ_MG, .key = "k\tv", .flags = "" },
    { .line = "mg k\0 v\r\n", .cmd = REQ_MG, .key = "k", .flags = "" },
    { .line = "mg k v\r\r\n", .cmd = REQ_MG, .key = "k", .flags = "v", .flag_text = "v\r" },
    { .line = "ms k 2\r\n", .cmd = REQ_MS, .key = "k", .flags = "", .vlen = 2, .mode = REQ_MODE_SET },
    { .line = "ms k 0 T0 F4294967295 C99 I q k c O5\r\n", .cmd = REQ_MS, .key = "k",
      .flags = "TFCIqkcO", .quiet = true, .has_exptime = true, .cflags = UINT32_MAX, .cas = 99,
      .mode = REQ_MODE_SET, .opaque = "5" },
    { .line = "ms k 2 ME\r\n", .cmd = REQ_MS, .key = "k", .flags = "M", .vlen = 2, .mode = REQ_MODE_ADD },
    { .line = "ms k 2 MA N30\r\n", .cmd = REQ_MS, .key = "k", .flags = "MN", .vlen = 2,
      .mode = REQ_MODE_APPEND, .vivify = 30 },
    { .line = "ms k 2 MP\r\n", .cmd = REQ_MS, .key = "k", .flags = "M", .vlen = 2, .mode = REQ_MODE_PREPEND },
    { .line = "ms k 2 MR\r\n", .cmd = REQ_MS, .key = "k", .flags = "M", .vlen = 2, .mode = REQ_MODE_REPLACE },
    { .line = "ms k 2147483645\r\n", .cmd = REQ_MS, .key = "k", .flags = "", .vlen = 2147483645u,
      .mode = REQ_MODE_SET },
    { .line = "ms czE4 2 b k c\r\n", .cmd = REQ_MS, .key = "s18", .binary = true, .flags = "bkc",
      .vlen = 2, .mode = REQ_MODE_SET },
    { .line = "ms k 2 s t f h l u v J1 D2 R3 P L E7\r\n", .cmd = REQ_MS, .key = "k",
      .flags = "stfhluvJDRPLE", .vlen = 2, .initial = 1, .delta = 2, .recache = 3, .new_cas = 7,
      .mode = REQ_MODE_SET },
    { .line = "md k\r\n", .cmd = REQ_MD, .key = "k", .flags = "" },
    { .line = "md k q I T30 C5 k O7 x E3 Mz\r\n", .cmd = REQ_MD, .key = "k", .flags = "qITCkOxEM",
      .quiet = true, .has_exptime = true, .exptime = 30, .cas = 5, .opaque = "7", .new_cas = 3 },
    { .line = "md ZDY= k O1 b\r\n", .cmd = REQ_MD, .key = "d6", .binary = true, .flags = "kOb", .opaque = "1" },
    { .line = "ma k\r\n", .cmd = REQ_MA, .key = "k", .flags = "", .delta = 1, .mode = REQ_MODE_INCR },
    { .line = "ma k N0 J10 v\r\n", .cmd = REQ_MA, .key = "k", .flags = "NJv", .delta = 1,
      .initial = 10, .mode = REQ_MODE_INCR },
    { .line = "ma k D5 MD\r\n", .cmd = REQ_MA, .key = "k", .flags = "DM", .delta = 5, .mode = REQ_MODE_DECR },
    { .line = "ma k D50 M-\r\n", .cmd = REQ_MA, .key = "k", .flags = "DM", .delta = 50, .mode = REQ_MODE_DECR },
    { .line = "ma k M+ D18446744073709551615 t c k O9 q T5 C3 E4\r\n", .cmd = REQ_MA, .key = "k",
      .flags = "MDtckOqTCE", .delta = UINT64_MAX, .mode = REQ_MODE_INCR, .opaque = "9", .quiet = true,
      .has_exptime = true, .exptime = 5, .cas = 3, .new_cas = 4 },
    { .line = "ma k MI s f h l\r\n", .cmd = REQ_MA, .key = "k", .flags = "Msfhl", .delta = 1,
      .mode = REQ_MODE_INCR },
    { .line = "ma bjg= b N0 J5 k v\r\n", .cmd = REQ_MA, .key = "n8", .binary = true, .flags = "bNJkv",
      .delta = 1, .initial = 5, .mode = REQ_MODE_INCR },
    { .line = "me k\r\n", .cmd = REQ_ME, .key = "k", .flags = "" },
    { .line = "me k x y\r\n", .cmd = REQ_ME, .key = "k", .flags = "" },
    { .line = "me k bb\r\n", .cmd = REQ_ME, .key = "k", .flags = "" },
    { .line = "me bWVr b\r\n", .cmd = REQ_ME, .key = "mek", .binary = true, .flags = "b" },
    /* memcached 1.6.45 takes 20 tokens: 18 flags for mg/md/ma, 17 for ms (here 17 and 16) */
    { .line = "mg k c f h k l O s t u v q T1 N1 R1 C1 F1 I\r\n", .cmd = REQ_MG, .key = "k",
      .flags = "cfhklOstuvqTNRCFI", .opaque = "", .quiet = true, .has_exptime = true, .exptime = 1,
      .vivify = 1, .recache = 1, .cas = 1, .cflags = 1 },
    { .line = "ms k 2 c f h k l O s t u v T1 N1 R1 C1 F1 I\r\n", .cmd = REQ_MS, .key = "k",
      .flags = "cfhklOstuvTNRCFI", .opaque = "", .has_exptime = true, .exptime = 1, .vivify = 1,
      .recache = 1, .cas = 1, .cflags = 1, .vlen = 2, .mode = REQ_MODE_SET },
};

static void check_valid(const struct valid_case *vc, const struct request *req)
{
    assert_int_equal(req->error, REQ_EOK);
    assert_int_equal(req->proto, REQ_PROTO_META);
    assert_int_equal(req->cmd, vc->cmd);
    if (vc->key != NULL) {
        size_t nkey = vc->nkey > 0 ? vc->nkey : strlen(vc->key);
        assert_int_equal(req->nkey, nkey);
        assert_memory_equal(req->key, vc->key, nkey);
        assert_int_equal(req->nkeys, 1);
        assert_ptr_equal(req->keys, NULL);
    }
    assert_int_equal(req->key_binary, vc->binary);
    if (vc->binary) {
        assert_ptr_equal(req->key, req->keybuf);
    }
    assert_int_equal(req->mflags, mflags_of(vc->flags));
    assert_int_equal(req->quiet, vc->quiet);
    assert_int_equal(req->noreply, false);
    assert_int_equal(req->has_exptime, vc->has_exptime);
    assert_int_equal(req->exptime, vc->exptime);
    assert_int_equal(req->flags, vc->cflags);
    assert_int_equal(req->cas, vc->cas);
    assert_int_equal(req->new_cas, vc->new_cas);
    assert_int_equal(req->delta, vc->delta);
    assert_int_equal(req->initial, vc->initial);
    assert_int_equal(req->vlen, vc->vlen);
    assert_int_equal(req->vivify_ttl, vc->vivify);
    assert_int_equal(req->recache_ttl, vc->recache);
    assert_int_equal(req->mode, vc->mode);
    if (vc->opaque == NULL) {
        assert_ptr_equal(req->opaque, NULL);
    } else {
        assert_non_null(req->opaque);
        assert_int_equal(req->nopaque, strlen(vc->opaque));
        assert_memory_equal(req->opaque, vc->opaque, req->nopaque);
    }
    if (vc->flag_text != NULL) {
        assert_int_equal(req->nmflag_text, strlen(vc->flag_text));
        assert_memory_equal(req->mflag_text, vc->flag_text, req->nmflag_text);
    }
}

/* Lines may hold a NUL: a case ends at its "\n". */
static size_t line_len(const struct valid_case *vc)
{
    const char *p = vc->line;

    while (*p != '\n') {
        p++;
    }
    return (size_t)(p - vc->line) + 1;
}

static void test_valid_lines(void **state)
{
    static const parse_fn fns[] = { meta_parse, text_parse };
    (void)state;

    for (size_t i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++) {
        const struct valid_case *vc = &valid_cases[i];
        size_t len = line_len(vc);

        show("valid", vc->line, len);
        for (size_t f = 0; f < 2; f++) {
            struct request req;
            size_t consumed;
            char *copy;
            /* every strict prefix: no complete line yet */
            for (size_t cut = 0; cut < len; cut++) {
                consumed = 99;
                assert_int_equal(parse_copy(fns[f], &req, vc->line, cut, &consumed, &copy),
                                 PARSE_AGAIN);
                assert_int_equal(consumed, 0);
                free(copy);
            }
            assert_int_equal(parse_copy(fns[f], &req, vc->line, len, &consumed, &copy), PARSE_OK);
            assert_int_equal(consumed, len);
            check_valid(vc, &req);
            free(copy);
        }
    }
}

/* ---- malformed lines ----------------------------------------------------- */

struct error_case {
    const char *line;
    enum request_error error;
    bool swallow; /* ms: memcached skips the data block */
    uint32_t vlen;
};

#define K50 "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
#define K251 K50 K50 K50 K50 K50 "k"
#define O33 "O12345678901234567890123456789012"

static const struct error_case error_cases[] = {
    { "mg\r\n", REQ_EFORMAT, false, 0 }, /* 1.6.45; 1.6.18: ERROR */
    { "mg \r\n", REQ_EFORMAT, false, 0 },
    { "ms\r\n", REQ_EFORMAT, false, 0 },
    { "md\r\n", REQ_EFORMAT, false, 0 },
    { "ma\r\n", REQ_EFORMAT, false, 0 },
    { "mx k v\r\n", REQ_EUNKNOWN, false, 0 },
    { "MG k v\r\n", REQ_EUNKNOWN, false, 0 },
    { "me\r\n", REQ_EFORMAT, false, 0 },
    { "me " K251 "\r\n", REQ_EKEY_TOO_LONG, false, 0 },
    { "me k b\r\n", REQ_EFORMAT, false, 0 },
    { "me !!!! b\r\n", REQ_EFORMAT, false, 0 },
    { "mg " K251 "\r\n", REQ_EKEY_TOO_LONG, false, 0 },
    { "mg " K251 " z\r\n", REQ_EKEY_TOO_LONG, false, 0 },
    { "md " K251 "\r\n", REQ_EKEY_TOO_LONG, false, 0 },
    { "ma " K251 "\r\n", REQ_EMETA_FLAG_OR_DUP, false, 0 },
    /* memcached 1.6.45 reads ms's length first: once read, errors swallow */
    { "ms " K251 " 2\r\n", REQ_EKEY_TOO_LONG, true, 2 },
    { "ms " K251 "\r\n", REQ_EFORMAT, false, 0 },
    { "ms k +2 MS\r\n", REQ_EFORMAT, false, 0 },
    { "ms k 2\t\r\n", REQ_EFORMAT, false, 0 },
    { "ms k\r\n", REQ_EFORMAT, false, 0 },
    { "ms k \r\n", REQ_EFORMAT, false, 0 },
    { "ms k abc\r\n", REQ_EFORMAT, false, 0 },
    { "ms k -1\r\n", REQ_EFORMAT, false, 0 },
    { "ms k 2x\r\n", REQ_EFORMAT, false, 0 },
    { "ms k S2\r\n", REQ_EFORMAT, false, 0 },
    { "ms k 2147483646\r\n", REQ_EFORMAT, false, 0 },
    { "ms k 4294967298\r\n", REQ_EFORMAT, false, 0 }, /* 1.6.18 truncates to 2 */
    { "ms k 2 z\r\n", REQ_EMETA_FLAG, true, 2 },
    { "ms k 0 z\r\n", REQ_EMETA_FLAG, true, 0 },
    { "ms k 2 c c\r\n", REQ_EMETA_DUP, true, 2 },
    { "ms k 2 T5 T5\r\n", REQ_EMETA_DUP, true, 2 },
    { "ms k 2 Tabc\r\n", REQ_EMETA_TOKEN, true, 2 },
    { "ms k 2 Cabc\r\n", REQ_EMETA_TOKEN, true, 2 },
    { "ms k 2 F-1\r\n", REQ_EFORMAT, true, 2 },
    { "ms k 2 Fabc\r\n", REQ_EFORMAT, true, 2 },
    { "ms k 2 F4294967296\r\n", REQ_EFORMAT, true, 2 }, /* 1.6.18 truncates to 0 */
    { "ms k 2 b\r\n", REQ_EMETA_BASE64, true, 2 },
    { "ms k 2 Mx\r\n", REQ_EMETA_MODE_MS, true, 2 },
    { "ms k 2 Ms\r\n", REQ_EMETA_MODE_MS, true, 2 },
    { "ms k 2 MI\r\n", REQ_EMETA_MODE_MS, true, 2 },
    { "ms k 2 M\xff\r\n", REQ_EMETA_MODE_MS, true, 2 },
    { "ms k 2 M\r\n", REQ_EMETA_MODE_MS, true, 2 },
    { "ms k 2 F+1\r\n", REQ_EFORMAT, true, 2 },
    /* 1.6.45 refuses before the length and runs the block; mnemod skips it */
    { "ms k 2 !\r\n", REQ_EFORMAT, true, 2 },
    { "ms k x !\r\n", REQ_EFORMAT, false, 0 },
    { "ms k 2 " O33 "\r\n", REQ_EMETA_OPAQUE, true, 2 },
    { "ms k 2 " O33 " Mx\r\n", REQ_EMETA_MODE_MS, true, 2 },
    { "ms k 2 c f h k l O s t u v q T1 N1 R1 C1 F1 I E1\r\n", REQ_EMETA_TOO_MANY_MG, true, 2 },
    { "mg k z\r\n", REQ_EMETA_FLAG, false, 0 },
    { "mg k a\r\n", REQ_EMETA_FLAG, false, 0 },
    { "mg k 1\r\n", REQ_EMETA_FLAG, false, 0 },
    { "mg k S5\r\n", REQ_EMETA_FLAG, false, 0 },
    { "mg k v \x01\r\n", REQ_EFORMAT, false, 0 },
    { "mg k v \t\r\n", REQ_EFORMAT, false, 0 },
    { "mg k !\r\n", REQ_EFORMAT, false, 0 },
    { "mg k @\r\n", REQ_EFORMAT, false, 0 },
    { "mg k {\r\n", REQ_EFORMAT, false, 0 },
    { "mg k [\r\n", REQ_EMETA_FLAG, false, 0 },
    { "me k !\r\n", REQ_EFORMAT, false, 0 },
    { "mg k v v\r\n", REQ_EMETA_DUP, false, 0 },
    { "mg k Oabc Odef\r\n", REQ_EMETA_DUP, false, 0 },
    { "mg k v \x80\r\n", REQ_EFORMAT, false, 0 },
    { "mg k v \x7f\r\n", REQ_EFORMAT, false, 0 },
    { "mg k T+5\r\n", REQ_EMETA_TOKEN, false, 0 },
    { "mg k N+5\r\n", REQ_EMETA_TOKEN, false, 0 },
    { "mg k T\t5\r\n", REQ_EMETA_TOKEN, false, 0 },
    { "mg k F+1\r\n", REQ_EFORMAT, false, 0 },
    { "mg k z v v\r\n", REQ_EMETA_FLAG, false, 0 },
    { "mg k v v z\r\n", REQ_EMETA_DUP, false, 0 },
    { "mg k Tabc v v\r\n", REQ_EMETA_DUP, false, 0 },
    { "mg k Tabc z\r\n", REQ_EMETA_FLAG, false, 0 },
    { "mg k T1 T\r\n", REQ_EMETA_DUP, false, 0 },
    { "mg k Tabc\r\n", REQ_EMETA_TOKEN, false, 0 },
    { "mg k T\r\n", REQ_EMETA_TOKEN, false, 0 },
    { "mg k N\r\n", REQ_EMETA_TOKEN, false, 0 },
    { "mg k Rx\r\n", REQ_EMETA_TOKEN, false, 0 },
    { "mg k T5x\r\n", REQ_EMETA_TOKEN, false, 0 },
    { "mg k T99999999999\r\n", REQ_EMETA_TOKEN, false, 0 }, /* 1.6.18 truncates */
    { "mg k C-1\r\n", REQ_EMETA_TOKEN, false, 0 },
    { "mg k C18446744073709551616\r\n", REQ_EMETA_TOKEN, false, 0 },
    { "mg k Eabc\r\n", REQ_EMETA_TOKEN, false, 0 },
    { "mg k Fabc\r\n", REQ_EFORMAT, false, 0 },
    { "mg k Fabc Tabc\r\n", REQ_EMETA_TOKEN, false, 0 },
    { "mg k Tabc Fabc\r\n", REQ_EMETA_TOKEN, false, 0 },
    { "mg k Fabc Jabc\r\n", REQ_EMETA_INITIAL, false, 0 },
    { "mg k Jabc\r\n", REQ_EMETA_INITIAL, false, 0 },
    { "mg k Dabc\r\n", REQ_EMETA_DELTA, false, 0 },
    { "mg k D-1\r\n", REQ_EMETA_DELTA, false, 0 },
    { "mg k Tabc Mxx\r\n", REQ_EMETA_TOKEN, false, 0 },
    { "mg k Mxx Tabc\r\n", REQ_EMETA_TOKEN, false, 0 },
    { "mg a1 b\r\n", REQ_EMETA_BASE64, false, 0 },
    { "mg YWJ b\r\n", REQ_EMETA_BASE64, false, 0 },
    { "mg Y b\r\n", REQ_EMETA_BASE64, false, 0 },
    { "mg YW= b\r\n", REQ_EMETA_BASE64, false, 0 },
    { "mg !!!! b\r\n", REQ_EMETA_BASE64, false, 0 },
    { "mg YWJjZA b\r\n", REQ_EMETA_BASE64, false, 0 },
    { "mg ==== b\r\n", REQ_EMETA_BASE64, false, 0 },
    { "mg Y=== b\r\n", REQ_EMETA_BASE64, false, 0 },
    { "mg YWJj==== b\r\n", REQ_EMETA_BASE64, false, 0 },
    { "mg ____ b\r\n", REQ_EMETA_BASE64, false, 0 },
    { "mg k " O33 "\r\n", REQ_EMETA_OPAQUE, false, 0 },
    { "mg k " O33 " q\r\n", REQ_EMETA_OPAQUE, false, 0 },
    { "mg k " O33 " z\r\n", REQ_EMETA_FLAG, false, 0 },
    { "mg k c f h k l O s t u v q T1 N1 R1 C1 F1 I D1 x\r\n", REQ_EMETA_TOO_MANY_MG, false, 0 },
    { "mg k a b c d e f g h i j k l m n o p q r s t u v w x y z\r\n", REQ_EMETA_TOO_MANY_MG, false, 0 },
    { "md k z\r\n", REQ_EMETA_FLAG, false, 0 }, /* 1.6.45: mg's messages */
    { "md k k k\r\n", REQ_EMETA_DUP, false, 0 },
    { "md k Cabc\r\n", REQ_EMETA_TOKEN, false, 0 },
    { "md d6 k O1 b\r\n", REQ_EMETA_BASE64, false, 0 },
    { "md k \xff\r\n", REQ_EFORMAT, false, 0 },
    { "md k " O33 "\r\n", REQ_EMETA_OPAQUE, false, 0 },
    { "md k c f h k l O s t u v q T1 N1 R1 C1 F1 I D1 x\r\n", REQ_EMETA_TOO_MANY_MG, false, 0 },
    { "ma k Mx\r\n", REQ_EMETA_MODE_MA, false, 0 },
    { "ma k Mi\r\n", REQ_EMETA_MODE_MA, false, 0 },
    { "ma k M\xff\r\n", REQ_EMETA_MODE_MA, false, 0 },
    { "ma k M\r\n", REQ_EMETA_MODE_MA, false, 0 },
    { "ma k D+1\r\n", REQ_EMETA_FLAG_OR_DUP, false, 0 },
    { "ma k Dabc\r\n", REQ_EMETA_FLAG_OR_DUP, false, 0 },
    { "ma k D-1\r\n", REQ_EMETA_FLAG_OR_DUP, false, 0 },
    { "ma k Jabc N0\r\n", REQ_EMETA_FLAG_OR_DUP, false, 0 },
    { "ma k D\r\n", REQ_EMETA_FLAG_OR_DUP, false, 0 },
    { "ma k z\r\n", REQ_EMETA_FLAG_OR_DUP, false, 0 },
    { "ma k D1 D1\r\n", REQ_EMETA_FLAG_OR_DUP, false, 0 },
    { "ma n7 N0 J5 T100 t v c k b\r\n", REQ_EMETA_FLAG_OR_DUP, false, 0 },
    { "ma k " O33 "\r\n", REQ_EMETA_OPAQUE, false, 0 },
    { "ma k " O33 " Mx\r\n", REQ_EMETA_MODE_MA, false, 0 },
    { "ma k c f h k l O s t u v q T1 N1 R1 C1 F1 I D1 x\r\n", REQ_EMETA_FLAG_OR_DUP, false, 0 },
};

static void test_error_lines(void **state)
{
    static const parse_fn fns[] = { meta_parse, text_parse };
    (void)state;

    for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
        const struct error_case *ec = &error_cases[i];
        size_t len = strlen(ec->line);

        show("error", ec->line, len);
        for (size_t f = 0; f < 2; f++) {
            struct request req;
            size_t consumed;
            char *copy;
            assert_int_equal(parse_copy(fns[f], &req, ec->line, len, &consumed, &copy), PARSE_ERROR);
            assert_int_equal(consumed, len);
            assert_int_equal(req.error, ec->error);
            assert_int_equal(meta_error_swallows(&req), ec->swallow);
            if (ec->swallow) {
                assert_int_equal(req.vlen, ec->vlen);
            }
            free(copy);
        }
    }
}

/* What a meta request asks of exec, in the protocol-neutral fields: one key
 * answered alone, the value only with v, no "stats detail" counting, C
 * turning ms set and replace into cas, and no expiry without T. Through
 * text_parse too, as a connection mixes both. */
static void test_request_fields(void **state)
{
    (void)state;
    static const struct {
        const char *line;
        enum parse_status ps;
        bool omit_value;
        uint8_t cas_rule;
    } cases[] = {
        { "mg k v\r\n", PARSE_OK, false, REQ_CAS_NEVER },
        { "mg k k s\r\n", PARSE_OK, true, REQ_CAS_NEVER },
        { "mg k C5 v\r\n", PARSE_OK, false, REQ_CAS_SET_REPLACE },
        { "ms k 2 C5\r\n", PARSE_OK, true, REQ_CAS_SET_REPLACE },
        { "ms k 2 ME C5\r\n", PARSE_OK, true, REQ_CAS_SET_REPLACE },
        { "ms k 2 E5 T9\r\n", PARSE_OK, true, REQ_CAS_NEVER },
        { "md k q\r\n", PARSE_OK, true, REQ_CAS_NEVER },
        { "ma k v\r\n", PARSE_OK, false, REQ_CAS_NEVER },
        { "mn\r\n", PARSE_OK, false, REQ_CAS_NEVER },
        { "me k\r\n", PARSE_OK, false, REQ_CAS_NEVER },
        { "mg k z\r\n", PARSE_ERROR, false, REQ_CAS_NEVER },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (int via_text = 0; via_text < 2; via_text++) {
            struct request req;
            size_t consumed;
            const char *line = cases[i].line;
            enum parse_status ps = via_text ? text_parse(&req, line, strlen(line), &consumed)
                                            : meta_parse(&req, line, strlen(line), &consumed);
            assert_int_equal(ps, cases[i].ps);
            assert_int_equal(req.proto, REQ_PROTO_META);
            assert_true(req.single_key);
            assert_true(req.skip_prefix_stats);
            assert_false(req.answer_quit);
            assert_false(req.close_on_error);
            if (ps == PARSE_OK) {
                assert_int_equal(req.omit_value, cases[i].omit_value);
                assert_int_equal(req.cas_rule, cases[i].cas_rule);
            }
        }
    }
    /* ms without T: exptime 0, so the item never expires */
    struct request req;
    size_t consumed;
    assert_int_equal(meta_parse(&req, "ms k 2\r\n", 8, &consumed), PARSE_OK);
    assert_false(req.has_exptime);
    assert_int_equal(req.exptime, 0);
}

/* A non-meta line given to meta_parse, and the text protocol left alone. */
static void test_routing(void **state)
{
    struct request req;
    size_t consumed;
    (void)state;

    assert_int_equal(meta_parse(&req, "get k\r\n", 7, &consumed), PARSE_ERROR);
    assert_int_equal(req.error, REQ_EUNKNOWN);
    assert_int_equal(consumed, 7);
    assert_int_equal(text_parse(&req, "get k\r\n", 7, &consumed), PARSE_OK);
    assert_int_equal(req.proto, REQ_PROTO_TEXT);
    assert_int_equal(text_parse(&req, "mg k v\r\n", 8, &consumed), PARSE_OK);
    assert_int_equal(req.proto, REQ_PROTO_META);
    assert_int_equal(req.cmd, REQ_MG);
    /* memcached 1.6.45 takes the bytes before the first ' ' as the command */
    assert_int_equal(text_parse(&req, "  mg k v\r\n", 10, &consumed), PARSE_ERROR);
    assert_int_equal(req.error, REQ_EUNKNOWN);
    assert_int_equal(req.cmd, REQ_NONE);
    /* a pipeline: ms line, its block, then mn */
    const char *pipe = "ms k 2 T0\r\nhi\r\nmn\r\n";
    assert_int_equal(text_parse(&req, pipe, strlen(pipe), &consumed), PARSE_OK);
    assert_int_equal(consumed, 11);
    assert_int_equal(req.vlen, 2);
    size_t off = consumed + req.vlen + 2;
    assert_int_equal(text_parse(&req, pipe + off, strlen(pipe) - off, &consumed), PARSE_OK);
    assert_int_equal(req.cmd, REQ_MN);
    /* no newline within 2048 bytes: the connection closes, as memcached */
    char big[3000];
    memset(big, 'v', sizeof(big));
    memcpy(big, "mg k ", 5);
    assert_int_equal(meta_parse(&req, big, 2048, &consumed), PARSE_AGAIN);
    assert_int_equal(meta_parse(&req, big, sizeof(big), &consumed), PARSE_ERROR);
    assert_int_equal(req.error, REQ_ELINE_TOO_LONG);
    assert_int_equal(consumed, sizeof(big));
    assert_int_equal(text_parse(&req, big, sizeof(big), &consumed), PARSE_ERROR);
    assert_int_equal(req.error, REQ_ELINE_TOO_LONG);
    /* "x" is accepted (later memcached's md x) wherever it appears */
    assert_int_equal(meta_parse(&req, "ms k 2 x\r\n", 10, &consumed), PARSE_OK);
}

/* ---- compose ------------------------------------------------------------- */

struct compose_case {
    const char *line; /* the request */
    struct response rsp;
    const char *want; /* exact bytes; "" = nothing sent */
};

#define KEYED(k) .key = k, .nkey = sizeof(k) - 1

static const struct compose_case compose_cases[] = {
    /* mg */
    { "mg k\r\n", { .kind = RSP_VALUE, .vlen = 2 }, "HD\r\n" },
    { "mg k q\r\n", { .kind = RSP_VALUE, .vlen = 2 }, "HD\r\n" },
    { "mg k v\r\n", { .kind = RSP_VALUE, .vlen = 2 }, "VA 2\r\n" },
    { "mg a1 s v f t c k O1 h l\r\n",
      { .kind = RSP_VALUE, .vlen = 2, .flags = 5, .ttl = -1, .cas = 1, .hit_before = true },
      "VA 2 s2 f5 t-1 c1 ka1 O1 h1 l0\r\n" },
    { "mg k t v\r\n", { .kind = RSP_VALUE, .vlen = 2, .ttl = 100 }, "VA 2 t100\r\n" },
    { "mg k l h\r\n", { .kind = RSP_VALUE, .last_access = 7 }, "HD l7 h0\r\n" },
    { "mg k s5 t9\r\n", { .kind = RSP_VALUE, .vlen = 2, .ttl = -1 }, "HD s2 t-1\r\n" },
    { "mg k N30 s v t c\r\n", { .kind = RSP_VALUE, .ttl = 30, .cas = 6, .win = true },
      "VA 0 s0 t30 c6 W\r\n" },
    { "mg k N30 s v t c\r\n", { .kind = RSP_VALUE, .ttl = 30, .cas = 6, .won = true },
      "VA 0 s0 t30 c6 Z\r\n" },
    { "mg k N30 q\r\n", { .kind = RSP_VALUE, .win = true }, "HD W\r\n" },
    /* k echoes a hit's key the way the item stored it (memcached 1.6.45) */
    { "mg plain k v\r\n", { .kind = RSP_VALUE, .vlen = 1, .key_item = true, .key_binary = true },
      "VA 1 kcGxhaW4= b\r\n" },
    { "mg cGxhaW4= b k\r\n", { .kind = RSP_VALUE, .key_item = true }, "HD kplain\r\n" },
    { "mg cGxhaW4= b k\r\n", { .kind = RSP_MISS }, "EN kcGxhaW4= b\r\n" },
    { "mg k v c\r\n", { .kind = RSP_VALUE, .vlen = 2, .cas = 10, .stale = true, .win = true },
      "VA 2 c10 X W\r\n" },
    { "mg k v c\r\n", { .kind = RSP_VALUE, .vlen = 2, .cas = 10, .stale = true, .won = true },
      "VA 2 c10 Z X\r\n" },
    { "mg k C5 F6 I D7 J8 Mx P L\r\n", { .kind = RSP_VALUE }, "HD\r\n" },
    { "mg k O\r\n", { .kind = RSP_VALUE }, "HD O\r\n" },
    { "mg YWJj b k v\r\n", { .kind = RSP_VALUE, .vlen = 2 }, "VA 2 kYWJj b\r\n" },
    { "mg YWJj k b\r\n", { .kind = RSP_VALUE }, "HD kYWJj b\r\n" },
    { "mg YWJj b\r\n", { .kind = RSP_VALUE }, "HD\r\n" },
    { "mg YQ=a b k\r\n", { .kind = RSP_MISS }, "EN kYQA= b\r\n" },
    { "mg k\r\n", { .kind = RSP_MISS }, "EN\r\n" },
    { "mg k q\r\n", { .kind = RSP_MISS }, "" },
    { "mg k q k O1\r\n", { .kind = RSP_MISS }, "" },
    { "mg missing k O55 s v t c f h l\r\n", { .kind = RSP_MISS }, "EN kmissing O55\r\n" },
    { "mg YWJjZA== b k\r\n", { .kind = RSP_MISS }, "EN kYWJjZA== b\r\n" },
    { "mg k v\r\n", { .kind = RSP_END }, "EN\r\n" },
    /* ms */
    { "ms k 2\r\n", { .kind = RSP_STORED }, "HD\r\n" },
    { "ms k 2 q\r\n", { .kind = RSP_STORED }, "" },
    { "ms k 2 c k O5 q\r\n", { .kind = RSP_STORED, .cas = 3 }, "" },
    { "ms k 2 c k O5\r\n", { .kind = RSP_STORED, .cas = 32 }, "HD c32 kk O5\r\n" },
    { "ms k 2 O5 k c\r\n", { .kind = RSP_STORED, .cas = 33 }, "HD O5 kk c33\r\n" },
    /* memcached 1.6.45: ms s gives the stored size (an append's whole value),
     * or the size sent when nothing was stored; t f h l v are not echoed */
    { "ms k 2 s t f h l v c\r\n", { .kind = RSP_STORED, .cas = 4, .ttl = 5, .vlen = 7 },
      "HD s7 c4\r\n" },
    { "ms k 2 MA s c\r\n", { .kind = RSP_NOT_STORED }, "NS s2 c0\r\n" },
    { "ms k 3 C5 s k\r\n", { .kind = RSP_NOT_FOUND }, "NF s3 kk\r\n" },
    { "ms k 2 C5 O1 s\r\n", { .kind = RSP_EXISTS }, "EX O1 s2\r\n" },
    { "ms k 2 ME q\r\n", { .kind = RSP_NOT_STORED }, "NS\r\n" },
    { "ms k 2 C123 q\r\n", { .kind = RSP_EXISTS }, "EX\r\n" },
    { "ms k 2 C123 q\r\n", { .kind = RSP_NOT_FOUND }, "NF\r\n" },
    { "ms czE4 2 b k c O1 ME\r\n", { .kind = RSP_NOT_STORED }, "NS kczE4 b c0 O1\r\n" },
    { "ms zz 2 c f h k l O s t u v T1 N1 R1 C1 F1 I\r\n", { .kind = RSP_NOT_FOUND },
      "NF c0 kzz O s2\r\n" },
    /* md */
    { "md k\r\n", { .kind = RSP_DELETED }, "HD\r\n" },
    { "md k q\r\n", { .kind = RSP_DELETED }, "" },
    { "md k I q\r\n", { .kind = RSP_STORED }, "" },
    { "md k q\r\n", { .kind = RSP_NOT_FOUND }, "NF\r\n" },
    { "md d3 k O7 q\r\n", { .kind = RSP_NOT_FOUND }, "NF kd3 O7\r\n" },
    { "md d4 O7 k c C1\r\n", { .kind = RSP_EXISTS, .cas = 9 }, "EX O7 kd4\r\n" },
    { "md d4 C1 q\r\n", { .kind = RSP_EXISTS }, "EX\r\n" },
    { "md ZDY= k O1 b\r\n", { .kind = RSP_NOT_FOUND }, "NF kZDY= b O1\r\n" },
    { "md k c f h k l O s t u v q T1 N1 R1 C1 F1 I\r\n", { .kind = RSP_NOT_FOUND }, "NF kk O\r\n" },
    /* ma */
    { "ma k\r\n", { .kind = RSP_NUMBER, .number = 11 }, "HD\r\n" },
    { "ma k v\r\n", { .kind = RSP_NUMBER, .number = 11 }, "VA 2\r\n11\r\n" },
    { "ma k N0 J10 v\r\n", { .kind = RSP_NUMBER, .number = 10, .win = true }, "VA 2\r\n10\r\n" },
    { "ma k v M+ D7 t c k O9\r\n", { .kind = RSP_NUMBER, .number = 7, .ttl = -1, .cas = 22 },
      "VA 1 t-1 c22 kk O9\r\n7\r\n" },
    { "ma k v s f h l\r\n", { .kind = RSP_NUMBER, .number = 0 }, "VA 1\r\n0\r\n" },
    { "ma k v\r\n", { .kind = RSP_NUMBER, .number = UINT64_MAX },
      "VA 20\r\n18446744073709551615\r\n" },
    { "ma k q\r\n", { .kind = RSP_NUMBER, .number = 1 }, "" },
    { "ma k q v\r\n", { .kind = RSP_NUMBER, .number = 1 }, "" },
    /* memcached 1.6.45 hides it (1.6.18 showed HD) */
    { "ma k N0 J10 q\r\n", { .kind = RSP_NUMBER, .number = 10, .win = true }, "" },
    { "ma k q\r\n", { .kind = RSP_NOT_FOUND }, "NF\r\n" },
    { "ma k C999 q\r\n", { .kind = RSP_EXISTS }, "EX\r\n" },
    { "ma k O1 k c t v\r\n", { .kind = RSP_NOT_FOUND }, "NF O1 kk\r\n" },
    { "ma bjg= b N0 J5 k v\r\n", { .kind = RSP_NUMBER, .number = 5, .win = true },
      "VA 1 kbjg= b\r\n5\r\n" },
    /* mn, me */
    { "mn\r\n", { .kind = RSP_NOOP }, "MN\r\n" },
    { "mn q\r\n", { .kind = RSP_NOOP }, "MN\r\n" },
    { "me mek\r\n",
      { .kind = RSP_DEBUG, KEYED("mek"), .msg = "exp=-1 la=0 cas=15 fetch=no cls=1 size=64", .nmsg = 41 },
      "ME mek exp=-1 la=0 cas=15 fetch=no cls=1 size=64\r\n" },
    { "me bWVr b\r\n",
      { .kind = RSP_DEBUG, KEYED("mek"), .msg = "exp=-1 la=0 cas=17 fetch=no cls=1 size=64", .nmsg = 41 },
      "ME bWVr exp=-1 la=0 cas=17 fetch=no cls=1 size=64\r\n" },
    { "me k\r\n", { .kind = RSP_MISS }, "EN\r\n" },
    { "me k q\r\n", { .kind = RSP_MISS }, "EN\r\n" },
    /* errors go through text_compose, q or not */
    { "mg k q\r\n", { .kind = RSP_CLIENT_ERROR, .msg = "bad data chunk", .nmsg = 14 },
      "CLIENT_ERROR bad data chunk\r\n" },
    { "ms k 2 q\r\n", { .kind = RSP_SERVER_ERROR, .msg = "out of memory storing object", .nmsg = 28 },
      "SERVER_ERROR out of memory storing object\r\n" },
    { "mg k\r\n", { .kind = RSP_ERROR }, "ERROR\r\n" },
};

static void test_compose(void **state)
{
    (void)state;

    for (size_t i = 0; i < sizeof(compose_cases) / sizeof(compose_cases[0]); i++) {
        const struct compose_case *cc = &compose_cases[i];
        struct request req;
        size_t consumed;
        struct response rsp = cc->rsp;
        char out[1024];
        size_t want = strlen(cc->want);

        show("compose", cc->line, strlen(cc->line));
        assert_int_equal(meta_parse(&req, cc->line, strlen(cc->line), &consumed), PARSE_OK);
        rsp.req = &req;
        size_t n = meta_compose(&rsp, out, sizeof(out));
        show("  got", out, n < sizeof(out) ? n : 0);
        assert_int_equal(n, want);
        assert_memory_equal(out, cc->want, want);
        assert_true(meta_compose_bound(&rsp) >= n);
        /* every cap too small reports the size needed */
        for (size_t cap = 0; cap < want; cap++) {
            char *small = malloc(cap > 0 ? cap : 1);
            assert_int_equal(meta_compose(&rsp, small, cap), want);
            free(small);
        }
    }
}

/* A binary key of every byte value, and the longest one, round trip. */
static void test_base64(void **state)
{
    unsigned char raw[187];
    char enc[BASE64_ENCODED_LEN(sizeof(raw))];
    unsigned char dec[sizeof(enc)];
    (void)state;

    for (size_t n = 1; n <= sizeof(raw); n++) {
        for (size_t i = 0; i < n; i++) {
            raw[i] = (unsigned char)(i * 37 + n);
        }
        size_t ne = base64_encode(raw, n, enc);
        assert_int_equal(ne, BASE64_ENCODED_LEN(n));
        assert_int_equal(base64_decode(enc, ne, dec), n);
        assert_memory_equal(dec, raw, n);
    }
    assert_int_equal(base64_encode((const unsigned char *)"abc", 3, enc), 4);
    assert_memory_equal(enc, "YWJj", 4);
    assert_int_equal(base64_encode((const unsigned char *)"a", 1, enc), 4);
    assert_memory_equal(enc, "YQ==", 4);
    assert_int_equal(base64_encode((const unsigned char *)"ab", 2, enc), 4);
    assert_memory_equal(enc, "YWI=", 4);
    /* memcached's leniency and refusals */
    assert_int_equal(base64_decode("YQ=a", 4, dec), 2);
    assert_int_equal(base64_decode("YW==YWJj", 8, dec), 1);
    assert_int_equal(base64_decode("Y W J j", 7, dec), 3);
    assert_int_equal(base64_decode("YWJ", 3, dec), 0);
    assert_int_equal(base64_decode("", 0, dec), 0);
    assert_int_equal(base64_decode("====", 4, dec), 0);
    assert_int_equal(base64_decode("Y===", 4, dec), 0);
    assert_int_equal(base64_decode("YWJj====", 8, dec), 0);
    assert_int_equal(base64_decode("ab-_", 4, dec), 0);

    /* a 250-byte base64 key decodes to 187 bytes; k echoes it re-encoded */
    char line[300] = "mg ";
    size_t ne = base64_encode(raw, 187, line + 3);
    assert_int_equal(ne, 252);
    ne = base64_encode(raw, 186, line + 3);
    assert_int_equal(ne, 248);
    memcpy(line + 3 + ne, " b k\r\n", 6);
    struct request req;
    size_t consumed;
    assert_int_equal(meta_parse(&req, line, 3 + ne + 6, &consumed), PARSE_OK);
    assert_int_equal(req.nkey, 186);
    assert_memory_equal(req.key, raw, 186);
    struct response rsp = { .kind = RSP_MISS, .req = &req };
    char out[400];
    size_t n = meta_compose(&rsp, out, sizeof(out));
    assert_int_equal(n, 2 + 2 + ne + 2 + 2);
    assert_memory_equal(out, "EN k", 4);
    assert_memory_equal(out + 4, line + 3, ne);
    assert_memory_equal(out + 4 + ne, " b\r\n", 4);
}

/* ---- the fuzz seeds ------------------------------------------------------ */

/* memcached applies mg's N, T, R and t in the order they came (issue 18). */
static void test_flag_order(void **state)
{
    static const struct {
        const char *line;
        bool r_before_t, t_before_t, t_before_n, n_after_t;
    } cases[] = {
        { "mg k t T30\r\n", false, true, true, false },
        { "mg k T30 t\r\n", false, false, true, false },
        { "mg k R30 T10 v\r\n", true, false, false, false },
        { "mg k T10 R30 v\r\n", false, false, false, false },
        { "mg k t N30\r\n", false, true, true, false },
        { "mg k N30 t\r\n", false, true, false, false },
        { "mg k T50 t N30\r\n", false, false, true, true },
        { "mg k N30 T50 t\r\n", false, false, false, false },
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct request req;
        size_t consumed;
        size_t len = strlen(cases[i].line);

        print_message("order: %s", cases[i].line);
        for (size_t cut = 0; cut < len; cut++) {
            assert_int_equal(meta_parse(&req, cases[i].line, cut, &consumed), PARSE_AGAIN);
        }
        assert_int_equal(meta_parse(&req, cases[i].line, len, &consumed), PARSE_OK);
        assert_int_equal(req.recache_before_touch, cases[i].r_before_t);
        assert_int_equal(req.ttl_before_touch, cases[i].t_before_t);
        assert_int_equal(req.ttl_before_vivify, cases[i].t_before_n);
        assert_int_equal(req.vivify_after_touch, cases[i].n_after_t);
    }
}

static void test_fuzz_seeds(void **state)
{
    (void)state;
    seed_replay(MNEMO_META_SEEDS_DIR, LLVMFuzzerTestOneInput, 20);
}

/* Every error case and valid line, through the fuzz target's oracle. */
static void test_oracle_tables(void **state)
{
    (void)state;

    for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
        LLVMFuzzerTestOneInput((const uint8_t *)error_cases[i].line, strlen(error_cases[i].line));
    }
    for (size_t i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++) {
        LLVMFuzzerTestOneInput((const uint8_t *)valid_cases[i].line, line_len(&valid_cases[i]));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_lines), cmocka_unit_test(test_error_lines),
        cmocka_unit_test(test_routing),     cmocka_unit_test(test_compose),
        cmocka_unit_test(test_base64),      cmocka_unit_test(test_oracle_tables),
        cmocka_unit_test(test_fuzz_seeds),  cmocka_unit_test(test_flag_order),
        cmocka_unit_test(test_request_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_text.c: the text protocol parser and composer (src/proto/text.c).
 *
 * Table-driven: valid lines with every field checked, each also fed one
 * byte at a time (every prefix must be PARSE_AGAIN, from an exact-size heap
 * copy so ASan sees any over-read); malformed lines with the error memcached
 * 1.6.45 was observed to give (see the table atop text.c); lines holding NUL
 * bytes; pipelining; line
 * length limits; multi-key walks; compose of every response kind; and every
 * fuzz seed run through the fuzz target's own invariant checks.
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

#include "proto/request.h"
#include "proto/text.h"

/* The fuzz target, with its checks reported through cmocka. */
#define FUZZ_CHECK(cond) assert_true(cond)
#include "fuzz_text.c"
#include "seed_replay.h"

/* ---- helpers ------------------------------------------------------------- */

/* Parse from an exact-size heap copy, so reading past len is an ASan error. */
static enum parse_status parse_copy(struct request *req, const char *s, size_t len,
                                    size_t *consumed, char **copy)
{
    *copy = malloc(len > 0 ? len : 1);
    assert_non_null(*copy);
    memcpy(*copy, s, len);
    return text_parse(req, *copy, len, consumed);
}

/* Join the request's keys with ',' for comparison. */
static void join_keys(const struct request *req, char *out, size_t cap)
{
    size_t cur = 0, o = 0;
    const char *k;
    size_t nk;

    out[0] = '\0';
    while (request_key_next(req, &cur, &k, &nk)) {
        assert_true(o + nk + 2 < cap);
        if (o > 0) {
            out[o++] = ',';
        }
        memcpy(out + o, k, nk);
        o += nk;
        out[o] = '\0';
    }
}

/* Print a case's bytes escaped, so a failing assertion can be traced to it. */
static void show(const char *tag, const char *s, size_t n)
{
    char out[256];
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

/* ---- valid lines --------------------------------------------------------- */

struct valid_case {
    const char *line;
    enum request_cmd cmd;
    const char *keys; /* comma-joined; "" for none */
    uint32_t flags;
    int64_t exptime;
    uint32_t vlen;
    uint64_t cas;
    uint64_t delta;
    bool has_delay;
    bool noreply;
    const char *arg; /* NULL: none */
};

static const struct valid_case valid_cases[] = {
    { .line = "get foo\r\n", .cmd = REQ_GET, .keys = "foo" },
    { .line = "get foo\n", .cmd = REQ_GET, .keys = "foo" },
    { .line = "get a b c\r\n", .cmd = REQ_GET, .keys = "a,b,c" },
    { .line = "get   a  b   c   \r\n", .cmd = REQ_GET, .keys = "a,b,c" },
    { .line = "gets a b\r\n", .cmd = REQ_GETS, .keys = "a,b" },
    { .line = "get k noreply\r\n", .cmd = REQ_GET, .keys = "k,noreply" },
    { .line = "get a\tb c\rd\r\n", .cmd = REQ_GET, .keys = "a\tb,c\rd" },
    { .line = "get a\r\r\n", .cmd = REQ_GET, .keys = "a\r" },
    { .line = "gat 10 a b\r\n", .cmd = REQ_GAT, .keys = "a,b", .exptime = 10 },
    { .line = "gats -1 a\r\n", .cmd = REQ_GATS, .keys = "a", .exptime = -1 },
    { .line = "gat - k\r\n", .cmd = REQ_GAT, .keys = "k", .exptime = 0 },
    { .line = "gat 00000000010 k\r\n", .cmd = REQ_GAT, .keys = "k", .exptime = 10 },
    { .line = "set k 5 100 3\r\n", .cmd = REQ_SET, .keys = "k", .flags = 5, .exptime = 100, .vlen = 3 },
    { .line = "set k 5 100 3 noreply\r\n", .cmd = REQ_SET, .keys = "k", .flags = 5, .exptime = 100, .vlen = 3, .noreply = true },
    { .line = "set k 5 100 3 garbage\r\n", .cmd = REQ_SET, .keys = "k", .flags = 5, .exptime = 100, .vlen = 3 },
    { .line = "add k 4294967295 -1 0\r\n", .cmd = REQ_ADD, .keys = "k", .flags = 4294967295u, .exptime = -1, .vlen = 0 },
    { .line = "replace k 0 0 2147483645\r\n", .cmd = REQ_REPLACE, .keys = "k", .flags = 0, .exptime = 0, .vlen = 2147483645u },
    { .line = "append k 0 0 1\r\n", .cmd = REQ_APPEND, .keys = "k", .vlen = 1 },
    { .line = "prepend k 0 0 1\n", .cmd = REQ_PREPEND, .keys = "k", .vlen = 1 },
    { .line = "set  k  1  2  3  \r\n", .cmd = REQ_SET, .keys = "k", .flags = 1, .exptime = 2, .vlen = 3 },
    { .line = "set k +5 0 1\r\n", .cmd = REQ_SET, .keys = "k", .flags = 5, .exptime = 0, .vlen = 1 },
    { .line = "set k \t5 0 1\r\n", .cmd = REQ_SET, .keys = "k", .flags = 5, .exptime = 0, .vlen = 1 },
    { .line = "set k 5\tzz 0 1\r\n", .cmd = REQ_SET, .keys = "k", .flags = 5, .exptime = 0, .vlen = 1 },
    /* safe_strtoul reads on past a whitespace-only token into the next one */
    { .line = "set k \t 5 1\r\n", .cmd = REQ_SET, .keys = "k", .flags = 5, .exptime = 5, .vlen = 1 },
    { .line = "set k 0 \t-7 1\r\n", .cmd = REQ_SET, .keys = "k", .exptime = -7, .vlen = 1 },
    { .line = "set k 0 0 -\r\n", .cmd = REQ_SET, .keys = "k", .vlen = 0 },
    { .line = "set k -0 0 1\r\n", .cmd = REQ_SET, .keys = "k", .flags = 0, .exptime = 0, .vlen = 1 },
    { .line = "set k -18446744073709551615 0 1\r\n", .cmd = REQ_SET, .keys = "k", .flags = 1, .exptime = 0, .vlen = 1 },
    { .line = "set k 0 0 01\r\n", .cmd = REQ_SET, .keys = "k", .flags = 0, .exptime = 0, .vlen = 1 },
    /* memcached 1.6.45 ignores extra tokens; the last one (of 23) decides noreply */
    { .line = "set k 0 0 1 a b\r\n", .cmd = REQ_SET, .keys = "k", .vlen = 1 },
    { .line = "set k 0 0 1 noreply x\r\n", .cmd = REQ_SET, .keys = "k", .vlen = 1 },
    { .line = "set k 0 0 1 x noreply\r\n", .cmd = REQ_SET, .keys = "k", .vlen = 1, .noreply = true },
    { .line = "set k 0 0 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1\r\n", .cmd = REQ_SET, .keys = "k", .vlen = 1 },
    { .line = "set k 0 0 1 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 noreply\r\n",
      .cmd = REQ_SET, .keys = "k", .vlen = 1, .noreply = true },
    { .line = "set k 0 0 1 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 noreply 22\r\n",
      .cmd = REQ_SET, .keys = "k", .vlen = 1 },
    { .line = "set k 0 0 1 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 noreply 23\r\n",
      .cmd = REQ_SET, .keys = "k", .vlen = 1, .noreply = true },
    { .line = "cas k 1 2 3 99 x y\r\n", .cmd = REQ_CAS, .keys = "k", .flags = 1, .exptime = 2, .vlen = 3, .cas = 99 },
    { .line = "cas k 1 2 3 18446744073709551615\r\n", .cmd = REQ_CAS, .keys = "k", .flags = 1, .exptime = 2, .vlen = 3, .cas = UINT64_MAX },
    { .line = "cas k 1 2 3 99 noreply\r\n", .cmd = REQ_CAS, .keys = "k", .flags = 1, .exptime = 2, .vlen = 3, .cas = 99, .noreply = true },
    { .line = "delete k\r\n", .cmd = REQ_DELETE, .keys = "k" },
    { .line = "delete k 0\r\n", .cmd = REQ_DELETE, .keys = "k" },
    { .line = "delete k noreply\r\n", .cmd = REQ_DELETE, .keys = "k", .noreply = true },
    { .line = "delete k 0 noreply\r\n", .cmd = REQ_DELETE, .keys = "k", .noreply = true },
    /* the last token is "noreply", even when it is the key */
    { .line = "delete noreply\r\n", .cmd = REQ_DELETE, .keys = "noreply", .noreply = true },
    { .line = "incr k 1\r\n", .cmd = REQ_INCR, .keys = "k", .delta = 1 },
    { .line = "decr k 18446744073709551615 noreply\r\n", .cmd = REQ_DECR, .keys = "k",
      .delta = UINT64_MAX, .noreply = true },
    { .line = "incr k 1 foo\r\n", .cmd = REQ_INCR, .keys = "k", .delta = 1 },
    { .line = "incr k 1 2 3\r\n", .cmd = REQ_INCR, .keys = "k", .delta = 1 },
    { .line = "incr k 1 noreply x\r\n", .cmd = REQ_INCR, .keys = "k", .delta = 1 },
    { .line = "incr k 0000000000000000000001\r\n", .cmd = REQ_INCR, .keys = "k", .delta = 1 },
    { .line = "touch k 10\r\n", .cmd = REQ_TOUCH, .keys = "k", .exptime = 10 },
    { .line = "touch k -5 noreply\r\n", .cmd = REQ_TOUCH, .keys = "k", .exptime = -5, .noreply = true },
    { .line = "touch k 1 2 3\r\n", .cmd = REQ_TOUCH, .keys = "k", .exptime = 1 },
    { .line = "touch k -\r\n", .cmd = REQ_TOUCH, .keys = "k", .exptime = 0 },
    { .line = "touch k -2147483648\r\n", .cmd = REQ_TOUCH, .keys = "k", .exptime = INT32_MIN },
    { .line = "flush_all\r\n", .cmd = REQ_FLUSH_ALL, .keys = "" },
    { .line = "flush_all 10\r\n", .cmd = REQ_FLUSH_ALL, .keys = "", .exptime = 10, .delta = 10, .has_delay = true },
    { .line = "flush_all -5\r\n", .cmd = REQ_FLUSH_ALL, .keys = "", .exptime = -5, .has_delay = true },
    { .line = "flush_all noreply\r\n", .cmd = REQ_FLUSH_ALL, .keys = "", .noreply = true },
    { .line = "flush_all 7 noreply\r\n", .cmd = REQ_FLUSH_ALL, .keys = "", .exptime = 7,
      .delta = 7, .has_delay = true, .noreply = true },
    { .line = "flush_all 5 5\r\n", .cmd = REQ_FLUSH_ALL, .keys = "", .exptime = 5, .delta = 5, .has_delay = true },
    { .line = "flush_all 1 2 3\r\n", .cmd = REQ_FLUSH_ALL, .keys = "", .exptime = 1, .delta = 1, .has_delay = true },
    { .line = "flush_all -\r\n", .cmd = REQ_FLUSH_ALL, .keys = "", .has_delay = true },
    /* admin commands are found by their first token, leading spaces skipped */
    { .line = "  flush_all\r\n", .cmd = REQ_FLUSH_ALL, .keys = "" },
    { .line = " verbosity 2\r\n", .cmd = REQ_VERBOSITY, .keys = "", .delta = 2 },
    { .line = "version\r\n", .cmd = REQ_VERSION, .keys = "" },
    { .line = "version foo bar\r\n", .cmd = REQ_VERSION, .keys = "" },
    { .line = "verbosity 1\r\n", .cmd = REQ_VERBOSITY, .keys = "", .delta = 1 },
    { .line = "verbosity 1 2\r\n", .cmd = REQ_VERBOSITY, .keys = "", .delta = 1 },
    { .line = "verbosity 1 2 3\r\n", .cmd = REQ_VERBOSITY, .keys = "", .delta = 1 },
    { .line = "verbosity 4294967295 noreply\r\n", .cmd = REQ_VERBOSITY, .keys = "", .delta = UINT32_MAX, .noreply = true },
    { .line = "cache_memlimit 64\r\n", .cmd = REQ_CACHE_MEMLIMIT, .keys = "", .delta = 64 },
    { .line = "cache_memlimit 00000000064\r\n", .cmd = REQ_CACHE_MEMLIMIT, .keys = "", .delta = 64 },
    { .line = "cache_memlimit 0\r\n", .cmd = REQ_CACHE_MEMLIMIT, .keys = "", .delta = 0 },
    { .line = "cache_memlimit 4294967295\r\n", .cmd = REQ_CACHE_MEMLIMIT, .keys = "",
      .delta = 4294967295u },
    { .line = "cache_memlimit 100 extra\r\n", .cmd = REQ_CACHE_MEMLIMIT, .keys = "", .delta = 100 },
    { .line = "cache_memlimit 100 noreply\r\n", .cmd = REQ_CACHE_MEMLIMIT, .keys = "",
      .delta = 100, .noreply = true },
    { .line = "quit\r\n", .cmd = REQ_QUIT, .keys = "" },
    { .line = "quit now\r\n", .cmd = REQ_QUIT, .keys = "" },
    { .line = "shutdown\r\n", .cmd = REQ_SHUTDOWN, .keys = "" },
    { .line = "shutdown graceful\r\n", .cmd = REQ_SHUTDOWN, .keys = "", .arg = "graceful" },
    { .line = "shutdown noreply\r\n", .cmd = REQ_SHUTDOWN, .keys = "", .noreply = true, .arg = "noreply" },
    { .line = " shutdown\r\n", .cmd = REQ_SHUTDOWN, .keys = "" },
    { .line = "stats\r\n", .cmd = REQ_STATS, .keys = "" },
    { .line = "stats   \r\n", .cmd = REQ_STATS, .keys = "" },
    { .line = "stats  detail   on  \r\n", .cmd = REQ_STATS, .keys = "", .arg = "detail   on" },
    { .line = "stats items\n", .cmd = REQ_STATS, .keys = "", .arg = "items" },
    /* operator commands keep their arguments for proto/admin.c */
    { .line = "slabs automove 1\r\n", .cmd = REQ_SLABS, .keys = "", .arg = "automove 1" },
    { .line = "slabs\r\n", .cmd = REQ_SLABS, .keys = "" },
    { .line = "lru tune 10 10 0.1 2\r\n", .cmd = REQ_LRU, .keys = "", .arg = "tune 10 10 0.1 2" },
    { .line = "lru_crawler metadump all\r\n", .cmd = REQ_LRU_CRAWLER, .keys = "",
      .arg = "metadump all" },
    { .line = "watch mutations\r\n", .cmd = REQ_WATCH, .keys = "", .arg = "mutations" },
};

static void check_valid(const struct valid_case *vc, const struct request *req)
{
    char keys[4096];

    assert_int_equal(req->error, REQ_EOK);
    assert_int_equal(req->cmd, vc->cmd);
    join_keys(req, keys, sizeof(keys));
    assert_string_equal(keys, vc->keys);
    if (vc->keys[0] != '\0') {
        size_t n = strcspn(vc->keys, ",");
        assert_int_equal(req->nkey, n);
        assert_memory_equal(req->key, vc->keys, n);
    }
    assert_int_equal(req->flags, vc->flags);
    assert_int_equal(req->exptime, vc->exptime);
    assert_int_equal(req->vlen, vc->vlen);
    assert_int_equal(req->cas, vc->cas);
    assert_int_equal(req->delta, vc->delta);
    assert_int_equal(req->has_delay, vc->has_delay);
    assert_int_equal(req->noreply, vc->noreply);
    if (vc->arg == NULL) {
        assert_int_equal(req->narg, 0);
    } else {
        assert_int_equal(req->narg, strlen(vc->arg));
        assert_memory_equal(req->arg, vc->arg, req->narg);
    }
}

static void test_valid_lines(void **state)
{
    for (size_t i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++) {
        const struct valid_case *vc = &valid_cases[i];
        size_t len = strlen(vc->line);
        struct request req;
        size_t consumed;
        char *copy;

        show("valid", vc->line, len);
        /* every strict prefix: no complete line yet */
        for (size_t cut = 0; cut < len; cut++) {
            consumed = 99;
            assert_int_equal(parse_copy(&req, vc->line, cut, &consumed, &copy), PARSE_AGAIN);
            assert_int_equal(consumed, 0);
            free(copy);
        }
        assert_int_equal(parse_copy(&req, vc->line, len, &consumed, &copy), PARSE_OK);
        assert_int_equal(consumed, len);
        check_valid(vc, &req);
        free(copy);

        /* the same line with more bytes behind it parses the same */
        char more[512];
        snprintf(more, sizeof(more), "%sget next\r\n", vc->line);
        assert_int_equal(text_parse(&req, more, strlen(more), &consumed), PARSE_OK);
        assert_int_equal(consumed, len);
        check_valid(vc, &req);
    }
}

/* ---- malformed lines ----------------------------------------------------- */

struct error_case {
    const char *line;
    size_t len; /* literals may hold a NUL */
    enum request_error error;
    enum request_cmd cmd;
    bool noreply; /* memcached sends nothing when set */
    uint32_t swallow; /* the data block to skip: vlen + 1 (0: none) */
};

#define E(lit, err, c, ...) { .line = lit, .len = sizeof(lit) - 1, .error = err, .cmd = c, __VA_ARGS__ }

static const struct error_case error_cases[] = {
    /* memcached 1.6.45: a line under 4 bytes with its "\n" is refused first */
    E("\r\n", REQ_EFORMAT, REQ_NONE),
    E("\n", REQ_EFORMAT, REQ_NONE),
    E("x\r\n", REQ_EFORMAT, REQ_NONE),
    E("ab\n", REQ_EFORMAT, REQ_NONE),
    E("mn\n", REQ_EFORMAT, REQ_NONE),
    E("\r\r\n", REQ_EFORMAT, REQ_NONE),
    E("\0\r\n", REQ_EFORMAT, REQ_NONE),
    E("xy\r\n", REQ_EUNKNOWN, REQ_NONE),
    E("    \r\n", REQ_EUNKNOWN, REQ_NONE),
    /* the command is the bytes before the first ' ': no leading spaces */
    E(" get k\r\n", REQ_EUNKNOWN, REQ_NONE),
    E(" mg k v\r\n", REQ_EUNKNOWN, REQ_NONE),
    E(" stats\r\n", REQ_EUNKNOWN, REQ_NONE),
    E("bget k\r\n", REQ_EUNKNOWN, REQ_NONE),
    E("verbosity\t1\r\n", REQ_EUNKNOWN, REQ_NONE),
    E("noreply\r\n", REQ_EUNKNOWN, REQ_NONE, .noreply = true),
    E(" foo noreply\r\n", REQ_EUNKNOWN, REQ_NONE, .noreply = true),
    E("foo bar\r\n", REQ_EUNKNOWN, REQ_NONE),
    E("GET k\r\n", REQ_EUNKNOWN, REQ_NONE),
    E("ge k\r\n", REQ_EUNKNOWN, REQ_NONE),
    E("statsx\r\n", REQ_EUNKNOWN, REQ_NONE),
    E("lru_crawlerx all\r\n", REQ_EUNKNOWN, REQ_NONE),
    E("LRU tune\r\n", REQ_EUNKNOWN, REQ_NONE),
    E("set\tk 0 0 1\r\n", REQ_EUNKNOWN, REQ_NONE),
    E("\rversion\r\n", REQ_EUNKNOWN, REQ_NONE),
    E("mx k v\r\n", REQ_EUNKNOWN, REQ_NONE), /* meta-shaped but no meta command */
    /* too few tokens: memcached 1.6.45 counts them first */
    E("get\r\n", REQ_EFORMAT, REQ_GET),
    E("get   \r\n", REQ_EFORMAT, REQ_GET),
    E("gets\r\n", REQ_EFORMAT, REQ_GETS),
    E("gat\r\n", REQ_EFORMAT, REQ_GAT),
    E("gat 100\r\n", REQ_EFORMAT, REQ_GAT),
    E("gat abc\r\n", REQ_EFORMAT, REQ_GAT),
    E("gats 1 \r\n", REQ_EFORMAT, REQ_GATS),
    E("incr noreply\r\n", REQ_EFORMAT, REQ_INCR),
    E("touch k\r\n", REQ_EFORMAT, REQ_TOUCH),
    E("delete \r\n", REQ_EUNKNOWN, REQ_DELETE), /* delete: 1.6.18's answers (text.c) */
    E("verbosity \r\n", REQ_EFORMAT, REQ_VERBOSITY),
    /* memcached 1.6.45: no data length, no block to skip */
    E("set k 0 0\r\n", REQ_EFORMAT, REQ_SET),
    E("set k 0 noreply\r\n", REQ_EFORMAT, REQ_SET),
    E("cas k 0 0\r\n", REQ_EFORMAT, REQ_CAS),
    E("set k 0 0 1\r\r\n", REQ_EFORMAT, REQ_SET),
    E("set k 0 0 +1\r\n", REQ_EFORMAT, REQ_SET),
    E("set k 0 0 1\tx\r\n", REQ_EFORMAT, REQ_SET),
    E("set k 0 0 000000000001\r\n", REQ_EFORMAT, REQ_SET),
    E("set k 0 0 abc noreply\r\n", REQ_EFORMAT, REQ_SET),
    /* ...but once the length is read, every error swallows the block */
    E("cas k 0 0 1\r\n", REQ_EFORMAT, REQ_CAS, .swallow = 2),
    E("cas k 0 0 1 +1\r\n", REQ_EFORMAT, REQ_CAS, .swallow = 2),
    E("cas k 0 0 1 1\t\r\n", REQ_EFORMAT, REQ_CAS, .swallow = 2),
    E("cas k 0 0 1 noreply\r\n", REQ_EFORMAT, REQ_CAS, .noreply = true, .swallow = 2),
    E("set k abc 0 9\r\n", REQ_EFORMAT, REQ_SET, .swallow = 10),
    E("set k 0 abc 9 noreply\r\n", REQ_EFORMAT, REQ_SET, .noreply = true, .swallow = 10),
    E("incr\r\n", REQ_EFORMAT, REQ_INCR),
    E("incr k\r\n", REQ_EFORMAT, REQ_INCR),
    E("decr k \r\n", REQ_EFORMAT, REQ_DECR),
    E("touch\r\n", REQ_EFORMAT, REQ_TOUCH),
    E("delete\r\n", REQ_EUNKNOWN, REQ_DELETE),
    /* memcached 1.6.45 ignores anything after the key; mnemod keeps 1.6.18's
     * refusal, which libmemcached's memccapable checks (a listed deviation) */
    E("delete k 5\r\n", REQ_EDELETE_USAGE, REQ_DELETE),
    E("delete k 1 noreply\r\n", REQ_EDELETE_USAGE, REQ_DELETE, .noreply = true),
    E("delete k noreply x\r\n", REQ_EDELETE_USAGE, REQ_DELETE),
    E("delete k 0 0 0\r\n", REQ_EUNKNOWN, REQ_DELETE),
    E("delete a b c d e\r\n", REQ_EUNKNOWN, REQ_DELETE),
    E("verbosity\r\n", REQ_EFORMAT, REQ_VERBOSITY),
    /* strict numbers (mcmc_tokto*): no sign but '-', no whitespace, 11 or
     * 22 bytes at most */
    E("incr k +2\r\n", REQ_EDELTA, REQ_INCR),
    E("incr k \t1\r\n", REQ_EDELTA, REQ_INCR),
    E("incr k 00000000000000000000001\r\n", REQ_EDELTA, REQ_INCR),
    E("incr k -18446744073709551615\r\n", REQ_EDELTA, REQ_INCR),
    E("touch k +1\r\n", REQ_EEXPTIME, REQ_TOUCH),
    E("touch k 99999999999\r\n", REQ_EEXPTIME, REQ_TOUCH),
    E("touch k -2147483649\r\n", REQ_EEXPTIME, REQ_TOUCH),
    E("gat +1 k\r\n", REQ_EEXPTIME, REQ_GAT),
    E("flush_all +1\r\n", REQ_EEXPTIME, REQ_FLUSH_ALL),
    E("flush_all 1\t\r\n", REQ_EEXPTIME, REQ_FLUSH_ALL),
    E("verbosity +1\r\n", REQ_EFORMAT, REQ_VERBOSITY),
    E("verbosity 1\t\r\n", REQ_EFORMAT, REQ_VERBOSITY),
    E("verbosity 000000000001\r\n", REQ_EFORMAT, REQ_VERBOSITY),
    /* cache_memlimit: memcached 1.6.45 answers "ERROR" to any bad number */
    E("cache_memlimit\r\n", REQ_EUNKNOWN, REQ_CACHE_MEMLIMIT),
    E("cache_memlimit abc\r\n", REQ_EUNKNOWN, REQ_CACHE_MEMLIMIT),
    E("cache_memlimit -1\r\n", REQ_EUNKNOWN, REQ_CACHE_MEMLIMIT),
    E("cache_memlimit +12\r\n", REQ_EUNKNOWN, REQ_CACHE_MEMLIMIT),
    E("cache_memlimit 12abc\r\n", REQ_EUNKNOWN, REQ_CACHE_MEMLIMIT),
    E("cache_memlimit 0x10\r\n", REQ_EUNKNOWN, REQ_CACHE_MEMLIMIT),
    E("cache_memlimit 4294967296\r\n", REQ_EUNKNOWN, REQ_CACHE_MEMLIMIT),
    E("cache_memlimit 000000000064\r\n", REQ_EUNKNOWN, REQ_CACHE_MEMLIMIT), /* 12 digits */
    E("cache_memlimit noreply\r\n", REQ_EUNKNOWN, REQ_CACHE_MEMLIMIT, .noreply = true),
    E("set k 0 0 -1\r\n", REQ_EFORMAT, REQ_SET),
    /* memcached truncates these to 32 bits; mnemo refuses them (text.c) and
     * skips the block of the length that was read */
    E("set k 4294967296 0 1\r\n", REQ_EFORMAT, REQ_SET, .swallow = 2),
    E("set k 0 0 4294967297\r\n", REQ_EFORMAT, REQ_SET),
    E("set k 0 0 -4294967295\r\n", REQ_EFORMAT, REQ_SET),
    E("set k 0 9223372036854775807 1\r\n", REQ_EFORMAT, REQ_SET, .swallow = 2),
    E("verbosity 4294967296 noreply\r\n", REQ_EFORMAT, REQ_VERBOSITY, .noreply = true),
    E("gat 4294967297 k\r\n", REQ_EEXPTIME, REQ_GAT),
    E("flush_all 4294967296\r\n", REQ_EEXPTIME, REQ_FLUSH_ALL),
    E("set k abc 0 1\r\n", REQ_EFORMAT, REQ_SET, .swallow = 2),
    E("set k 0 abc 1\r\n", REQ_EFORMAT, REQ_SET, .swallow = 2),
    E("set k 0 0 abc\r\n", REQ_EFORMAT, REQ_SET),
    E("set k 0 0 0x1\r\n", REQ_EFORMAT, REQ_SET),
    E("set k 0 0 1x\r\n", REQ_EFORMAT, REQ_SET),
    E("set k 0 0 +\r\n", REQ_EFORMAT, REQ_SET),
    E("set k 0 0 \t\r\n", REQ_EFORMAT, REQ_SET),
    E("set k 0 0 2147483646\r\n", REQ_EFORMAT, REQ_SET),
    E("set k 0 0 2147483647\r\n", REQ_EFORMAT, REQ_SET),
    E("set k -1 0 1\r\n", REQ_EFORMAT, REQ_SET, .swallow = 2),
    E("set k -4294967295 0 1\r\n", REQ_EFORMAT, REQ_SET, .swallow = 2),
    E("set k 18446744073709551616 0 1\r\n", REQ_EFORMAT, REQ_SET, .swallow = 2),
    E("set k 0 9223372036854775808 1\r\n", REQ_EFORMAT, REQ_SET, .swallow = 2),
    E("set k 0 -9223372036854775809 1\r\n", REQ_EFORMAT, REQ_SET, .swallow = 2),
    E("set k abc 0 1 noreply\r\n", REQ_EFORMAT, REQ_SET, .noreply = true, .swallow = 2),
    E("set k 0 0 noreply\r\n", REQ_EFORMAT, REQ_SET),
    E("cas k 0 0 1 abc\r\n", REQ_EFORMAT, REQ_CAS, .swallow = 2),
    E("cas k 0 0 1 -1\r\n", REQ_EFORMAT, REQ_CAS, .swallow = 2),
    E("cas k 0 0 1 18446744073709551616\r\n", REQ_EFORMAT, REQ_CAS, .swallow = 2),
    E("verbosity abc\r\n", REQ_EFORMAT, REQ_VERBOSITY),
    E("verbosity -1\r\n", REQ_EFORMAT, REQ_VERBOSITY),
    E("verbosity noreply\r\n", REQ_EFORMAT, REQ_VERBOSITY, .noreply = true),
    E("incr k abc\r\n", REQ_EDELTA, REQ_INCR),
    E("incr k -1\r\n", REQ_EDELTA, REQ_INCR),
    E("decr k 18446744073709551616\r\n", REQ_EDELTA, REQ_DECR),
    E("incr k abc noreply\r\n", REQ_EDELTA, REQ_INCR, .noreply = true),
    E("touch k abc\r\n", REQ_EEXPTIME, REQ_TOUCH),
    E("touch k abc noreply\r\n", REQ_EEXPTIME, REQ_TOUCH, .noreply = true),
    E("gat abc k\r\n", REQ_EEXPTIME, REQ_GAT),
    E("gats 9999999999999999999 k\r\n", REQ_EEXPTIME, REQ_GATS),
    E("flush_all abc\r\n", REQ_EEXPTIME, REQ_FLUSH_ALL),
    E("flush_all 1e\r\n", REQ_EEXPTIME, REQ_FLUSH_ALL),
    E("flush_all 9999999999999999999\r\n", REQ_EEXPTIME, REQ_FLUSH_ALL),
    E("flush_all noreply 5\r\n", REQ_EEXPTIME, REQ_FLUSH_ALL),
    E("flush_all x noreply\r\n", REQ_EEXPTIME, REQ_FLUSH_ALL, .noreply = true),
    E("flush_all noreply noreply\r\n", REQ_EEXPTIME, REQ_FLUSH_ALL, .noreply = true),
    /* NUL is an ordinary byte in 1.6.45: part of a command word or a token */
    E("\0get a\r\n", REQ_EUNKNOWN, REQ_NONE),
    E("get\0 a\r\n", REQ_EUNKNOWN, REQ_NONE),
    E("flush_all\0\r\n", REQ_EUNKNOWN, REQ_NONE),
    E("version\0junk\r\n", REQ_EUNKNOWN, REQ_NONE),
    E("set k 0 0 1\0\r\n", REQ_EFORMAT, REQ_SET),
    E("incr k 1\0\r\n", REQ_EDELTA, REQ_INCR),
    E("verbosity 1\0\r\n", REQ_EFORMAT, REQ_VERBOSITY),
    /* an HTTP request: memcached 1.6.45 closes without a byte (any method
     * it does not know, the last of the first 23 tokens starting "HTTP/") */
    E("GET / HTTP/1.0\r\n", REQ_EHTTP, REQ_NONE),
    E("PUT /x HTTP/1.1\r\n", REQ_EHTTP, REQ_NONE),
    E("DELETE HTTP/1.1\r\n", REQ_EHTTP, REQ_NONE),
    E("POST / HTTP/2\r\n", REQ_EHTTP, REQ_NONE),
    E("foo HTTP/\r\n", REQ_EHTTP, REQ_NONE),
    E("mx / HTTP/1.1\r\n", REQ_EHTTP, REQ_NONE),
    E("a 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 HTTP/1.1 x\r\n", REQ_EHTTP, REQ_NONE),
    E("a 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 HTTP/1.1 x\r\n", REQ_EUNKNOWN, REQ_NONE),
    E("HTTP/1.1\r\n", REQ_EUNKNOWN, REQ_NONE),
    E("GET / HTTP/1.1 x\r\n", REQ_EUNKNOWN, REQ_NONE),
    E("GET / http/1.1\r\n", REQ_EUNKNOWN, REQ_NONE),
    E("foo noreply\r\n", REQ_EUNKNOWN, REQ_NONE, .noreply = true),
};

static void test_error_lines(void **state)
{
    for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
        const struct error_case *ec = &error_cases[i];
        size_t len = ec->len;
        struct request req;
        size_t consumed;
        char *copy;

        show("error", ec->line, len);
        for (size_t cut = 0; cut < len; cut++) {
            assert_int_equal(parse_copy(&req, ec->line, cut, &consumed, &copy), PARSE_AGAIN);
            free(copy);
        }
        assert_int_equal(parse_copy(&req, ec->line, len, &consumed, &copy), PARSE_ERROR);
        assert_int_equal(consumed, len);
        assert_int_equal(req.error, ec->error);
        assert_int_equal(req.cmd, ec->cmd);
        assert_int_equal(req.noreply, ec->noreply);
        assert_int_equal(req.swallow_on_error, ec->swallow > 0);
        if (ec->swallow > 0) {
            assert_int_equal(req.vlen + 1, ec->swallow);
        }
        free(copy);
    }
}

static char *repeat(char c, size_t n, const char *prefix, const char *suffix)
{
    size_t np = strlen(prefix), ns = strlen(suffix);
    char *s = malloc(np + n + ns + 1);

    assert_non_null(s);
    memcpy(s, prefix, np);
    memset(s + np, c, n);
    memcpy(s + np + n, suffix, ns + 1);
    return s;
}

/* A text request asks nothing of exec beyond its command: every
 * protocol-neutral field stays at its classic (zero) value, so a get walks
 * its key list and ends with END, values are sent, "stats detail" counts,
 * quit closes silently, a parse error does not close, and set/add/replace
 * never compare (cas is its own command). */
static void test_request_fields(void **state)
{
    (void)state;
    static const struct {
        const char *line;
        enum parse_status ps;
    } cases[] = {
        { "get a b\r\n", PARSE_OK },       { "gets a\r\n", PARSE_OK },
        { "gat 1 a b\r\n", PARSE_OK },     { "set k 0 0 1\r\n", PARSE_OK },
        { "add k 0 0 1\r\n", PARSE_OK },   { "cas k 0 0 1 5\r\n", PARSE_OK },
        { "delete k\r\n", PARSE_OK },      { "incr k 1\r\n", PARSE_OK },
        { "quit\r\n", PARSE_OK },          { "bogus k\r\n", PARSE_ERROR },
        { "set k 0 0 x\r\n", PARSE_ERROR },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct request req;
        size_t consumed;
        const char *line = cases[i].line;
        assert_int_equal(text_parse(&req, line, strlen(line), &consumed), cases[i].ps);
        assert_int_equal(req.proto, REQ_PROTO_TEXT);
        assert_false(req.single_key);
        assert_false(req.omit_value);
        assert_false(req.skip_prefix_stats);
        assert_false(req.answer_quit);
        assert_false(req.close_on_error);
        assert_int_equal(req.cas_rule, REQ_CAS_NEVER);
    }
}

static void expect_error(const char *line, enum request_error err)
{
    struct request req;
    size_t consumed;

    assert_int_equal(text_parse(&req, line, strlen(line), &consumed), PARSE_ERROR);
    assert_int_equal(req.error, err);
    assert_int_equal(consumed, strlen(line));
}

static void test_key_length(void **state)
{
    struct request req;
    size_t consumed;
    static const char *const around[][2] = {
        { "set ", " 0 0 1\r\n" },    { "get a ", " b\r\n" },     { "incr ", " 1\r\n" },
        { "touch ", " 1\r\n" },      { "delete ", "\r\n" },      { "gats 1 ", "\r\n" },
        { "cas ", " 0 0 1 1\r\n" }, { "delete ", " noreply\r\n" },
    };

    for (size_t i = 0; i < sizeof(around) / sizeof(around[0]); i++) {
        char *line = repeat('k', 250, around[i][0], around[i][1]);
        assert_int_equal(text_parse(&req, line, strlen(line), &consumed), PARSE_OK);
        free(line);
        line = repeat('k', 251, around[i][0], around[i][1]);
        expect_error(line, REQ_EKEY_TOO_LONG);
        free(line);
    }
    /* delete's arguments are checked before its key; gat's exptime too */
    char *k = repeat('k', 251, "delete ", " 5\r\n");
    expect_error(k, REQ_EDELETE_USAGE);
    free(k);
    k = repeat('k', 251, "gat abc ", "\r\n");
    expect_error(k, REQ_EEXPTIME);
    free(k);
    /* a key error under noreply is silent too */
    k = repeat('k', 251, "set ", " 0 0 1 noreply\r\n");
    expect_error(k, REQ_EKEY_TOO_LONG);
    assert_true(text_parse(&req, k, strlen(k), &consumed) == PARSE_ERROR && req.noreply);
    free(k);
}

/* ---- pipelining, line ends, limits --------------------------------------- */

static void test_pipeline(void **state)
{
    static const char in[] = "get a b\r\nset k 1 2 5\r\nhello\r\ndelete k\n"
                             "bogus\r\nincr n 7 noreply\nset x 0 0 1 noreply\r\nx\r\nversion\r\n";
    static const enum request_cmd want[] = { REQ_GET,   REQ_SET,  REQ_DELETE, REQ_NONE,
                                             REQ_INCR, REQ_SET, REQ_VERSION };
    size_t off = 0, i = 0, consumed;
    struct request req;

    while (off < sizeof(in) - 1) {
        enum parse_status st = text_parse(&req, in + off, sizeof(in) - 1 - off, &consumed);
        assert_true(i < sizeof(want) / sizeof(want[0]));
        assert_int_equal(req.cmd, want[i]);
        assert_int_equal(st, want[i] == REQ_NONE ? PARSE_ERROR : PARSE_OK);
        off += consumed;
        if (st == PARSE_OK && request_is_storage(req.cmd)) {
            off += req.vlen + 2;
        }
        i++;
    }
    assert_int_equal(i, sizeof(want) / sizeof(want[0]));
    assert_int_equal(off, sizeof(in) - 1);

    /* byte-at-a-time arrival gives the same sequence */
    off = 0;
    i = 0;
    for (size_t avail = 1; avail <= sizeof(in) - 1; avail++) {
        char *copy;
        enum parse_status st = parse_copy(&req, in + off, avail - off, &consumed, &copy);
        free(copy);
        if (st == PARSE_AGAIN) {
            continue;
        }
        assert_int_equal(req.cmd, want[i]);
        off += consumed;
        if (st == PARSE_OK && request_is_storage(req.cmd)) {
            off += req.vlen + 2;
            avail = off;
        }
        i++;
    }
    assert_int_equal(i, sizeof(want) / sizeof(want[0]));
}

static void test_line_limits(void **state)
{
    struct request req;
    size_t consumed;
    char *s;

    /* no newline: fine up to 2048 bytes, then memcached closes */
    s = repeat('x', TEXT_LINE_MAX, "", "");
    assert_int_equal(text_parse(&req, s, TEXT_LINE_MAX, &consumed), PARSE_AGAIN);
    free(s);
    s = repeat('x', TEXT_LINE_MAX + 1, "", "");
    assert_int_equal(text_parse(&req, s, TEXT_LINE_MAX + 1, &consumed), PARSE_ERROR);
    assert_int_equal(req.error, REQ_ELINE_TOO_LONG);
    assert_int_equal(consumed, TEXT_LINE_MAX + 1);
    free(s);
    s = repeat(' ', 3000, "set k 0 0 1", "");
    expect_error(s, REQ_ELINE_TOO_LONG);
    free(s);
    /* ...but a long line whose newline is already here is served, as memcached */
    s = repeat(' ', 3000, "set k 0 0 1", "\r\n");
    assert_int_equal(text_parse(&req, s, strlen(s), &consumed), PARSE_OK);
    assert_int_equal(req.vlen, 1);
    free(s);

    /* multi-get lines may grow to TEXT_GET_LINE_MAX */
    const char *gets[] = { "get ", "gets ", "gat 0 ", "gats 0 ", "   get " };
    for (size_t i = 0; i < sizeof(gets) / sizeof(gets[0]); i++) {
        s = repeat('a', 5000, gets[i], "");
        assert_int_equal(text_parse(&req, s, strlen(s), &consumed), PARSE_AGAIN);
        free(s);
    }
    s = repeat(' ', 101, "", "get aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    char *big = repeat(' ', 3000, s, "");
    expect_error(big, REQ_ELINE_TOO_LONG);
    free(big);
    free(s);
    s = repeat('a', TEXT_GET_LINE_MAX, "get ", "");
    expect_error(s, REQ_ELINE_TOO_LONG);
    free(s);

    /* a 100k-key multi-get, walked with request_key_next */
    size_t nkeys = 100000;
    char *line = malloc(4 + nkeys * 8 + 3);
    size_t o = 0;
    memcpy(line, "get", 3);
    o = 3;
    for (size_t i = 0; i < nkeys; i++) {
        o += (size_t)sprintf(line + o, " k%06zu", i);
    }
    memcpy(line + o, "\r\n", 2);
    o += 2;
    assert_true(o <= TEXT_GET_LINE_MAX);
    assert_int_equal(text_parse(&req, line, o, &consumed), PARSE_OK);
    assert_int_equal(consumed, o);
    assert_int_equal(req.nkeys, nkeys);
    size_t cur = 0, n = 0, nk;
    const char *k;
    char want[16];
    while (request_key_next(&req, &cur, &k, &nk)) {
        snprintf(want, sizeof(want), "k%06zu", n);
        assert_int_equal(nk, 7);
        assert_memory_equal(k, want, 7);
        n++;
    }
    assert_int_equal(n, nkeys);
    assert_false(request_key_next(&req, &cur, &k, &nk));
    free(line);
}

/*
 * NUL is an ordinary byte in memcached 1.6.45 (its parser works on the
 * line's length): keys may hold one, and a storage line's flags, read as
 * strtoul() reads them, end at one.
 */
static void test_nul_bytes(void **state)
{
    static const char get[] = "get a\0b c\0\r\n";
    static const char set[] = "set a\0 5\0 0 1 noreply\r\n";
    struct request req;
    size_t consumed, cur = 0, nk;
    const char *k;
    (void)state;

    assert_int_equal(text_parse(&req, get, sizeof(get) - 1, &consumed), PARSE_OK);
    assert_int_equal(consumed, sizeof(get) - 1);
    assert_int_equal(req.nkeys, 2);
    assert_true(request_key_next(&req, &cur, &k, &nk));
    assert_int_equal(nk, 3);
    assert_memory_equal(k, "a\0b", 3);
    assert_true(request_key_next(&req, &cur, &k, &nk));
    assert_int_equal(nk, 2);
    assert_memory_equal(k, "c\0", 2);

    assert_int_equal(text_parse(&req, set, sizeof(set) - 1, &consumed), PARSE_OK);
    assert_int_equal(req.cmd, REQ_SET);
    assert_int_equal(req.nkey, 2);
    assert_memory_equal(req.key, "a\0", 2);
    assert_int_equal(req.flags, 5);
    assert_int_equal(req.vlen, 1);
    assert_true(req.noreply);
}

static void test_cmd_names(void **state)
{
    assert_string_equal(request_cmd_name(REQ_GET), "get");
    assert_string_equal(request_cmd_name(REQ_FLUSH_ALL), "flush_all");
    assert_string_equal(request_cmd_name(REQ_STATS), "stats");
    assert_string_equal(request_cmd_name(REQ_LRU_CRAWLER), "lru_crawler");
    assert_string_equal(request_cmd_name(REQ_CMD_COUNT), "unknown");
    for (int c = REQ_GET; c < REQ_NOOP; c++) { /* REQ_NOOP on: binary only */
        char line[64];
        struct request req;
        size_t consumed;
        /* every name parses back to its command (with enough arguments) */
        snprintf(line, sizeof(line), "%s k 0 0 1 1\r\n", request_cmd_name((enum request_cmd)c));
        text_parse(&req, line, strlen(line), &consumed);
        assert_int_equal(req.cmd, c);
    }
}

/* ---- compose ------------------------------------------------------------- */

struct compose_case {
    struct response rsp;
    const char *want;
};

#define MSG(s) .msg = s, .nmsg = sizeof(s) - 1

static const struct compose_case compose_cases[] = {
    { { .kind = RSP_STORED }, "STORED\r\n" },
    { { .kind = RSP_NOT_STORED }, "NOT_STORED\r\n" },
    { { .kind = RSP_EXISTS }, "EXISTS\r\n" },
    { { .kind = RSP_NOT_FOUND }, "NOT_FOUND\r\n" },
    { { .kind = RSP_DELETED }, "DELETED\r\n" },
    { { .kind = RSP_TOUCHED }, "TOUCHED\r\n" },
    { { .kind = RSP_OK }, "OK\r\n" },
    { { .kind = RSP_END }, "END\r\n" },
    { { .kind = RSP_RESET }, "RESET\r\n" },
    { { .kind = RSP_VALUE, .key = "foo", .nkey = 3, .flags = 0, .vlen = 1 }, "VALUE foo 0 1\r\n" },
    { { .kind = RSP_VALUE, .key = "k", .nkey = 1, .flags = 4294967295u, .vlen = 2147483645u,
        .cas = 10, .with_cas = true },
      "VALUE k 4294967295 2147483645 10\r\n" },
    { { .kind = RSP_VALUE, .key = "k", .nkey = 1, .flags = 9, .vlen = 0, .cas = UINT64_MAX,
        .with_cas = true },
      "VALUE k 9 0 18446744073709551615\r\n" },
    { { .kind = RSP_VALUE, .key = "k", .nkey = 1, .cas = 5, .with_cas = false }, "VALUE k 0 0\r\n" },
    { { .kind = RSP_NUMBER, .number = 0 }, "0\r\n" },
    { { .kind = RSP_NUMBER, .number = 7 }, "7\r\n" },
    { { .kind = RSP_NUMBER, .number = 10 }, "10\r\n" },
    { { .kind = RSP_NUMBER, .number = 100 }, "100\r\n" },
    { { .kind = RSP_NUMBER, .number = 1234567890123ull }, "1234567890123\r\n" },
    { { .kind = RSP_NUMBER, .number = UINT64_MAX }, "18446744073709551615\r\n" },
    { { .kind = RSP_VERSION, MSG("1.6.18") }, "VERSION 1.6.18\r\n" },
    { { .kind = RSP_STAT, MSG("pid"), .msg2 = "42", .nmsg2 = 2 }, "STAT pid 42\r\n" },
    { { .kind = RSP_STAT, MSG("version"), .msg2 = "", .nmsg2 = 0 }, "STAT version \r\n" },
    { { .kind = RSP_ERROR }, "ERROR\r\n" },
    { { .kind = RSP_ERROR, MSG(": shutdown not enabled") }, "ERROR: shutdown not enabled\r\n" },
    { { .kind = RSP_CLIENT_ERROR, MSG("bad command line format") },
      "CLIENT_ERROR bad command line format\r\n" },
    { { .kind = RSP_CLIENT_ERROR }, "CLIENT_ERROR\r\n" },
    { { .kind = RSP_SERVER_ERROR, MSG("out of memory storing object") },
      "SERVER_ERROR out of memory storing object\r\n" },
    { { .kind = RSP_LINE, MSG("MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m") },
      "MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m\r\n" },
    { { .kind = RSP_LINE, MSG("NOSPARE source class has no spare pages") },
      "NOSPARE source class has no spare pages\r\n" },
    /* binary only (SASL); on text it would be its message as a line */
    { { .kind = RSP_AUTH_DATA, MSG("Authenticated") }, "Authenticated\r\n" },
    /* meta/binary only: text sends nothing */
    { { .kind = RSP_MISS }, "" },
    { { .kind = RSP_NOOP }, "" },
    { { .kind = RSP_DEBUG }, "" },
};

static void test_compose(void **state)
{
    char buf[256];
    bool seen[RSP_KIND_COUNT] = { false };

    for (size_t i = 0; i < sizeof(compose_cases) / sizeof(compose_cases[0]); i++) {
        const struct compose_case *cc = &compose_cases[i];
        size_t want = strlen(cc->want);
        size_t bound = text_compose_bound(&cc->rsp);

        show("compose", cc->want, want);
        seen[cc->rsp.kind] = true;
        assert_true(bound >= want && bound <= sizeof(buf));
        memset(buf, '#', sizeof(buf));
        assert_int_equal(text_compose(&cc->rsp, buf, sizeof(buf)), want);
        assert_memory_equal(buf, cc->want, want);
        assert_int_equal(buf[want], '#');
        /* exactly enough room */
        char *exact = malloc(want);
        assert_int_equal(text_compose(&cc->rsp, exact, want), want);
        assert_memory_equal(exact, cc->want, want);
        free(exact);
        /* too small: the size needed, and no write past cap */
        for (size_t cap = 0; cap < want; cap++) {
            char *small = malloc(cap > 0 ? cap : 1);
            assert_int_equal(text_compose(&cc->rsp, small, cap), want);
            free(small);
        }
    }
    for (int k = 0; k < RSP_KIND_COUNT; k++) {
        assert_true(seen[k]); /* every response kind has a case */
    }
}

/* ---- the fuzz seeds ------------------------------------------------------ */

static void test_fuzz_seeds(void **state)
{
    (void)state;
    seed_replay(MNEMO_TEXT_SEEDS_DIR, LLVMFuzzerTestOneInput, 24);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_lines), cmocka_unit_test(test_error_lines),
        cmocka_unit_test(test_key_length),  cmocka_unit_test(test_pipeline),
        cmocka_unit_test(test_line_limits), cmocka_unit_test(test_cmd_names),
        cmocka_unit_test(test_nul_bytes),   cmocka_unit_test(test_request_fields),
        cmocka_unit_test(test_compose),     cmocka_unit_test(test_fuzz_seeds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

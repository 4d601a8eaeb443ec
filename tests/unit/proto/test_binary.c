/*
 * test_binary.c: the binary protocol parser and composer (src/proto/binary.c).
 *
 * Table-driven: a packet for every opcode with every field checked, each fed
 * cut at every byte (every prefix short of header + extras + key must be
 * PARSE_AGAIN, from an exact-size heap copy so ASan sees any over-read);
 * malformed packets with the verdict memcached 1.6.18 was observed to give
 * (see the table atop binary.c); pipelining; compose of every reply against
 * bytes captured from memcached 1.6.18 (opaque 0x11223344; the cas fields
 * carry the values that server had assigned); quiet suppression; too-small
 * caps; and every fuzz seed run through the fuzz target's own checks.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/binary.h"
#include "proto/request.h"

/* The fuzz target, with its checks reported through cmocka. */
#define FUZZ_CHECK(cond) assert_true(cond)
#include "fuzz_binary.c"
#include "seed_replay.h"

/* ---- packet building ----------------------------------------------------- */

#define OPAQUE 0x11223344u

struct pkt_spec {
    uint8_t op;
    const char *key;
    size_t nkey; /* 0: strlen(key) */
    const char *ext;
    uint8_t next;
    const char *val;
    size_t nval;
    uint64_t cas;
    /* overrides for malformed packets (-1: computed) */
    int magic;
    long keylen;
    long bodylen;
};

/* Builds the packet into out (cap >= 24 + ext + key + value); returns its length. */
static size_t build(const struct pkt_spec *s, uint8_t *out)
{
    size_t nkey = s->key == NULL ? 0 : s->nkey > 0 ? s->nkey : strlen(s->key);
    size_t nval = s->val == NULL ? 0 : s->nval > 0 ? s->nval : strlen(s->val);
    uint32_t body = (uint32_t)(s->next + nkey + nval);
    uint16_t keylen = (uint16_t)nkey;

    if (s->keylen >= 0 && s->keylen != 0) {
        keylen = (uint16_t)s->keylen;
    }
    if (s->bodylen >= 0 && s->bodylen != 0) {
        body = (uint32_t)s->bodylen;
    }
    memset(out, 0, 24);
    out[0] = s->magic > 0 ? (uint8_t)s->magic : 0x80;
    out[1] = s->op;
    out[2] = (uint8_t)(keylen >> 8);
    out[3] = (uint8_t)keylen;
    out[4] = s->next;
    for (int i = 0; i < 4; i++) {
        out[8 + i] = (uint8_t)(body >> (24 - 8 * i));
        out[12 + i] = (uint8_t)(OPAQUE >> (24 - 8 * i));
    }
    for (int i = 0; i < 8; i++) {
        out[16 + i] = (uint8_t)(s->cas >> (56 - 8 * i));
    }
    size_t o = 24;
    if (s->next > 0) {
        memcpy(out + o, s->ext, s->next);
        o += s->next;
    }
    if (nkey > 0) {
        memcpy(out + o, s->key, nkey);
        o += nkey;
    }
    if (nval > 0) {
        memcpy(out + o, s->val, nval);
        o += nval;
    }
    return o;
}

/* Parse from an exact-size heap copy, so reading past len is an ASan error. */
static enum parse_status parse_copy(struct request *req, const uint8_t *s, size_t len,
                                    size_t *consumed)
{
    char *copy = malloc(len > 0 ? len : 1);
    assert_non_null(copy);
    memcpy(copy, s, len);
    enum parse_status st = binary_parse(req, copy, len, consumed);
    /* pointers into the copy are only compared by offset below */
    req->key = req->key != NULL ? (const char *)s + (req->key - copy) : NULL;
    req->keys = req->keys != NULL ? (const char *)s + (req->keys - copy) : NULL;
    req->arg = req->arg != NULL ? (const char *)s + (req->arg - copy) : NULL;
    free(copy);
    return st;
}

/* ---- valid packets ------------------------------------------------------- */

#define SETX(f, e) "\x00\x00" f "\x00\x00" e /* flags (2 bytes), exptime (2 bytes) */
#define EXP4(e) "\x00\x00" e
#define DELTAX "\x00\x00\x00\x00\x00\x00\x00\x05" "\x00\x00\x00\x00\x00\x00\x00\x0a"

struct valid_case {
    struct pkt_spec p;
    enum request_cmd cmd;
    bool quiet;
    bool retkey;
    uint32_t flags;
    int64_t exptime;
    bool has_exptime;
    uint32_t vlen;
    uint64_t delta;
    uint64_t initial;
    bool has_initial;
    bool has_delay;
    const char *arg;
};

static const struct valid_case valid_cases[] = {
    { .p = { .op = 0x00, .key = "foo" }, .cmd = REQ_GET },
    { .p = { .op = 0x09, .key = "foo" }, .cmd = REQ_GET, .quiet = true },
    { .p = { .op = 0x0c, .key = "foo" }, .cmd = REQ_GET, .retkey = true },
    { .p = { .op = 0x0d, .key = "foo" }, .cmd = REQ_GET, .quiet = true, .retkey = true },
    { .p = { .op = 0x00, .key = "a b\r\n\0c", .nkey = 7 }, .cmd = REQ_GET },
    { .p = { .op = 0x01, .key = "k", .ext = SETX("\xca\xfe", "\x00\x64"), .next = 8, .val = "bar" },
      .cmd = REQ_SET, .flags = 0xcafe, .exptime = 100, .has_exptime = true, .vlen = 3 },
    { .p = { .op = 0x01, .key = "k", .ext = "\xff\xff\xff\xff\xff\xff\xff\xff", .next = 8 },
      .cmd = REQ_SET, .flags = 0xffffffffu, .exptime = 0xffffffffu, .has_exptime = true },
    { .p = { .op = 0x11, .key = "k", .ext = SETX("\x00\x01", "\x00\x00"), .next = 8, .val = "v" },
      .cmd = REQ_SET, .quiet = true, .flags = 1, .has_exptime = true, .vlen = 1 },
    { .p = { .op = 0x01, .key = "k", .ext = SETX("\x00\x00", "\x00\x00"), .next = 8, .val = "v", .cas = 7 },
      .cmd = REQ_SET, .has_exptime = true, .vlen = 1 },
    { .p = { .op = 0x02, .key = "k", .ext = SETX("\x00\x00", "\x00\x00"), .next = 8, .val = "v" },
      .cmd = REQ_ADD, .has_exptime = true, .vlen = 1 },
    { .p = { .op = 0x12, .key = "k", .ext = SETX("\x00\x00", "\x00\x00"), .next = 8, .val = "v", .cas = 1 },
      .cmd = REQ_ADD, .quiet = true, .has_exptime = true, .vlen = 1 },
    { .p = { .op = 0x03, .key = "k", .ext = SETX("\x00\x00", "\x00\x00"), .next = 8, .val = "vv" },
      .cmd = REQ_REPLACE, .has_exptime = true, .vlen = 2 },
    { .p = { .op = 0x13, .key = "k", .ext = SETX("\x00\x00", "\x00\x00"), .next = 8 },
      .cmd = REQ_REPLACE, .quiet = true, .has_exptime = true },
    { .p = { .op = 0x0e, .key = "k", .val = "abc" }, .cmd = REQ_APPEND, .vlen = 3 },
    { .p = { .op = 0x0e, .key = "k" }, .cmd = REQ_APPEND },
    { .p = { .op = 0x19, .key = "k", .val = "abc", .cas = 9 }, .cmd = REQ_APPEND, .quiet = true, .vlen = 3 },
    { .p = { .op = 0x0f, .key = "k", .val = "abc" }, .cmd = REQ_PREPEND, .vlen = 3 },
    { .p = { .op = 0x1a, .key = "k", .val = "abc" }, .cmd = REQ_PREPEND, .quiet = true, .vlen = 3 },
    { .p = { .op = 0x04, .key = "k" }, .cmd = REQ_DELETE },
    { .p = { .op = 0x14, .key = "k", .cas = 3 }, .cmd = REQ_DELETE, .quiet = true },
    { .p = { .op = 0x05, .key = "n", .ext = DELTAX "\x00\x00\x00\x00", .next = 20 },
      .cmd = REQ_INCR, .delta = 5, .initial = 10, .has_initial = true, .has_exptime = true },
    { .p = { .op = 0x05, .key = "n", .ext = DELTAX "\xff\xff\xff\xff", .next = 20 },
      .cmd = REQ_INCR, .delta = 5, .initial = 10, .exptime = 0xffffffffu },
    { .p = { .op = 0x06, .key = "n", .ext = DELTAX "\x00\x00\x01\x00", .next = 20 },
      .cmd = REQ_DECR, .delta = 5, .initial = 10, .exptime = 256, .has_initial = true, .has_exptime = true },
    { .p = { .op = 0x15, .key = "n", .ext = "\xff\xff\xff\xff\xff\xff\xff\xff" "\x00\x00\x00\x00\x00\x00\x00\x00" "\xff\xff\xff\xfe", .next = 20 },
      .cmd = REQ_INCR, .quiet = true, .delta = UINT64_MAX, .exptime = 0xfffffffeu, .has_initial = true, .has_exptime = true },
    { .p = { .op = 0x16, .key = "n", .ext = DELTAX "\xff\xff\xff\xff", .next = 20 },
      .cmd = REQ_DECR, .quiet = true, .delta = 5, .initial = 10, .exptime = 0xffffffffu },
    { .p = { .op = 0x07 }, .cmd = REQ_QUIT },
    { .p = { .op = 0x17 }, .cmd = REQ_QUIT, .quiet = true },
    { .p = { .op = 0x08 }, .cmd = REQ_FLUSH_ALL },
    { .p = { .op = 0x08, .ext = EXP4("\x00\x0a"), .next = 4 }, .cmd = REQ_FLUSH_ALL, .exptime = 10,
      .delta = 10, .has_delay = true },
    { .p = { .op = 0x18 }, .cmd = REQ_FLUSH_ALL, .quiet = true },
    { .p = { .op = 0x18, .ext = EXP4("\x00\x00"), .next = 4 }, .cmd = REQ_FLUSH_ALL, .quiet = true,
      .has_delay = true },
    { .p = { .op = 0x0a }, .cmd = REQ_NOOP },
    { .p = { .op = 0x0b }, .cmd = REQ_VERSION },
    { .p = { .op = 0x10 }, .cmd = REQ_STATS },
    { .p = { .op = 0x10, .key = "items" }, .cmd = REQ_STATS, .arg = "items" },
    { .p = { .op = 0x10, .key = "detail dump" }, .cmd = REQ_STATS, .arg = "detail dump" },
    { .p = { .op = 0x1c, .key = "k", .ext = EXP4("\x00\x64"), .next = 4 }, .cmd = REQ_TOUCH,
      .exptime = 100, .has_exptime = true },
    { .p = { .op = 0x1d, .key = "k", .ext = EXP4("\x00\x64"), .next = 4 }, .cmd = REQ_GAT,
      .exptime = 100, .has_exptime = true },
    { .p = { .op = 0x1e, .key = "k", .ext = EXP4("\x00\x00"), .next = 4 }, .cmd = REQ_GAT,
      .quiet = true, .has_exptime = true },
    { .p = { .op = 0x23, .key = "k", .ext = EXP4("\x00\x01"), .next = 4 }, .cmd = REQ_GAT,
      .retkey = true, .exptime = 1, .has_exptime = true },
    { .p = { .op = 0x24, .key = "k", .ext = EXP4("\x00\x01"), .next = 4 }, .cmd = REQ_GAT,
      .quiet = true, .retkey = true, .exptime = 1, .has_exptime = true },
    { .p = { .op = 0x20 }, .cmd = REQ_SASL_LIST },
    { .p = { .op = 0x21, .key = "PLAIN", .val = "\0u\0p", .nval = 4 }, .cmd = REQ_SASL_AUTH, .vlen = 4 },
    { .p = { .op = 0x22, .key = "PLAIN", .val = "xyz" }, .cmd = REQ_SASL_STEP, .vlen = 3 },
    /* memcached 1.6 has no binary verbosity (protocol-binary.txt lists it):
     * an unknown opcode whatever its shape, answered "Unknown command" */
    { .p = { .op = 0x1b, .ext = EXP4("\x00\x01"), .next = 4 }, .cmd = REQ_UNKNOWN_OPCODE },
    { .p = { .op = 0x1b }, .cmd = REQ_UNKNOWN_OPCODE },
    { .p = { .op = 0x1b, .val = "vv" }, .cmd = REQ_UNKNOWN_OPCODE, .vlen = 2 },
    { .p = { .op = 0x50, .key = "k", .val = "vv" }, .cmd = REQ_UNKNOWN_OPCODE, .vlen = 2 },
    { .p = { .op = 0xff }, .cmd = REQ_UNKNOWN_OPCODE },
    { .p = { .op = 0x00, .key = "0123456789012345678901234567890123456789012345678901234567890123456789"
                                "0123456789012345678901234567890123456789012345678901234567890123456789"
                                "0123456789012345678901234567890123456789012345678901234567890123456789"
                                "0123456789012345678901234567890123456789" }, .cmd = REQ_GET },
};

static void check_valid(const struct valid_case *vc, const struct request *req, const uint8_t *pk)
{
    size_t nkey = vc->p.key == NULL ? 0 : vc->p.nkey > 0 ? vc->p.nkey : strlen(vc->p.key);

    assert_int_equal(req->error, REQ_EOK);
    assert_int_equal(req->proto, REQ_PROTO_BINARY);
    assert_int_equal(req->cmd, vc->cmd);
    assert_int_equal(req->opcode, vc->p.op);
    assert_int_equal(req->opaque32, OPAQUE);
    assert_int_equal(req->cas, vc->p.cas);
    assert_int_equal(req->quiet, vc->quiet);
    assert_int_equal(req->noreply, false);
    assert_int_equal((req->mflags & REQ_MFLAG('k')) != 0, vc->retkey);
    assert_int_equal(req->flags, vc->flags);
    assert_int_equal(req->exptime, vc->exptime);
    assert_int_equal(req->has_exptime, vc->has_exptime);
    assert_int_equal(req->vlen, vc->vlen);
    assert_int_equal(req->delta, vc->delta);
    assert_int_equal(req->initial, vc->initial);
    assert_int_equal(req->has_initial, vc->has_initial);
    assert_int_equal(req->has_delay, vc->has_delay);
    if (vc->arg != NULL) {
        assert_int_equal(req->narg, strlen(vc->arg));
        assert_memory_equal(req->arg, vc->arg, req->narg);
        assert_int_equal(req->nkey, 0);
    } else if (vc->cmd != REQ_UNKNOWN_OPCODE) {
        assert_int_equal(req->narg, 0);
        assert_int_equal(req->nkey, nkey);
        assert_int_equal(req->nkeys, nkey > 0 ? 1 : 0);
        if (nkey > 0) {
            assert_ptr_equal(req->key, (const char *)pk + 24 + vc->p.next);
            assert_memory_equal(req->key, vc->p.key, nkey);
        }
    }
}

static void test_valid_packets(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++) {
        const struct valid_case *vc = &valid_cases[i];
        uint8_t pk[512];
        size_t len = build(&vc->p, pk);
        size_t head = len - vc->vlen;
        struct request req;
        size_t consumed;

        print_message("valid[%zu]: opcode 0x%02x\n", i, vc->p.op);
        for (size_t cut = 0; cut < head; cut++) {
            consumed = 99;
            assert_int_equal(parse_copy(&req, pk, cut, &consumed), PARSE_AGAIN);
            assert_int_equal(consumed, 0);
        }
        /* with and without the value: it is never needed, never consumed */
        for (size_t cut = head; cut <= len; cut++) {
            assert_int_equal(parse_copy(&req, pk, cut, &consumed), PARSE_OK);
            assert_int_equal(consumed, head);
            check_valid(vc, &req, pk);
        }
    }
}

/* ---- malformed packets --------------------------------------------------- */

struct bad_case {
    const char *what;
    struct pkt_spec p;
    enum request_error err;
    enum request_cmd cmd;
};

static const char key251[] =
    "0123456789012345678901234567890123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789012345678901234567890123456789"
    "01234567890123456789012345678901234567890";

static const struct bad_case bad_cases[] = {
    /* all observed on 1.6.18: close without reply / 0x81 + close / 0x04 + close */
    { "magic 0x81", { .op = 0x00, .key = "k", .magic = 0x81 }, REQ_EBAD_MAGIC, REQ_GET },
    { "magic 0x7f", { .op = 0x0a, .magic = 0x7f }, REQ_EBAD_MAGIC, REQ_NOOP },
    { "body < key", { .op = 0x00, .key = "kk", .bodylen = 1 }, REQ_EUNKNOWN, REQ_GET },
    { "body < key + ext", { .op = 0x01, .key = "k", .ext = "12345678", .next = 8, .bodylen = 5 },
      REQ_EUNKNOWN, REQ_SET },
    { "unknown op, body short", { .op = 0x50, .key = "aa", .bodylen = 1 }, REQ_EUNKNOWN, REQ_UNKNOWN_OPCODE },
    { "key 65535, body short", { .op = 0x00, .keylen = 65535 }, REQ_EUNKNOWN, REQ_GET },
    { "get key 251", { .op = 0x00, .key = key251 }, REQ_EKEY_TOO_LONG, REQ_GET },
    { "set key 251", { .op = 0x01, .key = key251, .ext = "12345678", .next = 8, .val = "v" },
      REQ_EKEY_TOO_LONG, REQ_SET },
    { "unknown op key 251", { .op = 0x50, .key = key251 }, REQ_EKEY_TOO_LONG, REQ_UNKNOWN_OPCODE },
    /* memcached 1.6.45: a body over 1 GiB is refused from the header, before
     * the key's length is looked at (1.6.18 waited for the body) */
    { "set body 1 GiB + 1", { .op = 0x01, .key = "k", .ext = "12345678", .next = 8,
                              .bodylen = 1024L * 1024 * 1024 + 1 }, REQ_EFORMAT, REQ_SET },
    { "set body 2 GiB", { .op = 0x01, .key = "k", .ext = "12345678", .next = 8,
                          .bodylen = 0x7fffffff }, REQ_EFORMAT, REQ_SET },
    { "unknown op body 1 GiB + 1", { .op = 0x50, .bodylen = 1024L * 1024 * 1024 + 1 },
      REQ_EFORMAT, REQ_UNKNOWN_OPCODE },
    { "get key 251 body 4 GiB", { .op = 0x00, .key = key251, .bodylen = 0xffffffffL },
      REQ_EFORMAT, REQ_GET },
    { "get with extras", { .op = 0x00, .key = "k", .ext = "xxxx", .next = 4 }, REQ_EFORMAT, REQ_GET },
    { "get no key", { .op = 0x00 }, REQ_EFORMAT, REQ_GET },
    { "getkq no key", { .op = 0x0d }, REQ_EFORMAT, REQ_GET },
    { "get body > key", { .op = 0x00, .key = "kk", .val = "zz" }, REQ_EFORMAT, REQ_GET },
    { "set extlen 0", { .op = 0x01, .key = "k", .val = "v" }, REQ_EFORMAT, REQ_SET },
    { "set extlen 4", { .op = 0x01, .key = "k", .ext = "1234", .next = 4, .val = "v" }, REQ_EFORMAT, REQ_SET },
    { "set no key", { .op = 0x01, .ext = "12345678", .next = 8, .val = "v" }, REQ_EFORMAT, REQ_SET },
    { "addq no key", { .op = 0x12, .ext = "12345678", .next = 8 }, REQ_EFORMAT, REQ_ADD },
    { "version with body", { .op = 0x0b, .val = "x" }, REQ_EFORMAT, REQ_VERSION },
    { "noop with key", { .op = 0x0a, .key = "k" }, REQ_EFORMAT, REQ_NOOP },
    { "quit with ext", { .op = 0x07, .ext = "1234", .next = 4 }, REQ_EFORMAT, REQ_QUIT },
    { "quitq with value", { .op = 0x17, .val = "v" }, REQ_EFORMAT, REQ_QUIT },
    { "flush ext 8", { .op = 0x08, .ext = "12345678", .next = 8 }, REQ_EFORMAT, REQ_FLUSH_ALL },
    { "flush with key", { .op = 0x08, .key = "k" }, REQ_EFORMAT, REQ_FLUSH_ALL },
    { "flushq ext 4 + value", { .op = 0x18, .ext = "1234", .next = 4, .val = "v" }, REQ_EFORMAT, REQ_FLUSH_ALL },
    { "delete with ext", { .op = 0x04, .key = "k", .ext = "1234", .next = 4 }, REQ_EFORMAT, REQ_DELETE },
    { "delete with value", { .op = 0x04, .key = "k", .val = "v" }, REQ_EFORMAT, REQ_DELETE },
    { "deleteq no key", { .op = 0x14 }, REQ_EFORMAT, REQ_DELETE },
    { "incr ext 0", { .op = 0x05, .key = "k" }, REQ_EFORMAT, REQ_INCR },
    { "incr ext 20 + value", { .op = 0x05, .key = "k", .ext = DELTAX "1234", .next = 20, .val = "v" },
      REQ_EFORMAT, REQ_INCR },
    { "decrq no key", { .op = 0x16, .ext = DELTAX "1234", .next = 20 }, REQ_EFORMAT, REQ_DECR },
    { "append with ext", { .op = 0x0e, .key = "k", .ext = "1234", .next = 4, .val = "v" }, REQ_EFORMAT, REQ_APPEND },
    { "prepend no key", { .op = 0x0f, .val = "v" }, REQ_EFORMAT, REQ_PREPEND },
    { "stat with ext", { .op = 0x10, .ext = "1234", .next = 4 }, REQ_EFORMAT, REQ_STATS },
    { "touch ext 0", { .op = 0x1c, .key = "k" }, REQ_EFORMAT, REQ_TOUCH },
    { "touch no key", { .op = 0x1c, .ext = "1234", .next = 4 }, REQ_EFORMAT, REQ_TOUCH },
    { "gatkq ext 8", { .op = 0x24, .key = "k", .ext = "12345678", .next = 8 }, REQ_EFORMAT, REQ_GAT },
    { "sasl list with key", { .op = 0x20, .key = "k" }, REQ_EFORMAT, REQ_SASL_LIST },
    { "sasl auth no key", { .op = 0x21, .val = "v" }, REQ_EFORMAT, REQ_SASL_AUTH },
    { "sasl step with ext", { .op = 0x22, .key = "k", .ext = "1234", .next = 4 }, REQ_EFORMAT, REQ_SASL_STEP },
};

static void test_bad_packets(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const struct bad_case *bc = &bad_cases[i];
        uint8_t pk[600];
        size_t len = build(&bc->p, pk);
        struct request req;
        size_t consumed;

        print_message("bad: %s\n", bc->what);
        for (size_t cut = 0; cut < 24; cut++) {
            assert_int_equal(parse_copy(&req, pk, cut, &consumed), PARSE_AGAIN);
        }
        /* the header alone decides: no waiting for the key it announces */
        for (size_t cut = 24; cut <= len; cut++) {
            consumed = 0;
            assert_int_equal(parse_copy(&req, pk, cut, &consumed), PARSE_ERROR);
            assert_int_equal(consumed, 24);
            assert_int_equal(req.error, bc->err);
            assert_int_equal(req.cmd, bc->cmd);
            assert_int_equal(req.opcode, bc->p.op);
            assert_int_equal(req.opaque32, OPAQUE);
        }
    }
}

/* A body of exactly 1 GiB is memcached's largest: the header, extras and
 * key parse, and the value that would follow is left to the caller. */
static void test_body_limit(void **state)
{
    (void)state;
    const struct pkt_spec spec = { .op = 0x01, .key = "k", .ext = "12345678", .next = 8,
                                   .bodylen = 1024L * 1024 * 1024 };
    uint8_t pk[64];
    size_t len = build(&spec, pk);
    struct request req;
    size_t consumed = 0;

    assert_int_equal(len, 24 + 8 + 1);
    assert_int_equal(parse_copy(&req, pk, len, &consumed), PARSE_OK);
    assert_int_equal(consumed, len);
    assert_int_equal(req.cmd, REQ_SET);
    assert_int_equal(req.vlen, 1024u * 1024 * 1024 - 9);
}

/* memcached leaves surplus body bytes of stat/touch/gat in the stream. */
static void test_surplus_body(void **state)
{
    (void)state;
    uint8_t pk[128];
    struct pkt_spec p = { .op = 0x1c, .key = "k", .ext = EXP4("\x00\x01"), .next = 4, .val = "vv" };
    size_t len = build(&p, pk);
    struct request req;
    size_t consumed;

    assert_int_equal(binary_parse(&req, (const char *)pk, len, &consumed), PARSE_OK);
    assert_int_equal(consumed, 24 + 4 + 1);
    assert_int_equal(req.vlen, 0);
    p = (struct pkt_spec){ .op = 0x10, .key = "items", .val = "zz" };
    len = build(&p, pk);
    assert_int_equal(binary_parse(&req, (const char *)pk, len, &consumed), PARSE_OK);
    assert_int_equal(consumed, 24 + 5);
    assert_int_equal(req.narg, 5);
    assert_int_equal(req.vlen, 0);
}

/* What a binary request asks of exec, in the protocol-neutral fields: one
 * key answered alone, quit answered, any parse error closing, and a
 * non-zero cas turning set, add and replace (not append) into cas. */
static void test_request_fields(void **state)
{
    (void)state;
    static const struct {
        struct pkt_spec p;
        enum parse_status ps;
        uint8_t cas_rule;
    } cases[] = {
        { { .op = 0x00, .key = "k" }, PARSE_OK, REQ_CAS_NEVER },
        { { .op = 0x07 }, PARSE_OK, REQ_CAS_NEVER },
        { { .op = 0x01, .key = "k", .ext = "12345678", .next = 8, .val = "v" }, PARSE_OK,
          REQ_CAS_NEVER },
        { { .op = 0x01, .key = "k", .ext = "12345678", .next = 8, .val = "v", .cas = 7 },
          PARSE_OK, REQ_CAS_SET_ADD_REPLACE },
        { { .op = 0x12, .key = "k", .ext = "12345678", .next = 8, .val = "v", .cas = 7 },
          PARSE_OK, REQ_CAS_SET_ADD_REPLACE },
        { { .op = 0x03, .key = "k", .ext = "12345678", .next = 8, .val = "v", .cas = 7 },
          PARSE_OK, REQ_CAS_SET_ADD_REPLACE },
        { { .op = 0x0e, .key = "k", .val = "v", .cas = 7 }, PARSE_OK, REQ_CAS_NEVER },
        { { .op = 0x00, .key = "k", .magic = 0x81 }, PARSE_ERROR, REQ_CAS_NEVER },
        { { .op = 0x00, .key = "k", .ext = "1234", .next = 4 }, PARSE_ERROR, REQ_CAS_NEVER },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t pk[64];
        size_t len = build(&cases[i].p, pk);
        struct request req;
        size_t consumed;
        assert_int_equal(binary_parse(&req, (const char *)pk, len, &consumed), cases[i].ps);
        assert_int_equal(req.proto, REQ_PROTO_BINARY);
        assert_true(req.single_key);
        assert_true(req.answer_quit);
        assert_true(req.close_on_error);
        assert_false(req.omit_value);
        assert_false(req.skip_prefix_stats);
        assert_int_equal(req.cas_rule, cases[i].cas_rule);
    }
}

/* ---- pipelining ---------------------------------------------------------- */

static void test_pipeline(void **state)
{
    (void)state;
    static const struct pkt_spec seq[] = {
        { .op = 0x11, .key = "a", .ext = SETX("\x00\x01", "\x00\x00"), .next = 8, .val = "one" },
        { .op = 0x0d, .key = "a" },
        { .op = 0x50, .key = "x", .val = "junk" },
        { .op = 0x19, .key = "a", .val = "!!" },
        { .op = 0x15, .key = "n", .ext = DELTAX "\x00\x00\x00\x00", .next = 20 },
        { .op = 0x10, .key = "slabs" },
        { .op = 0x0a },
    };
    static const enum request_cmd want[] = { REQ_SET, REQ_GET, REQ_UNKNOWN_OPCODE, REQ_APPEND,
                                             REQ_INCR, REQ_STATS, REQ_NOOP };
    uint8_t stream[1024];
    size_t len = 0;

    for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
        len += build(&seq[i], stream + len);
    }
    /* fed whole, then in every split of two reads */
    for (size_t split = 0; split <= len; split++) {
        size_t off = 0, avail = split, n = 0;
        while (n < sizeof(want) / sizeof(want[0])) {
            struct request req;
            size_t consumed;
            enum parse_status st = parse_copy(&req, stream + off, avail - off, &consumed);
            if (st == PARSE_AGAIN) {
                assert_true(avail < len);
                avail = len;
                continue;
            }
            assert_int_equal(st, PARSE_OK);
            assert_int_equal(req.cmd, want[n]);
            off += consumed;
            if (off + req.vlen > avail) {
                avail = len; /* the value arrives with the second read */
            }
            off += req.vlen;
            n++;
        }
        assert_int_equal(off, len);
    }
}

/* ---- compose ------------------------------------------------------------- */

struct compose_case {
    const char *what;
    uint8_t op;
    const char *key; /* request key */
    struct response rsp;
    const char *want; /* bytes memcached 1.6.18 sent (value bytes of a hit cut off) */
    size_t nwant;
};

#define W(s) s, sizeof(s) - 1
#define HDR_OP "\x11\x22\x33\x44"

static const struct compose_case compose_cases[] = {
    { "set ok", 0x01, "foo", { .kind = RSP_STORED, .cas = 0x19 },
      W("\x81\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" HDR_OP "\x00\x00\x00\x00\x00\x00\x00\x19") },
    { "get hit", 0x00, "foo", { .kind = RSP_VALUE, .key = "foo", .nkey = 3, .flags = 0xcafe, .vlen = 3, .cas = 0x19 },
      W("\x81\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x07" HDR_OP "\x00\x00\x00\x00\x00\x00\x00\x19\x00\x00\xca\xfe") },
    { "getk hit", 0x0c, "foo", { .kind = RSP_VALUE, .key = "foo", .nkey = 3, .flags = 0xcafe, .vlen = 3, .cas = 0x19 },
      W("\x81\x0c\x00\x03\x04\x00\x00\x00\x00\x00\x00\x0a" HDR_OP "\x00\x00\x00\x00\x00\x00\x00\x19\x00\x00\xca\xfe" "foo") },
    { "getkq hit", 0x0d, "foo", { .kind = RSP_VALUE, .key = "foo", .nkey = 3, .flags = 0xcafe, .vlen = 3, .cas = 0x19 },
      W("\x81\x0d\x00\x03\x04\x00\x00\x00\x00\x00\x00\x0a" HDR_OP "\x00\x00\x00\x00\x00\x00\x00\x19\x00\x00\xca\xfe" "foo") },
    { "get miss", 0x00, "nokey", { .kind = RSP_MISS },
      W("\x81\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x09" HDR_OP "\x00\x00\x00\x00\x00\x00\x00\x00" "Not found") },
    { "getk miss (key from the request)", 0x0c, "nokey", { .kind = RSP_MISS },
      W("\x81\x0c\x00\x05\x00\x00\x00\x01\x00\x00\x00\x05" HDR_OP "\x00\x00\x00\x00\x00\x00\x00\x00" "nokey") },
    { "gatk miss as NOT_FOUND", 0x23, "nokey", { .kind = RSP_NOT_FOUND },
      W("\x81\x23\x00\x05\x00\x00\x00\x01\x00\x00\x00\x05" HDR_OP "\x00\x00\x00\x00\x00\x00\x00\x00" "nokey") },
    { "add exists", 0x02, "foo", { .kind = RSP_NOT_STORED },
      W("\x81\x02\x00\x00\x00\x00\x00\x02\x00\x00\x00\x14" HDR_OP "\x00\x00\x00\x00\x00\x00\x00\x00" "Data exists for key.") },
    { "addq exists", 0x12, "foo", { .kind = RSP_NOT_STORED },
      W("\x81\x12\x00\x00\x00\x00\x00\x02\x00\x00\x00\x14" HDR_OP "\x00\x00\x00\x00\x00\x00\x00\x00" "Data exists for key.") },
    { "replace miss", 0x03, "nokey", { .kind = RSP_NOT_STORED },
      W("\x81\x03\x00\x00\x00\x00\x00\x01\x00\x00\x00\x09" HDR_OP "\x00\x00\x00\x00\x00\x00\x00\x00" "Not found") },
    { "append not stored", 0x0e, "nokey", { .kind = RSP_NOT_STORED },
      W("\x81\x0e\x00\x00\x00\x00\x00\x05\x00\x00\x00\x0b" HDR_OP "\x00\x00\x00\x00\x00\x00\x00\x00" "Not stored.") },
    { "set bad cas", 0x01, "foo", { .kind = RSP_EXISTS, .cas = 5 },
      W("\x81\x01\x00\x00\x00\x00\x00\x02\x00\x00\x00\x14" HDR_OP "\x00\x00\x00\x00\x00\x00\x00\x00" "Data exists for key.") },
    { "delete miss", 0x04, "nokey", { .kind = RSP_NOT_FOUND },
      W("\x81\x04\x00\x00\x00\x00\x00\x01\x00\x00\x00\x09" HDR_OP "\x00\x00\x00\x00\x00\x00\x00\x00" "Not found") },
    { "deleteq miss", 0x14, "nokey", { .kind = RSP_NOT_FOUND },
      W("\x81\x14\x00\x00\x00\x00\x00\x01\x00\x00\x00\x09" HDR_OP "\x00\x00\x00\x00\x00\x00\x00\x00" "Not found") },
    { "delete hit", 0x04, "foo", { .kind = RSP_DELETED },
      W("\x81\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" HDR_OP "\x00\x00\x00\x00\x00\x00\x00\x00") },
    { "incr init 10", 0x05, "ctr", { .kind = RSP_NUMBER, .number = 10, .cas = 0x1a },
      W("\x81\x05\x00\x00\x00\x00\x00\x00\x00\x00\x00\x08" HDR_OP "\x00\x00\x00\x00\x00\x00\x00\x1a"
        "\x00\x00\x00\x00\x00\x00\x00\x0a") },
    { "incr non-numeric", 0x05, "nn", { .kind = RSP_CLIENT_ERROR, .error = RSP_ENON_NUMERIC },
      W("\x81\x05\x00\x00\x00\x00\x00\x06\x00\x00\x00\x2e" HDR_OP "\x00\x00\x00\x00\x00\x00\x00\x00"
        "Non-numeric server-side value for incr or decr") },
    { "incr miss, exptime 0xffffffff", 0x05, "n", { .kind = RSP_NOT_FOUND },
      W("\x81\x05\x00\x00\x00\x00\x00\x01\x00\x00\x00\x09" HDR_OP "\x00\x00\x00\x00\x00\x00\x00\x00" "Not found") },
    { "touch hit", 0x1c, "nn", { .kind = RSP_TOUCHED, .flags = 0, .cas = 0x1b },
      W("\x81\x1c\x00\x00\x04\x00\x00\x00\x00\x00\x00\x04" HDR_OP "\x00\x00\x00\x00\x00\x00\x00\x1b\x00\x00\x00\x00") },
    { "touch miss", 0x1c, "nokey", { .kind = RSP_NOT_FOUND },
      W("\x81\x1c\x00\x00\x00\x00\x00\x01\x00\x00\x00\x09" HDR_OP "\x00\x00\x00\x00\x00\x00\x00\x00" "Not found") },
    { "noop", 0x0a, NULL, { .kind = RSP_NOOP },
      W("\x81\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" HDR_OP "\x00\x00\x00\x00\x00\x00\x00\x00") },
    { "version", 0x0b, NULL, { .kind = RSP_VERSION, .msg = "1.6.18", .nmsg = 6 },
      W("\x81\x0b\x00\x00\x00\x00\x00\x00\x00\x00\x00\x06" HDR_OP "\x00\x00\x00\x00\x00\x00\x00\x00" "1.6.18") },
    { "flush", 0x08, NULL, { .kind = RSP_OK },
      W("\x81\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" HDR_OP "\x00\x00\x00\x00\x00\x00\x00\x00") },
    { "quit", 0x07, NULL, { .kind = RSP_OK },
      W("\x81\x07\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" HDR_OP "\x00\x00\x00\x00\x00\x00\x00\x00") },
    { "flush disabled (-F)", 0x08, NULL, { .kind = RSP_CLIENT_ERROR, .error = RSP_EDISABLED },
      W("\x81\x08\x00\x00\x00\x00\x00\x20\x00\x00\x00\x0d" HDR_OP "\x00\x00\x00\x00\x00\x00\x00\x00" "Auth failure.") },
    { "stat settings pair", 0x10, "settings", { .kind = RSP_STAT, .msg = "maxbytes", .nmsg = 8, .msg2 = "67108864", .nmsg2 = 8 },
      W("\x81\x10\x00\x08\x00\x00\x00\x00\x00\x00\x00\x10" HDR_OP "\x00\x00\x00\x00\x00\x00\x00\x00" "maxbytes67108864") },
    { "stat end", 0x10, NULL, { .kind = RSP_END },
      W("\x81\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" HDR_OP "\x00\x00\x00\x00\x00\x00\x00\x00") },
    { "stat reset", 0x10, "reset", { .kind = RSP_RESET },
      W("\x81\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" HDR_OP "\x00\x00\x00\x00\x00\x00\x00\x00") },
    { "stat bogus", 0x10, "bogus", { .kind = RSP_ERROR, .error = RSP_EUNKNOWN },
      W("\x81\x10\x00\x00\x00\x00\x00\x01\x00\x00\x00\x09" HDR_OP "\x00\x00\x00\x00\x00\x00\x00\x00" "Not found") },
    { "unknown opcode", 0x50, NULL, { .kind = RSP_ERROR, .error = RSP_EUNKNOWN },
      W("\x81\x50\x00\x00\x00\x00\x00\x81\x00\x00\x00\x0f" HDR_OP "\x00\x00\x00\x00\x00\x00\x00\x00" "Unknown command") },
    { "sasl list, SASL off", 0x20, NULL, { .kind = RSP_ERROR },
      W("\x81\x20\x00\x00\x00\x00\x00\x81\x00\x00\x00\x0f" HDR_OP "\x00\x00\x00\x00\x00\x00\x00\x00" "Unknown command") },
    { "set too large", 0x01, "big", { .kind = RSP_SERVER_ERROR, .error = RSP_ETOO_LARGE },
      W("\x81\x01\x00\x00\x00\x00\x00\x03\x00\x00\x00\x0a" HDR_OP "\x00\x00\x00\x00\x00\x00\x00\x00" "Too large.") },
    { "get key 251", 0x00, NULL, { .kind = RSP_CLIENT_ERROR, .error = RSP_EFORMAT },
      W("\x81\x00\x00\x00\x00\x00\x00\x04\x00\x00\x00\x11" HDR_OP "\x00\x00\x00\x00\x00\x00\x00\x00" "Invalid arguments") },
    { "body shorter than key", 0x00, NULL, { .kind = RSP_ERROR, .error = RSP_EUNKNOWN },
      W("\x81\x00\x00\x00\x00\x00\x00\x81\x00\x00\x00\x0f" HDR_OP "\x00\x00\x00\x00\x00\x00\x00\x00" "Unknown command") },
    { "set out of memory", 0x01, "newk", { .kind = RSP_SERVER_ERROR, .error = RSP_ENOMEM, .msg = "out of memory storing object", .nmsg = 28 },
      W("\x81\x01\x00\x00\x00\x00\x00\x82\x00\x00\x00\x1d" HDR_OP "\x00\x00\x00\x00\x00\x00\x00\x00" "Out of memory allocating item") },
    /* not observable on 1.6.18 (no such state), chosen here */
    { "sasl not supported", 0x21, "PLAIN", { .kind = RSP_CLIENT_ERROR, .error = RSP_ENOT_SUPPORTED },
      W("\x81\x21\x00\x00\x00\x00\x00\x83\x00\x00\x00\x0d" HDR_OP "\x00\x00\x00\x00\x00\x00\x00\x00" "Not supported") },
    { "server error, message", 0x00, "k", { .kind = RSP_SERVER_ERROR, .msg = "boom", .nmsg = 4 },
      W("\x81\x00\x00\x00\x00\x00\x00\x84\x00\x00\x00\x04" HDR_OP "\x00\x00\x00\x00\x00\x00\x00\x00" "boom") },
    { "incr out of memory", 0x05, "n", { .kind = RSP_SERVER_ERROR, .error = RSP_ENOMEM },
      W("\x81\x05\x00\x00\x00\x00\x00\x82\x00\x00\x00\x20" HDR_OP "\x00\x00\x00\x00\x00\x00\x00\x00" "Out of memory incrementing value") },
};

static void make_req(struct request *req, uint8_t op, const char *key)
{
    *req = (struct request){ .proto = REQ_PROTO_BINARY, .opcode = op, .opaque32 = OPAQUE };
    if (key != NULL) {
        req->key = key;
        req->nkey = strlen(key);
    }
}

static void test_compose(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(compose_cases) / sizeof(compose_cases[0]); i++) {
        const struct compose_case *cc = &compose_cases[i];
        struct request req;
        struct response rsp = cc->rsp;

        print_message("compose: %s\n", cc->what);
        make_req(&req, cc->op, cc->key);
        rsp.req = &req;
        assert_int_equal(binary_compose_bound(&rsp), cc->nwant);
        char *out = malloc(cc->nwant);
        assert_non_null(out);
        assert_int_equal(binary_compose(&rsp, out, cc->nwant), cc->nwant);
        assert_memory_equal(out, cc->want, cc->nwant);
        free(out);
        /* too small: the size needed, and no write past cap */
        for (size_t cap = 0; cap < cc->nwant; cap++) {
            char *small = malloc(cap > 0 ? cap : 1);
            assert_int_equal(binary_compose(&rsp, small, cap), cc->nwant);
            free(small);
        }
    }
}

/* What memcached keeps to itself for quiet opcodes (observed on 1.6.18). */
static void test_quiet(void **state)
{
    (void)state;
    static const struct {
        uint8_t op;
        enum response_kind kind;
        bool silent;
    } q[] = {
        { 0x09, RSP_MISS, true },       { 0x0d, RSP_MISS, true },      { 0x1e, RSP_MISS, true },
        { 0x24, RSP_MISS, true },       { 0x09, RSP_NOT_FOUND, true }, { 0x24, RSP_NOT_FOUND, true },
        { 0x09, RSP_VALUE, false },     { 0x0d, RSP_VALUE, false },    { 0x1e, RSP_VALUE, false },
        { 0x24, RSP_VALUE, false },     { 0x11, RSP_STORED, true },    { 0x12, RSP_STORED, true },
        { 0x13, RSP_STORED, true },     { 0x19, RSP_STORED, true },    { 0x1a, RSP_STORED, true },
        { 0x12, RSP_NOT_STORED, false }, { 0x13, RSP_NOT_STORED, false }, { 0x19, RSP_NOT_STORED, false },
        { 0x11, RSP_EXISTS, false },    { 0x11, RSP_NOT_FOUND, false }, { 0x14, RSP_DELETED, true },
        { 0x14, RSP_NOT_FOUND, false }, { 0x14, RSP_EXISTS, false },   { 0x15, RSP_NUMBER, true },
        { 0x16, RSP_NUMBER, true },     { 0x15, RSP_NOT_FOUND, false }, { 0x17, RSP_OK, true },
        { 0x18, RSP_OK, true },         { 0x00, RSP_END, true },       { 0x0c, RSP_END, true },
        { 0x10, RSP_END, false },       { 0x00, RSP_DEBUG, true },     { 0x0a, RSP_NOOP, false },
        { 0x01, RSP_STORED, false },    { 0x04, RSP_DELETED, false },  { 0x05, RSP_NUMBER, false },
        { 0x08, RSP_OK, false },        { 0x00, RSP_MISS, false },
    };
    char buf[256];

    for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
        struct request req;
        make_req(&req, q[i].op, "k");
        req.quiet = true; /* the composer goes by the opcode, not this bit */
        struct response rsp = { .kind = q[i].kind, .req = &req, .key = "k", .nkey = 1, .vlen = 1 };
        size_t n = binary_compose(&rsp, buf, sizeof(buf));
        print_message("quiet: op 0x%02x kind %d -> %zu\n", q[i].op, q[i].kind, n);
        assert_int_equal(n == 0, q[i].silent);
        assert_int_equal(binary_compose_bound(&rsp), n);
    }
    /* quiet errors are sent: setq too large */
    struct request req;
    make_req(&req, 0x11, "big");
    struct response rsp = { .kind = RSP_SERVER_ERROR, .error = RSP_ETOO_LARGE, .req = &req };
    assert_int_equal(binary_compose(&rsp, buf, sizeof(buf)), 24 + 10);
}

/* A response with no request still composes (opcode and opaque 0). */
static void test_compose_no_req(void **state)
{
    (void)state;
    struct response rsp = { .kind = RSP_NOOP };
    char buf[32];
    assert_int_equal(binary_compose(&rsp, buf, sizeof(buf)), 24);
    assert_int_equal((uint8_t)buf[0], 0x81);
    assert_int_equal(buf[1], 0);
}

/* Every opcode, parsed and answered: the round trip the fuzz target checks. */
static void test_every_opcode(void **state)
{
    (void)state;
    for (int op = 0; op < 256; op++) {
        for (int shape = 0; shape < 6; shape++) {
            static const uint8_t exts[] = { 0, 4, 8, 20, 0, 4 };
            uint8_t pk[128];
            struct pkt_spec p = { .op = (uint8_t)op, .ext = "01234567890123456789",
                                  .next = exts[shape], .key = shape < 4 ? "key" : NULL,
                                  .val = shape & 1 ? "vv" : NULL, .cas = (uint64_t)shape };
            size_t len = build(&p, pk);
            LLVMFuzzerTestOneInput(pk, len);
        }
    }
}

/* ---- the fuzz seeds ------------------------------------------------------ */

static void test_fuzz_seeds(void **state)
{
    (void)state;
    seed_replay(MNEMO_BINARY_SEEDS_DIR, LLVMFuzzerTestOneInput, 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_packets), cmocka_unit_test(test_bad_packets),
        cmocka_unit_test(test_body_limit),    cmocka_unit_test(test_surplus_body),
        cmocka_unit_test(test_pipeline),      cmocka_unit_test(test_request_fields),
        cmocka_unit_test(test_compose),       cmocka_unit_test(test_quiet),
        cmocka_unit_test(test_compose_no_req), cmocka_unit_test(test_every_opcode),
        cmocka_unit_test(test_fuzz_seeds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * fuzz_binary.c: libFuzzer target for the binary protocol (proto/binary.c).
 *
 * The input is treated as what one connection sent: packets are parsed one
 * after another, the value (or skipped body) that follows a packet is
 * stepped over, and a parse error ends the run as it ends the connection.
 * For every parse it checks:
 *  - consumed <= remaining; nothing consumed on AGAIN, and AGAIN only while
 *    the header, extras or key are incomplete; the header on ERROR;
 *  - a differential oracle: the header is decoded again byte by byte and
 *    memcached 1.6.18's dispatch rules are applied as a switch on the opcode
 *    (written independently of binary.c's table); the verdict, command,
 *    quiet/k bits and every numeric field must agree with binary_parse();
 *  - key and arg lie inside the packet's key section;
 *  - binary_compose() of every response kind for the request: the size
 *    equals binary_compose_bound(), a too-small cap reports the same size,
 *    and the header is well formed (magic, echoed opcode and opaque, body
 *    length = extras + key + value, cas 0 on errors).
 *
 * Also compiled into tests/unit/proto/test_binary.c (with FUZZ_CHECK mapped
 * to cmocka) so that every seed in seeds/binary/ is a unit test.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/binary.h"

#include "fuzz_check.h"

/* ---- the oracle ---------------------------------------------------------- */

static uint64_t be(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        v = (v << 8) | p[i];
    }
    return v;
}

struct expect {
    enum request_error err;
    enum request_cmd cmd;
    bool quiet;
    bool retkey;
    uint32_t vlen;
};

/* memcached 1.6.18's dispatch_bin_command(), spelled out per opcode. */
static void oracle(const uint8_t *h, struct expect *e)
{
    uint8_t op = h[1];
    uint32_t key = (uint32_t)be(h + 2, 2);
    uint32_t ext = h[4];
    uint32_t body = (uint32_t)be(h + 8, 4);
    bool ok;

    memset(e, 0, sizeof(*e));
    e->quiet = op == 0x09 || op == 0x0d || (op >= 0x11 && op <= 0x1a) || op == 0x1e || op == 0x24;
    e->retkey = op == 0x0c || op == 0x0d || op == 0x23 || op == 0x24;
    if (h[0] != 0x80) {
        e->err = REQ_EBAD_MAGIC;
        return;
    }
    if ((uint64_t)key + ext > body) {
        e->err = REQ_EUNKNOWN;
        return;
    }
    if (body > 1024u * 1024 * 1024) { /* memcached 1.6.45's ITEM_SIZE_MAX_UPPER_LIMIT */
        e->err = REQ_EFORMAT;
        return;
    }
    if (key > 250) {
        e->err = REQ_EKEY_TOO_LONG;
        return;
    }
    switch (op) {
    case 0x0b: case 0x0a: case 0x07: case 0x17: case 0x20:
        ok = ext == 0 && key == 0 && body == 0;
        e->cmd = op == 0x0b ? REQ_VERSION : op == 0x0a ? REQ_NOOP : op == 0x20 ? REQ_SASL_LIST : REQ_QUIT;
        break;
    case 0x08: case 0x18:
        ok = key == 0 && body == ext && (ext == 0 || ext == 4);
        e->cmd = REQ_FLUSH_ALL;
        break;
    case 0x01: case 0x02: case 0x03: case 0x11: case 0x12: case 0x13:
        ok = ext == 8 && key != 0 && body >= key + 8;
        e->cmd = (op & 0x0f) == 1 ? REQ_SET : (op & 0x0f) == 2 ? REQ_ADD : REQ_REPLACE;
        e->vlen = body - ext - key;
        break;
    case 0x00: case 0x09: case 0x0c: case 0x0d:
        ok = ext == 0 && body == key && key > 0;
        e->cmd = REQ_GET;
        break;
    case 0x04: case 0x14:
        ok = key > 0 && ext == 0 && body == key;
        e->cmd = REQ_DELETE;
        break;
    case 0x05: case 0x06: case 0x15: case 0x16:
        ok = key > 0 && ext == 20 && body == key + ext;
        e->cmd = (op == 0x05 || op == 0x15) ? REQ_INCR : REQ_DECR;
        break;
    case 0x0e: case 0x0f: case 0x19: case 0x1a:
        ok = key > 0 && ext == 0;
        e->cmd = (op == 0x0e || op == 0x19) ? REQ_APPEND : REQ_PREPEND;
        e->vlen = body - key;
        break;
    case 0x10:
        ok = ext == 0;
        e->cmd = REQ_STATS;
        break;
    case 0x21: case 0x22:
        ok = ext == 0 && key != 0;
        e->cmd = op == 0x21 ? REQ_SASL_AUTH : REQ_SASL_STEP;
        e->vlen = body - key;
        break;
    case 0x1c: case 0x1d: case 0x1e: case 0x23: case 0x24:
        ok = ext == 4 && key != 0;
        e->cmd = op == 0x1c ? REQ_TOUCH : REQ_GAT;
        break;
    default:
        ok = true;
        e->cmd = REQ_UNKNOWN_OPCODE;
        e->vlen = body - ext - key;
        break;
    }
    e->err = ok ? REQ_EOK : REQ_EFORMAT;
}

static void check_fields(const struct request *req, const uint8_t *h, const struct expect *e)
{
    const uint8_t *x = h + 24;
    uint32_t key = (uint32_t)be(h + 2, 2);
    uint32_t ext = h[4];

    FUZZ_CHECK(req->cmd == e->cmd);
    FUZZ_CHECK(req->quiet == e->quiet);
    FUZZ_CHECK(((req->mflags & REQ_MFLAG('k')) != 0) == e->retkey);
    FUZZ_CHECK(req->vlen == e->vlen);
    switch (req->cmd) {
    case REQ_SET: case REQ_ADD: case REQ_REPLACE: case REQ_CAS:
        FUZZ_CHECK(req->flags == be(x, 4) && req->exptime == (int64_t)be(x + 4, 4));
        FUZZ_CHECK(req->has_exptime);
        break;
    case REQ_INCR: case REQ_DECR:
        FUZZ_CHECK(req->delta == be(x, 8) && req->initial == be(x + 8, 8));
        FUZZ_CHECK(req->exptime == (int64_t)be(x + 16, 4));
        FUZZ_CHECK(req->has_initial == (be(x + 16, 4) != 0xffffffffu));
        break;
    case REQ_TOUCH: case REQ_GAT:
        FUZZ_CHECK(req->exptime == (int64_t)be(x, 4) && req->has_exptime);
        break;
    case REQ_FLUSH_ALL:
        FUZZ_CHECK(req->has_delay == (ext == 4));
        FUZZ_CHECK(!req->has_delay || req->exptime == (int64_t)be(x, 4));
        break;
    case REQ_STATS:
        FUZZ_CHECK(req->narg == key && req->nkey == 0);
        FUZZ_CHECK(key == 0 || req->arg == (const char *)x + ext);
        break;
    default:
        break;
    }
    if (req->cmd != REQ_STATS && req->cmd != REQ_UNKNOWN_OPCODE) {
        FUZZ_CHECK(req->nkey == key && req->nkeys == (key > 0 ? 1u : 0u));
        FUZZ_CHECK(key == 0 || (req->key == (const char *)x + ext && req->keys == req->key &&
                                req->nkeys_text == key));
        FUZZ_CHECK(req->nkey <= REQUEST_KEY_MAX);
    }
}

/* ---- compose ------------------------------------------------------------- */

static void check_compose(const struct response *rsp)
{
    size_t bound = binary_compose_bound(rsp);
    char small[8];

    if (bound == 0) {
        FUZZ_CHECK(binary_compose(rsp, small, sizeof(small)) == 0);
        return;
    }
    uint8_t *out = malloc(bound);
    FUZZ_CHECK(out != NULL);
    size_t n = binary_compose(rsp, (char *)out, bound);
    FUZZ_CHECK(n == bound && n >= BINARY_HEADER_LEN);
    FUZZ_CHECK(binary_compose(rsp, small, sizeof(small)) == n);
    FUZZ_CHECK(binary_compose(rsp, (char *)out, n - 1) == n);
    FUZZ_CHECK(binary_compose(rsp, (char *)out, n) == n);
    FUZZ_CHECK(out[0] == 0x81 && out[1] == rsp->req->opcode && out[5] == 0);
    FUZZ_CHECK(be(out + 12, 4) == rsp->req->opaque32);
    uint32_t keylen = (uint32_t)be(out + 2, 2);
    uint32_t body = (uint32_t)be(out + 8, 4);
    uint32_t tail = rsp->kind == RSP_VALUE && rsp->error == RSP_EOK ? rsp->vlen : 0;
    FUZZ_CHECK(body == (uint32_t)(n - BINARY_HEADER_LEN + tail)); /* a 32-bit field */
    FUZZ_CHECK(keylen + out[4] <= n - BINARY_HEADER_LEN);
    FUZZ_CHECK(be(out + 6, 2) == 0 || be(out + 16, 8) == 0);
    free(out);
}

static void compose_for(const struct request *req)
{
    static const char name[] = "curr_items";
    for (int k = 0; k < RSP_KIND_COUNT; k++) {
        struct response rsp = {
            .kind = (enum response_kind)k, .req = req, .key = req->key, .nkey = req->nkey,
            .flags = req->flags, .vlen = req->vlen, .cas = req->cas ^ req->delta,
            .number = req->delta, .msg = name, .nmsg = sizeof(name) - 1, .msg2 = req->arg,
            .nmsg2 = req->narg,
        };
        check_compose(&rsp);
        for (int e = RSP_EFORMAT; e <= RSP_EDISABLED + 1; e++) {
            rsp.error = (enum response_error)e;
            check_compose(&rsp);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    size_t off = 0;

    while (off < size) {
        struct request req;
        size_t left = size - off;
        size_t consumed = (size_t)-1;
        enum parse_status st = binary_parse(&req, buf + off, left, &consumed);
        const uint8_t *h = data + off;

        FUZZ_CHECK(consumed <= left);
        if (left < BINARY_HEADER_LEN) {
            FUZZ_CHECK(st == PARSE_AGAIN && consumed == 0);
            break;
        }
        struct expect e;
        oracle(h, &e);
        FUZZ_CHECK(req.proto == REQ_PROTO_BINARY && req.opcode == h[1]);
        FUZZ_CHECK(req.opaque32 == be(h + 12, 4) && req.cas == be(h + 16, 8));
        FUZZ_CHECK(req.error == e.err);
        if (e.err != REQ_EOK) {
            FUZZ_CHECK(st == PARSE_ERROR && consumed == BINARY_HEADER_LEN);
            compose_for(&req);
            break; /* the server closes the connection */
        }
        size_t need = BINARY_HEADER_LEN + h[4] + be(h + 2, 2);
        if (left < need) {
            FUZZ_CHECK(st == PARSE_AGAIN && consumed == 0);
            break;
        }
        FUZZ_CHECK(st == PARSE_OK && consumed == need);
        check_fields(&req, h, &e);
        compose_for(&req);
        off += consumed;
        if (req.vlen > size - off) {
            break;
        }
        off += req.vlen;
    }
    return 0;
}

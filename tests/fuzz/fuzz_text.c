/*
 * fuzz_text.c: libFuzzer target for the text protocol (proto/text.c).
 *
 * The input is treated as what one connection sent: lines are parsed one
 * after another, storage data blocks are skipped, and a too-long line ends
 * the run as it ends the connection. For every parse it checks:
 *  - consumed <= remaining, progress on OK/ERROR, nothing consumed on AGAIN;
 *  - every key lies inside the line, is 1..250 bytes, has no ' ', and
 *    request_key_next() yields exactly nkeys keys;
 *  - a differential oracle: the line is re-tokenized the way memcached does
 *    (a NUL-terminated copy split on ' ', numbers read with libc's
 *    strtoul/strtol/strtoull as memcached's safe_strto*() do), and the error,
 *    noreply and numeric fields must agree with text_parse(), and so must
 *    whether a refused storage line's data block is skipped (1.6.45's rules:
 *    once the length is read, strict digits, it is);
 *  - text_compose() of responses built from the request stays within
 *    text_compose_bound() and reports the same size when cap is too small.
 *
 * Also compiled into tests/unit/proto/test_text.c (with FUZZ_CHECK mapped to
 * cmocka) so that every seed in seeds/text/ is a unit test.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/text.h"

#ifndef FUZZ_CHECK
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            abort();                                                                               \
        }                                                                                          \
    } while (0)
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- the oracle: memcached's rules over a NUL-terminated copy ------------ */

struct oracle {
    enum request_error err;
    bool noreply;
    uint32_t flags;
    int32_t exptime;
    int32_t vlen;
    uint64_t num; /* cas, delta or verbosity level */
    uint32_t nkeys;
    bool has_delay;
    bool swallow; /* the data block is skipped on error */
};

static bool ok_end(const char *s, const char *end)
{
    /* memcached: isspace(*endptr) || (*endptr == '\0' && endptr != s) */
    return end != s && (*end == '\0' || *end == ' ' || (*end >= '\t' && *end <= '\r'));
}

static bool ref_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno == ERANGE || !ok_end(s, end)) {
        return false;
    }
    if ((long long)v < 0 && strchr(s, '-') != NULL) {
        return false;
    }
    *out = v;
    return true;
}

static bool ref_u32(const char *s, uint32_t *out)
{
    uint64_t v;
    if (!ref_u64(s, &v)) {
        return false;
    }
    if (v > UINT32_MAX) {
        return false; /* mnemo refuses what 1.6.18 truncates (see text.c) */
    }
    *out = (uint32_t)v;
    return true;
}

static bool ref_i32(const char *s, int32_t *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno == ERANGE || !ok_end(s, end)) {
        return false;
    }
    if (v > INT32_MAX || v < INT32_MIN) {
        return false; /* mnemo refuses what 1.6.18 truncates (see text.c) */
    }
    *out = (int32_t)v;
    return true;
}

/* memcached 1.6.45's mcmc_tokto32: an optional '-', digits, 11 bytes at most. */
static bool ref_strict_i32(const char *s, int32_t *out)
{
    size_t n = strlen(s);
    size_t i = s[0] == '-' ? 1 : 0;
    if (n > 11 || strspn(s + i, "0123456789") != n - i) {
        return false;
    }
    long long v = strtoll(s, NULL, 10);
    if (v > INT32_MAX || v < INT32_MIN) {
        return false;
    }
    *out = (int32_t)v;
    return true;
}

/* memcached 1.6.45's mcmc_toktou64: digits only, 22 bytes at most. */
static bool ref_strict_u64(const char *s, uint64_t *out)
{
    size_t n = strlen(s);
    if (n > 22 || strspn(s, "0123456789") != n) {
        return false;
    }
    errno = 0;
    unsigned long long v = strtoull(s, NULL, 10);
    if (errno == ERANGE) {
        return false;
    }
    *out = v;
    return true;
}

/* t has room for every token of line (at most strlen / 2 + 1). */
static enum request_error oracle_run(char *line, char **t, struct oracle *o)
{
    size_t nt = 0;
    char *save = NULL;

    memset(o, 0, sizeof(*o));
    for (char *s = strtok_r(line, " ", &save); s != NULL; s = strtok_r(NULL, " ", &save)) {
        t[nt++] = s;
    }
    if (nt == 0) {
        return REQ_EUNKNOWN;
    }
    const char *c = t[0];
    bool last_nr = strcmp(t[nt - 1], "noreply") == 0;
    /* memcached 1.6.45 reads at most 23 tokens; the last of those */
    const char *last23 = t[(nt < 23 ? nt : 23) - 1];
    bool last23_nr = strcmp(last23, "noreply") == 0;
    if (!strcmp(c, "get") || !strcmp(c, "gets") || !strcmp(c, "bget") || !strcmp(c, "gat") ||
        !strcmp(c, "gats")) {
        size_t first = 1;
        if (nt < 2) {
            return REQ_EUNKNOWN;
        }
        if (c[1] == 'a') {
            if (!ref_i32(t[1], &o->exptime)) {
                return REQ_EEXPTIME;
            }
            first = 2;
        }
        for (size_t i = first; i < nt; i++) {
            if (strlen(t[i]) > REQUEST_KEY_MAX) {
                return REQ_EKEY_TOO_LONG;
            }
        }
        o->nkeys = (uint32_t)(nt - first);
        return REQ_EOK;
    }
    if (!strcmp(c, "set") || !strcmp(c, "add") || !strcmp(c, "replace") ||
        !strcmp(c, "append") || !strcmp(c, "prepend") || !strcmp(c, "cas")) {
        /* memcached 1.6.45: the strict length first; after it, errors swallow */
        if (nt < 5 || !ref_strict_i32(t[4], &o->vlen) || o->vlen < 0 || o->vlen > INT_MAX - 2) {
            return REQ_EFORMAT;
        }
        o->swallow = true;
        o->noreply = last23_nr;
        if (strlen(t[1]) > REQUEST_KEY_MAX) {
            return REQ_EKEY_TOO_LONG;
        }
        if (!ref_u32(t[2], &o->flags) || !ref_i32(t[3], &o->exptime)) {
            return REQ_EFORMAT;
        }
        if (c[0] == 'c' && (nt < 6 || !ref_strict_u64(t[5], &o->num))) {
            return REQ_EFORMAT;
        }
        return REQ_EOK;
    }
    if (!strcmp(c, "incr") || !strcmp(c, "decr") || !strcmp(c, "touch")) {
        if (nt != 3 && nt != 4) {
            return REQ_EUNKNOWN;
        }
        o->noreply = last_nr;
        if (strlen(t[1]) > REQUEST_KEY_MAX) {
            return REQ_EKEY_TOO_LONG;
        }
        if (c[0] == 't') {
            return ref_i32(t[2], &o->exptime) ? REQ_EOK : REQ_EEXPTIME;
        }
        return ref_u64(t[2], &o->num) ? REQ_EOK : REQ_EDELTA;
    }
    if (!strcmp(c, "delete")) {
        if (nt < 2 || nt > 4) {
            return REQ_EUNKNOWN;
        }
        if (nt > 2) {
            bool zero = strcmp(t[2], "0") == 0;
            o->noreply = last_nr;
            if (!((nt == 3 && (zero || last_nr)) || (nt == 4 && zero && last_nr))) {
                return REQ_EDELETE_USAGE;
            }
        }
        return strlen(t[1]) > REQUEST_KEY_MAX ? REQ_EKEY_TOO_LONG : REQ_EOK;
    }
    if (!strcmp(c, "flush_all")) {
        if (nt > 3) {
            return REQ_EUNKNOWN;
        }
        o->noreply = nt > 1 && last_nr;
        o->has_delay = nt != (o->noreply ? 2u : 1u);
        if (o->has_delay && !ref_i32(t[1], &o->exptime)) {
            return REQ_EEXPTIME;
        }
        return REQ_EOK;
    }
    if (!strcmp(c, "verbosity")) {
        uint32_t level;
        if (nt != 2 && nt != 3) {
            return REQ_EUNKNOWN;
        }
        o->noreply = last_nr;
        if (!ref_u32(t[1], &level)) {
            return REQ_EFORMAT;
        }
        o->num = level;
        return REQ_EOK;
    }
    if (!strcmp(c, "version") || !strcmp(c, "quit") || !strcmp(c, "stats") ||
        !strcmp(c, "shutdown")) {
        return REQ_EOK;
    }
    if (nt > 1 && strncmp(last23, "HTTP/", 5) == 0 && !(c[0] == 'm' && strlen(c) == 2 &&
                                                     strchr("gsdane", c[1]) != NULL)) {
        return REQ_EHTTP;
    }
    o->noreply = last23_nr;
    return REQ_EUNKNOWN;
}

/* Compare text_parse's verdict on line[0..n) (no "\n") with the oracle's. */
static void oracle_check(const struct request *req, const char *line, size_t n)
{
    struct oracle o;

    if (n > 0 && line[n - 1] == '\r') {
        n--;
    }
    char *copy = malloc(n + 1);
    char **toks = malloc(sizeof(*toks) * (n / 2 + 2));
    FUZZ_CHECK(copy != NULL && toks != NULL);
    memcpy(copy, line, n);
    copy[n] = '\0';
    enum request_error err = oracle_run(copy, toks, &o);
    FUZZ_CHECK(err == req->error);
    FUZZ_CHECK(o.noreply == req->noreply);
    if (err != REQ_EOK && err != REQ_EUNKNOWN && err != REQ_EHTTP) {
        FUZZ_CHECK(o.swallow == req->swallow_on_error);
        FUZZ_CHECK(!o.swallow || (int32_t)req->vlen == o.vlen);
    }
    if (err == REQ_EOK) {
        switch (req->cmd) {
        case REQ_GET:
        case REQ_GETS:
            FUZZ_CHECK(o.nkeys == req->nkeys);
            break;
        case REQ_GAT:
        case REQ_GATS:
        case REQ_TOUCH:
            FUZZ_CHECK(o.nkeys == req->nkeys || req->cmd == REQ_TOUCH);
            FUZZ_CHECK(o.exptime == req->exptime);
            break;
        case REQ_INCR:
        case REQ_DECR:
        case REQ_VERBOSITY:
            FUZZ_CHECK(o.num == req->delta);
            break;
        case REQ_FLUSH_ALL:
            FUZZ_CHECK(o.has_delay == req->has_delay);
            FUZZ_CHECK(!o.has_delay || o.exptime == req->exptime);
            break;
        default:
            if (request_is_storage(req->cmd)) {
                FUZZ_CHECK(o.flags == req->flags);
                FUZZ_CHECK(o.exptime == req->exptime);
                FUZZ_CHECK((uint32_t)o.vlen == req->vlen);
                FUZZ_CHECK(req->cmd != REQ_CAS || o.num == req->cas);
            }
            break;
        }
    }
    free(toks);
    free(copy);
}

/* ---- structural invariants ----------------------------------------------- */

static void check_keys(const struct request *req, const char *line, size_t linelen)
{
    const char *lo = line;
    const char *hi = line + linelen;
    size_t cur = 0;
    const char *k;
    size_t nk;
    uint32_t count = 0;

    if (req->nkeys > 0) {
        FUZZ_CHECK(req->key >= lo && req->key + req->nkey <= hi);
        FUZZ_CHECK(req->nkey >= 1 && req->nkey <= REQUEST_KEY_MAX);
    }
    if (req->nkeys_text > 0) {
        FUZZ_CHECK(req->keys >= lo && req->keys + req->nkeys_text <= hi);
    }
    while (request_key_next(req, &cur, &k, &nk)) {
        FUZZ_CHECK(k >= lo && k + nk <= hi);
        FUZZ_CHECK(nk >= 1 && nk <= REQUEST_KEY_MAX);
        FUZZ_CHECK(memchr(k, ' ', nk) == NULL && memchr(k, '\0', nk) == NULL);
        FUZZ_CHECK(count > 0 || (k == req->key && nk == req->nkey));
        count++;
        FUZZ_CHECK(count <= req->nkeys);
    }
    FUZZ_CHECK(count == req->nkeys);
    if (req->narg > 0) {
        FUZZ_CHECK(req->arg >= lo && req->arg + req->narg <= hi);
        FUZZ_CHECK(req->arg[0] != ' ' && req->arg[req->narg - 1] != ' ');
    }
}

static void check_compose(const struct response *rsp)
{
    size_t bound = text_compose_bound(rsp);
    char *out = malloc(bound + 1);
    char small[4];

    FUZZ_CHECK(out != NULL);
    size_t n = text_compose(rsp, out, bound);
    FUZZ_CHECK(n > 0 && n <= bound);
    FUZZ_CHECK(out[n - 2] == '\r' && out[n - 1] == '\n');
    FUZZ_CHECK(text_compose(rsp, small, n < sizeof(small) ? 0 : sizeof(small)) == n);
    FUZZ_CHECK(text_compose(rsp, out, n - 1) == n);
    free(out);
}

static void compose_for(const struct request *req)
{
    struct response rsp = { 0 };
    size_t cur = 0;

    rsp.kind = RSP_VALUE;
    rsp.flags = req->flags;
    rsp.vlen = req->vlen;
    rsp.cas = req->cas ^ req->delta;
    while (request_key_next(req, &cur, &rsp.key, &rsp.nkey)) {
        rsp.with_cas = !rsp.with_cas;
        check_compose(&rsp);
    }
    rsp = (struct response){ .kind = RSP_NUMBER, .number = req->delta };
    check_compose(&rsp);
    rsp = (struct response){ .kind = RSP_STAT, .msg = req->key, .nmsg = req->nkey,
                             .msg2 = req->arg, .nmsg2 = req->narg };
    check_compose(&rsp);
    for (int k = RSP_STORED; k < RSP_KIND_COUNT; k++) {
        rsp = (struct response){ .kind = k, .msg = req->arg, .nmsg = req->narg };
        if (k != RSP_VALUE && k != RSP_STAT && k != RSP_MISS && k != RSP_NOOP &&
            k != RSP_DEBUG) { /* the last three are silent in text */
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
        enum parse_status st = text_parse(&req, buf + off, left, &consumed);

        FUZZ_CHECK(consumed <= left);
        if (st == PARSE_AGAIN) {
            FUZZ_CHECK(consumed == 0);
            FUZZ_CHECK(memchr(buf + off, '\n', left < TEXT_GET_LINE_MAX ? left : TEXT_GET_LINE_MAX) == NULL);
            break;
        }
        FUZZ_CHECK(consumed > 0);
        if (st == PARSE_ERROR) {
            FUZZ_CHECK(req.error != REQ_EOK);
            if (req.error == REQ_ELINE_TOO_LONG) {
                FUZZ_CHECK(left > TEXT_LINE_MAX);
                break; /* the server closes the connection */
            }
        } else {
            FUZZ_CHECK(st == PARSE_OK && req.error == REQ_EOK);
            FUZZ_CHECK(req.cmd > REQ_NONE && req.cmd < REQ_CMD_COUNT);
        }
        FUZZ_CHECK(buf[off + consumed - 1] == '\n');
        FUZZ_CHECK(memchr(buf + off, '\n', consumed - 1) == NULL);
        if (req.proto == REQ_PROTO_META) {
            /* routed to proto/meta.c, which fuzz_meta.c checks */
            off += consumed;
            continue;
        }
        check_keys(&req, buf + off, consumed);
        oracle_check(&req, buf + off, consumed - 1);
        if (st == PARSE_OK) {
            compose_for(&req);
        }
        off += consumed;
        if (st == PARSE_ERROR && req.error == REQ_EHTTP) {
            break; /* the server closes the connection */
        }
        if ((st == PARSE_OK && request_is_storage(req.cmd)) ||
            (st == PARSE_ERROR && req.swallow_on_error)) {
            size_t block = (size_t)req.vlen + 2;
            if (block > size - off) {
                break;
            }
            off += block;
        }
    }
    return 0;
}

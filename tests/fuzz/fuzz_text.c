/*
 * fuzz_text.c: libFuzzer target for the text protocol (proto/text.c).
 *
 * The input is treated as what one connection sent: lines are parsed one
 * after another, storage data blocks are skipped, and a too-long line ends
 * the run as it ends the connection. For every parse it checks:
 *  - consumed <= remaining, progress on OK/ERROR, nothing consumed on AGAIN;
 *  - every key lies inside the line, is 1..250 bytes, has no ' ', and
 *    request_key_next() yields exactly nkeys keys;
 *  - a differential oracle: the line is re-tokenized the way memcached 1.6.45
 *    does (the command word before the first ' ', up to 23 ' '-separated
 *    tokens over the line's length, NUL an ordinary byte; strict digits for
 *    most numbers, libc's strtoul/strtol from the token's start for a storage
 *    line's flags and exptime, as its safe_strto*() do), and the error,
 *    noreply and numeric fields must agree with text_parse(), and so must
 *    whether a refused storage line's data block is skipped (once the
 *    length is read, it is);
 *  - text_compose() of responses built from the request stays within
 *    text_compose_bound() and reports the same size when cap is too small;
 *  - peek_keys() (proto/peek.c: the keys a worker prefetches before it
 *    parses) over the same bytes reports keys inside them, in order, each
 *    1..250 bytes without ' ' or '\n', at most its max, and with a smaller
 *    max the first of the same keys.
 *
 * Also compiled into tests/unit/proto/test_text.c (with FUZZ_CHECK mapped to
 * cmocka) so that every seed in seeds/text/ is a unit test.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/peek.h"
#include "proto/text.h"

#include "fuzz_check.h"

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
    if ((long long)v < 0 && memchr(s, '-', (size_t)(end - s)) != NULL) {
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
        return false; /* mnemo refuses what memcached truncates (number.h) */
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
        return false; /* mnemo refuses what memcached truncates (number.h) */
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

/* memcached 1.6.45's tokenizer: up to 23 tokens of line[0..n), split on ' '. */
#define O_TOKENS_MAX 23

struct otok {
    const char *s;
    size_t n;
};

static size_t o_tokenize(const char *line, size_t n, struct otok *t)
{
    size_t nt = 0, i = 0;

    while (nt < O_TOKENS_MAX) {
        while (i < n && line[i] == ' ') {
            i++;
        }
        if (i == n) {
            break;
        }
        size_t b = i;
        while (i < n && line[i] != ' ') {
            i++;
        }
        t[nt].s = line + b;
        t[nt].n = i - b;
        nt++;
    }
    return nt;
}

static bool o_is(const struct otok *t, const char *word)
{
    return t->n == strlen(word) && memcmp(t->s, word, t->n) == 0;
}

/* A strict number token, copied so the ref_strict_* helpers see it alone. */
static bool o_strict_i32(const struct otok *t, int32_t *out)
{
    char b[16];
    if (t->n > 11 || memchr(t->s, '\0', t->n) != NULL) {
        return false;
    }
    memcpy(b, t->s, t->n);
    b[t->n] = '\0';
    return ref_strict_i32(b, out);
}

static bool o_strict_u64(const struct otok *t, uint64_t *out)
{
    char b[32];
    if (t->n > 22 || memchr(t->s, '\0', t->n) != NULL) {
        return false;
    }
    memcpy(b, t->s, t->n);
    b[t->n] = '\0';
    return ref_strict_u64(b, out);
}

/*
 * memcached 1.6.45 (proto_parser.c process_request, proto_text.c
 * process_command_ascii) over line[0..n), which is NUL-terminated at n and
 * may hold NUL bytes (they are ordinary bytes there). total: the line's
 * bytes with its "\n".
 */
static enum request_error oracle_run(const char *line, size_t n, size_t total, struct oracle *o)
{
    struct otok t[O_TOKENS_MAX];

    memset(o, 0, sizeof(*o));
    if (total < 4) {
        return REQ_EFORMAT;
    }
    const char *sp = memchr(line, ' ', n);
    struct otok word = { line, sp != NULL ? (size_t)(sp - line) : n };
    size_t nt = o_tokenize(line, n, t);
    bool last_nr = nt > 0 && o_is(&t[nt - 1], "noreply");
    bool get = o_is(&word, "get") || o_is(&word, "gets");
    bool gat = o_is(&word, "gat") || o_is(&word, "gats");

    if (get || gat) {
        size_t first = gat ? 2 : 1;
        if (nt < first + 1) {
            return REQ_EFORMAT;
        }
        if (gat && !o_strict_i32(&t[1], &o->exptime)) {
            return REQ_EEXPTIME;
        }
        /* the keys are walked over the whole line, past 23 tokens */
        struct otok k;
        size_t i = (size_t)(t[first].s - line);
        while (i < n) {
            if (line[i] == ' ') {
                i++;
                continue;
            }
            k.s = line + i;
            while (i < n && line[i] != ' ') {
                i++;
            }
            k.n = (size_t)(line + i - k.s);
            if (k.n > REQUEST_KEY_MAX) {
                return REQ_EKEY_TOO_LONG;
            }
            o->nkeys++;
        }
        return REQ_EOK;
    }
    if (o_is(&word, "set") || o_is(&word, "add") || o_is(&word, "replace") ||
        o_is(&word, "append") || o_is(&word, "prepend") || o_is(&word, "cas")) {
        /* the strict length first; after it, errors swallow the block */
        if (nt < 5 || !o_strict_i32(&t[4], &o->vlen) || o->vlen < 0 || o->vlen > INT_MAX - 2) {
            return REQ_EFORMAT;
        }
        o->swallow = true;
        o->noreply = last_nr;
        if (t[1].n > REQUEST_KEY_MAX) {
            return REQ_EKEY_TOO_LONG;
        }
        /* safe_strtoul/safe_strtol from the token's first byte on */
        if (!ref_u32(t[2].s, &o->flags) || !ref_i32(t[3].s, &o->exptime)) {
            return REQ_EFORMAT;
        }
        if (word.s[0] == 'c' && (nt < 6 || !o_strict_u64(&t[5], &o->num))) {
            return REQ_EFORMAT;
        }
        return REQ_EOK;
    }
    if (o_is(&word, "delete")) {
        /* 1.6.18's rules, kept for memccapable (a listed deviation) */
        size_t na = nt - 1;
        if (na < 1 || na > 3) {
            return REQ_EUNKNOWN;
        }
        o->noreply = last_nr;
        bool zero = na > 1 && t[2].n == 1 && t[2].s[0] == '0';
        if (na > 1 && !((na == 2 && (zero || last_nr)) || (na == 3 && zero && last_nr))) {
            return REQ_EDELETE_USAGE;
        }
        return t[1].n > REQUEST_KEY_MAX ? REQ_EKEY_TOO_LONG : REQ_EOK;
    }
    bool incr = o_is(&word, "incr") || o_is(&word, "decr");
    bool touch = o_is(&word, "touch");
    if (incr || touch) {
        if (nt < 3) {
            return REQ_EFORMAT;
        }
        o->noreply = last_nr;
        if (t[1].n > REQUEST_KEY_MAX) {
            return REQ_EKEY_TOO_LONG;
        }
        if (touch) {
            return o_strict_i32(&t[2], &o->exptime) ? REQ_EOK : REQ_EEXPTIME;
        }
        if (incr) {
            return o_strict_u64(&t[2], &o->num) ? REQ_EOK : REQ_EDELTA;
        }
        return REQ_EOK;
    }
    if (o_is(&word, "version") || o_is(&word, "quit") || o_is(&word, "stats") ||
        o_is(&word, "watch")) {
        return REQ_EOK;
    }
    /* not a main command: the admin commands, by the first token */
    if (nt == 0) {
        return REQ_EUNKNOWN;
    }
    o->noreply = last_nr;
    if (o_is(&t[0], "flush_all")) {
        o->has_delay = nt != (last_nr ? 2u : 1u);
        if (o->has_delay && !o_strict_i32(&t[1], &o->exptime)) {
            return REQ_EEXPTIME;
        }
        return REQ_EOK;
    }
    if (o_is(&t[0], "verbosity")) {
        char b[16];
        if (nt < 2 || t[1].n > 11 || strspn(t[1].s, "0123456789") < t[1].n) {
            return REQ_EFORMAT;
        }
        memcpy(b, t[1].s, t[1].n);
        b[t[1].n] = '\0';
        o->num = strtoull(b, NULL, 10);
        return o->num > UINT32_MAX ? REQ_EFORMAT : REQ_EOK;
    }
    if (o_is(&t[0], "shutdown") || o_is(&t[0], "slabs") || o_is(&t[0], "lru") ||
        o_is(&t[0], "lru_crawler") || o_is(&t[0], "replica_of") || o_is(&t[0], "repl_sync")) {
        return REQ_EOK; /* server/ reads the rest of the line */
    }
    if (o_is(&t[0], "snapshot") || o_is(&t[0], "refresh_certs")) {
        /* snapshot is mnemo's own (persistence), refresh_certs memcached's
         * (TLS): no arguments but an optional noreply */
        return nt == 1 || (nt == 2 && last_nr) ? REQ_EOK : REQ_EFORMAT;
    }
    if (o_is(&t[0], "cache_memlimit")) {
        /* megabytes as strict digits (mcmc_toktou32); anything else: ERROR */
        char b[16];
        if (nt < 2 || t[1].n > 11 || strspn(t[1].s, "0123456789") < t[1].n) {
            return REQ_EUNKNOWN;
        }
        memcpy(b, t[1].s, t[1].n);
        b[t[1].n] = '\0';
        o->num = strtoull(b, NULL, 10);
        return o->num > UINT32_MAX ? REQ_EUNKNOWN : REQ_EOK;
    }
    if (nt > 1 && t[nt - 1].n >= 5 && memcmp(t[nt - 1].s, "HTTP/", 5) == 0) {
        o->noreply = false;
        return REQ_EHTTP;
    }
    return REQ_EUNKNOWN;
}

/* Compare text_parse's verdict on line[0..n) (no "\n") with the oracle's. */
static void oracle_check(const struct request *req, const char *line, size_t n)
{
    struct oracle o;
    size_t total = n + 1;

    if (n > 0 && line[n - 1] == '\r') {
        n--;
    }
    char *copy = malloc(n + 1);
    FUZZ_CHECK(copy != NULL);
    memcpy(copy, line, n);
    copy[n] = '\0';
    enum request_error err = oracle_run(copy, n, total, &o);
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
        case REQ_CACHE_MEMLIMIT:
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
        FUZZ_CHECK(memchr(k, ' ', nk) == NULL); /* NUL is an ordinary byte in 1.6.45 */
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

#define PEEK_MAX 64

static void check_peek(const char *buf, size_t size)
{
    struct peek_key keys[PEEK_MAX], few[3];
    size_t n = peek_keys(buf, size, keys, PEEK_MAX);
    FUZZ_CHECK(n <= PEEK_MAX);
    const char *after = buf; /* each key begins past the one before */
    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(keys[i].key >= after && keys[i].nkey >= 1 && keys[i].nkey <= 250);
        FUZZ_CHECK(keys[i].key + keys[i].nkey <= buf + size);
        FUZZ_CHECK(memchr(keys[i].key, ' ', keys[i].nkey) == NULL);
        FUZZ_CHECK(memchr(keys[i].key, '\n', keys[i].nkey) == NULL);
        after = keys[i].key + keys[i].nkey;
    }
    size_t m = peek_keys(buf, size, few, 3);
    FUZZ_CHECK(m == (n < 3 ? n : 3));
    for (size_t i = 0; i < m; i++) {
        FUZZ_CHECK(few[i].key == keys[i].key && few[i].nkey == keys[i].nkey);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    size_t off = 0;

    check_peek(buf, size);

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
        if (req.proto == REQ_PROTO_META && req.cmd != REQ_NONE) {
            /* routed to proto/meta.c, which fuzz_meta.c checks ("mx ..."
             * names no meta command: text.c's unknown-command rules) */
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

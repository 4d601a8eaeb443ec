/*
 * fuzz_meta.c: libFuzzer target for the meta protocol (proto/meta.c), fed
 * through text_parse() as a connection would be (one entry point for both
 * dialects), with meta_parse() checked against it on every meta line.
 *
 * For every line it checks:
 *  - consumed <= remaining, progress on OK/ERROR, nothing consumed on AGAIN;
 *  - key inside the line or in req->keybuf, 1..250 bytes; opaque and flag
 *    text inside the line;
 *  - a differential oracle: the line is re-read the way memcached 1.6.45
 *    does (a NUL-terminated copy split on ' ', flag tokens checked for their
 *    first byte, numbers as strict digits as mcmc_tokto*() reads them, a
 *    separately written base64 decoder) and the error and every field must
 *    agree with meta_parse();
 *  - ms errors swallow the data block exactly when the datalen was read;
 *  - meta_compose() of responses built from the request stays within
 *    meta_compose_bound(), reports the same size when cap is too small, and
 *    ends in "\r\n" (or is empty when q drops it).
 *
 * Also compiled into tests/unit/proto/test_meta.c (FUZZ_CHECK mapped to
 * cmocka) so that every seed in seeds/meta/ is a unit test.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/meta.h"
#include "proto/text.h"

#include "fuzz_check.h"

/* ---- the oracle: memcached's rules over a NUL-terminated copy ------------ */

struct moracle {
    enum request_cmd cmd;
    unsigned char key[REQUEST_KEY_MAX];
    size_t nkey;
    bool binary, quiet, has_exptime, swallow;
    int32_t exptime, vivify, recache, vlen;
    uint32_t flags;
    uint64_t cas, new_cas, initial, delta, mflags;
    int mode;
    const char *opaque;
    size_t nopaque;
};

/* memcached 1.6.45's mcmc_tokto32: an optional '-', digits, 11 bytes at most. */
static bool m_strict_i32(const char *s, int32_t *out)
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
static bool m_strict_u64(const char *s, uint64_t *out)
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

/* memcached's base64_decode(), written again from its description. */
static size_t m_b64(const char *s, unsigned char *out)
{
    static const char *abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t len = strlen(s);
    size_t valid = 0;
    int vals[4];
    size_t k = 0, o = 0;
    int pad = 0;

    for (size_t i = 0; i < len; i++) {
        valid += s[i] == '=' || strchr(abc, s[i]) != NULL;
    }
    if (valid == 0 || valid % 4 != 0) {
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        const char *pos = s[i] != '\0' ? strchr(abc, s[i]) : NULL;
        if (s[i] != '=' && pos == NULL) {
            continue;
        }
        pad += s[i] == '=';
        vals[k++] = s[i] == '=' ? 0 : (int)(pos - abc);
        if (k == 4) {
            out[o++] = (unsigned char)(vals[0] << 2 | vals[1] >> 4);
            out[o++] = (unsigned char)(vals[1] << 4 | vals[2] >> 2);
            out[o++] = (unsigned char)(vals[2] << 6 | vals[3]);
            k = 0;
            if (pad) {
                if (pad > 2) {
                    return 0;
                }
                o -= (size_t)pad;
                break;
            }
        }
    }
    return o;
}

static enum request_error m_preparse(char **t, size_t first, size_t nt, struct moracle *o)
{
    bool seen[256] = { false };
    bool err = false;
    enum request_error msg = REQ_EFORMAT;

    for (size_t i = first; i < nt; i++) {
        unsigned char c = (unsigned char)t[i][0];
        char *v = t[i] + 1;
        uint64_t u;
        if (c >= 127 || seen[c]) {
            return REQ_EMETA_DUP;
        }
        seen[c] = true;
        if (strchr("bNTRlOPLkstcfvhuqFCEMJDIx", c) == NULL) {
            return REQ_EMETA_FLAG;
        }
        o->mflags |= REQ_MFLAG(c);
        switch (c) {
        case 'b':
            o->nkey = m_b64(t[1], o->key);
            o->binary = true;
            if (o->nkey == 0) {
                err = true, msg = REQ_EMETA_BASE64;
            }
            break;
        case 'N':
            if (*v == '\0' || !m_strict_i32(v, &o->vivify)) {
                err = true, msg = REQ_EMETA_TOKEN;
            }
            break;
        case 'T':
            o->has_exptime = *v != '\0' && m_strict_i32(v, &o->exptime);
            if (!o->has_exptime) {
                err = true, msg = REQ_EMETA_TOKEN;
            }
            break;
        case 'R':
            if (*v == '\0' || !m_strict_i32(v, &o->recache)) {
                err = true, msg = REQ_EMETA_TOKEN;
            }
            break;
        case 'O':
            o->opaque = v;
            o->nopaque = strlen(v);
            break;
        case 'q':
            o->quiet = true;
            break;
        case 'F':
            if (*v == '\0' || strlen(v) > 11 || !m_strict_u64(v, &u) || u > UINT32_MAX) {
                err = true;
            } else {
                o->flags = (uint32_t)u;
            }
            break;
        case 'C':
        case 'E':
            if (*v == '\0' || !m_strict_u64(v, c == 'C' ? &o->cas : &o->new_cas)) {
                err = true, msg = REQ_EMETA_TOKEN;
            }
            break;
        case 'M':
            /* 1.6.45: the byte after M; a lone M reads the separator */
            o->mode = *v != '\0' ? (unsigned char)v[0] : ' ';
            break;
        case 'J':
            if (*v == '\0' || !m_strict_u64(v, &o->initial)) {
                err = true, msg = REQ_EMETA_INITIAL;
            }
            break;
        case 'D':
            if (*v == '\0' || !m_strict_u64(v, &o->delta)) {
                err = true, msg = REQ_EMETA_DELTA;
            }
            break;
        default:
            break;
        }
    }
    return err ? msg : REQ_EOK;
}

/* line is NUL-terminated and writable; t has room for its tokens. */
static enum request_error m_oracle(char *line, char **t, struct moracle *o)
{
    size_t nt = 0;
    char *save = NULL;
    enum request_error e;

    memset(o, 0, sizeof(*o));
    for (char *s = strtok_r(line, " ", &save); s != NULL; s = strtok_r(NULL, " ", &save)) {
        t[nt++] = s;
    }
    if (nt == 0 || strlen(t[0]) != 2 || t[0][0] != 'm') {
        return REQ_EUNKNOWN;
    }
    size_t ntok = (nt > 23 ? 23 : nt) + 1; /* memcached's count, terminal included */
    char c = t[0][1];
    o->cmd = c == 'g' ? REQ_MG : c == 's' ? REQ_MS : c == 'd' ? REQ_MD : c == 'a' ? REQ_MA
           : c == 'n' ? REQ_MN : c == 'e' ? REQ_ME : REQ_NONE;
    if (o->cmd == REQ_NONE) {
        return REQ_EUNKNOWN;
    }
    if (o->cmd == REQ_MN) {
        return REQ_EOK;
    }
    /* memcached 1.6.45's tokenizer: a flag token starting with a byte that is
     * neither a digit nor in 'A'..'z' leaves the command with no tokens */
    size_t lim = nt < 23 ? nt : 23;
    for (size_t i = o->cmd == REQ_MS ? 3 : 2; i < lim; i++) {
        unsigned char b = (unsigned char)t[i][0];
        if (!(b > 64 && b < 123) && !(b >= '0' && b <= '9')) {
            /* mnemod (a listed deviation): an ms whose length parsed skips
             * its block, where 1.6.45 runs it as commands */
            if (o->cmd == REQ_MS && ntok >= 4 && m_strict_i32(t[2], &o->vlen) && o->vlen >= 0 &&
                o->vlen <= INT_MAX - 2) {
                o->swallow = true;
            }
            return REQ_EFORMAT;
        }
    }
    if (o->cmd == REQ_ME) {
        if (ntok < 3) {
            return REQ_EFORMAT;
        }
        if (strlen(t[1]) > REQUEST_KEY_MAX) {
            return REQ_EKEY_TOO_LONG;
        }
        o->nkey = strlen(t[1]);
        memcpy(o->key, t[1], o->nkey);
        if (ntok >= 4 && strcmp(t[2], "b") == 0) {
            o->binary = true;
            o->mflags = REQ_MFLAG('b');
            o->nkey = m_b64(t[1], o->key);
            return o->nkey == 0 ? REQ_EFORMAT : REQ_EOK;
        }
        return REQ_EOK;
    }
    if (ntok < 3) {
        return REQ_EFORMAT; /* 1.6.45; 1.6.18 answered ERROR */
    }
    size_t first = 2;
    if (o->cmd == REQ_MS) {
        /* memcached 1.6.45: the length first, strict digits; after it every
         * error swallows the block, and more than 20 tokens are too many */
        if (ntok == 3 || !m_strict_i32(t[2], &o->vlen) || o->vlen < 0 || o->vlen > INT_MAX - 2) {
            return REQ_EFORMAT;
        }
        o->swallow = true;
        first = 3;
        if (strlen(t[1]) > REQUEST_KEY_MAX) {
            return REQ_EKEY_TOO_LONG;
        }
        if (ntok - 1 > 20) {
            return REQ_EMETA_TOO_MANY_MG;
        }
    }
    /* 1.6.45: ma replaces every message of its flag scan, which also checks
     * the key length and the flag count (more than 20 tokens) */
    if (strlen(t[1]) > REQUEST_KEY_MAX) {
        return o->cmd == REQ_MA ? REQ_EMETA_FLAG_OR_DUP : REQ_EKEY_TOO_LONG;
    }
    o->nkey = strlen(t[1]);
    memcpy(o->key, t[1], o->nkey);
    if (o->cmd != REQ_MS && ntok - 1 > 20) {
        return o->cmd == REQ_MA ? REQ_EMETA_FLAG_OR_DUP : REQ_EMETA_TOO_MANY_MG;
    }
    if (o->cmd == REQ_MA) {
        o->delta = 1;
    }
    e = m_preparse(t, first, nt, o);
    if (e != REQ_EOK) {
        return o->cmd == REQ_MA ? REQ_EMETA_FLAG_OR_DUP : e;
    }
    if (o->cmd == REQ_MS) {
        if (o->mode == 0) {
            o->mode = 'S';
        } else if (strchr("SEAPR", o->mode) == NULL) {
            return REQ_EMETA_MODE_MS;
        }
    } else if (o->cmd == REQ_MA) {
        if (o->mode == 0 || o->mode == '+' || o->mode == 'I') {
            o->mode = 'I';
        } else if (o->mode == '-' || o->mode == 'D') {
            o->mode = 'D';
        } else {
            return REQ_EMETA_MODE_MA;
        }
    } else {
        o->mode = 0;
    }
    if (o->opaque != NULL && o->nopaque + 1 > 32) {
        return REQ_EMETA_OPAQUE;
    }
    return REQ_EOK;
}

static void m_oracle_check(const struct request *req, const char *line, size_t n)
{
    struct moracle o;

    if (n > 0 && line[n - 1] == '\r') {
        n--;
    }
    char *copy = malloc(n + 1);
    char **toks = malloc(sizeof(*toks) * (n / 2 + 2));
    FUZZ_CHECK(copy != NULL && toks != NULL);
    memcpy(copy, line, n);
    copy[n] = '\0';
    enum request_error err = m_oracle(copy, toks, &o);
    FUZZ_CHECK(err == req->error);
    if (req->cmd == REQ_MS && err != REQ_EOK) {
        FUZZ_CHECK(meta_error_swallows(req) == o.swallow);
        FUZZ_CHECK(!o.swallow || (uint32_t)o.vlen == req->vlen);
    } else {
        FUZZ_CHECK(!meta_error_swallows(req));
    }
    if (err == REQ_EOK) {
        FUZZ_CHECK(req->cmd == o.cmd);
        FUZZ_CHECK(req->proto == REQ_PROTO_META);
        if (req->cmd != REQ_MN) {
            FUZZ_CHECK(req->nkey == o.nkey && memcmp(req->key, o.key, o.nkey) == 0);
            FUZZ_CHECK(req->key_binary == o.binary);
            FUZZ_CHECK(req->mflags == o.mflags);
        }
        FUZZ_CHECK(req->quiet == o.quiet && req->has_exptime == o.has_exptime);
        FUZZ_CHECK(!o.has_exptime || req->exptime == o.exptime);
        FUZZ_CHECK(req->vivify_ttl == o.vivify && req->recache_ttl == o.recache);
        FUZZ_CHECK(req->flags == o.flags && req->cas == o.cas && req->new_cas == o.new_cas);
        FUZZ_CHECK(req->initial == o.initial && req->delta == o.delta);
        FUZZ_CHECK((int)req->mode == o.mode);
        FUZZ_CHECK((req->opaque == NULL) == (o.opaque == NULL));
        FUZZ_CHECK(o.opaque == NULL ||
                   (req->nopaque == o.nopaque && memcmp(req->opaque, o.opaque, o.nopaque) == 0));
        FUZZ_CHECK(req->cmd != REQ_MS || (uint32_t)o.vlen == req->vlen);
    }
    free(toks);
    free(copy);
}

/* ---- structural invariants and compose ----------------------------------- */

static void m_check_fields(const struct request *req, const char *line, size_t n)
{
    const char *lo = line;
    const char *hi = line + n;

    if (req->error != REQ_EOK) {
        return;
    }
    if (req->cmd != REQ_MN) {
        FUZZ_CHECK(req->nkey >= 1 && req->nkey <= REQUEST_KEY_MAX);
        if (req->key_binary) {
            FUZZ_CHECK(req->key == req->keybuf);
        } else {
            FUZZ_CHECK(req->key >= lo && req->key + req->nkey <= hi);
        }
    }
    if (req->opaque != NULL) {
        FUZZ_CHECK(req->opaque >= lo && req->opaque + req->nopaque <= hi);
        FUZZ_CHECK(req->nopaque < META_OPAQUE_MAX);
    }
    if (req->nmflag_text > 0) {
        FUZZ_CHECK(req->mflag_text >= lo && req->mflag_text + req->nmflag_text <= hi);
    }
}

static void m_check_compose(const struct response *rsp)
{
    size_t bound = meta_compose_bound(rsp);
    char *out = malloc(bound + 1);
    char small[4];

    FUZZ_CHECK(out != NULL);
    size_t n = meta_compose(rsp, out, bound);
    FUZZ_CHECK(n <= bound);
    if (n == 0) {
        free(out);
        return;
    }
    FUZZ_CHECK(n >= 4 && out[n - 2] == '\r' && out[n - 1] == '\n');
    FUZZ_CHECK(meta_compose(rsp, small, n < sizeof(small) ? 0 : sizeof(small)) == n);
    FUZZ_CHECK(meta_compose(rsp, out, n - 1) == n);
    free(out);
}

static void m_compose_for(const struct request *req)
{
    static const enum response_kind kinds[] = {
        RSP_VALUE, RSP_NUMBER, RSP_STORED, RSP_NOT_STORED, RSP_EXISTS, RSP_NOT_FOUND,
        RSP_DELETED, RSP_MISS, RSP_END, RSP_NOOP, RSP_DEBUG, RSP_OK, RSP_CLIENT_ERROR,
    };

    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        for (unsigned bits = 0; bits < 4; bits++) {
            struct response rsp = {
                .kind = kinds[i], .req = req, .key = req->key, .nkey = req->nkey,
                .flags = req->flags, .vlen = req->vlen, .cas = req->cas ^ req->new_cas,
                .number = req->initial ^ req->delta, .ttl = bits & 1 ? -1 : req->exptime,
                .last_access = (uint32_t)req->recache_ttl, .hit_before = bits & 2,
                .win = bits & 1, .stale = bits & 2, .won = bits == 3,
                .msg = "exp=-1 la=0 cas=1 fetch=no cls=1 size=64", .nmsg = 40,
            };
            m_check_compose(&rsp);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    size_t off = 0;

    while (off < size) {
        struct request req;
        struct request mreq;
        size_t left = size - off;
        size_t consumed = (size_t)-1;
        size_t mconsumed = (size_t)-1;
        enum parse_status st = text_parse(&req, buf + off, left, &consumed);
        enum parse_status mst = meta_parse(&mreq, buf + off, left, &mconsumed);

        FUZZ_CHECK(consumed <= left && mconsumed <= left);
        if (st == PARSE_AGAIN) {
            FUZZ_CHECK(consumed == 0);
            break;
        }
        FUZZ_CHECK(consumed > 0);
        if (st == PARSE_ERROR && req.error == REQ_ELINE_TOO_LONG) {
            break;
        }
        FUZZ_CHECK(buf[off + consumed - 1] == '\n');
        /* a meta-shaped line that names no meta command ("mx / HTTP/1.1")
         * is handled by text.c as an unknown command */
        bool is_meta = req.proto == REQ_PROTO_META && req.cmd != REQ_NONE;
        if (is_meta) {
            /* Both entry points agree on a meta line. */
            FUZZ_CHECK(mst == st && mconsumed == consumed && mreq.error == req.error);
            FUZZ_CHECK(mreq.cmd == req.cmd && mreq.mflags == req.mflags);
            FUZZ_CHECK(st == PARSE_OK ? req.error == REQ_EOK : req.error != REQ_EOK);
            m_check_fields(&req, buf + off, consumed);
            m_oracle_check(&req, buf + off, consumed - 1);
            if (st == PARSE_OK) {
                m_compose_for(&req);
            }
        } else {
            /* text_parse routes a line to meta only when its command word
             * (the bytes before the first ' ', as memcached 1.6.45 takes it)
             * is a meta command and the line has 4 bytes or more. meta_parse,
             * for callers that know they hold a meta line, skips leading
             * spaces and ends the line at a NUL, so it may still find one. */
            size_t n = consumed - 1;
            if (n > 0 && buf[off + n - 1] == '\r') {
                n--;
            }
            const char *w = (const char *)buf + off;
            const char *sp = memchr(w, ' ', n);
            size_t wn = sp != NULL ? (size_t)(sp - w) : n;
            FUZZ_CHECK(consumed < 4 || wn != 2 || w[0] != 'm' || w[1] == '\0' ||
                       strchr("gsdane", w[1]) == NULL);
            (void)mst;
        }
        off += consumed;
        bool block = is_meta && (st == PARSE_OK ? req.cmd == REQ_MS : meta_error_swallows(&req));
        if (!is_meta && st == PARSE_OK && request_is_storage(req.cmd)) {
            block = true;
        }
        if (block) {
            size_t n = (size_t)req.vlen + 2;
            if (n > size - off) {
                break;
            }
            off += n;
        }
    }
    return 0;
}

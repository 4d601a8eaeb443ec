/*
 * meta.c: memcached's meta protocol (mg, ms, md, ma, mn, me). meta_parse()
 * turns one command line into a struct request; meta_compose() turns a
 * struct response into the reply line. Pure: nothing of sockets or of the
 * store, no allocation.
 *
 *   line ──split on ' '──▶ cmd key [datalen] flag* ──preparse──▶ request
 *   (cut at NUL)            (≤ 23 tokens)              │ each flag once,
 *                                                      │ tokens read,
 *                                                      ▼ b-key decoded
 *   reply ◀── code + return flags in request order ◀── response + request
 *
 * The grammar is memcached 1.6.45's (proto_parser.c: process_request,
 * _meta_flag_preparse, process_m{get,set,delete,arithmetic}_cmd;
 * proto_text.c: process_meta_command; vendor/mcmc: the tokenizer and its
 * strict numbers), including its quirks. Observed against memcached 1.6.45,
 * one connection per case (where 1.6.18 differed, it says so):
 *
 *   request line                            memcached reply                     error
 *   --------------------------------------  ----------------------------------  ---------------------
 *   "mg" / "mg " / "ms" / "md" / "ma"       CLIENT_ERROR bad command line format  REQ_EFORMAT
 *                                           (1.6.18: ERROR)
 *   "mg k !" / "mg k @" / "mg k {" / "ms k 2 \x80" / "me k !"
 *                                           CLIENT_ERROR bad command line format  REQ_EFORMAT
 *                                           (a flag token must start with a digit or a
 *                                           byte in 'A'..'z'; ms: nothing swallowed)
 *   "MG k" / "mx k" / "mgg k" / "m k"       ERROR                               REQ_EUNKNOWN
 *   mg/ms/md/ma/me with a 251-byte key      CLIENT_ERROR bad command line format  REQ_EKEY_TOO_LONG
 *   "me"                                    CLIENT_ERROR bad command line format  REQ_EFORMAT
 *   "me k b" (bad base64)                   CLIENT_ERROR bad command line format  REQ_EFORMAT
 *   "ms k" / "ms k abc" / "ms k -1" / "ms k 2x" / "ms k +2" / "ms k S2" / "ms k 2147483646"
 *                                           CLIENT_ERROR bad command line format  REQ_EFORMAT
 *                                           (no swallow: the data line then answers ERROR)
 *   "ms <251-byte key> 2"                   CLIENT_ERROR bad command line format  REQ_EKEY_TOO_LONG
 *                                           (1.6.45: the data block is swallowed)
 *   "mg k z" / "mg k S5" / "mg k [" / "ms k 2 x" / "md k Z"
 *                                           CLIENT_ERROR invalid flag           REQ_EMETA_FLAG
 *   "mg k v v" / "mg k Oa Ob" / "md k v v"  CLIENT_ERROR duplicate flag         REQ_EMETA_DUP
 *   "mg k Tabc" / "mg k T" / "mg k N" / "mg k Rx" / "mg k C-1" / "mg k T+5" / "ms k 2 Cabc"
 *                                           CLIENT_ERROR bad token in command line format  REQ_EMETA_TOKEN
 *   "mg k Fabc" / "ms k 2 F-1" / "ms k 2 F+1"  CLIENT_ERROR bad command line format  REQ_EFORMAT
 *     (flag numbers are strict digits in 1.6.45; 1.6.18 read them with strto*)
 *   "mg k Jabc"                             CLIENT_ERROR invalid numeric initial value  REQ_EMETA_INITIAL
 *   "mg k Dabc" / "mg k D-1"                CLIENT_ERROR invalid numeric delta value    REQ_EMETA_DELTA
 *   "mg k Mxx" / "ms k 2 MSS" / "ma k MII"  valid: M takes the byte after it (1.6.18:
 *                                           "incorrect length for M token"); mg, md ignore it
 *   "mg a1 b" / "mg YWJ b" / "mg ==== b" / "mg YWJj==== b"
 *                                           CLIENT_ERROR error decoding key     REQ_EMETA_BASE64
 *   "ma k z" / "ma k Dabc" / "ma k D+1" / ma with a 251-byte key or 19 flags
 *                                           CLIENT_ERROR invalid or duplicate flag  REQ_EMETA_FLAG_OR_DUP
 *                                           (md reports mg's messages; 1.6.18 gave md this one)
 *   "mg k O" + 32 bytes (33 with the O)     CLIENT_ERROR opaque token too long  REQ_EMETA_OPAQUE
 *   "ms k 2 Mx" / "ms k 2 Ms" / "ms k 2 M"  CLIENT_ERROR invalid mode for ms M token  REQ_EMETA_MODE_MS
 *   "ma k Mx" / "ma k Mi" / "ma k M"        CLIENT_ERROR invalid mode for ma M token  REQ_EMETA_MODE_MA
 *   mg/md + 19 flags, "ms k 2" + 18 flags   CLIENT_ERROR options flags are too long  REQ_EMETA_TOO_MANY_MG
 *                                           (more than 20 tokens; ms swallows the block;
 *                                           1.6.18 counted one token more and md/ma said
 *                                           "options flags too long")
 *
 * Precedence (memcached checks in this order): the flags' first bytes,
 * token count, [ms: datalen], key length, flag count, then the flags
 * left to right: an unknown flag or a repeat ends the scan at once; a bad
 * value is remembered (the last one's message wins, F's keeps the earlier
 * one) and the scan goes on; then ms/ma mode; then opaque length. Every
 * ms error after the datalen was read swallows the data block. Errors are
 * sent whatever q says.
 *
 * Replies (observed):
 *   "mn" / "mn foo" / "mn q"                MN
 *   "mg k" hit / "mg k q" hit               HD
 *   "mg k s v f t c k O1 h l" hit           VA 2 s2 f0 t-1 c1 kk O1 h1 l0   + data
 *   "mg missing k O55 s v"                  EN kmissing O55     (only O and k on a miss)
 *   "mg missing q"                          (nothing)
 *   "mg YWJj b k" (hit or miss)             HD kYWJj b / EN kYWJj b  (b right after k)
 *   "mg a5 N30 s v t c" twice               VA 0 s0 t30 c6 W  then  VA 0 s0 t30 c6 Z
 *   "mg a6 N30 q" (miss)                    HD W                 (q does not drop a hit)
 *   after "md k I": "mg k v c" twice        VA 2 c10 X W  then  VA 2 c10 Z X   (order Z X W)
 *   "ms k 2 c k O5" / "ms k 2 O5 k c"       HD c32 kk O5 / HD O5 kk c33
 *   "ms k 2 q" stored / "ms k 2 ME q" exists  (nothing) / NS
 *   "ms k 2 b k c O1 ME" (k = czE4)         NS kczE4 b c0 O1
 *   "md k q" found / missing                (nothing) / NF
 *   "md k O7 k c C1" (cas differs)          EX O7 kk
 *   "ma k N0 J10 v" / "ma k v"              VA 2 + "10" / VA 2 + "11"
 *   "ma k v M+ D7 t c k O9"                 VA 1 t-1 c22 kk O9  + "7"
 *   "ma k q" hit / created by N / missing   (nothing) / (nothing; 1.6.18: HD) / NF
 *   "me k" hit                              ME k exp=-1 la=0 cas=15 fetch=no cls=1 size=64
 *   "me k" miss                             EN
 *
 * Accepted quirks (memcached answers as if valid): every flag letter of
 * every command is accepted by every command (mg takes C, F, I, D, J, M, P,
 * L and ignores them; md ignores v, s, ...); "mg k Mx" is fine (mode is
 * checked only by ms and ma); flag tokens are only looked at by their first
 * byte ("mg k vfoo" is v); numbers are strict digits (1.6.45);
 * "O" alone is an empty opaque, echoed as "O"; "mg k\tv" is key "k\tv".
 *
 * Kept from 1.6.18 where 1.6.45 has a plain bug: "me <key> b" decodes the
 * key (1.6.45 ignores b there), ma checks its opaque before it changes the
 * counter (1.6.45 increments, then refuses), a NUL ends the line. E (new
 * CAS, read like C) and x (md: drop the value, keep the item) are 1.6.45's.
 */
#include "proto/meta.h"

#include "proto/number.h"
#include "proto/token.h"

#include <limits.h>
#include <string.h>

#include "proto/base64.h"

/* ---- tokens ---------------------------------------------------------------- */

/* memcached's MAX_TOKENS - 1: the tokenizer stops after 23 tokens. */
#define META_TOKENS_MAX 23
/* memcached's MFLAG_MAX_OPT_LENGTH: at most 20 tokens counting the empty
 * terminal one memcached's tokenizer adds. */
#define META_NTOKENS_MAX 20

struct mtok {
    const char *s;
    size_t n;
};

/*
 * Split line[0..n) on ' ' into at most META_TOKENS_MAX tokens; a NUL ends the
 * line for good (memcached tokenizes with strlen()). Returns the count; more
 * than META_NTOKENS_MAX - 1 means "too many", whatever the exact number.
 */
static size_t tokenize(const char *line, size_t n, struct mtok *t)
{
    const char *p = line;
    const char *end = line + n;
    const char *z = memchr(line, '\0', n);
    size_t nt = 0;

    if (z != NULL) {
        end = z;
    }
    while (nt < META_TOKENS_MAX) {
        while (p < end && *p == ' ') {
            p++;
        }
        if (p >= end) {
            break;
        }
        const char *s = p;
        p = token_end(p, end);
        t[nt].s = s;
        t[nt].n = (size_t)(p - s);
        nt++;
    }
    return nt;
}

/* ---- flags ------------------------------------------------------------------- */

/*
 * _meta_flag_preparse(): every flag token in order, by its first byte. A
 * byte >= 127 or a repeat is "duplicate flag" at once, an unknown letter
 * "invalid flag" at once; a bad value sets the error and the scan goes on,
 * each bad value overwriting the message except F's (memcached sets no
 * message for it, so it keeps the last one, by default "bad command line
 * format").
 */
static enum request_error preparse(struct request *req, const struct mtok *t, size_t first,
                                   size_t nt)
{
    uint64_t seen[2] = { 0, 0 };
    bool has_error = false;
    enum request_error msg = REQ_EFORMAT;
    int32_t i32;

#define SEEN(c) (((seen[(c) >> 6] >> ((c) & 63)) & 1) != 0)
    if (first < nt) {
        req->mflag_text = t[first].s;
        req->nmflag_text = (size_t)(t[nt - 1].s + t[nt - 1].n - t[first].s);
    }
    for (size_t i = first; i < nt; i++) {
        unsigned char o = (unsigned char)t[i].s[0];
        const char *v = t[i].s + 1;
        size_t nv = t[i].n - 1;

        if (o >= 127 || (seen[o >> 6] >> (o & 63)) & 1) {
            return REQ_EMETA_DUP;
        }
        seen[o >> 6] |= 1ull << (o & 63);
        switch (o) {
        case 'b': {
            size_t nk = base64_decode(req->key, req->nkey, (unsigned char *)req->keybuf);
            if (nk == 0) {
                has_error = true;
                msg = REQ_EMETA_BASE64;
            }
            req->key = req->keybuf;
            req->nkey = nk;
            req->key_binary = true;
            break;
        }
        case 'N':
        case 'T':
        case 'R':
            if (nv == 0 || !number_strict_i32(v, nv, &i32)) {
                has_error = true;
                msg = REQ_EMETA_TOKEN;
            } else if (o == 'N') {
                req->vivify_ttl = i32;
            } else if (o == 'T') {
                req->exptime = i32;
                req->has_exptime = true;
            } else {
                req->recache_ttl = i32;
            }
            /* memcached applies N, T, R and t in the order they came */
            if (o == 'R') {
                req->recache_before_touch = !SEEN('T');
            } else if (o == 'N') {
                req->vivify_after_touch = SEEN('T');
            }
            break;
        case 'O':
            req->opaque = v;
            req->nopaque = nv;
            break;
        case 'q':
            req->quiet = true;
            break;
        case 'P': /* proxy flags: accepted, ignored */
        case 'L':
        case 't':
            req->ttl_before_touch = !SEEN('T');
            req->ttl_before_vivify = !SEEN('N');
            break;
        case 'k':
        case 's':
        case 'c':
        case 'f':
        case 'v':
        case 'h':
        case 'l':
        case 'u':
        case 'I':
        case 'x': /* md x: later memcached; 1.6.18 refuses it */
            break;
        case 'F':
            if (nv == 0 || !number_strict_u32(v, nv, &req->flags)) {
                has_error = true; /* no message of its own */
            }
            break;
        case 'C':
        case 'E': /* new CAS: later memcached; 1.6.18 refuses it */
            if (nv == 0 || !number_strict_u64(v, nv, o == 'C' ? &req->cas : &req->new_cas)) {
                has_error = true;
                msg = REQ_EMETA_TOKEN;
            }
            if (o == 'C') {
                req->cas_rule = REQ_CAS_SET_REPLACE; /* memcached: ms C turns S and R into cas */
            }
            break;
        case 'M':
            /* 1.6.45 takes the byte after M, whatever the token's length;
             * a lone M reads the separator after it: an invalid mode */
            req->mode = (enum request_mode)(nv > 0 ? (unsigned char)v[0] : ' ');
            break;
        case 'J':
            if (nv == 0 || !number_strict_u64(v, nv, &req->initial)) {
                has_error = true;
                msg = REQ_EMETA_INITIAL;
            }
            break;
        case 'D':
            if (nv == 0 || !number_strict_u64(v, nv, &req->delta)) {
                has_error = true;
                msg = REQ_EMETA_DELTA;
            }
            break;
        default:
            return REQ_EMETA_FLAG;
        }
        req->mflags |= REQ_MFLAG(o);
    }
    req->omit_value = !SEEN('v');
    return has_error ? msg : REQ_EOK;
#undef SEEN
}

static enum request_error check_opaque(const struct request *req)
{
    if (req->opaque != NULL && req->nopaque + 1 > META_OPAQUE_MAX) {
        return REQ_EMETA_OPAQUE;
    }
    return REQ_EOK;
}

/* ms M: memcached's raw letter, normalised; anything else is refused. */
static enum request_error ms_mode(struct request *req)
{
    switch ((int)req->mode) {
    case 0:
        req->mode = REQ_MODE_SET;
        return REQ_EOK;
    case 'S':
    case 'E':
    case 'A':
    case 'P':
    case 'R':
        return REQ_EOK;
    default:
        return REQ_EMETA_MODE_MS;
    }
}

static enum request_error ma_mode(struct request *req)
{
    switch ((int)req->mode) {
    case 0:
    case 'I':
    case '+':
        req->mode = REQ_MODE_INCR;
        return REQ_EOK;
    case 'D':
    case '-':
        req->mode = REQ_MODE_DECR;
        return REQ_EOK;
    default:
        return REQ_EMETA_MODE_MA;
    }
}

/* ---- commands ------------------------------------------------------------------ */

/*
 * memcached 1.6.45's tokenizer refuses a line whose flag token starts with
 * a byte that is neither a digit nor in 'A'..'z': the command then has no
 * tokens at all, which it answers "bad command line format" (for ms before
 * the length is read, so it swallows nothing; mnemod does: meta_parse_line).
 */
static bool flag_bytes_ok(const struct mtok *t, size_t first, size_t nt)
{
    for (size_t i = first; i < nt; i++) {
        unsigned char c = (unsigned char)t[i].s[0];
        if (!(c > 64 && c < 123) && !(c >= '0' && c <= '9')) {
            return false;
        }
    }
    return true;
}

static void set_key(struct request *req, const struct mtok *k)
{
    req->key = k->s;
    req->nkey = k->n;
    req->nkeys = 1;
}

/* me <key> [b]: only an exact "b" as the first flag decodes the key. */
static enum request_error parse_me(struct request *req, const struct mtok *t, size_t nt)
{
    if (nt < 2 || t[1].n > REQUEST_KEY_MAX) {
        return nt < 2 ? REQ_EFORMAT : REQ_EKEY_TOO_LONG;
    }
    set_key(req, &t[1]);
    if (nt >= 3 && t[2].n == 1 && t[2].s[0] == 'b') {
        size_t nk = base64_decode(t[1].s, t[1].n, (unsigned char *)req->keybuf);
        if (nk == 0) {
            return REQ_EFORMAT;
        }
        req->key = req->keybuf;
        req->nkey = nk;
        req->key_binary = true;
        req->mflags = REQ_MFLAG('b');
    }
    return REQ_EOK;
}

/*
 * ms <key> <datalen> <flag>*, in memcached 1.6.45's order: the data length
 * first (strict digits); once it is read every error swallows the data
 * block, including a key over 250 bytes and too many flags.
 */
static enum request_error parse_ms(struct request *req, const struct mtok *t, size_t nt)
{
    int32_t vlen;
    enum request_error e;

    if (nt < 3 || !number_strict_i32(t[2].s, t[2].n, &vlen) || vlen < 0 || vlen > INT_MAX - 2) {
        return REQ_EFORMAT;
    }
    req->vlen = (uint32_t)vlen;
    req->swallow_on_error = true;
    if (t[1].n > REQUEST_KEY_MAX) {
        return REQ_EKEY_TOO_LONG;
    }
    if (nt > META_NTOKENS_MAX) {
        return REQ_EMETA_TOO_MANY_MG;
    }
    set_key(req, &t[1]);
    e = preparse(req, t, 3, nt);
    if (e == REQ_EOK) {
        e = ms_mode(req);
    }
    return e != REQ_EOK ? e : check_opaque(req);
}

/* mg, md, ma: <key> <flag>* */
static enum request_error parse_keyed(struct request *req, const struct mtok *t, size_t nt)
{
    enum request_error e;

    /* memcached 1.6.45 checks the key length and the flag count inside its
     * flag scan, whose every message ma replaces with one of its own. */
    if (t[1].n > REQUEST_KEY_MAX) {
        return req->cmd == REQ_MA ? REQ_EMETA_FLAG_OR_DUP : REQ_EKEY_TOO_LONG;
    }
    if (nt > META_NTOKENS_MAX) {
        return req->cmd == REQ_MA ? REQ_EMETA_FLAG_OR_DUP : REQ_EMETA_TOO_MANY_MG;
    }
    set_key(req, &t[1]);
    if (req->cmd == REQ_MA) {
        req->delta = 1;
    }
    e = preparse(req, t, 2, nt);
    if (e != REQ_EOK) {
        return req->cmd == REQ_MA ? REQ_EMETA_FLAG_OR_DUP : e;
    }
    if (req->cmd == REQ_MA) {
        e = ma_mode(req);
    } else {
        req->mode = REQ_MODE_NONE; /* mg and md ignore M */
    }
    return e != REQ_EOK ? e : check_opaque(req);
}

enum request_error meta_parse_line(struct request *req, const char *line, size_t n)
{
    struct mtok t[META_TOKENS_MAX];
    size_t nt = tokenize(line, n, t);

    req->proto = REQ_PROTO_META;
    req->single_key = true;
    req->skip_prefix_stats = true;
    if (nt == 0 || t[0].n != 2 || t[0].s[0] != 'm') {
        return REQ_EUNKNOWN;
    }
    switch (t[0].s[1]) {
    case 'n':
        req->cmd = REQ_MN;
        return REQ_EOK;
    case 'e':
        req->cmd = REQ_ME;
        return flag_bytes_ok(t, 2, nt) ? parse_me(req, t, nt) : REQ_EFORMAT;
    case 'g':
        req->cmd = REQ_MG;
        break;
    case 's':
        req->cmd = REQ_MS;
        break;
    case 'd':
        req->cmd = REQ_MD;
        break;
    case 'a':
        req->cmd = REQ_MA;
        break;
    default:
        return REQ_EUNKNOWN;
    }
    if (nt < 2) {
        return REQ_EFORMAT;
    }
    if (!flag_bytes_ok(t, req->cmd == REQ_MS ? 3 : 2, nt)) {
        /* A listed deviation: memcached 1.6.45 refuses such an ms before
         * reading its length and so runs the data block as commands (the
         * hole issue 18 closes); mnemod skips the block once the length
         * parsed, as for every other refused ms. */
        int32_t vlen;
        if (req->cmd == REQ_MS && nt >= 3 && number_strict_i32(t[2].s, t[2].n, &vlen) &&
            vlen >= 0 && vlen <= INT_MAX - 2) {
            req->vlen = (uint32_t)vlen;
            req->swallow_on_error = true;
        }
        return REQ_EFORMAT;
    }
    return req->cmd == REQ_MS ? parse_ms(req, t, nt) : parse_keyed(req, t, nt);
}

enum parse_status meta_parse(struct request *req, const char *buf, size_t len, size_t *consumed)
{
    size_t n = 0;

    request_reset(req);
    req->proto = REQ_PROTO_META;
    /* memcached closes a connection whose line passes 2048 bytes unless it
     * is a get/gets; a meta line never is. */
    enum parse_status ps = line_frame(req, buf, len, false, &n, consumed);
    if (ps != PARSE_OK) {
        return ps;
    }
    req->error = meta_parse_line(req, buf, n);
    return req->error == REQ_EOK ? PARSE_OK : PARSE_ERROR;
}

bool meta_error_swallows(const struct request *req)
{
    return req->cmd == REQ_MS && req->error != REQ_EOK && req->swallow_on_error;
}

/* ---- compose ------------------------------------------------------------------- */

#define U64_DIGITS_MAX 20

struct out {
    char *buf;
    size_t cap;
    size_t n; /* bytes the reply needs; written only while they fit */
};

static void put(struct out *o, const void *s, size_t n)
{
    if (n > 0 && o->n + n <= o->cap) {
        memcpy(o->buf + o->n, s, n);
    }
    o->n += n;
}

#define PUT_LIT(o, lit) put((o), lit, sizeof(lit) - 1)

static void put_u64(struct out *o, uint64_t v)
{
    char tmp[U64_DIGITS_MAX];
    char *p = tmp + sizeof(tmp);

    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    put(o, p, (size_t)(tmp + sizeof(tmp) - p));
}

static void put_i64(struct out *o, int64_t v)
{
    if (v < 0) {
        PUT_LIT(o, "-");
        put_u64(o, 0 - (uint64_t)v);
    } else {
        put_u64(o, (uint64_t)v);
    }
}

/* " <letter>" */
static void put_flag(struct out *o, char c)
{
    char s[2] = { ' ', c };
    put(o, s, 2);
}

/* The key as memcached's META_KEY(): base64 then " b" when binary. */
static void put_key(struct out *o, bool binary, const char *key, size_t nkey)
{
    if (binary) {
        char enc[BASE64_ENCODED_LEN(REQUEST_KEY_MAX)];
        size_t n = base64_encode((const unsigned char *)key,
                                 nkey <= REQUEST_KEY_MAX ? nkey : REQUEST_KEY_MAX, enc);
        put(o, enc, n);
    } else {
        put(o, key, nkey);
    }
}

/* Which return flags a reply carries (memcached prints no others). */
enum echo {
    ECHO_OK_MG = 1, /* mg hit: s t c f l h O k */
    ECHO_OK_MS,     /* ms, any code: O k c s */
    ECHO_OK_MA,     /* ma success: c t O k */
    ECHO_BASIC      /* misses and failures: O k */
};

static void put_return_flags(struct out *o, const struct response *rsp, enum echo which)
{
    const struct request *req = rsp->req;
    const char *p = req->mflag_text;

    if (p == NULL) {
        return;
    }
    const char *end = p + req->nmflag_text;
    while (p < end) {
        while (p < end && *p == ' ') {
            p++;
        }
        if (p >= end) {
            break;
        }
        char c = *p;
        p = token_end(p, end);
        switch (c) {
        case 'O':
            PUT_LIT(o, " O");
            put(o, req->opaque, req->nopaque);
            continue;
        case 'k': {
            /* a stored key the way it was stored (memcached 1.6.45's mg),
             * otherwise the way the request spelled it; the bytes are the
             * request's either way (the item's may be released by now) */
            bool binary = rsp->key_item ? rsp->key_binary : req->key_binary;
            put_flag(o, 'k');
            put_key(o, binary, req->key, req->nkey);
            if (binary) {
                put_flag(o, 'b');
            }
            continue;
        }
        default:
            break;
        }
        if (which == ECHO_BASIC) {
            continue;
        }
        switch (c) {
        case 'c':
            put_flag(o, 'c');
            put_u64(o, rsp->cas);
            break;
        case 't':
            if (which != ECHO_OK_MS) {
                put_flag(o, 't');
                put_i64(o, rsp->ttl < 0 ? -1 : rsp->ttl);
            }
            break;
        case 's':
            if (which == ECHO_OK_MS) {
                /* memcached 1.6.45: the stored value's size (append/prepend:
                 * the whole value), or the size sent when nothing was stored */
                put_flag(o, 's');
                put_u64(o, rsp->kind == RSP_STORED ? rsp->vlen : req->vlen);
                break;
            }
            /* fall through */
        case 'f':
        case 'l':
        case 'h':
            if (which != ECHO_OK_MG) {
                break;
            }
            put_flag(o, c);
            put_u64(o, c == 's' ? rsp->vlen : c == 'f' ? rsp->flags
                       : c == 'l' ? rsp->last_access : (uint64_t)rsp->hit_before);
            break;
        default:
            break;
        }
    }
}

/* Does q drop this reply? (memcached 1.6.45, see meta.h) */
static bool quiet_drops(const struct response *rsp)
{
    const struct request *req = rsp->req;

    if (!req->quiet) {
        return false;
    }
    switch (rsp->kind) {
    case RSP_MISS:
    case RSP_END:
        return req->cmd == REQ_MG;
    case RSP_STORED:
    case RSP_DELETED:
    case RSP_TOUCHED:
    case RSP_OK:
        return req->cmd == REQ_MS || req->cmd == REQ_MD || req->cmd == REQ_MA;
    case RSP_NUMBER:
        /* memcached 1.6.45 hides ma's success with q, also when N created
         * the counter (1.6.18 showed that one) */
        return req->cmd == REQ_MA;
    default:
        return false;
    }
}

static void compose_into(const struct response *rsp, struct out *o)
{
    const struct request *req = rsp->req;
    bool want_value = (req->mflags & REQ_MFLAG('v')) != 0;
    char num[U64_DIGITS_MAX];
    size_t nnum = 0;

    switch (rsp->kind) {
    case RSP_VALUE:
        if (want_value) {
            PUT_LIT(o, "VA ");
            put_u64(o, rsp->vlen);
        } else {
            PUT_LIT(o, "HD");
        }
        if (req->cmd == REQ_MG) {
            put_return_flags(o, rsp, ECHO_OK_MG);
            /* memcached appends these after the asked-for flags, in this order. */
            if (rsp->won) {
                put_flag(o, 'Z');
            }
            if (rsp->stale) {
                put_flag(o, 'X');
            }
            if (rsp->win) {
                put_flag(o, 'W');
            }
        } else {
            put_return_flags(o, rsp, ECHO_BASIC);
        }
        break;
    case RSP_NUMBER: {
        uint64_t v = rsp->number;
        char *p = num + sizeof(num);
        do {
            *--p = (char)('0' + v % 10);
            v /= 10;
        } while (v > 0);
        nnum = (size_t)(num + sizeof(num) - p);
        memmove(num, p, nnum);
        if (want_value) {
            PUT_LIT(o, "VA ");
            put_u64(o, nnum);
        } else {
            PUT_LIT(o, "HD");
        }
        put_return_flags(o, rsp, ECHO_OK_MA);
        if (want_value) {
            PUT_LIT(o, "\r\n");
            put(o, num, nnum);
        }
        break;
    }
    case RSP_STORED:
    case RSP_DELETED:
    case RSP_TOUCHED:
    case RSP_OK:
        PUT_LIT(o, "HD");
        put_return_flags(o, rsp, req->cmd == REQ_MS ? ECHO_OK_MS
                                 : req->cmd == REQ_MA ? ECHO_OK_MA : ECHO_BASIC);
        break;
    case RSP_NOT_STORED:
    case RSP_EXISTS:
    case RSP_NOT_FOUND:
        put(o, rsp->kind == RSP_NOT_STORED ? "NS" : rsp->kind == RSP_EXISTS ? "EX" : "NF", 2);
        put_return_flags(o, rsp, req->cmd == REQ_MS ? ECHO_OK_MS : ECHO_BASIC);
        break;
    case RSP_MISS:
    case RSP_END:
        PUT_LIT(o, "EN");
        if (req->cmd != REQ_ME) {
            put_return_flags(o, rsp, ECHO_BASIC);
        }
        break;
    case RSP_NOOP:
        PUT_LIT(o, "MN");
        break;
    case RSP_DEBUG:
        PUT_LIT(o, "ME ");
        if (rsp->key != NULL) {
            put_key(o, rsp->key_item ? rsp->key_binary : req->key_binary, rsp->key, rsp->nkey);
        } else {
            put_key(o, req->key_binary, req->key, req->nkey);
        }
        PUT_LIT(o, " ");
        put(o, rsp->msg, rsp->msg != NULL ? rsp->nmsg : 0);
        break;
    default:
        return;
    }
    PUT_LIT(o, "\r\n");
}

size_t meta_compose(const struct response *rsp, char *buf, size_t cap)
{
    struct out o = { buf, cap, 0 };

    switch (rsp->kind) {
    case RSP_ERROR:
    case RSP_CLIENT_ERROR:
    case RSP_SERVER_ERROR:
    case RSP_VERSION:
    case RSP_STAT:
    case RSP_RESET:
    case RSP_LINE:
    case RSP_AUTH_DATA:
        return line_compose(rsp, buf, cap);
    default:
        break;
    }
    if (rsp->req == NULL) {
        if (rsp->kind != RSP_NOOP) {
            return 0;
        }
        put(&o, "MN\r\n", 4);
        return o.n;
    }
    if (quiet_drops(rsp)) {
        return 0;
    }
    compose_into(rsp, &o);
    return o.n;
}

size_t meta_compose_bound(const struct response *rsp)
{
    const struct request *req = rsp->req;

    switch (rsp->kind) {
    case RSP_ERROR:
    case RSP_CLIENT_ERROR:
    case RSP_SERVER_ERROR:
    case RSP_VERSION:
    case RSP_STAT:
    case RSP_RESET:
    case RSP_LINE:
    case RSP_AUTH_DATA:
        return line_compose_bound(rsp);
    default:
        break;
    }
    if (req == NULL) {
        return 4;
    }
    /* code + size, each flag as " x" + a 20-digit number, the key (base64
     * when binary, plus " b"), the opaque, " Z X W", the ma number line,
     * the me message, "\r\n" twice. */
    size_t nkey = rsp->key != NULL && rsp->nkey > req->nkey ? rsp->nkey : req->nkey;
    size_t flags = req->nmflag_text / 2 + 1;
    return 4 + U64_DIGITS_MAX + flags * (2 + U64_DIGITS_MAX) + BASE64_ENCODED_LEN(nkey) + nkey +
           2 + req->nopaque + 6 + U64_DIGITS_MAX + 2 + (rsp->msg != NULL ? rsp->nmsg : 0) + 2 + 2;
}

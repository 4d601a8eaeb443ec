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
 * proto_text.c: process_meta_command; vendor/mcmc's tokenizer and number
 * readers), including its quirks. Observed against memcached 1.6.45, one
 * connection per case:
 *
 *   request line                            memcached reply                     error
 *   --------------------------------------  ----------------------------------  ---------------------
 *   "MG k" / "mx k" / "mgg k" / "m k"       ERROR                               REQ_EUNKNOWN
 *   "mg" / "mg " / "md" / "ma" / "me" / "ms" / "ms k"
 *                                           CLIENT_ERROR bad command line format  REQ_EFORMAT
 *   a flag token (from the one after the key; ms: after the datalen) whose
 *   first byte is neither a letter 'A'..'z' nor a digit: "mg k !",
 *   "mg k \x80", "mg k {", "ms k 1 @", "me k !" (only the first 23 tokens
 *   are looked at)                          CLIENT_ERROR bad command line format  REQ_EFORMAT
 *                                           (ms: no swallow, the data line is then a command)
 *   "ms k abc" / "ms k -1" / "ms k +2" / "ms k 2147483646"
 *                                           CLIENT_ERROR bad command line format  REQ_EFORMAT
 *                                           (no swallow)
 *   mg/md/ms/me with a 251-byte key         CLIENT_ERROR bad command line format  REQ_EKEY_TOO_LONG
 *                                           (ms: the data block is swallowed)
 *   mg/md/ms with more than 20 tokens       CLIENT_ERROR options flags are too long  REQ_EMETA_TOO_MANY_MG
 *   "mg k z" / "mg k 5" / "mg k [" / "md k 0" / "ms k 2 S5"
 *                                           CLIENT_ERROR invalid flag           REQ_EMETA_FLAG
 *   "mg k v v" / "mg k Oa Ob"               CLIENT_ERROR duplicate flag         REQ_EMETA_DUP
 *   "mg k Tabc" / "mg k T" / "mg k T+5" / "mg k N" / "mg k C-1" / "md k Cabc"
 *                                           CLIENT_ERROR bad token in command line format  REQ_EMETA_TOKEN
 *   "mg k Fabc" / "ms k 2 F+1" / "md k F000000000001"
 *                                           CLIENT_ERROR bad command line format  REQ_EFORMAT
 *   "mg k Jabc"                             CLIENT_ERROR invalid numeric initial value  REQ_EMETA_INITIAL
 *   "mg k Dabc" / "mg k D-1"                CLIENT_ERROR invalid numeric delta value    REQ_EMETA_DELTA
 *   "mg a1 b" / "md k b" / "mg ==== b"      CLIENT_ERROR error decoding key     REQ_EMETA_BASE64
 *   "mg k O" + 32 bytes (33 with the O)     CLIENT_ERROR opaque token too long  REQ_EMETA_OPAQUE
 *   "ms k 2 Mx" / "ms k 2 M" / "ms k 2 MI"  CLIENT_ERROR invalid mode for ms M token  REQ_EMETA_MODE_MS
 *   "ma k Mx" / "ma k M" / "ma n Mfoo"      CLIENT_ERROR invalid mode for ma M token  REQ_EMETA_MODE_MA
 *   ma: a 251-byte key, too many tokens, any flag error ("ma k z", "ma k D+1")
 *                                           CLIENT_ERROR invalid or duplicate flag  REQ_EMETA_FLAG_OR_DUP
 *
 * Precedence (memcached checks in this order): the flag tokens' first
 * bytes, token count ("mg"), [ms: datalen, strict digits], key length, flag
 * count, then the flags left to right: an unknown flag or a repeat ends
 * the scan at once; a bad value is remembered (the last one's message wins,
 * F's keeps the earlier one) and the scan goes on; then ms/ma mode; then
 * opaque length. Every ms error after the datalen was read swallows the
 * data block. Errors are sent whatever q says.
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
 *   "ma k q" hit / created by N / missing   (nothing) / HD / NF
 *   "me k" hit                              ME k exp=-1 la=0 cas=15 fetch=no cls=1 size=64
 *   "me k" miss                             EN
 *
 * Accepted quirks (memcached answers as if valid): every flag letter of
 * every command is accepted by every command (mg takes C, F, I, D, J, M, P,
 * L, E, x and ignores them; md ignores v, s, ...); M counts only its first
 * byte ("ms k 1 MSS" is set mode, "mg k Mxx" is fine: mode is checked only
 * by ms and ma); flag tokens are only looked at by their first byte ("mg k
 * vfoo" is v); numbers are strict (mcmc_tokto*: digits only, '-' for the
 * signed T/N/R, at most 11 bytes, 22 for C/E/J/D); "O" alone is an empty
 * opaque, echoed as "O"; "mg k\tv" is key "k\tv".
 *
 * A deliberate difference: "me <key> b" decodes the key. memcached 1.6.45
 * ignores a "b" that ends the line (its check still counts the terminal
 * token the old tokenizer added), so "me aw== b" looks up the key "aw==";
 * protocol.txt says b means the key is base64, and 1.6.18 decoded it.
 */
#include "proto/meta.h"

#include "proto/number.h"
#include "proto/token.h"

#include <limits.h>
#include <string.h>

#include "proto/base64.h"

/* ---- tokens ---------------------------------------------------------------- */

/* mcmc's tokenizer stops after 23 tokens (MCMC_PARSER_MAX_TOKENS - 1). */
#define META_TOKENS_MAX 23
/* memcached's MFLAG_MAX_OPT_LENGTH: more tokens than this are too many. */
#define META_NTOKENS_MAX 20

struct mtok {
    const char *s;
    size_t n;
};

/*
 * Split line[0..n) on ' ' into at most META_TOKENS_MAX tokens; a NUL ends the
 * line (text.c's framing cuts there too, so both entry points agree).
 * Returns the count; more than META_NTOKENS_MAX means "too many", whatever
 * the exact number.
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

/*
 * mcmc's tokenizer refuses a line outright (memcached answers "bad command
 * line format" before looking at the command) when a token from t[first]
 * on starts with a byte that is neither in 'A'..'z' (65..122, which takes in
 * "[\\]^_`") nor a digit. Digits pass here and are refused later as
 * invalid flags.
 */
static bool flags_well_formed(const struct mtok *t, size_t first, size_t nt)
{
    for (size_t i = first; i < nt; i++) {
        unsigned char c = (unsigned char)t[i].s[0];
        if (!(c >= 'A' && c <= 'z') && !(c >= '0' && c <= '9')) {
            return false;
        }
    }
    return true;
}

/* ---- flags ------------------------------------------------------------------- */

/* The number after a flag letter, read as mcmc's flag readers do: at least
 * one byte, strict digits (see number_strict_*), at most 11 bytes for the
 * 32-bit forms. */
static bool flag_i32(const char *v, size_t nv, int32_t *out)
{
    return nv > 0 && number_strict_i32(v, nv, out);
}

static bool flag_u64(const char *v, size_t nv, uint64_t *out)
{
    return nv > 0 && number_strict_u64(v, nv, out);
}

static bool flag_u32(const char *v, size_t nv, uint32_t *out)
{
    uint64_t u;

    if (nv > 11 || !flag_u64(v, nv, &u) || u > UINT32_MAX) {
        return false;
    }
    *out = (uint32_t)u;
    return true;
}

/*
 * _meta_flag_preparse(): every flag token in order, by its first byte
 * (flags_well_formed() has let only letters and digits through). A repeat
 * is "duplicate flag" at once, an unknown letter "invalid flag" at once; a
 * bad value sets the error and the scan goes on, each bad value overwriting
 * the message except F's (memcached sets no message for it, so it keeps the
 * last one, by default "bad command line format").
 */
static enum request_error preparse(struct request *req, const struct mtok *t, size_t first,
                                   size_t nt)
{
    uint64_t seen[2] = { 0, 0 };
    bool has_error = false;
    enum request_error msg = REQ_EFORMAT;
    int32_t i32;

    if (first < nt) {
        req->mflag_text = t[first].s;
        req->nmflag_text = (size_t)(t[nt - 1].s + t[nt - 1].n - t[first].s);
    }
    for (size_t i = first; i < nt; i++) {
        /* below 123 after flags_well_formed(); the mask keeps the set's
         * index in range whatever the caller did */
        unsigned char o = (unsigned char)t[i].s[0] & 127;
        const char *v = t[i].s + 1;
        size_t nv = t[i].n - 1;

        if ((seen[o >> 6] >> (o & 63)) & 1) {
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
            if (!flag_i32(v, nv, &i32)) {
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
        case 'k':
        case 's':
        case 't':
        case 'c':
        case 'f':
        case 'v':
        case 'h':
        case 'l':
        case 'u':
        case 'I':
        case 'x':
            break;
        case 'F':
            if (!flag_u32(v, nv, &req->flags)) {
                has_error = true; /* no message of its own */
            }
            break;
        case 'C':
        case 'E':
            if (!flag_u64(v, nv, o == 'C' ? &req->cas : &req->new_cas)) {
                has_error = true;
                msg = REQ_EMETA_TOKEN;
            }
            break;
        case 'M':
            /* Only the byte after the M counts ("MSS" is S); a bare M takes
             * the byte that follows it on the line, never a valid mode. */
            req->mode = (enum request_mode)(nv > 0 ? (unsigned char)v[0] : ' ');
            break;
        case 'J':
            if (!flag_u64(v, nv, &req->initial)) {
                has_error = true;
                msg = REQ_EMETA_INITIAL;
            }
            break;
        case 'D':
            if (!flag_u64(v, nv, &req->delta)) {
                has_error = true;
                msg = REQ_EMETA_DELTA;
            }
            break;
        default:
            return REQ_EMETA_FLAG;
        }
        req->mflags |= REQ_MFLAG(o);
    }
    return has_error ? msg : REQ_EOK;
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

static void set_key(struct request *req, const struct mtok *k)
{
    req->key = k->s;
    req->nkey = k->n;
    req->nkeys = 1;
}

/* me <key> [b]: only an exact "b" as the first flag decodes the key (see
 * the deliberate difference atop this file). */
static enum request_error parse_me(struct request *req, const struct mtok *t, size_t nt)
{
    if (!flags_well_formed(t, 2, nt) || nt < 2) {
        return REQ_EFORMAT;
    }
    if (t[1].n > REQUEST_KEY_MAX) {
        return REQ_EKEY_TOO_LONG;
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
 * ms <key> <datalen> <flag>*, in memcached 1.6.45's order: the flag bytes
 * and the data length first (strict digits), neither swallowing; once the
 * length is read every error swallows the data block, including a key over
 * 250 bytes and too many flags.
 */
static enum request_error parse_ms(struct request *req, const struct mtok *t, size_t nt)
{
    int32_t vlen;
    enum request_error e;

    if (!flags_well_formed(t, 3, nt) || nt < 3 || !number_strict_i32(t[2].s, t[2].n, &vlen) ||
        vlen < 0 || vlen > INT_MAX - 2) {
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

/*
 * mg, md, ma: <key> <flag>*. mg and md report preparse's own message; ma
 * replaces every one of them (a long key and too many flags included) with
 * "invalid or duplicate flag", but not its mode or opaque errors.
 */
static enum request_error parse_keyed(struct request *req, const struct mtok *t, size_t nt)
{
    enum request_error e;

    if (!flags_well_formed(t, 2, nt) || nt < 2) {
        return REQ_EFORMAT;
    }
    if (t[1].n > REQUEST_KEY_MAX) {
        e = REQ_EKEY_TOO_LONG;
    } else if (nt > META_NTOKENS_MAX) {
        e = REQ_EMETA_TOO_MANY_MG;
    } else {
        set_key(req, &t[1]);
        if (req->cmd == REQ_MA) {
            req->delta = 1;
        }
        e = preparse(req, t, 2, nt);
    }
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
    if (nt == 0 || t[0].n != 2 || t[0].s[0] != 'm') {
        return REQ_EUNKNOWN;
    }
    switch (t[0].s[1]) {
    case 'n':
        req->cmd = REQ_MN;
        return REQ_EOK;
    case 'e':
        req->cmd = REQ_ME;
        return parse_me(req, t, nt);
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
    return req->cmd == REQ_MS ? parse_ms(req, t, nt) : parse_keyed(req, t, nt);
}

enum parse_status meta_parse(struct request *req, const char *buf, size_t len, size_t *consumed)
{
    size_t n = 0;

    request_reset(req);
    req->proto = REQ_PROTO_META;
    /* memcached closes a connection whose line passes 2048 bytes unless it
     * is a get/gets; a meta line never is. */
    enum parse_status ps = text_frame(req, buf, len, false, &n, consumed);
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
static void put_key(struct out *o, const struct request *req, const char *key, size_t nkey)
{
    if (req->key_binary) {
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
        case 'k':
            put_flag(o, 'k');
            put_key(o, req, req->key, req->nkey);
            if (req->key_binary) {
                put_flag(o, 'b');
            }
            continue;
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

/* Does q drop this reply? (memcached 1.6.18, see meta.h) */
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
        return req->cmd == REQ_MS || req->cmd == REQ_MD ||
               (req->cmd == REQ_MA && !rsp->win);
    case RSP_NUMBER:
        return req->cmd == REQ_MA && !rsp->win;
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
            put_key(o, req, rsp->key, rsp->nkey);
        } else {
            put_key(o, req, req->key, req->nkey);
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
        return text_compose(rsp, buf, cap);
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
        return text_compose_bound(rsp);
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

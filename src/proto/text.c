/*
 * text.c: memcached's classic text protocol. text_parse() turns one command
 * line into a struct request; text_compose() turns a struct response into
 * reply bytes. Pure: it knows nothing of sockets or of the store, and it
 * never allocates.
 *
 *   buf ──memchr('\n')──▶ line ──first token──▶ command ──▶ per-command
 *   (rbuf)                (cut at "\r", NUL)     lookup       token rules
 *                                                              │
 *   struct request ◀── pointers into buf ◀─────────────────────┘
 *
 * The grammar is memcached 1.6's (proto_text.c: process_command_ascii,
 * tokenize_command, process_*_command; util.c: safe_strto*), including its
 * quirks. Observed against memcached 1.6.18 (Debian), one connection each:
 *
 *   request line                    memcached reply                 error
 *   ------------------------------  ------------------------------  -----------------
 *   "" / "\r" / "x" / "foo" / "GET k"  ERROR                        REQ_EUNKNOWN
 *   "get" / "gets" / "gat"          ERROR                           REQ_EUNKNOWN
 *   "set k 0 0" / "set k 0 0 1 a b" ERROR (data line: ERROR too)    REQ_EUNKNOWN
 *   "cas k 0 0 1"                   ERROR                           REQ_EUNKNOWN
 *   "incr k" / "incr k 1 2 3"       ERROR                           REQ_EUNKNOWN
 *   "touch k" / "touch k 1 2 3"     ERROR                           REQ_EUNKNOWN
 *   "delete" / "delete k 0 0 0"     ERROR                           REQ_EUNKNOWN
 *   "verbosity" / "verbosity 1 2 3" ERROR                           REQ_EUNKNOWN
 *   "flush_all 1 2 3"               ERROR                           REQ_EUNKNOWN
 *   "set\tk 0 0 1"                  ERROR (tokens split on ' ' only) REQ_EUNKNOWN
 *   "set k 0 0 -1"                  CLIENT_ERROR bad command line format  REQ_EFORMAT
 *   "set k abc 0 1"                 CLIENT_ERROR bad command line format  REQ_EFORMAT
 *   "set k 0 0 2147483646"          CLIENT_ERROR bad command line format  REQ_EFORMAT
 *   "set k 18446744073709551616 0 1" CLIENT_ERROR bad command line format REQ_EFORMAT
 *   "cas k 0 0 1 abc" / "... -1"    CLIENT_ERROR bad command line format  REQ_EFORMAT
 *   "verbosity abc" / "-1"          CLIENT_ERROR bad command line format  REQ_EFORMAT
 *   set/incr/touch/delete/get with a 251-byte key
 *                                   CLIENT_ERROR bad command line format  REQ_EKEY_TOO_LONG
 *   "incr k abc" / "incr k -1"      CLIENT_ERROR invalid numeric delta argument  REQ_EDELTA
 *   "touch k abc" / "gat abc k"     CLIENT_ERROR invalid exptime argument  REQ_EEXPTIME
 *   "flush_all abc" / "flush_all 9999999999999999999"
 *                                   CLIENT_ERROR invalid exptime argument  REQ_EEXPTIME
 *   "delete k 5" / "delete k 0 foo" / "delete k 00" / "delete <251> 5"
 *       CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]
 *                                                                   REQ_EDELETE_USAGE
 *   3000 bytes, no "\n", not get/gets   connection closed, no reply   REQ_ELINE_TOO_LONG
 *   any of the above ending "noreply" once the token count is right
 *     ("set k abc 0 1 noreply", "incr k abc noreply", "delete k 1 noreply",
 *      "verbosity noreply", "flush_all x noreply")  nothing at all   error + noreply
 *
 * Refused although 1.6.18 accepts them (it truncates to 32 bits, as later
 * releases no longer do): flags above 2^32-1, bytes/exptime outside int32.
 *
 * Accepted quirks (memcached answers as if valid): "+5", "\t5", "5\tzz" read as 5; "-18446744073709551615"
 * reads as 1 for an unsigned field; "set k 0 0 1 garbage" is a plain set;
 * "incr k 1 foo" and "touch k 1 foo" ignore the extra token; "verbosity 1 2"
 * and "flush_all 5 5" are fine; "gat 10" (no key) answers "END"; "gats 1 k
 * noreply" asks for a key named "noreply"; "get a\0b" is "get a" (memcached
 * stops the line at a NUL); "delete k 0", "delete k noreply" and "delete k 0
 * noreply" are valid; version/quit ignore extra tokens; a non-get line longer
 * than 2048 bytes is served if its "\n" is already in the buffer.
 */
#include "proto/text.h"

#include "proto/number.h"
#include "proto/token.h"

#include <limits.h>
#include <string.h>

#include "proto/meta.h"

/* ---- tokens -------------------------------------------------------------- */

struct cursor {
    const char *p;
    const char *end;
};

struct tok {
    const char *s;
    size_t n;
};

/* Most arguments any command takes (cas with noreply: 6); one more = too many. */
#define ARGS_MAX 7

/*
 * Next token: skip a run of ' ', then take bytes up to ' ' or the end.
 * (parse_line has already cut the line at any NUL, so only ' ' ends one.)
 */
static inline bool tok_next(struct cursor *c, struct tok *t)
{
    const char *p = c->p;
    const char *end = c->end;

    while (p < end && *p == ' ') {
        p++;
    }
    const char *s = p;
    p = token_end(p, end);
    c->p = p;
    t->s = s;
    t->n = (size_t)(p - s);
    return p != s;
}

/* Collect up to ARGS_MAX tokens; ARGS_MAX means "at least that many". */
static size_t tok_collect(struct cursor *c, struct tok *args)
{
    size_t n = 0;

    while (n < ARGS_MAX && tok_next(c, &args[n])) {
        n++;
    }
    return n;
}

static inline bool tok_is(const struct tok *t, const char *lit, size_t nlit)
{
    return t->n == nlit && memcmp(t->s, lit, nlit) == 0;
}

#define TOK_IS(t, lit) tok_is((t), lit, sizeof(lit) - 1)

/* memcached's set_noreply_maybe(): the last token is exactly "noreply". */
static inline bool last_is_noreply(const struct tok *args, size_t nargs)
{
    return nargs > 0 && TOK_IS(&args[nargs - 1], "noreply");
}

/* ---- numbers (proto/number.h) -------------------------------------------- */

static inline bool num_u64(const struct tok *t, uint64_t *out)
{
    return number_u64(t->s, t->n, out);
}

static inline bool num_u32(const struct tok *t, uint32_t *out)
{
    return number_u32(t->s, t->n, out);
}

static inline bool num_i32(const struct tok *t, int32_t *out)
{
    return number_i32(t->s, t->n, out);
}

/* ---- commands ------------------------------------------------------------ */

#define CMD_IS(s, lit) (memcmp((s), lit, sizeof(lit) - 1) == 0)

/* Exact, case-sensitive match, as memcached's strcmp(). */
static enum request_cmd cmd_lookup(const char *s, size_t n)
{
    switch (n) {
    case 3:
        if (CMD_IS(s, "get")) return REQ_GET;
        if (CMD_IS(s, "set")) return REQ_SET;
        if (CMD_IS(s, "gat")) return REQ_GAT;
        if (CMD_IS(s, "add")) return REQ_ADD;
        if (CMD_IS(s, "cas")) return REQ_CAS;
        break;
    case 4:
        if (CMD_IS(s, "gets")) return REQ_GETS;
        if (CMD_IS(s, "gats")) return REQ_GATS;
        if (CMD_IS(s, "incr")) return REQ_INCR;
        if (CMD_IS(s, "decr")) return REQ_DECR;
        if (CMD_IS(s, "quit")) return REQ_QUIT;
        /* "bget": an ancient alias memcached 1.6 still answers as get */
        if (CMD_IS(s, "bget")) return REQ_GET;
        break;
    case 5:
        if (CMD_IS(s, "touch")) return REQ_TOUCH;
        if (CMD_IS(s, "stats")) return REQ_STATS;
        break;
    case 6:
        if (CMD_IS(s, "delete")) return REQ_DELETE;
        if (CMD_IS(s, "append")) return REQ_APPEND;
        break;
    case 7:
        if (CMD_IS(s, "replace")) return REQ_REPLACE;
        if (CMD_IS(s, "prepend")) return REQ_PREPEND;
        if (CMD_IS(s, "version")) return REQ_VERSION;
        break;
    case 8:
        if (CMD_IS(s, "shutdown")) return REQ_SHUTDOWN;
        break;
    case 9:
        if (CMD_IS(s, "flush_all")) return REQ_FLUSH_ALL;
        if (CMD_IS(s, "verbosity")) return REQ_VERBOSITY;
        break;
    default:
        break;
    }
    return REQ_NONE;
}

static inline void set_key(struct request *req, const struct tok *k)
{
    req->key = k->s;
    req->nkey = k->n;
    req->keys = k->s;
    req->nkeys_text = k->n;
    req->nkeys = 1;
}

/*
 * get/gets/bget <key>+ and gat/gats <exptime> <key>*. memcached checks the
 * exptime first, then every key in order; any key over 250 bytes fails the
 * whole command. gat with no key is valid (memcached answers "END").
 */
static enum request_error parse_retrieval(struct request *req, struct cursor *c)
{
    struct tok t;
    bool touch = req->cmd == REQ_GAT || req->cmd == REQ_GATS;

    if (touch) {
        int32_t exptime;
        if (!tok_next(c, &t)) {
            return REQ_EUNKNOWN;
        }
        if (!num_i32(&t, &exptime)) {
            return REQ_EEXPTIME;
        }
        req->exptime = exptime;
    }
    if (!tok_next(c, &t)) {
        if (touch) {
            req->keys = c->p;
            return REQ_EOK;
        }
        return REQ_EUNKNOWN;
    }
    req->key = t.s;
    req->nkey = t.n;
    req->keys = t.s;
    const char *last_end = t.s + t.n;
    uint32_t nkeys = 0;
    do {
        if (t.n > REQUEST_KEY_MAX) {
            return REQ_EKEY_TOO_LONG;
        }
        nkeys++;
        last_end = t.s + t.n;
    } while (tok_next(c, &t));
    req->nkeys = nkeys;
    req->nkeys_text = (size_t)(last_end - req->keys);
    return REQ_EOK;
}

/* set/add/replace/append/prepend <key> <flags> <exptime> <bytes> [noreply],
 * cas <key> <flags> <exptime> <bytes> <cas unique> [noreply]. */
static enum request_error parse_storage(struct request *req, const struct tok *a, size_t na)
{
    size_t want = req->cmd == REQ_CAS ? 5 : 4;
    int32_t exptime, vlen;

    if (na != want && na != want + 1) {
        return REQ_EUNKNOWN;
    }
    req->noreply = last_is_noreply(a, na);
    if (a[0].n > REQUEST_KEY_MAX) {
        return REQ_EKEY_TOO_LONG;
    }
    set_key(req, &a[0]);
    if (!num_u32(&a[1], &req->flags) || !num_i32(&a[2], &exptime) || !num_i32(&a[3], &vlen)) {
        return REQ_EFORMAT;
    }
    req->exptime = exptime;
    if (want == 5 && !num_u64(&a[4], &req->cas)) {
        return REQ_EFORMAT;
    }
    /* memcached adds 2 for "\r\n" to an int, so it refuses above INT_MAX - 2 */
    if (vlen < 0 || vlen > INT_MAX - 2) {
        return REQ_EFORMAT;
    }
    req->vlen = (uint32_t)vlen;
    return REQ_EOK;
}

/* incr/decr <key> <delta> [noreply]; touch <key> <exptime> [noreply]. */
static enum request_error parse_key_num(struct request *req, const struct tok *a, size_t na)
{
    if (na != 2 && na != 3) {
        return REQ_EUNKNOWN;
    }
    req->noreply = last_is_noreply(a, na);
    if (a[0].n > REQUEST_KEY_MAX) {
        return REQ_EKEY_TOO_LONG;
    }
    set_key(req, &a[0]);
    if (req->cmd == REQ_TOUCH) {
        int32_t exptime;
        if (!num_i32(&a[1], &exptime)) {
            return REQ_EEXPTIME;
        }
        req->exptime = exptime;
        return REQ_EOK;
    }
    return num_u64(&a[1], &req->delta) ? REQ_EOK : REQ_EDELTA;
}

/* delete <key> [0] [noreply]: the legacy hold time must be exactly "0". */
static enum request_error parse_delete(struct request *req, const struct tok *a, size_t na)
{
    if (na < 1 || na > 3) {
        return REQ_EUNKNOWN;
    }
    if (na > 1) {
        bool zero = TOK_IS(&a[1], "0");
        req->noreply = last_is_noreply(a, na);
        if (!((na == 2 && (zero || req->noreply)) || (na == 3 && zero && req->noreply))) {
            return REQ_EDELETE_USAGE;
        }
    }
    if (a[0].n > REQUEST_KEY_MAX) {
        return REQ_EKEY_TOO_LONG;
    }
    set_key(req, &a[0]);
    return REQ_EOK;
}

/* flush_all [delay] [noreply]: a lone "noreply" is not read as a delay,
 * any other first argument is (a negative delay means "now"). */
static enum request_error parse_flush_all(struct request *req, const struct tok *a, size_t na)
{
    int32_t delay;

    if (na > 2) {
        return REQ_EUNKNOWN;
    }
    req->noreply = last_is_noreply(a, na);
    if (na == (req->noreply ? 1u : 0u)) {
        return REQ_EOK;
    }
    if (!num_i32(&a[0], &delay)) {
        return REQ_EEXPTIME;
    }
    req->has_delay = true;
    req->exptime = delay;
    req->delta = delay > 0 ? (uint64_t)delay : 0;
    return REQ_EOK;
}

/* verbosity <level> [noreply] */
static enum request_error parse_verbosity(struct request *req, const struct tok *a, size_t na)
{
    uint32_t level;

    if (na != 1 && na != 2) {
        return REQ_EUNKNOWN;
    }
    req->noreply = last_is_noreply(a, na);
    if (!num_u32(&a[0], &level)) {
        return REQ_EFORMAT;
    }
    req->delta = level;
    return REQ_EOK;
}

/* stats/shutdown: the rest of the line, cut at a NUL, trimmed of ' '. */
static void parse_rest_arg(struct request *req, const struct cursor *c)
{
    const char *p = c->p;
    const char *end = c->end;

    while (p < end && *p == ' ') {
        p++;
    }
    if (p >= end) {
        return;
    }
    const char *z = memchr(p, '\0', (size_t)(end - p));
    if (z != NULL) {
        end = z;
    }
    while (end > p && end[-1] == ' ') {
        end--;
    }
    if (end > p) {
        req->arg = p;
        req->narg = (size_t)(end - p);
    }
}

/* Parse one line without its "\n" (and "\r"); sets req->cmd and friends. */
static enum request_error parse_line(struct request *req, const char *line, size_t n)
{
    /* A NUL ends the line for good: memcached tokenizes with strlen(). */
    const char *nul = memchr(line, '\0', n);
    if (nul != NULL) {
        n = (size_t)(nul - line);
    }
    struct cursor c = { line, line + n };
    struct tok args[ARGS_MAX];
    struct tok t;
    size_t na;

    if (!tok_next(&c, &t)) {
        return REQ_EUNKNOWN;
    }
    /* memcached serves both dialects on one connection: a two-byte command
     * starting with 'm' is a meta command (mg, ms, md, ma, mn, me). */
    if (t.n == 2 && t.s[0] == 'm') {
        return meta_parse_line(req, line, n);
    }
    req->cmd = cmd_lookup(t.s, t.n);
    switch (req->cmd) {
    case REQ_GET:
    case REQ_GETS:
    case REQ_GAT:
    case REQ_GATS:
        return parse_retrieval(req, &c);
    case REQ_STATS:
    case REQ_SHUTDOWN:
        parse_rest_arg(req, &c);
        return REQ_EOK;
    case REQ_VERSION:
    case REQ_QUIT:
        return REQ_EOK;
    case REQ_NONE:
    case REQ_CMD_COUNT:
        return REQ_EUNKNOWN;
    default:
        break;
    }
    na = tok_collect(&c, args);
    switch (req->cmd) {
    case REQ_SET:
    case REQ_ADD:
    case REQ_REPLACE:
    case REQ_APPEND:
    case REQ_PREPEND:
    case REQ_CAS:
        return parse_storage(req, args, na);
    case REQ_INCR:
    case REQ_DECR:
    case REQ_TOUCH:
        return parse_key_num(req, args, na);
    case REQ_DELETE:
        return parse_delete(req, args, na);
    case REQ_FLUSH_ALL:
        return parse_flush_all(req, args, na);
    case REQ_VERBOSITY:
        return parse_verbosity(req, args, na);
    default:
        return REQ_EUNKNOWN;
    }
}

/*
 * memcached's rule for a buffer with no newline (try_read_command_ascii):
 * over 2048 bytes it closes the connection unless, after at most 100
 * leading spaces, the line starts "get " or "gets " (we also let gat/gats
 * grow, which memcached 1.6.18 does not). Called only with len > 2048.
 */
static bool is_long_get(const char *buf, size_t len)
{
    size_t i = 0;

    while (i < len && buf[i] == ' ') {
        i++;
    }
    if (i > 100 || len - i < 5) {
        return false;
    }
    const char *p = buf + i;
    return CMD_IS(p, "get ") || CMD_IS(p, "gets ") || CMD_IS(p, "gat ") || CMD_IS(p, "gats ");
}

enum parse_status text_frame(struct request *req, const char *buf, size_t len, bool long_get_ok,
                             size_t *line_len, size_t *consumed)
{
    size_t scan = len < TEXT_GET_LINE_MAX ? len : TEXT_GET_LINE_MAX;
    const char *nl = memchr(buf, '\n', scan);

    *consumed = 0;
    if (nl == NULL) {
        if (len <= TEXT_LINE_MAX ||
            (long_get_ok && len < TEXT_GET_LINE_MAX && is_long_get(buf, len))) {
            return PARSE_AGAIN;
        }
        req->error = REQ_ELINE_TOO_LONG;
        *consumed = len;
        return PARSE_ERROR;
    }
    size_t n = (size_t)(nl - buf);
    *consumed = n + 1;
    if (n > 0 && buf[n - 1] == '\r') {
        n--;
    }
    *line_len = n;
    return PARSE_OK;
}

enum parse_status text_parse(struct request *req, const char *buf, size_t len, size_t *consumed)
{
    size_t n = 0;

    request_reset(req);
    enum parse_status ps = text_frame(req, buf, len, true, &n, consumed);
    if (ps != PARSE_OK) {
        return ps;
    }
    req->error = parse_line(req, buf, n);
    return req->error == REQ_EOK ? PARSE_OK : PARSE_ERROR;
}

/* ---- compose ------------------------------------------------------------- */

/*
 * Hand-rolled decimal: every VALUE header carries two or three numbers and
 * snprintf() would parse a format string, go through varargs and locale
 * machinery for each; two digits per division from a 200-byte table is
 * several times faster on this per-hit path.
 */
static const char digits2[201] =
    "0001020304050607080910111213141516171819"
    "2021222324252627282930313233343536373839"
    "4041424344454647484950515253545556575859"
    "6061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

#define U64_DIGITS_MAX 20

/* Writes v backwards ending just before end; returns the first digit. */
static char *u64_rev(char *end, uint64_t v)
{
    while (v >= 100) {
        unsigned i = (unsigned)(v % 100) * 2;
        v /= 100;
        end -= 2;
        memcpy(end, digits2 + i, 2);
    }
    if (v >= 10) {
        end -= 2;
        memcpy(end, digits2 + v * 2, 2);
    } else {
        *--end = (char)('0' + v);
    }
    return end;
}

struct piece {
    const char *s;
    size_t n;
};

#define LIT(s) { s, sizeof(s) - 1 }

/* Concatenate pieces into buf if they fit; returns the total either way. */
static size_t emit(char *buf, size_t cap, const struct piece *pc, size_t npc)
{
    size_t total = 0;

    for (size_t i = 0; i < npc; i++) {
        total += pc[i].n;
    }
    if (total > cap) {
        return total;
    }
    for (size_t i = 0; i < npc; i++) {
        if (pc[i].n > 0) {
            memcpy(buf, pc[i].s, pc[i].n);
            buf += pc[i].n;
        }
    }
    return total;
}

static const struct piece fixed_reply[RSP_KIND_COUNT] = {
    [RSP_STORED] = LIT("STORED\r\n"),
    [RSP_NOT_STORED] = LIT("NOT_STORED\r\n"),
    [RSP_EXISTS] = LIT("EXISTS\r\n"),
    [RSP_NOT_FOUND] = LIT("NOT_FOUND\r\n"),
    [RSP_DELETED] = LIT("DELETED\r\n"),
    [RSP_TOUCHED] = LIT("TOUCHED\r\n"),
    [RSP_OK] = LIT("OK\r\n"),
    [RSP_END] = LIT("END\r\n"),
    [RSP_RESET] = LIT("RESET\r\n"),
    [RSP_VALUE] = LIT("VALUE "),
    [RSP_VERSION] = LIT("VERSION"),
    [RSP_STAT] = LIT("STAT "),
    [RSP_ERROR] = LIT("ERROR"),
    [RSP_CLIENT_ERROR] = LIT("CLIENT_ERROR"),
    [RSP_SERVER_ERROR] = LIT("SERVER_ERROR"),
};

static const struct piece crlf = LIT("\r\n");
static const struct piece space = LIT(" ");

size_t text_compose(const struct response *rsp, char *buf, size_t cap)
{
    char nb[3][U64_DIGITS_MAX];
    struct piece pc[8];
    size_t np = 0;
    char *d;

    switch (rsp->kind) {
    case RSP_VALUE:
        pc[np++] = fixed_reply[RSP_VALUE];
        pc[np++] = (struct piece){ rsp->key, rsp->nkey };
        d = u64_rev(nb[0] + U64_DIGITS_MAX, rsp->flags);
        pc[np++] = (struct piece){ d - 1, (size_t)(nb[0] + U64_DIGITS_MAX - d) + 1 };
        d[-1] = ' ';
        d = u64_rev(nb[1] + U64_DIGITS_MAX, rsp->vlen);
        pc[np++] = (struct piece){ d - 1, (size_t)(nb[1] + U64_DIGITS_MAX - d) + 1 };
        d[-1] = ' ';
        if (rsp->with_cas) {
            d = u64_rev(nb[2] + U64_DIGITS_MAX, rsp->cas);
            pc[np++] = space;
            pc[np++] = (struct piece){ d, (size_t)(nb[2] + U64_DIGITS_MAX - d) };
        }
        pc[np++] = crlf;
        break;
    case RSP_NUMBER:
        d = u64_rev(nb[0] + U64_DIGITS_MAX, rsp->number);
        pc[np++] = (struct piece){ d, (size_t)(nb[0] + U64_DIGITS_MAX - d) };
        pc[np++] = crlf;
        break;
    case RSP_STAT:
        pc[np++] = fixed_reply[RSP_STAT];
        pc[np++] = (struct piece){ rsp->msg, rsp->nmsg };
        pc[np++] = space;
        pc[np++] = (struct piece){ rsp->msg2, rsp->nmsg2 };
        pc[np++] = crlf;
        break;
    case RSP_ERROR:
        pc[np++] = fixed_reply[RSP_ERROR];
        pc[np++] = (struct piece){ rsp->msg, rsp->msg != NULL ? rsp->nmsg : 0 };
        pc[np++] = crlf;
        break;
    case RSP_VERSION:
    case RSP_CLIENT_ERROR:
    case RSP_SERVER_ERROR:
        pc[np++] = fixed_reply[rsp->kind];
        if (rsp->msg != NULL && rsp->nmsg > 0) {
            if (rsp->msg[0] != ':') /* "SERVER_ERROR: shutdown not enabled" */
                pc[np++] = space;
            pc[np++] = (struct piece){ rsp->msg, rsp->nmsg };
        }
        pc[np++] = crlf;
        break;
    case RSP_STORED:
    case RSP_NOT_STORED:
    case RSP_EXISTS:
    case RSP_NOT_FOUND:
    case RSP_DELETED:
    case RSP_TOUCHED:
    case RSP_OK:
    case RSP_END:
    case RSP_RESET:
        pc[np++] = fixed_reply[rsp->kind];
        break;
    default:
        /* RSP_MISS is silent in text (a missing key is simply not listed);
         * RSP_NOOP and RSP_DEBUG exist only in meta and binary. */
        return 0;
    }
    return emit(buf, cap, pc, np);
}

size_t text_compose_bound(const struct response *rsp)
{
    switch (rsp->kind) {
    case RSP_VALUE:
        /* "VALUE " key " " flags " " bytes [" " cas] "\r\n" */
        return 6 + rsp->nkey + 1 + 10 + 1 + 10 + 1 + U64_DIGITS_MAX + 2;
    case RSP_NUMBER:
        return U64_DIGITS_MAX + 2;
    case RSP_STAT:
        return 5 + rsp->nmsg + 1 + rsp->nmsg2 + 2;
    case RSP_ERROR:
    case RSP_VERSION:
    case RSP_CLIENT_ERROR:
    case RSP_SERVER_ERROR:
        return fixed_reply[rsp->kind].n + 1 + rsp->nmsg + 2;
    case RSP_STORED:
    case RSP_NOT_STORED:
    case RSP_EXISTS:
    case RSP_NOT_FOUND:
    case RSP_DELETED:
    case RSP_TOUCHED:
    case RSP_OK:
    case RSP_END:
    case RSP_RESET:
        return fixed_reply[rsp->kind].n;
    default:
        return 0;
    }
}

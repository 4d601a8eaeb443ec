/*
 * text.c: memcached's classic text protocol. text_parse() turns one command
 * line into a struct request; text_compose() turns a struct response into
 * reply bytes. Pure: it knows nothing of sockets or of the store, and it
 * never allocates.
 *
 *   buf ──memchr('\n')──▶ line ──bytes before──▶ main ──▶ per-command
 *   (rbuf)                (cut at "\r")  first ' '  command   token rules
 *                                          │ not one
 *                                          ▼
 *                               first token ──▶ admin command, HTTP, ERROR
 *   struct request ◀── pointers into buf ◀──────────┘
 *
 * The grammar is memcached 1.6.45's (proto_parser.c process_request: the
 * command word and minimum token counts; proto_text.c process_command_ascii
 * and the admin table it falls back to; vendor/mcmc/mcmc.c: the tokenizer
 * and the strict number parsers; util.c safe_strto* for a storage line's
 * flags and exptime), quirks included. Observed against 1.6.45, one
 * connection each ("1.6.18:" where Debian's 1.6.18 answers otherwise):
 *
 *   request line                    memcached reply                 error
 *   ------------------------------  ------------------------------  -----------------
 *   under 4 bytes with its "\n": "\r\n", "\n", "x\r\n", "ab\n", "mn\n", "\0\r\n"
 *                                   CLIENT_ERROR bad command line format  REQ_EFORMAT
 *                                   (1.6.18: ERROR; "mn\n" was MN)
 *   "xy" / "foo" / "GET k" / "bget k" / " get k" / "get\tk" / "get\0 a" / "    "
 *                                   ERROR (1.6.18: " get k" was a get,  REQ_EUNKNOWN
 *                                   "bget" an alias of get)
 *   "foo noreply" / "noreply"       nothing (1.6.18: ERROR)         REQ_EUNKNOWN + noreply
 *   "GET / HTTP/1.1" (unknown command, last of 23 tokens "HTTP/...")
 *                                   connection closed, no reply     REQ_EHTTP
 *   too few tokens: "get" / "gets" / "gat" / "gat 100" / "gat abc" /
 *   "set k 0 0" / "cas k 0 0" / "incr k" / "touch k" / "delete" /
 *   "verbosity" / "mg" / "ms" / "md" / "ma"
 *                                   CLIENT_ERROR bad command line format  REQ_EFORMAT
 *                                   (1.6.18: ERROR; "gat 100" was END)
 *   storage length not strict digits or not 0..INT_MAX-2: "set k 0 0 -1" /
 *   "+1" / "1\tx" / "abc" / "000000000001" / "2147483646"
 *                                   CLIENT_ERROR bad command line format  REQ_EFORMAT
 *                                   (no block skipped, noreply not honoured)
 *   once the length is read, "set k abc 0 1" / "set k 0 x 1" / "cas k 0 0 1" /
 *   "cas k 0 0 1 +5" / a 251-byte key
 *                                   CLIENT_ERROR bad command line format  REQ_EFORMAT /
 *                                   and the data block is swallowed      REQ_EKEY_TOO_LONG
 *   "incr k +2" / "incr k abc" / "incr k -1" / "incr k \t1" / 23 digits
 *                                   CLIENT_ERROR invalid numeric delta argument  REQ_EDELTA
 *   "touch k +1" / "gat abc k" / "flush_all 1\t" / "touch k 99999999999"
 *                                   CLIENT_ERROR invalid exptime argument  REQ_EEXPTIME
 *   "verbosity abc" / "+1" / "-1" / "1\t" / "4294967296" / "noreply"
 *                                   CLIENT_ERROR bad command line format  REQ_EFORMAT
 *   set/incr/touch/delete/get with a 251-byte key (after the count and, for
 *   gat, the exptime)               CLIENT_ERROR bad command line format  REQ_EKEY_TOO_LONG
 *   any error once the count is right and the last token is "noreply"
 *     ("set k abc 0 1 noreply", "incr k abc noreply", "verbosity noreply",
 *      "flush_all x noreply", "foo noreply")      nothing at all   error + noreply
 *
 * Tokens: split on ' ' only (runs of spaces are one separator; tabs and NUL
 * bytes are ordinary bytes, in keys too); at most 23 are read, command
 * included, and the last of those decides noreply, even when it is the key
 * ("delete noreply" is a silent delete of key "noreply"). A get's keys are
 * walked over the whole line, past 23. Extra tokens are ignored everywhere:
 * "set k 0 0 1 2 3 4", "delete k 5", "delete k 0 foo", "incr k 1 2 3",
 * "touch k 1 foo", "verbosity 1 2 3", "flush_all 1 2 3", "version x",
 * "quit now". "get k noreply" asks for a key named "noreply".
 *
 * Numbers: strict (mcmc_tokto*: digits, an optional leading '-' for signed
 * fields, 11 bytes at most, 22 for 64 bits) for the storage length, cas
 * unique, incr/decr delta, the exptime of touch/gat/gats/flush_all and the
 * verbosity level; "-" alone reads as 0 ("touch k -", "flush_all -"). A
 * storage line's flags and exptime are read by safe_strtoul/safe_strtol from
 * the token's first byte: "+5", "\t5", "5\tzz", "5\0", "-0" read as 5 or 0,
 * "-18446744073709551615" as 1 for flags, and a whitespace-only token reads
 * on into the next ("set k \t 5 1" stores flags 5, exptime 5).
 *
 * Command words: the main commands (get gets gat gats set add replace append
 * prepend cas incr decr touch delete stats version quit, and the meta mg ms
 * md ma mn me) are the bytes before the line's first ' '. Anything else is
 * looked up by its first token, leading spaces skipped, among the admin
 * commands (shutdown, flush_all, verbosity, ...): " flush_all" flushes.
 *
 * Refused although memcached accepts them (a listed deviation, README):
 * flags above 2^32-1 and a storage exptime outside int32, which 1.6.45 still
 * silently truncates to 32 bits ("set k 4294967296 0 1" stores flags 0);
 * mnemod answers CLIENT_ERROR bad command line format and swallows the block.
 *
 * A non-get line longer than 2048 bytes is served if its "\n" is already in
 * the buffer.
 */
#include "proto/text.h"

#include "proto/line.h"
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

/*
 * memcached 1.6.45's tokenizer (mcmc_tokenize) indexes at most 23 tokens of
 * a line, the command included, and ignores the rest; the last of those 23
 * decides noreply. (A get's keys are walked over the raw line, past 23.)
 */
#define LINE_TOKENS_MAX 23

/* Most arguments after the command that any command reads (cas: key,
 * flags, exptime, bytes, unique). */
#define ARGS_MAX 5

/*
 * Next token: skip a run of ' ', then take bytes up to ' ' or the end.
 * Only ' ' separates: tabs and NUL bytes are part of a token (1.6.45
 * works on the line's length, never on strlen()).
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

/*
 * The arguments after the command: the first ARGS_MAX into args, the last
 * of the line's first LINE_TOKENS_MAX tokens into *last (left alone when
 * there are none). Returns the line's token count, command included,
 * counted up to LINE_TOKENS_MAX.
 */
static size_t tok_split(struct cursor *c, struct tok *args, struct tok *last)
{
    size_t na = 0;
    struct tok t;

    while (na < ARGS_MAX && tok_next(c, &args[na])) {
        na++;
    }
    if (na > 0) {
        *last = args[na - 1];
    }
    size_t nt = na + 1;
    /* rarely more: only then walk on to the 23rd token for noreply */
    if (na == ARGS_MAX) {
        while (nt < LINE_TOKENS_MAX && tok_next(c, &t)) {
            *last = t;
            nt++;
        }
    }
    return nt;
}

static inline bool tok_is(const struct tok *t, const char *lit, size_t nlit)
{
    return t->n == nlit && memcmp(t->s, lit, nlit) == 0;
}

#define TOK_IS(t, lit) tok_is((t), lit, sizeof(lit) - 1)

/* ---- commands ------------------------------------------------------------ */

#define CMD_IS(s, lit) (memcmp((s), lit, sizeof(lit) - 1) == 0)

/* Exact, case-sensitive match, as memcached's strncmp() with the length. */
static enum request_cmd cmd_lookup(const char *s, size_t n)
{
    switch (n) {
    case 3:
        if (CMD_IS(s, "get")) return REQ_GET;
        if (CMD_IS(s, "set")) return REQ_SET;
        if (CMD_IS(s, "gat")) return REQ_GAT;
        if (CMD_IS(s, "add")) return REQ_ADD;
        if (CMD_IS(s, "cas")) return REQ_CAS;
        if (CMD_IS(s, "lru")) return REQ_LRU;
        break;
    case 4:
        if (CMD_IS(s, "gets")) return REQ_GETS;
        if (CMD_IS(s, "gats")) return REQ_GATS;
        if (CMD_IS(s, "incr")) return REQ_INCR;
        if (CMD_IS(s, "decr")) return REQ_DECR;
        if (CMD_IS(s, "quit")) return REQ_QUIT;
        break;
    case 5:
        if (CMD_IS(s, "touch")) return REQ_TOUCH;
        if (CMD_IS(s, "stats")) return REQ_STATS;
        if (CMD_IS(s, "slabs")) return REQ_SLABS;
        if (CMD_IS(s, "watch")) return REQ_WATCH;
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
        if (CMD_IS(s, "snapshot")) return REQ_SNAPSHOT;
        break;
    case 9:
        if (CMD_IS(s, "flush_all")) return REQ_FLUSH_ALL;
        if (CMD_IS(s, "verbosity")) return REQ_VERBOSITY;
        if (CMD_IS(s, "repl_sync")) return REQ_REPL_SYNC;
        break;
    case 10:
        if (CMD_IS(s, "replica_of")) return REQ_REPLICA_OF;
        break;
    case 11:
        if (CMD_IS(s, "lru_crawler")) return REQ_LRU_CRAWLER;
        break;
    case 13:
        if (CMD_IS(s, "refresh_certs")) return REQ_REFRESH_CERTS;
        break;
    case 14:
        if (CMD_IS(s, "cache_memlimit")) return REQ_CACHE_MEMLIMIT;
        break;
    default:
        break;
    }
    return REQ_NONE;
}

/*
 * memcached 1.6.45 knows two kinds of commands. The main ones (and meta)
 * are matched on the bytes before the line's first ' ' ("  get k" is no
 * get); the rest, the admin commands, are looked up afterwards by the
 * first token, leading spaces skipped (" flush_all" flushes). Any command
 * cmd_lookup() knows that is not listed here is an admin command.
 */
static bool cmd_is_main(enum request_cmd cmd)
{
    switch (cmd) {
    case REQ_GET:
    case REQ_GETS:
    case REQ_GAT:
    case REQ_GATS:
    case REQ_SET:
    case REQ_ADD:
    case REQ_REPLACE:
    case REQ_APPEND:
    case REQ_PREPEND:
    case REQ_CAS:
    case REQ_DELETE:
    case REQ_INCR:
    case REQ_DECR:
    case REQ_TOUCH:
    case REQ_VERSION:
    case REQ_QUIT:
    case REQ_STATS:
    case REQ_WATCH:
        return true;
    default:
        return false;
    }
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
 * get/gets <key>+ and gat/gats <exptime> <key>+. A missing key is a format
 * error (1.6.45 counts tokens first); then gat's exptime (strict digits),
 * then every key in order: any key over 250 bytes fails the command. A
 * trailing "noreply" is just a key.
 */
static enum request_error parse_retrieval(struct request *req, struct cursor *c)
{
    struct tok t;
    struct tok exp = { NULL, 0 };
    bool touch = req->cmd == REQ_GAT || req->cmd == REQ_GATS;

    if (touch && !tok_next(c, &exp)) {
        return REQ_EFORMAT;
    }
    if (!tok_next(c, &t)) {
        return REQ_EFORMAT;
    }
    if (touch) {
        int32_t exptime;
        if (!number_strict_i32(exp.s, exp.n, &exptime)) {
            return REQ_EEXPTIME;
        }
        req->exptime = exptime;
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

/*
 * set/add/replace/append/prepend <key> <flags> <exptime> <bytes> [noreply],
 * cas <key> <flags> <exptime> <bytes> <cas unique> [noreply], as 1.6.45
 * reads them: at least the four arguments, then the length (strict
 * digits). Before the length is read there is no block to skip and noreply
 * is not yet known; from then on any error swallows the data block, so the
 * value a client sent is never run as commands. Extra arguments are
 * ignored. flags and exptime are read as safe_strtoul/safe_strtol read them:
 * from the token's first byte on, so leading whitespace, a sign and a
 * NUL or whitespace after the digits are fine.
 */
static enum request_error parse_storage(struct request *req, struct cursor *c, struct tok last)
{
    struct tok a[ARGS_MAX];
    size_t nt = tok_split(c, a, &last);
    int32_t exptime, vlen;

    if (nt < 5 || !number_strict_i32(a[3].s, a[3].n, &vlen) || vlen < 0 || vlen > INT_MAX - 2) {
        return REQ_EFORMAT;
    }
    req->vlen = (uint32_t)vlen;
    req->swallow_on_error = true;
    req->noreply = TOK_IS(&last, "noreply");
    if (a[0].n > REQUEST_KEY_MAX) {
        return REQ_EKEY_TOO_LONG;
    }
    set_key(req, &a[0]);
    /* memcached truncates flags and exptime to 32 bits; we refuse (number.h).
     * strtoul/strtol read on past the token's end, which only changes the
     * result for a token of whitespace alone: then read from it to the
     * line's end ("set k \t 5 1" has flags 5), and never on the hot path. */
    if (!(number_u32(a[1].s, a[1].n, &req->flags) ||
          number_u32(a[1].s, (size_t)(c->end - a[1].s), &req->flags)) ||
        !(number_i32(a[2].s, a[2].n, &exptime) ||
          number_i32(a[2].s, (size_t)(c->end - a[2].s), &exptime))) {
        return REQ_EFORMAT;
    }
    req->exptime = exptime;
    if (req->cmd == REQ_CAS && (nt < 6 || !number_strict_u64(a[4].s, a[4].n, &req->cas))) {
        return REQ_EFORMAT;
    }
    return REQ_EOK;
}

/*
 * delete <key> [0] [noreply]: a listed deviation from 1.6.45, which ignores
 * whatever follows the key. 1.6.18 refused a hold time other than "0" with
 * a usage line and answered ERROR to a bare "delete" or to more than three
 * arguments, and libmemcached's memccapable ("ascii delete", "ascii delete
 * noreply") checks exactly that, so mnemod keeps those answers.
 */
static enum request_error parse_delete(struct request *req, const struct tok *a, size_t nt,
                                       struct tok last)
{
    size_t na = nt - 1; /* arguments after "delete" */

    if (na < 1 || na > 3) {
        return REQ_EUNKNOWN;
    }
    req->noreply = TOK_IS(&last, "noreply");
    if (na > 1) {
        bool zero = TOK_IS(&a[1], "0");
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

/*
 * incr/decr <key> <delta>, touch <key> <exptime> (delete: above); anything
 * after is ignored but its last token decides noreply. delta is strict
 * digits, exptime an optional '-' and digits ("-" alone reads as 0).
 */
static enum request_error parse_keyed(struct request *req, struct cursor *c, struct tok last)
{
    struct tok a[ARGS_MAX];
    size_t nt = tok_split(c, a, &last);

    if (req->cmd == REQ_DELETE) {
        return parse_delete(req, a, nt, last);
    }
    if (nt < 3) {
        return REQ_EFORMAT;
    }
    req->noreply = TOK_IS(&last, "noreply");
    if (a[0].n > REQUEST_KEY_MAX) {
        return REQ_EKEY_TOO_LONG;
    }
    set_key(req, &a[0]);
    if (req->cmd == REQ_TOUCH) {
        int32_t exptime;
        if (!number_strict_i32(a[1].s, a[1].n, &exptime)) {
            return REQ_EEXPTIME;
        }
        req->exptime = exptime;
    } else if (req->cmd != REQ_DELETE && !number_strict_u64(a[1].s, a[1].n, &req->delta)) {
        return REQ_EDELTA;
    }
    return REQ_EOK;
}

/* flush_all [delay] [noreply]: a lone "noreply" is not read as a delay,
 * any other first argument is (strict; a negative delay means "now"). */
static enum request_error parse_flush_all(struct request *req, const struct tok *a, size_t nt)
{
    int32_t delay;

    if (nt == (req->noreply ? 2u : 1u)) {
        return REQ_EOK;
    }
    if (!number_strict_i32(a[0].s, a[0].n, &delay)) {
        return REQ_EEXPTIME;
    }
    req->has_delay = true;
    req->exptime = delay;
    req->delta = delay > 0 ? (uint64_t)delay : 0;
    return REQ_EOK;
}

/* verbosity <level>: strict digits; anything after is ignored. */
static enum request_error parse_verbosity(struct request *req, const struct tok *a, size_t nt)
{
    uint32_t level;

    if (nt < 2 || !number_strict_u32(a[0].s, a[0].n, &level)) {
        return REQ_EFORMAT;
    }
    req->delta = level;
    return REQ_EOK;
}

/* cache_memlimit <megabytes> [...] [noreply]: memcached 1.6.45 reads the
 * argument with mcmc_toktou32() (decimal digits only, at most 11 of them,
 * within 32 bits: "+8", "0x10", "8m", "-1" and 4294967296 answer "ERROR")
 * and ignores further tokens. Its range (at least 8, at most 10^9
 * megabytes) is exec's to check: those replies are not errors of syntax. */
static enum request_error parse_cache_memlimit(struct request *req, const struct tok *a,
                                               size_t nt)
{
    uint32_t mb;

    if (nt < 2 || !number_strict_u32(a[0].s, a[0].n, &mb)) {
        return REQ_EUNKNOWN;
    }
    req->delta = mb;
    return REQ_EOK;
}

/* stats/shutdown/operator commands: the rest of the line, cut at a NUL, trimmed of ' '. */
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

/*
 * A line whose command word memcached 1.6.45 does not know as a main
 * command (process_command_ascii): its first token, leading spaces
 * skipped, is looked up among the admin commands; the last of its first
 * LINE_TOKENS_MAX tokens decides noreply for them. Otherwise, if that last
 * token (with at least one before it) starts "HTTP/", it is an HTTP request
 * that reached the cache port, as a browser can be made to send one: close
 * without a byte, memcached's defence against cross-protocol requests.
 * Otherwise "ERROR", which a last token "noreply" silences.
 */
static enum request_error parse_admin(struct request *req, const char *line, size_t n)
{
    struct cursor c = { line, line + n };
    struct tok a[ARGS_MAX];
    struct tok t0;

    if (!tok_next(&c, &t0)) {
        return REQ_EUNKNOWN;
    }
    struct cursor rest = c;
    struct tok last = t0;
    size_t nt = tok_split(&c, a, &last);
    enum request_cmd cmd = cmd_lookup(t0.s, t0.n);

    if (cmd == REQ_NONE || cmd_is_main(cmd)) {
        if (nt > 1 && last.n >= 5 && memcmp(last.s, "HTTP/", 5) == 0) {
            return REQ_EHTTP;
        }
        req->noreply = TOK_IS(&last, "noreply");
        return REQ_EUNKNOWN;
    }
    req->cmd = cmd;
    req->noreply = TOK_IS(&last, "noreply");
    switch (cmd) {
    case REQ_FLUSH_ALL:
        return parse_flush_all(req, a, nt);
    case REQ_VERBOSITY:
        return parse_verbosity(req, a, nt);
    case REQ_SHUTDOWN:
    case REQ_SLABS:
    case REQ_LRU:
    case REQ_LRU_CRAWLER:
    case REQ_REPLICA_OF:
    case REQ_REPL_SYNC:
        /* operator commands: server/admin.c reads the arguments through
         * proto/admin.h (replication's: server/replication.c), off the
         * get/set path */
        parse_rest_arg(req, &rest);
        return REQ_EOK;
    case REQ_CACHE_MEMLIMIT:
        return parse_cache_memlimit(req, a, nt);
    case REQ_SNAPSHOT:
    case REQ_REFRESH_CERTS:
        /* no arguments, but noreply */
        return nt == 1 || (nt == 2 && req->noreply) ? REQ_EOK : REQ_EFORMAT;
    default:
        return REQ_EUNKNOWN;
    }
}

/*
 * Parse one line without its "\n" (and "\r"); sets req->cmd and friends.
 * The command word is every byte before the first ' ', as 1.6.45's
 * process_request() takes it: no leading spaces skipped.
 */
static enum request_error parse_line(struct request *req, const char *line, size_t n)
{
    struct cursor c = { token_end(line, line + n), line + n };
    struct tok word = { line, (size_t)(c.p - line) };

    /* memcached serves both dialects on one connection: mg, ms, md, ma, mn
     * and me are meta commands; any other "m?" is an unknown command. */
    if (word.n == 2 && line[0] == 'm') {
        enum request_error e = meta_parse_line(req, line, n);
        return e == REQ_EUNKNOWN && req->cmd == REQ_NONE ? parse_admin(req, line, n) : e;
    }
    req->cmd = cmd_lookup(word.s, word.n);
    switch (req->cmd) {
    case REQ_GET:
    case REQ_GETS:
    case REQ_GAT:
    case REQ_GATS:
        return parse_retrieval(req, &c);
    case REQ_SET:
    case REQ_ADD:
    case REQ_REPLACE:
    case REQ_APPEND:
    case REQ_PREPEND:
    case REQ_CAS:
        return parse_storage(req, &c, word);
    case REQ_INCR:
    case REQ_DECR:
    case REQ_TOUCH:
    case REQ_DELETE:
        return parse_keyed(req, &c, word);
    case REQ_STATS:
    case REQ_WATCH:
        /* server/ reads the arguments (watch: through proto/admin.h) */
        parse_rest_arg(req, &c);
        return REQ_EOK;
    case REQ_VERSION:
    case REQ_QUIT:
        return REQ_EOK;
    default:
        req->cmd = REQ_NONE;
        return parse_admin(req, line, n);
    }
}

enum parse_status text_parse(struct request *req, const char *buf, size_t len, size_t *consumed)
{
    size_t n = 0;

    request_reset(req);
    enum parse_status ps = line_frame(req, buf, len, true, &n, consumed);
    if (ps != PARSE_OK) {
        return ps;
    }
    /* memcached 1.6.45 refuses a line shorter than 4 bytes with its "\n"
     * ("\r\n", "x\r\n", "mn\n") before looking at it. */
    req->error = *consumed < 4 ? REQ_EFORMAT : parse_line(req, buf, n);
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

static const struct line_piece fixed_reply[RSP_KIND_COUNT] = {
    [RSP_STORED] = LINE_PIECE("STORED\r\n"),
    [RSP_NOT_STORED] = LINE_PIECE("NOT_STORED\r\n"),
    [RSP_EXISTS] = LINE_PIECE("EXISTS\r\n"),
    [RSP_NOT_FOUND] = LINE_PIECE("NOT_FOUND\r\n"),
    [RSP_DELETED] = LINE_PIECE("DELETED\r\n"),
    [RSP_TOUCHED] = LINE_PIECE("TOUCHED\r\n"),
    [RSP_OK] = LINE_PIECE("OK\r\n"),
    [RSP_END] = LINE_PIECE("END\r\n"),
    [RSP_VALUE] = LINE_PIECE("VALUE "),
};

static const struct line_piece crlf = LINE_PIECE("\r\n");
static const struct line_piece space = LINE_PIECE(" ");

size_t text_compose(const struct response *rsp, char *buf, size_t cap)
{
    char nb[3][U64_DIGITS_MAX];
    struct line_piece pc[8];
    size_t np = 0;
    char *d;

    switch (rsp->kind) {
    case RSP_VALUE:
        pc[np++] = fixed_reply[RSP_VALUE];
        pc[np++] = (struct line_piece){ rsp->key, rsp->nkey };
        d = u64_rev(nb[0] + U64_DIGITS_MAX, rsp->flags);
        pc[np++] = (struct line_piece){ d - 1, (size_t)(nb[0] + U64_DIGITS_MAX - d) + 1 };
        d[-1] = ' ';
        d = u64_rev(nb[1] + U64_DIGITS_MAX, rsp->vlen);
        pc[np++] = (struct line_piece){ d - 1, (size_t)(nb[1] + U64_DIGITS_MAX - d) + 1 };
        d[-1] = ' ';
        if (rsp->with_cas) {
            d = u64_rev(nb[2] + U64_DIGITS_MAX, rsp->cas);
            pc[np++] = space;
            pc[np++] = (struct line_piece){ d, (size_t)(nb[2] + U64_DIGITS_MAX - d) };
        }
        pc[np++] = crlf;
        break;
    case RSP_NUMBER:
        d = u64_rev(nb[0] + U64_DIGITS_MAX, rsp->number);
        pc[np++] = (struct line_piece){ d, (size_t)(nb[0] + U64_DIGITS_MAX - d) };
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
        pc[np++] = fixed_reply[rsp->kind];
        break;
    default:
        /* errors, VERSION, STAT, RESET and whole lines, as meta writes
         * them; RSP_MISS is silent in text (a missing key is simply not
         * listed); RSP_NOOP and RSP_DEBUG exist only in meta and binary. */
        return line_compose(rsp, buf, cap);
    }
    return line_emit(buf, cap, pc, np);
}

size_t text_compose_bound(const struct response *rsp)
{
    switch (rsp->kind) {
    case RSP_VALUE:
        /* "VALUE " key " " flags " " bytes [" " cas] "\r\n" */
        return 6 + rsp->nkey + 1 + 10 + 1 + 10 + 1 + U64_DIGITS_MAX + 2;
    case RSP_NUMBER:
        return U64_DIGITS_MAX + 2;
    case RSP_STORED:
    case RSP_NOT_STORED:
    case RSP_EXISTS:
    case RSP_NOT_FOUND:
    case RSP_DELETED:
    case RSP_TOUCHED:
    case RSP_OK:
    case RSP_END:
        return fixed_reply[rsp->kind].n;
    default:
        return line_compose_bound(rsp);
    }
}

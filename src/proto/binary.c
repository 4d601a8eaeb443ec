/*
 * binary.c: memcached's binary protocol. binary_parse() turns one request
 * packet into a struct request; binary_compose() turns a struct response into
 * a reply packet. Pure: it knows nothing of sockets or of the store, and it
 * never allocates.
 *
 *   buf ──24-byte header──▶ magic, lengths ──▶ op_info[opcode] ──▶ extras
 *   (rbuf)  (big-endian)     (general rules)    (cmd, length rule,   (flags,
 *                                                quiet, k bits)       exptime,
 *   struct request ◀── pointers into buf ◀── key ◀─────────────────── delta)
 *
 * Rules from memcached 1.6.45 (proto_bin.c: try_read_command_binary,
 * dispatch_bin_command), observed against it (and 1.6.18, which agrees but
 * for the body limit), one connection per case; a * marks what we do
 * differently:
 *
 *   request                                   memcached 1.6.45             here
 *   ----------------------------------------  ---------------------------  -----------------
 *   magic != 0x80 (after the first packet)    close, no reply              REQ_EBAD_MAGIC
 *   key + extras > body                       0x81 "Unknown command", close REQ_EUNKNOWN
 *   body > 1 GiB (ITEM_SIZE_MAX_UPPER_LIMIT)  0x04 "Invalid arguments", close REQ_EFORMAT
 *                                             (1.6.18: no check; it waits for the body)
 *   key > 250 bytes (any opcode)              0x04 "Invalid arguments", close REQ_EKEY_TOO_LONG
 *   lengths wrong for the opcode (below)      0x04 "Invalid arguments", close REQ_EFORMAT
 *   unknown opcode, verbosity 0x1b included   0x81 "Unknown command"       REQ_UNKNOWN_OPCODE
 *     (protocol-binary.txt lists verbosity; memcached's dispatcher never
 *     had it, so it is unknown whatever its extras)
 *     *memcached then swallows `body` bytes counted after the extras and
 *      key, so with extras or a key it eats that many bytes of the next
 *      packet and loses its place (it closes, or waits, depending on what
 *      follows); we skip exactly the rest of the body (vlen), which keeps
 *      the stream in step.
 *   SASL list/auth/step, SASL off             0x81 "Unknown command", body  REQ_SASL_*
 *                                             skipped (mnemo: exec answers RSP_EUNKNOWN)
 *   datatype / vbucket fields                 ignored
 *   stat/touch/gat* with surplus body bytes   answered; the surplus is read as the next packet
 *
 *   opcode                         length rule (else EFORMAT)    request
 *   -----------------------------  ----------------------------  ---------------------------------
 *   get getq getk getkq 00 09 0c 0d ext 0, key > 0, body = key  REQ_GET (+quiet, k: REQ_MFLAG('k'))
 *   set add replace (q) 01-03 11-13 ext 8, key > 0              REQ_SET/ADD/REPLACE (cas in req->cas)
 *   append prepend (q) 0e 0f 19 1a  ext 0, key > 0              REQ_APPEND/PREPEND (cas checked if != 0)
 *   delete (q) 04 14                ext 0, key > 0, body = key  REQ_DELETE (cas checked if != 0)
 *   incr decr (q) 05 06 15 16       ext 20, key > 0, body = 40+ REQ_INCR/DECR: delta, initial, exptime
 *   quit (q) 07 17, noop 0a,        all lengths 0               REQ_QUIT, REQ_NOOP, REQ_VERSION,
 *   version 0b, sasl list 20                                    REQ_SASL_LIST
 *   flush (q) 08 18                 key 0, body = ext, ext 0|4  REQ_FLUSH_ALL (ext 4: has_delay)
 *   stat 10                         ext 0                       REQ_STATS, key -> arg
 *   touch 1c, gat gatq gatk gatkq   ext 4, key > 0              REQ_TOUCH, REQ_GAT (+quiet, k)
 *   1d 1e 23 24
 *   sasl auth/step 21 22            ext 0, key > 0              REQ_SASL_AUTH/STEP, vlen = data
 *
 * Exptimes are unsigned 32-bit on the wire (no "negative = expired"). incr's
 * exptime 0xffffffff means "do not create" (has_initial false).
 *
 * Replies (status, body; cas is 0 on every error; opcode and opaque echoed):
 *
 *   response                          status                    body / extras / key
 *   --------------------------------  ------------------------  -------------------------------
 *   RSP_VALUE                         0                         ext flags, key if k, + vlen
 *   RSP_MISS / RSP_NOT_FOUND, get*    1                         k: key only; else "Not found"
 *   RSP_NOT_FOUND, RSP_MISS (others)  1                         "Not found"
 *   RSP_STORED/DELETED/OK/NOOP        0                         -, cas = rsp->cas
 *   RSP_TOUCHED (touch)               0                         ext flags (rsp->flags), cas
 *   RSP_NUMBER                        0                         8-byte big-endian value, cas
 *   RSP_VERSION                       0                         msg
 *   RSP_STAT / RSP_END|RSP_RESET      0                         key msg, value msg2 / empty
 *   RSP_EXISTS                        2                         "Data exists for key."
 *   RSP_NOT_STORED: add / replace     2 / 1                     "Data exists for key." / "Not found"
 *   RSP_NOT_STORED: others            5                         "Not stored."
 *   RSP_ETOO_LARGE                    3                         "Too large."
 *   RSP_EFORMAT, RSP_EBAD_CHUNK,      4                         "Invalid arguments"
 *     RSP_CLIENT_ERROR
 *   RSP_ENON_NUMERIC                  6                         "Non-numeric server-side value for incr or decr"
 *   RSP_EDISABLED (flush with -F),    0x20                      "Auth failure."
 *   RSP_EAUTH (-Y, not authenticated)
 *   RSP_ERROR, RSP_EUNKNOWN           0x81 (stat: 1)            "Unknown command" (stat: "Not found")
 *   RSP_ENOMEM                        0x82                      "Out of memory allocating item" (storage),
 *                                                               "... incrementing value" (incr/decr),
 *                                                               "... generating stats" (stat), else "Out of memory"
 *   RSP_ENOT_SUPPORTED                0x83                      "Not supported"
 *   RSP_SERVER_ERROR, other           0x84                      msg, or "Internal error"
 *
 * Silent (0 bytes), as memcached: quiet opcodes' successes (STORED, DELETED,
 * OK, NUMBER, TOUCHED), getq/getkq/gatq/gatkq misses, RSP_END outside a stat
 * listing (binary retrievals have no end marker), RSP_DEBUG.
 */
#include "proto/binary.h"

#include <endian.h>
#include <string.h>

/* memcached's ITEM_SIZE_MAX_UPPER_LIMIT: a larger body is refused from the
 * header, whatever the opcode and -I. */
#define BINARY_BODY_MAX (1024u * 1024u * 1024u)

/* ---- the opcode table ---------------------------------------------------- */

/* Length rules: what dispatch_bin_command() demands of each opcode. */
enum op_rule {
    RULE_ANY = 0, /* unknown opcodes: only the general checks */
    RULE_EMPTY,   /* ext 0, key 0, body 0 */
    RULE_FLUSH,   /* key 0, body == ext, ext 0 or 4 */
    RULE_STORE,   /* ext 8, key > 0 */
    RULE_KEYONLY, /* ext 0, key > 0, body == key */
    RULE_DELTA,   /* ext 20, key > 0, body == key + 20 */
    RULE_KEYDATA, /* ext 0, key > 0 (append/prepend, sasl auth/step) */
    RULE_STAT,    /* ext 0 */
    RULE_TOUCH    /* ext 4, key > 0 */
};

#define OP_QUIET 0x01   /* *Q opcode */
#define OP_RETKEY 0x02  /* getk, gatk: the reply carries the key */
#define OP_GET 0x04     /* a retrieval: a miss is quiet-suppressed, k echoes the key */
#define OP_ADD 0x08     /* NOT_STORED is "Data exists for key." */
#define OP_REPLACE 0x10 /* NOT_STORED is "Not found" */
#define OP_STORAGE 0x20 /* set/add/replace/append/prepend: OOM "allocating item" */
#define OP_DELTA 0x40   /* incr/decr */
#define OP_STAT 0x80    /* stat: RSP_END terminates, unknown group is "Not found" */

struct op_info {
    uint8_t cmd; /* enum request_cmd; REQ_NONE = unknown opcode */
    uint8_t rule;
    uint8_t bits;
};

#define OPI(c, r, b) { (uint8_t)(c), (uint8_t)(r), (uint8_t)(b) }

static const struct op_info op_info[256] = {
    [BINARY_OP_GET] = OPI(REQ_GET, RULE_KEYONLY, OP_GET),
    [BINARY_OP_GETQ] = OPI(REQ_GET, RULE_KEYONLY, OP_GET | OP_QUIET),
    [BINARY_OP_GETK] = OPI(REQ_GET, RULE_KEYONLY, OP_GET | OP_RETKEY),
    [BINARY_OP_GETKQ] = OPI(REQ_GET, RULE_KEYONLY, OP_GET | OP_RETKEY | OP_QUIET),
    [BINARY_OP_SET] = OPI(REQ_SET, RULE_STORE, OP_STORAGE),
    [BINARY_OP_SETQ] = OPI(REQ_SET, RULE_STORE, OP_STORAGE | OP_QUIET),
    [BINARY_OP_ADD] = OPI(REQ_ADD, RULE_STORE, OP_STORAGE | OP_ADD),
    [BINARY_OP_ADDQ] = OPI(REQ_ADD, RULE_STORE, OP_STORAGE | OP_ADD | OP_QUIET),
    [BINARY_OP_REPLACE] = OPI(REQ_REPLACE, RULE_STORE, OP_STORAGE | OP_REPLACE),
    [BINARY_OP_REPLACEQ] = OPI(REQ_REPLACE, RULE_STORE, OP_STORAGE | OP_REPLACE | OP_QUIET),
    [BINARY_OP_APPEND] = OPI(REQ_APPEND, RULE_KEYDATA, OP_STORAGE),
    [BINARY_OP_APPENDQ] = OPI(REQ_APPEND, RULE_KEYDATA, OP_STORAGE | OP_QUIET),
    [BINARY_OP_PREPEND] = OPI(REQ_PREPEND, RULE_KEYDATA, OP_STORAGE),
    [BINARY_OP_PREPENDQ] = OPI(REQ_PREPEND, RULE_KEYDATA, OP_STORAGE | OP_QUIET),
    [BINARY_OP_DELETE] = OPI(REQ_DELETE, RULE_KEYONLY, 0),
    [BINARY_OP_DELETEQ] = OPI(REQ_DELETE, RULE_KEYONLY, OP_QUIET),
    [BINARY_OP_INCREMENT] = OPI(REQ_INCR, RULE_DELTA, OP_DELTA),
    [BINARY_OP_INCREMENTQ] = OPI(REQ_INCR, RULE_DELTA, OP_DELTA | OP_QUIET),
    [BINARY_OP_DECREMENT] = OPI(REQ_DECR, RULE_DELTA, OP_DELTA),
    [BINARY_OP_DECREMENTQ] = OPI(REQ_DECR, RULE_DELTA, OP_DELTA | OP_QUIET),
    [BINARY_OP_QUIT] = OPI(REQ_QUIT, RULE_EMPTY, 0),
    [BINARY_OP_QUITQ] = OPI(REQ_QUIT, RULE_EMPTY, OP_QUIET),
    [BINARY_OP_FLUSH] = OPI(REQ_FLUSH_ALL, RULE_FLUSH, 0),
    [BINARY_OP_FLUSHQ] = OPI(REQ_FLUSH_ALL, RULE_FLUSH, OP_QUIET),
    [BINARY_OP_NOOP] = OPI(REQ_NOOP, RULE_EMPTY, 0),
    [BINARY_OP_VERSION] = OPI(REQ_VERSION, RULE_EMPTY, 0),
    [BINARY_OP_STAT] = OPI(REQ_STATS, RULE_STAT, OP_STAT),
    [BINARY_OP_TOUCH] = OPI(REQ_TOUCH, RULE_TOUCH, 0),
    [BINARY_OP_GAT] = OPI(REQ_GAT, RULE_TOUCH, OP_GET),
    [BINARY_OP_GATQ] = OPI(REQ_GAT, RULE_TOUCH, OP_GET | OP_QUIET),
    [BINARY_OP_GATK] = OPI(REQ_GAT, RULE_TOUCH, OP_GET | OP_RETKEY),
    [BINARY_OP_GATKQ] = OPI(REQ_GAT, RULE_TOUCH, OP_GET | OP_RETKEY | OP_QUIET),
    [BINARY_OP_SASL_LIST_MECHS] = OPI(REQ_SASL_LIST, RULE_EMPTY, 0),
    [BINARY_OP_SASL_AUTH] = OPI(REQ_SASL_AUTH, RULE_KEYDATA, 0),
    [BINARY_OP_SASL_STEP] = OPI(REQ_SASL_STEP, RULE_KEYDATA, 0),
};

/* ---- big-endian loads and stores ---------------------------------------- */

static inline uint16_t ld16(const char *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof(v));
    return be16toh(v);
}

static inline uint32_t ld32(const char *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return be32toh(v);
}

static inline uint64_t ld64(const char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return be64toh(v);
}

static inline void st16(char *p, uint16_t v)
{
    v = htobe16(v);
    memcpy(p, &v, sizeof(v));
}

static inline void st32(char *p, uint32_t v)
{
    v = htobe32(v);
    memcpy(p, &v, sizeof(v));
}

static inline void st64(char *p, uint64_t v)
{
    v = htobe64(v);
    memcpy(p, &v, sizeof(v));
}

/* ---- parse --------------------------------------------------------------- */

/* Does the packet's shape fit its opcode (dispatch_bin_command's checks)?
 * key + ext <= body is already known. */
static bool rule_ok(enum op_rule rule, uint32_t ext, uint32_t key, uint32_t body)
{
    switch (rule) {
    case RULE_EMPTY:
        return body == 0;
    case RULE_FLUSH:
        return key == 0 && body == ext && (ext == 0 || ext == 4);
    case RULE_STORE:
        return ext == 8 && key > 0;
    case RULE_KEYONLY:
        return ext == 0 && key > 0 && body == key;
    case RULE_DELTA:
        return ext == 20 && key > 0 && body == key + 20;
    case RULE_KEYDATA:
        return ext == 0 && key > 0;
    case RULE_STAT:
        return ext == 0;
    case RULE_TOUCH:
        return ext == 4 && key > 0;
    case RULE_ANY:
    default:
        return true;
    }
}

/* Fill the command's fields from the extras; lengths are already checked. */
static void fill(struct request *req, const struct op_info *oi, const char *ext, const char *key,
                 uint32_t nkey, uint32_t rest)
{
    req->cmd = (enum request_cmd)oi->cmd;
    req->quiet = (oi->bits & OP_QUIET) != 0;
    if (oi->bits & OP_RETKEY) {
        req->mflags |= REQ_MFLAG('k');
    }
    if (nkey > 0 && oi->cmd != REQ_STATS) {
        /* One key; keys/nkeys_text mirror it, but a binary key may hold ' ',
         * so exec must use key/nkey rather than walk the list. */
        req->key = key;
        req->nkey = nkey;
        req->keys = key;
        req->nkeys_text = nkey;
        req->nkeys = 1;
    }
    switch (oi->cmd) {
    case REQ_SET:
    case REQ_ADD:
    case REQ_REPLACE:
        req->flags = ld32(ext);
        req->exptime = ld32(ext + 4);
        req->has_exptime = true;
        req->vlen = rest;
        /* A non-zero cas makes these compare-and-swap in memcached; exec
         * applies that rule, as it knows whether -C turned cas off. */
        if (req->cas != 0) {
            req->cas_rule = REQ_CAS_SET_ADD_REPLACE;
        }
        break;
    case REQ_APPEND:
    case REQ_PREPEND:
    case REQ_SASL_AUTH:
    case REQ_SASL_STEP:
        req->vlen = rest;
        break;
    case REQ_INCR:
    case REQ_DECR: {
        uint32_t exp = ld32(ext + 16);
        req->delta = ld64(ext);
        req->initial = ld64(ext + 8);
        req->exptime = exp;
        /* protocol-binary.txt: 0xffffffff means "fail if the key is missing" */
        req->has_initial = exp != 0xffffffffu;
        req->has_exptime = req->has_initial;
        break;
    }
    case REQ_FLUSH_ALL:
        if (ext != NULL) {
            req->exptime = ld32(ext);
            req->delta = (uint64_t)req->exptime;
            req->has_delay = true;
        }
        break;
    case REQ_TOUCH:
    case REQ_GAT:
        req->exptime = ld32(ext);
        req->has_exptime = true;
        break;
    case REQ_STATS:
        if (nkey > 0) {
            req->arg = key;
            req->narg = nkey;
        }
        break;
    case REQ_NONE:
        req->cmd = REQ_UNKNOWN_OPCODE;
        req->vlen = rest;
        break;
    default:
        break;
    }
}

enum parse_status binary_parse(struct request *req, const char *buf, size_t len, size_t *consumed)
{
    request_reset(req);
    *consumed = 0;
    if (len < BINARY_HEADER_LEN) {
        return PARSE_AGAIN;
    }
    uint8_t opcode = (uint8_t)buf[1];
    uint32_t nkey = ld16(buf + 2);
    uint32_t next = (uint8_t)buf[4];
    uint32_t body = ld32(buf + 8);
    const struct op_info *oi = &op_info[opcode];

    req->proto = REQ_PROTO_BINARY;
    /* One key per packet, answered alone; quit is answered; a bad packet
     * leaves the stream's framing in doubt, so it closes. */
    req->single_key = true;
    req->answer_quit = true;
    req->close_on_error = true;
    req->opcode = opcode;
    req->opaque32 = ld32(buf + 12);
    req->cas = ld64(buf + 16);
    req->quiet = (oi->bits & OP_QUIET) != 0;

    /* Checked from the header alone, in memcached's order, so a bad packet is
     * refused without waiting for (up to 64 KiB of) key it announces. */
    if ((uint8_t)buf[0] != BINARY_MAGIC_REQ) {
        req->error = REQ_EBAD_MAGIC;
    } else if ((uint64_t)nkey + next > body) {
        req->error = REQ_EUNKNOWN;
    } else if (body > BINARY_BODY_MAX) {
        req->error = REQ_EFORMAT;
    } else if (nkey > REQUEST_KEY_MAX) {
        req->error = REQ_EKEY_TOO_LONG;
    } else if (!rule_ok((enum op_rule)oi->rule, next, nkey, body)) {
        req->error = REQ_EFORMAT;
    }
    if (req->error != REQ_EOK) {
        req->cmd = oi->cmd != REQ_NONE ? (enum request_cmd)oi->cmd : REQ_UNKNOWN_OPCODE;
        *consumed = BINARY_HEADER_LEN;
        return PARSE_ERROR;
    }

    size_t need = BINARY_HEADER_LEN + next + nkey;
    if (len < need) {
        return PARSE_AGAIN;
    }
    const char *ext = next > 0 ? buf + BINARY_HEADER_LEN : NULL;
    fill(req, oi, ext, buf + BINARY_HEADER_LEN + next, nkey, body - next - nkey);
    *consumed = need;
    return PARSE_OK;
}

/* ---- compose ------------------------------------------------------------- */

struct msg {
    const char *s;
    size_t n;
};

#define MSG(lit) ((struct msg){ lit, sizeof(lit) - 1 })

/* What one reply packet holds; computed once, then sized or written. */
struct plan {
    uint16_t status;
    uint8_t extlen;  /* 0, or 4 for flags */
    uint32_t flags;
    const char *key; /* key section */
    size_t nkey;
    const char *body; /* value section written here */
    size_t nbody;
    uint32_t tail; /* value bytes the caller appends (RSP_VALUE) */
    uint64_t cas;
    char num[8]; /* RSP_NUMBER's big-endian value */
};

static void plan_error(struct plan *pl, uint16_t status, struct msg m)
{
    pl->status = status;
    pl->body = m.s;
    pl->nbody = m.n;
}

static struct msg enomem_msg(uint8_t bits)
{
    if (bits & OP_STORAGE) {
        return MSG("Out of memory allocating item");
    }
    if (bits & OP_DELTA) {
        return MSG("Out of memory incrementing value");
    }
    if (bits & OP_STAT) {
        return MSG("Out of memory generating stats");
    }
    return MSG("Out of memory");
}

/* Error replies by code; never suppressed by a quiet opcode. */
static void plan_by_error(struct plan *pl, const struct response *rsp, uint8_t bits)
{
    switch (rsp->error) {
    case RSP_EFORMAT:
    case RSP_EBAD_CHUNK:
        plan_error(pl, BINARY_STATUS_EINVAL, MSG("Invalid arguments"));
        break;
    case RSP_ETOO_LARGE:
        plan_error(pl, BINARY_STATUS_E2BIG, MSG("Too large."));
        break;
    case RSP_ENOMEM:
        plan_error(pl, BINARY_STATUS_ENOMEM, enomem_msg(bits));
        break;
    case RSP_ENON_NUMERIC:
        plan_error(pl, BINARY_STATUS_DELTA_BADVAL,
                   MSG("Non-numeric server-side value for incr or decr"));
        break;
    case RSP_EUNKNOWN:
        if (bits & OP_STAT) {
            /* process_bin_stat: an unknown stats group is KEY_ENOENT */
            plan_error(pl, BINARY_STATUS_KEY_ENOENT, MSG("Not found"));
        } else {
            plan_error(pl, BINARY_STATUS_UNKNOWN_COMMAND, MSG("Unknown command"));
        }
        break;
    case RSP_ENOT_SUPPORTED:
        plan_error(pl, BINARY_STATUS_NOT_SUPPORTED, MSG("Not supported"));
        break;
    case RSP_EDISABLED:
        /* process_bin_flush: flush_all disabled by -F is AUTH_ERROR */
    case RSP_EAUTH:
        plan_error(pl, BINARY_STATUS_AUTH_ERROR, MSG("Auth failure."));
        break;
    case RSP_EAUTH_CONTINUE:
        plan_error(pl, BINARY_STATUS_AUTH_CONTINUE, (struct msg){rsp->msg, rsp->msg != NULL ? rsp->nmsg : 0});
        break;
    default:
        if (rsp->msg != NULL && rsp->nmsg > 0) {
            plan_error(pl, BINARY_STATUS_EINTERNAL, (struct msg){ rsp->msg, rsp->nmsg });
        } else {
            plan_error(pl, BINARY_STATUS_EINTERNAL, MSG("Internal error"));
        }
        break;
    }
}

/* A retrieval miss: getk/gatk echo the key (and no message), the rest say
 * "Not found"; quiet retrievals say nothing. */
static bool plan_miss(struct plan *pl, const struct response *rsp, const struct request *req,
                      uint8_t bits)
{
    if (bits & OP_QUIET) {
        return false;
    }
    pl->status = BINARY_STATUS_KEY_ENOENT;
    if (bits & OP_RETKEY) {
        pl->key = rsp->nkey > 0 ? rsp->key : req->key;
        pl->nkey = rsp->nkey > 0 ? rsp->nkey : req->nkey;
    } else {
        plan_error(pl, BINARY_STATUS_KEY_ENOENT, MSG("Not found"));
    }
    return true;
}

/* Fill *pl for rsp; false when memcached would send nothing at all. */
static bool plan_of(const struct response *rsp, struct plan *pl)
{
    static const struct request none = { .proto = REQ_PROTO_BINARY };
    const struct request *req = rsp->req != NULL ? rsp->req : &none;
    uint8_t bits = op_info[req->opcode].bits;
    bool quiet = (bits & OP_QUIET) != 0;

    *pl = (struct plan){ 0 };
    if (rsp->error != RSP_EOK) {
        plan_by_error(pl, rsp, bits);
        return true;
    }
    switch (rsp->kind) {
    case RSP_VALUE:
        pl->extlen = 4;
        pl->flags = rsp->flags;
        if (bits & OP_RETKEY) {
            pl->key = rsp->key;
            pl->nkey = rsp->nkey;
        }
        pl->tail = rsp->vlen;
        pl->cas = rsp->cas;
        return true;
    case RSP_MISS:
    case RSP_NOT_FOUND:
        if (bits & OP_GET) {
            return plan_miss(pl, rsp, req, bits);
        }
        plan_error(pl, BINARY_STATUS_KEY_ENOENT, MSG("Not found"));
        return true;
    case RSP_STORED:
    case RSP_DELETED:
    case RSP_OK:
        pl->cas = rsp->cas;
        return !quiet;
    case RSP_TOUCHED:
        /* process_bin_get_or_touch: a touch hit carries the flags, no value */
        pl->extlen = 4;
        pl->flags = rsp->flags;
        pl->cas = rsp->cas;
        return !quiet;
    case RSP_NUMBER:
        st64(pl->num, rsp->number);
        pl->body = pl->num;
        pl->nbody = sizeof(pl->num);
        pl->cas = rsp->cas;
        return !quiet;
    case RSP_NOOP:
        return true;
    case RSP_VERSION:
    case RSP_AUTH_DATA:
        pl->body = rsp->msg;
        pl->nbody = rsp->msg != NULL ? rsp->nmsg : 0;
        return true;
    case RSP_STAT:
        pl->key = rsp->msg;
        pl->nkey = rsp->msg != NULL ? rsp->nmsg : 0;
        pl->body = rsp->msg2;
        pl->nbody = rsp->msg2 != NULL ? rsp->nmsg2 : 0;
        return true;
    case RSP_END:
        /* the empty stat packet ends a listing; retrievals have no end marker */
        return (bits & OP_STAT) != 0;
    case RSP_RESET:
        return true;
    case RSP_EXISTS:
        plan_error(pl, BINARY_STATUS_KEY_EEXISTS, MSG("Data exists for key."));
        return true;
    case RSP_NOT_STORED:
        /* complete_update_bin: a failed add is EEXISTS, a failed replace ENOENT */
        if (bits & OP_ADD) {
            plan_error(pl, BINARY_STATUS_KEY_EEXISTS, MSG("Data exists for key."));
        } else if (bits & OP_REPLACE) {
            plan_error(pl, BINARY_STATUS_KEY_ENOENT, MSG("Not found"));
        } else {
            plan_error(pl, BINARY_STATUS_NOT_STORED, MSG("Not stored."));
        }
        return true;
    case RSP_ERROR: {
        struct response r = *rsp;
        r.error = RSP_EUNKNOWN;
        plan_by_error(pl, &r, bits);
        return true;
    }
    case RSP_CLIENT_ERROR:
        plan_error(pl, BINARY_STATUS_EINVAL, MSG("Invalid arguments"));
        return true;
    case RSP_SERVER_ERROR:
        plan_by_error(pl, rsp, bits);
        return true;
    case RSP_DEBUG:
    default:
        return false;
    }
}

static inline size_t plan_size(const struct plan *pl)
{
    return BINARY_HEADER_LEN + pl->extlen + pl->nkey + pl->nbody;
}

size_t binary_compose(const struct response *rsp, char *buf, size_t cap)
{
    struct plan pl;

    if (!plan_of(rsp, &pl)) {
        return 0;
    }
    size_t total = plan_size(&pl);
    if (total > cap) {
        return total;
    }
    const struct request *req = rsp->req;
    buf[0] = (char)BINARY_MAGIC_RES;
    buf[1] = (char)(req != NULL ? req->opcode : 0);
    st16(buf + 2, (uint16_t)pl.nkey);
    buf[4] = (char)pl.extlen;
    buf[5] = 0; /* datatype: raw bytes */
    st16(buf + 6, pl.status);
    st32(buf + 8, (uint32_t)(pl.extlen + pl.nkey + pl.nbody + pl.tail));
    st32(buf + 12, req != NULL ? req->opaque32 : 0);
    st64(buf + 16, pl.status == BINARY_STATUS_OK ? pl.cas : 0);
    char *p = buf + BINARY_HEADER_LEN;
    if (pl.extlen > 0) {
        st32(p, pl.flags);
        p += pl.extlen;
    }
    if (pl.nkey > 0) {
        memcpy(p, pl.key, pl.nkey);
        p += pl.nkey;
    }
    if (pl.nbody > 0) {
        memcpy(p, pl.body, pl.nbody);
    }
    return total;
}

size_t binary_compose_bound(const struct response *rsp)
{
    struct plan pl;

    return plan_of(rsp, &pl) ? plan_size(&pl) : 0;
}

#include "server/errors.h"

#include <string.h>

void errors_message(enum response_kind kind, const char *msg, struct response *rsp)
{
    memset(rsp, 0, sizeof(*rsp));
    rsp->kind = kind;
    rsp->error = RSP_EFORMAT;
    rsp->msg = msg;
    rsp->nmsg = strlen(msg);
}

bool errors_request_fatal(enum request_error e)
{
    return e == REQ_ELINE_TOO_LONG;
}

/* The CLIENT_ERROR text memcached 1.6 sends for each parse error (as
 * observed; proto/text.c and proto/meta.c list the requests behind them). */
static const char *const request_messages[] = {
    [REQ_EFORMAT] = "bad command line format",
    [REQ_EKEY_TOO_LONG] = "bad command line format",
    [REQ_EDELTA] = "invalid numeric delta argument",
    [REQ_EEXPTIME] = "invalid exptime argument",
    [REQ_EDELETE_USAGE] = "bad command line format.  Usage: delete <key> [noreply]",
    [REQ_ELINE_TOO_LONG] = "line too long",
    [REQ_EMETA_FLAG] = "invalid flag",
    [REQ_EMETA_DUP] = "duplicate flag",
    [REQ_EMETA_TOKEN] = "bad token in command line format",
    [REQ_EMETA_FLAG_OR_DUP] = "invalid or duplicate flag",
    [REQ_EMETA_BASE64] = "error decoding key",
    [REQ_EMETA_OPAQUE] = "opaque token too long",
    [REQ_EMETA_MODE_MS] = "invalid mode for ms M token",
    [REQ_EMETA_MODE_MA] = "invalid mode for ma M token",
    [REQ_EMETA_INITIAL] = "invalid numeric initial value",
    [REQ_EMETA_DELTA] = "invalid numeric delta value",
    [REQ_EMETA_TOO_MANY_MG] = "options flags are too long",
};

void errors_request(enum request_error e, struct response *rsp)
{
    if (e == REQ_EUNKNOWN) {
        memset(rsp, 0, sizeof(*rsp));
        rsp->kind = RSP_ERROR;
        rsp->error = RSP_EUNKNOWN;
        return;
    }
    const char *msg = NULL;
    if ((size_t)e < sizeof(request_messages) / sizeof(request_messages[0]))
        msg = request_messages[e];
    errors_message(RSP_CLIENT_ERROR, msg != NULL ? msg : "bad command line format", rsp);
}

void errors_store(enum store_status st, const struct request *req, struct response *rsp)
{
    memset(rsp, 0, sizeof(*rsp));
    switch (st) {
    case STORE_NOT_FOUND:
        rsp->kind = RSP_NOT_FOUND;
        return;
    case STORE_EXISTS:
        rsp->kind = RSP_EXISTS;
        return;
    case STORE_NOT_STORED:
        rsp->kind = RSP_NOT_STORED;
        return;
    case STORE_TOO_LARGE:
        errors_message(RSP_SERVER_ERROR, "object too large for cache", rsp);
        rsp->error = RSP_ETOO_LARGE;
        return;
    case STORE_NON_NUMERIC:
        errors_message(RSP_CLIENT_ERROR, "cannot increment or decrement non-numeric value", rsp);
        rsp->error = RSP_ENON_NUMERIC;
        return;
    case STORE_ENOMEM:
        errors_message(RSP_SERVER_ERROR,
                       request_is_storage(req->cmd) ? "out of memory storing object"
                                                                : "out of memory",
                       rsp);
        rsp->error = RSP_ENOMEM;
        return;
    case STORE_EINVAL:
    case STORE_OK:
    default:
        errors_message(RSP_CLIENT_ERROR, "bad command line format", rsp);
        return;
    }
}

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

void errors_request(enum request_error e, struct response *rsp)
{
    switch (e) {
    case REQ_EUNKNOWN:
        memset(rsp, 0, sizeof(*rsp));
        rsp->kind = RSP_ERROR;
        rsp->error = RSP_EUNKNOWN;
        return;
    case REQ_EDELTA:
        errors_message(RSP_CLIENT_ERROR, "invalid numeric delta argument", rsp);
        return;
    case REQ_EEXPTIME:
        errors_message(RSP_CLIENT_ERROR, "invalid exptime argument", rsp);
        return;
    case REQ_EDELETE_USAGE:
        errors_message(RSP_CLIENT_ERROR, "bad command line format.  Usage: delete <key> [noreply]", rsp);
        return;
    case REQ_ELINE_TOO_LONG:
        errors_message(RSP_CLIENT_ERROR, "line too long", rsp);
        return;
    case REQ_EKEY_TOO_LONG:
    case REQ_EFORMAT:
    case REQ_EOK:
    default:
        errors_message(RSP_CLIENT_ERROR, "bad command line format", rsp);
        return;
    }
}

void errors_store(enum store_status st, enum request_cmd cmd, struct response *rsp)
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
                       request_is_storage(cmd) || cmd == REQ_MS ? "out of memory storing object"
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

/*
 * errors.h: the one table from failure to reply text, so that every
 * protocol reports the same failure the same way (memcached 1.6's words).
 */
#ifndef MNEMO_SERVER_ERRORS_H
#define MNEMO_SERVER_ERRORS_H

#include <stdbool.h>

#include "proto/request.h"
#include "proto/response.h"
#include "store/store.h"

/* Fill rsp with the reply for a parse error. */
void errors_request(enum request_error e, struct response *rsp);

/* Must the connection close after this parse error (the stream cannot be
 * resynchronised)? */
bool errors_request_fatal(enum request_error e);

/* Is this parse error answered with nothing at all (a fatal one memcached
 * closes on silently, or a binary request with a bad magic byte)? */
bool errors_request_silent(enum request_error e);

/* Fill rsp with the reply for a failed store call made for req. */
void errors_store(enum store_status st, const struct request *req, struct response *rsp);

/* A SERVER_ERROR / CLIENT_ERROR with a fixed message. */
void errors_message(enum response_kind kind, const char *msg, struct response *rsp);

#endif

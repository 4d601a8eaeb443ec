/*
 * reply.h: turn one response into bytes on an output queue, in the dialect
 * of the request it answers, with a hit's value queued by reference from
 * item memory. Shared by the TCP session and the UDP front end.
 */
#ifndef MNEMO_SERVER_REPLY_H
#define MNEMO_SERVER_REPLY_H

#include "proto/request.h"
#include "proto/response.h"

struct outq;
struct item;
struct store;

/* Append rsp (dialect: rsp->req's, else fallback). Owns the reference it
 * (may be NULL) whatever happens: queued with the value or released.
 * 0, or -1 when out of memory (the stream is then broken: close it). */
int reply_append(struct outq *out, const struct response *rsp, struct item *it,
                 enum request_proto fallback, struct store *store);

#endif

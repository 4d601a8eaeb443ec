/*
 * reply.h: turn one response into bytes on an output queue with a
 * protocol's composer (proto/dialect.h), with a hit's value queued by
 * reference from item memory. Used by the request loop (server/reqloop.h).
 */
#ifndef MNEMO_SERVER_REPLY_H
#define MNEMO_SERVER_REPLY_H

#include "proto/response.h"

struct outq;
struct proto_ops;
struct item;
struct store;

/* Append rsp composed by ops (the table of the request it answers). Owns
 * the reference it (may be NULL) whatever happens: queued with the value
 * or released. 0, or -1 when out of memory (the stream is then broken:
 * close it). */
int reply_append(struct outq *out, const struct response *rsp, struct item *it,
                 const struct proto_ops *ops, struct store *store);

#endif

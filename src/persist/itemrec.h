/*
 * itemrec.h: what the log writer, snapshots and recovery share — a store
 * item as a record, the time records are stamped with, and file names.
 */
#ifndef MNEMO_PERSIST_ITEMREC_H
#define MNEMO_PERSIST_ITEMREC_H

#include <stddef.h>
#include <stdint.h>

#include "persist/record.h"

struct store;
struct item;

/* Unix time now, on the server clock (as records' stamps are taken). */
int64_t itemrec_now_unix(void);

/* A server-clock exptime as a record's (absolute Unix time, 0 = never),
 * and back. */
int64_t itemrec_exptime_unix(uint32_t t);
uint32_t itemrec_exptime_clock(int64_t unix_time);

/* The record of an item as it is (REC_SET), stamped now. */
void itemrec_of(const struct store *s, const struct item *it, int64_t now, struct rec *r);

/* DIR/<kind>.<seq as 16 hex digits> ("log", "snapshot", "recycle"). */
void itemrec_path(const char *dir, const char *kind, uint64_t seq, char *out, size_t cap);

/* Is name "<kind>.<16 lowercase hex digits>"? Then *seq gets the number. */
int itemrec_parse_name(const char *name, const char *kind, uint64_t *seq);

#endif

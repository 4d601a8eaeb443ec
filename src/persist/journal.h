/*
 * journal.h: the store's one mutation hook (store.h), turned into records
 * (record.h) for the sinks that keep them:
 *
 *   store mutation ──hook, under the key's lock──▶ struct rec ──▶ JOURNAL_LOG   the append log (persist.c)
 *                                                             └─▶ JOURNAL_REPL  the replication backlog (repl/)
 *
 * The store is hooked while any sink is set, so a server with neither
 * persistence nor replicas builds no records at all. A sink is set before
 * the mutations it must see and removed only once nothing mutates (at
 * stop); setting one while serving is safe (the store's hook is swapped
 * atomically).
 *
 * A replica applies its primary's records itself (repl/): the thread that
 * does so is muted (journal_mute), and hands each record it applied to
 * the log with journal_log_only; its replication backlog takes the
 * stream's bytes as they came, so its offsets are its primary's.
 */
#ifndef MNEMO_PERSIST_JOURNAL_H
#define MNEMO_PERSIST_JOURNAL_H

#include <stdbool.h>

#include "persist/record.h"

struct store;
struct journal;

enum journal_sink { JOURNAL_LOG, JOURNAL_REPL, JOURNAL_SINKS };

/* Called with the key's lock held, in the thread making the change: must
 * not block for long or call the store. */
typedef void (*journal_sink_fn)(void *arg, const struct rec *r);

/* A journal for store (not hooked until a sink is set). NULL: no memory. */
struct journal *journal_create(struct store *store);

/* Unhook and free (nothing may mutate any more). Sets *j NULL. */
void journal_free(struct journal **j);

/* Set (fn not NULL) or remove a sink. */
void journal_set_sink(struct journal *j, enum journal_sink which, journal_sink_fn fn, void *arg);

/* While on, this thread's mutations reach no sink. */
void journal_mute(bool on);

/* A record this thread applied (muted): to the log sink, if set. */
void journal_log_only(struct journal *j, const struct rec *r);

#endif

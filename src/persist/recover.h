/*
 * recover.h: putting a store back from a persistence directory at start.
 */
#ifndef MNEMO_PERSIST_RECOVER_H
#define MNEMO_PERSIST_RECOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

struct recover_result {
    uint64_t next_seq;   /* the log segment to start writing */
    uint64_t items;      /* live items in the store afterwards */
    uint64_t usec;       /* how long it took */
    uint64_t torn_bytes; /* cut off torn tails */
    uint64_t log_records; /* replayed from the log after the snapshot (0 after a clean stop) */
};

/* Load dir into store (empty, no hook): the newest snapshot, then the
 * log after it. Reports on stderr what it cut or kept. 0, or -1 with a
 * one-line reason in err naming the file and offset. */
int recover_dir(const char *dir, struct store *store, bool keep_prefix, struct recover_result *out,
                char *err, size_t errlen);

#endif

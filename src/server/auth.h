/*
 * auth.h: ascii authentication (-Y FILE), as memcached's: the file holds
 * "user:password" lines; a client of the text protocols authenticates with
 * a `set` of any key whose data block is "user password", before which
 * every command is refused.  The table is read at start and again on
 * SIGHUP (a file that no longer reads keeps the old table).
 *
 * The checks take a read lock and the reload the write lock, so a reload
 * never pulls a table from under a check; checks are rare (one per
 * connection), so the lock costs nothing a request would feel.
 */
#ifndef MNEMO_SERVER_AUTH_H
#define MNEMO_SERVER_AUTH_H

#include <stddef.h>

struct auth;

/* Longest "user password" token a client may send: it is read into a
 * bounded buffer, never into the cache.  Entries of the file are bounded
 * the same way (a longer one could never match). */
#define AUTH_TOKEN_MAX 1024

/* Read path into a new table.  0 and *out, or -1 with one line in err
 * (the file cannot be read, or line N is not "user:password"). */
int auth_open(const char *path, struct auth **out, char *err, size_t errlen);
void auth_close(struct auth *a);

/* Read the file again; on failure the old table stays and err says why.
 * 0 or -1.  Safe while workers check. */
int auth_reload(struct auth *a, char *err, size_t errlen);

/* Entries in the table now. */
size_t auth_entries(struct auth *a);

/* The first entry as a token "user password" (NUL-terminated) into out,
 * which holds AUTH_TOKEN_MAX + 1 bytes: what a client of a server with
 * this file sends.  0, or -1 when the table is empty. */
int auth_first_token(struct auth *a, char *out);

enum auth_result {
    AUTH_OK,          /* a user and password of the table */
    AUTH_FAILED,      /* well formed, not in the table */
    AUTH_BAD_FORMAT,  /* no "user password" shape */
};

/* Check a token "user password" (len bytes, no terminator): the user is
 * what comes before the first space, the password all after it. */
enum auth_result auth_check(struct auth *a, const char *token, size_t len);

#endif

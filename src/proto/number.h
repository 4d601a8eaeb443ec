/*
 * number.h: decimal fields of memcached's text and meta protocols, parsed
 * the way memcached's safe_strto*() accept them but bounded by a length,
 * so no strtol runs on an unterminated buffer: optional leading isspace
 * bytes, an optional sign, at least one digit, then the end of the token or
 * an isspace byte (anything may follow it: strto* stop there and memcached
 * only checks isspace(*endptr)). Shared by proto/text.c and proto/meta.c.
 */
#ifndef MNEMO_PROTO_NUMBER_H
#define MNEMO_PROTO_NUMBER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* safe_strtoull(): strtoull's wrap-around negation, then memcached refuses a
 * result that looks negative as int64 if the token has a '-' anywhere. */
bool number_u64(const char *s, size_t n, uint64_t *out);

/* A 32-bit unsigned field. memcached 1.6.18 reads it as 64 bits and keeps
 * the low 32 ("set k 4294967296 0 1" stores flags 0); later releases refuse
 * it, and so do we: a silent truncation is corrupted data. */
bool number_u32(const char *s, size_t n, uint32_t *out);

/* safe_strtol() into an int32; out of range is refused, not wrapped as
 * 1.6.18 does ("set k 0 0 4294967297" would read one byte and desync). */
bool number_i32(const char *s, size_t n, int32_t *out);

/*
 * memcached 1.6.45's strict token numbers (mcmc_tokto32/mcmc_toktou64), used
 * where 1.6.45 reads a field with them: the data length of set/add/replace/
 * append/prepend/cas and ms, and cas's unique. Only digits (an optional
 * leading '-' for the signed form), at most 11 (signed) or 22 bytes, no
 * spaces or '+'; out of range is refused.
 */
bool number_strict_i32(const char *s, size_t n, int32_t *out);
bool number_strict_u64(const char *s, size_t n, uint64_t *out);

#endif

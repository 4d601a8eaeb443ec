/*
 * base64.h: the base64 used by meta keys (the 'b' flag), with memcached
 * 1.6's exact leniency, so that a key memcached accepts decodes to the same
 * bytes here and one it refuses is refused here too.
 *
 * Pure: no allocation, no I/O.
 */
#ifndef MNEMO_PROTO_BASE64_H
#define MNEMO_PROTO_BASE64_H

#include <stddef.h>

/* Encoded length of n bytes (with '=' padding); a constant expression. */
#define BASE64_ENCODED_LEN(n) (((n) + 2) / 3 * 4)

/*
 * Encode src[0..n) into out, which has room for base64_encoded_len(n)
 * bytes (no NUL is written). Returns the encoded length.
 */
size_t base64_encode(const unsigned char *src, size_t n, char *out);

/*
 * Decode src[0..n) into out (room for n / 4 * 3 bytes suffices). Returns
 * the decoded length, or 0 when memcached would refuse the input.
 *
 * memcached's rules (base64.c, observed on 1.6.18): bytes outside the
 * alphabet (and '=') are skipped; the remaining count must be a non-zero
 * multiple of 4; '=' decodes as 0 wherever it stands, and the first
 * 4-symbol group containing any '=' ends the input: one '=' drops one
 * byte, two drop two, three or four refuse the whole key. So "YQ=a" is
 * accepted (2 bytes), "YW==junk" is "a", and "YWJ", "Y===", "====" fail.
 */
size_t base64_decode(const char *src, size_t n, unsigned char *out);

#endif

/*
 * token.h: where a ' '-delimited token ends, eight bytes at a time.
 *
 * The text and meta parsers and the prefetch peek all split command lines
 * on ' ', and most of the bytes they step over are keys (memcaslap's are 64
 * bytes). A byte loop pays a compare and a branch per byte, twice per
 * request (peek, then parse). This is hand-rolled rather than memchr()
 * because the call and its setup cost more than they save on the short
 * tokens that make up the rest of a line (command names, flags, lengths).
 */
#ifndef MNEMO_PROTO_TOKEN_H
#define MNEMO_PROTO_TOKEN_H

#include <stdint.h>
#include <string.h>

/* The first ' ' in [p, end), or end. Never reads outside [p, end). */
static inline const char *token_end(const char *p, const char *end)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101u;
    const uint64_t highs = 0x8080808080808080u;
    while (end - p >= 8) {
        uint64_t w;
        memcpy(&w, p, sizeof(w)); /* unaligned load */
        w ^= ones * ' ';          /* a space becomes a zero byte */
        /* The lowest marked byte is the first zero byte; a borrow can only
         * mark bytes above it, which are not looked at. */
        uint64_t zero = (w - ones) & ~w & highs;
        if (zero != 0)
            return p + (__builtin_ctzll(zero) >> 3);
        p += sizeof(w);
    }
#endif
    while (p < end && *p != ' ')
        p++;
    return p;
}

#endif

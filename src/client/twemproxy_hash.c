/*
 * twemproxy_hash.c: nutcracker 0.5's key hashes (twemproxy's src/hashkit).
 *
 * Hand-rolled on purpose: placement must agree with a running nutcracker
 * key for key, and several of its hashes are not the textbook functions,
 * so no general-purpose library gives the same numbers.  The quirks kept:
 *
 *   - one_at_a_time, the fnv family and hsieh's three-byte tail read the
 *     key as plain char, signed on amd64 (Debian's nutcracker there): a
 *     byte >= 0x80 is sign-extended before it is mixed in.  An arm64
 *     nutcracker (unsigned char) places such keys differently; we follow
 *     amd64, as libhashkit's one-at-a-time in modula.c does.
 *   - fnv1a_64 runs on 32 bits: the low halves of FNV-64's offset basis
 *     and prime, so it is neither FNV-1a 64 nor FNV-1a 32 (libmemcached's
 *     fnv1a_64 is the same, and nutcracker took it from there).
 *   - crc32 is libmemcached's: bits 16..30 of the CRC-32 (0..32767), so
 *     keys land only near the start of the ring; crc32a is the real CRC-32.
 *   - crc16 runs CRC-16/XMODEM on a 32-bit register never cut back to 16
 *     bits, so its value is no CRC-16 and may pass 65535.
 *   - murmur is MurmurHash2 seeded with 0xdeadbeef * len; jenkins is
 *     lookup3's hashlittle with initval 13 (both as libmemcached has them).
 *
 * The CRCs go bit by bit rather than by table: a key is at most 250 bytes
 * and one network round trip costs far more.  zlib's crc32 would give
 * crc32a, but zlib is no dependency of libmnemo.
 */
#include "client/twemproxy_hash.h"

#include "client/ketama.h"
#include "client/modula.h"

/* A key byte as nutcracker's plain char reads it (see above). */
static uint32_t sx32(unsigned char b)
{
    return (uint32_t)(int32_t)(signed char)b;
}

static uint32_t le16(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t le32(const unsigned char *p)
{
    return le16(p) | le16(p + 2) << 16;
}

static uint32_t rotl(uint32_t x, unsigned k)
{
    return x << k | x >> (32 - k);
}

static uint32_t crc32_std(const unsigned char *p, size_t n)
{
    uint32_t crc = 0xffffffffu;

    while (n--) {
        crc ^= *p++;
        for (int b = 0; b < 8; b++)
            crc = crc >> 1 ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

/* One entry of CRC-16/XMODEM's table (polynomial 0x1021, MSB first). */
static uint32_t xmodem_entry(uint32_t byte)
{
    uint32_t r = byte << 8;

    for (int b = 0; b < 8; b++)
        r = r & 0x8000u ? (r << 1 ^ 0x1021u) : r << 1;
    return r & 0xffffu;
}

/* nutcracker's crc16: CRC-16/XMODEM's table step on a 32-bit register that
 * is never cut back to 16 bits, so the bits shifted past bit 15 stay: the
 * low half is the real CRC-16/XMODEM, the high half what overflowed. */
static uint32_t crc16(const unsigned char *p, size_t n)
{
    uint32_t crc = 0;

    while (n--)
        crc = crc << 8 ^ xmodem_entry((crc >> 8 ^ *p++) & 0xffu);
    return crc;
}

static uint32_t fnv1_64(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;

    while (n--) {
        h *= 0x100000001b3ull;
        h ^= (uint64_t)(int64_t)(signed char)*p++;
    }
    return (uint32_t)h;
}

static uint32_t fnv32(const unsigned char *p, size_t n, uint32_t h, uint32_t prime, int xor_first)
{
    while (n--) {
        if (xor_first) {
            h ^= sx32(*p++);
            h *= prime;
        } else {
            h *= prime;
            h ^= sx32(*p++);
        }
    }
    return h;
}

static uint32_t hsieh(const unsigned char *p, size_t n)
{
    uint32_t h = 0;

    for (size_t blocks = n / 4; blocks > 0; blocks--, p += 4) {
        h += le16(p);
        h = h << 16 ^ (le16(p + 2) << 11 ^ h);
        h += h >> 11;
    }
    switch (n & 3) {
    case 3:
        h += le16(p);
        h ^= h << 16;
        h ^= sx32(p[2]) << 18; /* the one signed read of hsieh */
        h += h >> 11;
        break;
    case 2:
        h += le16(p);
        h ^= h << 11;
        h += h >> 17;
        break;
    case 1:
        h += p[0];
        h ^= h << 10;
        h += h >> 1;
        break;
    default:
        break;
    }
    h ^= h << 3;
    h += h >> 5;
    h ^= h << 4;
    h += h >> 17;
    h ^= h << 25;
    h += h >> 6;
    return h;
}

static uint32_t murmur2(const unsigned char *p, size_t n)
{
    const uint32_t m = 0x5bd1e995u;
    uint32_t h = (0xdeadbeefu * (uint32_t)n) ^ (uint32_t)n;

    for (; n >= 4; n -= 4, p += 4) {
        uint32_t k = le32(p) * m;
        k ^= k >> 24;
        h = h * m ^ k * m;
    }
    if (n > 0) {
        for (size_t i = n; i-- > 0;)
            h ^= (uint32_t)p[i] << (8 * i);
        h *= m;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return h;
}

static void lookup3_mix(uint32_t *a, uint32_t *b, uint32_t *c)
{
    *a -= *c; *a ^= rotl(*c, 4);  *c += *b;
    *b -= *a; *b ^= rotl(*a, 6);  *a += *c;
    *c -= *b; *c ^= rotl(*b, 8);  *b += *a;
    *a -= *c; *a ^= rotl(*c, 16); *c += *b;
    *b -= *a; *b ^= rotl(*a, 19); *a += *c;
    *c -= *b; *c ^= rotl(*b, 4);  *b += *a;
}

static void lookup3_final(uint32_t *a, uint32_t *b, uint32_t *c)
{
    *c ^= *b; *c -= rotl(*b, 14);
    *a ^= *c; *a -= rotl(*c, 11);
    *b ^= *a; *b -= rotl(*a, 25);
    *c ^= *b; *c -= rotl(*b, 16);
    *a ^= *c; *a -= rotl(*c, 4);
    *b ^= *a; *b -= rotl(*a, 14);
    *c ^= *b; *c -= rotl(*b, 24);
}

/* lookup3's hashlittle, read byte by byte: on a little-endian machine its
 * word-at-a-time paths give the same value whatever the key's alignment. */
static uint32_t jenkins(const unsigned char *p, size_t n)
{
    uint32_t w[3];

    w[0] = w[1] = w[2] = 0xdeadbeefu + (uint32_t)n + 13u;
    for (; n > 12; n -= 12, p += 12) {
        w[0] += le32(p);
        w[1] += le32(p + 4);
        w[2] += le32(p + 8);
        lookup3_mix(&w[0], &w[1], &w[2]);
    }
    if (n == 0)
        return w[2]; /* hashlittle skips the final mix on an empty tail */
    for (size_t i = 0; i < n; i++)
        w[i / 4] += (uint32_t)p[i] << (8 * (i % 4));
    lookup3_final(&w[0], &w[1], &w[2]);
    return w[2];
}

int twemproxy_hash_known(enum mnemo_hash h)
{
    switch (h) {
    case MNEMO_HASH_DEFAULT:
    case MNEMO_HASH_ONE_AT_A_TIME:
    case MNEMO_HASH_MD5:
    case MNEMO_HASH_CRC16:
    case MNEMO_HASH_CRC32:
    case MNEMO_HASH_CRC32A:
    case MNEMO_HASH_FNV1_64:
    case MNEMO_HASH_FNV1A_64:
    case MNEMO_HASH_FNV1_32:
    case MNEMO_HASH_FNV1A_32:
    case MNEMO_HASH_HSIEH:
    case MNEMO_HASH_MURMUR:
    case MNEMO_HASH_JENKINS:
        return 1;
    }
    return 0;
}

uint32_t twemproxy_hash(enum mnemo_hash h, const void *key, size_t len)
{
    const unsigned char *p = key;

    if (len == 0)
        return 0;
    switch (h) {
    case MNEMO_HASH_ONE_AT_A_TIME:
        return modula_hash(key, len); /* libhashkit's, as nutcracker's */
    case MNEMO_HASH_MD5:
        return ketama_hash(key, len);
    case MNEMO_HASH_CRC16:
        return crc16(p, len);
    case MNEMO_HASH_CRC32:
        return crc32_std(p, len) >> 16 & 0x7fffu;
    case MNEMO_HASH_CRC32A:
        return crc32_std(p, len);
    case MNEMO_HASH_FNV1_64:
        return fnv1_64(p, len);
    case MNEMO_HASH_FNV1_32:
        return fnv32(p, len, 2166136261u, 16777619u, 0);
    case MNEMO_HASH_FNV1A_32:
        return fnv32(p, len, 2166136261u, 16777619u, 1);
    case MNEMO_HASH_HSIEH:
        return hsieh(p, len);
    case MNEMO_HASH_MURMUR:
        return murmur2(p, len);
    case MNEMO_HASH_JENKINS:
        return jenkins(p, len);
    case MNEMO_HASH_DEFAULT:
    case MNEMO_HASH_FNV1A_64:
        break;
    }
    /* the default, and a safe answer should an unknown h slip through */
    return fnv32(p, len, 0x84222325u, 0x1b3u, 1);
}

/*
 * cli_dist.c: the name tables of --distribution and --hash.  The hash names
 * are nutcracker's own, so a pool's "hash:" line can be copied as is.
 */
#include "cli_dist.h"

#include <stddef.h>
#include <string.h>

static const struct {
    const char *name;
    enum mnemo_hash hash;
} hashes[] = {
    {"one_at_a_time", MNEMO_HASH_ONE_AT_A_TIME},
    {"md5", MNEMO_HASH_MD5},
    {"crc16", MNEMO_HASH_CRC16},
    {"crc32", MNEMO_HASH_CRC32},
    {"crc32a", MNEMO_HASH_CRC32A},
    {"fnv1_64", MNEMO_HASH_FNV1_64},
    {"fnv1a_64", MNEMO_HASH_FNV1A_64},
    {"fnv1_32", MNEMO_HASH_FNV1_32},
    {"fnv1a_32", MNEMO_HASH_FNV1A_32},
    {"hsieh", MNEMO_HASH_HSIEH},
    {"murmur", MNEMO_HASH_MURMUR},
    {"jenkins", MNEMO_HASH_JENKINS},
};

int cli_dist_parse(const char *name, enum mnemo_distribution *out)
{
    if (strcmp(name, "ketama") == 0)
        *out = MNEMO_DIST_KETAMA;
    else if (strcmp(name, "modula") == 0)
        *out = MNEMO_DIST_MODULA;
    else if (strcmp(name, "twemproxy") == 0)
        *out = MNEMO_DIST_TWEMPROXY;
    else
        return -1;
    return 0;
}

int cli_hash_parse(const char *name, enum mnemo_hash *out)
{
    for (size_t i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++) {
        if (strcmp(name, hashes[i].name) == 0) {
            *out = hashes[i].hash;
            return 0;
        }
    }
    return -1;
}

const char *cli_hash_names(void)
{
    return "one_at_a_time, md5, crc16, crc32, crc32a, fnv1_64, fnv1a_64, fnv1_32, fnv1a_32, "
           "hsieh, murmur, jenkins";
}

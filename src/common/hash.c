#include "common/hash.h"

#include <xxhash.h>

uint64_t hash_key(const void *key, size_t len)
{
    return XXH3_64bits(key, len);
}

/*
 * md5.h: MD5 for ketama (OpenSSL libcrypto's EVP interface; not hand-rolled).
 * Knows nothing of servers or keys.
 */
#ifndef MNEMO_CLIENT_MD5_H
#define MNEMO_CLIENT_MD5_H

#include <stddef.h>

/* out receives the 16-byte digest of data[0..len).  Thread-safe. */
void md5_digest(const void *data, size_t len, unsigned char out[16]);

#endif

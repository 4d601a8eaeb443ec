/*
 * md5.c: the MD5 wrapper.  EVP_Digest keeps us off the deprecated MD5()
 * entry point of OpenSSL 3.
 */
#include "client/md5.h"

#include <string.h>

#include <openssl/evp.h>

void md5_digest(const void *data, size_t len, unsigned char out[16])
{
    unsigned int out_len = 0;
    unsigned char buf[EVP_MAX_MD_SIZE];

    if (EVP_Digest(data, len, buf, &out_len, EVP_md5(), NULL) != 1 || out_len != 16) {
        /* Only on a broken libcrypto; a zero digest still maps somewhere. */
        memset(out, 0, 16);
        return;
    }
    memcpy(out, buf, 16);
}

/* SHA-256 of input files, recorded in summary.json so a run can be traced to
 * the exact bytes it read. Uses OpenSSL's libcrypto (EVP). */
#include <stdio.h>

#include <openssl/evp.h>

#include "base/base.h"

int sg__sha256_file(const char *path, char hex[65]) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int rc = -1;
    if (md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1) {
        unsigned char buf[1 << 16];
        size_t n;
        int ok = 1;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0)
            if (EVP_DigestUpdate(md, buf, n) != 1) {
                ok = 0;
                break;
            }
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        if (ok && !ferror(f) && EVP_DigestFinal_ex(md, digest, &len) == 1 && len == 32) {
            static const char hx[] = "0123456789abcdef";
            for (unsigned i = 0; i < 32; i++) {
                hex[2 * i] = hx[digest[i] >> 4];
                hex[2 * i + 1] = hx[digest[i] & 15];
            }
            hex[64] = '\0';
            rc = 0;
        }
    }
    EVP_MD_CTX_free(md);
    fclose(f);
    return rc;
}

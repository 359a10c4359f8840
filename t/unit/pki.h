/* The test PKI of the C unit tests (build/pki.sh output; its directory
 * is argv[1]). */
#ifndef PR_TEST_PKI_H
#define PR_TEST_PKI_H
#include <stdio.h>

#include <openssl/pem.h>

/* The certificate in DIR/FILE (PEM), or NULL. */
static inline X509 *pki_load(const char *dir, const char *file)
{
    char path[1024];
    FILE *f;
    X509 *x;

    snprintf(path, sizeof(path), "%s/%s", dir, file);
    f = fopen(path, "r");
    if (!f) {
        return NULL;
    }
    x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    return x;
}
#endif

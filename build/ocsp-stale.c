/*
 * build/ocsp-stale.c -- test PKI helper: a "good" OCSP response for LEAF
 * whose thisUpdate and nextUpdate lie in the past (-this / -next hours).
 * `openssl ocsp` always stamps thisUpdate with the current time, so an
 * expired response cannot be made with it; everything else in the test
 * PKI is made by the openssl CLI.
 *
 * usage: ocsp-stale ISSUER.crt SIGNER.crt SIGNER.key LEAF.crt THIS_H NEXT_H OUT.der
 */
#include <stdio.h>
#include <stdlib.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>

static void *load(const char *path, int key)
{
    FILE *f = fopen(path, "r");
    void *o;

    if (!f) {
        perror(path);
        exit(1);
    }
    o = key ? (void *)PEM_read_PrivateKey(f, NULL, NULL, NULL)
            : (void *)PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (!o) {
        fprintf(stderr, "%s: cannot parse\n", path);
        exit(1);
    }
    return o;
}

int main(int argc, char **argv)
{
    X509 *issuer, *signer, *leaf;
    EVP_PKEY *key;
    OCSP_CERTID *id;
    OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
    OCSP_RESPONSE *resp;
    ASN1_TIME *thisupd, *nextupd;
    unsigned char *der = NULL;
    int len;
    FILE *out;

    if (argc != 8) {
        fprintf(stderr, "usage: %s ISSUER SIGNER SIGNER_KEY LEAF THIS_H NEXT_H OUT\n", argv[0]);
        return 2;
    }
    issuer = load(argv[1], 0);
    signer = load(argv[2], 0);
    key = load(argv[3], 1);
    leaf = load(argv[4], 0);
    id = OCSP_cert_to_id(NULL, leaf, issuer);
    thisupd = X509_gmtime_adj(NULL, -3600L * atol(argv[5]));
    nextupd = X509_gmtime_adj(NULL, -3600L * atol(argv[6]));
    if (!bs || !id || !thisupd || !nextupd
        || !OCSP_basic_add1_status(bs, id, V_OCSP_CERTSTATUS_GOOD, 0, NULL, thisupd, nextupd)
        || !OCSP_basic_sign(bs, signer, key, EVP_sha256(), NULL, 0)
        || !(resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs))
        || (len = i2d_OCSP_RESPONSE(resp, &der)) <= 0) {
        fprintf(stderr, "cannot make the response\n");
        return 1;
    }
    if (!(out = fopen(argv[7], "wb")) || fwrite(der, 1, (size_t)len, out) != (size_t)len) {
        perror(argv[7]);
        return 1;
    }
    fclose(out);
    return 0;
}

/*
 * pr_x509.c: certificate facts through OpenSSL. Pure: no httpd, no APR.
 */
#include "pr_x509.h"

#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

unsigned pr_x509_error_bit(int err)
{
    switch (err) {
    case X509_V_OK:
        return 0;
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
        return PR_REASON_BIT(PR_REASON_EXPIRED);
    case X509_V_ERR_CERT_NOT_YET_VALID:
    case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD:
        return PR_REASON_BIT(PR_REASON_NOT_YET_VALID);
    case X509_V_ERR_CERT_CHAIN_TOO_LONG:
        return PR_REASON_BIT(PR_REASON_DEPTH);
    case X509_V_ERR_CERT_REVOKED:
    case X509_V_ERR_UNABLE_TO_GET_CRL:
    case X509_V_ERR_CRL_HAS_EXPIRED:
    case X509_V_ERR_CRL_NOT_YET_VALID:
    case X509_V_ERR_CRL_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
        /* A CRL check that cannot be completed fails closed. */
        return PR_REASON_BIT(PR_REASON_REVOKED);
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
        return PR_REASON_BIT(PR_REASON_NAME_MISMATCH);
    default:
        /* Unknown issuer, self-signed, bad signature, wrong purpose,
         * invalid CA...: the chain does not lead to a trust anchor. */
        return PR_REASON_BIT(PR_REASON_UNTRUSTED);
    }
}

long pr_x509_days_left(const X509 *cert)
{
    int days = 0, secs = 0;

    if (!ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(cert))) {
        return -1;
    }
    if (days == 0 && secs < 0) {
        return -1;
    }
    return days;
}

int pr_x509_unix_time(const ASN1_TIME *t, long long *out)
{
    struct tm tm;
    long long y, m, d, era, yoe, doy, doe;

    if (!t || !ASN1_TIME_to_tm(t, &tm)) {
        return -1;
    }
    /* days from the civil date (proleptic Gregorian), no timegm() */
    y = (long long)tm.tm_year + 1900;
    m = (long long)tm.tm_mon + 1;
    d = tm.tm_mday;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    *out = (era * 146097 + doe - 719468) * 86400LL
         + tm.tm_hour * 3600LL + tm.tm_min * 60LL + tm.tm_sec;
    return 0;
}

int pr_x509_spki_sha256(X509 *cert, unsigned char out[32])
{
    unsigned char *der = NULL;
    unsigned int mdlen = 0;
    int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
    int rv = -1;

    if (len > 0 && EVP_Digest(der, (size_t)len, out, &mdlen, EVP_sha256(), NULL)
        && mdlen == 32) {
        rv = 0;
    }
    OPENSSL_free(der);
    return rv;
}

int pr_x509_names_match(X509 *cert, const char *const *names, size_t n)
{
    size_t i;

    for (i = 0; i < n; ++i) {
        const char *name = names[i];
        size_t len = strlen(name);
        int kind = pr_classify_name(name, len, 0);

        if (kind == 4 || kind == 6) {
            if (X509_check_ip_asc(cert, name, 0) == 1) {
                return 1;
            }
        }
        else if (X509_check_host(cert, name, len,
                                 X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL) == 1) {
            return 1;
        }
    }
    return 0;
}

void pr_x509_name_line(const X509_NAME *name, char *buf, size_t len)
{
    BIO *bio = BIO_new(BIO_s_mem());
    int n = 0;

    buf[0] = '\0';
    if (!bio) {
        return;
    }
    if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
        n = BIO_read(bio, buf, (int)len - 1);
        buf[n > 0 ? n : 0] = '\0';
    }
    BIO_free(bio);
}

void pr_x509_pin_string(X509 *cert, char buf[64])
{
    unsigned char md[32];

    strcpy(buf, "sha256//");
    if (pr_x509_spki_sha256(cert, md) == 0) {
        EVP_EncodeBlock((unsigned char *)buf + 8, md, 32);
    }
    else {
        buf[0] = '\0';
    }
}

void pr_x509_fingerprint_hex(X509 *cert, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[32];
    unsigned int len = 0, i;

    out[0] = '\0';
    if (!X509_digest(cert, EVP_sha256(), md, &len) || len != 32) {
        return;
    }
    for (i = 0; i < 32; ++i) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
}

void pr_x509_serial_hex(const X509 *cert, char *buf, size_t len)
{
    const ASN1_INTEGER *serial = X509_get0_serialNumber(cert);
    BIGNUM *bn = serial ? ASN1_INTEGER_to_BN(serial, NULL) : NULL;
    char *h = bn ? BN_bn2hex(bn) : NULL;
    size_t i;

    if (len) {
        buf[0] = '\0';
    }
    if (h && len) {
        for (i = 0; h[i] && i + 1 < len; ++i) {
            buf[i] = (char)((h[i] >= 'A' && h[i] <= 'F') ? h[i] - 'A' + 'a' : h[i]);
        }
        buf[i] = '\0';
    }
    OPENSSL_free(h);
    BN_free(bn);
}

long long pr_x509_not_after_unix(const X509 *cert)
{
    ASN1_TIME *epoch = ASN1_TIME_set(NULL, 0);
    int days = 0, secs = 0;
    long long t = 0;

    if (epoch && ASN1_TIME_diff(&days, &secs, epoch, X509_get0_notAfter(cert))) {
        t = (long long)days * 86400 + secs;
    }
    ASN1_TIME_free(epoch);
    return t;
}

long long pr_x509_chain_not_after(X509 *leaf, STACK_OF(X509) *chain)
{
    long long earliest = leaf ? pr_x509_not_after_unix(leaf) : 0, t;
    int i;

    for (i = 0; chain && i < sk_X509_num(chain); ++i) {
        t = pr_x509_not_after_unix(sk_X509_value(chain, i));
        if (t && (!earliest || t < earliest)) {
            earliest = t;
        }
    }
    return earliest;
}

/*
 * pr_tls_certs.c: what the log line, the status page and the metrics show
 * of a backend's leaf certificate (subject, issuer, SANs, notAfter, SPKI
 * pin, SHA-256 fingerprint, serial), computed once per distinct
 * certificate and child, not once per handshake.
 *
 * Rendering these costs about 90 k instructions (two RFC 2253 lines
 * through a BIO, the SAN extension decoded, two SHA-256 digests, a
 * BIGNUM): more than a tenth of a resumed TLS 1.2 handshake. A backend
 * shows the same certificate to every connection, so a small per-child
 * table keeps the result. Its key is the certificate itself: the bucket
 * comes from the signature bytes (X509_get0_signature, no work), and an
 * entry matches only if X509_cmp() says the certificates are equal (the
 * SHA-1 of the whole DER, which OpenSSL computed and cached in the X509
 * when it verified the chain, and the DER of the TBSCertificate). Every
 * value depends on the certificate alone, so a hit gives exactly what
 * computing it again would. The table holds a reference to each
 * certificate; it is emptied when CERTS_MAX certificates are in it.
 */
#include "pr_tls.h"

#include "apr_strings.h"
#include "apr_thread_mutex.h"

#include <openssl/x509v3.h>

#include "pr_x509.h"

#define CERTS_MAX 256               /* per child; emptied when full */
#define CERT_BUCKETS 64

typedef struct cert_entry {
    struct cert_entry *next;
    X509 *cert;                     /* a reference: the key (X509_cmp) */
    unsigned hash;
    pr_leaf_info info;
} cert_entry;

#if APR_HAS_THREADS
static apr_thread_mutex_t *certs_mutex;
#endif
static apr_pool_t *certs_pool;
static cert_entry *buckets[CERT_BUCKETS];
static unsigned ncerts;

static void lock(void)
{
    PR_LOCK(certs_mutex);
}

static void unlock(void)
{
    PR_UNLOCK(certs_mutex);
}

/* ------------------------------------------------------------------ */
/* What is shown, computed.                                             */

/* "DNS:a, IP:1.2.3.4": linear in the certificate, at most out's size
 * (the status slot keeps 511), however many SANs it has. */
static void sans_of(X509 *cert, char *buf, size_t cap)
{
    GENERAL_NAMES *gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    char one[300];
    size_t used = 0;
    int i;

    buf[0] = '\0';
    for (i = 0; gens && i < sk_GENERAL_NAME_num(gens) && used + 1 < cap; ++i) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        int n = 0;

        if (g->type == GEN_DNS) {
            int len = ASN1_STRING_length(g->d.dNSName);
            n = apr_snprintf(one, sizeof(one), "DNS:%.*s", len > 255 ? 255 : len,
                             (const char *)ASN1_STRING_get0_data(g->d.dNSName));
        }
        else if (g->type == GEN_IPADD) {
            int len = ASN1_STRING_length(g->d.iPAddress), k;
            const unsigned char *a = ASN1_STRING_get0_data(g->d.iPAddress);
            if (len == 4) {
                n = apr_snprintf(one, sizeof(one), "IP:%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
            }
            else if (len == 16) {
                n = apr_snprintf(one, sizeof(one), "IP:");
                for (k = 0; k < 16; k += 2) {
                    n += apr_snprintf(one + n, sizeof(one) - (size_t)n, "%s%x", k ? ":" : "",
                                      (a[k] << 8) | a[k + 1]);
                }
            }
        }
        if (n > 0) {
            used += (size_t)apr_snprintf(buf + used, cap - used, "%s%s", used ? ", " : "", one);
        }
    }
    GENERAL_NAMES_free(gens);
}

static void compute(X509 *leaf, pr_leaf_info *out)
{
    struct tm tm;

    memset(out, 0, sizeof(*out));
    pr_x509_name_line(X509_get_subject_name(leaf), out->subject, sizeof(out->subject));
    pr_x509_name_line(X509_get_issuer_name(leaf), out->issuer, sizeof(out->issuer));
    sans_of(leaf, out->sans, sizeof(out->sans));
    if (ASN1_TIME_to_tm(X509_get0_notAfter(leaf), &tm)) {
        apr_time_exp_t xt;
        memset(&xt, 0, sizeof(xt));
        xt.tm_sec = tm.tm_sec; xt.tm_min = tm.tm_min; xt.tm_hour = tm.tm_hour;
        xt.tm_mday = tm.tm_mday; xt.tm_mon = tm.tm_mon; xt.tm_year = tm.tm_year;
        apr_time_exp_gmt_get(&out->not_after, &xt);
    }
    pr_x509_pin_string(leaf, out->pin);
    pr_x509_fingerprint_hex(leaf, out->fingerprint);
    pr_x509_serial_hex(leaf, out->serial, sizeof(out->serial));
}

/* ------------------------------------------------------------------ */
/* The table.                                                           */

static unsigned hash_of(const X509 *cert)
{
    const ASN1_BIT_STRING *sig = NULL;
    unsigned h = 2166136261u;
    int i;

    X509_get0_signature(&sig, NULL, cert);
    for (i = 0; sig && i < sig->length; ++i) {
        h = (h ^ sig->data[i]) * 16777619u;     /* FNV-1a */
    }
    return h;
}

static cert_entry *find(X509 *cert, unsigned h)
{
    cert_entry *e;

    for (e = buckets[h % CERT_BUCKETS]; e; e = e->next) {
        if (e->hash == h && (e->cert == cert || X509_cmp(e->cert, cert) == 0)) {
            return e;
        }
    }
    return NULL;
}

static void empty_table(void)
{
    cert_entry *e;
    unsigned i;

    for (i = 0; i < CERT_BUCKETS; ++i) {
        for (e = buckets[i]; e; e = e->next) {
            X509_free(e->cert);
        }
        buckets[i] = NULL;
    }
    ncerts = 0;
}

static apr_status_t certs_cleanup(void *data)
{
    (void)data;
    empty_table();
    return APR_SUCCESS;
}

/* The entries live in certs_pool; its cleanup drops their references. */
static void table_init(void)
{
    apr_pool_cleanup_register(certs_pool, NULL, certs_cleanup, apr_pool_cleanup_null);
}

void pr_leaf_info_of(X509 *leaf, pr_leaf_info *out)
{
    unsigned h = hash_of(leaf);
    cert_entry *e;

    lock();
    if (certs_pool && (e = find(leaf, h)) != NULL) {
        *out = e->info;
        unlock();
        return;
    }
    unlock();
    compute(leaf, out);
    lock();
    if (certs_pool && !find(leaf, h)) {
        if (ncerts >= CERTS_MAX) {
            apr_pool_clear(certs_pool);     /* empty_table() */
            table_init();
        }
        e = apr_palloc(certs_pool, sizeof(*e));
        X509_up_ref(leaf);
        e->cert = leaf;
        e->hash = h;
        e->info = *out;
        e->next = buckets[h % CERT_BUCKETS];
        buckets[h % CERT_BUCKETS] = e;
        ++ncerts;
    }
    unlock();
}

void pr_certs_child_init(apr_pool_t *p)
{
#if APR_HAS_THREADS
    apr_thread_mutex_create(&certs_mutex, APR_THREAD_MUTEX_DEFAULT, p);
#endif
    apr_pool_create(&certs_pool, p);
    table_init();
}

/*
 * pr_config_load.c: what the directives load at configuration time:
 * trust stores (CA file and hashed directory), CRL files and client
 * certificates, each checked to be usable for what it is set for, so
 * that a file that would refuse every backend at run time stops start-up
 * instead. Loaded while the configuration is read (single-threaded),
 * once per file and configuration generation, shared read-only.
 */
#include "pr_glue.h"

#include "apr_file_info.h"
#include "apr_strings.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "pr_x509.h"

/* ------------------------------------------------------------------ */
/* Trust stores: one X509_STORE per (CA file, CA path) pair.            */

static apr_hash_t *stores;              /* key "file\npath" -> X509_STORE */

static apr_status_t store_cleanup(void *data)
{
    X509_STORE_free(data);
    return APR_SUCCESS;
}

static apr_status_t forget_hash(void *data)
{
    *(apr_hash_t **)data = NULL;
    return APR_SUCCESS;
}

static const char *openssl_error(apr_pool_t *p)
{
    char buf[256];
    unsigned long e = ERR_peek_last_error();

    if (!e) {
        return "no certificate found";
    }
    ERR_error_string_n(e, buf, sizeof(buf));
    ERR_clear_error();
    return apr_pstrdup(p, buf);
}

/* Does the store hold a certificate (not only CRLs)? */
static int store_has_cert(X509_STORE *st)
{
    STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(st);
    int i;

    for (i = 0; i < sk_X509_OBJECT_num(objs); ++i) {
        if (X509_OBJECT_get_type(sk_X509_OBJECT_value(objs, i)) == X509_LU_X509) {
            return 1;
        }
    }
    return 0;
}

/* Is name "HHHHHHHH.N", the form `openssl rehash` gives certificates? */
static int hashed_cert_name(const char *name)
{
    int i;

    for (i = 0; i < 8; ++i) {
        if (!apr_isxdigit(name[i])) {
            return 0;
        }
    }
    if (name[8] != '.' || !apr_isdigit(name[9])) {
        return 0;
    }
    for (i = 10; name[i]; ++i) {
        if (!apr_isdigit(name[i])) {
            return 0;
        }
    }
    return 1;
}

/* A hashed CA directory must hold at least one HHHHHHHH.N file with a
 * PEM certificate in it; NULL when it does, else why not. */
const char *pr_capath_check(apr_pool_t *p, const char *dir)
{
    apr_dir_t *d;
    apr_finfo_t fi;
    apr_status_t rv;
    char ebuf[120];

    if ((rv = apr_dir_open(&d, dir, p)) != APR_SUCCESS) {
        return apr_psprintf(p, "cannot read directory '%s': %s", dir,
                            apr_strerror(rv, ebuf, sizeof(ebuf)));
    }
    while (apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_TYPE, d) == APR_SUCCESS) {
        const char *file;
        BIO *bio;
        X509 *x = NULL;

        if (!fi.name || !hashed_cert_name(fi.name)) {
            continue;
        }
        file = apr_pstrcat(p, dir, "/", fi.name, NULL);
        if ((bio = BIO_new_file(file, "r")) != NULL) {
            x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
            BIO_free(bio);
        }
        ERR_clear_error();
        if (x) {
            X509_free(x);
            apr_dir_close(d);
            return NULL;
        }
    }
    apr_dir_close(d);
    return apr_psprintf(p, "'%s' holds no hashed CA certificate (HHHHHHHH.0 files made "
                        "by `openssl rehash`)", dir);
}

X509_STORE *pr_store_build(apr_pool_t *p, const char *file, const char *path,
                           const char **err)
{
    X509_STORE *st = X509_STORE_new();

    ERR_clear_error();
    if (!st) {
        *err = "out of memory";
        return NULL;
    }
    if (file && X509_STORE_load_file(st, file) != 1) {
        *err = apr_psprintf(p, "cannot load CA certificates from '%s': %s", file,
                            openssl_error(p));
        X509_STORE_free(st);
        return NULL;
    }
    if (file && !store_has_cert(st)) {
        *err = apr_psprintf(p, "'%s' holds no CA certificate (only CRLs or other "
                            "objects)", file);
        X509_STORE_free(st);
        return NULL;
    }
    if (path && ((*err = pr_capath_check(p, path)) != NULL
                 || X509_STORE_load_path(st, path) != 1)) {
        if (!*err) {
            *err = apr_psprintf(p, "cannot use CA directory '%s': %s", path,
                                openssl_error(p));
        }
        X509_STORE_free(st);
        return NULL;
    }
    return st;
}

static X509_STORE *store_load(apr_pool_t *p, const char *file, const char *path,
                              const char **err)
{
    X509_STORE *st = pr_store_build(p, file, path, err);

    if (st) {
        apr_pool_cleanup_register(p, st, store_cleanup, apr_pool_cleanup_null);
    }
    return st;
}

X509_STORE *pr_store_get(apr_pool_t *p, const char *file, const char *path,
                         const char **err)
{
    const char *key;
    X509_STORE *st;

    *err = NULL;
    if (!file && !path) {
        return NULL;
    }
    if (!stores) {
        stores = apr_hash_make(p);
        apr_pool_cleanup_register(p, &stores, forget_hash, apr_pool_cleanup_null);
    }
    key = apr_pstrcat(p, file ? file : "", "\n", path ? path : "", NULL);
    st = apr_hash_get(stores, key, APR_HASH_KEY_STRING);
    if (!st && (st = store_load(p, file, path, err)) != NULL) {
        apr_hash_set(stores, key, APR_HASH_KEY_STRING, st);
    }
    return st;
}

/* ------------------------------------------------------------------ */
/* CRL files.                                                           */

static apr_status_t crls_cleanup(void *data)
{
    sk_X509_CRL_pop_free(data, X509_CRL_free);
    return APR_SUCCESS;
}

const char *pr_crls_read(apr_pool_t *p, const char *path, STACK_OF(X509_CRL) **out)
{
    STACK_OF(X509_CRL) *crls;
    X509_CRL *crl;
    BIO *bio;
    apr_finfo_t fi;
    unsigned long e;

    if (apr_stat(&fi, path, APR_FINFO_TYPE, p) != APR_SUCCESS || fi.filetype != APR_REG
        || !(bio = BIO_new_file(path, "r"))) {
        return apr_psprintf(p, "cannot read '%s' (not a readable file)", path);
    }
    crls = sk_X509_CRL_new_null();
    ERR_clear_error();
    while ((crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL)) != NULL) {
        sk_X509_CRL_push(crls, crl);
    }
    BIO_free(bio);
    /* The loop ends at the end of the file (no further PEM start line)
     * or at a CRL that does not parse (a truncated or damaged file):
     * the latter is an error, not a shorter list. */
    e = ERR_peek_last_error();
    if (e && !(ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)) {
        const char *why = openssl_error(p);
        sk_X509_CRL_pop_free(crls, X509_CRL_free);
        return apr_psprintf(p, "'%s' holds a CRL that does not parse: %s", path, why);
    }
    ERR_clear_error();
    if (sk_X509_CRL_num(crls) == 0) {
        sk_X509_CRL_free(crls);
        return apr_psprintf(p, "'%s' contains no PEM CRL", path);
    }
    *out = crls;
    return NULL;
}

const char *pr_crls_load(apr_pool_t *p, const char *path, STACK_OF(X509_CRL) **out)
{
    const char *err = pr_crls_read(p, path, out);

    if (!err) {
        apr_pool_cleanup_register(p, *out, crls_cleanup, apr_pool_cleanup_null);
    }
    return err;
}

/* ------------------------------------------------------------------ */
/* Client certificates: one load per (cert, key) pair and generation.   */

static apr_hash_t *client_certs;

static apr_status_t client_cert_cleanup(void *data)
{
    pr_client_cert *cc = data;
    X509_free(cc->leaf);
    sk_X509_pop_free(cc->chain, X509_free);
    EVP_PKEY_free(cc->key);
    return APR_SUCCESS;
}

/* What stops a certificate from authenticating a TLS client, or NULL. */
static const char *client_cert_unusable(apr_pool_t *p, X509 *x, const char *file)
{
    if (X509_get_extension_flags(x) & EXFLAG_CA) {
        return apr_psprintf(p, "the certificate in '%s' is a CA certificate "
                            "(basicConstraints CA:TRUE), not a client certificate", file);
    }
    if (X509_check_purpose(x, X509_PURPOSE_SSL_CLIENT, 0) != 1) {
        ERR_clear_error();
        return apr_psprintf(p, "the certificate in '%s' is not usable for TLS client "
                            "authentication: its %s does not allow it (clientAuth needed)",
                            file, (X509_get_extension_flags(x) & EXFLAG_XKUSAGE)
                                  ? "extended key usage" : "key usage");
    }
    return NULL;
}

const char *pr_client_cert_load(apr_pool_t *p, apr_pool_t *ptemp, const char *cert_file,
                                const char *key_file, pr_client_cert **out)
{
    const char *key = apr_pstrcat(ptemp, cert_file, "\n", key_file, NULL);
    const char *why;
    pr_client_cert *cc;
    X509 *x;
    BIO *bio;

    if (!client_certs) {
        client_certs = apr_hash_make(p);
        apr_pool_cleanup_register(p, &client_certs, forget_hash, apr_pool_cleanup_null);
    }
    if ((cc = apr_hash_get(client_certs, key, APR_HASH_KEY_STRING)) != NULL) {
        *out = cc;
        return NULL;
    }
    cc = apr_pcalloc(p, sizeof(*cc));
    cc->cert_file = cert_file;
    cc->key_file = key_file;
    cc->chain = sk_X509_new_null();
    apr_pool_cleanup_register(p, cc, client_cert_cleanup, apr_pool_cleanup_null);

    ERR_clear_error();
    if (!(bio = BIO_new_file(cert_file, "r"))) {
        return apr_psprintf(p, "cannot read certificate file '%s'", cert_file);
    }
    while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        if (!cc->leaf) {
            cc->leaf = x;
        }
        else {
            sk_X509_push(cc->chain, x);
        }
    }
    BIO_free(bio);
    ERR_clear_error();
    if (!cc->leaf) {
        return apr_psprintf(p, "'%s' contains no PEM certificate", cert_file);
    }
    if (!(bio = BIO_new_file(key_file, "r"))) {
        return apr_psprintf(p, "cannot read key file '%s'", key_file);
    }
    cc->key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    ERR_clear_error();
    if (!cc->key) {
        return apr_psprintf(p, "'%s' contains no (unencrypted) PEM private key", key_file);
    }
    if (X509_check_private_key(cc->leaf, cc->key) != 1) {
        ERR_clear_error();
        return apr_psprintf(p, "the key in '%s' does not match the certificate in '%s'",
                            key_file, cert_file);
    }
    if ((why = client_cert_unusable(p, cc->leaf, cert_file)) != NULL) {
        return why;
    }
    if (X509_cmp_current_time(X509_get0_notBefore(cc->leaf)) > 0) {
        return apr_psprintf(p, "the certificate in '%s' is not valid yet", cert_file);
    }
    cc->days_left = pr_x509_days_left(cc->leaf);
    if (cc->days_left < 0) {
        return apr_psprintf(p, "the certificate in '%s' has expired", cert_file);
    }
    apr_hash_set(client_certs, apr_pstrdup(p, key), APR_HASH_KEY_STRING, cc);
    *out = cc;
    return NULL;
}

/*
 * pr_tls_ocsp.c: revocation beyond the chain verification: stapled OCSP
 * responses from backends, and the freshness of the policy's CRLs.
 *
 * OCSP stapling (ProxyReencryptOCSP staple|require). mod_ssl never asks a
 * backend for its OCSP status ("OCSP does not apply to proxy mode"), so
 * the module does: pr_pre_handshake asks for status_request on the
 * connection, and OpenSSL calls the status callback installed here on
 * every proxy SSL_CTX once the server's first flight is in -- after the
 * certificate was verified (pr_cert_verify), with the staple of a TLS 1.3
 * Certificate message or a TLS 1.2 CertificateStatus, or with none. The
 * callback checks the response with OpenSSL's OCSP API (OCSP_basic_verify:
 * signed by the issuer or its delegated responder, whose chain goes to
 * the policy's trust store; the certificate ID is the leaf's under its
 * issuer), reads its status and times, and asks pr_ocsp_reason()
 * (pr_decide.c) what they mean. A reason becomes the verdict's when the
 * certificate passed everything else; under enforce the callback then
 * fails the handshake (the guard filter concludes: 502), under audit the
 * verdict is only reported.
 *
 * A resumed session has no staple: what the full handshake saw (status,
 * thisUpdate, nextUpdate) is kept with its SSL_SESSION (ex_data, copied
 * with the session when OpenSSL or the cache duplicates it) and judged
 * again at resumption, freshness included: a session whose response has
 * passed its nextUpdate is refused under require (reason ocsp), which also
 * drops the backend's cached sessions, so the next connection makes a
 * full handshake and gets a new staple.
 *
 * CRL freshness: OpenSSL fails a CRL past its nextUpdate
 * (X509_V_ERR_CRL_HAS_EXPIRED, the revocation bit: fail closed); the
 * verification's callback notes it for the log line (pr_ocsp_note_chain_error),
 * and a CRL inside its last day gives a warning (at most one an hour per
 * CRL file and child).
 */
#include "pr_tls.h"

#include "apr_strings.h"
#include "apr_thread_mutex.h"

#include <openssl/err.h>
#include <openssl/ocsp.h>

#include "pr_x509.h"

static int sess_idx = -1;           /* SSL_SESSION ex_data: pr_staple */

#if APR_HAS_THREADS
static apr_thread_mutex_t *warn_mutex;
#endif
static apr_hash_t *crl_warned;      /* CRL file -> apr_time_t *, per child */

/* ------------------------------------------------------------------ */
/* What the full handshake saw, kept with the session.                  */

static int memo_dup(CRYPTO_EX_DATA *to, const CRYPTO_EX_DATA *from, void **from_d,
                    int idx, long argl, void *argp)
{
    pr_staple *copy;

    (void)to; (void)from; (void)idx; (void)argl; (void)argp;
    if (*from_d) {
        if ((copy = OPENSSL_malloc(sizeof(*copy))) == NULL) {
            *from_d = NULL;
            return 0;
        }
        memcpy(copy, *from_d, sizeof(*copy));
        *from_d = copy;
    }
    return 1;
}

static void memo_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
                      long argl, void *argp)
{
    (void)parent; (void)ad; (void)idx; (void)argl; (void)argp;
    OPENSSL_free(ptr);
}

static void memo_keep(SSL *ssl, const pr_staple *s)
{
    SSL_SESSION *sess = SSL_get_session(ssl);
    pr_staple *m;

    if (!sess || sess_idx < 0 || (m = OPENSSL_malloc(sizeof(*m))) == NULL) {
        return;
    }
    *m = *s;
    OPENSSL_free(SSL_SESSION_get_ex_data(sess, sess_idx));
    if (!SSL_SESSION_set_ex_data(sess, sess_idx, m)) {
        OPENSSL_free(m);
    }
}

/* ------------------------------------------------------------------ */
/* The staple.                                                          */

static long long unix_time(const ASN1_GENERALIZEDTIME *t)
{
    struct tm tm;
    apr_time_exp_t xt;
    apr_time_t at;

    if (!t || !ASN1_TIME_to_tm(t, &tm)) {
        return 0;
    }
    memset(&xt, 0, sizeof(xt));
    xt.tm_sec = tm.tm_sec; xt.tm_min = tm.tm_min; xt.tm_hour = tm.tm_hour;
    xt.tm_mday = tm.tm_mday; xt.tm_mon = tm.tm_mon; xt.tm_year = tm.tm_year;
    if (apr_time_exp_gmt_get(&at, &xt) != APR_SUCCESS) {
        return 0;
    }
    return (long long)apr_time_sec(at);
}

/* The leaf's issuer: from the verified chain, else from what was sent. */
static X509 *issuer_of(SSL *ssl, X509 *leaf)
{
    STACK_OF(X509) *sets[2];
    int k, i;

    sets[0] = SSL_get0_verified_chain(ssl);
    sets[1] = SSL_get_peer_cert_chain(ssl);
    for (k = 0; k < 2; ++k) {
        for (i = 0; sets[k] && i < sk_X509_num(sets[k]); ++i) {
            X509 *c = sk_X509_value(sets[k], i);
            if (X509_cmp(c, leaf) && X509_check_issued(c, leaf) == X509_V_OK) {
                return c;
            }
        }
    }
    return NULL;
}

/* Find the leaf's entry (its certificate ID under either hash). */
static int find_entry(OCSP_BASICRESP *bs, X509 *leaf, X509 *issuer, pr_staple *s)
{
    const EVP_MD *mds[2];
    int k, status = -1, why = -1;

    mds[0] = EVP_sha1();
    mds[1] = EVP_sha256();
    for (k = 0; k < 2 && status < 0; ++k) {
        ASN1_GENERALIZEDTIME *rev = NULL, *thisupd = NULL, *nextupd = NULL;
        OCSP_CERTID *id = OCSP_cert_to_id(mds[k], leaf, issuer);

        if (id && OCSP_resp_find_status(bs, id, &status, &why, &rev, &thisupd, &nextupd)) {
            s->this_update = unix_time(thisupd);
            s->next_update = nextupd ? unix_time(nextupd) : 0;
        }
        else {
            status = -1;
        }
        OCSP_CERTID_free(id);
    }
    return status;
}

/* The responder ID of a response as text (RFC 6960 4.2.1: byName or
 * byKey, the SHA-1 of the responder's public key). */
static void responder_of(OCSP_BASICRESP *bs, char *buf, size_t len)
{
    const ASN1_OCTET_STRING *key = NULL;
    const X509_NAME *name = NULL;
    char line[100];
    size_t used;
    int i;

    buf[0] = '\0';
    if (!OCSP_resp_get0_id(bs, &key, &name)) {
        return;
    }
    if (name) {
        pr_x509_name_line(name, line, sizeof(line));
        apr_snprintf(buf, len, "byName: %s", line);
    }
    else if (key) {
        used = (size_t)apr_snprintf(buf, len, "byKey: ");
        for (i = 0; i < ASN1_STRING_length(key) && used + 3 < len; ++i) {
            used += (size_t)apr_snprintf(buf + used, len - used, "%02x",
                                         ASN1_STRING_get0_data(key)[i]);
        }
    }
}

static pr_staple examine(pr_conn *pc, SSL *ssl, X509 *leaf)
{
    pr_staple s = { PR_STAPLE_NONE, 0, 0, "" };
    const unsigned char *der = NULL;
    long len = SSL_get_tlsext_status_ocsp_resp(ssl, &der);
    OCSP_RESPONSE *resp = NULL;
    OCSP_BASICRESP *bs = NULL;
    X509_STORE *st;
    X509 *issuer;

    if (!der || len <= 0) {
        return s;
    }
    s.status = PR_STAPLE_UNUSABLE;
    st = pc->store ? pc->store : SSL_CTX_get_cert_store(SSL_get_SSL_CTX(ssl));
    if ((resp = d2i_OCSP_RESPONSE(NULL, &der, len)) != NULL
        && OCSP_response_status(resp) == OCSP_RESPONSE_STATUS_SUCCESSFUL
        && (bs = OCSP_response_get1_basic(resp)) != NULL
        && (responder_of(bs, s.responder, sizeof(s.responder)), 1)
        && (issuer = issuer_of(ssl, leaf)) != NULL
        /* the signer (issuer or delegated responder) chains to the
         * policy's trust store; the backend's certificates may help */
        && OCSP_basic_verify(bs, SSL_get_peer_cert_chain(ssl), st, 0) > 0) {
        switch (find_entry(bs, leaf, issuer, &s)) {
        case V_OCSP_CERTSTATUS_GOOD:    s.status = PR_STAPLE_GOOD; break;
        case V_OCSP_CERTSTATUS_REVOKED: s.status = PR_STAPLE_REVOKED; break;
        case V_OCSP_CERTSTATUS_UNKNOWN: s.status = PR_STAPLE_UNKNOWN; break;
        default:                        s.status = PR_STAPLE_UNUSABLE; break;
        }
    }
    ERR_clear_error();
    OCSP_BASICRESP_free(bs);
    OCSP_RESPONSE_free(resp);
    return s;
}

static const char *status_word(pr_staple_status st)
{
    switch (st) {
    case PR_STAPLE_GOOD:     return "good";
    case PR_STAPLE_REVOKED:  return "revoked";
    case PR_STAPLE_UNKNOWN:  return "unknown";
    case PR_STAPLE_UNUSABLE: return "unusable";
    default:                 return "none";
    }
}

/* For the status page: what the staple said, until when. */
static void keep_for_status(pr_conn *pc, const pr_staple *s)
{
    pc->ocsp = status_word(s->status);
    pc->ocsp_next = s->status == PR_STAPLE_NONE ? 0 : s->next_update;
    pc->ocsp_responder = s->responder[0] ? apr_pstrdup(pc->c->pool, s->responder) : NULL;
}

/* Make an OCSP reason the verdict's, when nothing else refused. */
static void take(pr_conn *pc, pr_reason r, const char *why)
{
    if (r != PR_REASON_NONE && pc->verdict.reason == PR_REASON_NONE) {
        pc->verdict.reason = r;
        pc->verdict.client_fault = 0;
        pc->detail = why;
    }
}

/* OpenSSL's status callback (client side): 1 go on, 0 fail the handshake. */
static int status_cb(SSL *ssl, void *arg)
{
    pr_conn *pc = SSL_get_ex_data(ssl, pr_ssl_idx);
    X509 *leaf = SSL_get0_peer_certificate(ssl);
    const char *why = NULL;
    pr_staple s;
    pr_reason r;

    (void)arg;
    /* OpenSSL calls back on a resumed TLS 1.3 handshake too (no
     * Certificate message, so no staple): a resumption is judged from
     * what its session kept (pr_ocsp_resumed). */
    if (!pc || !pc->pol || pc->pol->policy == PR_POLICY_OFF || pc->pol->ocsp == PR_OCSP_OFF
        || !leaf || SSL_session_reused(ssl)) {
        return 1;
    }
    s = examine(pc, ssl, leaf);
    memo_keep(ssl, &s);
    keep_for_status(pc, &s);
    r = pr_ocsp_reason(pc->pol->ocsp, &s, (long long)apr_time_sec(apr_time_now()), &why);
    take(pc, r, why);
    ap_log_cerror(APLOG_MARK, APLOG_DEBUG, 0, pc->c, PRE(1050) "backend %s: %s",
                  pc->backend, why);
    if (pc->pol->policy == PR_POLICY_ENFORCE && pc->verdict.reason != PR_REASON_NONE) {
        pc->refused_by_us = 1;
        return 0;
    }
    return 1;
}

/* The session ex_data index has callbacks in this DSO: when httpd
 * unloads the module (every restart, and between the two configuration
 * passes at start-up) OpenSSL must not keep pointers to them, since it
 * calls every index's free callback for every session it frees. The
 * index is given back in a cleanup of pconf, which runs before the DSO
 * is unloaded (mod_so's own cleanup was registered earlier, at load). */
static apr_status_t give_back_index(void *data)
{
    (void)data;
    if (sess_idx >= 0) {
        CRYPTO_free_ex_index(CRYPTO_EX_INDEX_SSL_SESSION, sess_idx);
        sess_idx = -1;
    }
    return APR_SUCCESS;
}

void pr_ocsp_post_config(apr_pool_t *pconf)
{
    if (sess_idx < 0) {
        sess_idx = SSL_SESSION_get_ex_new_index(0, NULL, NULL, memo_dup, memo_free);
        apr_pool_cleanup_register(pconf, NULL, give_back_index, apr_pool_cleanup_null);
    }
}

void pr_ocsp_install(SSL_CTX *ctx)
{
    SSL_CTX_set_tlsext_status_cb(ctx, status_cb);
}

void pr_ocsp_pre_handshake(pr_conn *pc, SSL *ssl)
{
    if (pc->pol->ocsp != PR_OCSP_OFF) {
        SSL_set_tlsext_status_type(ssl, TLSEXT_STATUSTYPE_ocsp);
    }
}

void pr_ocsp_resumed(pr_conn *pc, SSL *ssl)
{
    SSL_SESSION *sess = SSL_get_session(ssl);
    const pr_staple *m = (sess && sess_idx >= 0) ? SSL_SESSION_get_ex_data(sess, sess_idx) : NULL;
    pr_staple none = { PR_STAPLE_NONE, 0, 0, "" };
    const char *why = NULL;
    pr_reason r;

    if (pc->pol->policy == PR_POLICY_OFF || pc->pol->ocsp == PR_OCSP_OFF) {
        return;
    }
    keep_for_status(pc, m ? m : &none);
    r = pr_ocsp_reason(pc->pol->ocsp, m ? m : &none,
                       (long long)apr_time_sec(apr_time_now()), &why);
    take(pc, r, apr_pstrcat(pc->c->pool, why, " (kept with the resumed session)", NULL));
}

/* ------------------------------------------------------------------ */
/* CRL freshness.                                                       */

void pr_ocsp_note_chain_error(pr_conn *pc, int err)
{
    if (err == X509_V_ERR_CRL_HAS_EXPIRED) {
        pc->detail = "the CRL is stale (past its nextUpdate): it counts as missing";
    }
    else if (err == X509_V_ERR_UNABLE_TO_GET_CRL && !pc->detail) {
        pc->detail = "no CRL for a certificate of the chain: fail closed";
    }
}

#define CRL_WARN_INTERVAL apr_time_from_sec(3600)

static int should_warn(const char *file)
{
    apr_time_t now = apr_time_now(), *last;
    int yes = 1;

#if APR_HAS_THREADS
    if (warn_mutex) apr_thread_mutex_lock(warn_mutex);
#endif
    if (!crl_warned) {
        yes = 0;
    }
    else if ((last = apr_hash_get(crl_warned, file, APR_HASH_KEY_STRING)) == NULL) {
        apr_pool_t *p = apr_hash_pool_get(crl_warned);
        last = apr_palloc(p, sizeof(*last));
        apr_hash_set(crl_warned, apr_pstrdup(p, file), APR_HASH_KEY_STRING, last);
        *last = now;
    }
    else if (now - *last < CRL_WARN_INTERVAL) {
        yes = 0;
    }
    else {
        *last = now;
    }
#if APR_HAS_THREADS
    if (warn_mutex) apr_thread_mutex_unlock(warn_mutex);
#endif
    return yes;
}

void pr_crl_freshness(pr_conn *pc)
{
    const pr_resolved *pol = pc->pol;
    long long now = (long long)apr_time_sec(apr_time_now()), soonest = 0;
    int i;

    if (pol->crl_check == PR_CRL_NONE || !pc->crls) {
        return;
    }
    for (i = 0; i < sk_X509_CRL_num(pc->crls); ++i) {
        long long nu = unix_time(X509_CRL_get0_nextUpdate(sk_X509_CRL_value(pc->crls, i)));
        if (nu && (!soonest || nu < soonest)) {
            soonest = nu;
        }
    }
    pc->crl_next = soonest;
    if (pr_crl_state(soonest, now) == 1 && should_warn(pol->crl_file)) {
        ap_log_cerror(APLOG_MARK, APLOG_WARNING, 0, pc->c, PRE(1051)
                      "CRL file %s: a CRL reaches its nextUpdate in %" APR_INT64_T_FMT " minutes; "
                      "past it the CRL counts as missing and backends are refused",
                      pol->crl_file, (apr_int64_t)((soonest - now) / 60));
    }
}

void pr_ocsp_child_init(apr_pool_t *p)
{
#if APR_HAS_THREADS
    apr_thread_mutex_create(&warn_mutex, APR_THREAD_MUTEX_DEFAULT, p);
#endif
    crl_warned = apr_hash_make(p);
}

/*
 * pr_tls.c: the mod_ssl side. One verdict per TLS backend connection.
 *
 * ssl_hook_pre_handshake (once per new backend connection, after SSL_new,
 *   before the handshake): per-connection OpenSSL settings from the
 *   effective policy: trust store, depth, SNI, verify mode and callback,
 *   client certificate, protocol floor, a cached session to resume, and
 *   the PROXY protocol header, written before the first TLS byte.
 * cert_verify_callback on every proxy SSL_CTX: wraps X509_verify_cert so
 *   that the whole policy is judged in one place, with the chain OpenSSL
 *   built: chain errors recorded by our verify callback, then names, pins
 *   and the expiry window with OpenSSL's own functions (pr_x509.c), then
 *   the verdict (pr_core.c). Under enforce a refusal fails the handshake
 *   (the backend gets an alert, never the request).
 * ssl_hook_proxy_post_handshake: a resumed session skips certificate
 *   verification in OpenSSL, so the policy is judged again here from the
 *   session's peer certificate (expiry, names, pins).
 * A connection output filter above mod_ssl's sees a failed handshake as
 *   the error of the first write. mod_ssl marks any handshake failure
 *   with the note SSL_connect_rv=err, which mod_proxy turns into 500 (and
 *   a balancer then stops); the filter rewrites the note so the client
 *   gets 502, and puts a refused balancer member in error for its retry
 *   interval so the next requests go to healthy members. On every later
 *   request over the same (pooled) connection it sets the REENCRYPT_*
 *   request notes.
 *
 * Audit leaves mod_ssl's own decision in force (its verify callback is
 *   wrapped, not replaced, and its name check keeps its note unless the
 *   module is told the identity with ProxyReencryptExpectName/SNI):
 *   turning the module on never changes what is served.
 */
#include "pr_glue.h"

#include "apr_strings.h"
#include "http_connection.h"
#include "util_filter.h"

#include "mod_ssl_openssl.h"

#include <openssl/x509v3.h>

#include "pr_x509.h"

#define GUARD_FILTER "PROXY_REENCRYPT_GUARD"
#define SESSIONS_MAX 1024           /* per child; the table is dropped when full */

typedef struct {
    conn_rec *c;
    request_rec *r;                 /* the request opening it; handshake only */
    apr_uint32_t noted;             /* last request (sequence) given the notes */
    const pr_dir_conf *conf;
    proxy_worker *worker;
    const char *backend;
    const char *vhost;
    int policy;
    int verify;
    int balancer_member;
    apr_array_header_t *names;      /* expected names (const char *) */
    const char *hostname;           /* the name mod_proxy asked for */
    const char *fp;                 /* policy fingerprint the peer was judged by */
    SSL *ssl;
    const char *cfp;                /* what the connection itself was set up with */
    const char *session_key;        /* NULL: no session cache */
    unsigned chain_errors;
    int alert;                      /* last TLS alert seen, -1 none */
    int judged;
    int logged;
    int done;                       /* the handshake's outcome was handled */
    int resumed;
    pr_verdict verdict;
    long days_left;
    const char *protocol;
    char subject[256];
    char issuer[256];
    X509 *leaf;                     /* the peer judged last (a reference) */
} pr_conn;

static int ssl_idx = -1;            /* SSL ex_data: pr_conn */
static int ctx_idx = -1;            /* SSL_CTX ex_data: our callbacks are set */
#if APR_HAS_THREADS
static apr_thread_mutex_t *ctx_mutex;
static apr_thread_mutex_t *sess_mutex;
#endif
static apr_hash_t *sessions;        /* session key -> session_queue *, per child */
static apr_pool_t *sessions_pool;

const char *pr_vhost_name(apr_pool_t *p, server_rec *s)
{
    unsigned port = s->port;

    if (!port && s->addrs) {
        port = s->addrs->host_port;
    }
    return apr_psprintf(p, "%s:%u", s->server_hostname ? s->server_hostname : "*", port);
}

static void lock(void *m)
{
#if APR_HAS_THREADS
    if (m) apr_thread_mutex_lock(m);
#else
    (void)m;
#endif
}

static void unlock(void *m)
{
#if APR_HAS_THREADS
    if (m) apr_thread_mutex_unlock(m);
#else
    (void)m;
#endif
}

/* ------------------------------------------------------------------ */
/* Events: the log line, the status counters, the request notes.        */

static const char *sans_of(apr_pool_t *p, X509 *cert)
{
    GENERAL_NAMES *gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    const char *out = NULL;
    int i;

    for (i = 0; gens && i < sk_GENERAL_NAME_num(gens); ++i) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        const char *one = NULL;

        if (g->type == GEN_DNS) {
            one = apr_pstrcat(p, "DNS:", apr_pstrndup(p, (const char *)ASN1_STRING_get0_data(g->d.dNSName),
                                                     ASN1_STRING_length(g->d.dNSName)), NULL);
        }
        else if (g->type == GEN_IPADD) {
            char buf[64];
            int len = ASN1_STRING_length(g->d.iPAddress);
            const unsigned char *a = ASN1_STRING_get0_data(g->d.iPAddress);
            if (len == 4 || len == 16) {
                apr_sockaddr_t sa;
                memset(&sa, 0, sizeof(sa));
                buf[0] = '\0';
                if (len == 4) {
                    apr_snprintf(buf, sizeof(buf), "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
                }
                else {
                    int k;
                    char *w = buf;
                    for (k = 0; k < 16; k += 2) {
                        w += apr_snprintf(w, buf + sizeof(buf) - w, "%s%x", k ? ":" : "",
                                          (a[k] << 8) | a[k + 1]);
                    }
                }
                one = apr_pstrcat(p, "IP:", buf, NULL);
            }
        }
        if (one) {
            out = out ? apr_pstrcat(p, out, ", ", one, NULL) : one;
        }
    }
    GENERAL_NAMES_free(gens);
    return out;
}

static void record(pr_conn *pc, X509 *leaf, SSL *ssl)
{
    pr_event ev;
    apr_pool_t *p = pc->c->pool;

    memset(&ev, 0, sizeof(ev));
    if (!leaf) {
        leaf = pc->leaf;            /* a refusal recorded once the handshake failed */
    }
    ev.backend = pc->backend;
    ev.vhost = pc->vhost;
    ev.policy = pc->policy;
    ev.reason = pc->verdict.reason;
    ev.verdict = pc->verdict.reason == PR_REASON_NONE ? PR_VERDICT_OK
               : pc->policy == PR_POLICY_ENFORCE ? PR_VERDICT_REFUSED : PR_VERDICT_AUDIT;
    ev.resumed = pc->resumed;
    ev.expiring = pc->verdict.expiring_warning;
    if (leaf) {
        char pin[64];
        const ASN1_TIME *na = X509_get0_notAfter(leaf);
        struct tm tm;

        ev.have_cert = 1;
        ev.days_left = pc->days_left;
        ev.subject = pc->subject;
        ev.issuer = pc->issuer;
        ev.sans = sans_of(p, leaf);
        if (ASN1_TIME_to_tm(na, &tm)) {
            apr_time_exp_t xt;
            memset(&xt, 0, sizeof(xt));
            xt.tm_sec = tm.tm_sec; xt.tm_min = tm.tm_min; xt.tm_hour = tm.tm_hour;
            xt.tm_mday = tm.tm_mday; xt.tm_mon = tm.tm_mon; xt.tm_year = tm.tm_year;
            apr_time_exp_gmt_get(&ev.not_after, &xt);
        }
        pr_x509_pin_string(leaf, pin);
        ev.pin = apr_pstrdup(p, pin);
    }

    if (ssl && SSL_get_current_cipher(ssl)) {
        ev.protocol = SSL_get_version(ssl);
        ev.cipher = SSL_get_cipher_name(ssl);
    }
    pr_event_emit(pc->c->base_server, &ev);
}

static void set_notes(pr_conn *pc, request_rec *r, apr_uint32_t seq)
{
    const char *verdict = pc->verdict.reason == PR_REASON_NONE ? "ok"
                        : pc->policy == PR_POLICY_ENFORCE ? "refused" : "audit";

    apr_table_setn(r->notes, "REENCRYPT_BACKEND", pc->backend);
    apr_table_setn(r->notes, "REENCRYPT_VERDICT", verdict);
    apr_table_setn(r->notes, "REENCRYPT_REASON",
                   pc->verdict.reason == PR_REASON_NONE ? "-" : pr_reason_name(pc->verdict.reason));
    apr_table_setn(r->notes, "REENCRYPT_DAYS_LEFT",
                   pc->subject[0] ? apr_ltoa(r->pool, pc->days_left) : "-");
    apr_table_setn(r->notes, "REENCRYPT_RESUMED", pc->resumed ? "1" : "0");
    apr_table_setn(r->notes, "REENCRYPT_PROTOCOL", pc->protocol ? pc->protocol : "-");
    pc->noted = seq;
}

/* Health checks (no request) repeat every few seconds: their refusal of
 * one backend is logged once a minute per child, not at every check. */
#define HC_LOG_INTERVAL apr_time_from_sec(60)
static apr_hash_t *hc_logged;        /* backend -> apr_time_t *, per child */

static int hc_should_log(pr_conn *pc)
{
    apr_time_t now = apr_time_now(), *last;
    int yes = 1;

    lock(sess_mutex);
    if (hc_logged) {
        last = apr_hash_get(hc_logged, pc->backend, APR_HASH_KEY_STRING);
        if (!last) {
            last = apr_palloc(apr_hash_pool_get(hc_logged), sizeof(*last));
            apr_hash_set(hc_logged, apr_pstrdup(apr_hash_pool_get(hc_logged), pc->backend),
                         APR_HASH_KEY_STRING, last);
        }
        else if (now - *last < HC_LOG_INTERVAL) {
            yes = 0;
        }
        if (yes) {
            *last = now;
        }
    }
    unlock(sess_mutex);
    return yes;
}

/* One line per refusal, with what an operator needs. */
static void log_line(pr_conn *pc, int level, const char *what)
{
    const char *reason = pr_reason_name(pc->verdict.reason);
    const char *peer = pc->subject[0]
        ? apr_psprintf(pc->c->pool, "; subject=\"%s\"; issuer=\"%s\"; days_left=%ld",
                       pc->subject, pc->issuer, pc->days_left)
        : "; no peer certificate";
    const char *resumed = pc->resumed ? " (resumed session)" : "";

    if (pc->r) {
        ap_log_rerror(APLOG_MARK, level, 0, pc->r, PRE(1010) "%s backend %s (vhost %s): reason=%s%s%s",
                      what, pc->backend, pc->vhost, reason, peer, resumed);
    }
    else if (hc_should_log(pc)) {
        ap_log_cerror(APLOG_MARK, level, 0, pc->c, PRE(1010) "%s backend %s (vhost %s): "
                      "reason=%s%s%s (health check; repeated at most once a minute)",
                      what, pc->backend, pc->vhost, reason, peer, resumed);
    }
    pc->logged = 1;
}

/* ------------------------------------------------------------------ */
/* Verification.                                                        */

static pr_conn *conn_of_store_ctx(X509_STORE_CTX *sctx)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(sctx, SSL_get_ex_data_X509_STORE_CTX_idx());
    return ssl ? SSL_get_ex_data(ssl, ssl_idx) : NULL;
}

/* Verify callback of the module's own verifications: record every chain
 * error and go on, so that the verdict sees all of them. */
static int record_cb(int ok, X509_STORE_CTX *sctx)
{
    pr_conn *pc = conn_of_store_ctx(sctx);

    if (pc && !ok) {
        pc->chain_errors |= pr_x509_error_bit(X509_STORE_CTX_get_error(sctx));
    }
    return 1;
}

static int pin_matches(const apr_array_header_t *pins, X509 *cert)
{
    unsigned char md[32];
    int i;

    if (!cert || pr_x509_spki_sha256(cert, md) != 0) {
        return 0;
    }
    for (i = 0; i < pins->nelts; ++i) {
        if (!memcmp(pins->elts + (size_t)i * 32, md, 32)) {
            return 1;
        }
    }
    return 0;
}

static apr_status_t free_leaf(void *data)
{
    pr_conn *pc = data;

    X509_free(pc->leaf);
    pc->leaf = NULL;
    return APR_SUCCESS;
}

/* Judge the peer: leaf and chain (verified chain on a full handshake,
 * the certificates the peer sent on a resumed one). Logs and records. */
static void judge(pr_conn *pc, X509 *leaf, STACK_OF(X509) *chain, SSL *ssl)
{
    const pr_dir_conf *conf = pc->conf;
    pr_decision_policy pol;
    pr_observation obs;

    memset(&obs, 0, sizeof(obs));
    pol.verify = pc->verify;
    pol.warn_days = PR_EFF(conf, warn_days, PR_DEFAULT_WARN_DAYS);
    pol.refuse_days = PR_EFF(conf, refuse_days, PR_DEFAULT_REFUSE_DAYS);

    obs.chain_errors = pc->chain_errors;
    obs.have_cert = leaf != NULL;
    if (leaf && leaf != pc->leaf) {
        if (!pc->leaf) {
            apr_pool_cleanup_register(pc->c->pool, pc, free_leaf, apr_pool_cleanup_null);
        }
        X509_free(pc->leaf);
        X509_up_ref(leaf);
        pc->leaf = leaf;
    }
    if (leaf) {
        obs.days_left = pc->days_left = pr_x509_days_left(leaf);
        if (X509_cmp_current_time(X509_get0_notBefore(leaf)) > 0) {
            obs.chain_errors |= PR_REASON_BIT(PR_REASON_NOT_YET_VALID);
        }
        pr_x509_name_line(X509_get_subject_name(leaf), pc->subject, sizeof(pc->subject));
        pr_x509_name_line(X509_get_issuer_name(leaf), pc->issuer, sizeof(pc->issuer));
        if (pc->verify != PR_VERIFY_PIN || conf->expect) {
            /* No name to check at all (an HTTP/1.0 request without Host
             * under ProxyPreserveHost, say) is a mismatch, not a pass. */
            obs.name_checked = 1;
            obs.name_ok = pc->names && pc->names->nelts
                && pr_x509_names_match(leaf, (const char *const *)pc->names->elts,
                                       (size_t)pc->names->nelts);
        }
        if (conf->pins && conf->pins->nelts) {
            obs.pins_configured = 1;
            obs.pin_ok = pin_matches(conf->pins, leaf);
            if (pc->verify != PR_VERIFY_PIN && chain) {
                int i;
                for (i = 0; i < sk_X509_num(chain) && !obs.pin_ok; ++i) {
                    obs.pin_ok = pin_matches(conf->pins, sk_X509_value(chain, i));
                }
            }
        }
    }
    pc->verdict = pr_decide(&pol, &obs);
    pc->judged = 1;

    if (pc->verdict.reason != PR_REASON_NONE) {
        log_line(pc, pc->policy == PR_POLICY_ENFORCE ? APLOG_ERR : APLOG_WARNING,
                 pc->policy == PR_POLICY_ENFORCE ? "refused" : "would refuse");
    }
    else if (pc->verdict.expiring_warning && pr_status_should_warn(pc->backend, pc->vhost)) {
        ap_log_cerror(APLOG_MARK, APLOG_WARNING, 0, pc->c, PRE(1011)
                      "backend %s (vhost %s): certificate expires in %ld days "
                      "(warn window %ld days); subject=\"%s\"; issuer=\"%s\"",
                      pc->backend, pc->vhost, pc->days_left, pol.warn_days,
                      pc->subject, pc->issuer);
    }
    /* A refused full handshake is recorded by the guard filter, once the
     * failure is final; everything else now. */
    if (pc->verdict.reason == PR_REASON_NONE || pc->policy != PR_POLICY_ENFORCE) {
        record(pc, leaf, ssl);
    }
}

/* The policy's CRLs, checked for the leaf or the whole chain. */
static void apply_crls(X509_STORE_CTX *sctx, const pr_dir_conf *conf)
{
    int crl = pr_eff_crl_check(conf);

    if (crl != PR_CRL_NONE && conf->crls) {
        X509_STORE_CTX_set0_crls(sctx, conf->crls);
        X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(sctx),
                                    X509_V_FLAG_CRL_CHECK
                                    | (crl == PR_CRL_CHAIN ? X509_V_FLAG_CRL_CHECK_ALL : 0));
    }
}

/* The module's own verification of the peer, apart from mod_ssl's: the
 * policy's trust store (else mod_ssl's, with its CRLs), depth and CRLs,
 * then the verdict. Used for every handshake, full or resumed, and when
 * a pooled connection serves another scope. Returns the chain built (in
 * *built, a new reference, when asked for). */
static void verify_and_judge(pr_conn *pc, SSL *ssl, X509 *leaf,
                             STACK_OF(X509) *untrusted, STACK_OF(X509) **built)
{
    const pr_dir_conf *conf = pc->conf;
    X509_STORE *st = conf->store ? conf->store : SSL_CTX_get_cert_store(SSL_get_SSL_CTX(ssl));
    X509_STORE_CTX *sctx = NULL;
    STACK_OF(X509) *chain = NULL;

    pc->chain_errors = 0;
    pc->logged = 0;
    if (leaf && pc->verify != PR_VERIFY_OFF && (sctx = X509_STORE_CTX_new()) != NULL
        && X509_STORE_CTX_init(sctx, st, leaf, untrusted)) {
        X509_STORE_CTX_set_ex_data(sctx, SSL_get_ex_data_X509_STORE_CTX_idx(), ssl);
        X509_STORE_CTX_set_default(sctx, "ssl_server");
        X509_STORE_CTX_set_verify_cb(sctx, record_cb);
        X509_VERIFY_PARAM_set_depth(X509_STORE_CTX_get0_param(sctx),
                                    (int)PR_EFF(conf, depth, PR_DEFAULT_DEPTH));
        apply_crls(sctx, conf);
        if (X509_verify_cert(sctx) <= 0 && !pc->chain_errors) {
            /* OpenSSL failed without naming an error (memory, invalid
             * call): that is no verified chain. */
            pc->chain_errors |= PR_REASON_BIT(PR_REASON_UNTRUSTED);
        }
        chain = X509_STORE_CTX_get0_chain(sctx);
        if (built && chain) {
            *built = X509_chain_up_ref(chain);
        }
    }
    else if (leaf && pc->verify != PR_VERIFY_OFF) {
        pc->chain_errors |= PR_REASON_BIT(PR_REASON_UNTRUSTED);
    }
    judge(pc, leaf, chain, ssl);
    X509_STORE_CTX_free(sctx);
}

/* Installed on every proxy SSL_CTX (the certificate verification of a
 * full handshake); see the top of this file. */
static int cert_verify(X509_STORE_CTX *sctx, void *arg)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(sctx, SSL_get_ex_data_X509_STORE_CTX_idx());
    pr_conn *pc = ssl ? SSL_get_ex_data(ssl, ssl_idx) : NULL;
    STACK_OF(X509) *built = NULL;
    int ok = 1;

    (void)arg;
    if (!pc || pc->policy == PR_POLICY_OFF) {
        return X509_verify_cert(sctx);
    }
    if (pc->policy == PR_POLICY_AUDIT) {
        ok = X509_verify_cert(sctx);    /* mod_ssl's own verification decides */
    }
    verify_and_judge(pc, ssl, X509_STORE_CTX_get0_cert(sctx),
                     X509_STORE_CTX_get0_untrusted(sctx),
                     pc->policy == PR_POLICY_ENFORCE ? &built : NULL);
    if (pc->policy != PR_POLICY_ENFORCE) {
        return ok;
    }
    if (pc->verdict.reason != PR_REASON_NONE) {
        sk_X509_pop_free(built, X509_free);
        X509_STORE_CTX_set_error(sctx, X509_V_ERR_APPLICATION_VERIFICATION);
        return 0;
    }
    if (built) {
        X509_STORE_CTX_set0_verified_chain(sctx, built);   /* SSL_get0_verified_chain */
    }
    X509_STORE_CTX_set_error(sctx, X509_V_OK);
    return 1;
}

/* ------------------------------------------------------------------ */
/* Client-side session cache (mod_ssl keeps none), per child process,    */
/* keyed by backend identity (SSL_CTX, address, port, SNI, policy).       */
/*                                                                        */
/* TLS 1.3 tickets are used once (RFC 8446 C.4, and servers with a        */
/* session cache refuse a second use), so each backend keeps a small      */
/* queue of them: a full handshake brings two, a resumed one usually one. */
/* A TLS 1.2 session stays until replaced: resuming it again is normal.   */

#define TICKETS_PER_BACKEND 8

typedef struct {
    SSL_SESSION *s[TICKETS_PER_BACKEND];
    int n;
} session_queue;

static void queue_clear(session_queue *q)
{
    while (q->n > 0) {
        SSL_SESSION_free(q->s[--q->n]);
    }
}

static void session_forget(const char *key)
{
    session_queue *q;

    lock(sess_mutex);
    if (sessions && (q = apr_hash_get(sessions, key, APR_HASH_KEY_STRING)) != NULL) {
        queue_clear(q);
    }
    unlock(sess_mutex);
}

static apr_status_t sessions_cleanup(void *data)
{
    apr_hash_index_t *hi;

    (void)data;
    for (hi = sessions ? apr_hash_first(NULL, sessions) : NULL; hi; hi = apr_hash_next(hi)) {
        queue_clear(apr_hash_this_val(hi));
    }
    sessions = NULL;
    return APR_SUCCESS;
}

static void sessions_init(void)
{
    sessions = apr_hash_make(sessions_pool);
    apr_pool_cleanup_register(sessions_pool, NULL, sessions_cleanup, apr_pool_cleanup_null);
}

/* Take the session to offer (a reference the caller frees), or NULL. */
static SSL_SESSION *session_take(const char *key)
{
    SSL_SESSION *sess = NULL;
    session_queue *q;

    lock(sess_mutex);
    q = sessions ? apr_hash_get(sessions, key, APR_HASH_KEY_STRING) : NULL;
    while (q && q->n > 0 && !sess) {
        SSL_SESSION *head = q->s[0];

        if (SSL_SESSION_is_resumable(head)
            && SSL_SESSION_get_protocol_version(head) < TLS1_3_VERSION) {
            SSL_SESSION_up_ref(head);           /* TLS 1.2: stays */
            sess = head;
            break;
        }
        memmove(q->s, q->s + 1, sizeof(q->s[0]) * (size_t)(--q->n));
        if (SSL_SESSION_is_resumable(head)) {
            sess = head;                        /* TLS 1.3: used up */
        }
        else {
            SSL_SESSION_free(head);
        }
    }
    unlock(sess_mutex);
    return sess;
}

static int new_session_cb(SSL *ssl, SSL_SESSION *sess)
{
    pr_conn *pc = SSL_get_ex_data(ssl, ssl_idx);
    session_queue *q;

    if (!pc || !pc->session_key || !sessions
        || (pc->verdict.reason != PR_REASON_NONE && pc->policy == PR_POLICY_ENFORCE)) {
        return 0;
    }
    lock(sess_mutex);
    if (apr_hash_count(sessions) >= SESSIONS_MAX) {
        apr_pool_clear(sessions_pool);  /* frees every session */
        sessions_init();
    }
    q = apr_hash_get(sessions, pc->session_key, APR_HASH_KEY_STRING);
    if (!q) {
        q = apr_pcalloc(sessions_pool, sizeof(*q));
        apr_hash_set(sessions, apr_pstrdup(sessions_pool, pc->session_key),
                     APR_HASH_KEY_STRING, q);
    }
    if (SSL_SESSION_get_protocol_version(sess) < TLS1_3_VERSION) {
        queue_clear(q);                 /* the newest TLS 1.2 session wins */
    }
    else if (q->n == TICKETS_PER_BACKEND) {
        SSL_SESSION_free(q->s[0]);      /* drop the oldest ticket */
        memmove(q->s, q->s + 1, sizeof(q->s[0]) * (size_t)(--q->n));
    }
    q->s[q->n++] = sess;
    unlock(sess_mutex);
    return 1;                       /* we keep the reference */
}

/* Everything of the effective policy that a verdict depends on. */
static const char *policy_fp(apr_pool_t *p, const pr_dir_conf *conf, int policy, int verify)
{
    const char *key = apr_psprintf(p, "%d|%d|%s|%s|%ld|%ld|%ld|%d|%s|%d|%s|%s|%d",
        policy, verify, conf->ca_file ? conf->ca_file : "", conf->ca_path ? conf->ca_path : "",
        PR_EFF(conf, depth, PR_DEFAULT_DEPTH), PR_EFF(conf, warn_days, PR_DEFAULT_WARN_DAYS),
        PR_EFF(conf, refuse_days, PR_DEFAULT_REFUSE_DAYS), pr_eff_crl_check(conf),
        conf->crl_file ? conf->crl_file : "", PR_EFF(conf, min_proto, 0),
        conf->client ? conf->client->cert_file : "",
        conf->expect ? apr_array_pstrcat(p, conf->expect, ',') : "",
        PR_EFF(conf, sni, PR_DEFAULT_SNI));
    if (conf->pins) {
        int i;
        for (i = 0; i < conf->pins->nelts * 32; ++i) {
            key = apr_psprintf(p, "%s%02x", key, (unsigned char)conf->pins->elts[i]);
        }
    }
    return key;
}

/* A session belongs to one SSL_CTX (OpenSSL refuses it in another), one
 * backend address, one SNI and one policy. */
static const char *session_key(apr_pool_t *p, conn_rec *c, SSL *ssl, const char *sni,
                               const char *fp)
{
    return apr_psprintf(p, "%pp|%s|%u|%s|%s", (void *)SSL_get_SSL_CTX(ssl), c->client_ip,
                        c->client_addr ? c->client_addr->port : 0, sni ? sni : "", fp);
}

/* Judge a peer whose certificate OpenSSL did not verify in this
 * handshake: a resumed session, or a pooled connection now used under
 * another scope's policy. The session's certificates are verified afresh. */
static void rejudge(pr_conn *pc, SSL *ssl)
{
    verify_and_judge(pc, ssl, SSL_get0_peer_certificate(ssl), SSL_get_peer_cert_chain(ssl), NULL);
}

/* ------------------------------------------------------------------ */
/* mod_ssl hooks.                                                        */

static void msg_cb(int write_p, int version, int content_type, const void *buf,
                   size_t len, SSL *ssl, void *arg)
{
    pr_conn *pc = arg;

    (void)write_p;
    (void)version;
    (void)ssl;
    if (content_type == SSL3_RT_ALERT && len >= 2) {
        pc->alert = ((const unsigned char *)buf)[1];
    }
}

static void mark_ctx(SSL_CTX *ctx)
{
    SSL_CTX_set_cert_verify_callback(ctx, cert_verify, NULL);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, new_session_cb);
    SSL_CTX_set_ex_data(ctx, ctx_idx, (void *)1);
}

static int pr_init_server(server_rec *s, apr_pool_t *p, int is_proxy, SSL_CTX *ctx)
{
    (void)s;
    (void)p;
    if (is_proxy && ctx) {
        mark_ctx(ctx);
    }
    return DECLINED;
}

static void ensure_ctx(SSL *ssl)
{
    SSL_CTX *ctx = SSL_get_SSL_CTX(ssl);

    if (SSL_CTX_get_ex_data(ctx, ctx_idx)) {
        return;
    }
    /* A proxy SSL_CTX that ssl_hook_init_server did not show us. */
    lock(ctx_mutex);
    if (!SSL_CTX_get_ex_data(ctx, ctx_idx)) {
        mark_ctx(ctx);
    }
    unlock(ctx_mutex);
}

static int is_ip(const char *name)
{
    int k = pr_classify_name(name, strlen(name), 0);
    return k == 4 || k == 6;
}

/* The PROXY protocol header goes on the socket before the first TLS
 * byte; the client is the request's user agent (mod_remoteip's answer
 * when it is loaded), the destination the address it connected to. This
 * runs as a pre_connection hook of the backend connection: that is where
 * the socket is handed over (core keeps it only from its own, last,
 * pre_connection hook on), and the handshake starts later, with the
 * first write. */
static int pr_pre_connection(conn_rec *c, void *csd)
{
    unsigned char hdr[PR_PROXY_HEADER_MAX];
    const pr_request_ctx *rc = pr_current_request();
    apr_socket_t *sock = csd;
    request_rec *r;
    apr_size_t len;
    int n, version;

    if (c->outgoing && !rc) {
        rc = pr_requestless_ctx(c, apr_table_get(c->notes, "proxy-request-hostname"));
    }
    if (!c->outgoing || !rc || !sock
        || PR_EFF(rc->conf, policy, PR_DEFAULT_POLICY) == PR_POLICY_OFF
        || !(version = PR_EFF(rc->conf, proxy_protocol, 0))) {
        return DECLINED;
    }
    r = rc->r;

    if (r && r->useragent_addr) {
        n = pr_proxy_header(version, r->useragent_ip, r->useragent_addr->port,
                            r->connection->local_ip, r->connection->local_addr->port,
                            hdr, sizeof(hdr));
    }
    else {
        n = pr_proxy_header(version, NULL, 0, NULL, 0, hdr, sizeof(hdr));
    }
    len = n > 0 ? (apr_size_t)n : 0;
    if (n < 0 || apr_socket_send(sock, (const char *)hdr, &len) != APR_SUCCESS
        || len != (apr_size_t)n) {
        ap_log_cerror(APLOG_MARK, APLOG_ERR, 0, c, PRE(1022)
                      "backend %s: cannot send the PROXY protocol header", rc->backend);
        c->aborted = 1;
        return HTTP_BAD_GATEWAY;
    }
    return DECLINED;
}

/* The names the certificate must match under this scope: the configured
 * ones, else the name mod_proxy asked for (the note), else the worker's
 * host. */
static apr_array_header_t *names_for(apr_pool_t *p, const pr_dir_conf *conf,
                                     const char *hostname)
{
    apr_array_header_t *names;

    if (conf->expect) {
        return conf->expect;
    }
    if (!hostname || !*hostname) {
        return NULL;
    }
    names = apr_array_make(p, 1, sizeof(const char *));
    APR_ARRAY_PUSH(names, const char *) = hostname;
    return names;
}

/* What a pooled connection was set up with and cannot change afterwards:
 * a scope that needs something else cannot use it. */
static const char *conn_fp(apr_pool_t *p, const pr_dir_conf *conf, const char *sni)
{
    return apr_psprintf(p, "%s|%s|%d", sni ? sni : "",
                        conf->client ? conf->client->cert_file : "",
                        (int)PR_EFF(conf, proxy_protocol, 0));
}

static const char *sni_for(const pr_dir_conf *conf, const char *hostname)
{
    int mode = PR_EFF(conf, sni, PR_DEFAULT_SNI);

    return mode == PR_SNI_NAME ? conf->sni_name
         : (mode == PR_SNI_AUTO && hostname && !is_ip(hostname)) ? hostname : NULL;
}

static void set_scope(pr_conn *pc, apr_pool_t *p, const pr_dir_conf *conf, const char *backend)
{
    /* The merged configuration lives in the first request's pool; the
     * connection outlives it (its arrays and files are in pconf). */
    pc->conf = apr_pmemdup(p, conf, sizeof(*conf));
    pc->policy = PR_EFF(conf, policy, PR_DEFAULT_POLICY);
    pc->verify = PR_EFF(conf, verify, PR_DEFAULT_VERIFY);
    pc->backend = apr_pstrdup(p, backend);
    pc->fp = policy_fp(p, conf, pc->policy, pc->verify);
    pc->names = names_for(p, conf, pc->hostname);
}

static int pr_pre_handshake(conn_rec *c, SSL *ssl, int is_proxy)
{
    const pr_request_ctx *rc = pr_current_request();
    const pr_dir_conf *conf;
    const char *hostname, *sni;
    pr_conn *pc;
    int own_names;

    if (!is_proxy) {
        return DECLINED;
    }
    hostname = apr_table_get(c->notes, "proxy-request-hostname");
    if (!rc) {
        rc = pr_requestless_ctx(c, hostname);
    }
    conf = rc ? rc->conf : pr_conf_of(c->base_server->lookup_defaults);

    pc = apr_pcalloc(c->pool, sizeof(*pc));
    pc->c = c;
    pc->ssl = ssl;
    pc->alert = -1;
    pc->vhost = pr_vhost_name(c->pool, c->base_server);
    /* The name to verify: mod_proxy's, else the worker's own host (a
     * health check, or ProxyPreserveHost with a request without Host). */
    pc->hostname = hostname ? apr_pstrdup(c->pool, hostname)
                 : (rc && rc->worker && rc->worker->s->hostname_ex[0])
                 ? apr_pstrdup(c->pool, rc->worker->s->hostname_ex) : NULL;
    set_scope(pc, c->pool, conf, rc ? rc->backend
              : apr_psprintf(c->pool, "https://%s:%u", c->client_ip,
                             c->client_addr ? c->client_addr->port : 0));
    if (rc) {
        pc->r = rc->r;
        pc->noted = rc->seq;
        pc->worker = rc->worker;
        pc->balancer_member = rc->balancer_member;
    }
    ap_set_module_config(c->conn_config, &proxy_reencrypt_module, pc);
    SSL_set_ex_data(ssl, ssl_idx, pc);
    sni = sni_for(conf, hostname);
    pc->cfp = conn_fp(c->pool, conf, pc->policy == PR_POLICY_OFF ? hostname : sni);
    /* The guard is there under every policy, off included: a pooled
     * connection may later serve a scope with a stricter policy. */
    ap_add_output_filter(GUARD_FILTER, pc, NULL, c);
    if (pc->policy == PR_POLICY_OFF) {
        return DECLINED;
    }
    SSL_set_msg_callback(ssl, msg_cb);
    SSL_set_msg_callback_arg(ssl, pc);
    /* A backend renegotiating later would re-run verification long
     * after the request that opened the connection is gone. */
    SSL_set_options(ssl, SSL_OP_NO_RENEGOTIATION);
    ensure_ctx(ssl);

    /* Names and SNI. mod_proxy put the name it wants verified (and sent
     * as SNI) in the note proxy-request-hostname. */
    own_names = pc->policy == PR_POLICY_ENFORCE || conf->expect
                || PR_EFF(conf, sni, PR_DEFAULT_SNI) != PR_SNI_AUTO;
    if (own_names) {
        /* Without the note mod_ssl neither sends SNI nor checks the name
         * (its check ignores iPAddress SANs): both are ours now. */
        apr_table_unset(c->notes, "proxy-request-hostname");
        if (sni && !SSL_set_tlsext_host_name(ssl, sni)) {
            ap_log_cerror(APLOG_MARK, APLOG_ERR, 0, c, PRE(1020)
                          "cannot set SNI '%s' for backend %s", sni, pc->backend);
            return HTTP_BAD_GATEWAY;
        }
    }

    if (pc->policy == PR_POLICY_ENFORCE) {
        /* The verdict of cert_verify() decides the handshake, whatever
         * SSLProxyVerify says; its verification is the module's own. */
        SSL_set_verify(ssl, SSL_VERIFY_PEER, SSL_get_verify_callback(ssl));
        SSL_set_min_proto_version(ssl, PR_EFF(conf, min_proto, PR_DEFAULT_MIN_PROTO));
    }

    /* Client certificate for this backend only. */
    if (conf->client) {
        if (SSL_use_certificate(ssl, conf->client->leaf) != 1
            || SSL_use_PrivateKey(ssl, conf->client->key) != 1
            || SSL_set1_chain(ssl, conf->client->chain) != 1) {
            ap_log_cerror(APLOG_MARK, APLOG_ERR, 0, c, PRE(1023)
                          "backend %s: cannot use the client certificate %s",
                          pc->backend, conf->client->cert_file);
            return HTTP_BAD_GATEWAY;
        }
    }

    /* Resume a session of this very backend identity. */
    if (PR_EFF(conf, session_cache, 1) && sessions) {
        SSL_SESSION *sess;

        pc->session_key = session_key(c->pool, c, ssl, sni, pc->fp);
        if ((sess = session_take(pc->session_key)) != NULL) {
            SSL_set_session(ssl, sess);
            SSL_SESSION_free(sess);
        }
        ap_log_cerror(APLOG_MARK, APLOG_DEBUG, 0, c, PRE(1040)
                      "backend %s: %s", pc->backend,
                      sess ? "offering a cached session" : "no cached session");
    }
    return DECLINED;
}

/* After a successful handshake (mod_ssl runs this only when its own
 * checks passed). A resumed session skipped verification: it is judged
 * again from the session's certificates. */
static int pr_post_handshake(conn_rec *c, SSL *ssl)
{
    pr_conn *pc = ap_get_module_config(c->conn_config, &proxy_reencrypt_module);

    if (!pc || pc->policy == PR_POLICY_OFF) {
        return DECLINED;
    }
    pc->protocol = SSL_get_version(ssl);
    if (SSL_session_reused(ssl)) {
        pc->resumed = 1;
        rejudge(pc, ssl);
    }
    else if (!pc->judged) {
        /* No certificate was verified (an anonymous cipher suite, say). */
        pc->verdict.reason = PR_REASON_NO_CERTIFICATE;
        pc->judged = 1;
        log_line(pc, pc->policy == PR_POLICY_ENFORCE ? APLOG_ERR : APLOG_WARNING,
                 pc->policy == PR_POLICY_ENFORCE ? "refused" : "would refuse");
    }
    if (pc->policy == PR_POLICY_AUDIT && !pc->logged
        && SSL_version(ssl) < PR_EFF(pc->conf, min_proto, PR_DEFAULT_MIN_PROTO)) {
        /* Under enforce the floor is OpenSSL's; under audit it is a note. */
        pc->verdict.reason = PR_REASON_PROTOCOL;
        log_line(pc, APLOG_WARNING, "would refuse");
        record(pc, SSL_get0_peer_certificate(ssl), ssl);
    }
    if (pc->verdict.reason != PR_REASON_NONE && pc->policy == PR_POLICY_ENFORCE) {
        return HTTP_BAD_GATEWAY;
    }
    return DECLINED;
}

/* ------------------------------------------------------------------ */
/* The guard filter: 502 instead of 500, failover, notes, and pooled     */
/* connections reused under another <Proxy> scope.                       */

/* mod_proxy pools connections per worker, and several <Proxy> scopes with
 * different policies can share one worker: before a later request uses
 * the connection, the peer is judged again under that request's policy.
 * What the connection was set up with (SNI, client certificate, PROXY
 * header, protocol) cannot change: a scope needing other ones is refused.
 * Returns 0 if the request may use the connection. */
static int rescope(pr_conn *pc, const pr_request_ctx *rc)
{
    conn_rec *c = pc->c;
    apr_pool_t *p = rc->r->pool;
    int policy = PR_EFF(rc->conf, policy, PR_DEFAULT_POLICY);
    const char *fp = policy_fp(p, rc->conf, policy, PR_EFF(rc->conf, verify, PR_DEFAULT_VERIFY));
    const char *cfp;

    if (!strcmp(fp, pc->fp) || !SSL_is_init_finished(pc->ssl)) {
        return 0;
    }
    set_scope(pc, c->pool, rc->conf, rc->backend);
    if (policy == PR_POLICY_OFF) {
        pc->verdict.reason = PR_REASON_NONE;
        return 0;
    }
    pc->r = rc->r;
    rejudge(pc, pc->ssl);
    cfp = conn_fp(p, rc->conf, sni_for(rc->conf, pc->hostname));
    if (pc->verdict.reason == PR_REASON_NONE
        && (strcmp(cfp, pc->cfp) != 0
            || SSL_version(pc->ssl) < PR_EFF(rc->conf, min_proto, PR_DEFAULT_MIN_PROTO))) {
        pc->verdict.reason = strcmp(cfp, pc->cfp) ? PR_REASON_HANDSHAKE : PR_REASON_PROTOCOL;
        log_line(pc, policy == PR_POLICY_ENFORCE ? APLOG_ERR : APLOG_WARNING,
                 policy == PR_POLICY_ENFORCE ? "refused" : "would refuse");
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, rc->r, PRE(1012)
                      "the pooled connection to %s was opened for another <Proxy> scope "
                      "(SNI, client certificate, PROXY header or protocol differ); "
                      "give the scopes distinct workers, or disablereuse=On",
                      pc->backend);
    }
    pc->r = NULL;
    if (pc->verdict.reason != PR_REASON_NONE && policy == PR_POLICY_ENFORCE) {
        record(pc, SSL_get0_peer_certificate(pc->ssl), pc->ssl);
        return -1;
    }
    return 0;
}

static apr_status_t guard_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    pr_conn *pc = f->ctx;
    conn_rec *c = f->c;
    const pr_request_ctx *rc;
    apr_status_t rv;
    const char *note;

    if (pc->done && (rc = pr_current_request()) && rc->seq != pc->noted) {
        /* A later request on this pooled connection. */
        if (rescope(pc, rc) != 0) {
            set_notes(pc, rc->r, rc->seq);
            c->aborted = 1;     /* never reused again; 502 for this request */
            apr_brigade_cleanup(bb);
            return APR_ECONNABORTED;
        }
        if (pc->policy != PR_POLICY_OFF) {
            set_notes(pc, rc->r, rc->seq);
        }
        pc->noted = rc->seq;
    }
    rv = ap_pass_brigade(f->next, bb);
    note = apr_table_get(c->notes, "SSL_connect_rv");
    if (!note || pc->done) {
        return rv;                  /* handshake not run yet, or long done */
    }
    pc->done = 1;
    if (pc->policy == PR_POLICY_OFF) {
        pc->r = NULL;
        return rv;
    }
    if (!strcmp(note, "err")) {
        if (!pc->judged || pc->verdict.reason == PR_REASON_NONE) {
            pc->verdict.reason = pc->alert == SSL_AD_PROTOCOL_VERSION
                               ? PR_REASON_PROTOCOL : PR_REASON_HANDSHAKE;
            pc->policy = PR_POLICY_ENFORCE;     /* it was refused, whoever did it */
        }
        if (!pc->logged) {
            log_line(pc, APLOG_ERR, "refused");
        }
        if (pc->policy == PR_POLICY_ENFORCE) {
            record(pc, NULL, NULL);
        }
        if (pc->session_key) {
            session_forget(pc->session_key);
        }
        /* Anything but "err" makes ap_proxy_pass_brigade answer 502. */
        apr_table_setn(c->notes, "SSL_connect_rv", "refused");
        /* Not for health checks: mod_proxy_hcheck sets its own failed
         * state only on a worker that is not already in error. */
        if (pc->r && pc->balancer_member && pc->worker
            && !(pc->worker->s->status & PROXY_WORKER_IGNORE_ERRORS)) {
            pc->worker->s->error_time = apr_time_now();
            pc->worker->s->status |= PROXY_WORKER_IN_ERROR;
        }
    }
    if (pc->r) {
        set_notes(pc, pc->r, pc->noted);
    }
    pc->r = NULL;
    return rv;
}

static int pr_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                          server_rec *s)
{
    (void)pconf;
    (void)plog;
    (void)ptemp;
    (void)s;
    if (ssl_idx < 0) {
        ssl_idx = SSL_get_ex_new_index(0, "proxy_reencrypt", NULL, NULL, NULL);
        ctx_idx = SSL_CTX_get_ex_new_index(0, "proxy_reencrypt", NULL, NULL, NULL);
    }
    return OK;
}

static void pr_child_init(apr_pool_t *p, server_rec *s)
{
    (void)s;
#if APR_HAS_THREADS
    apr_thread_mutex_create(&ctx_mutex, APR_THREAD_MUTEX_DEFAULT, p);
    apr_thread_mutex_create(&sess_mutex, APR_THREAD_MUTEX_DEFAULT, p);
#endif
    apr_pool_create(&sessions_pool, p);
    sessions_init();
    hc_logged = apr_hash_make(p);
}

void pr_tls_register_hooks(apr_pool_t *p)
{
    static const char *const ssl_after_us[] = { "mod_ssl.c", NULL };

    (void)p;
    /* Before mod_ssl's post_config, which runs ssl_hook_init_server. */
    ap_hook_post_config(pr_post_config, NULL, ssl_after_us, APR_HOOK_MIDDLE);
    ap_hook_child_init(pr_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_pre_connection(pr_pre_connection, NULL, NULL, APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ssl, init_server, pr_init_server, NULL, NULL, APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ssl, pre_handshake, pr_pre_handshake, NULL, NULL, APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ssl, proxy_post_handshake, pr_post_handshake, NULL, NULL, APR_HOOK_MIDDLE);
    ap_register_output_filter(GUARD_FILTER, guard_filter, NULL, AP_FTYPE_CONNECTION);
}

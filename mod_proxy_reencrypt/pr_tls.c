/*
 * pr_tls.c: the mod_ssl side. One verdict per new TLS backend connection.
 *
 * ssl_hook_pre_handshake (once per new backend connection, after SSL_new,
 *   before the handshake): per-connection OpenSSL settings from the
 *   effective policy: trust store, depth, SNI, verify mode and callback.
 * cert_verify_callback on every proxy SSL_CTX: wraps X509_verify_cert so
 *   that the whole policy is judged in one place, with the chain OpenSSL
 *   built: chain errors recorded by our verify callback, then names, pins
 *   and the expiry window with OpenSSL's own functions (pr_x509.c), then
 *   the verdict (pr_core.c). Under enforce a refusal fails the handshake
 *   (the backend gets an alert, never the request).
 * A connection output filter above mod_ssl's sees a failed handshake as
 *   the error of the first write. mod_ssl marks any handshake failure
 *   with the note SSL_connect_rv=err, which mod_proxy turns into 500 (and
 *   a balancer then stops); the filter rewrites the note so the client
 *   gets 502, and puts a refused balancer member in error for its retry
 *   interval so the next requests go to healthy members.
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

#include "pr_x509.h"

#define GUARD_FILTER "PROXY_REENCRYPT_GUARD"

typedef struct {
    conn_rec *c;
    request_rec *r;                 /* the request opening it; handshake only */
    const pr_dir_conf *conf;
    proxy_worker *worker;
    const char *backend;
    const char *vhost;
    int policy;
    int verify;
    int balancer_member;
    int own_names;                  /* the module, not mod_ssl, checks names */
    apr_array_header_t *names;      /* expected names (const char *) */
    int (*ssl_cb)(int, X509_STORE_CTX *);   /* mod_ssl's, kept under audit */
    unsigned chain_errors;
    int judged;
    int logged;
    pr_verdict verdict;
    long days_left;
    char subject[256];
    char issuer[256];
} pr_conn;

static int ssl_idx = -1;            /* SSL ex_data: pr_conn */
static int ctx_idx = -1;            /* SSL_CTX ex_data: our callback is set */
#if APR_HAS_THREADS
static apr_thread_mutex_t *ctx_mutex;
#endif

const char *pr_vhost_name(apr_pool_t *p, server_rec *s)
{
    unsigned port = s->port;

    if (!port && s->addrs) {
        port = s->addrs->host_port;
    }
    return apr_psprintf(p, "%s:%u", s->server_hostname ? s->server_hostname : "*", port);
}

/* ------------------------------------------------------------------ */
/* Logging: one line per refusal, with what an operator needs.          */

static void log_line(pr_conn *pc, int level, const char *what)
{
    const char *reason = pr_reason_name(pc->verdict.reason);
    const char *peer = pc->subject[0]
        ? apr_psprintf(pc->c->pool, "; subject=\"%s\"; issuer=\"%s\"; days_left=%ld",
                       pc->subject, pc->issuer, pc->days_left)
        : "; no peer certificate";

    if (pc->r) {
        ap_log_rerror(APLOG_MARK, level, 0, pc->r, PRE(1010) "%s backend %s (vhost %s): reason=%s%s",
                      what, pc->backend, pc->vhost, reason, peer);
    }
    else {
        ap_log_cerror(APLOG_MARK, level, 0, pc->c, PRE(1010) "%s backend %s (vhost %s): reason=%s%s",
                      what, pc->backend, pc->vhost, reason, peer);
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

/* Verify callback: record every chain error and go on, so that the
 * verdict sees all of them. Under audit, mod_ssl's callback decides. */
static int verify_cb(int ok, X509_STORE_CTX *sctx)
{
    pr_conn *pc = conn_of_store_ctx(sctx);

    if (!pc) {
        return ok;
    }
    if (!ok) {
        pc->chain_errors |= pr_x509_error_bit(X509_STORE_CTX_get_error(sctx));
    }
    if (pc->policy == PR_POLICY_AUDIT) {
        return pc->ssl_cb ? pc->ssl_cb(ok, sctx) : ok;
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

static void judge(pr_conn *pc, X509 *leaf, STACK_OF(X509) *chain)
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
    if (leaf) {
        obs.days_left = pc->days_left = pr_x509_days_left(leaf);
        pr_x509_name_line(X509_get_subject_name(leaf), pc->subject, sizeof(pc->subject));
        pr_x509_name_line(X509_get_issuer_name(leaf), pc->issuer, sizeof(pc->issuer));
        if (pc->names && pc->names->nelts
            && (pc->verify != PR_VERIFY_PIN || conf->expect)) {
            obs.name_checked = 1;
            obs.name_ok = pr_x509_names_match(leaf, (const char *const *)pc->names->elts,
                                              (size_t)pc->names->nelts);
        }
        if (conf->pins && conf->pins->nelts) {
            obs.pins_configured = 1;
            if (pc->verify == PR_VERIFY_PIN || !chain) {
                obs.pin_ok = pin_matches(conf->pins, leaf);
            }
            else {
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
        if (pc->policy == PR_POLICY_ENFORCE) {
            log_line(pc, APLOG_ERR, "refused");
        }
        else {
            log_line(pc, APLOG_WARNING, "would refuse");
        }
    }
    else if (pc->verdict.expiring_warning) {
        if (pc->r) {
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, pc->r, PRE(1011)
                          "backend %s (vhost %s): certificate expires in %ld days "
                          "(warn window %ld); subject=\"%s\"",
                          pc->backend, pc->vhost, pc->days_left, pol.warn_days, pc->subject);
        }
    }
}

/* Installed on every proxy SSL_CTX; see the top of this file. */
static int cert_verify(X509_STORE_CTX *sctx, void *arg)
{
    pr_conn *pc = conn_of_store_ctx(sctx);
    int crl, ok;

    (void)arg;
    if (!pc) {
        return X509_verify_cert(sctx);
    }
    crl = pr_eff_crl_check(pc->conf);
    if (crl != PR_CRL_NONE && pc->conf->crls) {
        X509_STORE_CTX_set0_crls(sctx, pc->conf->crls);
        X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(sctx),
                                    X509_V_FLAG_CRL_CHECK
                                    | (crl == PR_CRL_CHAIN ? X509_V_FLAG_CRL_CHECK_ALL : 0));
    }
    ok = X509_verify_cert(sctx);
    judge(pc, X509_STORE_CTX_get0_cert(sctx), X509_STORE_CTX_get0_chain(sctx));
    if (pc->policy != PR_POLICY_ENFORCE) {
        return ok;
    }
    if (pc->verdict.reason != PR_REASON_NONE) {
        X509_STORE_CTX_set_error(sctx, X509_V_ERR_APPLICATION_VERIFICATION);
        return 0;
    }
    X509_STORE_CTX_set_error(sctx, X509_V_OK);
    return 1;
}

static void mark_ctx(SSL_CTX *ctx)
{
    SSL_CTX_set_cert_verify_callback(ctx, cert_verify, NULL);
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

/* ------------------------------------------------------------------ */
/* After the handshake: 502 instead of 500, failover, one log line.     */

static apr_status_t guard_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    pr_conn *pc = f->ctx;
    conn_rec *c = f->c;
    apr_status_t rv = ap_pass_brigade(f->next, bb);
    const char *note = apr_table_get(c->notes, "SSL_connect_rv");

    if (!note) {
        return rv;                  /* the handshake has not run yet */
    }
    if (!strcmp(note, "err")) {
        if (!pc->logged) {
            if (!pc->judged) {
                pc->verdict.reason = PR_REASON_HANDSHAKE;
            }
            log_line(pc, APLOG_ERR, "refused");
        }
        /* Anything but "err" makes ap_proxy_pass_brigade answer 502. */
        apr_table_setn(c->notes, "SSL_connect_rv", "refused");
        if (pc->balancer_member && pc->worker
            && !(pc->worker->s->status & PROXY_WORKER_IGNORE_ERRORS)) {
            pc->worker->s->error_time = apr_time_now();
            pc->worker->s->status |= PROXY_WORKER_IN_ERROR;
        }
    }
    pc->r = NULL;
    ap_remove_output_filter(f);
    return rv;
}

/* ------------------------------------------------------------------ */
/* Before the handshake.                                                */

static void ensure_ctx(SSL *ssl)
{
    SSL_CTX *ctx = SSL_get_SSL_CTX(ssl);

    if (SSL_CTX_get_ex_data(ctx, ctx_idx)) {
        return;
    }
    /* A proxy SSL_CTX that ssl_hook_init_server did not show us. */
#if APR_HAS_THREADS
    if (ctx_mutex) apr_thread_mutex_lock(ctx_mutex);
#endif
    if (!SSL_CTX_get_ex_data(ctx, ctx_idx)) {
        mark_ctx(ctx);
    }
#if APR_HAS_THREADS
    if (ctx_mutex) apr_thread_mutex_unlock(ctx_mutex);
#endif
}

static int is_ip(const char *name)
{
    int k = pr_classify_name(name, strlen(name), 0);
    return k == 4 || k == 6;
}

static int pr_pre_handshake(conn_rec *c, SSL *ssl, int is_proxy)
{
    const pr_request_ctx *rc = pr_current_request();
    const pr_dir_conf *conf;
    const char *hostname, *sni = NULL;
    pr_conn *pc;
    int sni_mode;

    if (!is_proxy) {
        return DECLINED;
    }
    conf = rc ? rc->conf : pr_conf_of(c->base_server->lookup_defaults);
    if (PR_EFF(conf, policy, PR_DEFAULT_POLICY) == PR_POLICY_OFF) {
        return DECLINED;
    }

    pc = apr_pcalloc(c->pool, sizeof(*pc));
    pc->c = c;
    pc->conf = conf;
    pc->policy = PR_EFF(conf, policy, PR_DEFAULT_POLICY);
    pc->verify = PR_EFF(conf, verify, PR_DEFAULT_VERIFY);
    pc->vhost = pr_vhost_name(c->pool, c->base_server);
    if (rc) {
        pc->r = rc->r;
        pc->worker = rc->worker;
        pc->backend = rc->backend;
        pc->balancer_member = rc->balancer_member;
    }
    else {
        pc->backend = apr_psprintf(c->pool, "%s:%u", c->client_ip,
                                   c->client_addr ? c->client_addr->port : 0);
    }
    ap_set_module_config(c->conn_config, &proxy_reencrypt_module, pc);
    SSL_set_ex_data(ssl, ssl_idx, pc);
    ensure_ctx(ssl);

    /* Names and SNI. mod_proxy put the name it wants verified (and sent
     * as SNI) in the note proxy-request-hostname. */
    hostname = apr_table_get(c->notes, "proxy-request-hostname");
    if (conf->expect) {
        pc->names = conf->expect;
    }
    else if (hostname) {
        pc->names = apr_array_make(c->pool, 1, sizeof(const char *));
        APR_ARRAY_PUSH(pc->names, const char *) = hostname;
    }
    sni_mode = PR_EFF(conf, sni, PR_DEFAULT_SNI);
    pc->own_names = pc->policy == PR_POLICY_ENFORCE || conf->expect
                    || sni_mode != PR_SNI_AUTO;
    if (pc->own_names) {
        /* Without the note mod_ssl neither sends SNI nor checks the name
         * (its check ignores iPAddress SANs): both are ours now. */
        apr_table_unset(c->notes, "proxy-request-hostname");
        if (sni_mode == PR_SNI_NAME) {
            sni = conf->sni_name;
        }
        else if (sni_mode == PR_SNI_AUTO && hostname && !is_ip(hostname)) {
            sni = hostname;
        }
        if (sni && !SSL_set_tlsext_host_name(ssl, sni)) {
            ap_log_cerror(APLOG_MARK, APLOG_ERR, 0, c, PRE(1020)
                          "cannot set SNI '%s' for backend %s", sni, pc->backend);
            return HTTP_BAD_GATEWAY;
        }
    }

    /* Trust anchors and depth. */
    if (conf->ca_file || conf->ca_path) {
        const char *err = NULL;
        X509_STORE *st = pr_store_get(c->base_server->process->pconf,
                                      conf->ca_file, conf->ca_path, &err);
        if (!st || !SSL_set1_verify_cert_store(ssl, st)) {
            ap_log_cerror(APLOG_MARK, APLOG_ERR, 0, c, PRE(1021)
                          "backend %s: no trust store: %s", pc->backend,
                          err ? err : "cannot attach it");
            return HTTP_BAD_GATEWAY;
        }
    }
    SSL_set_verify_depth(ssl, (int)PR_EFF(conf, depth, PR_DEFAULT_DEPTH));

    if (pc->policy == PR_POLICY_ENFORCE) {
        SSL_set_verify(ssl, SSL_VERIFY_PEER, verify_cb);
    }
    else {
        pc->ssl_cb = SSL_get_verify_callback(ssl);
        SSL_set_verify(ssl, SSL_get_verify_mode(ssl), verify_cb);
    }

    ap_add_output_filter(GUARD_FILTER, pc, NULL, c);
    return DECLINED;
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
#endif
    pr_stores_child_init(p);
}

void pr_tls_register_hooks(apr_pool_t *p)
{
    static const char *const ssl_after_us[] = { "mod_ssl.c", NULL };

    (void)p;
    /* Before mod_ssl's post_config, which runs ssl_hook_init_server. */
    ap_hook_post_config(pr_post_config, NULL, ssl_after_us, APR_HOOK_MIDDLE);
    ap_hook_child_init(pr_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ssl, init_server, pr_init_server, NULL, NULL, APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ssl, pre_handshake, pr_pre_handshake, NULL, NULL, APR_HOOK_MIDDLE);
    ap_register_output_filter(GUARD_FILTER, guard_filter, NULL, AP_FTYPE_CONNECTION);
}

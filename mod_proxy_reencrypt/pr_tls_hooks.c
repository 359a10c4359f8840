/*
 * pr_tls_hooks.c: the mod_ssl side, per backend connection.
 *
 * ssl_hook_pre_handshake (once per NEW backend connection, after SSL_new,
 *   before the handshake): per-connection OpenSSL settings from the
 *   resolved policy: trust store, depth, SNI, verify mode, client
 *   certificate, protocol floor, a cached session to resume; the PROXY
 *   protocol header was written before by a pre_connection hook.
 * ssl_hook_proxy_post_handshake (mod_ssl runs it only when its own checks
 *   passed): a resumed session skipped certificate verification in
 *   OpenSSL, so its certificates are judged again here; then the
 *   handshake's outcome is concluded (pr_tls_verify.c).
 *
 * Names and SNI (pr_choose_names): under audit mod_ssl keeps its own
 * name check and SNI (its note proxy-request-hostname), unless the scope
 * wrote an identity down (ProxyReencryptExpectName/SNI): then the module
 * sends the SNI and checks the names itself, failing the handshake on a
 * mismatch as mod_ssl's own check would. Under enforce they are always
 * the module's.
 */
#include "pr_tls.h"
#include "pr_reload.h"

#include "apr_strings.h"
#include "apr_thread_mutex.h"
#include "http_connection.h"

#include "mod_ssl_openssl.h"

#include "pr_loglimit.h"

static int ctx_idx = -1;            /* SSL_CTX ex_data: our callbacks are set */
#if APR_HAS_THREADS
static apr_thread_mutex_t *ctx_mutex;
#endif

void pr_tls_msg_cb(int write_p, int version, int content_type, const void *buf,
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
    SSL_CTX_set_cert_verify_callback(ctx, pr_cert_verify, NULL);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, pr_session_new_cb);
    pr_ocsp_install(ctx);
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
#if APR_HAS_THREADS
    apr_thread_mutex_lock(ctx_mutex);
#endif
    if (!SSL_CTX_get_ex_data(ctx, ctx_idx)) {
        mark_ctx(ctx);
    }
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(ctx_mutex);
#endif
}

/* A backend connection refused before its handshake (SNI, client
 * certificate, PROXY header could not be set up): one line with reason
 * and detail, rate-limited like every refusal line (pr_loglimit.c). */
static void refused_early(conn_rec *c, const char *tag, const char *backend,
                          const char *detail)
{
    const char *vhost = pr_vhost_name(c->pool, c->base_server), *note;

    if (pr_loglimit(c->pool, vhost, backend, "handshake", tag, PR_LOG_INTERVAL, &note)) {
        ap_log_cerror(APLOG_MARK, APLOG_ERR, 0, c, "%srefused backend %s (vhost %s): "
                      "reason=handshake; detail=\"%s\"%s", tag, backend, vhost, detail, note);
    }
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
        || rc->pol->policy == PR_POLICY_OFF
        || !(version = rc->pol->proxy_protocol)) {
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
        refused_early(c, PRE(1022), rc->backend, "cannot send the PROXY protocol header");
        c->aborted = 1;
        return HTTP_BAD_GATEWAY;
    }
    return DECLINED;
}

static int pr_pre_handshake(conn_rec *c, SSL *ssl, int is_proxy)
{
    const pr_request_ctx *rc = pr_current_request();
    const char *note, *worker_host;
    pr_client_cert *cc;
    pr_conn *pc;

    if (!is_proxy) {
        return DECLINED;
    }
    note = apr_table_get(c->notes, "proxy-request-hostname");
    if (!rc) {
        rc = pr_requestless_ctx(c, note);
    }
    pc = apr_pcalloc(c->pool, sizeof(*pc));
    pc->c = c;
    pc->ssl = ssl;
    pc->alert = -1;
    pc->vhost = pr_vhost_name(c->pool, c->base_server);
    if (rc) {
        pc->pol = rc->pol;
        pc->r = rc->r;
        pc->noted = rc->seq;
        pc->worker = rc->worker;
        pc->balancer_member = rc->balancer_member;
        pc->backend = apr_pstrdup(c->pool, rc->backend);
        pc->from_client = rc->from_client;
    }
    else {
        pc->pol = pr_policy_for(c->base_server, NULL, NULL, NULL);
        pc->backend = apr_psprintf(c->pool, "https://%s:%u", c->client_ip,
                                   c->client_addr ? c->client_addr->port : 0);
    }
    /* The name mod_proxy asked for; without one (a health check, or
     * ProxyPreserveHost with a request without Host) the worker's host. */
    /* (The request's spelling when it is the same name, so that a pooled
     * connection compares equal for the next request of the scope.) */
    pc->requested = (rc && rc->requested && (!note || !strcasecmp(note, rc->requested)))
                  ? apr_pstrdup(c->pool, rc->requested)
                  : note ? apr_pstrdup(c->pool, note) : NULL;
    worker_host = (rc && rc->worker && rc->worker->s->hostname_ex[0])
                ? apr_pstrdup(c->pool, rc->worker->s->hostname_ex) : NULL;
    pr_choose_names(pc->pol, pc->requested, pc->from_client, worker_host,
                    &pc->name_slot, &pc->names);
    pr_conn_key(pc->pol, &pc->names, pc->key);
    pr_trust_take(pc);
    ap_set_module_config(c->conn_config, &proxy_reencrypt_module, pc);
    SSL_set_ex_data(ssl, pr_ssl_idx, pc);
    /* The filters are there under every policy, off included: a pooled
     * connection may later be offered to another scope. */
    pr_guard_add(pc);
    if (pc->pol->policy == PR_POLICY_OFF) {
        return DECLINED;
    }
    SSL_set_msg_callback(ssl, pr_tls_msg_cb);
    SSL_set_msg_callback_arg(ssl, pc);
    pr_bounds_pre_handshake(pc, ssl);
    /* A backend renegotiating later would re-run verification long
     * after the request that opened the connection is gone. */
    if (pr_refuse_renegotiation(pc->pol)) {
        SSL_set_options(ssl, SSL_OP_NO_RENEGOTIATION);
    }
    ensure_ctx(ssl);

    if (pc->names.own) {
        /* Without the note mod_ssl neither sends SNI nor checks the name
         * (its check ignores iPAddress SANs): both are the module's now. */
        apr_table_unset(c->notes, "proxy-request-hostname");
        if (pc->names.sni && !SSL_set_tlsext_host_name(ssl, pc->names.sni)) {
            refused_early(c, PRE(1020), pc->backend,
                          apr_psprintf(c->pool, "cannot set SNI '%s'", pc->names.sni));
            return HTTP_BAD_GATEWAY;
        }
    }
    if (pc->pol->policy == PR_POLICY_ENFORCE) {
        /* The verdict of pr_cert_verify() decides the handshake, whatever
         * SSLProxyVerify says; its verification is the module's own. */
        SSL_set_verify(ssl, SSL_VERIFY_PEER, SSL_get_verify_callback(ssl));
        SSL_set_min_proto_version(ssl, pc->pol->min_proto);
    }
    /* Client certificate for this backend only. */
    if ((cc = (pr_client_cert *)pc->pol->client) != NULL) {
        if (SSL_use_certificate(ssl, cc->leaf) != 1
            || SSL_use_PrivateKey(ssl, cc->key) != 1
            || SSL_set1_chain(ssl, cc->chain) != 1) {
            refused_early(c, PRE(1023), pc->backend,
                          apr_psprintf(c->pool, "cannot use the client certificate %s",
                                       cc->cert_file));
            return HTTP_BAD_GATEWAY;
        }
    }
    pr_ocsp_pre_handshake(pc, ssl);
    pr_session_offer(pc, ssl);
    return DECLINED;
}

/* After a successful handshake (mod_ssl runs this only when its own
 * checks passed). */
static int pr_post_handshake(conn_rec *c, SSL *ssl)
{
    pr_conn *pc = ap_get_module_config(c->conn_config, &proxy_reencrypt_module);
    pr_outcome o;

    if (!pc || pc->pol->policy == PR_POLICY_OFF) {
        return DECLINED;
    }
    pc->protocol = SSL_get_version(ssl);
    if (SSL_session_reused(ssl)) {
        pc->resumed = 1;
        pr_rejudge(pc, ssl);
        pr_ocsp_resumed(pc, ssl);
    }
    else if (!pc->judged) {
        /* No certificate was verified (an anonymous cipher suite, say). */
        pc->verdict.reason = PR_REASON_NO_CERTIFICATE;
        pc->judged = 1;
    }
    if (pc->verdict.reason == PR_REASON_NONE && SSL_version(ssl) < pc->pol->min_proto) {
        /* Under enforce OpenSSL keeps the floor; under audit it is a note. */
        pc->verdict.reason = PR_REASON_PROTOCOL;
    }
    o = pr_outcome_of(pc->pol->policy, &pc->verdict, 0, pc->names.as_modssl, !pc->r);
    if (o.refuse) {
        /* The guard filter concludes, once mod_ssl has failed it. */
        pc->refused_by_us = 1;
        return HTTP_BAD_GATEWAY;
    }
    pr_conclude(pc, ssl, &o);
    return DECLINED;
}

static int pr_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                          server_rec *s)
{
    (void)plog;
    (void)ptemp;
    (void)s;
    pr_ocsp_post_config(pconf);
    pr_session_post_config();
    if (pr_ssl_idx < 0) {
        pr_ssl_idx = SSL_get_ex_new_index(0, "proxy_reencrypt", NULL, NULL, NULL);
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
    pr_session_child_init(p);
    pr_verify_child_init(p);
    pr_ocsp_child_init(p);
    pr_certs_child_init(p);
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
    pr_guard_register();
    pr_bounds_register();
    pr_reload_register_hooks(p);
}

/*
 * pr_proxy.c: the mod_proxy side.
 *
 * - A scheme_handler hook, registered REALLY_FIRST and always DECLINED
 *   for TLS backends, sees every attempt of every proxied request with
 *   its request and chosen worker (balancer members included; another
 *   module's pre_request hook never runs for balancer requests, because
 *   mod_proxy_balancer answers that RUN_FIRST hook). It works out the
 *   effective policy for that backend and refuses plaintext backends.
 * - The backend conn_rec that mod_ssl later hands to
 *   ssl_hook_pre_handshake carries no pointer to the request or the
 *   worker. mod_proxy_http creates and connects it on the same thread,
 *   inside the scheme handler that runs right after ours, so the context
 *   is handed over in a thread-local variable that is set here, read in
 *   pr_tls.c, and cleared with the request pool (only if it still points
 *   at this request: the pool may be destroyed on another thread by the
 *   event MPM's write completion).
 * - check_config: static plaintext backends under enforce stop start-up,
 *   in `apachectl -t` too (post_config does not run there).
 */
#include "pr_glue.h"

#include "apr_atomic.h"
#include "apr_strings.h"
#include "apr_uri.h"
#include "http_request.h"
#include "http_protocol.h"

static __thread pr_request_ctx *current;
static apr_uint32_t request_seq;

const pr_request_ctx *pr_current_request(void)
{
    return current;
}

static apr_status_t clear_current(void *data)
{
    if (current == data) {
        current = NULL;
    }
    return APR_SUCCESS;
}

/* "scheme://host:port" of a URL, for messages. */
static const char *backend_of_url(apr_pool_t *p, const char *url)
{
    apr_uri_t uri;

    if (apr_uri_parse(p, url, &uri) == APR_SUCCESS && uri.scheme && uri.hostinfo) {
        return apr_pstrcat(p, uri.scheme, "://", uri.hostinfo, NULL);
    }
    return url;
}

/* Is this one of mod_proxy's generic workers (dynamic targets)? */
static int is_generic_worker(proxy_server_conf *sconf, proxy_worker *w)
{
    return w == sconf->reverse || w == sconf->forward
        || !strncmp(w->s->name, "proxy:", 6);
}

static void record_plaintext(request_rec *r, const char *backend, int policy)
{
    pr_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.backend = backend;
    ev.vhost = pr_vhost_name(r->pool, r->server);
    ev.policy = policy;
    ev.verdict = policy == PR_POLICY_ENFORCE ? PR_VERDICT_REFUSED : PR_VERDICT_AUDIT;
    ev.reason = PR_REASON_PLAINTEXT;
    pr_event_emit(r->server, &ev);
}

static int pr_scheme_handler(request_rec *r, proxy_worker *worker,
                             proxy_server_conf *sconf, char *url,
                             const char *proxyhost, apr_port_t proxyport)
{
    const pr_dir_conf *conf;
    const char *colon;
    pr_request_ctx *ctx;
    int policy;

    (void)proxyhost;
    (void)proxyport;
    conf = pr_conf_for_worker(r->pool, r->server, r->per_dir_config, worker);
    policy = PR_EFF(conf, policy, PR_DEFAULT_POLICY);

    /* Every attempt gets a context, policy off included: a connection
     * opened for an exempt scope may be pooled and later serve a strict
     * one, and the TLS side must know which scope it was opened for. */
    ctx = apr_pcalloc(r->pool, sizeof(*ctx));
    ctx->r = r;
    ctx->worker = worker;
    ctx->conf = conf;
    ctx->seq = apr_atomic_inc32(&request_seq) + 1;
    ctx->balancer_member = worker->balancer != NULL;
    ctx->backend = is_generic_worker(sconf, worker)
        ? backend_of_url(r->pool, url)
        : ap_proxy_worker_name(r->pool, worker);
    current = ctx;
    apr_pool_cleanup_register(r->pool, ctx, clear_current, apr_pool_cleanup_null);
    if (policy == PR_POLICY_OFF) {
        return DECLINED;
    }
    pr_forwarded_apply(r, conf, url);

    colon = ap_strchr_c(url, ':');
    if (!colon) {
        return DECLINED;
    }
    if (!pr_scheme_is_tls(url, (size_t)(colon - url))) {
        const char *backend;

        if (!PR_EFF(conf, require_tls, PR_DEFAULT_REQUIRE_TLS)) {
            return DECLINED;
        }
        /* Static backends were judged at start-up: under enforce they
         * cannot exist, under audit they were logged once there. */
        if (policy == PR_POLICY_AUDIT && !is_generic_worker(sconf, worker)) {
            return DECLINED;
        }
        backend = backend_of_url(r->pool, url);
        record_plaintext(r, backend, policy);
        if (policy == PR_POLICY_ENFORCE) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, PRE(1001)
                          "refused backend %s (vhost %s): reason=plaintext; "
                          "ProxyReencryptRequireTLS needs https://, wss:// or h2://",
                          backend, pr_vhost_name(r->pool, r->server));
            apr_table_setn(r->notes, "REENCRYPT_BACKEND", backend);
            apr_table_setn(r->notes, "REENCRYPT_VERDICT", "refused");
            apr_table_setn(r->notes, "REENCRYPT_REASON", "plaintext");
            return HTTP_BAD_GATEWAY;
        }
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, PRE(1002)
                      "would refuse backend %s (vhost %s): reason=plaintext",
                      backend, pr_vhost_name(r->pool, r->server));
        return DECLINED;
    }

    if (PR_EFF(conf, proxy_protocol, 0)) {
        /* The PROXY header names one client per backend connection. */
        apr_table_setn(r->subprocess_env, "proxy-nokeepalive", "1");
    }
    return DECLINED;
}

/* A backend connection opened without a request on this thread: the
 * health checks of mod_proxy_hcheck, from its watchdog threads. Find the
 * configured worker, as mod_proxy uses worker->section_config when it has
 * no request: by host name and port when mod_proxy named the host (the
 * note), else by port and address, and only if that is unambiguous. */
static int worker_matches(proxy_worker *w, conn_rec *c, apr_port_t port,
                          const char *hostname)
{
    if (w->s->port != port) {
        return 0;
    }
    if (hostname) {
        return !strcasecmp(w->s->hostname_ex, hostname);
    }
    return !strcmp(w->s->hostname_ex, c->client_ip)
        || !strcasecmp(w->s->hostname_ex, "localhost")
        || pr_classify_name(w->s->hostname_ex, strlen(w->s->hostname_ex), 0) == PR_NAME_DNS;
}

static int worker_at(proxy_worker *w, conn_rec *c)
{
    apr_sockaddr_t *sa;

    if (!c->client_addr
        || apr_sockaddr_info_get(&sa, w->s->hostname_ex, APR_UNSPEC, w->s->port, 0,
                                 c->pool) != APR_SUCCESS) {
        return 0;
    }
    for (; sa; sa = sa->next) {
        if (apr_sockaddr_equal(sa, c->client_addr)) {
            return 1;
        }
    }
    return 0;
}

pr_request_ctx *pr_requestless_ctx(conn_rec *c, const char *hostname)
{
    server_rec *s = c->base_server;
    proxy_server_conf *sconf = ap_get_module_config(s->module_config, &proxy_module);
    apr_port_t port = c->client_addr ? c->client_addr->port : 0;
    proxy_worker *found = NULL;
    pr_request_ctx *ctx;
    int i, j, matches = 0;

    if (!sconf) {
        return NULL;
    }
    for (i = 0; i < sconf->balancers->nelts; ++i) {
        proxy_balancer *b = &((proxy_balancer *)sconf->balancers->elts)[i];
        for (j = 0; j < b->workers->nelts; ++j) {
            proxy_worker *w = ((proxy_worker **)b->workers->elts)[j];
            if (worker_matches(w, c, port, hostname) && found != w) {
                found = w;
                ++matches;
            }
        }
    }
    for (i = 0; i < sconf->workers->nelts; ++i) {
        proxy_worker *w = &((proxy_worker *)sconf->workers->elts)[i];
        if (worker_matches(w, c, port, hostname) && found != w) {
            found = w;
            ++matches;
        }
    }
    if (matches > 1 && !hostname) {
        /* Several workers on this port: the one whose host resolves to
         * the address connected to (health checks resolve it anyway). */
        found = NULL;
        matches = 0;
        for (i = 0; i < sconf->balancers->nelts; ++i) {
            proxy_balancer *b = &((proxy_balancer *)sconf->balancers->elts)[i];
            for (j = 0; j < b->workers->nelts; ++j) {
                proxy_worker *w = ((proxy_worker **)b->workers->elts)[j];
                if (worker_matches(w, c, port, NULL) && worker_at(w, c) && found != w) {
                    found = w;
                    ++matches;
                }
            }
        }
    }
    if (matches < 1) {
        return NULL;
    }
    ctx = apr_pcalloc(c->pool, sizeof(*ctx));
    ctx->worker = found;
    ctx->conf = pr_conf_for_worker(c->pool, s, NULL, found);
    ctx->balancer_member = found->balancer != NULL;
    ctx->backend = ap_proxy_worker_name(c->pool, found);
    return ctx;
}

/* ------------------------------------------------------------------ */
/* Start-up: every static backend against its effective policy.         */

/* Does the configuration give mod_ssl proxy trust anchors for vhost s?
 * mod_ssl's own configuration is private to it and loaded only after
 * check_config, so this reads the configuration tree: an
 * SSLProxyCACertificateFile/Path at the top level, or anywhere inside
 * s's <VirtualHost> block. */
static int has_directive(const ap_directive_t *d, int recurse)
{
    for (; d; d = d->next) {
        if (!strcasecmp(d->directive, "SSLProxyCACertificateFile")
            || !strcasecmp(d->directive, "SSLProxyCACertificatePath")) {
            return 1;
        }
        if (d->first_child && (recurse || strcasecmp(d->directive, "<VirtualHost")) &&
            has_directive(d->first_child, recurse || !strcasecmp(d->directive, "<IfModule")
                                          || !strcasecmp(d->directive, "<IfDefine"))) {
            return 1;
        }
    }
    return 0;
}

static int mod_ssl_has_anchors(server_rec *s)
{
    const ap_directive_t *d;

    /* Top level (with <IfModule>/<IfDefine>, not other vhosts). */
    for (d = ap_conftree; d; d = d->next) {
        if (!strcasecmp(d->directive, "SSLProxyCACertificateFile")
            || !strcasecmp(d->directive, "SSLProxyCACertificatePath")) {
            return 1;
        }
        if (d->first_child && (!strcasecmp(d->directive, "<IfModule")
                               || !strcasecmp(d->directive, "<IfDefine"))
            && has_directive(d->first_child, 0)) {
            return 1;
        }
    }
    if (!s->is_virtual) {
        return 0;
    }
    /* The vhost's own block, found by where it was defined. */
    for (d = ap_conftree; d; d = d->next) {
        if (!strcasecmp(d->directive, "<VirtualHost") && (unsigned)d->line_num == s->defn_line_number
            && s->defn_name && d->filename && !strcmp(d->filename, s->defn_name)) {
            return has_directive(d->first_child, 1);
        }
        if (d->first_child && strcasecmp(d->directive, "<VirtualHost")) {
            const ap_directive_t *k;
            for (k = d->first_child; k; k = k->next) {
                if (!strcasecmp(k->directive, "<VirtualHost") && (unsigned)k->line_num == s->defn_line_number
                    && s->defn_name && k->filename && !strcmp(k->filename, s->defn_name)) {
                    return has_directive(k->first_child, 1);
                }
            }
        }
    }
    return 0;
}

static int check_worker(apr_pool_t *p, server_rec *s, proxy_worker *w)
{
    const pr_dir_conf *c = pr_conf_for_worker(p, s, NULL, w);
    int policy = PR_EFF(c, policy, PR_DEFAULT_POLICY);
    const char *scheme = w->s->scheme;

    if (policy == PR_POLICY_OFF) {
        return OK;
    }
    if (PR_EFF(c, verify, PR_DEFAULT_VERIFY) == PR_VERIFY_PIN
        && (!c->pins || c->pins->nelts == 0)) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_ERR, 0, NULL, PRE(0010)
                     "backend %s of vhost %s: ProxyReencryptVerify pin needs at "
                     "least one ProxyReencryptPin",
                     ap_proxy_worker_name(p, w), pr_vhost_name(p, s));
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (policy == PR_POLICY_ENFORCE && PR_EFF(c, verify, PR_DEFAULT_VERIFY) == PR_VERIFY_OFF) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_ERR, 0, NULL, PRE(0011)
                     "backend %s of vhost %s: ProxyReencryptVerify off is not "
                     "allowed under ProxyReencryptPolicy enforce (use pin for "
                     "self-signed backends, or ProxyReencryptPolicy off to exempt it)",
                     ap_proxy_worker_name(p, w), pr_vhost_name(p, s));
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (pr_scheme_is_tls(scheme, strlen(scheme))) {
        if (policy == PR_POLICY_ENFORCE
            && PR_EFF(c, verify, PR_DEFAULT_VERIFY) == PR_VERIFY_CHAIN
            && !c->ca_file && !c->ca_path && !mod_ssl_has_anchors(s)) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_ERR, 0, NULL, PRE(0014)
                         "backend %s of vhost %s has no trust anchor: set "
                         "ProxyReencryptCACertificateFile (or mod_ssl's "
                         "SSLProxyCACertificateFile), or pin it with "
                         "ProxyReencryptVerify pin",
                         ap_proxy_worker_name(p, w), pr_vhost_name(p, s));
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        return OK;
    }
    if (!PR_EFF(c, require_tls, PR_DEFAULT_REQUIRE_TLS)) {
        return OK;
    }
    if (policy == PR_POLICY_ENFORCE) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_ERR, 0, NULL, PRE(0012)
                     "backend %s of vhost %s is plaintext (%s://): "
                     "ProxyReencryptPolicy enforce requires TLS; use https://, or "
                     "exempt it with ProxyReencryptPolicy off in its <Proxy> section",
                     ap_proxy_worker_name(p, w), pr_vhost_name(p, s), scheme);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, PRE(0013)
                 "would refuse backend %s of vhost %s: reason=plaintext",
                 ap_proxy_worker_name(p, w), pr_vhost_name(p, s));
    return OK;
}

static int pr_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                           server_rec *main_s)
{
    server_rec *s;
    int rv = OK;

    (void)pconf;
    (void)plog;
    for (s = main_s; s; s = s->next) {
        proxy_server_conf *sconf = ap_get_module_config(s->module_config, &proxy_module);
        proxy_worker *workers;
        proxy_balancer *balancers;
        int i, j;

        if (!sconf) {
            continue;
        }
        workers = (proxy_worker *)sconf->workers->elts;
        for (i = 0; i < sconf->workers->nelts; ++i) {
            if (check_worker(ptemp, s, &workers[i]) != OK) {
                rv = HTTP_INTERNAL_SERVER_ERROR;
            }
        }
        balancers = (proxy_balancer *)sconf->balancers->elts;
        for (i = 0; i < sconf->balancers->nelts; ++i) {
            proxy_worker **members = (proxy_worker **)balancers[i].workers->elts;
            for (j = 0; j < balancers[i].workers->nelts; ++j) {
                if (check_worker(ptemp, s, members[j]) != OK) {
                    rv = HTTP_INTERNAL_SERVER_ERROR;
                }
            }
        }
    }
    return rv;
}

static int pr_pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp)
{
    (void)plog;
    (void)ptemp;
    pr_config_generation(pconf);
    return OK;
}

void pr_proxy_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_pre_config(pr_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    proxy_hook_scheme_handler(pr_scheme_handler, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_check_config(pr_check_config, NULL, NULL, APR_HOOK_MIDDLE);
}

/*
 * pr_handoff.c: which request and which policy a backend connection is
 * for.
 *
 * The backend conn_rec that mod_ssl hands to ssl_hook_pre_handshake
 * carries no pointer to the request or the worker. mod_proxy_http
 * creates, checks and connects it on the thread that runs the scheme
 * handler, right after ours (REALLY_FIRST), so pr_proxy.c hands the
 * context over in a thread-specific slot, cleared with the request pool
 * (only if it still points at this request: the event MPM may destroy
 * the pool on another thread). The slot is a pthread key, not __thread:
 * a dlopen()ed module's __thread variable goes through __tls_get_addr's
 * slow path on every access here (about 100 instructions, five times per
 * pooled request).
 *
 * Health checks (mod_proxy_hcheck) open connections from watchdog
 * threads with no request. The configuration mod_proxy binds to such a
 * connection (ssl_bind_outgoing: the vhost's defaults merged with the
 * balancer's <Proxy> section) names the balancer being checked; the
 * member is the one of that balancer at the address connected to. Two
 * balancers sharing a member host:port are told apart that way, never
 * by a guess. mod_proxy records a balancer's section (for health checks
 * and members without a section of their own) only for <Proxy
 * balancer://x key=value>; for a section that sets a directive of this
 * module it is recorded at start-up here, so that health checks obey the
 * policy of the balancer they check.
 */
#include "pr_glue.h"

#include "apr_strings.h"
#include "http_ssl.h"

#include <pthread.h>

#define BOUND_KEY "proxy_reencrypt:bound"

static pthread_key_t current_key;   /* pr_request_ctx *, per thread */
static int have_key;

const char *pr_vhost_name(apr_pool_t *p, server_rec *s)
{
    unsigned port = s->port;

    if (!port && s->addrs) {
        port = s->addrs->host_port;
    }
    return apr_psprintf(p, "%s:%u", s->server_hostname ? s->server_hostname : "*", port);
}

const pr_request_ctx *pr_current_request(void)
{
    return have_key ? pthread_getspecific(current_key) : NULL;
}

static apr_status_t clear_current(void *data)
{
    if (have_key && pthread_getspecific(current_key) == data) {
        pthread_setspecific(current_key, NULL);
    }
    return APR_SUCCESS;
}

void pr_handoff_set(request_rec *r, pr_request_ctx *ctx)
{
    if (have_key) {
        pthread_setspecific(current_key, ctx);
        apr_pool_cleanup_register(r->pool, ctx, clear_current, apr_pool_cleanup_null);
    }
}

static apr_status_t delete_key(void *data)
{
    (void)data;
    if (have_key) {
        pthread_key_delete(current_key);
        have_key = 0;
    }
    return APR_SUCCESS;
}

/* One key per configuration generation (the module may be unloaded and
 * loaded again at a restart), made before any thread runs. */
static int make_key(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp)
{
    int rv;

    (void)plog;
    (void)ptemp;
    if (have_key) {
        return OK;
    }
    if ((rv = pthread_key_create(&current_key, NULL)) != 0) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, rv, NULL, PRE(0031)
                     "cannot create the thread-specific key of the request hand-off");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    have_key = 1;
    apr_pool_cleanup_register(pconf, NULL, delete_key, apr_pool_cleanup_null);
    return OK;
}

/* mod_proxy binds every backend connection to a configuration: the
 * request's, or for a health check the vhost's merged with the
 * balancer's section. Keep ours for pr_requestless_ctx(), which reads it
 * before the handshake only: a pooled connection, bound again at every
 * reuse and release, has its context (pr_conn) by then. */
static int bind_outgoing(conn_rec *c, ap_conf_vector_t *dir_conf, int enable)
{
    void *pc = ap_get_module_config(c->conn_config, &proxy_reencrypt_module);

    if (pc) {
        pr_guard_rearm(pc, enable);     /* the reuse check, for the next request */
    }
    else if (enable && dir_conf) {
        apr_pool_userdata_setn(pr_conf_of(dir_conf), BOUND_KEY, NULL, c->pool);
    }
    return DECLINED;
}

static int member_at(proxy_worker *w, conn_rec *c, const char *hostname)
{
    apr_sockaddr_t *sa;

    if (!c->client_addr || w->s->port != c->client_addr->port) {
        return 0;
    }
    if (hostname) {
        return !strcasecmp(w->s->hostname_ex, hostname);
    }
    if (!strcmp(w->s->hostname_ex, c->client_ip)) {
        return 1;
    }
    if (apr_sockaddr_info_get(&sa, w->s->hostname_ex, APR_UNSPEC, w->s->port, 0,
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

/* Is b the balancer whose configuration was bound? The bound section is
 * the balancer's own when it has one of ours; a balancer without one
 * was bound to the vhost's defaults alone. */
static int balancer_bound(proxy_balancer *b, const pr_dir_conf *bound)
{
    const char *own = b->section_config ? pr_conf_of(b->section_config)->section : NULL;

    if (bound && bound->section) {
        return own && !strcasecmp(own, bound->section);
    }
    return own == NULL;
}

pr_request_ctx *pr_requestless_ctx(conn_rec *c, const char *hostname)
{
    server_rec *s = c->base_server;
    proxy_server_conf *sconf = ap_get_module_config(s->module_config, &proxy_module);
    const pr_dir_conf *bound = NULL;
    proxy_worker *found = NULL;
    pr_request_ctx *ctx;
    void *data = NULL;
    int i, j;

    if (!sconf) {
        return NULL;
    }
    apr_pool_userdata_get(&data, BOUND_KEY, c->pool);
    bound = data;
    for (i = 0; i < sconf->balancers->nelts && !found; ++i) {
        proxy_balancer *b = &((proxy_balancer *)sconf->balancers->elts)[i];

        if (!balancer_bound(b, bound)) {
            continue;
        }
        for (j = 0; j < b->workers->nelts && !found; ++j) {
            proxy_worker *w = ((proxy_worker **)b->workers->elts)[j];
            if (member_at(w, c, hostname)) {
                found = w;
            }
        }
    }
    if (!found) {
        return NULL;
    }
    ctx = apr_pcalloc(c->pool, sizeof(*ctx));
    ctx->worker = found;
    ctx->pol = pr_policy_for_worker(s, found);
    ctx->balancer_member = 1;
    ctx->backend = ap_proxy_worker_name(c->pool, found);
    ctx->requested = hostname;
    return ctx;
}

static int bind_balancer_sections(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                                  server_rec *main_s)
{
    server_rec *s;

    (void)plog;
    (void)ptemp;
    for (s = main_s; s; s = s->next) {
        proxy_server_conf *sconf = ap_get_module_config(s->module_config, &proxy_module);
        ap_conf_vector_t **sec;
        int i;

        if (!sconf || !sconf->sec_proxy) {
            continue;
        }
        sec = (ap_conf_vector_t **)sconf->sec_proxy->elts;
        for (i = 0; i < sconf->sec_proxy->nelts; ++i) {
            proxy_dir_conf *pd = ap_get_module_config(sec[i], &proxy_module);
            proxy_balancer *b;

            if (!pd || !pd->p || pd->r || pd->p_is_fnmatch
                || strncasecmp(pd->p, "balancer://", 11)
                || !pr_conf_sets_any(ap_get_module_config(sec[i], &proxy_reencrypt_module))) {
                continue;
            }
            b = ap_proxy_get_balancer(pconf, sconf, pd->p, 0);
            if (b && !b->section_config) {
                b->section_config = sec[i];
            }
        }
    }
    return OK;
}

void pr_handoff_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_pre_config(make_key, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_post_config(bind_balancer_sections, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_ssl_bind_outgoing(bind_outgoing, NULL, NULL, APR_HOOK_REALLY_FIRST);
}

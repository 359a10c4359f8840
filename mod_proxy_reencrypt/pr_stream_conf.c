/*
 * pr_stream_conf.c: the stream side's server config, its directives, the
 * start-up checks, the routes in the dump, and the client SSL_CTX of a
 * tls-mode vhost.
 *
 * ProxyReencryptStream and ProxyReencryptRoute belong to the vhost they
 * are written in and are not inherited (a main-server stream mode would
 * turn every vhost into a stream listener); ProxyReencryptStreamTimeout
 * is inherited field by field.
 */
#include "pr_glue.h"
#include "pr_stream.h"

#include "apr_strings.h"
#include "ap_listen.h"
#include "http_core.h"

#include <openssl/err.h>

#include "pr_tls.h"

void *pr_stream_create_server_conf(apr_pool_t *p, server_rec *s)
{
    pr_stream_conf *c = apr_pcalloc(p, sizeof(*c));

    (void)s;
    c->mode = PR_UNSET;
    c->connect_timeout = PR_UNSET;
    c->idle_timeout = PR_UNSET;
    return c;
}

void *pr_stream_merge_server_conf(apr_pool_t *p, void *basev, void *addv)
{
    pr_stream_conf *base = basev, *add = addv, *c = apr_pcalloc(p, sizeof(*c));

    *c = *add;
    if (add->connect_timeout == PR_UNSET) {
        c->connect_timeout = base->connect_timeout;
        c->idle_timeout = base->idle_timeout;
        c->timeout_origin = base->timeout_origin;
    }
    return c;
}

const pr_stream_conf *pr_stream_conf_of(server_rec *s)
{
    return ap_get_module_config(s->module_config, &proxy_reencrypt_module);
}

static const char *origin(cmd_parms *cmd)
{
    return cmd->directive
        ? apr_psprintf(cmd->pool, "%s:%d", cmd->directive->filename, cmd->directive->line_num)
        : "(command line)";
}

const char *pr_stream_set_mode(cmd_parms *cmd, void *mc, const char *arg)
{
    pr_stream_conf *c = ap_get_module_config(cmd->server->module_config,
                                             &proxy_reencrypt_module);
    const char *err = ap_check_cmd_context(cmd, NOT_IN_DIR_LOC_FILE);
    int v;

    (void)mc;
    if (err) {
        return err;
    }
    if (!strcasecmp(arg, "off")) v = PR_STREAM_OFF;
    else if (!strcasecmp(arg, "passthrough")) v = PR_STREAM_PASSTHROUGH;
    else if (!strcasecmp(arg, "tls")) v = PR_STREAM_TLS;
    else return apr_psprintf(cmd->pool, "%s: '%s' is not one of off, passthrough, tls",
                             cmd->cmd->name, arg);
    if (c->mode_origin && c->mode != v) {
        return apr_psprintf(cmd->pool, "%s: '%s' conflicts with the value set at %s in the "
                            "same scope (a single-valued directive; remove one)",
                            cmd->cmd->name, arg, c->mode_origin);
    }
    c->mode = v;
    c->mode_origin = origin(cmd);
    return NULL;
}

const char *pr_stream_set_route(cmd_parms *cmd, void *mc, int argc, char *const argv[])
{
    pr_stream_conf *c = ap_get_module_config(cmd->server->module_config,
                                             &proxy_reencrypt_module);
    const char *err = ap_check_cmd_context(cmd, NOT_IN_DIR_LOC_FILE);
    pr_route *rt;
    int i;

    (void)mc;
    if (err) {
        return err;
    }
    if (argc < 2) {
        return apr_psprintf(cmd->pool, "%s: needs a match (name, *.domain or default) "
                            "and at least one backend host:port", cmd->cmd->name);
    }
    if (!c->routes) {
        c->routes = apr_array_make(cmd->pool, 4, sizeof(pr_route));
    }
    rt = apr_array_push(c->routes);
    rt->match = apr_pstrdup(cmd->pool, argv[0]);
    ap_str_tolower((char *)rt->match);
    if (strcmp(rt->match, "default")
        && pr_classify_name(rt->match, strlen(rt->match), 1) != PR_NAME_DNS) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a DNS name, *.domain or default",
                            cmd->cmd->name, argv[0]);
    }
    if (rt->match[0] == '*' && (rt->match[1] != '.' || strchr(rt->match + 2, '*'))) {
        return apr_psprintf(cmd->pool, "%s: '%s': a wildcard is a leading '*.' only",
                            cmd->cmd->name, argv[0]);
    }
    for (i = 0; i + 1 < c->routes->nelts; ++i) {
        if (!strcmp(((pr_route *)c->routes->elts)[i].match, rt->match)) {
            return apr_psprintf(cmd->pool, "%s: a route for '%s' exists already",
                                cmd->cmd->name, rt->match);
        }
    }
    rt->origin = origin(cmd);
    rt->backends = apr_array_make(cmd->pool, argc - 1, sizeof(pr_stream_backend));
    for (i = 1; i < argc; ++i) {
        pr_stream_backend *b = apr_array_push(rt->backends);
        char *host = NULL, *scope = NULL;
        apr_port_t port = 0;

        if (apr_parse_addr_port(&host, &scope, &port, argv[i], cmd->pool) != APR_SUCCESS
            || !host || !port || scope) {
            return apr_psprintf(cmd->pool, "%s: backend '%s' is not host:port",
                                cmd->cmd->name, argv[i]);
        }
        b->host = host;
        b->port = port;
        b->name = apr_pstrdup(cmd->pool, argv[i]);
    }
    return NULL;
}

const char *pr_stream_set_timeout(cmd_parms *cmd, void *mc, const char *conn, const char *idle)
{
    pr_stream_conf *c = ap_get_module_config(cmd->server->module_config,
                                             &proxy_reencrypt_module);
    const char *err = ap_check_cmd_context(cmd, NOT_IN_DIR_LOC_FILE);
    long a, b = PR_STREAM_DEFAULT_IDLE;

    (void)mc;
    if (err) {
        return err;
    }
    if (pr_parse_uint(conn, strlen(conn), 1, 86400, &a)
        || (idle && pr_parse_uint(idle, strlen(idle), 1, 86400 * 7, &b))) {
        return apr_psprintf(cmd->pool, "%s: wants seconds: connect (1-86400) [idle (1-604800)]",
                            cmd->cmd->name);
    }
    c->connect_timeout = a;
    c->idle_timeout = b;
    c->timeout_origin = origin(cmd);
    return NULL;
}

const pr_resolved *pr_stream_policy(server_rec *s, const pr_stream_backend *b, apr_pool_t *p,
                                    const char **url)
{
    char buf[300];

    apr_snprintf(buf, sizeof(buf), strchr(b->host, ':') ? "tls://[%s]:%u" : "tls://%s:%u",
                 b->host, (unsigned)b->port);
    if (url) {
        *url = apr_pstrdup(p, buf);
    }
    return pr_policy_for(s, NULL, NULL, buf);
}

/* ------------------------------------------------------------------ */
/* Start-up.                                                            */

static apr_status_t ctx_cleanup(void *data)
{
    SSL_CTX_free(data);
    return APR_SUCCESS;
}

/* The client SSL_CTX of a tls-mode vhost: the module's verification
 * (pr_cert_verify) and session cache, as on mod_ssl's proxy contexts. */
static SSL_CTX *make_ctx(apr_pool_t *pconf)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

    if (!ctx) {
        return NULL;
    }
    SSL_CTX_set_cert_verify_callback(ctx, pr_cert_verify, NULL);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, pr_session_new_cb);
    /* A backend that closes without close_notify ends its direction, as
     * a TCP FIN would: the relay passes it on, it does not judge it. */
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    apr_pool_cleanup_register(pconf, ctx, ctx_cleanup, apr_pool_cleanup_null);
    return ctx;
}

/* Linux's TCP_DEFER_ACCEPT (AcceptFilter http|https data, the default)
 * keeps a connection that sends nothing in the kernel for a long while:
 * a stream vhost must see it to close it after its connect timeout. */
static void no_defer_accept(server_rec *s)
{
    server_addr_rec *sa;
    ap_listen_rec *lr;

    for (sa = s->addrs; sa; sa = sa->next) {
        for (lr = ap_listeners; lr; lr = lr->next) {
            apr_sockaddr_t *b = lr->bind_addr;
            if (!lr->sd || (sa->host_port && b->port != sa->host_port)) {
                continue;
            }
            if (!apr_sockaddr_is_wildcard(sa->host_addr)
                && !apr_sockaddr_equal(sa->host_addr, b)) {
                continue;
            }
            apr_socket_opt_set(lr->sd, APR_TCP_DEFER_ACCEPT, 0);
        }
    }
}

/* check_config (also under -t): the routes, the SSL_CTX, the start-up
 * findings of every tls-mode backend. */
int pr_stream_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                           server_rec *main_s)
{
    server_rec *s;
    int failed = 0;

    (void)plog;
    (void)ptemp;
    for (s = main_s; s; s = s->next) {
        pr_stream_conf *c = ap_get_module_config(s->module_config, &proxy_reencrypt_module);
        const char *vh = pr_vhost_name(ptemp, s);
        int i, j;

        if (c->mode == PR_UNSET || c->mode == PR_STREAM_OFF) {
            if (c->routes) {
                ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, PRE(0060)
                             "vhost %s: ProxyReencryptRoute without ProxyReencryptStream "
                             "passthrough|tls is ignored", vh);
            }
            continue;
        }
        if (!c->routes || !c->routes->nelts) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, PRE(0061)
                         "vhost %s: ProxyReencryptStream (%s) needs at least one "
                         "ProxyReencryptRoute", vh, c->mode_origin);
            failed = 1;
            continue;
        }
        c->matches = apr_palloc(pconf, sizeof(char *) * (apr_size_t)c->routes->nelts);
        for (i = 0; i < c->routes->nelts; ++i) {
            c->matches[i] = ((pr_route *)c->routes->elts)[i].match;
        }
        if (c->mode != PR_STREAM_TLS) {
            continue;
        }
        if (!c->ctx && !(c->ctx = make_ctx(pconf))) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, PRE(0062)
                         "vhost %s: cannot create a TLS client context", vh);
            failed = 1;
            continue;
        }
        /* Every backend of the route, as a static ProxyPass backend is. */
        for (i = 0; i < c->routes->nelts; ++i) {
            pr_route *rt = &((pr_route *)c->routes->elts)[i];
            for (j = 0; j < rt->backends->nelts; ++j) {
                pr_stream_backend *b = &((pr_stream_backend *)rt->backends->elts)[j];
                const char *url;
                const pr_resolved *pol = pr_stream_policy(s, b, ptemp, &url);
                pr_finding f = pr_startup_finding(pol, 1, pol->store != NULL, 0);

                if (f.code) {
                    ap_log_error(APLOG_MARK, f.error ? APLOG_EMERG : APLOG_WARNING, 0, s,
                                 "PRE%04d: stream backend %s (route %s, vhost %s) %s",
                                 f.code, url, rt->match, vh, f.what);
                    failed |= f.error;
                }
            }
        }
    }
    return failed ? HTTP_INTERNAL_SERVER_ERROR : OK;
}

int pr_stream_any;

/* post_config: the listeners are open by now. */
int pr_stream_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                          server_rec *main_s)
{
    server_rec *s;

    (void)pconf;
    (void)plog;
    (void)ptemp;
    pr_stream_any = 0;
    for (s = main_s; s; s = s->next) {
        const pr_stream_conf *c = pr_stream_conf_of(s);
        if (c->mode == PR_STREAM_PASSTHROUGH || c->mode == PR_STREAM_TLS) {
            no_defer_accept(s);
            pr_stream_any = 1;
        }
    }
    pr_stream_stats_init(pconf, main_s);
    return OK;
}

void pr_stream_dump(apr_file_t *out, apr_pool_t *p, server_rec *main_s)
{
    static const char *const modes[] = { "off", "passthrough", "tls" };
    server_rec *s;
    int any = 0;

    for (s = main_s; s; s = s->next) {
        const pr_stream_conf *c = pr_stream_conf_of(s);
        int i, j;

        if (c->mode == PR_UNSET || c->mode == PR_STREAM_OFF || !c->routes) {
            continue;
        }
        if (!any++) {
            apr_file_printf(out, "ProxyReencrypt streams (routes per vhost):\n");
        }
        apr_file_printf(out, "%s (%s:%u)\n    stream %s (set at %s); timeouts connect %lds "
                        "idle %lds%s%s%s\n", pr_vhost_name(p, s),
                        s->defn_name ? s->defn_name : "?", s->defn_line_number,
                        modes[c->mode], c->mode_origin,
                        c->connect_timeout == PR_UNSET ? PR_STREAM_DEFAULT_CONNECT : c->connect_timeout,
                        c->idle_timeout == PR_UNSET ? PR_STREAM_DEFAULT_IDLE : c->idle_timeout,
                        c->timeout_origin ? " (set at " : " (default)",
                        c->timeout_origin ? c->timeout_origin : "",
                        c->timeout_origin ? ")" : "");
        for (i = 0; i < c->routes->nelts; ++i) {
            const pr_route *rt = &((const pr_route *)c->routes->elts)[i];
            apr_file_printf(out, "    route %-24s ->", rt->match);
            for (j = 0; j < rt->backends->nelts; ++j) {
                const pr_stream_backend *b = &((const pr_stream_backend *)rt->backends->elts)[j];
                const pr_resolved *pol = pr_stream_policy(s, b, p, NULL);
                apr_file_printf(out, " %s%s", b->name, pol->proxy_protocol == 2 ? " (PROXY v2)"
                                : pol->proxy_protocol == 1 ? " (PROXY v1)" : "");
            }
            apr_file_printf(out, " (set at %s)\n", rt->origin);
        }
    }
}

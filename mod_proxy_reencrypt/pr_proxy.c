/*
 * pr_proxy.c: the mod_proxy side.
 *
 * - A scheme_handler hook, registered REALLY_FIRST and always DECLINED
 *   for TLS backends, sees every attempt of every proxied request with
 *   its request and chosen worker (balancer members included; another
 *   module's pre_request hook never runs for balancer requests, because
 *   mod_proxy_balancer answers that RUN_FIRST hook). It works out the
 *   effective policy for that backend and refuses plaintext backends.
 * - The context is handed to the TLS side through pr_handoff.c.
 * - check_config: static plaintext backends under enforce stop start-up,
 *   in `apachectl -t` too (post_config does not run there).
 */
#include "pr_glue.h"

#include "apr_atomic.h"
#include "apr_fnmatch.h"
#include "apr_strings.h"
#include "apr_uri.h"
#include "http_request.h"
#include "http_protocol.h"

#include "pr_loglimit.h"
#include "pr_startup.h"

static apr_uint32_t request_seq;

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

static void record_plaintext(request_rec *r, const char *backend, const pr_outcome *o)
{
    pr_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.backend = backend;
    ev.vhost = pr_vhost_name(r->pool, r->server);
    ev.policy = o->kind == PR_VERDICT_REFUSED ? PR_POLICY_ENFORCE : PR_POLICY_AUDIT;
    ev.verdict = o->kind;
    ev.reason = PR_REASON_PLAINTEXT;
    pr_event_emit(r->server, &ev);
}

/* The name mod_proxy will ask the backend for (SNI and name check): the
 * client's Host under ProxyPreserveHost, else the URL's host. */
static const char *requested_name(request_rec *r, int generic,
                                  proxy_worker *w, const char *url, int *from_client)
{
    proxy_dir_conf *dconf = ap_get_module_config(r->per_dir_config, &proxy_module);
    apr_uri_t uri;

    *from_client = 0;
    if (dconf && dconf->preserve_host) {
        *from_client = r->hostname != NULL;
        return r->hostname;
    }
    if (!generic && w->s->hostname_ex[0]) {
        return w->s->hostname_ex;       /* the URL's host is the worker's */
    }
    if (apr_uri_parse(r->pool, url, &uri) == APR_SUCCESS) {
        return uri.hostname;
    }
    return NULL;
}

/* The URL mod_proxy matches the <Proxy> sections with (proxy_walk, in
 * map_to_storage): r->filename as it is there -- ProxyPass's target as
 * written. The scheme's canon handler then lower-cases the host and
 * drops a default port, and mod_proxy_balancer puts the member's URL in
 * its place, so the scheme handler no longer sees it. */
#define WALKED_NOTE "proxy_reencrypt:walked"

/* The vhost's policy when none of its <Proxy> sections matters to the
 * module (pr_resolve_server): nothing to match, nothing to note. */
static const pr_resolved *alone_of(server_rec *s)
{
    const pr_dir_conf *vc = s->lookup_defaults
                          ? ap_get_module_config(s->lookup_defaults, &proxy_reencrypt_module) : NULL;

    return vc ? vc->alone : NULL;
}

static int note_walked(request_rec *r)
{
    if (r->proxyreq && r->filename && !strncmp(r->filename, "proxy:", 6) && !alone_of(r->server)) {
        apr_table_setn(r->notes, WALKED_NOTE, r->filename + 6);
    }
    return DECLINED;
}

/* Does the walked URL name the balancer b ("balancer://name", lower-case)? */
static int walked_balancer(const char *walked, const proxy_balancer *b)
{
    size_t n = strlen(b->s->name);

    return walked && !strncasecmp(walked, b->s->name, n)
        && (!walked[n] || walked[n] == '/' || walked[n] == '?');
}

/* The URL the sections are matched with for a backend that is no
 * balancer member: the walked one when it names the backend of url
 * (the same scheme, host and port: its "scheme://host:port/" names url),
 * else url. */
static const char *walked_url(const char *walked, const char *url)
{
    const char *sep, *slash;

    if (!walked || !(sep = strstr(walked, "://"))
        || !(slash = ap_strchr_c(sep + 3, '/'))) {
        return url;
    }
    return pr_section_names(walked, (size_t)(slash - walked + 1), url, strlen(url))
           ? walked : url;
}

static int pr_scheme_handler(request_rec *r, proxy_worker *worker,
                             proxy_server_conf *sconf, char *url,
                             const char *proxyhost, apr_port_t proxyport)
{
    const char *colon, *backend, *vhost, *note;
    pr_request_ctx *ctx;
    pr_verdict v = { PR_REASON_PLAINTEXT, 0, 0 };
    pr_outcome o;
    int generic = is_generic_worker(sconf, worker);

    (void)proxyhost;
    (void)proxyport;
    /* Every attempt gets a context, policy off included: a pooled
     * connection opened for one scope must never serve another. */
    ctx = apr_pcalloc(r->pool, sizeof(*ctx));
    ctx->r = r;
    ctx->worker = worker;
    if ((ctx->pol = alone_of(r->server)) == NULL) {
        const char *walked = apr_table_get(r->notes, WALKED_NOTE);
        const char *balancer_url = NULL, *own_url = url;

        if (worker->balancer) {
            balancer_url = walked_balancer(walked, worker->balancer) ? walked
                         : (r->filename && !strncmp(r->filename, "proxy:balancer:", 15))
                         ? r->filename + 6 : worker->balancer->s->name;
        }
        else {
            own_url = walked_url(walked, url);
        }
        ctx->pol = pr_policy_for(r->server, worker, balancer_url, own_url);
    }
    ctx->seq = apr_atomic_inc32(&request_seq) + 1;
    ctx->balancer_member = worker->balancer != NULL;
    ctx->backend = generic ? backend_of_url(r->pool, url) : ap_proxy_worker_name(r->pool, worker);
    ctx->requested = requested_name(r, generic, worker, url, &ctx->from_client);
    pr_handoff_set(r, ctx);
    if (ctx->pol->policy == PR_POLICY_OFF) {
        return DECLINED;
    }
    pr_forwarded_apply(r, pr_conf_of(r->per_dir_config), ctx->pol, url);

    colon = ap_strchr_c(url, ':');
    if (!colon || pr_scheme_is_tls(url, (size_t)(colon - url)) || !ctx->pol->require_tls) {
        if (colon && ctx->pol->proxy_protocol) {
            /* The PROXY header names one client per backend connection. */
            apr_table_setn(r->subprocess_env, "proxy-nokeepalive", "1");
        }
        return DECLINED;
    }
    /* Static backends were judged at start-up: under enforce they cannot
     * exist, under audit they were logged once there. */
    if (ctx->pol->policy == PR_POLICY_AUDIT && !generic) {
        return DECLINED;
    }
    backend = backend_of_url(r->pool, url);
    o = pr_outcome_of(ctx->pol->policy, &v, 0, 0, 0);
    record_plaintext(r, backend, &o);
    vhost = pr_vhost_name(r->pool, r->server);
    if (pr_loglimit(r->pool, vhost, backend, "plaintext", o.word, PR_LOG_INTERVAL, &note)) {
        ap_log_rerror(APLOG_MARK, o.log_level, 0, r, PRE(1001)
                      "%s backend %s (vhost %s): reason=plaintext; "
                      "ProxyReencryptRequireTLS needs https://, wss:// or h2://%s",
                      o.word, backend, vhost, note);
    }
    if (!o.refuse) {
        return DECLINED;
    }
    apr_table_setn(r->notes, "REENCRYPT_BACKEND", backend);
    apr_table_setn(r->notes, "REENCRYPT_VERDICT", "refused");
    apr_table_setn(r->notes, "REENCRYPT_REASON", "plaintext");
    return o.status;
}

/* ------------------------------------------------------------------ */
/* Start-up: every static backend against its effective policy.         */

/* Does the configuration give mod_ssl proxy trust anchors (or CRLs) for
 * backend w of vhost s? mod_ssl's own configuration is private to it and
 * loaded only after check_config, so this reads the configuration tree:
 * one of the two directives `names` at the top level or in s's
 * <VirtualHost> block, directly or in a <Proxy>/<ProxyMatch> section
 * that applies to w (mod_ssl applies a section's only to the backends it
 * matches). */
static int is_one_of(const ap_directive_t *d, const char *const *names)
{
    return !strcasecmp(d->directive, names[0]) || !strcasecmp(d->directive, names[1]);
}

/* mod_proxy's match of section d (proxysection, proxy_walk) against the
 * balancer's URL or the backend's (the ProxyPass URL as written, via, for
 * the requests through it), as pr_resolve.c ranks them. */
static int section_applies(apr_pool_t *p, const ap_directive_t *d, proxy_worker *w,
                           const char *via)
{
    const char *names[2], *args = d->args ? d->args : "", *end = ap_strrchr_c(args, '>');
    char *path;
    ap_regex_t *re = NULL;
    int i, fnmatch;

    args = end ? apr_pstrndup(p, args, (apr_size_t)(end - args)) : args;
    path = ap_getword_conf(p, &args);
    path += strncasecmp(path, "proxy:", 6) ? 0 : 6;
    if (!strcasecmp(d->directive, "<ProxyMatch")
        && (re = ap_pregcomp(p, path, AP_REG_EXTENDED)) == NULL) {
        return 0;
    }
    names[0] = w->balancer ? w->balancer->s->name : NULL;
    names[1] = via ? via : w->s->name;
    fnmatch = !re && apr_fnmatch_test(path);    /* as mod_proxy's <Proxy> does */
    for (i = 0; i < 2; ++i) {
        if (pr_section_path_matches(re, path, fnmatch, names[i])) {
            return 1;
        }
    }
    return 0;
}

/* Is d a section whose content applies to w: a conditional one, or a
 * <Proxy>/<ProxyMatch> that matches w (never <VirtualHost>, and mod_ssl's
 * proxy directives are allowed nowhere else)? */
static int looked_into(apr_pool_t *p, const ap_directive_t *d, proxy_worker *w,
                       const char *via)
{
    static const char *const cond[] = { "<IfModule", "<IfDefine", "<IfVersion", "<IfFile",
                                         "<IfDirective", "<IfSection" };
    size_t i;

    for (i = 0; i < sizeof(cond) / sizeof(cond[0]); ++i) {
        if (!strcasecmp(d->directive, cond[i])) {
            return 1;
        }
    }
    return (!strcasecmp(d->directive, "<Proxy") || !strcasecmp(d->directive, "<ProxyMatch"))
        && section_applies(p, d, w, via);
}

static int has_directive(apr_pool_t *p, const ap_directive_t *d, proxy_worker *w,
                         const char *via, const char *const *names)
{
    for (; d; d = d->next) {
        if (is_one_of(d, names)
            || (d->first_child && looked_into(p, d, w, via)
                && has_directive(p, d->first_child, w, via, names))) {
            return 1;
        }
    }
    return 0;
}

static int is_vhost_block(const ap_directive_t *d, server_rec *s)
{
    return !strcasecmp(d->directive, "<VirtualHost") && (unsigned)d->line_num == s->defn_line_number
        && s->defn_name && d->filename && !strcmp(d->filename, s->defn_name);
}

static int mod_ssl_has(apr_pool_t *p, server_rec *s, proxy_worker *w, const char *via,
                       const char *const *names)
{
    const ap_directive_t *d;

    /* Top level (the main server's, not other vhosts'). */
    if (has_directive(p, ap_conftree, w, via, names)) {
        return 1;
    }
    if (!s->is_virtual) {
        return 0;
    }
    /* The vhost's own block, found by where it was defined. */
    for (d = ap_conftree; d; d = d->next) {
        if (is_vhost_block(d, s)) {
            return has_directive(p, d->first_child, w, via, names);
        }
        if (d->first_child && strcasecmp(d->directive, "<VirtualHost")) {
            const ap_directive_t *k;
            for (k = d->first_child; k; k = k->next) {
                if (is_vhost_block(k, s)) {
                    return has_directive(p, k->first_child, w, via, names);
                }
            }
        }
    }
    return 0;
}

static const char *const modssl_anchors[] = { "SSLProxyCACertificateFile",
                                              "SSLProxyCACertificatePath" };
static const char *const modssl_crls[] = { "SSLProxyCARevocationFile",
                                           "SSLProxyCARevocationPath" };

/* The ProxyPass URLs of s with other sections than their worker's name,
 * per worker: one pass over the ProxyPass entries (mod_proxy's own worker
 * lookup for each, as ProxyPass itself does), once per server and pool.
 * Nothing to do for a vhost without sections of ours. */
typedef struct pr_route {
    const char *via;
    const pr_resolved *pol;
    struct pr_route *next;
} pr_route;

static void add_route(apr_pool_t *p, apr_hash_t *h, server_rec *s, proxy_worker *w,
                      const char *via, const pr_resolved *pol)
{
    pr_route *r;

    if (pol == pr_policy_for_worker(s, w)) {
        return;
    }
    r = apr_palloc(p, sizeof(*r));
    r->via = via;
    r->pol = pol;
    r->next = apr_hash_get(h, &w, sizeof(w));
    apr_hash_set(h, apr_pmemdup(p, &w, sizeof(w)), sizeof(w), r);
}

static apr_hash_t *routes_of(apr_pool_t *p, server_rec *s)
{
    proxy_server_conf *sconf = ap_get_module_config(s->module_config, &proxy_module);
    const pr_dir_conf *vc = pr_conf_of(s->lookup_defaults);
    const char *key = apr_psprintf(p, "proxy_reencrypt:routes:%pp", (void *)s);
    void *data = NULL;
    apr_hash_t *h;
    int i, j;

    apr_pool_userdata_get(&data, key, p);
    if (data) {
        return data;
    }
    h = apr_hash_make(p);
    apr_pool_userdata_set(h, key, NULL, p);
    for (i = 0; !vc->alone && sconf && sconf->aliases && i < sconf->aliases->nelts; ++i) {
        const struct proxy_alias *ent = &APR_ARRAY_IDX(sconf->aliases, i, struct proxy_alias);
        proxy_worker *w;

        /* ProxyPassMatch targets are dynamic: judged per request */
        if (ent->regex || !ent->real || ent->real[0] == '!') {
            continue;
        }
        if (ent->balancer) {
            for (j = 0; j < ent->balancer->workers->nelts; ++j) {
                w = APR_ARRAY_IDX(ent->balancer->workers, j, proxy_worker *);
                add_route(p, h, s, w, ent->real, pr_policy_for(s, w, ent->real, w->s->name));
            }
        }
        else if ((w = ap_proxy_get_worker(p, NULL, sconf, ent->real)) && !w->balancer) {
            add_route(p, h, s, w, ent->real, pr_policy_for(s, w, NULL, ent->real));
        }
    }
    return h;
}

void pr_each_route(apr_pool_t *p, server_rec *s, proxy_worker *w, pr_route_fn *fn, void *baton)
{
    const pr_route *r = apr_hash_get(routes_of(p, s), &w, sizeof(w));

    for (; r; r = r->next) {
        fn(baton, r->via, r->pol);
    }
}

typedef struct {
    apr_pool_t *p;
    server_rec *s;
    proxy_worker *w;
    int rv;
} route_check;

static int check_policy(apr_pool_t *p, server_rec *s, proxy_worker *w,
                        const pr_resolved *pol, const char *via);

static void check_route(void *baton, const char *via, const pr_resolved *pol)
{
    route_check *rc = baton;

    if (check_policy(rc->p, rc->s, rc->w, pol, via) != OK) {
        rc->rv = HTTP_INTERNAL_SERVER_ERROR;
    }
}

/* The worker with its own policy, and with each ProxyPass URL reaching it
 * whose sections differ (a <ProxyMatch> written with the URL's case). */
static int check_worker(apr_pool_t *p, server_rec *s, proxy_worker *w)
{
    route_check rc = { p, s, w, OK };

    rc.rv = check_policy(p, s, w, pr_policy_for_worker(s, w), NULL);
    pr_each_route(p, s, w, check_route, &rc);
    return rc.rv;
}

static int check_policy(apr_pool_t *p, server_rec *s, proxy_worker *w,
                        const pr_resolved *pol, const char *via)
{
    const char *scheme = w->s->scheme, *about;
    pr_finding f;

    const char *host = w->s->hostname_ex;
    pr_finding note = pr_address_finding(pol, pr_scheme_is_tls(scheme, strlen(scheme)),
                                         w->s->disablereuse, w->s->address_ttl_set,
                                         host, strnlen(host, sizeof(w->s->hostname_ex)));

    /* Notes too: to the error log, once per backend (pr_startup.c). */
    pr_startup_note(s, w, pol, &note);
    f = pr_startup_finding(pol, pr_scheme_is_tls(scheme, strlen(scheme)),
                           pol->ca_file || pol->ca_path || mod_ssl_has(p, s, w, via, modssl_anchors),
                           mod_ssl_has(p, s, w, via, modssl_crls));
    /* Warnings go to the error log once it is open (pr_startup.c). */
    pr_startup_note(s, w, pol, &f);
    if (!f.code || !f.error) {
        return OK;
    }
    /* The directive the finding is about, with its file:line, and the
     * policy that makes it an error or a warning. */
    about = f.about == PR_F_POLICY ? "" : apr_psprintf(p, "%s, set at %s; ",
        pr_field_directive(f.about), f.at ? f.at : "its default");
    ap_log_error(APLOG_MARK, APLOG_STARTUP | (f.error ? APLOG_ERR : APLOG_WARNING), 0,
                 f.error ? NULL : s, "PRE%04d: backend %s%s%s%s%s of vhost %s %s "
                 "(%sProxyReencryptPolicy %s, set at %s)", f.code,
                 ap_proxy_worker_name(p, w), w->balancer ? " of " : "",
                 w->balancer ? w->balancer->s->name : "", via ? " via ProxyPass " : "",
                 via ? via : "", pr_vhost_name(p, s), f.what,
                 about, pol->policy == PR_POLICY_ENFORCE ? "enforce" : "audit",
                 pol->origin[PR_F_POLICY] ? pol->origin[PR_F_POLICY] : "the default");
    return f.error ? HTTP_INTERNAL_SERVER_ERROR : OK;
}

static int pr_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                           server_rec *main_s)
{
    server_rec *s;
    int rv = OK;

    (void)plog;
    pr_startup_begin(pconf);
    pr_modssl_scan(pconf, ptemp, main_s);   /* before any policy is resolved */
    for (s = main_s; s; s = s->next) {
        proxy_server_conf *sconf = ap_get_module_config(s->module_config, &proxy_module);
        proxy_worker *workers;
        proxy_balancer *balancers;
        int i, j;

        pr_resolve_server(s, main_s);
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
    pr_startup_checked(ptemp);
    return rv;
}

/* mod_proxy's request_status hook runs last in proxy_handler, with the
 * final status. mod_proxy_http2 answers 503 for any backend connection
 * that failed, a refusal included (mod_proxy_http answers 502 through
 * the note pr_tls_guard.c sets); a 503 first makes mod_proxy fail over
 * to another balancer member. What is left is the SPEC's 502 when the
 * last attempt's backend was refused under enforce, and nothing else:
 * under audit the status stays stock's. */
static int pr_request_status(int *status, request_rec *r)
{
    const pr_request_ctx *rc;

    if (*status != HTTP_SERVICE_UNAVAILABLE) {
        return OK;                  /* every request: nothing else to look at */
    }
    rc = pr_current_request();
    if (rc && rc->r == r
        && rc->pol->policy == PR_POLICY_ENFORCE && pr_refused_attempt(r, rc->seq)) {
        *status = HTTP_BAD_GATEWAY;
    }
    return OK;
}

static int pr_pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp)
{
    (void)plog;
    (void)ptemp;
    pr_resolve_generation(pconf);
    return OK;
}

static void pr_proxy_child_init(apr_pool_t *p, server_rec *s)
{
    (void)s;
    pr_resolve_child_init(p);
}

void pr_proxy_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_child_init(pr_proxy_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_map_to_storage(note_walked, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_pre_config(pr_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    proxy_hook_scheme_handler(pr_scheme_handler, NULL, NULL, APR_HOOK_REALLY_FIRST);
    APR_OPTIONAL_HOOK(proxy, request_status, pr_request_status, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_config(pr_check_config, NULL, NULL, APR_HOOK_MIDDLE);
}

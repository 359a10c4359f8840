/*
 * pr_resolve.c: the resolved policy of a backend, by the SPEC's
 * precedence ("Which section decides"), interned.
 *
 * mod_proxy merges the <Proxy> sections matching the request URL into
 * r->per_dir_config in configuration order, so a <Proxy *> written after
 * <Proxy balancer://pool> would override it, and a balancer member's own
 * sections are not merged at all. The module therefore never reads the
 * merged vector for the TLS policy: it finds the sections of the vhost
 * that apply to the backend (matching the balancer URL or the backend's
 * own URL), ranks them with pr_sections_order() (pure), and applies each
 * field from the most specific scope that sets it onto the SPEC's
 * defaults (pr_resolved_defaults()).
 *
 * The result depends only on (vhost, the set of matching sections): it
 * is computed once per distinct set and kept for the configuration
 * generation (sets seen while the configuration is read, in pconf,
 * read-only afterwards) or for the child (sets first seen by a request,
 * under a mutex, in a child pool). Its size is bounded by the
 * configuration, never by traffic; requests allocate nothing for it.
 */
#include "pr_glue.h"

#include "apr_fnmatch.h"
#include "apr_strings.h"
#include "apr_thread_mutex.h"

#define MAX_SECTIONS 64             /* matching one backend; more are an error */

static apr_hash_t *gen_cache;       /* per generation, filled before the MPM runs */
static apr_pool_t *gen_pool;
static apr_hash_t *child_cache;     /* per child, filled by requests */
static apr_pool_t *child_pool;
#if APR_HAS_THREADS
static apr_thread_mutex_t *child_mutex;
#endif

static apr_status_t gen_forget(void *data)
{
    (void)data;
    gen_cache = NULL;
    gen_pool = NULL;
    child_cache = NULL;
    return APR_SUCCESS;
}

void pr_resolve_generation(apr_pool_t *pconf)
{
    gen_pool = pconf;
    gen_cache = apr_hash_make(pconf);
    apr_pool_cleanup_register(pconf, NULL, gen_forget, apr_pool_cleanup_null);
}

void pr_resolve_child_init(apr_pool_t *pchild)
{
    apr_pool_create(&child_pool, pchild);
    child_cache = apr_hash_make(child_pool);
#if APR_HAS_THREADS
    apr_thread_mutex_create(&child_mutex, APR_THREAD_MUTEX_DEFAULT, pchild);
#endif
}

/* Apply the fields a scope sets (those with an origin). */
static void apply(apr_pool_t *p, pr_resolved *r, const pr_dir_conf *c)
{
    const char *const *o = c->origin;

#define TAKE(F, stmt) if (o[F]) { stmt; r->origin[F] = o[F]; }
    TAKE(PR_F_POLICY, r->policy = (pr_policy)c->policy);
    TAKE(PR_F_REQUIRE_TLS, r->require_tls = c->require_tls);
    TAKE(PR_F_VERIFY, r->verify = (pr_verify)c->verify);
    TAKE(PR_F_CA, r->ca_file = c->ca_file; r->ca_path = c->ca_path; r->store = c->store);
    TAKE(PR_F_DEPTH, r->depth = (int)c->depth);
    TAKE(PR_F_EXPECT, r->expect = (const char *const *)c->expect->elts;
                      r->n_expect = (size_t)c->expect->nelts);
    TAKE(PR_F_SNI, r->sni = (pr_sni)c->sni; r->sni_name = c->sni_name);
    TAKE(PR_F_EXPIRY, r->warn_days = c->warn_days; r->refuse_days = c->refuse_days);
    TAKE(PR_F_PINS, r->pins = (const unsigned char *)c->pins->elts;
                    r->n_pins = (size_t)c->pins->nelts);
    TAKE(PR_F_CRL_FILE, r->crl_file = c->crl_file; r->crls = c->crls);
    TAKE(PR_F_CRL_CHECK, r->crl_check = (pr_crl)c->crl_check);
    TAKE(PR_F_FORWARDED, r->fwd_mode = (pr_fwd_mode)c->fwd_mode);
    TAKE(PR_F_TRUSTED, r->trusted = c->trusted; r->trusted_text = c->trusted_text);
    TAKE(PR_F_CLIENT_CERT, r->client = c->client;
                           r->client_cert_file = apr_pstrdup(p, c->client->cert_file));
    TAKE(PR_F_MIN_PROTO, r->min_proto = c->min_proto);
    TAKE(PR_F_SESSION_CACHE, r->session_cache = c->session_cache);
    TAKE(PR_F_PROXY_PROTOCOL, r->proxy_protocol = c->proxy_protocol);
    TAKE(PR_F_OCSP, r->ocsp = (pr_ocsp_mode)c->ocsp);
    TAKE(PR_F_HS_TIMEOUT, r->hs_timeout = c->hs_timeout);
    TAKE(PR_F_RELOAD, r->reload = c->reload);
#undef TAKE
}

/* Does the section with path (re: its compiled <ProxyMatch>; fnmatch: a
 * wildcard path) apply to name (a worker's or balancer's name, or the URL
 * mod_proxy's proxy_walk matched: pr_proxy.c)? Patterns as mod_proxy
 * matches them (case-sensitive regex and fnmatch); URL prefixes as
 * mod_proxy names backends: the scheme and host lower-cased and a default
 * port dropped (pr_section_names()). Start-up's reading of the
 * configuration tree (pr_proxy.c) matches the same way. */
int pr_section_path_matches(const ap_regex_t *re, const char *path, int fnmatch,
                            const char *name)
{
    if (!name) {
        return 0;
    }
    if (re) {
        return ap_regexec(re, name, 0, NULL, 0) == 0;
    }
    if (fnmatch) {
        return apr_fnmatch(path, name, 0) == APR_SUCCESS;
    }
    return pr_section_names(path, strlen(path), name, strlen(name));
}

static int section_matches(const proxy_dir_conf *pd, const char *name)
{
    return pr_section_path_matches(pd->r, pd->p, pd->p_is_fnmatch, name);
}

/* Does a section take part in a backend's resolved policy? When it sets
 * a directive of ours, or mod_ssl's proxy configuration (SSLProxy*),
 * which the policy's identity holds (pr_modssl_scope.c): two scopes that
 * differ only in mod_ssl's settings must not share pooled connections. */
static int section_counts(ap_conf_vector_t *sec, const pr_dir_conf *mine)
{
    return (mine && pr_conf_sets_any(mine)) || pr_modssl_section(sec) != NULL;
}

/* The sections of s that apply, most specific last, as indices into
 * sconf->sec_proxy. Returns their number (-1: too many). */
static int applicable(server_rec *s, const char *balancer_url, const char *url,
                      unsigned short *out)
{
    proxy_server_conf *sconf = ap_get_module_config(s->module_config, &proxy_module);
    pr_section_rank ranks[MAX_SECTIONS];
    size_t idx[MAX_SECTIONS], secno[MAX_SECTIONS];
    ap_conf_vector_t **sec;
    int i, n = 0;

    if (!sconf || !sconf->sec_proxy || !sconf->sec_proxy->nelts) {
        return 0;
    }
    memset(ranks, 0, sizeof(ranks));
    sec = (ap_conf_vector_t **)sconf->sec_proxy->elts;
    for (i = 0; i < sconf->sec_proxy->nelts; ++i) {
        proxy_dir_conf *pd = ap_get_module_config(sec[i], &proxy_module);
        const pr_dir_conf *mine = ap_get_module_config(sec[i], &proxy_reencrypt_module);
        int is_pattern, rank;

        if (!pd || !pd->p || !section_counts(sec[i], mine)) {
            continue;
        }
        is_pattern = pd->r != NULL || pd->p_is_fnmatch;
        rank = pr_section_rank_of(is_pattern, section_matches(pd, balancer_url),
                                  section_matches(pd, url));
        if (rank == PR_RANK_NONE) {
            continue;
        }
        if (n == MAX_SECTIONS) {
            return -1;
        }
        ranks[n].rank = rank;
        ranks[n].prefix_len = is_pattern ? 0 : strlen(pd->p);
        ranks[n].order = (size_t)i;
        secno[n] = (size_t)i;
        idx[n] = (size_t)n;
        ++n;
    }
    pr_sections_order(idx, ranks, (size_t)n);
    for (i = 0; i < n; ++i) {
        out[i] = (unsigned short)secno[idx[i]];
    }
    return n;
}

/* mod_ssl's configuration of the scope: the server's, then that of each
 * applicable section that has one, in configuration order (the order
 * mod_proxy merges them in, whatever their precedence for ours). */
static void modssl_identity(server_rec *s, proxy_server_conf *sconf,
                            const unsigned short *order, int n, unsigned char out[PR_FP_LEN])
{
    unsigned short secno[MAX_SECTIONS];
    int i, j;

    pr_modssl_server(s, out);
    for (i = 0; i < n; ++i) {       /* insertion sort: a handful */
        unsigned short k = order[i];
        for (j = i; j > 0 && secno[j - 1] > k; --j) {
            secno[j] = secno[j - 1];
        }
        secno[j] = k;
    }
    for (i = 0; i < n; ++i) {
        const unsigned char *id =
            pr_modssl_section(((ap_conf_vector_t **)sconf->sec_proxy->elts)[secno[i]]);
        if (id) {
            pr_modssl_fold(out, "<Proxy", 6, id, PR_FP_LEN);
        }
    }
}

static const pr_resolved *build(apr_pool_t *p, server_rec *s, const unsigned short *order,
                                int n)
{
    proxy_server_conf *sconf = ap_get_module_config(s->module_config, &proxy_module);
    pr_resolved *r = apr_palloc(p, sizeof(*r));
    int i;

    pr_resolved_defaults(r);
    apply(p, r, pr_conf_of(s->lookup_defaults));
    for (i = 0; i < n; ++i) {
        ap_conf_vector_t *v = ((ap_conf_vector_t **)sconf->sec_proxy->elts)[order[i]];
        apply(p, r, pr_conf_of(v));    /* an SSLProxy*-only section: none of ours */
    }
    modssl_identity(s, sconf, order, n, r->modssl);
    pr_resolved_finish(r);
    return r;
}

const pr_resolved *pr_policy_for(server_rec *s, proxy_worker *w,
                                 const char *balancer_url, const char *url)
{
    struct { server_rec *s; unsigned short n; unsigned short order[MAX_SECTIONS]; } key;
    const pr_dir_conf *vc = s->lookup_defaults
                          ? ap_get_module_config(s->lookup_defaults, &proxy_reencrypt_module) : NULL;
    const pr_resolved *r;
    apr_size_t klen;
    int n;

    (void)w;
    if (vc && vc->alone) {
        return vc->alone;           /* no section of ours: the vhost's own */
    }
    /* No memset: the key is s, n and order[0..n-1] (no padding before
     * order[]), and only those klen bytes are hashed and compared. */
    n = applicable(s, balancer_url, url, key.order);
    if (n < 0) {
        /* Cannot happen with a sane configuration; stay correct anyway,
         * at the price of an allocation in the generation pool. */
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, PRE(0030)
                     "more than %d <Proxy> sections apply to %s; only the vhost "
                     "defaults are used", MAX_SECTIONS, url);
        n = 0;
    }
    key.s = s;
    key.n = (unsigned short)n;
    klen = (apr_size_t)((const char *)&key.order[n] - (const char *)&key);

    if (gen_cache && (r = apr_hash_get(gen_cache, &key, klen)) != NULL) {
        return r;
    }
    if (ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_RUN_MPM || !child_cache) {
        /* Reading the configuration: single-threaded, generation-long. */
        apr_pool_t *p = gen_pool ? gen_pool : s->process->pconf;
        r = build(p, s, key.order, n);
        if (gen_cache) {
            apr_hash_set(gen_cache, apr_pmemdup(p, &key, klen), klen, r);
        }
        return r;
    }
#if APR_HAS_THREADS
    apr_thread_mutex_lock(child_mutex);
#endif
    if ((r = apr_hash_get(child_cache, &key, klen)) == NULL) {
        r = build(child_pool, s, key.order, n);
        apr_hash_set(child_cache, apr_pmemdup(child_pool, &key, klen), klen, r);
    }
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(child_mutex);
#endif
    return r;
}

void pr_resolve_server(server_rec *s, server_rec *main_s)
{
    proxy_server_conf *sconf = ap_get_module_config(s->module_config, &proxy_module);
    pr_dir_conf *vc = s->lookup_defaults
                    ? ap_get_module_config(s->lookup_defaults, &proxy_reencrypt_module) : NULL;
    ap_conf_vector_t **sec;
    int i;

    if (!vc) {
        return;
    }
    if (s != main_s && main_s->lookup_defaults
        && vc == ap_get_module_config(main_s->lookup_defaults, &proxy_reencrypt_module)) {
        /* A vhost that sets none of our directives shares the main
         * server's structure (httpd merges nothing for it): the shortcut
         * below is the vhost's own, so it gets its own copy. */
        vc = apr_pmemdup(s->process->pconf, vc, sizeof(*vc));
        ap_set_module_config(s->lookup_defaults, &proxy_reencrypt_module, vc);
    }
    vc->alone = NULL;
    if (sconf && sconf->sec_proxy) {
        sec = (ap_conf_vector_t **)sconf->sec_proxy->elts;
        for (i = 0; i < sconf->sec_proxy->nelts; ++i) {
            const pr_dir_conf *mine = ap_get_module_config(sec[i], &proxy_reencrypt_module);
            if (section_counts(sec[i], mine)) {
                return;
            }
        }
    }
    vc->alone = pr_policy_for(s, NULL, NULL, NULL);
}

const pr_resolved *pr_policy_for_worker(server_rec *s, proxy_worker *w)
{
    return pr_policy_for(s, w, w->balancer ? w->balancer->s->name : NULL, w->s->name);
}

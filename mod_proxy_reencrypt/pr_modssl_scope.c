/*
 * pr_modssl_scope.c: mod_ssl's own proxy configuration of each scope, by
 * content (see pr_modssl_fold() in pr_policy.h).
 *
 * mod_ssl opens a TLS backend connection with the SSLProxy* settings of
 * the request's scope: the main server's, merged into each vhost's, and
 * (since 2.4.30) those of the <Proxy>/<ProxyMatch> sections mod_proxy
 * merges into the request, each such section with an SSL_CTX of its own.
 * A pooled connection verified under one scope's trust anchors must
 * never serve a scope whose anchors (or CRLs, verify mode, machine
 * certificate, protocols) differ, so the connection key must hold them.
 * mod_ssl's records are private to it; the module therefore reads what
 * was written: the SSLProxy* directives (name and arguments, in order)
 * in the configuration tree, at check_config, once per generation:
 *
 *  - per server: the main server's top-level ones, then (tagged) the
 *    vhost block's own, if any. Vhosts written alike get equal
 *    identities, and a vhost without any gets the main server's;
 *  - per <Proxy> section with any: the section's own.
 *
 * pr_resolve.c folds the server's identity and those of the applicable
 * sections, in configuration order, into pr_resolved.modssl (hence the
 * fingerprint and every connection and session key) when it interns a
 * resolved policy, and counts a section with SSLProxy* directives as
 * applicable even if it sets none of ours. Requests only look a section
 * up (no allocation), and only when some section has SSLProxy*
 * directives at all.
 *
 * The tree is matched to mod_proxy's section list (sconf->sec_proxy: the
 * main server's sections, then the vhost's, in configuration order, as
 * merge_proxy_config appends them) by count, kind and path. Should they
 * ever disagree (a configuration layout this reader does not know), each
 * section of that server gets an identity of its own (its address),
 * which never lets two sections share a connection: sound, only with
 * fewer shared connections. A vhost whose block is not found likewise
 * gets an identity of its own.
 */
#include "pr_glue.h"

#include "apr_strings.h"
#include "http_core.h"

typedef struct {
    unsigned char id[PR_FP_LEN];
} modssl_id;

static apr_hash_t *servers;         /* server_rec * -> modssl_id */
static apr_hash_t *sections;        /* ap_conf_vector_t * -> modssl_id; NULL: no
                                       section has an SSLProxy* directive */

static apr_status_t forget(void *data)
{
    (void)data;
    servers = NULL;
    sections = NULL;
    return APR_SUCCESS;
}

static int named(const ap_directive_t *d, const char *name)
{
    return d->directive && !strcasecmp(d->directive, name);
}

static int is_section(const ap_directive_t *d)
{
    return named(d, "<Proxy") || named(d, "<ProxyMatch");
}

static void fold_directive(unsigned char id[PR_FP_LEN], const ap_directive_t *d)
{
    const char *args = d->args ? d->args : "";

    pr_modssl_fold(id, d->directive, strlen(d->directive), args, strlen(args));
}

/* Fold the SSLProxy* directives of one scope into id, in order: d and
 * its siblings, and what containers hold (<IfModule> and the like, if
 * the tree keeps them), but not other vhosts or <Proxy> sections, which
 * are collected (in order) instead when the arrays are given. */
static void walk(const ap_directive_t *d, unsigned char id[PR_FP_LEN], int *any,
                 apr_array_header_t *secs, apr_array_header_t *vhosts)
{
    for (; d; d = d->next) {
        if (!d->directive) {
            continue;
        }
        if (named(d, "<VirtualHost")) {
            if (vhosts) {
                APR_ARRAY_PUSH(vhosts, const ap_directive_t *) = d;
            }
        }
        else if (is_section(d)) {
            if (secs) {
                APR_ARRAY_PUSH(secs, const ap_directive_t *) = d;
            }
        }
        else if (pr_is_modssl_proxy_directive(d->directive, strlen(d->directive))) {
            fold_directive(id, d);
            *any = 1;
        }
        else if (d->first_child) {
            walk(d->first_child, id, any, secs, vhosts);
        }
    }
}

/* Is node d the section mod_proxy made pd from? The path as proxysection
 * reads it: the first word before the last '>', without "proxy:". */
static int same_section(apr_pool_t *p, const ap_directive_t *d, const proxy_dir_conf *pd)
{
    const char *args = d->args ? d->args : "", *end = strrchr(args, '>'), *rest;
    char *word;

    if (!end || !pd || !pd->p || (named(d, "<ProxyMatch") != (pd->r != NULL))) {
        return 0;
    }
    rest = apr_pstrndup(p, args, (apr_size_t)(end - args));
    word = ap_getword_conf(p, &rest);
    if (!strncasecmp(word, "proxy:", 6)) {
        word += 6;
    }
    return !strcmp(word, pd->p);
}

static void set_section(apr_pool_t *pconf, ap_conf_vector_t *v, const unsigned char id[PR_FP_LEN])
{
    if (!sections) {
        sections = apr_hash_make(pconf);
    }
    if (!apr_hash_get(sections, &v, sizeof(v))) {
        ap_conf_vector_t **key = apr_pmemdup(pconf, &v, sizeof(v));
        apr_hash_set(sections, key, sizeof(v), apr_pmemdup(pconf, id, PR_FP_LEN));
    }
}

/* The sections of s (nodes, in order; NULL: unknown) onto sec_proxy. */
static void bind_sections(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s,
                          const apr_array_header_t *nodes)
{
    proxy_server_conf *sconf = ap_get_module_config(s->module_config, &proxy_module);
    ap_conf_vector_t **sec;
    int i, n, matched;

    if (!sconf || !sconf->sec_proxy || !(n = sconf->sec_proxy->nelts)) {
        return;
    }
    sec = (ap_conf_vector_t **)sconf->sec_proxy->elts;
    matched = nodes && nodes->nelts == n;
    for (i = 0; matched && i < n; ++i) {
        matched = same_section(ptemp, APR_ARRAY_IDX(nodes, i, const ap_directive_t *),
                               ap_get_module_config(sec[i], &proxy_module));
    }
    for (i = 0; i < n; ++i) {
        unsigned char id[PR_FP_LEN];
        int any = 0;

        memset(id, 0, sizeof(id));
        if (!matched) {
            /* Unknown: an identity of its own (set first, it stays). */
            pr_modssl_fold(id, "<Proxy@", 7, &sec[i], sizeof(sec[i]));
            any = 1;
        }
        else {
            walk(APR_ARRAY_IDX(nodes, i, const ap_directive_t *)->first_child, id, &any,
                 NULL, NULL);
        }
        if (any) {
            set_section(pconf, sec[i], id);
        }
    }
    if (!matched) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, PRE(0108)
                     "the <Proxy> sections of %s do not match the configuration as "
                     "read (%d sections): each gets a pool of backend connections of "
                     "its own", pr_vhost_name(ptemp, s), n);
    }
}

/* <VirtualHost> blocks by where they were written ("line file"), the
 * way a server_rec names its definition. */
static const char *where(apr_pool_t *p, unsigned line, const char *file)
{
    return apr_psprintf(p, "%u %s", line, file);
}

static apr_hash_t *vhost_blocks(apr_pool_t *ptemp, const apr_array_header_t *vhosts)
{
    apr_hash_t *h = apr_hash_make(ptemp);
    int i;

    for (i = 0; i < vhosts->nelts; ++i) {
        const ap_directive_t *d = APR_ARRAY_IDX(vhosts, i, const ap_directive_t *);
        if (d->filename) {
            apr_hash_set(h, where(ptemp, (unsigned)d->line_num, d->filename),
                         APR_HASH_KEY_STRING, d);
        }
    }
    return h;
}

void pr_modssl_scan(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *main_s)
{
    apr_array_header_t *main_secs = apr_array_make(ptemp, 8, sizeof(const ap_directive_t *));
    apr_array_header_t *vhosts = apr_array_make(ptemp, 8, sizeof(const ap_directive_t *));
    unsigned char main_id[PR_FP_LEN];
    apr_hash_t *blocks;
    server_rec *s;
    int any = 0;

    if (!servers) {
        apr_pool_cleanup_register(pconf, NULL, forget, apr_pool_cleanup_null);
    }
    servers = apr_hash_make(pconf);
    sections = NULL;
    memset(main_id, 0, sizeof(main_id));
    walk(ap_conftree, main_id, &any, main_secs, vhosts);
    blocks = vhost_blocks(ptemp, vhosts);
    for (s = main_s; s; s = s->next) {
        modssl_id *m = apr_pmemdup(pconf, main_id, sizeof(*m));
        const apr_array_header_t *secs = main_secs;

        if (s->is_virtual) {
            const ap_directive_t *v = s->defn_name
                ? apr_hash_get(blocks, where(ptemp, s->defn_line_number, s->defn_name),
                               APR_HASH_KEY_STRING) : NULL;
            unsigned char own[PR_FP_LEN];
            int vany = 0;

            memset(own, 0, sizeof(own));
            if (v) {
                apr_array_header_t *all = apr_array_copy(ptemp, main_secs);
                walk(v->first_child, own, &vany, all, NULL);
                secs = all;
                if (vany) {
                    pr_modssl_fold(m->id, "<VirtualHost", 12, own, sizeof(own));
                }
            }
            else {
                pr_modssl_fold(m->id, "<VirtualHost@", 13, &s, sizeof(s));
                secs = NULL;
            }
        }
        apr_hash_set(servers, apr_pmemdup(pconf, &s, sizeof(s)), sizeof(s), m);
        bind_sections(pconf, ptemp, s, secs);
    }
}

const unsigned char *pr_modssl_section(ap_conf_vector_t *sec)
{
    const modssl_id *m;

    if (!sections || !(m = apr_hash_get(sections, &sec, sizeof(sec)))) {
        return NULL;
    }
    return m->id;
}

void pr_modssl_server(server_rec *s, unsigned char out[PR_FP_LEN])
{
    const modssl_id *m = servers ? apr_hash_get(servers, &s, sizeof(s)) : NULL;

    memset(out, 0, PR_FP_LEN);
    if (m) {
        memcpy(out, m->id, PR_FP_LEN);
    }
    else {
        /* Not read (yet): an identity of its own. */
        pr_modssl_fold(out, "<VirtualHost@", 13, &s, sizeof(s));
    }
}

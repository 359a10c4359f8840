/*
 * pr_config_merge.c: the per-scope configuration record (a server, a
 * vhost or a <Proxy> section): created with every field unset, merged
 * field by field, read back with the unset record as its fallback. The
 * directives that fill it are in pr_config.c.
 */
#include "pr_glue.h"

#include "apr_strings.h"

void *pr_create_dir_conf(apr_pool_t *p, char *dir)
{
    pr_dir_conf *c = apr_pcalloc(p, sizeof(*c));

    c->section = dir ? apr_pstrdup(p, dir) : NULL;
    c->policy = PR_UNSET;
    c->require_tls = PR_UNSET;
    c->verify = PR_UNSET;
    c->depth = PR_UNSET;
    c->sni = PR_UNSET;
    c->warn_days = PR_UNSET;
    c->refuse_days = PR_UNSET;
    c->crl_check = PR_UNSET;
    c->fwd_mode = PR_UNSET;
    c->min_proto = PR_UNSET;
    c->session_cache = PR_UNSET;
    c->proxy_protocol = PR_UNSET;
    c->ocsp = PR_UNSET;
    c->hs_timeout = PR_UNSET;
    c->reload = PR_UNSET;
    c->status_scope = PR_UNSET;
    return c;
}

#define MERGE_INT(f) m->f = (add->f != PR_UNSET) ? add->f : base->f
#define MERGE_PTR(f) m->f = add->f ? add->f : base->f

void *pr_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    const pr_dir_conf *base = basev, *add = addv, *from;
    pr_dir_conf *m = apr_palloc(p, sizeof(*m));
    int f;

    MERGE_INT(policy);
    MERGE_INT(require_tls);
    MERGE_INT(verify);
    /* Fields set together come from the scope that set them. */
    from = add->store ? add : base;
    m->ca_file = from->ca_file;
    m->ca_path = from->ca_path;
    m->store = from->store;
    MERGE_INT(depth);
    MERGE_PTR(expect);
    MERGE_INT(sni);
    m->sni_name = (add->sni != PR_UNSET) ? add->sni_name : base->sni_name;
    /* ProxyReencryptExpiry sets both numbers at once. */
    from = add->warn_days != PR_UNSET ? add : base;
    m->warn_days = from->warn_days;
    m->refuse_days = from->refuse_days;
    MERGE_PTR(pins);
    from = add->crl_file ? add : base;
    m->crl_file = from->crl_file;
    m->crls = from->crls;
    MERGE_INT(crl_check);
    MERGE_INT(fwd_mode);
    MERGE_PTR(client);
    MERGE_INT(min_proto);
    MERGE_INT(session_cache);
    MERGE_INT(proxy_protocol);
    MERGE_INT(ocsp);
    MERGE_INT(hs_timeout);
    MERGE_INT(reload);
    MERGE_PTR(section);
    for (f = 0; f < PR_F__COUNT; ++f) {
        m->origin[f] = add->origin[f] ? add->origin[f] : base->origin[f];
    }
    MERGE_INT(status_scope);
    MERGE_PTR(status_scope_at);
    m->alone = NULL;
    /* Names to strip add up: a <Proxy> section never un-strips a name. */
    if (add->strip && base->strip) {
        m->strip = apr_array_append(p, base->strip, add->strip);
    }
    else {
        MERGE_PTR(strip);
    }
    from = add->trusted ? add : base;
    m->trusted = from->trusted;
    m->trusted_text = from->trusted_text;
    return m;
}

int pr_conf_sets_any(const pr_dir_conf *c)
{
    int f;

    for (f = 0; c && f < PR_F__COUNT; ++f) {
        if (c->origin[f]) {
            return 1;
        }
    }
    return 0;
}

const pr_dir_conf *pr_conf_of(ap_conf_vector_t *v)
{
    static const pr_dir_conf unset = {
        .policy = PR_UNSET, .require_tls = PR_UNSET, .verify = PR_UNSET,
        .depth = PR_UNSET, .sni = PR_UNSET, .warn_days = PR_UNSET,
        .refuse_days = PR_UNSET, .crl_check = PR_UNSET, .fwd_mode = PR_UNSET,
        .min_proto = PR_UNSET, .session_cache = PR_UNSET, .proxy_protocol = PR_UNSET,
        .ocsp = PR_UNSET, .hs_timeout = PR_UNSET, .reload = PR_UNSET,
        .status_scope = PR_UNSET,
    };
    const pr_dir_conf *c = v ? ap_get_module_config(v, &proxy_reencrypt_module) : NULL;
    return c ? c : &unset;
}

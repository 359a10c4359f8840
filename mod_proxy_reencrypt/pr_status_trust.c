/*
 * pr_status_trust.c: the trust files on the status pages: every CA file
 * or directory and every CRL file the policies use (pr_reload.c keeps
 * their state in shared memory): whether ProxyReencryptReload re-reads
 * it, whether the last reload failed and why ("reload failed": the store
 * loaded before is still in force), when what is in force was loaded, and
 * for CRL files their soonest nextUpdate and issuers.
 *
 * HTML: a table after the backends. JSON: "trust_files". Prometheus:
 * proxy_reencrypt_trust_file_reload_failed{kind,file} (0/1) and
 * proxy_reencrypt_crl_file_next_update_timestamp_seconds{file}.
 *
 * Scope (ProxyReencryptStatusScope vhost, the default): a vhost's page
 * shows the files a resolved policy of the vhost uses, that is those its
 * own scope or one of its <Proxy> sections names (pr_trust_in_setting,
 * pure); another vhost's paths and reload failures stay on its page.
 */
#include "pr_glue.h"

#include "apr_strings.h"
#include "http_protocol.h"

#include "pr_metrics.h"
#include "pr_reload.h"
#include "pr_status.h"

/* The trust settings one scope writes down (pr_dir_conf). */
static pr_trust_setting setting_of(const pr_dir_conf *c)
{
    pr_trust_setting set = { NULL, NULL, NULL };

    if (c->origin[PR_F_CA]) {
        set.ca_file = c->ca_file;
        set.ca_path = c->ca_path;
    }
    if (c->origin[PR_F_CRL_FILE]) {
        set.crl_file = c->crl_file;
    }
    return set;
}

/* Does a policy of vhost s use f: does its own scope (merged over the
 * server's) or one of its <Proxy> sections (the server's included, as
 * mod_proxy merges them) name it? */
static int of_vhost(server_rec *s, const pr_trust_file *f)
{
    proxy_server_conf *sconf = ap_get_module_config(s->module_config, &proxy_module);
    int is_crl = !strcmp(f->kind, "crl"), i;
    size_t len = strlen(f->file);
    pr_trust_setting set = setting_of(pr_conf_of(s->lookup_defaults));

    if (pr_trust_in_setting(is_crl, f->file, len, &set)) {
        return 1;
    }
    for (i = 0; sconf && sconf->sec_proxy && i < sconf->sec_proxy->nelts; ++i) {
        set = setting_of(pr_conf_of(APR_ARRAY_IDX(sconf->sec_proxy, i, ap_conf_vector_t *)));
        if (pr_trust_in_setting(is_crl, f->file, len, &set)) {
            return 1;
        }
    }
    return 0;
}

/* The trust files r's page shows: every one (scope NULL), or those of
 * vhost scope. In r->pool; returns their number. */
static int files_of(request_rec *r, server_rec *scope, const pr_trust_file **out)
{
    pr_trust_file *f;
    int i, k = 0, n = pr_reload_files(r->pool, &f);

    for (i = 0; i < n; ++i) {
        if (!scope || of_vhost(scope, &f[i])) {
            f[k++] = f[i];
        }
    }
    *out = f;
    return k;
}

static const char *iso(apr_pool_t *p, apr_time_t t)
{
    apr_time_exp_t x;

    apr_time_exp_gmt(&x, t);
    return apr_psprintf(p, "\"%04d-%02d-%02dT%02d:%02d:%02dZ\"", x.tm_year + 1900,
                        x.tm_mon + 1, x.tm_mday, x.tm_hour, x.tm_min, x.tm_sec);
}

void pr_st_trust_json(request_rec *r, server_rec *scope)
{
    apr_pool_t *p = r->pool;
    const pr_trust_file *f;
    int i, n = files_of(r, scope, &f);

    ap_rputs("  \"trust_files\": [", r);
    for (i = 0; i < n; ++i) {
        ap_rprintf(r, "%s\n    {\"kind\": \"%s\", \"file\": %s, \"reload\": %ld, "
                   "\"state\": \"%s\", \"error\": %s, \"failed_at\": %s, \"loaded_at\": %s",
                   i ? "," : "", f[i].kind, pr_st_jstr(p, f[i].file), f[i].reload,
                   f[i].failed ? "reload failed" : "loaded",
                   f[i].failed ? pr_st_jstr(p, f[i].reason) : "null",
                   f[i].failed ? iso(p, f[i].failed_at) : "null", iso(p, f[i].loaded_at));
        if (!strcmp(f[i].kind, "crl")) {
            ap_rprintf(r, ", \"crls\": %d, \"next_update\": %s, \"next_update_unix\": %s, "
                       "\"issuer\": %s", f[i].n_crls,
                       f[i].next_update ? iso(p, apr_time_from_sec(f[i].next_update)) : "null",
                       f[i].next_update ? apr_psprintf(p, "%" APR_INT64_T_FMT, f[i].next_update)
                                        : "null",
                       pr_st_jstr(p, f[i].issuer));
        }
        ap_rputs("}", r);
    }
    ap_rputs(n ? "\n  ]\n" : "]\n", r);
}

void pr_st_trust_html(request_rec *r, server_rec *scope)
{
    apr_pool_t *p = r->pool;
    const pr_trust_file *f;
    int i, n = files_of(r, scope, &f);
    char date[APR_RFC822_DATE_LEN];

    if (!n) {
        return;
    }
    ap_rputs("<h2>Trust files</h2>\n<table class=\"pr\">\n<tr><th>Kind</th><th>File</th>"
             "<th>Reload</th><th>State</th><th>Loaded</th><th>CRL nextUpdate</th>"
             "<th>CRL issuer</th></tr>\n", r);
    for (i = 0; i < n; ++i) {
        const char *state = "loaded", *next = "-";

        if (f[i].failed) {
            apr_rfc822_date(date, f[i].failed_at);
            state = apr_pstrcat(p, "reload failed (", date, "): ", f[i].reason,
                                "; the earlier one stays in force", NULL);
        }
        if (f[i].next_update) {
            apr_rfc822_date(date, apr_time_from_sec(f[i].next_update));
            next = apr_pstrdup(p, date);
        }
        apr_rfc822_date(date, f[i].loaded_at);
        ap_rprintf(r, "<tr><td>%s</td><td>%s</td><td>%s</td><td%s>%s</td><td>%s</td>"
                   "<td>%s</td><td>%s</td></tr>\n", f[i].kind, pr_st_html(p, f[i].file),
                   f[i].reload ? apr_psprintf(p, "every %ld s", f[i].reload) : "off",
                   f[i].failed ? " class=\"bad\"" : "", pr_st_html(p, state), date,
                   pr_st_html(p, next), pr_st_html(p, f[i].issuer));
    }
    ap_rputs("</table>\n", r);
}

/* A label value, escaped. */
static const char *label(apr_pool_t *p, const char *v)
{
    size_t len = strlen(v) > 512 ? 512 : strlen(v);
    char *esc = apr_palloc(p, PR_PROM_ESCAPED_MAX(512));

    esc[pr_prom_escape(v, len, esc, PR_PROM_ESCAPED_MAX(512))] = '\0';
    return esc;
}

void pr_st_trust_prom(request_rec *r, server_rec *scope)
{
    apr_pool_t *p = r->pool;
    const pr_trust_file *f;
    int i, n = files_of(r, scope, &f);

    ap_rputs("# HELP proxy_reencrypt_trust_file_reload_failed 1 while the last reload of a "
             "CA or CRL file failed (ProxyReencryptReload; the earlier one stays in force), "
             "else 0.\n# TYPE proxy_reencrypt_trust_file_reload_failed gauge\n", r);
    for (i = 0; i < n; ++i) {
        ap_rprintf(r, "proxy_reencrypt_trust_file_reload_failed{kind=\"%s\",file=\"%s\"} %d\n",
                   f[i].kind, label(p, f[i].file), f[i].failed ? 1 : 0);
    }
    ap_rputs("# HELP proxy_reencrypt_crl_file_next_update_timestamp_seconds Soonest nextUpdate "
             "of the CRLs in a CRL file in force, Unix time; past it a CRL counts as "
             "missing.\n# TYPE proxy_reencrypt_crl_file_next_update_timestamp_seconds gauge\n", r);
    for (i = 0; i < n; ++i) {
        if (f[i].next_update) {
            ap_rprintf(r, "proxy_reencrypt_crl_file_next_update_timestamp_seconds{file=\"%s\"} "
                       "%" APR_INT64_T_FMT "\n", label(p, f[i].file), f[i].next_update);
        }
    }
}

/*
 * pr_dump.c: apachectl -t -D DUMP_REENCRYPT prints every backend with its
 * effective policy (value, and "(default)" for a field never set), the
 * way -D DUMP_VHOSTS prints the vhosts. Walks the same backends as the
 * status segment (pr_each_worker).
 */
#include "pr_glue.h"

#include "apr_strings.h"
#include "http_core.h"

#include "pr_metrics.h"
#include "pr_status.h"
#include "pr_version.h"
#include "pr_stream.h"

typedef struct {
    apr_file_t *out;
    server_rec *last_s;
} dump_ctx;

/* One line per field: "name  value  (default)" or "(set at file:line)". */
static void dump_fields(apr_file_t *out, const pr_resolved *pol)
{
    char value[512];
    int f;

    /* mod_ssl's proxy configuration of the scope, by content: backends
     * (and scopes) with the same short identity share connections. */
    for (f = 0; f < PR_FP_LEN && !pol->modssl[f]; ++f) {
    }
    if (f == PR_FP_LEN) {
        apr_file_printf(out, "        %-18s none (no SSLProxy* directive applies)\n",
                        "mod_ssl-proxy");
    }
    else {
        apr_file_printf(out, "        %-18s %02x%02x%02x%02x%02x%02x (SSLProxy* directives "
                        "that apply, by content)\n", "mod_ssl-proxy", pol->modssl[0],
                        pol->modssl[1], pol->modssl[2], pol->modssl[3], pol->modssl[4],
                        pol->modssl[5]);
    }
    for (f = 0; f < PR_F__COUNT; ++f) {
        pr_field_value(pol, (pr_field)f, value, sizeof(value));
        if (pol->origin[f]) {
            apr_file_printf(out, "        %-18s %s (set at %s)\n", pr_field_name((pr_field)f),
                            value, pol->origin[f]);
        }
        else {
            apr_file_printf(out, "        %-18s %s (default)\n", pr_field_name((pr_field)f),
                            value);
        }
    }
}

typedef struct {
    apr_file_t *out;
    const char *name;
} route_ctx;

/* Requests through a ProxyPass URL that other sections apply to (a
 * <ProxyMatch> matching the URL as written, not the worker's name). */
static void dump_route(void *baton, const char *via, const pr_resolved *pol)
{
    route_ctx *rc = baton;

    apr_file_printf(rc->out, "    %s via ProxyPass %s\n", rc->name, via);
    dump_fields(rc->out, pol);
}

static void dump_one(void *baton, apr_pool_t *p, server_rec *s,
                     proxy_balancer *b, proxy_worker *w)
{
    dump_ctx *d = baton;
    apr_file_t *out = d->out;
    const pr_resolved *pol = pr_policy_for_worker(s, w);
    route_ctx rc;

    if (d->last_s != s) {
        d->last_s = s;
        if (s->is_virtual) {
            apr_file_printf(out, "%s (%s:%u)\n", pr_vhost_name(p, s),
                            s->defn_name ? s->defn_name : "?", s->defn_line_number);
        }
        else {
            apr_file_printf(out, "%s (main server)\n", pr_vhost_name(p, s));
        }
    }
    if (b) {
        apr_file_printf(out, "    %s member of %s\n", ap_proxy_worker_name(p, w),
                        b->s->name);
    }
    else {
        apr_file_printf(out, "    %s\n", ap_proxy_worker_name(p, w));
    }
    if (pr_address_finding(pol, pr_scheme_is_tls(w->s->scheme, strlen(w->s->scheme)),
                           w->s->disablereuse, w->s->address_ttl_set, w->s->hostname_ex,
                           strnlen(w->s->hostname_ex, sizeof(w->s->hostname_ex))).code) {
        apr_file_printf(out, "        %-18s resolved for every connection (disablereuse=On, "
                        "no addressttl: PRE0017)\n", "backend-address");
    }
    else if (w->s->disablereuse && w->s->address_ttl_set) {
        apr_file_printf(out, "        %-18s kept %d s (addressttl)\n", "backend-address",
                        (int)w->s->address_ttl);
    }
    dump_fields(out, pol);
    rc.out = out;
    rc.name = ap_proxy_worker_name(p, w);
    pr_each_route(p, s, w, dump_route, &rc);
}

/* test_config runs for -t once the configuration is read, where core
 * prints -D DUMP_VHOSTS: the same place, the same stream. */
static void st_test_config(apr_pool_t *pconf, server_rec *s)
{
    dump_ctx d;

    if (!ap_exists_config_define("DUMP_REENCRYPT")) {
        return;
    }
    d.last_s = NULL;
    if (apr_file_open_stdout(&d.out, pconf) != APR_SUCCESS) {
        return;
    }
    apr_file_printf(d.out, "ProxyReencrypt backends (" PR_PRODUCT "; effective policy per "
                    "backend and vhost):\n");
    pr_each_worker(pconf, s, dump_one, &d);
    if (!d.last_s) {
        apr_file_printf(d.out, "    (no ProxyPass or BalancerMember backend)\n");
    }
    pr_stream_dump(d.out, pconf, s);
    apr_file_flush(d.out);
}

void pr_dump_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_test_config(st_test_config, NULL, NULL, APR_HOOK_MIDDLE);
}

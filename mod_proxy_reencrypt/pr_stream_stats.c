/*
 * pr_stream_stats.c: the counters of the stream vhosts, shared by every
 * child: an anonymous shared-memory segment made at post_config (a
 * restart starts them afresh), updated with apr_atomic only, shown in a
 * section of mod_status's /server-status (and its ?auto form) in the
 * scope of the module's own section (ProxyReencryptStatusScope: by
 * default the vhost serving the page only, so normally no stream vhost).
 *
 * Per stream vhost: connections, open now, bytes each way, and every
 * close for bad input by kind; per route: connections it took; per
 * backend: streams relayed, and times it was skipped (unreachable, or
 * refused in tls mode). The refusals by reason of tls-mode backends are
 * on the module's status page (events, as for HTTP backends).
 */
#include "pr_glue.h"
#include "pr_stream.h"

#include "apr_atomic.h"
#include "apr_shm.h"
#include "apr_strings.h"
#include "mod_status.h"

#include "pr_metrics.h"

static volatile apr_uint64_t *counters;     /* NULL: no segment */
static apr_size_t ncounters;

static const char *const vhost_names[PR_ST__VHOST] = {
    "connections", "open", "bytes_to_backends", "bytes_to_clients", "closed_no_hello",
    "closed_bad_hello", "closed_too_big", "closed_no_route", "closed_no_backend",
    "closed_idle",
};

static apr_status_t forget(void *data)
{
    (void)data;
    counters = NULL;
    ncounters = 0;
    return APR_SUCCESS;
}

/* Lay the counters out (offsets into the conf) and make the segment. */
void pr_stream_stats_init(apr_pool_t *pconf, server_rec *main_s)
{
    apr_size_t n = 0;
    apr_shm_t *shm;
    server_rec *s;

    for (s = main_s; s; s = s->next) {
        pr_stream_conf *c = ap_get_module_config(s->module_config, &proxy_reencrypt_module);
        int i;

        if (!c->matches) {
            continue;
        }
        c->stat_base = n;
        n += PR_ST__VHOST;
        for (i = 0; i < c->routes->nelts; ++i) {
            pr_route *rt = &((pr_route *)c->routes->elts)[i];
            rt->stat_base = n;
            n += 1 + 2 * (apr_size_t)rt->backends->nelts;
        }
    }
    if (!n || apr_shm_create(&shm, n * sizeof(apr_uint64_t), NULL, pconf) != APR_SUCCESS) {
        return;
    }
    counters = apr_shm_baseaddr_get(shm);
    memset((void *)counters, 0, n * sizeof(apr_uint64_t));
    ncounters = n;
    apr_pool_cleanup_register(pconf, NULL, forget, apr_pool_cleanup_null);
}

static void add(apr_size_t at, apr_uint64_t v)
{
    if (counters && at < ncounters) {
        apr_atomic_add64(&counters[at], v);
    }
}

void pr_stream_stat(const pr_stream_conf *sc, int which, apr_uint64_t v)
{
    add(sc->stat_base + (apr_size_t)which, v);
}

void pr_stream_stat_open(const pr_stream_conf *sc, int delta)
{
    if (counters && sc->stat_base + PR_ST_OPEN < ncounters) {
        if (delta > 0) {
            apr_atomic_inc64(&counters[sc->stat_base + PR_ST_OPEN]);
        }
        else {
            apr_atomic_dec64(&counters[sc->stat_base + PR_ST_OPEN]);
        }
    }
}

void pr_stream_stat_route(const pr_route *rt, int backend, int skipped)
{
    add(backend < 0 ? rt->stat_base : rt->stat_base + 1 + 2 * (apr_size_t)backend
        + (skipped ? 1 : 0), 1);
}

static apr_uint64_t get(apr_size_t at)
{
    return counters && at < ncounters ? apr_atomic_read64(&counters[at]) : 0;
}

/* A value of an ?auto line: one token (pr_auto_escape). */
static const char *astr(apr_pool_t *p, const char *s)
{
    size_t len = strlen(s);
    char *out = apr_palloc(p, PR_AUTO_ESCAPED_MAX(len));

    pr_auto_escape(s, len, out, PR_AUTO_ESCAPED_MAX(len));
    return out;
}

static int stream_status_hook(request_rec *r, int flags)
{
    int shortf = flags & AP_STATUS_SHORT, any = 0, nv = 0;
    const char *scope;
    server_rec *s;

    /* the scope of the backend rows of the module's section */
    if (!counters || !pr_status_section_scope(r, &scope)) {
        return OK;
    }
    for (s = ap_server_conf; s; s = s->next) {
        const pr_stream_conf *c = pr_stream_conf_of(s);
        const char *vh = pr_vhost_name(r->pool, s);
        int i, j, k;

        if (!c->matches || (scope && strcmp(scope, vh))) {
            continue;
        }
        if (!any++ && !shortf) {
            ap_rputs("<hr />\n<h2>Proxy re-encryption: streams (mod_proxy_reencrypt)</h2>\n", r);
        }
        if (shortf) {
            ap_rprintf(r, "ProxyReencryptStream%d: vhost=%s mode=%s", nv, astr(r->pool, vh),
                       c->mode == PR_STREAM_TLS ? "tls" : "passthrough");
            for (k = 0; k < PR_ST__VHOST; ++k) {
                ap_rprintf(r, " %s=%" APR_UINT64_T_FMT, vhost_names[k],
                           get(c->stat_base + (apr_size_t)k));
            }
            ap_rputs("\n", r);
        }
        else {
            ap_rprintf(r, "<h3>%s (%s)</h3>\n<table border=\"1\"><tr>",
                       ap_escape_html(r->pool, vh),
                       c->mode == PR_STREAM_TLS ? "tls" : "passthrough");
            for (k = 0; k < PR_ST__VHOST; ++k) {
                ap_rprintf(r, "<th>%s</th>", vhost_names[k]);
            }
            ap_rputs("</tr>\n<tr>", r);
            for (k = 0; k < PR_ST__VHOST; ++k) {
                ap_rprintf(r, "<td>%" APR_UINT64_T_FMT "</td>", get(c->stat_base + (apr_size_t)k));
            }
            ap_rputs("</tr></table>\n<table border=\"1\"><tr><th>route</th><th>connections</th>"
                     "<th>backend</th><th>relayed</th><th>skipped</th></tr>\n", r);
        }
        for (i = 0; i < c->routes->nelts; ++i) {
            const pr_route *rt = &((const pr_route *)c->routes->elts)[i];
            for (j = 0; j < rt->backends->nelts; ++j) {
                const pr_stream_backend *b = &((const pr_stream_backend *)rt->backends->elts)[j];
                apr_uint64_t relayed = get(rt->stat_base + 1 + 2 * (apr_size_t)j);
                apr_uint64_t skipped = get(rt->stat_base + 2 + 2 * (apr_size_t)j);

                if (shortf) {
                    ap_rprintf(r, "ProxyReencryptStream%dRoute%dBackend%d: backend=%s relayed=%"
                               APR_UINT64_T_FMT " skipped=%" APR_UINT64_T_FMT "\n", nv, i, j,
                               astr(r->pool, b->name), relayed, skipped);
                }
                else {
                    ap_rprintf(r, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%" APR_UINT64_T_FMT
                               "</td><td>%" APR_UINT64_T_FMT "</td></tr>\n",
                               j ? "" : ap_escape_html(r->pool, rt->match),
                               j ? "" : apr_psprintf(r->pool, "%" APR_UINT64_T_FMT,
                                                     get(rt->stat_base)),
                               ap_escape_html(r->pool, b->name), relayed, skipped);
                }
            }
            if (shortf) {
                ap_rprintf(r, "ProxyReencryptStream%dRoute%d: match=%s connections=%"
                           APR_UINT64_T_FMT "\n", nv, i, astr(r->pool, rt->match),
                           get(rt->stat_base));
            }
        }
        if (!shortf) {
            ap_rputs("</table>\n", r);
        }
        ++nv;
    }
    return OK;
}

void pr_stream_stats_register(void)
{
    APR_OPTIONAL_HOOK(ap, status_hook, stream_status_hook, NULL, NULL, APR_HOOK_MIDDLE);
}

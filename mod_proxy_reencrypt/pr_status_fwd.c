/*
 * pr_status_fwd.c: per-vhost counters of the forwarded headers
 * (pr_headers.c reports, the status pages show):
 *  - headers of the forwarded family (and ProxyReencryptStripHeader names)
 *    from untrusted peers: stripped under enforce, "would strip" under
 *    audit; by family (pr_fwd_stats.h), one count per header field, after
 *    httpd merged the lines of one name;
 *  - X-Forwarded-For / Forwarded lists from a trusted proxy whose walk
 *    stopped at a malformed element;
 *  - X-Forwarded-Proto/-Host/-Port (and X-Real-IP) from a trusted proxy
 *    that failed validation (this hop's own value was used).
 *
 * Where. One pr_vslot per configured vhost (the main server and every
 * <VirtualHost>), after the backend slots of the shared segment
 * (pr_status_segment.c), claimed by the parent at start-up: every child
 * adds to the same counters, and a graceful restart keeps them as it
 * keeps the backend slots. The request path takes no lock: it finds the
 * vhost's slot by a scan filtered by the key hash (only on a request that
 * has something to count) and adds with apr_atomic.
 */
#include "pr_glue.h"

#include "apr_atomic.h"
#include "apr_strings.h"
#include "http_protocol.h"

#include "pr_forwarded.h"
#include "pr_metrics.h"
#include "pr_status.h"

pr_vslot *pr_st_vslots_of(pr_st_header *hdr)
{
    return (pr_vslot *)((char *)pr_st_slots_of(hdr)
                        + APR_ALIGN_DEFAULT((apr_size_t)hdr->nslots * sizeof(pr_slot)));
}

apr_size_t pr_st_vslots_size(apr_uint32_t nvslots)
{
    return (apr_size_t)nvslots * sizeof(pr_vslot);
}

/* The key of every configured vhost, once each. */
apr_array_header_t *pr_st_fwd_vhosts(apr_pool_t *p, server_rec *main_s)
{
    apr_array_header_t *keys = apr_array_make(p, 16, sizeof(pr_slot_key));
    apr_hash_t *seen = apr_hash_make(p);
    server_rec *s;

    for (s = main_s; s; s = s->next) {
        pr_slot_key k;

        pr_st_key_make(&k, "", pr_vhost_name(p, s));
        if (!apr_hash_get(seen, k.vhost, APR_HASH_KEY_STRING)) {
            pr_slot_key *e = apr_array_push(keys);
            *e = k;
            apr_hash_set(seen, e->vhost, APR_HASH_KEY_STRING, e);
        }
    }
    return keys;
}

static int vkey_is(const pr_vslot *vs, const pr_slot_key *k)
{
    return vs->hash == k->hash && !strcmp(vs->vhost, k->vhost);
}

static int in_keys(const pr_vslot *vs, const apr_array_header_t *keys)
{
    int i;

    for (i = 0; i < keys->nelts; ++i) {
        if (vkey_is(vs, &APR_ARRAY_IDX(keys, i, pr_slot_key))) {
            return 1;
        }
    }
    return 0;
}

void pr_st_fwd_forget(pr_st_header *hdr, const apr_array_header_t *keys)
{
    pr_vslot *vs = pr_st_vslots_of(hdr);
    apr_uint32_t i;

    for (i = 0; i < hdr->nvslots; ++i) {
        if (apr_atomic_read32(&vs[i].state) == SLOT_USED && !in_keys(&vs[i], keys)) {
            apr_atomic_set32(&vs[i].state, SLOT_FREE);
            memset((char *)&vs[i] + sizeof(vs[i].state), 0, sizeof(vs[i]) - sizeof(vs[i].state));
        }
    }
}

void pr_st_fwd_claim(pr_st_header *hdr, const apr_array_header_t *keys)
{
    pr_vslot *vs = pr_st_vslots_of(hdr);
    apr_uint32_t i;
    int j;

    for (j = 0; j < keys->nelts; ++j) {
        const pr_slot_key *k = &APR_ARRAY_IDX(keys, j, pr_slot_key);
        pr_vslot *free_one = NULL;

        for (i = 0; i < hdr->nvslots; ++i) {
            if (apr_atomic_read32(&vs[i].state) != SLOT_USED) {
                free_one = free_one ? free_one : &vs[i];
            }
            else if (vkey_is(&vs[i], k)) {
                break;
            }
        }
        if (i == hdr->nvslots && free_one) {
            memset(free_one, 0, sizeof(*free_one));
            memcpy(free_one->vhost, k->vhost, sizeof(free_one->vhost));
            free_one->hash = k->hash;
            apr_atomic_xchg32(&free_one->state, SLOT_USED);     /* publish */
        }
    }
}

void pr_st_fwd_copy(pr_st_header *dst, pr_st_header *src)
{
    pr_vslot *from = pr_st_vslots_of(src), *to = pr_st_vslots_of(dst);
    apr_uint32_t i, n = 0;
    int k;

    for (i = 0; i < src->nvslots && n < dst->nvslots; ++i) {
        pr_vslot *d = &to[n];

        if (apr_atomic_read32(&from[i].state) != SLOT_USED) {
            continue;
        }
        memcpy(d->vhost, from[i].vhost, sizeof(d->vhost));
        d->hash = from[i].hash;
        for (k = 0; k < PR_FWDF__COUNT; ++k) {
            d->stripped[k] = apr_atomic_read64(&from[i].stripped[k]);
            d->audit[k] = apr_atomic_read64(&from[i].audit[k]);
        }
        for (k = 0; k < PR_FWDL__COUNT; ++k) {
            d->malformed[k] = apr_atomic_read64(&from[i].malformed[k]);
        }
        for (k = 0; k < PR_FWDV__COUNT; ++k) {
            d->invalid[k] = apr_atomic_read64(&from[i].invalid[k]);
        }
        d->state = SLOT_USED;
        ++n;
    }
}

/* ------------------------------------------------------------------ */
/* Counting (any thread of any child).                                  */

static pr_vslot *vslot_of(apr_pool_t *p, server_rec *s)
{
    pr_st_header *hdr = pr_st_attached();
    pr_vslot *vs;
    pr_slot_key k;
    apr_uint32_t i;

    if (!hdr) {
        return NULL;
    }
    pr_st_key_make(&k, "", pr_vhost_name(p, s));
    vs = pr_st_vslots_of(hdr);
    for (i = 0; i < hdr->nvslots; ++i) {
        if (apr_atomic_read32(&vs[i].state) == SLOT_USED && vkey_is(&vs[i], &k)) {
            return &vs[i];
        }
    }
    return NULL;
}

void pr_status_forwarded(request_rec *r, const apr_array_header_t *stripped, int audit,
                         unsigned malformed, unsigned invalid)
{
    static const int value_of[PR_FWDV__COUNT] = {
        PR_HDR_X_FORWARDED_PROTO, PR_HDR_X_FORWARDED_HOST, PR_HDR_X_FORWARDED_PORT,
        PR_HDR_X_REAL_IP
    };
    pr_vslot *vs = vslot_of(r->pool, r->server);
    int i;

    if (!vs) {
        return;
    }
    for (i = 0; stripped && i < stripped->nelts; ++i) {
        const char *name = APR_ARRAY_IDX(stripped, i, const char *);
        pr_fwd_family f = pr_fwd_family_of(name, strlen(name));

        apr_atomic_inc64(audit ? &vs->audit[f] : &vs->stripped[f]);
    }
    if (malformed & (1u << PR_HDR_X_FORWARDED_FOR)) {
        apr_atomic_inc64(&vs->malformed[PR_FWDL_XFF]);
    }
    if (malformed & (1u << PR_HDR_FORWARDED)) {
        apr_atomic_inc64(&vs->malformed[PR_FWDL_FORWARDED]);
    }
    for (i = 0; i < PR_FWDV__COUNT; ++i) {
        if (invalid & (1u << value_of[i])) {
            apr_atomic_inc64(&vs->invalid[i]);
        }
    }
}

/* ------------------------------------------------------------------ */
/* Reading.                                                             */

static void vview_read(pr_vslot *vs, pr_vview *v)
{
    int k;

    memset(v, 0, sizeof(*v));
    memcpy(v->vhost, vs->vhost, sizeof(v->vhost));
    v->vhost[sizeof(v->vhost) - 1] = '\0';
    for (k = 0; k < PR_FWDF__COUNT; ++k) {
        v->stripped[k] = apr_atomic_read64(&vs->stripped[k]);
        v->audit[k] = apr_atomic_read64(&vs->audit[k]);
        v->stripped_total += v->stripped[k];
        v->audit_total += v->audit[k];
    }
    for (k = 0; k < PR_FWDL__COUNT; ++k) {
        v->malformed[k] = apr_atomic_read64(&vs->malformed[k]);
        v->malformed_total += v->malformed[k];
    }
    for (k = 0; k < PR_FWDV__COUNT; ++k) {
        v->invalid[k] = apr_atomic_read64(&vs->invalid[k]);
        v->invalid_total += v->invalid[k];
    }
}

void pr_st_fwd_collect(apr_pool_t *p, const char *vhost, pr_st_page *page)
{
    pr_st_header *hdr = pr_st_attached();
    pr_vview *views;
    pr_vslot *vs;
    pr_slot_key vk;
    apr_uint32_t i;
    int n = 0;

    page->vviews = NULL;
    page->nv = 0;
    if (!hdr || !hdr->nvslots) {
        return;
    }
    if (vhost) {
        pr_st_key_make(&vk, "", vhost);
    }
    vs = pr_st_vslots_of(hdr);
    views = apr_palloc(p, sizeof(*views) * hdr->nvslots);
    for (i = 0; i < hdr->nvslots; ++i) {
        if (apr_atomic_read32(&vs[i].state) != SLOT_USED
            || (vhost && !vkey_is(&vs[i], &vk))) {
            continue;
        }
        vview_read(&vs[i], &views[n++]);
    }
    page->vviews = views;
    page->nv = n;
}

/* ------------------------------------------------------------------ */
/* JSON and HTML.                                                       */

static void json_counts(request_rec *r, const apr_uint64_t *c, int n,
                        const char *(*label)(int))
{
    int k;

    ap_rputs("{", r);
    for (k = 0; k < n; ++k) {
        ap_rprintf(r, "%s\"%s\": %" APR_UINT64_T_FMT, k ? ", " : "", label(k), c[k]);
    }
    ap_rputs("}", r);
}

void pr_st_fwd_out_json(request_rec *r, const pr_st_page *pg)
{
    int i;

    ap_rputs("[", r);
    for (i = 0; i < pg->nv; ++i) {
        const pr_vview *v = &pg->vviews[i];

        ap_rprintf(r, "%s\n    {\"vhost\": %s, \"stripped_total\": %" APR_UINT64_T_FMT
                   ", \"audit_total\": %" APR_UINT64_T_FMT ",\n     \"stripped\": ",
                   i ? "," : "", pr_st_jstr(r->pool, v->vhost), v->stripped_total,
                   v->audit_total);
        json_counts(r, v->stripped, PR_FWDF__COUNT, pr_fwd_family_label);
        ap_rputs(",\n     \"audit\": ", r);
        json_counts(r, v->audit, PR_FWDF__COUNT, pr_fwd_family_label);
        ap_rputs(",\n     \"malformed\": ", r);
        json_counts(r, v->malformed, PR_FWDL__COUNT, pr_fwd_list_label);
        ap_rputs(", \"invalid\": ", r);
        json_counts(r, v->invalid, PR_FWDV__COUNT, pr_fwd_value_label);
        ap_rputs("}", r);
    }
    ap_rputs(pg->nv ? "\n  ]" : "]", r);
}

/* "label: n" lines of the non-zero counts; "0" if none. */
static const char *html_counts(apr_pool_t *p, const apr_uint64_t *c, int n,
                               const char *(*label)(int))
{
    const char *s = "";
    int k;

    for (k = 0; k < n; ++k) {
        if (c[k]) {
            s = apr_psprintf(p, "%s%s%s: %" APR_UINT64_T_FMT, s, *s ? "<br>" : "",
                             label(k), c[k]);
        }
    }
    return *s ? s : "0";
}

void pr_st_fwd_out_html(request_rec *r, const pr_st_page *pg)
{
    apr_pool_t *p = r->pool;
    int i, shown = 0;

    ap_rputs("<h2>Forwarded headers</h2>\n", r);
    for (i = 0; i < pg->nv; ++i) {
        const pr_vview *v = &pg->vviews[i];

        if (!v->stripped_total && !v->audit_total && !v->malformed_total
            && !v->invalid_total) {
            continue;
        }
        if (!shown++) {
            ap_rputs("<table class=\"pr\">\n<tr><th>Vhost</th>"
                     "<th>Stripped (untrusted peers)</th>"
                     "<th>Would strip (audit)</th>"
                     "<th>Malformed lists (trusted proxies)</th>"
                     "<th>Invalid values (trusted proxies)</th></tr>\n", r);
        }
        ap_rvputs(r, "<tr><td>", pr_st_html(p, v->vhost), "</td><td>",
                  html_counts(p, v->stripped, PR_FWDF__COUNT, pr_fwd_family_label),
                  "</td><td>",
                  html_counts(p, v->audit, PR_FWDF__COUNT, pr_fwd_family_label),
                  "</td><td", v->malformed_total ? " class=\"bad\">" : ">",
                  html_counts(p, v->malformed, PR_FWDL__COUNT, pr_fwd_list_label),
                  "</td><td", v->invalid_total ? " class=\"bad\">" : ">",
                  html_counts(p, v->invalid, PR_FWDV__COUNT, pr_fwd_value_label),
                  "</td></tr>\n", NULL);
    }
    ap_rputs(shown ? "</table>\n"
                   : "<p>Nothing stripped from untrusted peers, no malformed list or "
                     "invalid value from trusted proxies.</p>\n", r);
}

/* ------------------------------------------------------------------ */
/* Prometheus: a series once it has counted (a client cannot make new
 * ones: the labels are a fixed set).                                   */

static void prom_sample(request_rec *r, const char *name, const char *vhost,
                        const char *header, const char *result, apr_uint64_t v)
{
    char esc[PR_PROM_ESCAPED_MAX(sizeof(((pr_vview *)0)->vhost))];

    pr_prom_escape(vhost, strlen(vhost), esc, sizeof(esc));
    ap_rprintf(r, "%s{vhost=\"%s\",header=\"%s\"%s%s%s} %" APR_UINT64_T_FMT "\n", name, esc,
               header, result ? ",result=\"" : "", result ? result : "", result ? "\"" : "", v);
}

void pr_st_fwd_out_prometheus(request_rec *r, const char *vhost)
{
    static const char untrusted[] = "proxy_reencrypt_forwarded_untrusted_headers_total";
    static const char malformed[] = "proxy_reencrypt_forwarded_malformed_total";
    static const char invalid[] = "proxy_reencrypt_forwarded_invalid_total";
    pr_st_page pg;
    int i, k;

    pr_st_fwd_collect(r->pool, vhost, &pg);
    ap_rprintf(r, "# HELP %s Headers of the forwarded family (and ProxyReencryptStripHeader "
               "names) from untrusted peers, per front vhost and header family: result "
               "stripped (enforce) or audit (would strip, left as sent).\n# TYPE %s counter\n",
               untrusted, untrusted);
    for (i = 0; i < pg.nv; ++i) {
        for (k = 0; k < PR_FWDF__COUNT; ++k) {
            if (pg.vviews[i].stripped[k]) {
                prom_sample(r, untrusted, pg.vviews[i].vhost, pr_fwd_family_label(k),
                            "stripped", pg.vviews[i].stripped[k]);
            }
            if (pg.vviews[i].audit[k]) {
                prom_sample(r, untrusted, pg.vviews[i].vhost, pr_fwd_family_label(k),
                            "audit", pg.vviews[i].audit[k]);
            }
        }
    }
    ap_rprintf(r, "# HELP %s X-Forwarded-For or Forwarded lists from a trusted proxy whose "
               "walk stopped at a malformed element (the last good address was the "
               "client).\n# TYPE %s counter\n", malformed, malformed);
    for (i = 0; i < pg.nv; ++i) {
        for (k = 0; k < PR_FWDL__COUNT; ++k) {
            if (pg.vviews[i].malformed[k]) {
                prom_sample(r, malformed, pg.vviews[i].vhost, pr_fwd_list_label(k), NULL,
                            pg.vviews[i].malformed[k]);
            }
        }
    }
    ap_rprintf(r, "# HELP %s X-Forwarded-Proto, -Host, -Port or X-Real-IP values from a "
               "trusted proxy that failed validation (this hop's own value was used).\n"
               "# TYPE %s counter\n", invalid, invalid);
    for (i = 0; i < pg.nv; ++i) {
        for (k = 0; k < PR_FWDV__COUNT; ++k) {
            if (pg.vviews[i].invalid[k]) {
                prom_sample(r, invalid, pg.vviews[i].vhost, pr_fwd_value_label(k), NULL,
                            pg.vviews[i].invalid[k]);
            }
        }
    }
}

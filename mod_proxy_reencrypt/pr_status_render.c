/*
 * pr_status_render.c: the status pages of a pr_st_page (pr_status.h):
 * JSON, the HTML table (the handler's page
 * and the mod_status section) and mod_status's ?auto lines.
 *
 * The HTML table and the ?auto line are driven by one column table
 * (columns[]): a column has an HTML header and/or an ?auto name and one
 * function giving its cell, escaped for the format asked. JSON and
 * Prometheus have structures of their own (nested objects, metric
 * families) and walk the views directly. Every string from a slot is
 * escaped by the pure escapers of pr_metrics.c. Prometheus: pr_status_prom.c.
 */
#include "pr_glue.h"

#include "apr_strings.h"
#include "http_core.h"
#include "http_protocol.h"

#include "pr_metrics.h"
#include "pr_status.h"
#include "pr_version.h"

static const char *verdict_name(int verdict)
{
    switch (verdict) {
    case PR_VERDICT_OK:      return "ok";
    case PR_VERDICT_REFUSED: return "refused";
    case PR_VERDICT_AUDIT:   return "audit";
    default:                 return "unknown";
    }
}

static const char *iso_time(apr_pool_t *p, apr_time_t t)
{
    apr_time_exp_t x;

    apr_time_exp_gmt(&x, t);
    return apr_psprintf(p, "%04d-%02d-%02dT%02d:%02d:%02dZ", x.tm_year + 1900,
                        x.tm_mon + 1, x.tm_mday, x.tm_hour, x.tm_min, x.tm_sec);
}

/* A JSON string, quotes included. */
const char *pr_st_jstr(apr_pool_t *p, const char *s)
{
    size_t len = strlen(s);
    char *out = apr_palloc(p, PR_JSON_ESCAPED_MAX(len) + 2);

    out[0] = '"';
    len = pr_json_escape(s, len, out + 1, PR_JSON_ESCAPED_MAX(len));
    out[len + 1] = '"';
    out[len + 2] = '\0';
    return out;
}

/* HTML text; "-" for an empty value. */
const char *pr_st_html(apr_pool_t *p, const char *s)
{
    size_t len = s ? strlen(s) : 0;
    char *out;

    if (!len) {
        return "-";
    }
    out = apr_palloc(p, PR_HTML_ESCAPED_MAX(len));
    pr_html_escape(s, len, out, PR_HTML_ESCAPED_MAX(len));
    return out;
}

/* A value of an ?auto line: one token. */
static const char *astr(apr_pool_t *p, const char *s)
{
    size_t len = strlen(s);
    char *out = apr_palloc(p, PR_AUTO_ESCAPED_MAX(len));

    pr_auto_escape(s, len, out, PR_AUTO_ESCAPED_MAX(len));
    return out;
}

/* ------------------------------------------------------------------ */
/* JSON.                                                                */

static void json_reasons(request_rec *r, const apr_uint64_t *counts)
{
    int k;

    ap_rputs("{", r);
    for (k = 1; k < PR_REASON__COUNT; ++k) {
        ap_rprintf(r, "%s\"%s\": %" APR_UINT64_T_FMT, k > 1 ? ", " : "",
                   pr_reason_name((pr_reason)k), counts[k]);
    }
    ap_rputs("}", r);
}

void pr_st_out_json(request_rec *r, const pr_st_page *pg)
{
    const pr_view *views = pg->views;
    int n = pg->n;
    apr_pool_t *p = r->pool;
    apr_time_t now = apr_time_now();
    int i;

    ap_set_content_type(r, "application/json");
    ap_rprintf(r, "{\n  \"version\": \"" PR_VERSION "\",\n  \"now\": %s,\n  \"now_unix\": %" APR_TIME_T_FMT ",\n"
               "  \"since\": %s,\n  \"since_unix\": %" APR_TIME_T_FMT ",\n"
               "  \"slots\": %u,\n  \"slots_used\": %u,\n  \"dropped\": %" APR_UINT64_T_FMT
               ",\n  \"backends\": [",
               pr_st_jstr(p, iso_time(p, now)), apr_time_sec(now),
               pr_st_jstr(p, iso_time(p, pg->created)), apr_time_sec(pg->created),
               pg->slots, pg->slots_used, pg->dropped);
    for (i = 0; i < n; ++i) {
        const pr_view *v = &views[i];
        const pr_snap *sn = &v->snap;

        ap_rprintf(r, "%s\n    {\"backend\": %s, \"vhost\": %s, \"policy\": %s, "
                   "\"configured\": %s,\n     \"handshakes\": {\"ok\": %" APR_UINT64_T_FMT
                   ", \"refused_total\": %" APR_UINT64_T_FMT
                   ", \"audit_total\": %" APR_UINT64_T_FMT ",\n       \"refused\": ",
                   i ? "," : "", pr_st_jstr(p, v->backend), pr_st_jstr(p, v->vhost),
                   pr_st_jstr(p, pr_policy_label(v->policy)), v->configured ? "true" : "false",
                   v->ok, v->refused_total, v->audit_total);
        json_reasons(r, v->refused);
        ap_rputs(",\n       \"audit\": ", r);
        json_reasons(r, v->audit);
        ap_rprintf(r, "},\n     \"resumed\": %" APR_UINT64_T_FMT ",\n     \"last\": ", v->resumed);
        if (sn->time) {
            ap_rprintf(r, "{\"verdict\": \"%s\", \"reason\": %s, \"time\": %s, "
                       "\"time_unix\": %" APR_TIME_T_FMT ", \"resumed\": %s, "
                       "\"protocol\": %s, \"cipher\": %s, \"ocsp\": %s, "
                       "\"crl_next_update\": %s}",
                       verdict_name(sn->verdict),
                       sn->verdict == PR_VERDICT_OK ? "null"
                           : pr_st_jstr(p, pr_reason_name((pr_reason)sn->reason)),
                       pr_st_jstr(p, iso_time(p, sn->time)), apr_time_sec(sn->time),
                       sn->resumed ? "true" : "false",
                       sn->protocol[0] ? pr_st_jstr(p, sn->protocol) : "null",
                       sn->cipher[0] ? pr_st_jstr(p, sn->cipher) : "null",
                       !sn->ocsp[0] ? "null"
                           : apr_psprintf(p, "{\"status\": %s, \"next_update\": %s, "
                                          "\"responder\": %s}",
                                          pr_st_jstr(p, sn->ocsp), sn->ocsp_next
                                          ? pr_st_jstr(p, iso_time(p, sn->ocsp_next)) : "null",
                                          sn->ocsp_responder[0]
                                          ? pr_st_jstr(p, sn->ocsp_responder) : "null"),
                       sn->crl_next ? pr_st_jstr(p, iso_time(p, sn->crl_next)) : "null");
        }
        else {
            ap_rputs("null", r);
        }
        ap_rputs(",\n     \"peer\": ", r);
        if (sn->have_cert) {
            ap_rprintf(r, "{\"subject\": %s, \"issuer\": %s, \"sans\": %s, "
                       "\"not_after\": %s, \"not_after_unix\": %" APR_TIME_T_FMT ", "
                       "\"days_left\": %ld, \"expiring\": %s, \"pin\": %s, "
                       "\"seen\": %s,\n       \"fingerprint_sha256\": %s, \"serial\": %s, "
                       "\"chain_not_after\": %s, \"chain_not_after_unix\": %" APR_TIME_T_FMT "}",
                       pr_st_jstr(p, sn->subject), pr_st_jstr(p, sn->issuer), pr_st_jstr(p, sn->sans),
                       pr_st_jstr(p, iso_time(p, sn->not_after)), apr_time_sec(sn->not_after),
                       v->days_now, (sn->expiring || v->days_now < 0) ? "true" : "false",
                       pr_st_jstr(p, sn->pin), pr_st_jstr(p, iso_time(p, sn->cert_time)),
                       pr_st_jstr(p, sn->fingerprint), pr_st_jstr(p, sn->serial),
                       pr_st_jstr(p, iso_time(p, sn->chain_not_after)), apr_time_sec(sn->chain_not_after));
        }
        else {
            ap_rputs("null", r);
        }
        ap_rputs("}", r);
    }
    ap_rputs("\n  ],\n  \"forwarded\": ", r);
    pr_st_fwd_out_json(r, pg);
    ap_rputs(",\n", r);
    pr_st_trust_json(r, pg->scope);
    ap_rputs("}\n", r);
}

/* ------------------------------------------------------------------ */
/* HTML (the handler's page and the mod_status section).                */

static const char css[] =
    "<style>\n"
    "table.pr { border-collapse: collapse; font-size: 90%; }\n"
    "table.pr th, table.pr td { border: 1px solid #999; padding: 2px 5px; "
    "text-align: left; vertical-align: top; }\n"
    "table.pr tr.refused { background: #f8c8c8; }\n"
    "table.pr tr.audit { background: #fde0b0; }\n"
    "table.pr td.expiring { background: #fff2a0; font-weight: bold; }\n"
    "table.pr td.expired { background: #f08080; font-weight: bold; }\n"
    "table.pr td.bad { color: #a00; font-weight: bold; }\n"
    "table.pr td.mono { font-family: monospace; font-size: 85%; word-break: break-all; max-width: 14em; }\n"
    "</style>\n";

static const char *html_reasons(apr_pool_t *p, const apr_uint64_t *counts, apr_uint64_t total)
{
    const char *s = "";
    int k;

    if (!total) {
        return "0";
    }
    for (k = 1; k < PR_REASON__COUNT; ++k) {
        if (counts[k]) {
            s = apr_psprintf(p, "%s%s%s: %" APR_UINT64_T_FMT, s, *s ? "<br>" : "",
                             pr_reason_name((pr_reason)k), counts[k]);
        }
    }
    return s;
}

/* ------------------------------------------------------------------ */
/* The column table of the HTML table and the ?auto line.               */

enum { FMT_HTML, FMT_AUTO };

typedef struct {
    const char *title;              /* HTML header; NULL: not in the table */
    const char *key;                /* ?auto name; NULL: not in ?auto */
    /* The cell of v escaped for fmt, NULL to leave it out of ?auto;
     * *cls: the HTML class of the cell ("" none). */
    const char *(*cell)(apr_pool_t *p, const pr_view *v, int fmt, const char **cls);
} pr_column;

static const char *esc(apr_pool_t *p, const char *s, int fmt)
{
    return fmt == FMT_HTML ? pr_st_html(p, s) : astr(p, *s ? s : "-");
}

static const char *num(apr_pool_t *p, apr_uint64_t v)
{
    return apr_psprintf(p, "%" APR_UINT64_T_FMT, v);
}

static const char *c_backend(apr_pool_t *p, const pr_view *v, int fmt, const char **cls)
{
    if (fmt == FMT_AUTO || v->configured) {
        return esc(p, v->backend, fmt);
    }
    return apr_pstrcat(p, pr_st_html(p, v->backend), " <i>(dynamic)</i>", NULL);
}

static const char *c_vhost(apr_pool_t *p, const pr_view *v, int fmt, const char **cls)
{
    return esc(p, v->vhost, fmt);
}

static const char *c_policy(apr_pool_t *p, const pr_view *v, int fmt, const char **cls)
{
    return esc(p, pr_policy_label(v->policy), fmt);
}

static const char *c_ok(apr_pool_t *p, const pr_view *v, int fmt, const char **cls)
{
    return num(p, v->ok);
}

static const char *c_counts(apr_pool_t *p, const apr_uint64_t *counts, apr_uint64_t total,
                            int fmt, const char **cls)
{
    if (total) {
        *cls = "bad";
    }
    return fmt == FMT_HTML ? html_reasons(p, counts, total) : num(p, total);
}

static const char *c_refused(apr_pool_t *p, const pr_view *v, int fmt, const char **cls)
{
    return c_counts(p, v->refused, v->refused_total, fmt, cls);
}

static const char *c_audit(apr_pool_t *p, const pr_view *v, int fmt, const char **cls)
{
    return c_counts(p, v->audit, v->audit_total, fmt, cls);
}

static const char *c_resumed(apr_pool_t *p, const pr_view *v, int fmt, const char **cls)
{
    return num(p, v->resumed);
}

static const char *c_last(apr_pool_t *p, const pr_view *v, int fmt, const char **cls)
{
    const pr_snap *sn = &v->snap;
    char date[APR_RFC822_DATE_LEN];

    if (!sn->time) {
        return fmt == FMT_HTML ? "never" : "none";
    }
    if (fmt == FMT_AUTO) {
        return verdict_name(sn->verdict);
    }
    apr_rfc822_date(date, sn->time);
    return apr_psprintf(p, "%s%s%s<br>%s", verdict_name(sn->verdict),
                        sn->verdict == PR_VERDICT_OK ? "" : ": ",
                        sn->verdict == PR_VERDICT_OK ? ""
                            : pr_reason_name((pr_reason)sn->reason),
                        pr_st_html(p, date));
}

static const char *c_reason(apr_pool_t *p, const pr_view *v, int fmt, const char **cls)
{
    return v->snap.time && v->snap.verdict != PR_VERDICT_OK
        ? pr_reason_name((pr_reason)v->snap.reason) : NULL;
}

#define PEER_CELL(name, field)                                                  \
static const char *name(apr_pool_t *p, const pr_view *v, int fmt, const char **cls) \
{                                                                               \
    return v->snap.have_cert ? esc(p, v->snap.field, fmt) : "-";                \
}
PEER_CELL(c_subject, subject)
PEER_CELL(c_issuer, issuer)
PEER_CELL(c_sans, sans)

static const char *c_pin(apr_pool_t *p, const pr_view *v, int fmt, const char **cls)
{
    *cls = "mono";
    return v->snap.have_cert ? esc(p, v->snap.pin, fmt) : "-";
}

static const char *c_not_after(apr_pool_t *p, const pr_view *v, int fmt, const char **cls)
{
    char date[APR_RFC822_DATE_LEN];

    if (!v->snap.have_cert) {
        return "-";
    }
    apr_rfc822_date(date, v->snap.not_after);
    return esc(p, date, fmt);
}

static const char *c_days(apr_pool_t *p, const pr_view *v, int fmt, const char **cls)
{
    if (!v->snap.have_cert) {
        return fmt == FMT_HTML ? "-" : NULL;
    }
    *cls = v->days_now < 0 ? "expired" : v->snap.expiring ? "expiring" : "";
    return apr_ltoa(p, v->days_now);
}

static const char *c_protocol(apr_pool_t *p, const pr_view *v, int fmt, const char **cls)
{
    return esc(p, v->snap.protocol, fmt);
}

static const char *c_cipher(apr_pool_t *p, const pr_view *v, int fmt, const char **cls)
{
    return esc(p, v->snap.cipher, fmt);
}

static const char *c_ocsp(apr_pool_t *p, const pr_view *v, int fmt, const char **cls)
{
    char date[APR_RFC822_DATE_LEN];
    const char *by = v->snap.ocsp_responder[0]
                   ? apr_pstrcat(p, "; responder ", v->snap.ocsp_responder, NULL) : "";

    if (!v->snap.ocsp[0]) {
        return "-";
    }
    if (!v->snap.ocsp_next) {
        return esc(p, apr_pstrcat(p, v->snap.ocsp, by, NULL), fmt);
    }
    apr_rfc822_date(date, v->snap.ocsp_next);
    return esc(p, apr_pstrcat(p, v->snap.ocsp, ", nextUpdate ", date, by, NULL), fmt);
}

static const char *c_crl_next(apr_pool_t *p, const pr_view *v, int fmt, const char **cls)
{
    char date[APR_RFC822_DATE_LEN];

    if (!v->snap.crl_next) {
        return "-";
    }
    apr_rfc822_date(date, v->snap.crl_next);
    return esc(p, date, fmt);
}

static const pr_column columns[] = {
    { "Backend",          "backend",   c_backend },
    { "Vhost",            "vhost",     c_vhost },
    { "Policy",           "policy",    c_policy },
    { "OK",               "ok",        c_ok },
    { "Refused",          "refused",   c_refused },
    { "Audit violations", "audit",     c_audit },
    { "Resumed",          "resumed",   c_resumed },
    { "Last verdict",     "last",      c_last },
    { NULL,               "reason",    c_reason },
    { "Subject",          NULL,        c_subject },
    { "Issuer",           NULL,        c_issuer },
    { "SANs",             NULL,        c_sans },
    { "notAfter",         NULL,        c_not_after },
    { "Days left",        "days_left", c_days },
    { "SPKI pin",         NULL,        c_pin },
    { "Protocol",         NULL,        c_protocol },
    { "Cipher",           NULL,        c_cipher },
    { "OCSP",             NULL,        c_ocsp },
    { "CRL nextUpdate",   NULL,        c_crl_next },
};
#define NCOLUMNS ((int)(sizeof(columns) / sizeof(columns[0])))

void pr_st_out_table(request_rec *r, const pr_st_page *pg)
{
    apr_pool_t *p = r->pool;
    int i, c;

    ap_rputs(css, r);
    ap_rprintf(r, "<p>%d backend%s; counting since %s", pg->n, pg->n == 1 ? "" : "s",
               ap_ht_time(p, pg->created, "%Y-%m-%d %H:%M:%S %Z", 0));
    if (pg->dropped) {
        ap_rprintf(r, "; <b>%" APR_UINT64_T_FMT " handshakes not counted</b> "
                   "(no slot free among %u)", pg->dropped, pg->slots);
    }
    ap_rputs(".</p>\n<table class=\"pr\">\n<tr>", r);
    for (c = 0; c < NCOLUMNS; ++c) {
        if (columns[c].title) {
            ap_rvputs(r, "<th>", columns[c].title, "</th>", NULL);
        }
    }
    ap_rputs("</tr>\n", r);
    for (i = 0; i < pg->n; ++i) {
        const pr_view *v = &pg->views[i];
        const pr_snap *sn = &v->snap;
        const char *row = sn->time && sn->verdict == PR_VERDICT_REFUSED ? " class=\"refused\""
                        : sn->time && sn->verdict == PR_VERDICT_AUDIT ? " class=\"audit\"" : "";

        ap_rvputs(r, "<tr", row, ">", NULL);
        for (c = 0; c < NCOLUMNS; ++c) {
            const char *cls = "", *cell;

            if (!columns[c].title) {
                continue;
            }
            cell = columns[c].cell(p, v, FMT_HTML, &cls);
            ap_rvputs(r, *cls ? "<td class=\"" : "<td", cls, *cls ? "\">" : ">",
                      cell ? cell : "-", "</td>", NULL);
        }
        ap_rputs("</tr>\n", r);
    }
    ap_rputs("</table>\n", r);
}

void pr_st_out_html(request_rec *r, const pr_st_page *pg)
{
    ap_set_content_type(r, "text/html; charset=utf-8");
    ap_rputs(DOCTYPE_HTML_4_01 "<html><head>\n<title>Proxy re-encryption status</title>\n"
             "</head><body>\n<h1>Proxy re-encryption status</h1>\n", r);
    ap_rprintf(r, "<p>Server: %s. " PR_PRODUCT ". Also as <a href=\"?json\">JSON</a> and "
               "<a href=\"?prometheus\">Prometheus</a>; "
               "<a href=\"?audit\">would refuse under enforce</a>.</p>\n", pr_st_html(r->pool, pg->server));
    pr_st_out_table(r, pg);
    pr_st_fwd_out_html(r, pg);
    pr_st_trust_html(r, pg->scope);
    ap_rputs("</body></html>\n", r);
}

/* mod_status ?auto: "Key: value" lines, every value escaped to one token. */
void pr_st_out_auto(request_rec *r, const pr_st_page *pg)
{
    int i, c;

    ap_rprintf(r, "ProxyReencryptBackends: %d\n", pg->n);
    for (i = 0; i < pg->n; ++i) {
        const pr_view *v = &pg->views[i];

        ap_rprintf(r, "ProxyReencryptBackend%d:", i);
        for (c = 0; c < NCOLUMNS; ++c) {
            const char *cls = "", *cell;

            if (!columns[c].key) {
                continue;
            }
            cell = columns[c].cell(r->pool, v, FMT_AUTO, &cls);
            if (cell) {
                ap_rvputs(r, " ", columns[c].key, "=", cell, NULL);
            }
        }
        ap_rputs("\n", r);
    }
}

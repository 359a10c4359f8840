/*
 * pr_status_audit.c: the "would refuse" view of the status page (?audit,
 * ?json&audit): every backend that switching to enforce would refuse
 * (it has counted audit violations), one row per reason, with the count,
 * the last time, what the module saw and a suggested fix (pr_advice.c).
 */
#include "pr_glue.h"

#include "apr_strings.h"
#include "http_core.h"
#include "http_protocol.h"

#include "pr_advice.h"
#include "pr_metrics.h"
#include "pr_status.h"
#include "pr_version.h"

static const char *iso_time(apr_pool_t *p, apr_time_t t)
{
    apr_time_exp_t x;

    if (!t) {
        return NULL;
    }
    apr_time_exp_gmt(&x, t);
    return apr_psprintf(p, "%04d-%02d-%02dT%02d:%02d:%02dZ", x.tm_year + 1900,
                        x.tm_mon + 1, x.tm_mday, x.tm_hour, x.tm_min, x.tm_sec);
}

static const char *fix_of(apr_pool_t *p, const pr_view *v, int reason)
{
    pr_advice_facts f;
    char buf[1024];

    f.backend = v->backend;
    f.subject = v->snap.subject;
    f.issuer = v->snap.issuer;
    f.sans = v->snap.sans;
    f.pin = v->snap.pin;
    f.have_cert = v->snap.have_cert;
    f.days_left = v->days_now;
    pr_advice((pr_reason)reason, &f, buf, sizeof(buf));
    return apr_pstrdup(p, buf);
}

/* The last time this reason was the verdict, when the slot knows it. */
static apr_time_t last_of(const pr_view *v, int reason)
{
    return (v->snap.verdict == PR_VERDICT_AUDIT && v->snap.reason == reason) ? v->snap.time : 0;
}

void pr_st_out_audit(request_rec *r, const pr_st_page *pg, int json)
{
    apr_pool_t *p = r->pool;
    int i, k, rows = 0;

    if (json) {
        ap_set_content_type(r, "application/json");
        ap_rputs("{\n  \"version\": \"" PR_VERSION "\",\n  \"would_refuse\": [", r);
    }
    else {
        ap_set_content_type(r, "text/html; charset=utf-8");
        ap_rputs(DOCTYPE_HTML_4_01 "<html><head>\n<title>Proxy re-encryption: would refuse"
                 "</title>\n<style>\ntable.pr { border-collapse: collapse; font-size: 90%; }\n"
                 "table.pr th, table.pr td { border: 1px solid #999; padding: 2px 5px; "
                 "text-align: left; vertical-align: top; }\ntable.pr td.fix { font-family: "
                 "monospace; }\n</style>\n</head><body>\n"
                 "<h1>Would refuse under enforce</h1>\n", r);
        ap_rprintf(r, "<p>Server: %s. " PR_PRODUCT ". Backends with violations let "
                   "through (audit), by reason, with a suggested fix. Also as "
                   "<a href=\"?json&amp;audit\">JSON</a>; all backends: "
                   "<a href=\"?\">status</a>. Plaintext static backends are listed "
                   "in the start-up log (PRE0013).</p>\n", pr_st_html(p, pg->server));
        ap_rputs("<table class=\"pr\">\n<tr><th>Backend</th><th>Vhost</th><th>Policy</th>"
                 "<th>Reason</th><th>Count</th><th>Last</th><th>Certificate</th>"
                 "<th>Suggested fix</th></tr>\n", r);
    }
    for (i = 0; i < pg->n; ++i) {
        const pr_view *v = &pg->views[i];

        if (!v->audit_total) {
            continue;
        }
        for (k = 1; k < PR_REASON__COUNT; ++k) {
            const char *reason = pr_reason_name((pr_reason)k), *last;

            if (!v->audit[k]) {
                continue;
            }
            last = iso_time(p, last_of(v, k));
            if (json) {
                ap_rprintf(r, "%s\n    {\"backend\": %s, \"vhost\": %s, \"policy\": %s, "
                           "\"reason\": %s, \"count\": %" APR_UINT64_T_FMT ", \"last\": %s,\n"
                           "     \"subject\": %s, \"issuer\": %s, \"days_left\": %s,\n"
                           "     \"fix\": %s}",
                           rows ? "," : "", pr_st_jstr(p, v->backend), pr_st_jstr(p, v->vhost),
                           pr_st_jstr(p, pr_policy_label(v->policy)), pr_st_jstr(p, reason), v->audit[k],
                           last ? pr_st_jstr(p, last) : "null",
                           v->snap.have_cert ? pr_st_jstr(p, v->snap.subject) : "null",
                           v->snap.have_cert ? pr_st_jstr(p, v->snap.issuer) : "null",
                           v->snap.have_cert ? apr_ltoa(p, v->days_now) : "null",
                           pr_st_jstr(p, fix_of(p, v, k)));
            }
            else {
                ap_rprintf(r, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
                           "<td>%" APR_UINT64_T_FMT "</td><td>%s</td><td>%s</td>"
                           "<td class=\"fix\">%s</td></tr>\n",
                           pr_st_html(p, v->backend), pr_st_html(p, v->vhost),
                           pr_policy_label(v->policy), reason, v->audit[k], pr_st_html(p, last),
                           v->snap.have_cert
                               ? apr_psprintf(p, "%s<br>issuer %s<br>%ld days left",
                                              pr_st_html(p, v->snap.subject), pr_st_html(p, v->snap.issuer),
                                              v->days_now)
                               : "-",
                           pr_st_html(p, fix_of(p, v, k)));
            }
            ++rows;
        }
    }
    if (json) {
        ap_rprintf(r, "%s],\n  \"count\": %d\n}\n", rows ? "\n  " : "", rows);
    }
    else {
        if (!rows) {
            ap_rputs("<tr><td colspan=\"8\">Nothing: enforce would refuse none of these "
                     "backends (so far).</td></tr>\n", r);
        }
        ap_rputs("</table>\n</body></html>\n", r);
    }
}

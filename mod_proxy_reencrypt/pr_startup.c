/*
 * pr_startup.c: the start-up report.
 *
 * check_config (pr_proxy.c) judges every static backend of every vhost.
 * Findings that stop start-up are printed there at once (before the error
 * log is open, so `apachectl -t` shows them). The others are noted here
 * and written once the error log is open, in post_config, skipping the
 * first pre-detach pass: one line per backend (a main-server backend is
 * copied into every vhost: still one line), naming its balancer and every
 * vhost that uses it, then a summary "N backends checked, M would be
 * refused (reason=count, ...)". Under `apachectl -t` post_config does not
 * run: the same report goes to the console from check_config.
 * Also logs the module's version (PRE0001), as mod_md does.
 */
#include "pr_glue.h"

#include "apr_hash.h"
#include "apr_strings.h"
#include "http_core.h"

#include <openssl/crypto.h>

#include "pr_decide.h"
#include "pr_version.h"

/* The longest vhost list on one line: the error log cuts lines at 8 KB. */
#define PR_VHOSTS_MAX_CHARS 6000

typedef struct {
    const char *backend;        /* worker name */
    const char *balancer;       /* NULL outside a balancer */
    int code;
    pr_reason reason;
    const char *what;
    const char *policy;         /* "audit" / "enforce" */
    const char *origin;         /* where the policy was set */
    const char *about;          /* "Directive, set at file:line; " or "" */
    apr_array_header_t *vhosts; /* const char *, each once */
} pr_noted;

static struct {
    apr_pool_t *pool;
    apr_hash_t *backends;       /* worker name + balancer: checked */
    apr_hash_t *by_key;         /* backend + finding: pr_noted */
    apr_array_header_t *order;  /* pr_noted *, first noted first */
} report;

static apr_status_t forget(void *data)
{
    (void)data;
    memset(&report, 0, sizeof(report));
    return APR_SUCCESS;
}

void pr_startup_begin(apr_pool_t *pconf)
{
    if (report.pool != pconf) {
        apr_pool_cleanup_register(pconf, NULL, forget, apr_pool_cleanup_null);
    }
    report.pool = pconf;
    report.backends = apr_hash_make(pconf);
    report.by_key = apr_hash_make(pconf);
    report.order = apr_array_make(pconf, 8, sizeof(pr_noted *));
}

void pr_startup_note(server_rec *s, proxy_worker *w, const pr_resolved *pol,
                     const pr_finding *f)
{
    apr_pool_t *p = report.pool;
    const char *name, *balancer, *vhost, *key;
    pr_noted *n;
    int i;

    if (!p) {
        return;
    }
    name = ap_proxy_worker_name(p, w);
    balancer = w->balancer ? w->balancer->s->name : NULL;
    key = apr_pstrcat(p, name, " ", balancer ? balancer : "", NULL);
    apr_hash_set(report.backends, key, APR_HASH_KEY_STRING, "");
    if (!f->code || f->error) {
        return;
    }
    key = apr_psprintf(p, "%s %d %s", key, f->code,
                       pol->origin[PR_F_POLICY] ? pol->origin[PR_F_POLICY] : "");
    n = apr_hash_get(report.by_key, key, APR_HASH_KEY_STRING);
    if (!n) {
        n = apr_pcalloc(p, sizeof(*n));
        n->backend = name;
        n->balancer = balancer;
        n->code = f->code;
        n->reason = f->reason;
        n->what = f->what;
        n->policy = pol->policy == PR_POLICY_ENFORCE ? "enforce" : "audit";
        n->origin = pol->origin[PR_F_POLICY] ? pol->origin[PR_F_POLICY] : "the default";
        n->about = f->about == PR_F_POLICY ? "" : apr_psprintf(p, "%s, set at %s; ",
            pr_field_directive(f->about), f->at ? f->at : "its default");
        n->vhosts = apr_array_make(p, 2, sizeof(const char *));
        apr_hash_set(report.by_key, key, APR_HASH_KEY_STRING, n);
        APR_ARRAY_PUSH(report.order, pr_noted *) = n;
    }
    vhost = pr_vhost_name(p, s);
    for (i = 0; i < n->vhosts->nelts; ++i) {
        if (!strcmp(APR_ARRAY_IDX(n->vhosts, i, const char *), vhost)) {
            return;
        }
    }
    APR_ARRAY_PUSH(n->vhosts, const char *) = vhost;
}

static const char *vhost_list(apr_pool_t *p, const apr_array_header_t *v)
{
    const char *out = "";
    size_t len = 0;
    int i;

    for (i = 0; i < v->nelts; ++i) {
        const char *h = APR_ARRAY_IDX(v, i, const char *);
        if (len + strlen(h) > PR_VHOSTS_MAX_CHARS) {
            return apr_psprintf(p, "%s and %d more", out, v->nelts - i);
        }
        out = i ? apr_pstrcat(p, out, ", ", h, NULL) : h;
        len += strlen(h) + 2;
    }
    return out;
}

/* Writes the report; s NULL: the console (apachectl -t). */
static void write_report(server_rec *s, apr_pool_t *p)
{
    int level = APLOG_WARNING | (s ? 0 : APLOG_STARTUP);
    int counts[PR_REASON__COUNT] = { 0 };
    int refused = 0, i, r;
    const char *by_reason = "";

    if (!report.pool) {
        return;
    }
    for (i = 0; i < report.order->nelts; ++i) {
        const pr_noted *n = APR_ARRAY_IDX(report.order, i, pr_noted *);

        ap_log_error(APLOG_MARK, level, 0, s,
                     "PRE%04d: backend %s%s%s (%s %s) %s (%sProxyReencryptPolicy %s, set at %s)",
                     n->code, n->backend, n->balancer ? " of " : "",
                     n->balancer ? n->balancer : "", n->vhosts->nelts == 1 ? "vhost" : "vhosts",
                     vhost_list(p, n->vhosts), n->what, n->about, n->policy, n->origin);
        if (n->reason != PR_REASON_NONE && (unsigned)n->reason < PR_REASON__COUNT) {
            counts[n->reason]++;
            refused++;
        }
    }
    for (r = 0; r < PR_REASON__COUNT; ++r) {
        if (counts[r]) {
            by_reason = apr_psprintf(p, "%s%s%s=%d", by_reason, *by_reason ? ", " : "",
                                     pr_reason_name((pr_reason)r), counts[r]);
        }
    }
    if (apr_hash_count(report.backends)) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE | (s ? 0 : APLOG_STARTUP), 0, s, PRE(0016)
                     "start-up check: %u backends checked, %d would be refused%s%s%s",
                     apr_hash_count(report.backends), refused, *by_reason ? " (" : "",
                     by_reason, *by_reason ? ")" : "");
    }
}

/* check_config is done: under apachectl -t the report goes out now. */
void pr_startup_checked(apr_pool_t *ptemp)
{
    if (ap_state_query(AP_SQ_RUN_MODE) == AP_SQ_RM_CONFIG_TEST) {
        write_report(NULL, ptemp);
    }
}

static int pr_startup_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                                  server_rec *s)
{
    (void)pconf;
    (void)plog;
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, PRE(0001) "%s (%s) configured",
                 PR_PRODUCT, OpenSSL_version(OPENSSL_VERSION));
    write_report(s, ptemp);
    return OK;
}

void pr_startup_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_post_config(pr_startup_post_config, NULL, NULL, APR_HOOK_MIDDLE);
}

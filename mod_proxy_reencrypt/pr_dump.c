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

typedef struct {
    apr_file_t *out;
    server_rec *last_s;
} dump_ctx;

static const char *onoff(int v)
{
    return v ? "on" : "off";
}

/* One "name  value" line, "(default)" when the field was never set. */
static void dump_field(apr_file_t *out, const char *name, const char *value, int dflt)
{
    apr_file_printf(out, "        %-18s %s%s\n", name, value, dflt ? " (default)" : "");
}

static void dump_one(void *baton, apr_pool_t *p, server_rec *s,
                     proxy_balancer *b, proxy_worker *w)
{
    dump_ctx *d = baton;
    apr_file_t *out = d->out;
    const pr_dir_conf *c = pr_conf_for_worker(p, s, NULL, w);
    const char *v;
    int i;

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

    dump_field(out, "policy", pr_policy_label(PR_EFF(c, policy, PR_DEFAULT_POLICY)),
               c->policy == PR_UNSET);
    dump_field(out, "require-tls", onoff(PR_EFF(c, require_tls, PR_DEFAULT_REQUIRE_TLS)),
               c->require_tls == PR_UNSET);
    switch (PR_EFF(c, verify, PR_DEFAULT_VERIFY)) {
    case PR_VERIFY_OFF: v = "off"; break;
    case PR_VERIFY_PIN: v = "pin"; break;
    default:            v = "chain"; break;
    }
    dump_field(out, "verify", v, c->verify == PR_UNSET);
    /* File and path are one setting: the scope naming either gives both. */
    dump_field(out, "ca-file", c->ca_file ? c->ca_file
               : c->store ? "none" : "mod_ssl's SSLProxyCACertificateFile", !c->store);
    dump_field(out, "ca-path", c->ca_path ? c->ca_path
               : c->store ? "none" : "mod_ssl's SSLProxyCACertificatePath", !c->store);
    dump_field(out, "verify-depth", apr_ltoa(p, PR_EFF(c, depth, PR_DEFAULT_DEPTH)),
               c->depth == PR_UNSET);
    if (c->expect && c->expect->nelts) {
        v = apr_array_pstrcat(p, c->expect, ' ');
    }
    else {
        v = "the name mod_proxy verifies (SNI name: URL host or preserved Host)";
    }
    dump_field(out, "expect-name", v, !c->expect);
    switch (PR_EFF(c, sni, PR_DEFAULT_SNI)) {
    case PR_SNI_OFF:  v = "off"; break;
    case PR_SNI_NAME: v = c->sni_name ? c->sni_name : "?"; break;
    default:          v = "auto"; break;
    }
    dump_field(out, "sni", v, c->sni == PR_UNSET);
    dump_field(out, "expiry", apr_psprintf(p, "warn %ld days, refuse %ld days",
                                           PR_EFF(c, warn_days, PR_DEFAULT_WARN_DAYS),
                                           PR_EFF(c, refuse_days, PR_DEFAULT_REFUSE_DAYS)),
               c->warn_days == PR_UNSET);
    dump_field(out, "pins", c->pins ? apr_itoa(p, c->pins->nelts) : "0", !c->pins);
    dump_field(out, "crl-file", c->crl_file ? c->crl_file : "none", !c->crl_file);
    switch (pr_eff_crl_check(c)) {
    case PR_CRL_LEAF:  v = "leaf"; break;
    case PR_CRL_CHAIN: v = "chain"; break;
    default:           v = "none"; break;
    }
    dump_field(out, "crl-check", v, c->crl_check == PR_UNSET);
    if (c->client) {
        v = strcmp(c->client->cert_file, c->client->key_file)
            ? apr_psprintf(p, "%s (key %s, %ld days left)", c->client->cert_file,
                           c->client->key_file, c->client->days_left)
            : apr_psprintf(p, "%s (%ld days left)", c->client->cert_file,
                           c->client->days_left);
    }
    dump_field(out, "client-cert", c->client ? v : "none", !c->client);
    dump_field(out, "min-protocol",
               PR_EFF(c, min_proto, 0x0303) == 0x0304 ? "TLSv1.3" : "TLSv1.2",
               c->min_proto == PR_UNSET);
    dump_field(out, "session-cache", onoff(PR_EFF(c, session_cache, 1)),
               c->session_cache == PR_UNSET);
    i = PR_EFF(c, proxy_protocol, 0);
    dump_field(out, "proxy-protocol", i == 1 ? "v1" : i == 2 ? "v2" : "off",
               c->proxy_protocol == PR_UNSET);
    switch (PR_EFF(c, fwd_mode, PR_DEFAULT_FWD_MODE)) {
    case PR_FWD_MODE_OFF:     v = "off"; break;
    case PR_FWD_MODE_RFC7239: v = "rfc7239"; break;
    case PR_FWD_MODE_BOTH:    v = "both"; break;
    default:                  v = "xff"; break;
    }
    dump_field(out, "forwarded", v, c->fwd_mode == PR_UNSET);
    dump_field(out, "trusted-proxies", c->trusted_text ? c->trusted_text : "none",
               !c->trusted);
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
    apr_file_printf(d.out, "ProxyReencrypt backends (effective policy per backend and vhost):\n");
    pr_each_worker(pconf, s, dump_one, &d);
    if (!d.last_s) {
        apr_file_printf(d.out, "    (no ProxyPass or BalancerMember backend)\n");
    }
    apr_file_flush(d.out);
}

void pr_dump_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_test_config(st_test_config, NULL, NULL, APR_HOOK_MIDDLE);
}

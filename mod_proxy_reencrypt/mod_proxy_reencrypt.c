/*
 * mod_proxy_reencrypt: a per-backend TLS policy for Apache's reverse
 * proxy. The module record and hook registration; the work is done in
 * pr_proxy.c (mod_proxy side), pr_tls.c (mod_ssl side) and the pure core
 * (pr_core.c, pr_x509.c).
 */
#define PR_MODULE_RECORD
#include "pr_glue.h"
#include "pr_startup.h"
#include "pr_stream.h"

static void register_hooks(apr_pool_t *p)
{
    pr_proxy_register_hooks(p);
    pr_handoff_register_hooks(p);
    pr_tls_register_hooks(p);
    pr_headers_register_hooks(p);
    pr_status_register_hooks(p);
    pr_dump_register_hooks(p);
    pr_startup_register_hooks(p);
    pr_stream_register_hooks(p);
    pr_notes_register_hooks(p);
}

AP_DECLARE_MODULE(proxy_reencrypt) = {
    STANDARD20_MODULE_STUFF,
    pr_create_dir_conf,         /* per-directory (and <Proxy>) config */
    pr_merge_dir_conf,          /* field by field */
    pr_stream_create_server_conf,   /* server config: streams only */
    pr_stream_merge_server_conf,
    pr_cmds,
    register_hooks,
    AP_MODULE_FLAG_NONE
};

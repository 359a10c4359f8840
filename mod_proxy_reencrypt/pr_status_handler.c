/*
 * pr_status_handler.c: SetHandler proxy-reencrypt-status (HTML, ?json,
 * ?prometheus), the section of mod_status's /server-status, the
 * ProxyReencryptStatusScope directive, and the status hooks.
 *
 * What a page shows. By default the backends of the vhost serving the
 * page, its forwarded-header counters and the trust files its policies
 * use (a tenant's vhost does not see its neighbours'); with
 * ProxyReencryptStatusScope all, every vhost's.
 *
 * Who may switch the handler on. Only SetHandler in the server
 * configuration (server, vhost, <Directory>, <Location>, <Files>, <If>),
 * never an .htaccess file: a tenant with AllowOverride FileInfo could
 * otherwise publish the status of every backend. httpd merges .htaccess
 * files during the directory walk (map_to_storage), and the location walk
 * that follows merges <Location> sections on top; the core merge copies
 * the SetHandler expression of the last section that set one. So the
 * expression in force came from an .htaccess file exactly when it is one
 * that an .htaccess file of this request (r->htaccess, or a <Files>/<If>
 * section inside one) parsed. A handler set another way (AddHandler, a
 * RewriteRule [H=...]) may come from .htaccess too and is refused as well.
 */
#include "pr_glue.h"

#include "apr_strings.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"

#include "mod_status.h"

#include "pr_status.h"

#define PR_ST_HANDLER   "proxy-reencrypt-status"

const char *pr_status_set_scope(cmd_parms *cmd, void *mc, const char *arg)
{
    pr_dir_conf *c = mc;
    int v;

    if (!strcasecmp(arg, "vhost")) {
        v = PR_ST_SCOPE_VHOST;
    }
    else if (!strcasecmp(arg, "all")) {
        v = PR_ST_SCOPE_ALL;
    }
    else {
        return apr_psprintf(cmd->pool, "%s: '%s' is not one of vhost, all",
                            cmd->cmd->name, arg);
    }
    if (c->status_scope_at && c->status_scope != v) {
        return apr_psprintf(cmd->pool, "%s: '%s' conflicts with the value set at %s in the "
                            "same scope (a single-valued directive; remove one)",
                            cmd->cmd->name, arg, c->status_scope_at);
    }
    c->status_scope = v;
    c->status_scope_at = cmd->directive ? apr_psprintf(cmd->pool, "%s:%d",
        cmd->directive->filename, cmd->directive->line_num) : "(command line)";
    return NULL;
}

/* Does config vector v (an .htaccess file's, or a section nested in
 * one) hold the SetHandler expression h? */
static int holds_handler(ap_conf_vector_t *v, const ap_expr_info_t *h, int depth)
{
    core_dir_config *cd;
    const apr_array_header_t *secs[2];
    int i, j;

    if (!v || depth > 16) {
        return 0;
    }
    cd = ap_get_core_module_config(v);
    if (!cd) {
        return 0;
    }
    if (cd->expr_handler == h) {
        return 1;
    }
    secs[0] = cd->sec_file;
    secs[1] = cd->sec_if;
    for (i = 0; i < 2; ++i) {
        for (j = 0; secs[i] && j < secs[i]->nelts; ++j) {
            if (holds_handler(APR_ARRAY_IDX(secs[i], j, ap_conf_vector_t *), h, depth + 1)) {
                return 1;
            }
        }
    }
    return 0;
}

/* NULL if r's handler was set by SetHandler in the server configuration;
 * else why not, for the log. */
static const char *handler_not_from_config(request_rec *r)
{
    core_dir_config *cd = ap_get_core_module_config(r->per_dir_config);
    const struct htaccess_result *h;

    if (!cd || !cd->expr_handler) {
        return "was not set by SetHandler (AddHandler or a RewriteRule [H] "
               "can come from .htaccess)";
    }
    for (h = r->htaccess; h; h = h->next) {
        if (holds_handler(h->htaccess, cd->expr_handler, 0)) {
            return apr_psprintf(r->pool, "is set in %s%s.htaccess", h->dir,
                                *h->dir && h->dir[strlen(h->dir) - 1] == '/' ? "" : "/");
        }
    }
    return NULL;
}

/* The vhost whose backends r sees (ProxyReencryptStatusScope), NULL:
 * every vhost's. */
static const char *scope_vhost(request_rec *r)
{
    const pr_dir_conf *c = pr_conf_of(r->per_dir_config);

    return PR_EFF(c, status_scope, PR_ST_SCOPE_VHOST) == PR_ST_SCOPE_ALL
        ? NULL : pr_vhost_name(r->pool, r->server);
}

/* The page for r: its vhost's backends and trust files, or every
 * vhost's. */
static int page_for(request_rec *r, pr_st_page *pg)
{
    const char *vhost = scope_vhost(r);

    if (!pr_st_collect(r->pool, vhost, pg)) {
        return 0;
    }
    pg->server = ap_get_server_name(r);
    pg->scope = vhost ? r->server : NULL;
    return 1;
}

static int has_arg(const char *args, const char *word)
{
    size_t wl = strlen(word);
    const char *a = args;

    while (a && *a) {
        const char *end = strchr(a, '&');
        size_t len = end ? (size_t)(end - a) : strlen(a);

        if ((len == wl && !strncmp(a, word, wl))
            || (len == wl + 7 && !strncmp(a, "format=", 7) && !strncmp(a + 7, word, wl))) {
            return 1;
        }
        a = end ? end + 1 : NULL;
    }
    return 0;
}

static int st_handler(request_rec *r)
{
    pr_st_page pg;
    const char *why;

    if (!r->handler || strcmp(r->handler, PR_ST_HANDLER)) {
        return DECLINED;
    }
    if ((why = handler_not_from_config(r)) != NULL) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, PRE(0106)
                      "status: refused: the handler " PR_ST_HANDLER " %s; it is "
                      "allowed only by SetHandler in the server configuration, "
                      "never in .htaccess", why);
        return HTTP_FORBIDDEN;
    }
    r->allowed |= (AP_METHOD_BIT << M_GET);
    if (r->method_number != M_GET) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    apr_table_setn(r->headers_out, "Cache-Control", "no-cache, no-store");
    if (!has_arg(r->args, "json") && !has_arg(r->args, "audit")
        && has_arg(r->args, "prometheus")) {
        /* one slot at a time: scales to many backends */
        if (pr_st_out_prometheus(r, scope_vhost(r))) {
            return OK;
        }
    }
    else if (page_for(r, &pg)) {
        if (has_arg(r->args, "audit")) {
            pr_st_out_audit(r, &pg, has_arg(r->args, "json"));
        }
        else if (has_arg(r->args, "json")) {
            pr_st_out_json(r, &pg);
        }
        else {
            pr_st_out_html(r, &pg);
        }
        return OK;
    }
    apr_table_unset(r->headers_out, "Cache-Control");
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, PRE(0104)
                  "status: no shared memory (see the start-up log)");
    return HTTP_SERVICE_UNAVAILABLE;
}

/* The scope of the sections of /server-status (ours and the streams'
 * of pr_stream_stats.c): the same as our own page; nothing when
 * server-status itself was switched on from .htaccess. */
int pr_status_section_scope(request_rec *r, const char **vhost)
{
    if (handler_not_from_config(r)) {
        return 0;
    }
    *vhost = scope_vhost(r);
    return 1;
}

/* mod_status: a section of /server-status, plain text with ?auto. */
static int st_status_hook(request_rec *r, int flags)
{
    pr_st_page pg;
    const char *vhost;

    if (!pr_status_section_scope(r, &vhost) || !page_for(r, &pg)) {
        return OK;
    }
    if (flags & AP_STATUS_SHORT) {
        pr_st_out_auto(r, &pg);
        return OK;
    }
    ap_rputs("<hr />\n<h2>Proxy re-encryption (mod_proxy_reencrypt)</h2>\n", r);
    pr_st_out_table(r, &pg);
    return OK;
}

void pr_status_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_post_config(pr_st_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(pr_st_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(st_handler, NULL, NULL, APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ap, status_hook, st_status_hook, NULL, NULL, APR_HOOK_MIDDLE);
    pr_event_subscribe(pr_st_record);
}

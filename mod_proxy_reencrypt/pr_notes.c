/*
 * pr_notes.c: whether requests get the REENCRYPT_* notes
 * (ProxyReencryptNotes).
 *
 * The six notes cost about 0.5% of a pooled keep-alive request (six
 * apr_table_addn() calls), and they are read by nothing but what the
 * configuration names: a LogFormat's %{REENCRYPT_...}n, an expression's
 * note('REENCRYPT_...'). Under `auto` (the default) they are set when
 * some directive of the configuration read at start-up mentions one
 * (a case-insensitive "REENCRYPT_" in its arguments); `on` sets them
 * always (a reader the configuration does not show: a Lua or C module,
 * an .htaccess expression), `off` never. Status, metrics and log lines
 * do not depend on them.
 */
#include "pr_glue.h"

#include "apr_strings.h"
#include "http_config.h"

#define NOTES_AUTO 2

static int notes_mode = NOTES_AUTO;     /* as written (main server) */
int pr_notes_wanted = 1;                /* decided at post_config */

static const char *notes_at;            /* "file:line" where it was set */

const char *pr_set_notes_mode(cmd_parms *cmd, void *mc, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    int v;

    (void)mc;
    if (err) {
        return err;
    }
    if (!strcasecmp(arg, "on")) {
        v = 1;
    }
    else if (!strcasecmp(arg, "off")) {
        v = 0;
    }
    else if (!strcasecmp(arg, "auto")) {
        v = NOTES_AUTO;
    }
    else {
        return apr_psprintf(cmd->pool, "ProxyReencryptNotes: '%s' is not one of on, off, auto",
                            arg);
    }
    if (notes_at && v != notes_mode) {
        return apr_psprintf(cmd->pool, "ProxyReencryptNotes: '%s' conflicts with the value set "
                            "at %s in the same scope (a single-valued directive; remove one)",
                            arg, notes_at);
    }
    notes_mode = v;
    notes_at = apr_psprintf(cmd->pool, "%s:%d", cmd->directive->filename,
                            cmd->directive->line_num);
    return NULL;
}

static int mentions_notes(const ap_directive_t *d)
{
    for (; d; d = d->next) {
        if ((d->args && strcasestr(d->args, "REENCRYPT_")) || mentions_notes(d->first_child)) {
            return 1;
        }
    }
    return 0;
}

static int notes_pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp)
{
    (void)pconf;
    (void)plog;
    (void)ptemp;
    notes_mode = NOTES_AUTO;            /* a restart reads the directive again */
    notes_at = NULL;
    return OK;
}

static int notes_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                             server_rec *s)
{
    (void)pconf;
    (void)plog;
    (void)ptemp;
    (void)s;
    pr_notes_wanted = notes_mode == NOTES_AUTO ? mentions_notes(ap_conftree) : notes_mode;
    return OK;
}

void pr_notes_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_pre_config(notes_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(notes_post_config, NULL, NULL, APR_HOOK_MIDDLE);
}

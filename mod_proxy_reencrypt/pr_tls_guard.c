/*
 * pr_tls_guard.c: the two connection filters on every TLS backend
 * connection (policy off included: a connection is pooled per worker,
 * and the next request may belong to another <Proxy> scope).
 *
 * Output filter, above mod_ssl's: the handshake runs with the first
 * write, and mod_ssl marks any failure with the note SSL_connect_rv=err,
 * which mod_proxy turns into 500. The filter concludes the handshake's
 * outcome (pr_decide.c's pr_outcome_of): under enforce it rewrites the
 * note so the client gets 502 and puts a refused balancer member in
 * error for its retry interval; under audit it leaves mod_ssl's 500 and
 * mod_proxy's own failover exactly as they are, and reports a refusal by
 * mod_ssl as such. On later requests over the pooled connection it sets
 * the REENCRYPT_* notes.
 *
 * Input filter: before reusing a pooled connection mod_proxy checks it
 * with a speculative read through the connection's input filters
 * (ap_proxy_check_connection -> ap_check_pipeline). If the connection
 * was opened for another scope (other policy, SNI, names, client
 * certificate, PROXY header), the filter answers that read with an
 * error: mod_proxy then closes it and opens a fresh one for this
 * request. A mismatching connection is never used and never costs the
 * client an error. The check is the filter's only job, and the response
 * is read line by line through every input filter: the output filter
 * takes it out of the chain when the request is written (after the
 * check), and mod_proxy's release of the connection to its pool (which
 * binds mod_ssl's configuration again, ap_proxy_ssl_engine) puts the
 * same filter back, where ap_add_input_filter() would, for the next
 * request's check. Nothing is allocated per request.
 */
#include "pr_tls.h"
#include "pr_reload.h"

#include "http_ssl.h"
#include "util_filter.h"

#define GUARD_OUT "PROXY_REENCRYPT_GUARD"
#define GUARD_IN  "PROXY_REENCRYPT_REUSE"

/* May the pooled connection pc serve the request of rc? */
static int may_serve(pr_conn *pc, const pr_request_ctx *rc)
{
    const char *slot = NULL, *requested = rc->requested;
    unsigned char want[PR_FP_LEN];
    unsigned gen = pr_trust_gen(rc->pol);   /* trust files reloaded since? */
    pr_names names;

    if (rc->pol == pc->pol && gen == pc->trust_gen && rc->from_client == pc->from_client
        && (requested == pc->requested
            || (requested && pc->requested && !strcmp(requested, pc->requested)))) {
        return 1;                   /* the same interned scope, the same name */
    }
    pr_choose_names(rc->pol, requested, rc->from_client,
                    rc->worker ? rc->worker->s->hostname_ex : NULL, &slot, &names);
    pr_conn_key(rc->pol, &names, want);
    pr_conn_key_trust(want, gen);
    return pr_pooled_may_serve(pc->key, want);
}

static apr_status_t reuse_filter(ap_filter_t *f, apr_bucket_brigade *bb,
                                 ap_input_mode_t mode, apr_read_type_e block,
                                 apr_off_t readbytes)
{
    pr_conn *pc = f->ctx;
    const pr_request_ctx *rc;

    if (mode == AP_MODE_SPECULATIVE && pc->done && (rc = pr_current_request()) != NULL
        && rc->seq != pc->noted) {
        if (!may_serve(pc, rc)) {
            ap_log_cerror(APLOG_MARK, APLOG_DEBUG, 0, f->c, PRE(1012)
                          "the pooled connection to %s was opened for another scope "
                          "(policy, SNI, names, client certificate, PROXY header or trust "
                          "files reloaded since): "
                          "a fresh one is used", pc->backend);
            f->c->keepalive = AP_CONN_CLOSE;
            return APR_ECONNABORTED;
        }
        pc->served = rc->seq;       /* the output filter need not ask again */
    }
    return ap_get_brigade(f->next, bb, mode, block, readbytes);
}

/* Put the reuse filter back where ap_add_input_filter() puts a
 * connection filter: before the first one of a higher type. */
static void reuse_in(pr_conn *pc)
{
    ap_filter_t *f = pc->reuse_f, **at = &pc->c->input_filters;

    while (*at && (*at)->frec->ftype <= f->frec->ftype && (*at)->r == f->r) {
        at = &(*at)->next;
    }
    f->next = *at;
    *at = f;
    pc->reuse_in = 1;
}

/* From ssl_bind_outgoing (pr_handoff.c): mod_proxy binds a pooled
 * connection again when it releases it (and when it reuses it, after
 * the check). */
void pr_guard_rearm(void *conn_ctx, int enable)
{
    pr_conn *pc = conn_ctx;

    if (enable && pc->reuse_f && !pc->reuse_in && !pc->c->aborted) {
        reuse_in(pc);
    }
}

static void conclude_failure(pr_conn *pc, conn_rec *c)
{
    int by_modssl = !pc->refused_by_us;
    pr_outcome o;

    if (by_modssl && (!pc->judged || pc->verdict.reason == PR_REASON_NONE)) {
        pc->verdict.reason = pc->alert == SSL_AD_PROTOCOL_VERSION
                           ? PR_REASON_PROTOCOL : PR_REASON_HANDSHAKE;
        pc->verdict.client_fault = 0;
    }
    if (by_modssl && !pc->detail) {
        pc->detail = pr_bounds_detail(pc);     /* timeout, or OpenSSL's reason */
    }
    o = pr_outcome_of(pc->pol->policy, &pc->verdict, by_modssl, pc->names.as_modssl, !pc->r);
    pr_conclude(pc, NULL, &o);
    if (pc->session_key) {
        pr_session_forget(pc->session_key);
    }
    if (o.status == HTTP_BAD_GATEWAY) {
        /* Anything but "err" makes ap_proxy_pass_brigade answer 502. */
        apr_table_setn(c->notes, "SSL_connect_rv", "refused");
    }
    /* Not for health checks: mod_proxy_hcheck sets its own failed state
     * only on a worker that is not already in error. */
    if (o.member_in_error && pc->balancer_member && pc->worker
        && !(pc->worker->s->status & PROXY_WORKER_IGNORE_ERRORS)) {
        pc->worker->s->error_time = apr_time_now();
        pc->worker->s->status |= PROXY_WORKER_IN_ERROR;
    }
}

static apr_status_t guard_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    pr_conn *pc = f->ctx;
    conn_rec *c = f->c;
    const pr_request_ctx *rc;
    apr_status_t rv;
    const char *note;

    if (pc->reuse_in) {
        /* Writing a request: the connection was checked, if at all. */
        ap_remove_input_filter(pc->reuse_f);
        pc->reuse_in = 0;
    }
    if (pc->done && (rc = pr_current_request()) != NULL && rc->seq != pc->noted) {
        /* A later request on this pooled connection. mod_proxy checked it
         * first (reuse_filter; mod_proxy_http2 too, in
         * ap_proxy_connect_backend); a path that does not still never
         * sends a request over a connection of another scope. */
        if (rc->seq != pc->served && !may_serve(pc, rc)) {
            c->aborted = 1;
            apr_brigade_cleanup(bb);
            return APR_ECONNABORTED;
        }
        if (pc->pol->policy != PR_POLICY_OFF) {
            pr_set_notes(pc, rc->r, rc->seq);
        }
        pc->noted = rc->seq;
    }
    rv = ap_pass_brigade(f->next, bb);
    if (pc->done || (note = apr_table_get(c->notes, "SSL_connect_rv")) == NULL) {
        return rv;                  /* handshake long done, or not run yet */
    }
    pc->done = 1;
    if (pc->pol->policy != PR_POLICY_OFF) {
        if (!strcmp(note, "err")) {
            conclude_failure(pc, c);
        }
        if (pc->r) {
            pr_set_notes(pc, pc->r, pc->noted);
        }
    }
    pc->r = NULL;
    return rv;
}

void pr_guard_add(pr_conn *pc)
{
    ap_add_output_filter(GUARD_OUT, pc, NULL, pc->c);
    pc->reuse_f = ap_add_input_filter(GUARD_IN, pc, NULL, pc->c);
    pc->reuse_in = 1;
}

void pr_guard_register(void)
{
    ap_register_output_filter(GUARD_OUT, guard_filter, NULL, AP_FTYPE_CONNECTION);
    ap_register_input_filter(GUARD_IN, reuse_filter, NULL, AP_FTYPE_CONNECTION);
}

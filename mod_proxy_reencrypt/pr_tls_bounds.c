/*
 * pr_tls_bounds.c: bounded work per backend handshake (issue 12).
 *
 * Time. mod_ssl runs the handshake with a backend lazily, inside its
 * connection filters, on the first write (SSL_connect from
 * ssl_io_filter_handshake); every read and write is bounded only by the
 * socket's timeout, which mod_proxy sets to the worker's `timeout` after
 * the pre_connection hooks ran (ap_proxy_connection_create_ex saves and
 * restores it around them, so a timeout set in a hook does not last).
 * A backend that accepts TCP and never answers the ClientHello thus held
 * a request for the whole `Timeout`. The module puts a pair of
 * connection filters between mod_ssl's (AP_FTYPE_CONNECTION + 5) and the
 * core's network filters: while the handshake runs, before each read
 * and write they set the socket's timeout to what is left until the
 * handshake's deadline (never more than the worker's own), so the whole
 * handshake is bounded, not each read. A read that times out there is
 * a timeout of the handshake: mod_ssl's SSL_connect fails, the guard
 * filter (pr_tls_guard.c) concludes it with reason `handshake` and
 * detail `timeout`. Once OpenSSL reports the handshake done (info
 * callback, SSL_CB_HANDSHAKE_DONE) the filters put the worker's timeout
 * back and remove themselves. Health checks (mod_proxy_hcheck) open their
 * connections through the same hooks, so they are bounded the same way.
 * A tls-mode stream (pr_stream_tls.c) drives its own SSL_connect on a
 * non-blocking socket: pr_bounds_begin() gives it the same deadline, it
 * polls until then and sets hs_timed_out.
 *
 * Detail. mod_ssl logs OpenSSL's reason for a failed handshake at
 * `info` only, and empties the error queue while doing so. The info
 * callback keeps the reason (a static OpenSSL string: "wrong version
 * number", "unexpected eof while reading", "excessive message size",
 * "tlsv1 alert protocol version", ...) when SSL_connect gives up, for
 * the module's one line at `error`.
 *
 * Chain. The Certificate message is bounded in bytes by OpenSSL
 * (max_cert_list, set explicitly under enforce); the number of
 * certificates is bounded here, before any verification work on them
 * (pr_chain_limit() in pr_decide.c).
 */
#include "pr_tls.h"

#include "apr_strings.h"
#include "util_filter.h"

#include <openssl/err.h>

#include "pr_x509.h"

#define HS_TIME "PROXY_REENCRYPT_HS_TIME"

/* Put the worker's timeout back once the handshake is over. */
static int hs_over(pr_conn *pc, apr_socket_t *sock)
{
    if (!pc->hs_over && !pc->done) {
        return 0;
    }
    if (pc->hs_saved_set && sock) {
        apr_socket_timeout_set(sock, pc->hs_saved);
        pc->hs_saved_set = 0;
    }
    return 1;
}

/* Before a read or write of the handshake: the socket's timeout is what
 * is left until the deadline (at most the worker's). APR_TIMEUP when
 * nothing is left. */
static apr_status_t arm(pr_conn *pc, apr_socket_t *sock)
{
    apr_interval_time_t left = pc->hs_deadline - apr_time_now();

    if (!sock) {
        return APR_SUCCESS;
    }
    if (!pc->hs_saved_set) {
        apr_socket_timeout_get(sock, &pc->hs_saved);
        pc->hs_saved_set = 1;
    }
    if (left <= 0) {
        pc->hs_timed_out = 1;
        return APR_TIMEUP;
    }
    pc->hs_ours = pc->hs_saved < 0 || left <= pc->hs_saved;
    apr_socket_timeout_set(sock, pc->hs_ours ? left : pc->hs_saved);
    return APR_SUCCESS;
}

static void note_timeup(pr_conn *pc, apr_status_t rv)
{
    if (APR_STATUS_IS_TIMEUP(rv) && pc->hs_ours) {
        pc->hs_timed_out = 1;
    }
}

static apr_status_t hs_time_in(ap_filter_t *f, apr_bucket_brigade *bb, ap_input_mode_t mode,
                               apr_read_type_e block, apr_off_t readbytes)
{
    pr_conn *pc = f->ctx;
    apr_socket_t *sock = ap_get_conn_socket(f->c);
    apr_status_t rv;

    if (hs_over(pc, sock)) {
        ap_remove_input_filter(f);
        return ap_get_brigade(f->next, bb, mode, block, readbytes);
    }
    if ((rv = arm(pc, sock)) != APR_SUCCESS) {
        return rv;
    }
    rv = ap_get_brigade(f->next, bb, mode, block, readbytes);
    note_timeup(pc, rv);
    return rv;
}

static apr_status_t hs_time_out(ap_filter_t *f, apr_bucket_brigade *bb)
{
    pr_conn *pc = f->ctx;
    apr_socket_t *sock = ap_get_conn_socket(f->c);
    apr_status_t rv;

    if (hs_over(pc, sock)) {
        ap_remove_output_filter(f);
        return ap_pass_brigade(f->next, bb);
    }
    if ((rv = arm(pc, sock)) != APR_SUCCESS) {
        apr_brigade_cleanup(bb);
        return rv;
    }
    rv = ap_pass_brigade(f->next, bb);
    note_timeup(pc, rv);
    return rv;
}

/* mod_ssl's own callback (SSL_CTX_set_info_callback) is called first:
 * a per-connection callback replaces the context's. */
static void info_cb(const SSL *ssl, int where, int ret)
{
    void (*ctx_cb)(const SSL *, int, int) = SSL_CTX_get_info_callback(SSL_get_SSL_CTX(ssl));
    pr_conn *pc = SSL_get_ex_data(ssl, pr_ssl_idx);

    if (ctx_cb) {
        ctx_cb(ssl, where, ret);
    }
    if (!pc) {
        return;
    }
    if (where & SSL_CB_HANDSHAKE_DONE) {
        pc->hs_over = 1;
    }
    else if ((where & SSL_CB_EXIT) && ret <= 0 && !pc->hs_over && !pc->ssl_error
             && SSL_get_error(ssl, ret) == SSL_ERROR_SSL) {
        unsigned long e = ERR_peek_last_error();
        const char *why = e ? ERR_reason_error_string(e) : NULL;

        pc->ssl_error = why ? why : "TLS error";
    }
}

int pr_bounds_begin(pr_conn *pc, SSL *ssl)
{
    int secs = pr_handshake_timeout(pc->pol);

    SSL_set_info_callback(ssl, info_cb);
    if (pc->pol->policy == PR_POLICY_ENFORCE) {
        SSL_set_max_cert_list(ssl, PR_MAX_CHAIN_BYTES);
    }
    pc->hs_deadline = secs > 0 ? apr_time_now() + apr_time_from_sec(secs) : 0;
    return secs;
}

void pr_bounds_pre_handshake(pr_conn *pc, SSL *ssl)
{
    if (pr_bounds_begin(pc, ssl) > 0) {
        ap_add_input_filter(HS_TIME, pc, NULL, pc->c);
        ap_add_output_filter(HS_TIME, pc, NULL, pc->c);
    }
}

const char *pr_bounds_detail(const pr_conn *pc)
{
    return pc->hs_timed_out ? "timeout" : pc->ssl_error;
}

int pr_bound_chain(pr_conn *pc, X509 *leaf, STACK_OF(X509) *untrusted)
{
    int n = (untrusted ? sk_X509_num(untrusted) : 0), limit = pr_chain_limit(pc->pol);

    /* The leaf is the first of the peer's chain; count it if it is not. */
    if (leaf && (n == 0 || X509_cmp(sk_X509_value(untrusted, 0), leaf) != 0)) {
        ++n;
    }
    if (n <= limit) {
        return 0;
    }
    pc->verdict.reason = PR_REASON_HANDSHAKE;
    pc->verdict.client_fault = 0;
    pc->verdict.expiring_warning = 0;
    pc->judged = 1;
    pc->detail = apr_psprintf(pc->c->pool, "chain of %d certificates exceeds %d", n, limit);
    if (leaf) {
        pc->days_left = pr_x509_days_left(leaf);
        pr_keep_leaf(pc, leaf);
        pr_leaf_info_of(leaf, &pc->cert);
    }
    return 1;
}

void pr_bounds_register(void)
{
    /* Below mod_ssl's filters (CONNECTION + 5), above the core's. */
    ap_register_input_filter(HS_TIME, hs_time_in, NULL, AP_FTYPE_CONNECTION + 7);
    ap_register_output_filter(HS_TIME, hs_time_out, NULL, AP_FTYPE_CONNECTION + 7);
}

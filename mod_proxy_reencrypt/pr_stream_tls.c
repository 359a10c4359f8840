/*
 * pr_stream_tls.c: tls mode, the client handshake to a stream backend.
 *
 * The same engine as an HTTP backend: the vhost's resolved policy for
 * tls://host:port (pr_stream_policy), names and SNI from
 * pr_choose_names(), the module's own verification and verdict in
 * pr_cert_verify() (installed on the vhost's SSL_CTX), the outcome from
 * pr_outcome_of(), one log line and one event per handshake through
 * pr_conclude() (so the status page has a row per backend), and the
 * session cache of pr_tls_session.c. What differs from HTTP is only what
 * a refusal means: the stream tries the route's next backend, since no
 * byte has been relayed yet.
 *
 * Under audit OpenSSL is told not to fail the handshake on its own
 * verification (there is no stock behaviour to keep: mod_ssl does not
 * do streams); a bad backend is relayed to and reported as "would
 * refuse". An identity written down (ProxyReencryptExpectName/SNI) is
 * enforced as mod_ssl enforces its own, as for HTTP.
 *
 * The handshake is bounded as an HTTP backend's (pr_tls_bounds.c):
 * ProxyReencryptHandshakeTimeout where pr_handshake_timeout() applies it
 * (enforce; audit when written down), else the stream's connect timeout;
 * one that runs out is refused with reason handshake, detail "timeout",
 * and the route's next backend is tried.
 */
#include "pr_glue.h"
#include "pr_stream.h"

#include "apr_strings.h"

#include <errno.h>
#include <poll.h>

#include <openssl/err.h>

#include "pr_tls.h"
#include "pr_reload.h"

/* Drive SSL_connect on a non-blocking socket until done or the deadline. */
static int handshake(SSL *ssl, int fd, apr_time_t deadline)
{
    for (;;) {
        int rv = SSL_connect(ssl), err;
        struct pollfd pf = { fd, 0, 0 };
        apr_time_t now;

        if (rv == 1) {
            return 0;
        }
        err = SSL_get_error(ssl, rv);
        if (err == SSL_ERROR_WANT_READ) {
            pf.events = POLLIN;
        }
        else if (err == SSL_ERROR_WANT_WRITE) {
            pf.events = POLLOUT;
        }
        else {
            return -1;
        }
        now = apr_time_now();
        if (now >= deadline || poll(&pf, 1, (int)apr_time_as_msec(deadline - now) + 1) <= 0) {
            return -2;
        }
    }
}

int pr_stream_tls_connect(conn_rec *c, const pr_stream_conf *sc, const pr_stream_backend *b,
                          int fd, long timeout, SSL **out)
{
    const char *url;
    const pr_resolved *pol = pr_stream_policy(c->base_server, b, c->pool, &url);
    pr_client_cert *cc;
    pr_outcome o;
    pr_conn *pc;
    SSL *ssl;
    int rv;

    *out = NULL;
    if (!(ssl = SSL_new(sc->ctx))) {
        ERR_clear_error();
        return -1;
    }
    pc = apr_pcalloc(c->pool, sizeof(*pc));
    pc->c = c;
    pc->ssl = ssl;
    pc->alert = -1;
    pc->pol = pol;
    pc->stream = 1;
    pc->peer_ip = b->host;
    pc->peer_port = b->port;
    pc->vhost = pr_vhost_name(c->pool, c->base_server);
    pc->backend = url;
    pc->requested = b->host;
    pr_choose_names(pol, pc->requested, 0, b->host, &pc->name_slot, &pc->names);
    pr_conn_key(pol, &pc->names, pc->key);
    pr_trust_take(pc);
    SSL_set_ex_data(ssl, pr_ssl_idx, pc);
    SSL_set_fd(ssl, fd);
    SSL_set_connect_state(ssl);

    if (pol->policy != PR_POLICY_OFF) {
        SSL_set_msg_callback(ssl, pr_tls_msg_cb);
        SSL_set_msg_callback_arg(ssl, pc);
    }
    if (pc->names.sni && !SSL_set_tlsext_host_name(ssl, pc->names.sni)) {
        ERR_clear_error();
    }
    /* Enforce: pr_cert_verify's verdict fails the handshake. Audit and
     * off: OpenSSL does not fail it; the verdict is reported. */
    SSL_set_verify(ssl, pol->policy == PR_POLICY_ENFORCE ? SSL_VERIFY_PEER : SSL_VERIFY_NONE,
                   NULL);
    if (pol->policy == PR_POLICY_ENFORCE) {
        SSL_set_min_proto_version(ssl, pol->min_proto);
    }
    if ((cc = (pr_client_cert *)pol->client) != NULL
        && (SSL_use_certificate(ssl, cc->leaf) != 1 || SSL_use_PrivateKey(ssl, cc->key) != 1
            || SSL_set1_chain(ssl, cc->chain) != 1)) {
        ap_log_cerror(APLOG_MARK, APLOG_ERR, 0, c, PRE(2020)
                      "stream backend %s: cannot use the client certificate %s", url,
                      cc->cert_file);
        SSL_free(ssl);
        return -1;
    }
    if (pol->policy != PR_POLICY_OFF) {
        pr_session_offer(pc, ssl);
    }

    /* The handshake's bound: ProxyReencryptHandshakeTimeout where it
     * applies, decided as for HTTP (pr_bounds_begin); else the stream's
     * connect timeout. */
    if (!pr_bounds_begin(pc, ssl)) {
        pc->hs_deadline = apr_time_now() + apr_time_from_sec(timeout);
    }
    rv = handshake(ssl, fd, pc->hs_deadline);
    pc->hs_timed_out = rv == -2;
    if (pol->policy == PR_POLICY_OFF) {
        if (rv) {
            ap_log_cerror(APLOG_MARK, APLOG_WARNING, 0, c, PRE(2021)
                          "stream backend %s (vhost %s): TLS handshake failed", url, pc->vhost);
            ERR_clear_error();
            SSL_free(ssl);
            return -1;
        }
        *out = ssl;
        return 0;
    }
    if (rv == 0) {
        pc->protocol = SSL_get_version(ssl);
        if (SSL_session_reused(ssl)) {
            pc->resumed = 1;
            pr_rejudge(pc, ssl);
        }
        else if (!pc->judged) {
            pc->verdict.reason = PR_REASON_NO_CERTIFICATE;
            pc->judged = 1;
        }
        if (pc->verdict.reason == PR_REASON_NONE && SSL_version(ssl) < pol->min_proto) {
            pc->verdict.reason = PR_REASON_PROTOCOL;
        }
        o = pr_outcome_of(pol->policy, &pc->verdict, 0, pc->names.as_modssl, 0);
        if (!o.refuse) {
            pr_conclude(pc, ssl, &o);
            *out = ssl;
            return 0;
        }
        pc->refused_by_us = 1;
    }
    else if (!pc->refused_by_us) {
        /* The handshake failed by itself (timeout, no TLS, protocol). */
        if (!pc->judged || pc->verdict.reason == PR_REASON_NONE) {
            pc->verdict.reason = pc->alert == SSL_AD_PROTOCOL_VERSION
                               ? PR_REASON_PROTOCOL : PR_REASON_HANDSHAKE;
            pc->verdict.client_fault = 0;
        }
        if (!pc->detail) {
            pc->detail = pr_bounds_detail(pc);     /* timeout, or OpenSSL's reason */
        }
    }
    o = pr_outcome_of(pol->policy, &pc->verdict, !pc->refused_by_us, pc->names.as_modssl, 0);
    if (!pc->refused_by_us) {
        o.word = rv == -2 ? "refused (handshake timeout)" : "refused (handshake failed)";
    }
    o.refuse = 1;
    pr_conclude(pc, NULL, &o);
    if (pc->session_key) {
        pr_session_forget(pc->session_key);
    }
    ERR_clear_error();
    SSL_free(ssl);
    return -1;
}

void pr_stream_tls_close(SSL *ssl)
{
    pr_conn *pc = SSL_get_ex_data(ssl, pr_ssl_idx);

    if (pc) {
        pc->ssl = NULL;
    }
    SSL_set_quiet_shutdown(ssl, 1);
    SSL_free(ssl);
}

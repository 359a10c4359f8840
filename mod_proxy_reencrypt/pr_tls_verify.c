/*
 * pr_tls_verify.c: the verification of a backend's certificate and what
 * follows from it.
 *
 * A cert_verify_callback on every proxy SSL_CTX runs the module's own
 * verification (its X509_STORE_CTX: the policy's trust store, depth and
 * CRLs), then names, pins and the expiry window with OpenSSL's own
 * functions (pr_x509.c), then the verdict (pr_decide.c). Under enforce a
 * refusal fails the handshake: the backend gets an alert, never the
 * request. Under audit mod_ssl's own verification decides, exactly as
 * without the module; the verdict is only reported.
 *
 * One outcome per handshake (pr_conclude): logged once, recorded as one
 * event, kept for the request notes. It is concluded when the handshake
 * is over: after it succeeded (post_handshake) or failed (the guard
 * filter), so that a refusal by mod_ssl itself is reported as such.
 */
#include "pr_tls.h"

#include "apr_strings.h"

#include <openssl/x509v3.h>

#include "pr_loglimit.h"
#include "pr_x509.h"

int pr_ssl_idx = -1;

/* ------------------------------------------------------------------ */
/* The event, the log line, the request notes.                          */

static void record(pr_conn *pc, SSL *ssl, pr_verdict_kind kind)
{
    pr_event ev;
    const pr_leaf_info *ci = &pc->cert;

    memset(&ev, 0, sizeof(ev));
    ev.backend = pc->backend;
    ev.vhost = pc->vhost;
    ev.policy = pc->pol->policy;
    ev.reason = pc->verdict.reason;
    ev.client_fault = pc->verdict.client_fault;
    ev.verdict = kind;
    ev.resumed = pc->resumed;
    ev.expiring = pc->verdict.expiring_warning;
    ev.ocsp = pc->ocsp;
    ev.ocsp_next = pc->ocsp_next ? apr_time_from_sec(pc->ocsp_next) : 0;
    ev.ocsp_responder = pc->ocsp_responder;
    ev.crl_next = pc->crl_next ? apr_time_from_sec(pc->crl_next) : 0;
    if (pc->leaf) {
        /* what is shown of the leaf: pc->cert, filled with pc->leaf */
        ev.have_cert = 1;
        ev.days_left = pc->days_left;
        ev.subject = ci->subject;
        ev.issuer = ci->issuer;
        ev.sans = ci->sans[0] ? ci->sans : NULL;
        ev.not_after = ci->not_after;
        ev.pin = ci->pin;
        ev.fingerprint = ci->fingerprint;
        ev.serial = ci->serial;
        ev.chain_not_after = apr_time_from_sec(pc->chain_not_after);
    }
    if (ssl && SSL_get_current_cipher(ssl)) {
        ev.protocol = SSL_get_version(ssl);
        ev.cipher = SSL_get_cipher_name(ssl);
    }
    pr_event_emit(pc->c->base_server, &ev);
}

#define REFUSED_KEY "proxy_reencrypt:refused"

static void put_notes(pr_conn *pc, request_rec *r, const pr_outcome *o)
{
    /* The notes' names share APR's table checksum (their first four
     * letters), so each setn compares its name with every note set
     * before it. The first time for a request (the usual case) they are
     * added; a retry of the request on another backend replaces them. */
    void (*put)(apr_table_t *, const char *, const char *) =
        apr_table_get(r->notes, "REENCRYPT_BACKEND") ? apr_table_setn : apr_table_addn;

    put(r->notes, "REENCRYPT_BACKEND", pc->backend);
    put(r->notes, "REENCRYPT_VERDICT", o->kind == PR_VERDICT_REFUSED ? "refused"
        : o->kind == PR_VERDICT_AUDIT ? "audit" : "ok");
    put(r->notes, "REENCRYPT_REASON",
        pc->verdict.reason == PR_REASON_NONE ? "-" : pr_reason_name(pc->verdict.reason));
    if (pc->cert.subject[0] && (!pc->days_note || pc->days_noted != pc->days_left)) {
        /* once per connection (not per request): its certificate's days */
        pc->days_note = apr_ltoa(pc->c->pool, pc->days_left);
        pc->days_noted = pc->days_left;
    }
    put(r->notes, "REENCRYPT_DAYS_LEFT", pc->cert.subject[0] ? pc->days_note : "-");
    put(r->notes, "REENCRYPT_RESUMED", pc->resumed ? "1" : "0");
    put(r->notes, "REENCRYPT_PROTOCOL", pc->protocol ? pc->protocol : "-");
}

/* The request's REENCRYPT_* notes, when wanted (pr_notes.c), and which
 * attempt was refused (pr_refused_attempt). */
void pr_set_notes(pr_conn *pc, request_rec *r, apr_uint32_t seq)
{
    const pr_outcome *o = &pc->outcome;

    if (pr_notes_wanted) {
        put_notes(pc, r, o);
    }
    pc->noted = seq;
    if (o->status == HTTP_BAD_GATEWAY) {
        /* refused under enforce: which attempt (pr_refused_attempt) */
        apr_uint32_t *at = apr_palloc(r->pool, sizeof(*at));

        *at = seq;
        apr_pool_userdata_setn(at, REFUSED_KEY, NULL, r->pool);
    }
}

int pr_refused_attempt(request_rec *r, apr_uint32_t seq)
{
    void *at = NULL;

    apr_pool_userdata_get(&at, REFUSED_KEY, r->pool);
    return at && *(const apr_uint32_t *)at == seq;
}

/* One line per refusal, with what an operator needs; at most one a
 * second per child for a backend, vhost, reason and outcome (health
 * checks, which repeat every few seconds: one a minute), the next line
 * written saying how many were suppressed (pr_loglimit.c). */
static void log_line(pr_conn *pc, int level, const char *what)
{
    const char *reason = pr_reason_name(pc->verdict.reason);
    const char *peer, *detail, *extra, *note;
    int hc = !pc->r && !pc->stream;

    if (!pr_loglimit(pc->c->pool, pc->vhost, pc->backend, reason, hc ? "health check" : what,
                     hc ? PR_HC_LOG_INTERVAL : PR_LOG_INTERVAL, &note)) {
        return;
    }
    peer = pc->cert.subject[0]
        ? apr_psprintf(pc->c->pool, "; subject=\"%s\"; issuer=\"%s\"; days_left=%ld",
                       pc->cert.subject, pc->cert.issuer, pc->days_left)
        : "; no peer certificate";
    detail = pc->detail ? apr_psprintf(pc->c->pool, "; detail=\"%s\"", pc->detail) : "";
    extra = pc->resumed ? " (resumed session)"
          : pc->verdict.client_fault ? " (the name was chosen by the client: "
                                       "the member stays in service)" : "";
    if (pc->stream) {
        ap_log_cerror(APLOG_MARK, level, 0, pc->c, PRE(1010) "%s stream backend %s (vhost %s): "
                      "reason=%s%s%s%s%s", what, pc->backend, pc->vhost, reason, peer, detail,
                      extra, note);
    }
    else if (pc->r) {
        ap_log_rerror(APLOG_MARK, level, 0, pc->r, PRE(1010) "%s backend %s (vhost %s): "
                      "reason=%s%s%s%s%s", what, pc->backend, pc->vhost, reason, peer, detail,
                      extra, note);
    }
    else {
        ap_log_cerror(APLOG_MARK, level, 0, pc->c, PRE(1010) "%s backend %s (vhost %s): "
                      "reason=%s%s%s%s (health check; repeated at most once a minute)%s",
                      what, pc->backend, pc->vhost, reason, peer, detail, extra, note);
    }
}

void pr_conclude(pr_conn *pc, SSL *ssl, const pr_outcome *o)
{
    pc->outcome = *o;
    if (pc->concluded) {
        return;
    }
    pc->concluded = 1;
    if (o->log_level) {
        log_line(pc, o->log_level == 3 ? APLOG_ERR : APLOG_WARNING, o->word);
    }
    else if (pc->verdict.expiring_warning && pr_status_should_warn(pc->backend, pc->vhost)) {
        ap_log_cerror(APLOG_MARK, APLOG_WARNING, 0, pc->c, PRE(1011)
                      "backend %s (vhost %s): certificate expires in %ld days "
                      "(warn window %ld days); subject=\"%s\"; issuer=\"%s\"",
                      pc->backend, pc->vhost, pc->days_left, pc->pol->warn_days,
                      pc->cert.subject, pc->cert.issuer);
    }
    record(pc, ssl, o->kind);
}

/* ------------------------------------------------------------------ */
/* Verification.                                                        */

static pr_conn *conn_of_store_ctx(X509_STORE_CTX *sctx)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(sctx, SSL_get_ex_data_X509_STORE_CTX_idx());
    return ssl ? SSL_get_ex_data(ssl, pr_ssl_idx) : NULL;
}

/* Verify callback of the module's own verifications: record every chain
 * error and go on, so that the verdict sees all of them. */
static int record_cb(int ok, X509_STORE_CTX *sctx)
{
    pr_conn *pc = conn_of_store_ctx(sctx);

    if (pc && !ok) {
        pc->chain_errors |= pr_x509_error_bit(X509_STORE_CTX_get_error(sctx));
        pr_ocsp_note_chain_error(pc, X509_STORE_CTX_get_error(sctx));
    }
    return 1;
}

static apr_status_t free_leaf(void *data)
{
    pr_conn *pc = data;

    X509_free(pc->leaf);
    pc->leaf = NULL;
    return APR_SUCCESS;
}

/* pc->leaf: the peer judged last, a reference freed with the connection. */
void pr_keep_leaf(pr_conn *pc, X509 *leaf)
{
    if (leaf == pc->leaf) {
        return;
    }
    if (!pc->leaf) {
        apr_pool_cleanup_register(pc->c->pool, pc, free_leaf, apr_pool_cleanup_null);
    }
    X509_free(pc->leaf);
    X509_up_ref(leaf);
    pc->leaf = leaf;
}

#define PIN_CERTS_MAX 16

/* Judge the peer: leaf and chain (the verified chain on a full
 * handshake, the certificates of the session on a resumed one). */
static void judge(pr_conn *pc, X509 *leaf, STACK_OF(X509) *chain)
{
    const pr_resolved *pol = pc->pol;
    pr_observation obs;

    memset(&obs, 0, sizeof(obs));
    obs.chain_errors = pc->chain_errors;
    obs.have_cert = leaf != NULL;
    obs.pin = -1;
    if (leaf) {
        pr_keep_leaf(pc, leaf);
        pr_leaf_info_of(leaf, &pc->cert);
        obs.days_left = pc->days_left = pr_x509_days_left(leaf);
        if (X509_cmp_current_time(X509_get0_notBefore(leaf)) > 0) {
            obs.chain_errors |= PR_REASON_BIT(PR_REASON_NOT_YET_VALID);
        }
        if (pc->names.check) {
            /* No name at all (an HTTP/1.0 request without Host under
             * ProxyPreserveHost, say) is a mismatch, not a pass. */
            obs.name_checked = 1;
            obs.name_ok = pc->names.n
                && pr_x509_names_match(leaf, pc->names.names, pc->names.n);
            obs.name_from_client = pc->names.from_client;
        }
        if (pol->n_pins) {
            unsigned char spki[PIN_CERTS_MAX][32];
            size_t n = 0;
            int i;

            if (pr_x509_spki_sha256(leaf, spki[n]) == 0) {
                ++n;
            }
            for (i = 0; chain && i < sk_X509_num(chain) && n < PIN_CERTS_MAX; ++i) {
                if (pr_x509_spki_sha256(sk_X509_value(chain, i), spki[n]) == 0) {
                    ++n;
                }
            }
            obs.pin = n ? pr_pin_match(pol, (const unsigned char (*)[32])spki, n) : 0;
        }
    }
    pc->verdict = pr_decide(pol, &obs);
    pc->facts.obs = obs;
    pc->judged = 1;
}

/* The time-dependent facts of a full handshake's verdict, kept with its
 * session (pr_tls_session.c): the leaf's notAfter, the chain's earliest
 * notAfter and latest notBefore, the policy CRLs' earliest nextUpdate;
 * and, for what a resumed session shows, the earliest notAfter of the
 * certificates the backend sent (sent: the peer's chain, leaf included;
 * mostly the very certificates of the verified chain). */
#define KNOWN_MAX 16

static void keep_facts(pr_conn *pc, X509 *leaf, STACK_OF(X509) *chain, STACK_OF(X509) *sent)
{
    pr_session_facts *f = &pc->facts;
    X509 *known[KNOWN_MAX];
    long long t, known_t[KNOWN_MAX];
    int i, k, nknown = 0, n = chain ? sk_X509_num(chain) : 0;

    f->leaf_not_after = f->chain_not_after = f->chain_not_before = f->crl_next_update = 0;
    f->sent_not_after = 0;
    pc->have_facts = 0;
    if (leaf && (pr_x509_unix_time(X509_get0_notAfter(leaf), &f->leaf_not_after)
                 || pr_x509_unix_time(X509_get0_notBefore(leaf), &f->chain_not_before))) {
        return;                     /* no facts: the session is not kept */
    }
    f->chain_not_after = f->sent_not_after = f->leaf_not_after;
    for (i = 0; i < n; ++i) {
        X509 *x = sk_X509_value(chain, i);

        if (x == leaf) {
            continue;               /* read above */
        }
        if (pr_x509_unix_time(X509_get0_notAfter(x), &t)) {
            return;
        }
        if (t < f->chain_not_after) f->chain_not_after = t;
        if (nknown < KNOWN_MAX) {
            known[nknown] = x;
            known_t[nknown++] = t;
        }
        if (pr_x509_unix_time(X509_get0_notBefore(x), &t)) {
            return;
        }
        if (t > f->chain_not_before) f->chain_not_before = t;
    }
    /* as pr_x509_chain_not_after(leaf, sent) counts it: unreadable skipped */
    for (i = 0; sent && i < sk_X509_num(sent); ++i) {
        X509 *x = sk_X509_value(sent, i);

        if (x == leaf) {
            continue;
        }
        for (k = 0; k < nknown && known[k] != x; ++k) {
        }
        t = k < nknown ? known_t[k] : pr_x509_not_after_unix(x);
        if (t && (!f->sent_not_after || t < f->sent_not_after)) {
            f->sent_not_after = t;
        }
    }
    if (pc->pol->crl_check != PR_CRL_NONE && pc->crls) {
        for (i = 0; i < sk_X509_CRL_num(pc->crls); ++i) {
            const ASN1_TIME *nu = X509_CRL_get0_nextUpdate(sk_X509_CRL_value(pc->crls, i));

            if (nu && !pr_x509_unix_time(nu, &t) && (!f->crl_next_update || t < f->crl_next_update)) {
                f->crl_next_update = t;
            }
        }
    }
    pc->have_facts = 1;
}

/* The policy's CRLs, checked for the leaf or the whole chain. Without a
 * CRL file of its own the check uses the CRLs of the trust store in use
 * (mod_ssl's SSLProxyCARevocationFile/Path live in mod_ssl's store);
 * with none anywhere the certificate cannot be checked and is refused
 * (fail closed; start-up already said so: PRE0015). */
static void apply_crls(X509_STORE_CTX *sctx, const pr_resolved *pol,
                       STACK_OF(X509_CRL) *crls)
{
    if (pol->crl_check != PR_CRL_NONE) {
        if (crls) {
            X509_STORE_CTX_set0_crls(sctx, crls);
        }
        X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(sctx),
                                    X509_V_FLAG_CRL_CHECK
                                    | (pol->crl_check == PR_CRL_CHAIN ? X509_V_FLAG_CRL_CHECK_ALL : 0));
    }
}

/* The module's own verification of the peer, apart from mod_ssl's: the
 * policy's trust store (else mod_ssl's), depth and CRLs, then the
 * verdict. Returns the chain built (in *built, a new reference). */
static void verify_and_judge(pr_conn *pc, SSL *ssl, X509 *leaf,
                             STACK_OF(X509) *untrusted, STACK_OF(X509) **built)
{
    const pr_resolved *pol = pc->pol;
    X509_STORE *st = pc->store ? pc->store : SSL_CTX_get_cert_store(SSL_get_SSL_CTX(ssl));
    X509_STORE_CTX *sctx = NULL;
    STACK_OF(X509) *chain = NULL;

    pc->chain_errors = 0;
    pc->detail = NULL;
    pr_crl_freshness(pc);
    if (leaf && pol->verify != PR_VERIFY_OFF && (sctx = X509_STORE_CTX_new()) != NULL
        && X509_STORE_CTX_init(sctx, st, leaf, untrusted)) {
        X509_STORE_CTX_set_ex_data(sctx, SSL_get_ex_data_X509_STORE_CTX_idx(), ssl);
        X509_STORE_CTX_set_default(sctx, "ssl_server");
        X509_STORE_CTX_set_verify_cb(sctx, record_cb);
        X509_VERIFY_PARAM_set_depth(X509_STORE_CTX_get0_param(sctx), pol->depth);
        apply_crls(sctx, pol, pc->crls);
        if (X509_verify_cert(sctx) <= 0 && !pc->chain_errors) {
            /* OpenSSL failed without naming an error (memory, invalid
             * call): that is no verified chain. */
            pc->chain_errors |= PR_REASON_BIT(PR_REASON_UNTRUSTED);
        }
        chain = X509_STORE_CTX_get0_chain(sctx);
        if (built && chain) {
            *built = X509_chain_up_ref(chain);
        }
    }
    else if (leaf && pol->verify != PR_VERIFY_OFF) {
        pc->chain_errors |= PR_REASON_BIT(PR_REASON_UNTRUSTED);
    }
    judge(pc, leaf, chain);
    keep_facts(pc, leaf, chain, untrusted);
    if (leaf) {
        /* earliest notAfter of leaf and chain: read once, in keep_facts */
        pc->chain_not_after = pc->have_facts ? pc->facts.chain_not_after
                                             : pr_x509_chain_not_after(leaf, chain);
    }
    X509_STORE_CTX_free(sctx);
}

/* A resumed session: the facts came with the session the module offered
 * (pr_session_offer); see pr_tls_session.c for why only the time-dependent
 * checks are redone. */
void pr_rejudge(pr_conn *pc, SSL *ssl)
{
    X509 *leaf = SSL_get0_peer_certificate(ssl);

    if (!pc->offered || !pc->have_facts) {
        verify_and_judge(pc, ssl, leaf, SSL_get_peer_cert_chain(ssl), NULL);
        return;
    }
    if (leaf) {
        /* the session holds the certificates of its full handshake: what
         * is shown of them was read then (facts) or is in the table */
        pr_keep_leaf(pc, leaf);
        pc->chain_not_after = pc->facts.sent_not_after;
        pr_leaf_info_of(leaf, &pc->cert);
    }
    pc->verdict = pr_decide_resumed(pc->pol, &pc->facts, (long long)apr_time_sec(apr_time_now()),
                                    &pc->days_left);
    pc->judged = 1;
}

/* Installed on every proxy SSL_CTX (the certificate verification of a
 * full handshake); see the top of this file. */
int pr_cert_verify(X509_STORE_CTX *sctx, void *arg)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(sctx, SSL_get_ex_data_X509_STORE_CTX_idx());
    pr_conn *pc = ssl ? SSL_get_ex_data(ssl, pr_ssl_idx) : NULL;
    STACK_OF(X509) *built = NULL;
    int ok = 1;

    (void)arg;
    if (!pc || pc->pol->policy == PR_POLICY_OFF) {
        return X509_verify_cert(sctx);
    }
    if (pc->pol->policy == PR_POLICY_AUDIT) {
        ok = X509_verify_cert(sctx);    /* mod_ssl's own verification decides */
    }
    if (pr_bound_chain(pc, X509_STORE_CTX_get0_cert(sctx), X509_STORE_CTX_get0_untrusted(sctx))) {
        /* Too long to be worth verifying (pr_tls_bounds.c). */
        if (pc->pol->policy != PR_POLICY_ENFORCE) {
            return ok;
        }
        pc->refused_by_us = 1;
        X509_STORE_CTX_set_error(sctx, X509_V_ERR_CERT_CHAIN_TOO_LONG);
        return 0;
    }
    verify_and_judge(pc, ssl, X509_STORE_CTX_get0_cert(sctx),
                     X509_STORE_CTX_get0_untrusted(sctx),
                     pc->pol->policy == PR_POLICY_ENFORCE ? &built : NULL);
    if (pc->pol->policy != PR_POLICY_ENFORCE) {
        return ok;
    }
    if (pc->verdict.reason != PR_REASON_NONE) {
        sk_X509_pop_free(built, X509_free);
        pc->refused_by_us = 1;
        X509_STORE_CTX_set_error(sctx, X509_V_ERR_APPLICATION_VERIFICATION);
        return 0;
    }
    if (built) {
        X509_STORE_CTX_set0_verified_chain(sctx, built);   /* SSL_get0_verified_chain */
    }
    X509_STORE_CTX_set_error(sctx, X509_V_OK);
    return 1;
}

void pr_verify_child_init(apr_pool_t *p)
{
    pr_loglimit_child_init(p);
}

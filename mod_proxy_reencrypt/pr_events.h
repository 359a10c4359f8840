/*
 * pr_events.h: what happened on a backend connection, and who listens.
 *
 * pr_tls_verify.c and pr_proxy.c emit one event per verdict (a handshake, or a
 * plaintext refusal); the status store (pr_status_store.c) subscribes
 * when hooks are registered. Emitters know nothing of their listeners.
 */
#ifndef PR_EVENTS_H
#define PR_EVENTS_H

#include "httpd.h"

#include "pr_decide.h"            /* pr_verdict_kind */

/* One handshake (or plaintext refusal) as the TLS side / pr_proxy.c saw it.
 * Strings may be NULL; a subscriber copies what it keeps. */
typedef struct {
    const char *backend;            /* scheme://host:port */
    const char *vhost;              /* server_hostname:port */
    int policy;                     /* pr_policy in force */
    pr_verdict_kind verdict;
    pr_reason reason;               /* PR_REASON_NONE when ok */
    int client_fault;               /* refused for a name the client chose */
    int resumed;                    /* the handshake resumed a session */
    int expiring;                   /* inside the warn window */
    long days_left;                 /* of the peer's leaf; valid if have_cert */
    int have_cert;
    const char *subject, *issuer, *sans;    /* sans: "DNS:a, IP:1.2.3.4" */
    apr_time_t not_after;           /* of the peer's leaf */
    const char *pin;                /* sha256//... of the leaf */
    const char *protocol, *cipher;  /* negotiated, when the handshake completed */
    const char *fingerprint;        /* SHA-256 of the leaf (DER), hex */
    const char *serial;             /* of the leaf, hex */
    apr_time_t chain_not_after;     /* the earliest notAfter of leaf and chain */
    const char *ocsp;               /* what the staple said ("good", "revoked",
                                       "unknown", "unusable", "none"); NULL:
                                       OCSP off or not judged */
    apr_time_t ocsp_next;           /* its nextUpdate; 0: none */
    const char *ocsp_responder;     /* its responder ID ("byName: CN=..."); NULL: none */
    apr_time_t crl_next;            /* soonest nextUpdate of the scope's CRLs; 0: none */
} pr_event;

typedef void (*pr_event_fn)(server_rec *s, const pr_event *ev);

/* Hand ev to every subscriber, in subscription order (any thread of any
 * child; subscribers must be thread-safe and must not block). */
void pr_event_emit(server_rec *s, const pr_event *ev);

/* Called from register_hooks only (single-threaded, before any event):
 * a function subscribed twice (the hooks of a module registered again)
 * is kept once. */
void pr_event_subscribe(pr_event_fn fn);

#endif

/*
 * pr_tls.h: what the mod_ssl-side files share (one TLS backend
 * connection as the module sees it).
 *
 * pr_tls_hooks.c    mod_ssl hooks: per-connection settings, post-handshake
 * pr_tls_verify.c   verification, the verdict, its log line, event, notes
 * pr_tls_session.c  client-side session cache
 * pr_tls_guard.c    connection filters: outcome of the handshake, pooled
 *                   connections
 */
#ifndef PR_TLS_H
#define PR_TLS_H

#include "pr_glue.h"

typedef struct {
    conn_rec *c;
    request_rec *r;                 /* the request opening it; handshake only */
    apr_uint32_t noted;             /* last request (sequence) given the notes */
    const pr_resolved *pol;         /* the scope it was opened for (interned) */
    proxy_worker *worker;
    const char *backend;
    const char *vhost;
    int balancer_member;
    pr_names names;                 /* expected names and SNI */
    const char *name_slot;
    const char *requested;          /* the name mod_proxy asked for */
    int from_client;
    unsigned char key[PR_FP_LEN];   /* pr_conn_key(): who may reuse it */
    SSL *ssl;
    const char *session_key;        /* NULL: no session cache */
    unsigned chain_errors;
    int alert;                      /* last TLS alert seen, -1 none */
    int judged;
    int refused_by_us;              /* the module failed the handshake */
    int concluded;                  /* logged and recorded */
    int done;                       /* the handshake's outcome was handled */
    int resumed;
    pr_verdict verdict;
    pr_outcome outcome;
    long days_left;
    const char *protocol;
    char subject[256];
    char issuer[256];
    X509 *leaf;                     /* the peer judged last (a reference) */
    long long chain_not_after;      /* earliest notAfter of leaf and chain */
} pr_conn;

extern int pr_ssl_idx;              /* SSL ex_data: pr_conn */

/* pr_tls_verify.c */
int pr_cert_verify(X509_STORE_CTX *sctx, void *arg);
/* Judge a peer whose certificate OpenSSL did not verify in this
 * handshake (a resumed session): its certificates are verified afresh. */
void pr_rejudge(pr_conn *pc, SSL *ssl);
/* Log (once), record the event, keep the outcome for the notes. */
void pr_conclude(pr_conn *pc, SSL *ssl, const pr_outcome *o);
void pr_set_notes(pr_conn *pc, request_rec *r, apr_uint32_t seq);
void pr_verify_child_init(apr_pool_t *p);

/* pr_tls_session.c */
void pr_session_child_init(apr_pool_t *p);
int pr_session_new_cb(SSL *ssl, SSL_SESSION *sess);
/* Offer a cached session of this backend identity; sets pc->session_key. */
void pr_session_offer(pr_conn *pc, SSL *ssl);
void pr_session_forget(const char *key);

/* pr_tls_guard.c */
void pr_guard_add(pr_conn *pc);
void pr_guard_register(void);

#endif

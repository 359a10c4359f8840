/*
 * pr_tls.h: what the mod_ssl-side files share (one TLS backend
 * connection as the module sees it).
 *
 * pr_tls_hooks.c    mod_ssl hooks: per-connection settings, post-handshake
 * pr_tls_verify.c   verification, the verdict, its log line, event, notes
 * pr_tls_session.c  client-side session cache
 * pr_tls_ocsp.c     stapled OCSP responses, CRL freshness
 * pr_tls_guard.c    connection filters: outcome of the handshake, pooled
 *                   connections
 * pr_tls_certs.c    what is shown of a leaf certificate, once per
 *                   certificate and child
 * pr_reload.c       trust files re-read at run time (pr_reload.h)
 */
#ifndef PR_TLS_H
#define PR_TLS_H

#include "pr_glue.h"

/* What the log line, the event (status page, metrics) show of a leaf
 * certificate: it depends on the certificate alone (pr_tls_certs.c). */
typedef struct {
    char subject[256];              /* RFC 2253, one line */
    char issuer[256];
    char sans[512];                 /* "DNS:a, IP:1.2.3.4"; "" none */
    char pin[64];                   /* sha256//BASE64 of the SPKI; "" failed */
    char fingerprint[65];           /* SHA-256 of the DER, hex; "" failed */
    char serial[80];                /* hex; "" failed */
    apr_time_t not_after;           /* 0: unreadable */
} pr_leaf_info;

typedef struct {
    conn_rec *c;
    request_rec *r;                 /* the request opening it; handshake only */
    apr_uint32_t noted;             /* last request (sequence) given the notes */
    apr_uint32_t served;            /* last request the reuse check let in */
    const char *days_note;          /* days_left as text (days_noted) */
    long days_noted;
    ap_filter_t *reuse_f;           /* the reuse check's input filter ... */
    int reuse_in;                   /* ... is in c->input_filters */
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
    X509_STORE *store;              /* pr_trust_take(): the policy's store and */
    STACK_OF(X509_CRL) *crls;       /* CRLs in force when it was opened */
    unsigned trust_gen;             /* ... and their generation (pr_reload.c) */
    SSL *ssl;
    const char *session_key;        /* NULL: no session cache */
    unsigned chain_errors;
    int alert;                      /* last TLS alert seen, -1 none */
    int judged;
    int refused_by_us;              /* the module failed the handshake */
    int concluded;                  /* logged and recorded */
    int done;                       /* the handshake's outcome was handled */
    int resumed;
    const char *detail;             /* why, for the log line (static/pool text) */
    const char *ocsp;               /* what the staple said; NULL: not judged */
    long long ocsp_next;            /* its nextUpdate (Unix seconds), 0: none */
    const char *ocsp_responder;     /* its responder ID as text, NULL: none */
    long long crl_next;             /* soonest nextUpdate of the CRLs in force */
    int offered;                    /* a cached session was offered ... */
    int have_facts;                 /* ... facts: its own, or the full handshake's */
    pr_session_facts facts;         /* what the verdict rests on (pr_tls_session.c) */
    pr_verdict verdict;
    pr_outcome outcome;
    long days_left;
    const char *protocol;
    pr_leaf_info cert;              /* of leaf; subject "" if none */
    X509 *leaf;                     /* the peer judged last (a reference) */
    long long chain_not_after;      /* earliest notAfter of leaf and chain */
    int stream;                     /* a stream backend (pr_stream_tls.c): c is
                                       the client's connection */
    const char *peer_ip;            /* stream: the backend's address (else
                                       c->client_ip) */
    apr_port_t peer_port;
    /* pr_tls_bounds.c: the handshake's time limit and OpenSSL's reason */
    apr_time_t hs_deadline;         /* 0: no limit of the module's */
    apr_interval_time_t hs_saved;   /* the socket's (worker's) timeout */
    int hs_saved_set;
    int hs_ours;                    /* the deadline, not the worker's timeout,
                                       bounds the current read or write */
    int hs_over;                    /* OpenSSL: handshake done */
    int hs_timed_out;
    const char *ssl_error;          /* OpenSSL's reason when SSL_connect failed */
} pr_conn;

extern int pr_ssl_idx;              /* SSL ex_data: pr_conn */

/* pr_tls_verify.c */
int pr_cert_verify(X509_STORE_CTX *sctx, void *arg);
/* Judge a peer whose certificate OpenSSL did not verify in this
 * handshake (a resumed session): the verdict of the session's full
 * handshake with its time-dependent checks redone (pr_decide_resumed());
 * a session the module did not offer is verified afresh. */
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
/* A new configuration generation: sessions of the earlier are not offered. */
void pr_session_post_config(void);

/* pr_tls_ocsp.c: stapled OCSP responses, CRL freshness */
void pr_ocsp_post_config(apr_pool_t *pconf);
void pr_ocsp_install(SSL_CTX *ctx);
void pr_ocsp_pre_handshake(pr_conn *pc, SSL *ssl);
void pr_ocsp_resumed(pr_conn *pc, SSL *ssl);
void pr_ocsp_note_chain_error(pr_conn *pc, int err);
void pr_crl_freshness(pr_conn *pc);
void pr_ocsp_child_init(apr_pool_t *p);

/* pr_tls_bounds.c: handshake time limit, OpenSSL's reason, chain bound */
/* Before a handshake: OpenSSL's reason kept, the chain's bytes bounded
 * under enforce, pc->hs_deadline from pr_handshake_timeout() (0: none).
 * Returns its seconds (0: none). */
int pr_bounds_begin(pr_conn *pc, SSL *ssl);
/* pr_bounds_begin(), and the filters that hold mod_ssl's reads and
 * writes to the deadline. */
void pr_bounds_pre_handshake(pr_conn *pc, SSL *ssl);
/* The detail of a handshake that failed in mod_ssl: "timeout" or
 * OpenSSL's reason; NULL: none known. */
const char *pr_bounds_detail(const pr_conn *pc);
/* A peer chain over pr_chain_limit(): the verdict is set (reason
 * handshake, with the detail) and 1 returned, before any verification. */
int pr_bound_chain(pr_conn *pc, X509 *leaf, STACK_OF(X509) *untrusted);
void pr_bounds_register(void);
/* pr_tls_certs.c */
/* What is shown of leaf, from the per-child table or computed (and
 * kept). */
void pr_leaf_info_of(X509 *leaf, pr_leaf_info *out);
/* pc->leaf = leaf (a reference, freed with the connection). */
void pr_keep_leaf(pr_conn *pc, X509 *leaf);
/* SSL_set_msg_callback() with arg = the pr_conn: keeps the last TLS alert
 * in pc->alert (backend and stream handshakes alike). */
void pr_tls_msg_cb(int write_p, int version, int content_type, const void *buf,
                   size_t len, SSL *ssl, void *arg);
void pr_certs_child_init(apr_pool_t *p);

/* pr_tls_guard.c */
void pr_guard_add(pr_conn *pc);
void pr_guard_register(void);

#endif

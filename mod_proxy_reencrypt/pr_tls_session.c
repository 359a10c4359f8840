/*
 * pr_tls_session.c: client-side TLS session cache (mod_ssl keeps none),
 * per child process, keyed by backend identity: the configuration
 * generation, SSL_CTX, address, port and the connection key (the
 * policy's fingerprint, SNI and names; see pr_conn_key()), so a session
 * is never offered to another backend, under another policy, or after a
 * restart that may have reloaded a trust store.
 *
 * Copies, never the live object. OpenSSL marks the SSL_SESSION of a
 * connection freed without a close_notify "not resumable"
 * (SSL_free -> ssl_clear_bad_session), and httpd 2.4 drops backend
 * connections that way (socket_cleanup before any SSL_shutdown): a cache
 * holding the connection's own object loses it whenever a backend
 * connection closes (a backend's keepalive_requests, disablereuse=On).
 * So the cache stores an SSL_SESSION_dup() of what the new-session
 * callback hands over, and a session that stays in the cache (TLS 1.2)
 * is offered as a copy too.
 *
 * A resumed session carries its verdict. Each cached session keeps the
 * facts its full handshake's verdict rests on (pr_session_facts: the
 * observation -- chain errors, names, pins -- and the chain's earliest
 * notAfter, latest notBefore, the leaf's notAfter, the CRLs' earliest
 * nextUpdate), beside it in the cache entry (a side struct, not
 * SSL_SESSION ex_data: the cache is ours, and a copy made by OpenSSL for
 * a TLS 1.3 ticket would not carry it). Offering a session hands its
 * facts to the connection (pc->facts, pc->offered); on resumption
 * pr_rejudge() redoes only what time changes (pr_decide_resumed()),
 * without X509_verify_cert. That is sound only because nothing else can
 * differ: the session key holds the policy's whole fingerprint (trust
 * store files, depth, names, pins, CRL files, expiry window, ...), the
 * SNI and names sent, the backend address, and the configuration
 * generation (a restart reloads every trust store and CRL; sessions of
 * an earlier generation are never offered). New tickets of a resumed
 * TLS 1.3 connection inherit the facts it was resumed with.
 */
#include "pr_tls.h"

#include "apr_strings.h"
#include "apr_thread_mutex.h"
#include "ap_mpm.h"

#define SESSIONS_MAX 1024           /* per child; the table is dropped when full */

#if APR_HAS_THREADS
static apr_thread_mutex_t *sess_mutex;
#endif
static apr_hash_t *sessions;        /* session key -> session_queue *, per child */
static apr_pool_t *sessions_pool;
static apr_int64_t generation;      /* configuration load (post_config) */

static void lock(void)
{
    PR_LOCK(sess_mutex);
}

static void unlock(void)
{
    PR_UNLOCK(sess_mutex);
}

/* ------------------------------------------------------------------ */
/* TLS 1.3 tickets are used once (RFC 8446 C.4, and servers with a        */
/* session cache refuse a second use), so each backend keeps a queue of   */
/* them: a full handshake brings two, a resumed one usually one. A child  */
/* has at most one handshake per thread in flight, each holding a ticket  */
/* it took until the backend's next ones arrive (after the handshake), so */
/* the queue holds as many tickets as the child has threads (at least     */
/* TICKETS_MIN): with 8 a child of 25 threads ran out under 32 clients    */
/* (96.7 % resumed, BENCHMARKS.md). The newest ticket is offered first    */
/* (the freshest; the oldest is dropped when the queue is full). A TLS    */
/* 1.2 session stays until replaced: resuming it again is normal.         */

#define TICKETS_MIN 8
#define TICKETS_MAX 256

typedef struct {
    SSL_SESSION *s;                 /* our own copy */
    pr_session_facts facts;
} session_entry;

typedef struct {
    int first, n;                   /* a ring: e[first] is the oldest */
    session_entry e[1];             /* tickets_per_backend of them */
} session_queue;

static int tickets_per_backend = TICKETS_MIN;

static session_entry *queue_at(session_queue *q, int i)     /* 0: the oldest */
{
    return &q->e[(q->first + i) % tickets_per_backend];
}

static void queue_clear(session_queue *q)
{
    while (q->n > 0) {
        SSL_SESSION_free(queue_at(q, --q->n)->s);
    }
    q->first = 0;
}

void pr_session_forget(const char *key)
{
    session_queue *q;

    lock();
    if (sessions && (q = apr_hash_get(sessions, key, APR_HASH_KEY_STRING)) != NULL) {
        queue_clear(q);
    }
    unlock();
}

static apr_status_t sessions_cleanup(void *data)
{
    apr_hash_index_t *hi;

    (void)data;
    for (hi = sessions ? apr_hash_first(NULL, sessions) : NULL; hi; hi = apr_hash_next(hi)) {
        queue_clear(apr_hash_this_val(hi));
    }
    sessions = NULL;
    return APR_SUCCESS;
}

static void sessions_init(void)
{
    sessions = apr_hash_make(sessions_pool);
    apr_pool_cleanup_register(sessions_pool, NULL, sessions_cleanup, apr_pool_cleanup_null);
}

/* Take the session to offer (a reference the caller owns, never the
 * cached object itself) and its facts, or NULL: the newest. */
static SSL_SESSION *session_take(const char *key, pr_session_facts *facts)
{
    SSL_SESSION *sess = NULL;
    session_queue *q;

    lock();
    q = sessions ? apr_hash_get(sessions, key, APR_HASH_KEY_STRING) : NULL;
    while (q && q->n > 0 && !sess) {
        session_entry *newest = queue_at(q, q->n - 1);

        if (SSL_SESSION_is_resumable(newest->s)
            && SSL_SESSION_get_protocol_version(newest->s) < TLS1_3_VERSION) {
            /* TLS 1.2: stays; the connection gets a copy, which its end
             * without close_notify may spoil */
            if ((sess = SSL_SESSION_dup(newest->s)) != NULL) {
                *facts = newest->facts;
            }
            break;
        }
        --q->n;
        if (SSL_SESSION_is_resumable(newest->s)) {
            sess = newest->s;                   /* TLS 1.3: used up */
            *facts = newest->facts;
        }
        else {
            SSL_SESSION_free(newest->s);
        }
    }
    unlock();
    return sess;
}

int pr_session_new_cb(SSL *ssl, SSL_SESSION *sess)
{
    pr_conn *pc = SSL_get_ex_data(ssl, pr_ssl_idx);
    session_queue *q;
    SSL_SESSION *copy;

    if (!pc || !pc->session_key || !sessions || !pc->have_facts
        || pc->refused_by_us
        || (pc->verdict.reason != PR_REASON_NONE && pc->pol->policy == PR_POLICY_ENFORCE)) {
        return 0;
    }
    if ((copy = SSL_SESSION_dup(sess)) == NULL) {
        return 0;
    }
    lock();
    if (apr_hash_count(sessions) >= SESSIONS_MAX) {
        apr_pool_clear(sessions_pool);  /* frees every session */
        sessions_init();
    }
    q = apr_hash_get(sessions, pc->session_key, APR_HASH_KEY_STRING);
    if (!q) {
        q = apr_pcalloc(sessions_pool, sizeof(*q)
                        + sizeof(q->e[0]) * (size_t)(tickets_per_backend - 1));
        apr_hash_set(sessions, apr_pstrdup(sessions_pool, pc->session_key),
                     APR_HASH_KEY_STRING, q);
    }
    if (SSL_SESSION_get_protocol_version(copy) < TLS1_3_VERSION) {
        queue_clear(q);                 /* the newest TLS 1.2 session wins */
    }
    else if (q->n == tickets_per_backend) {
        SSL_SESSION_free(q->e[q->first].s);     /* drop the oldest ticket */
        q->first = (q->first + 1) % tickets_per_backend;
        --q->n;
    }
    queue_at(q, q->n)->s = copy;
    queue_at(q, q->n)->facts = pc->facts;
    ++q->n;
    unlock();
    return 0;                       /* OpenSSL keeps its reference; we keep the copy */
}

/* A connection that offered a session and never finished its handshake
 * (the backend refused the session, or the TLS 1.2 cap below): its
 * backend's sessions are dropped, the next connection starts afresh. */
static apr_status_t offered_cleanup(void *data)
{
    pr_conn *pc = data;

    if (!pc->protocol && pc->session_key) {
        pr_session_forget(pc->session_key);
    }
    return APR_SUCCESS;
}

/* A session belongs to one SSL_CTX (OpenSSL refuses it in another), one
 * backend address and one connection identity. */
void pr_session_offer(pr_conn *pc, SSL *ssl)
{
    conn_rec *c = pc->c;
    SSL_SESSION *sess;
    char hex[2 * PR_FP_LEN + 1];
    int i, cap = 0;

    if (!pr_use_session_cache(pc->pol) || !sessions) {
        return;
    }
    for (i = 0; i < PR_FP_LEN; ++i) {
        hex[2 * i] = "0123456789abcdef"[pc->key[i] >> 4];
        hex[2 * i + 1] = "0123456789abcdef"[pc->key[i] & 15];
    }
    hex[2 * PR_FP_LEN] = '\0';
    pc->session_key = apr_psprintf(c->pool, "%" APR_INT64_T_FMT "|%pp|%s|%u|%s", generation,
                                   (void *)SSL_get_SSL_CTX(ssl),
                                   pc->peer_ip ? pc->peer_ip : c->client_ip,
                                   pc->peer_ip ? pc->peer_port
                                   : c->client_addr ? c->client_addr->port : 0, hex);
    if ((sess = session_take(pc->session_key, &pc->facts)) != NULL) {
        SSL_set_session(ssl, sess);
        pc->offered = 1;
        pc->have_facts = 1;
        /* A TLS 1.2 session: no TLS 1.3 key share in the ClientHello
         * (see pr_resume_max_proto()). */
        cap = pr_resume_max_proto(SSL_SESSION_get_protocol_version(sess),
                                  SSL_get_min_proto_version(ssl) ? SSL_get_min_proto_version(ssl)
                                                                 : pc->pol->min_proto);
        if (cap) {
            SSL_set_max_proto_version(ssl, cap);
        }
        SSL_SESSION_free(sess);
        apr_pool_cleanup_register(c->pool, pc, offered_cleanup, apr_pool_cleanup_null);
    }
    ap_log_cerror(APLOG_MARK, APLOG_DEBUG, 0, c, PRE(1040)
                  "backend %s: %s", pc->backend,
                  !sess ? "no cached session" : cap ? "offering a cached session (TLS 1.2 at most)"
                        : "offering a cached session");
}

void pr_session_post_config(void)
{
    generation = (apr_int64_t)apr_time_now();
}

void pr_session_child_init(apr_pool_t *p)
{
    int threads = 0;

    if (ap_mpm_query(AP_MPMQ_MAX_THREADS, &threads) == APR_SUCCESS) {
        tickets_per_backend = threads < TICKETS_MIN ? TICKETS_MIN
                            : threads > TICKETS_MAX ? TICKETS_MAX : threads;
    }
#if APR_HAS_THREADS
    apr_thread_mutex_create(&sess_mutex, APR_THREAD_MUTEX_DEFAULT, p);
#endif
    apr_pool_create(&sessions_pool, p);
    sessions_init();
}

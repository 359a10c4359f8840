/*
 * pr_tls_session.c: client-side TLS session cache (mod_ssl keeps none),
 * per child process, keyed by backend identity: SSL_CTX, address, port
 * and the connection key (the policy's fingerprint, SNI and names; see
 * pr_conn_key()), so a session is never offered to another backend or
 * under another policy.
 */
#include "pr_tls.h"

#include "apr_strings.h"
#include "apr_thread_mutex.h"

#define SESSIONS_MAX 1024           /* per child; the table is dropped when full */

#if APR_HAS_THREADS
static apr_thread_mutex_t *sess_mutex;
#endif
static apr_hash_t *sessions;        /* session key -> session_queue *, per child */
static apr_pool_t *sessions_pool;

static void lock(void)
{
#if APR_HAS_THREADS
    if (sess_mutex) apr_thread_mutex_lock(sess_mutex);
#endif
}

static void unlock(void)
{
#if APR_HAS_THREADS
    if (sess_mutex) apr_thread_mutex_unlock(sess_mutex);
#endif
}

/* ------------------------------------------------------------------ */
/* Client-side session cache (mod_ssl keeps none), per child process,    */
/* keyed by backend identity (SSL_CTX, address, port, SNI, policy).       */
/*                                                                        */
/* TLS 1.3 tickets are used once (RFC 8446 C.4, and servers with a        */
/* session cache refuse a second use), so each backend keeps a small      */
/* queue of them: a full handshake brings two, a resumed one usually one. */
/* A TLS 1.2 session stays until replaced: resuming it again is normal.   */

#define TICKETS_PER_BACKEND 8

typedef struct {
    SSL_SESSION *s[TICKETS_PER_BACKEND];
    int n;
} session_queue;

static void queue_clear(session_queue *q)
{
    while (q->n > 0) {
        SSL_SESSION_free(q->s[--q->n]);
    }
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

/* Take the session to offer (a reference the caller frees), or NULL. */
static SSL_SESSION *session_take(const char *key)
{
    SSL_SESSION *sess = NULL;
    session_queue *q;

    lock();
    q = sessions ? apr_hash_get(sessions, key, APR_HASH_KEY_STRING) : NULL;
    while (q && q->n > 0 && !sess) {
        SSL_SESSION *head = q->s[0];

        if (SSL_SESSION_is_resumable(head)
            && SSL_SESSION_get_protocol_version(head) < TLS1_3_VERSION) {
            SSL_SESSION_up_ref(head);           /* TLS 1.2: stays */
            sess = head;
            break;
        }
        memmove(q->s, q->s + 1, sizeof(q->s[0]) * (size_t)(--q->n));
        if (SSL_SESSION_is_resumable(head)) {
            sess = head;                        /* TLS 1.3: used up */
        }
        else {
            SSL_SESSION_free(head);
        }
    }
    unlock();
    return sess;
}

int pr_session_new_cb(SSL *ssl, SSL_SESSION *sess)
{
    pr_conn *pc = SSL_get_ex_data(ssl, pr_ssl_idx);
    session_queue *q;

    if (!pc || !pc->session_key || !sessions
        || pc->refused_by_us
        || (pc->verdict.reason != PR_REASON_NONE && pc->pol->policy == PR_POLICY_ENFORCE)) {
        return 0;
    }
    lock();
    if (apr_hash_count(sessions) >= SESSIONS_MAX) {
        apr_pool_clear(sessions_pool);  /* frees every session */
        sessions_init();
    }
    q = apr_hash_get(sessions, pc->session_key, APR_HASH_KEY_STRING);
    if (!q) {
        q = apr_pcalloc(sessions_pool, sizeof(*q));
        apr_hash_set(sessions, apr_pstrdup(sessions_pool, pc->session_key),
                     APR_HASH_KEY_STRING, q);
    }
    if (SSL_SESSION_get_protocol_version(sess) < TLS1_3_VERSION) {
        queue_clear(q);                 /* the newest TLS 1.2 session wins */
    }
    else if (q->n == TICKETS_PER_BACKEND) {
        SSL_SESSION_free(q->s[0]);      /* drop the oldest ticket */
        memmove(q->s, q->s + 1, sizeof(q->s[0]) * (size_t)(--q->n));
    }
    q->s[q->n++] = sess;
    unlock();
    return 1;                       /* we keep the reference */
}

/* A session belongs to one SSL_CTX (OpenSSL refuses it in another), one
 * backend address and one connection identity. */
void pr_session_offer(pr_conn *pc, SSL *ssl)
{
    conn_rec *c = pc->c;
    SSL_SESSION *sess;
    char hex[2 * PR_FP_LEN + 1];
    int i;

    if (!pr_use_session_cache(pc->pol) || !sessions) {
        return;
    }
    for (i = 0; i < PR_FP_LEN; ++i) {
        apr_snprintf(hex + 2 * i, 3, "%02x", pc->key[i]);
    }
    pc->session_key = apr_psprintf(c->pool, "%pp|%s|%u|%s", (void *)SSL_get_SSL_CTX(ssl),
                                   c->client_ip, c->client_addr ? c->client_addr->port : 0, hex);
    if ((sess = session_take(pc->session_key)) != NULL) {
        SSL_set_session(ssl, sess);
        SSL_SESSION_free(sess);
    }
    ap_log_cerror(APLOG_MARK, APLOG_DEBUG, 0, c, PRE(1040)
                  "backend %s: %s", pc->backend,
                  sess ? "offering a cached session" : "no cached session");
}

void pr_session_child_init(apr_pool_t *p)
{
#if APR_HAS_THREADS
    apr_thread_mutex_create(&sess_mutex, APR_THREAD_MUTEX_DEFAULT, p);
#endif
    apr_pool_create(&sessions_pool, p);
    sessions_init();
}

/*
 * pr_reload.c: CA and CRL files re-read while the server runs
 * (ProxyReencryptReload seconds), and the state of every trust file for
 * the status page.
 *
 * The registry. Each CA setting (file and/or hashed directory) and each
 * CRL file the policies name is one entry, keyed by its file names and
 * shared by every scope that names them (as the loaded stores are, see
 * pr_config_load.c). An entry holds the material in force in a holder
 * with a reference count: a new backend connection takes a reference
 * (pr_trust_take) and gives it back with its pool, so a connection in its
 * handshake keeps its store alive whatever a reload does meanwhile. The
 * configuration's own store and CRLs are the first holders (not owned:
 * pconf frees them); stores built by a reload are owned and freed with
 * their last reference.
 *
 * The check. Each child on its own, on the request path: a time compare
 * (pr_reload_tick) while no check is due; when one is, the one thread
 * that wins a try-lock stats the files (mtime, size, inode: a signature,
 * pr_sig_fold), and for each changed entry builds new material off to the
 * side with the start-up loaders; other threads go on with the material
 * in force, never waiting. A good build is swapped in under the registry
 * mutex (held only for pointer moves) and bumps the child's trust
 * generation. A file that does not load keeps the material in force,
 * marks the entry failed, and is not tried again until it changes
 * (pr_reload_step_of, pr_decide.c).
 *
 * Generations never mix. The trust generation is mixed into the
 * connection key (pr_conn_key_trust) of every connection of a scope with
 * reload on: a cached TLS session (its key holds the connection key) and
 * a pooled connection (the reuse check compares keys) of an earlier
 * generation are never offered again; the next request opens a fresh
 * connection that is verified against the new store. Generation 0 is the
 * configuration's: a scope without reload keeps the store it started
 * with, and its keys are as before.
 *
 * Shared state (pr_reload_shared.c). What the status page shows (per
 * file: failed or not and why, loaded when, CRL nextUpdate and issuers)
 * is in a small anonymous shared memory table made at post_config, so
 * that any child's page shows it, and so that a failure is logged ONCE for a given state of the file
 * (the first child to see it logs, the others find its signature there),
 * not by every child and not at every check.
 */
#include "pr_tls.h"
#include "pr_reload.h"

#include "apr_atomic.h"
#include "apr_file_info.h"
#include "apr_strings.h"
#include "apr_thread_mutex.h"

#include <openssl/err.h>

#include "pr_status.h"

#define MAX_ENTRIES 128

/* ------------------------------------------------------------------ */
/* The registry (per process; children inherit it at fork).             */

typedef struct {
    X509_STORE *store;
    STACK_OF(X509_CRL) *crls;
    apr_uint32_t refs;
    int owned;                      /* 0: the configuration's (pconf frees it) */
} holder;

typedef struct {
    int is_crl;
    const char *file, *path;        /* CA: file and/or directory; CRL: file */
    const char *label;
    long interval;                  /* smallest reload of its scopes; 0: none */
    unsigned long long sig;         /* of the files in force (0: unknown) */
    unsigned long long failed_sig;  /* of the files that failed last */
    long long last_check;
    holder *cur;
    rl_slot *slot;
} entry;

typedef struct {
    entry *ca, *crl;
} binding;

static entry *entries[MAX_ENTRIES];
static int n_entries;
static apr_hash_t *by_key;          /* "ca\nfile\npath" / "crl\nfile" -> entry */
static apr_hash_t *by_pol;          /* const pr_resolved * -> binding */
static apr_pool_t *reg_pool;
static server_rec *main_server;
static long min_interval;           /* 0: no scope reloads */
static apr_uint64_t next_check;     /* apr_time_t */
static apr_uint32_t trust_gen;      /* this child's; 0: the configuration's */
#if APR_HAS_THREADS
static apr_thread_mutex_t *reg_mutex, *tick_mutex;
#endif

static void reg_lock(void)
{
    PR_LOCK(reg_mutex);
}

static void reg_unlock(void)
{
    PR_UNLOCK(reg_mutex);
}

static void holder_release(holder *h)
{
    if (h && apr_atomic_dec32(&h->refs) == 0) {
        if (h->owned) {
            X509_STORE_free(h->store);
            sk_X509_CRL_pop_free(h->crls, X509_CRL_free);
        }
        free(h);
    }
}

static holder *holder_new(X509_STORE *st, STACK_OF(X509_CRL) *crls, int owned)
{
    holder *h = calloc(1, sizeof(*h));

    if (h) {
        h->store = st;
        h->crls = crls;
        h->refs = 1;
        h->owned = owned;
    }
    return h;
}

/* The signature of an entry's files now. */
static unsigned long long file_sig(apr_pool_t *p, unsigned long long acc, const char *f)
{
    apr_finfo_t fi;

    if (apr_stat(&fi, f, APR_FINFO_MTIME | APR_FINFO_SIZE | APR_FINFO_INODE, p) != APR_SUCCESS) {
        return pr_sig_fold(acc, f, strlen(f), -1, 0, 0);
    }
    return pr_sig_fold(acc, f, strlen(f), (long long)fi.mtime, (long long)fi.size,
                       (unsigned long long)fi.inode);
}

static unsigned long long entry_sig(apr_pool_t *p, const entry *e)
{
    unsigned long long sig = PR_SIG_START;
    apr_dir_t *d;
    apr_finfo_t fi;

    if (e->file) {
        sig = file_sig(p, sig, e->file);
    }
    if (e->path) {
        sig = file_sig(p, sig, e->path);
        if (apr_dir_open(&d, e->path, p) == APR_SUCCESS) {
            /* order-independent: the directory's entries are xor-ed */
            while (apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_MTIME | APR_FINFO_SIZE
                                | APR_FINFO_INODE, d) == APR_SUCCESS) {
                if (fi.name && fi.name[0] != '.') {
                    sig ^= pr_sig_fold(PR_SIG_START, fi.name, strlen(fi.name),
                                       (long long)fi.mtime, (long long)fi.size,
                                       (unsigned long long)fi.inode);
                }
            }
            apr_dir_close(d);
        }
    }
    return sig ? sig : 1;
}

/* The entry of (kind, file, path), made if new (registry lock held, or
 * single-threaded at post_config). */
static entry *entry_get(int is_crl, const char *file, const char *path, X509_STORE *st,
                        STACK_OF(X509_CRL) *crls, long interval, int baseline)
{
    const char *key = apr_pstrcat(reg_pool, is_crl ? "crl" : "ca", "\n", file ? file : "",
                                  "\n", path ? path : "", NULL);
    entry *e = apr_hash_get(by_key, key, APR_HASH_KEY_STRING);

    if (!e) {
        if (n_entries == MAX_ENTRIES) {
            return NULL;
        }
        e = apr_pcalloc(reg_pool, sizeof(*e));
        e->is_crl = is_crl;
        e->file = file;
        e->path = path;
        e->label = file && path ? apr_pstrcat(reg_pool, file, PR_TRUST_LABEL_SEP, path, NULL)
                 : file ? file : path;
        /* Without a baseline (first seen by a child) the files are taken
         * as changed: the first check loads them afresh. */
        e->sig = baseline ? entry_sig(reg_pool, e) : 0;
        if (!(e->cur = holder_new(st, crls, 0))) {
            return NULL;
        }
        apr_hash_set(by_key, key, APR_HASH_KEY_STRING, e);
        entries[n_entries++] = e;
    }
    if (interval > 0 && (!e->interval || interval < e->interval)) {
        e->interval = interval;
    }
    if (interval > 0 && (!min_interval || interval < min_interval)) {
        min_interval = interval;
    }
    if (!e->slot || pr_rl_slot_reload(e->slot) < e->interval) {
        e->slot = pr_rl_slot_claim(e->is_crl, e->label, e->sig, e->interval,
                                   e->cur ? e->cur->crls : NULL);
    }
    return e;
}

static binding *bind_policy(const pr_resolved *pol, int baseline)
{
    binding *b = apr_hash_get(by_pol, &pol, sizeof(pol));

    if (!b) {
        b = apr_pcalloc(reg_pool, sizeof(*b));
        if (pol->store && (pol->ca_file || pol->ca_path)) {
            b->ca = entry_get(0, pol->ca_file, pol->ca_path, pol->store, NULL, pol->reload,
                              baseline);
        }
        if (pol->crls && pol->crl_file) {
            b->crl = entry_get(1, pol->crl_file, NULL, NULL, pol->crls, pol->reload, baseline);
        }
        apr_hash_set(by_pol, apr_pmemdup(reg_pool, &pol, sizeof(pol)), sizeof(pol), b);
    }
    return b;
}

/* ------------------------------------------------------------------ */
/* The check.                                                           */

static void check_entry(apr_pool_t *p, entry *e, long long now)
{
    unsigned long long sig;
    X509_STORE *st = NULL;
    STACK_OF(X509_CRL) *crls = NULL;
    const char *err = NULL;
    holder *h, *old;

    if (!pr_reload_due(now, e->last_check, e->interval)) {
        return;
    }
    e->last_check = now;
    sig = entry_sig(p, e);
    switch (pr_reload_step_of(e->sig, e->failed_sig, sig)) {
    case PR_RELOAD_KEEP:
    case PR_RELOAD_STILL_BAD:
        return;
    case PR_RELOAD_RECOVERED:
        e->failed_sig = 0;
        pr_rl_recovered(e->slot);
        return;
    case PR_RELOAD_BUILD:
        break;
    }
    if (e->is_crl) {
        err = pr_crls_read(p, e->file, &crls);
    }
    else {
        st = pr_store_build(p, e->file, e->path, &err);
    }
    ERR_clear_error();
    if (err || !(h = holder_new(st, crls, 1))) {
        X509_STORE_free(st);
        sk_X509_CRL_pop_free(crls, X509_CRL_free);
        e->failed_sig = sig;
        pr_rl_failed(e->slot, main_server, e->is_crl, e->label, sig,
                     err ? err : "out of memory");
        return;
    }
    reg_lock();
    old = e->cur;
    e->cur = h;
    apr_atomic_inc32(&trust_gen);
    reg_unlock();
    holder_release(old);
    e->sig = sig;
    e->failed_sig = 0;
    pr_rl_loaded(e->slot, main_server, e->is_crl, e->label, sig, crls);
}

void pr_reload_tick(void)
{
    apr_time_t now;
    apr_pool_t *p;
    int i, n;

    if (!min_interval) {
        return;
    }
    now = apr_time_now();
    if ((apr_uint64_t)now < apr_atomic_read64(&next_check)) {
        return;
    }
#if APR_HAS_THREADS
    if (!tick_mutex || apr_thread_mutex_trylock(tick_mutex) != APR_SUCCESS) {
        return;                     /* another thread checks; go on */
    }
#endif
    if ((apr_uint64_t)now >= apr_atomic_read64(&next_check)) {
        apr_atomic_set64(&next_check, (apr_uint64_t)(now + apr_time_from_sec(min_interval)));
        reg_lock();
        n = n_entries;
        reg_unlock();
        if (apr_pool_create(&p, NULL) == APR_SUCCESS) {
            for (i = 0; i < n; ++i) {
                if (entries[i]->interval) {
                    check_entry(p, entries[i], (long long)apr_time_sec(now));
                    apr_pool_clear(p);
                }
            }
            apr_pool_destroy(p);
        }
    }
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(tick_mutex);
#endif
}

/* ------------------------------------------------------------------ */
/* Connections.                                                         */

typedef struct {
    holder *ca, *crl;
} taken;

static apr_status_t give_back(void *data)
{
    taken *t = data;

    holder_release(t->ca);
    holder_release(t->crl);
    return APR_SUCCESS;
}

void pr_trust_take(pr_conn *pc)
{
    const pr_resolved *pol = pc->pol;
    binding *b;
    taken *t;

    pc->store = pol->store;
    pc->crls = pol->crls;
    pc->trust_gen = 0;
    if (!pol->reload || !by_pol) {
        return;
    }
    pr_reload_tick();
    t = apr_pcalloc(pc->c->pool, sizeof(*t));
    reg_lock();
    b = bind_policy(pol, 0);
    if (b->ca) {
        t->ca = b->ca->cur;
        apr_atomic_inc32(&t->ca->refs);
        pc->store = t->ca->store;
    }
    if (b->crl) {
        t->crl = b->crl->cur;
        apr_atomic_inc32(&t->crl->refs);
        pc->crls = t->crl->crls;
    }
    pc->trust_gen = apr_atomic_read32(&trust_gen);
    reg_unlock();
    apr_pool_cleanup_register(pc->c->pool, t, give_back, apr_pool_cleanup_null);
    pr_conn_key_trust(pc->key, pc->trust_gen);
}

unsigned pr_trust_gen(const pr_resolved *pol)
{
    if (!pol->reload) {
        return 0;
    }
    pr_reload_tick();
    return apr_atomic_read32(&trust_gen);
}

/* ------------------------------------------------------------------ */
/* Hooks.                                                               */

static apr_status_t forget(void *data)
{
    int i;

    (void)data;
    for (i = 0; i < n_entries; ++i) {
        if (entries[i]->cur && !entries[i]->cur->owned
            && apr_atomic_read32(&entries[i]->cur->refs) == 1) {
            free(entries[i]->cur);      /* the configuration's: its store goes with pconf */
            entries[i]->cur = NULL;
        }
    }
    by_key = by_pol = NULL;
    n_entries = 0;
    min_interval = 0;
    reg_pool = NULL;
    return APR_SUCCESS;
}

static void register_worker(void *baton, apr_pool_t *p, server_rec *s, proxy_balancer *b,
                            proxy_worker *w)
{
    (void)baton;
    (void)p;
    (void)b;
    bind_policy(pr_policy_for_worker(s, w), 1);
}

static int rl_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                          server_rec *s)
{
    (void)plog;
    reg_pool = pconf;
    main_server = s;
    by_key = apr_hash_make(pconf);
    by_pol = apr_hash_make(pconf);
    n_entries = 0;
    min_interval = 0;
    trust_gen = 0;
    next_check = 0;
    apr_pool_cleanup_register(pconf, NULL, forget, apr_pool_cleanup_null);
    pr_rl_shared_create(pconf);
    pr_each_worker(ptemp, s, register_worker, NULL);
    return OK;
}

static void rl_child_init(apr_pool_t *p, server_rec *s)
{
    (void)s;
    if (!by_key) {
        return;
    }
    /* Entries first seen by this child's requests go into its own pool. */
    apr_pool_create(&reg_pool, p);
    by_key = apr_hash_copy(reg_pool, by_key);
    by_pol = apr_hash_copy(reg_pool, by_pol);
#if APR_HAS_THREADS
    apr_thread_mutex_create(&reg_mutex, APR_THREAD_MUTEX_DEFAULT, p);
    apr_thread_mutex_create(&tick_mutex, APR_THREAD_MUTEX_DEFAULT, p);
#endif
}

void pr_reload_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_post_config(rl_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(rl_child_init, NULL, NULL, APR_HOOK_MIDDLE);
}

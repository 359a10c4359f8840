/*
 * pr_status.c: what the module saw, per backend, shared by every child.
 *
 * Storage. One anonymous apr_shm segment, created by the parent in
 * post_config and inherited by the children at fork: a header and one
 * fixed-size slot per backend (key = backend name + vhost). It is sized
 * from the configuration (every static ProxyPass worker and balancer
 * member of every vhost, plus PR_ST_SPARE slots for dynamic backends:
 * RewriteRule [P], ProxyPassMatch with a variable host). A slot is found
 * by a linear scan filtered by a 32-bit hash (a few hundred slots at
 * most); a dynamic backend claims the first free slot with a CAS.
 *
 * Why apr_shm and not mod_slotmem_shm: the segment is kept in
 * ap_retained_data, so it survives graceful (and plain -k restart)
 * restarts in the parent without a name, a file or mod_slotmem_shm being
 * loaded. When a restart brings more backends than the segment holds, a
 * larger one is made and the slots are copied over by key; slotmem_shm
 * would instead drop a segment whose size changed, losing every count.
 * What we give up is slotmem's AP_SLOTMEM_TYPE_PERSIST (counts kept
 * across a full stop/start), which Prometheus-style counters do not need:
 * a counter reset on a cold start is normal.
 *
 * Concurrency. Counters are 64-bit apr_atomic adds (never locked). The
 * strings of the last handshake (verdict, time, peer certificate,
 * protocol, cipher) sit under a per-slot seqlock: readers (the status
 * pages) never block writers and retry while a write is in progress;
 * writers exclude each other with a try-lock word and, when another
 * writer holds it, skip the update (that writer is publishing a verdict
 * of the same instant). The try-lock holds its owner's time so a child
 * that dies mid-write cannot wedge the slot: a lock older than a few
 * seconds is taken over. No global mutex is taken on the request path.
 *
 * Restarts. On every post_config (except the first, pre-detach pass)
 * the retained segment is reused when it is large enough: slots of
 * static backends no longer configured are freed, new ones are added,
 * counts of everything else are kept. Old-generation children still
 * serving requests during a graceful restart keep writing into the same
 * segment, so nothing is lost; only when the segment had to grow do the
 * increments they make after the copy go to the old one.
 */
#include "pr_glue.h"

#include "apr_atomic.h"
#include "apr_fnmatch.h"
#include "apr_shm.h"
#include "apr_strings.h"
#include "apr_thread_mutex.h"
#include "apr_thread_proc.h"
#include "apr_version.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"

#include "mod_status.h"

#include <unistd.h>

#include "pr_metrics.h"
#include "pr_status.h"

#if !APR_VERSION_AT_LEAST(1, 7, 0)
#error "mod_proxy_reencrypt's status needs APR >= 1.7 (64-bit atomics)"
#endif

#define PR_ST_HANDLER   "proxy-reencrypt-status"
/* Bump PR_ST_LAYOUT whenever pr_st_retained, pr_st_header or pr_slot
 * change: a graceful restart may load a newer mod_proxy_reencrypt.so
 * that finds the previous one's segment (then it starts afresh). */
#define PR_ST_LAYOUT    "1"
#define PR_ST_RETAINED  "mod_proxy_reencrypt-status-" PR_ST_LAYOUT
#define PR_ST_MAGIC     0x50525331u     /* "PRS1" */
#define PR_ST_SPARE     64              /* slots for dynamic backends */
#define PR_ST_WARN_MAX  4096            /* per-child warn table, then reset */

#define SLOT_FREE      0u
#define SLOT_CLAIMING  1u
#define SLOT_USED      2u

/* The last handshake of a backend: under the slot's seqlock. */
typedef struct {
    apr_time_t time;                /* of the last verdict; 0: none yet */
    apr_time_t cert_time;           /* when the peer fields were seen */
    apr_time_t not_after;
    apr_int64_t days_left;          /* as judged at cert_time */
    apr_int32_t verdict;            /* pr_verdict_kind */
    apr_int32_t reason;             /* pr_reason */
    apr_int32_t have_cert;
    apr_int32_t expiring;
    apr_int32_t resumed;
    apr_int32_t pad_;
    char subject[256];
    char issuer[256];
    char sans[512];
    char pin[64];
    char protocol[32];
    char cipher[64];
} pr_snap;

typedef struct {
    /* Identity: written while state is SLOT_CLAIMING, then read-only. */
    apr_uint32_t state;
    apr_uint32_t hash;
    apr_uint32_t configured;        /* a static backend of this config */
    apr_uint32_t policy;            /* last policy in force (atomic) */
    char backend[256];
    char vhost[128];
    /* Counters: apr_atomic only. */
    apr_uint64_t ok;
    apr_uint64_t resumed;
    apr_uint64_t refused[PR_REASON__COUNT];
    apr_uint64_t audit[PR_REASON__COUNT];
    /* Seqlock: seq odd while snap is being written; wlock: writer's
     * time in seconds, 0 when free. */
    apr_uint32_t seq;
    apr_uint32_t wlock;
    pr_snap snap;
} pr_slot;

typedef struct {
    apr_uint32_t magic;
    apr_uint32_t slot_size;
    apr_uint32_t nslots;
    apr_uint32_t generation;        /* configurations this segment served */
    apr_uint64_t dropped;           /* events with no slot left */
    apr_time_t created;
} pr_st_header;

/* In the process pool: outlives pconf, seen again after a restart. */
typedef struct {
    apr_pool_t *pool;               /* owns shm; destroyed when replaced */
    apr_shm_t *shm;
    pr_st_header *hdr;
} pr_st_retained;

/* Set by the parent in post_config, inherited read-only by children. */
static pr_st_header *st_hdr;
static pr_slot *st_slots;
static apr_uint32_t st_nslots;

/* Per child: once-a-day expiry warnings and the one "table full" line. */
static int warn_ready;
#if APR_HAS_THREADS
static apr_thread_mutex_t *warn_mutex;
#endif
static apr_pool_t *warn_pool;
static apr_hash_t *warn_days;
static apr_uint32_t full_logged;

/* ------------------------------------------------------------------ */
/* Slots.                                                               */

typedef struct {
    char backend[sizeof(((pr_slot *)0)->backend)];
    char vhost[sizeof(((pr_slot *)0)->vhost)];
    apr_uint32_t hash;
} slot_key;

static void key_make(slot_key *k, const char *backend, const char *vhost)
{
    size_t bl, vl;

    memset(k, 0, sizeof(*k));
    bl = pr_copy_utf8(k->backend, sizeof(k->backend), backend, strlen(backend));
    vl = pr_copy_utf8(k->vhost, sizeof(k->vhost), vhost, strlen(vhost));

    k->hash = pr_status_key_hash(k->backend, bl, k->vhost, vl);
}

/* Let the writer we wait for run. */
static void relax(void)
{
#if APR_HAS_THREADS
    apr_thread_yield();
#else
    apr_sleep(0);
#endif
}

/* Wait (boundedly) for a slot someone is claiming to be published. A
 * child that died while claiming leaves it CLAIMING: skip it then. */
static apr_uint32_t settled_state(pr_slot *sl)
{
    apr_uint32_t st;
    int spins = 0;

    while ((st = apr_atomic_read32(&sl->state)) == SLOT_CLAIMING && ++spins < 100000) {
        if (spins % 64 == 0) {
            relax();
        }
    }
    return st;
}

/* The slot of key k in slots[0..n), claiming a free one if create.
 * A first pass only looks (a restart can leave free holes before the
 * slot of an existing key). The claiming pass takes the first free slot
 * and re-examines every used or claimed one before it, waiting on
 * CLAIMING slots; a claimer that loses the CAS looks at the slot again.
 * So two children recording the same new backend at once end up in the
 * same slot. */
static pr_slot *slot_find(pr_slot *slots, apr_uint32_t n, const slot_key *k, int create)
{
    apr_uint32_t i;
    int pass;

    for (pass = 0; pass < (create ? 2 : 1); ++pass) {
        for (i = 0; i < n; ++i) {
            pr_slot *sl = &slots[i];
            apr_uint32_t st = pass ? settled_state(sl) : apr_atomic_read32(&sl->state);

            if (st == SLOT_USED) {
                if (sl->hash == k->hash && !strcmp(sl->backend, k->backend)
                    && !strcmp(sl->vhost, k->vhost)) {
                    return sl;
                }
                continue;
            }
            if (st != SLOT_FREE || !pass) {
                continue;
            }
            if (apr_atomic_cas32(&sl->state, SLOT_CLAIMING, SLOT_FREE) != SLOT_FREE) {
                --i;                /* lost the race: look at it again */
                continue;
            }
            memcpy(sl->backend, k->backend, sizeof(sl->backend));
            memcpy(sl->vhost, k->vhost, sizeof(sl->vhost));
            sl->hash = k->hash;
            apr_atomic_xchg32(&sl->state, SLOT_USED);   /* full barrier: publish */
            return sl;
        }
    }
    return NULL;
}

static void copy_field(char *dst, size_t cap, const char *src)
{
    pr_copy_utf8(dst, cap, src ? src : "", src ? strlen(src) : 0);
}

static void snap_write(pr_slot *sl, const pr_event *ev, apr_time_t now)
{
    apr_uint32_t me = (apr_uint32_t)apr_time_sec(now) | 1u;
    apr_uint32_t held = apr_atomic_cas32(&sl->wlock, me, 0);
    apr_uint32_t seq;
    pr_snap *sn = &sl->snap;

    if (held != 0) {
        /* Another writer: let it publish, unless it died holding the lock. */
        if ((apr_int32_t)(me - held) < 5 || apr_atomic_cas32(&sl->wlock, me, held) != held) {
            return;
        }
    }
    seq = apr_atomic_read32(&sl->seq);
    apr_atomic_xchg32(&sl->seq, seq | 1u);          /* odd: writing */

    sn->time = now;
    sn->verdict = (apr_int32_t)ev->verdict;
    sn->reason = (apr_int32_t)ev->reason;
    sn->resumed = ev->resumed ? 1 : 0;
    if (ev->have_cert) {
        sn->have_cert = 1;
        sn->cert_time = now;
        sn->expiring = ev->expiring ? 1 : 0;
        sn->days_left = ev->days_left;
        sn->not_after = ev->not_after;
        copy_field(sn->subject, sizeof(sn->subject), ev->subject);
        copy_field(sn->issuer, sizeof(sn->issuer), ev->issuer);
        copy_field(sn->sans, sizeof(sn->sans), ev->sans);
        copy_field(sn->pin, sizeof(sn->pin), ev->pin);
    }
    /* An event that does not know them (a refusal before the
     * handshake got that far) keeps the last negotiated ones. */
    if (ev->protocol || ev->cipher) {
        copy_field(sn->protocol, sizeof(sn->protocol), ev->protocol);
        copy_field(sn->cipher, sizeof(sn->cipher), ev->cipher);
    }

    apr_atomic_xchg32(&sl->seq, (seq | 1u) + 1u);   /* even: stable */
    apr_atomic_xchg32(&sl->wlock, 0);
}

/* A consistent copy of the slot's snapshot; 0 if writers kept it busy
 * (the copy is then possibly torn, but every string is terminated). */
static int snap_read(pr_slot *sl, pr_snap *out)
{
    int tries, ok = 0;

    for (tries = 0; tries < 1000 && !ok; ++tries) {
        /* apr_atomic_add32(.., 0): a read with a full barrier. */
        apr_uint32_t s1 = apr_atomic_add32(&sl->seq, 0);
        if (s1 & 1u) {
            relax();
            continue;
        }
        memcpy(out, &sl->snap, sizeof(*out));
        ok = apr_atomic_add32(&sl->seq, 0) == s1;
    }
    if (!ok) {
        memcpy(out, &sl->snap, sizeof(*out));
    }
    out->subject[sizeof(out->subject) - 1] = '\0';
    out->issuer[sizeof(out->issuer) - 1] = '\0';
    out->sans[sizeof(out->sans) - 1] = '\0';
    out->pin[sizeof(out->pin) - 1] = '\0';
    out->protocol[sizeof(out->protocol) - 1] = '\0';
    out->cipher[sizeof(out->cipher) - 1] = '\0';
    return ok;
}

void pr_status_record(server_rec *s, const pr_event *ev)
{
    slot_key k;
    pr_slot *sl;
    unsigned reason;

    if (!st_slots || !ev || !ev->backend) {
        return;
    }
    key_make(&k, ev->backend, ev->vhost ? ev->vhost : "");
    sl = slot_find(st_slots, st_nslots, &k, 1);
    if (!sl) {
        apr_atomic_add64(&st_hdr->dropped, 1);
        if (apr_atomic_cas32(&full_logged, 1, 0) == 0) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, PRE(0101)
                         "status: no slot left for backend %s (vhost %s): all %u "
                         "are taken; its handshakes are not counted (a restart "
                         "makes room); logged once per child",
                         ev->backend, ev->vhost ? ev->vhost : "", st_nslots);
        }
        return;
    }
    apr_atomic_set32(&sl->policy, (apr_uint32_t)ev->policy);
    reason = (unsigned)ev->reason < PR_REASON__COUNT ? (unsigned)ev->reason
                                                     : (unsigned)PR_REASON_HANDSHAKE;
    switch (ev->verdict) {
    case PR_VERDICT_OK:
        apr_atomic_inc64(&sl->ok);
        break;
    case PR_VERDICT_REFUSED:
        apr_atomic_inc64(&sl->refused[reason]);
        break;
    case PR_VERDICT_AUDIT:
        apr_atomic_inc64(&sl->audit[reason]);
        break;
    }
    if (ev->resumed) {
        apr_atomic_inc64(&sl->resumed);
    }
    snap_write(sl, ev, apr_time_now());
}

/* ------------------------------------------------------------------ */
/* Expiry warnings: once per child, backend and day.                    */

int pr_status_should_warn(const char *backend, const char *vhost)
{
    char key[sizeof(((pr_slot *)0)->backend) + sizeof(((pr_slot *)0)->vhost) + 1];
    apr_time_exp_t t;
    apr_int32_t today, *day;
    int rv = 1;

    if (!warn_ready || !backend) {
        return 1;
    }
    apr_time_exp_lt(&t, apr_time_now());
    today = (t.tm_year + 1900) * 1000 + t.tm_yday;
    apr_snprintf(key, sizeof(key), "%s\n%s", backend, vhost ? vhost : "");

#if APR_HAS_THREADS
    apr_thread_mutex_lock(warn_mutex);
#endif
    day = apr_hash_get(warn_days, key, APR_HASH_KEY_STRING);
    if (day && *day == today) {
        rv = 0;
    }
    else {
        if (!day) {
            if (apr_hash_count(warn_days) >= PR_ST_WARN_MAX) {
                /* A flood of dynamic backends: start over rather than grow. */
                apr_pool_clear(warn_pool);
                warn_days = apr_hash_make(warn_pool);
            }
            day = apr_palloc(warn_pool, sizeof(*day));
            apr_hash_set(warn_days, apr_pstrdup(warn_pool, key), APR_HASH_KEY_STRING, day);
        }
        *day = today;
    }
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(warn_mutex);
#endif
    return rv;
}

/* ------------------------------------------------------------------ */
/* Start-up: the static backends of the configuration.                  */

/* Is this one of mod_proxy's generic workers (not a configured backend)? */
static int is_generic(proxy_server_conf *sconf, proxy_worker *w)
{
    return w == sconf->reverse || w == sconf->forward
        || !strncmp(w->s->name, "proxy:", 6) || !strcasecmp(w->s->scheme, "balancer");
}

typedef void (*worker_fn)(void *baton, apr_pool_t *p, server_rec *s,
                          proxy_balancer *b, proxy_worker *w);

/* Every ProxyPass worker and balancer member of every vhost, as
 * pr_check_config walks them (a vhost inherits the main server's), in
 * configuration order: the main server, then the vhosts as written
 * (httpd keeps them in the reverse order). */
static void each_worker(apr_pool_t *p, server_rec *main_s, worker_fn fn, void *baton)
{
    apr_array_header_t *order = apr_array_make(p, 16, sizeof(server_rec *));
    server_rec *s;
    int n;

    for (s = main_s->next; s; s = s->next) {
        APR_ARRAY_PUSH(order, server_rec *) = s;
    }
    APR_ARRAY_PUSH(order, server_rec *) = main_s;
    for (n = order->nelts - 1; n >= 0; --n) {
        proxy_server_conf *sconf;
        proxy_worker *workers;
        proxy_balancer *balancers;
        int i, j;

        s = APR_ARRAY_IDX(order, n, server_rec *);
        sconf = ap_get_module_config(s->module_config, &proxy_module);
        if (!sconf) {
            continue;
        }
        workers = (proxy_worker *)sconf->workers->elts;
        for (i = 0; i < sconf->workers->nelts; ++i) {
            if (!is_generic(sconf, &workers[i])) {
                fn(baton, p, s, NULL, &workers[i]);
            }
        }
        balancers = (proxy_balancer *)sconf->balancers->elts;
        for (i = 0; i < sconf->balancers->nelts; ++i) {
            proxy_worker **members = (proxy_worker **)balancers[i].workers->elts;
            for (j = 0; j < balancers[i].workers->nelts; ++j) {
                fn(baton, p, s, &balancers[i], members[j]);
            }
        }
    }
}

typedef struct {
    slot_key key;
    int policy;
} static_backend;

typedef struct {
    apr_array_header_t *list;       /* static_backend */
    apr_hash_t *seen;               /* "backend\nvhost" -> static_backend */
} static_set;

static void collect_one(void *baton, apr_pool_t *p, server_rec *s,
                        proxy_balancer *b, proxy_worker *w)
{
    static_set *set = baton;
    static_backend *sb;
    const char *text;
    slot_key k;

    /* The same names pr_proxy.c gives pr_tls.c for this worker. */
    key_make(&k, ap_proxy_worker_name(p, w), pr_vhost_name(p, s));
    text = apr_pstrcat(p, k.backend, "\n", k.vhost, NULL);
    if (apr_hash_get(set->seen, text, APR_HASH_KEY_STRING)) {
        return;
    }
    sb = apr_array_push(set->list);
    sb->key = k;
    sb->policy = pr_policy_for_worker(s, w)->policy;
    apr_hash_set(set->seen, text, APR_HASH_KEY_STRING, sb);
}

static void slot_release(pr_slot *sl)
{
    apr_atomic_xchg32(&sl->state, SLOT_CLAIMING);   /* finders wait, then skip */
    memset((char *)sl + sizeof(sl->state), 0, sizeof(*sl) - sizeof(sl->state));
    apr_atomic_xchg32(&sl->state, SLOT_FREE);
}

/* Copy slot src into the free slot dst (parent only, at start-up). */
static void slot_copy(pr_slot *dst, pr_slot *src)
{
    int i;

    memcpy(dst->backend, src->backend, sizeof(dst->backend));
    memcpy(dst->vhost, src->vhost, sizeof(dst->vhost));
    dst->hash = src->hash;
    dst->configured = apr_atomic_read32(&src->configured);
    dst->policy = apr_atomic_read32(&src->policy);
    dst->ok = apr_atomic_read64(&src->ok);
    dst->resumed = apr_atomic_read64(&src->resumed);
    for (i = 0; i < PR_REASON__COUNT; ++i) {
        dst->refused[i] = apr_atomic_read64(&src->refused[i]);
        dst->audit[i] = apr_atomic_read64(&src->audit[i]);
    }
    snap_read(src, &dst->snap);
    dst->state = SLOT_USED;
}

static apr_status_t segment_create(apr_pool_t *pool, apr_pool_t *ptemp,
                                   apr_uint32_t nslots, pr_st_retained *ret)
{
    apr_size_t size = APR_ALIGN_DEFAULT(sizeof(pr_st_header)) + (apr_size_t)nslots * sizeof(pr_slot);
    apr_status_t rv = apr_shm_create(&ret->shm, size, NULL, pool);

    if (rv == APR_ENOTIMPL) {
        /* No anonymous shared memory here: a name-based segment, removed
         * first in case a crashed parent left one behind. */
        const char *fname = ap_runtime_dir_relative(ptemp, apr_psprintf(ptemp,
                                "proxy_reencrypt_status.%" APR_PID_T_FMT, getpid()));
        apr_shm_remove(fname, ptemp);
        rv = apr_shm_create(&ret->shm, size, fname, pool);
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    ret->hdr = apr_shm_baseaddr_get(ret->shm);
    memset(ret->hdr, 0, size);
    ret->hdr->magic = PR_ST_MAGIC;
    ret->hdr->slot_size = sizeof(pr_slot);
    ret->hdr->nslots = nslots;
    ret->hdr->created = apr_time_now();
    ret->pool = pool;
    return APR_SUCCESS;
}

static pr_slot *slots_of(pr_st_header *hdr)
{
    return (pr_slot *)((char *)hdr + APR_ALIGN_DEFAULT(sizeof(pr_st_header)));
}

static int st_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                          server_rec *main_s)
{
    pr_st_retained *ret;
    static_set set;
    pr_slot *slots;
    apr_uint32_t i, used_dynamic = 0, nstatic;
    int j;

    /* The first pass runs before httpd detaches and is thrown away. */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    set.list = apr_array_make(ptemp, 16, sizeof(static_backend));
    set.seen = apr_hash_make(ptemp);
    each_worker(ptemp, main_s, collect_one, &set);
    nstatic = (apr_uint32_t)set.list->nelts;

    ret = ap_retained_data_get(PR_ST_RETAINED);
    if (!ret) {
        ret = ap_retained_data_create(PR_ST_RETAINED, sizeof(*ret));
    }

    if (ret->hdr && (ret->hdr->magic != PR_ST_MAGIC
                     || ret->hdr->slot_size != sizeof(pr_slot))) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, main_s, PRE(0105)
                     "status: the retained counters were written by another "
                     "build of the module; starting afresh");
        apr_pool_destroy(ret->pool);
        memset(ret, 0, sizeof(*ret));
    }
    if (ret->hdr) {
        /* A restart: forget static backends that are gone, count the
         * dynamic ones we keep. */
        slots = slots_of(ret->hdr);
        for (i = 0; i < ret->hdr->nslots; ++i) {
            pr_slot *sl = &slots[i];
            if (apr_atomic_read32(&sl->state) == SLOT_CLAIMING) {
                slot_release(sl);   /* a child died claiming it */
                continue;
            }
            if (apr_atomic_read32(&sl->state) != SLOT_USED) {
                continue;
            }
            if (apr_hash_get(set.seen, apr_pstrcat(ptemp, sl->backend, "\n", sl->vhost, NULL),
                             APR_HASH_KEY_STRING)) {
                continue;
            }
            if (sl->configured) {
                slot_release(sl);
            }
            else {
                ++used_dynamic;
            }
        }
        if (ret->hdr->nslots < nstatic + used_dynamic + PR_ST_SPARE / 2) {
            /* Too small for this configuration: a larger copy. */
            pr_st_retained fresh;
            apr_pool_t *pool;
            pr_slot *nslots_p;
            apr_uint32_t n = 0;
            apr_status_t rv;

            apr_pool_create(&pool, main_s->process->pool);
            rv = segment_create(pool, ptemp, nstatic + used_dynamic + PR_ST_SPARE, &fresh);
            if (rv != APR_SUCCESS) {
                ap_log_error(APLOG_MARK, APLOG_WARNING, rv, main_s, PRE(0102)
                             "status: cannot grow the shared memory for %u backends; "
                             "keeping the old segment of %u slots",
                             nstatic + used_dynamic, ret->hdr->nslots);
                apr_pool_destroy(pool);
            }
            else {
                nslots_p = slots_of(fresh.hdr);
                for (i = 0; i < ret->hdr->nslots; ++i) {
                    if (apr_atomic_read32(&slots[i].state) == SLOT_USED) {
                        slot_copy(&nslots_p[n++], &slots[i]);
                    }
                }
                fresh.hdr->dropped = apr_atomic_read64(&ret->hdr->dropped);
                fresh.hdr->created = ret->hdr->created;
                fresh.hdr->generation = ret->hdr->generation;
                /* Old-generation children keep their own mapping. */
                apr_pool_destroy(ret->pool);
                *ret = fresh;
            }
        }
    }
    else {
        apr_pool_t *pool;
        apr_status_t rv;

        apr_pool_create(&pool, main_s->process->pool);
        rv = segment_create(pool, ptemp, nstatic + PR_ST_SPARE, ret);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_ERR, rv, main_s, PRE(0103)
                         "status: cannot create shared memory for %u backends; "
                         "the status pages are disabled", nstatic + PR_ST_SPARE);
            apr_pool_destroy(pool);
            memset(ret, 0, sizeof(*ret));
            st_hdr = NULL;
            st_slots = NULL;
            st_nslots = 0;
            return OK;
        }
    }

    st_hdr = ret->hdr;
    st_slots = slots_of(ret->hdr);
    st_nslots = ret->hdr->nslots;
    ++st_hdr->generation;

    /* Every static backend has its slot, with the policy now in force. */
    for (i = 0; i < st_nslots; ++i) {
        apr_atomic_set32(&st_slots[i].configured, 0);
    }
    for (j = 0; j < set.list->nelts; ++j) {
        static_backend *sb = &APR_ARRAY_IDX(set.list, j, static_backend);
        pr_slot *sl = slot_find(st_slots, st_nslots, &sb->key, 1);
        if (sl) {
            apr_atomic_set32(&sl->configured, 1);
            apr_atomic_set32(&sl->policy, (apr_uint32_t)sb->policy);
        }
    }
    return OK;
}

static void st_child_init(apr_pool_t *pchild, server_rec *s)
{
    full_logged = 0;
    warn_ready = 0;
    if (apr_pool_create(&warn_pool, pchild) != APR_SUCCESS) {
        return;
    }
#if APR_HAS_THREADS
    if (apr_thread_mutex_create(&warn_mutex, APR_THREAD_MUTEX_DEFAULT, pchild)
        != APR_SUCCESS) {
        return;
    }
#endif
    warn_days = apr_hash_make(warn_pool);
    warn_ready = 1;
}

/* ------------------------------------------------------------------ */
/* Reading: a consistent copy of every slot in use.                     */

typedef struct {
    char backend[sizeof(((pr_slot *)0)->backend)];
    char vhost[sizeof(((pr_slot *)0)->vhost)];
    int policy;
    int configured;
    apr_uint64_t ok, resumed, refused_total, audit_total;
    apr_uint64_t refused[PR_REASON__COUNT];
    apr_uint64_t audit[PR_REASON__COUNT];
    pr_snap snap;
    long days_now;                  /* days left now, from not_after */
} pr_view;

static pr_view *collect(apr_pool_t *p, int *n_out)
{
    pr_view *views = apr_pcalloc(p, sizeof(pr_view) * (st_nslots ? st_nslots : 1));
    apr_time_t now = apr_time_now();
    apr_uint32_t i;
    int n = 0, k;

    for (i = 0; i < st_nslots; ++i) {
        pr_slot *sl = &st_slots[i];
        pr_view *v = &views[n];

        if (apr_atomic_read32(&sl->state) != SLOT_USED) {
            continue;
        }
        memcpy(v->backend, sl->backend, sizeof(v->backend));
        memcpy(v->vhost, sl->vhost, sizeof(v->vhost));
        v->backend[sizeof(v->backend) - 1] = '\0';
        v->vhost[sizeof(v->vhost) - 1] = '\0';
        v->policy = (int)apr_atomic_read32(&sl->policy);
        v->configured = (int)apr_atomic_read32(&sl->configured);
        v->ok = apr_atomic_read64(&sl->ok);
        v->resumed = apr_atomic_read64(&sl->resumed);
        for (k = 0; k < PR_REASON__COUNT; ++k) {
            v->refused[k] = apr_atomic_read64(&sl->refused[k]);
            v->audit[k] = apr_atomic_read64(&sl->audit[k]);
            v->refused_total += v->refused[k];
            v->audit_total += v->audit[k];
        }
        snap_read(sl, &v->snap);
        if (v->snap.have_cert) {
            v->days_now = pr_days_until(apr_time_sec(v->snap.not_after), apr_time_sec(now));
        }
        ++n;
    }
    *n_out = n;
    return views;
}

static const char *verdict_name(int verdict)
{
    switch (verdict) {
    case PR_VERDICT_OK:      return "ok";
    case PR_VERDICT_REFUSED: return "refused";
    case PR_VERDICT_AUDIT:   return "audit";
    default:                 return "unknown";
    }
}

static const char *iso_time(apr_pool_t *p, apr_time_t t)
{
    apr_time_exp_t x;

    apr_time_exp_gmt(&x, t);
    return apr_psprintf(p, "%04d-%02d-%02dT%02d:%02d:%02dZ", x.tm_year + 1900,
                        x.tm_mon + 1, x.tm_mday, x.tm_hour, x.tm_min, x.tm_sec);
}

/* A JSON string, quotes included. */
static const char *jstr(apr_pool_t *p, const char *s)
{
    size_t len = strlen(s);
    char *out = apr_palloc(p, PR_JSON_ESCAPED_MAX(len) + 2);

    out[0] = '"';
    len = pr_json_escape(s, len, out + 1, PR_JSON_ESCAPED_MAX(len));
    out[len + 1] = '"';
    out[len + 2] = '\0';
    return out;
}

/* A Prometheus label value, without its quotes. */
static const char *pstr(apr_pool_t *p, const char *s)
{
    size_t len = strlen(s);
    char *out = apr_palloc(p, PR_PROM_ESCAPED_MAX(len));

    pr_prom_escape(s, len, out, PR_PROM_ESCAPED_MAX(len));
    return out;
}

static const char *html(apr_pool_t *p, const char *s)
{
    return (s && *s) ? ap_escape_html2(p, s, 1) : "-";
}

/* ------------------------------------------------------------------ */
/* JSON.                                                                */

static void json_reasons(request_rec *r, const apr_uint64_t *counts)
{
    int k;

    ap_rputs("{", r);
    for (k = 1; k < PR_REASON__COUNT; ++k) {
        ap_rprintf(r, "%s\"%s\": %" APR_UINT64_T_FMT, k > 1 ? ", " : "",
                   pr_reason_name((pr_reason)k), counts[k]);
    }
    ap_rputs("}", r);
}

static void out_json(request_rec *r, const pr_view *views, int n)
{
    apr_pool_t *p = r->pool;
    apr_time_t now = apr_time_now();
    int i;

    ap_set_content_type(r, "application/json");
    ap_rprintf(r, "{\n  \"now\": %s,\n  \"now_unix\": %" APR_TIME_T_FMT ",\n"
               "  \"since\": %s,\n  \"since_unix\": %" APR_TIME_T_FMT ",\n"
               "  \"slots\": %u,\n  \"dropped\": %" APR_UINT64_T_FMT ",\n  \"backends\": [",
               jstr(p, iso_time(p, now)), apr_time_sec(now),
               jstr(p, iso_time(p, st_hdr->created)), apr_time_sec(st_hdr->created),
               st_nslots, apr_atomic_read64(&st_hdr->dropped));
    for (i = 0; i < n; ++i) {
        const pr_view *v = &views[i];
        const pr_snap *sn = &v->snap;

        ap_rprintf(r, "%s\n    {\"backend\": %s, \"vhost\": %s, \"policy\": %s, "
                   "\"configured\": %s,\n     \"handshakes\": {\"ok\": %" APR_UINT64_T_FMT
                   ", \"refused_total\": %" APR_UINT64_T_FMT
                   ", \"audit_total\": %" APR_UINT64_T_FMT ",\n       \"refused\": ",
                   i ? "," : "", jstr(p, v->backend), jstr(p, v->vhost),
                   jstr(p, pr_policy_label(v->policy)), v->configured ? "true" : "false",
                   v->ok, v->refused_total, v->audit_total);
        json_reasons(r, v->refused);
        ap_rputs(",\n       \"audit\": ", r);
        json_reasons(r, v->audit);
        ap_rprintf(r, "},\n     \"resumed\": %" APR_UINT64_T_FMT ",\n     \"last\": ", v->resumed);
        if (sn->time) {
            ap_rprintf(r, "{\"verdict\": \"%s\", \"reason\": %s, \"time\": %s, "
                       "\"time_unix\": %" APR_TIME_T_FMT ", \"resumed\": %s, "
                       "\"protocol\": %s, \"cipher\": %s}",
                       verdict_name(sn->verdict),
                       sn->verdict == PR_VERDICT_OK ? "null"
                           : jstr(p, pr_reason_name((pr_reason)sn->reason)),
                       jstr(p, iso_time(p, sn->time)), apr_time_sec(sn->time),
                       sn->resumed ? "true" : "false",
                       sn->protocol[0] ? jstr(p, sn->protocol) : "null",
                       sn->cipher[0] ? jstr(p, sn->cipher) : "null");
        }
        else {
            ap_rputs("null", r);
        }
        ap_rputs(",\n     \"peer\": ", r);
        if (sn->have_cert) {
            ap_rprintf(r, "{\"subject\": %s, \"issuer\": %s, \"sans\": %s, "
                       "\"not_after\": %s, \"not_after_unix\": %" APR_TIME_T_FMT ", "
                       "\"days_left\": %ld, \"expiring\": %s, \"pin\": %s, "
                       "\"seen\": %s}",
                       jstr(p, sn->subject), jstr(p, sn->issuer), jstr(p, sn->sans),
                       jstr(p, iso_time(p, sn->not_after)), apr_time_sec(sn->not_after),
                       v->days_now, (sn->expiring || v->days_now < 0) ? "true" : "false",
                       jstr(p, sn->pin), jstr(p, iso_time(p, sn->cert_time)));
        }
        else {
            ap_rputs("null", r);
        }
        ap_rputs("}", r);
    }
    ap_rputs("\n  ]\n}\n", r);
}

/* ------------------------------------------------------------------ */
/* Prometheus text exposition format 0.0.4.                             */

static void prom_family(request_rec *r, const char *name, const char *type,
                        const char *help)
{
    ap_rprintf(r, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void out_prometheus(request_rec *r, const pr_view *views, int n)
{
    apr_pool_t *p = r->pool;
    const char **labels = apr_palloc(p, sizeof(*labels) * (n ? n : 1));
    apr_time_t now = apr_time_now();
    int i, k;

    ap_set_content_type(r, "text/plain; version=0.0.4; charset=utf-8");
    for (i = 0; i < n; ++i) {
        labels[i] = apr_psprintf(p, "backend=\"%s\",vhost=\"%s\"",
                                 pstr(p, views[i].backend), pstr(p, views[i].vhost));
    }

    prom_family(r, "proxy_reencrypt_handshakes_total", "counter",
                "TLS handshakes with backends by result: ok, refused (enforce) or "
                "audit (a violation let through), and reason.");
    for (i = 0; i < n; ++i) {
        const pr_view *v = &views[i];

        ap_rprintf(r, "proxy_reencrypt_handshakes_total{%s,result=\"ok\",reason=\"none\"} %"
                   APR_UINT64_T_FMT "\n", labels[i], v->ok);
        /* Every reason of the result this backend's policy produces (so
         * that rate() sees the first one), others only once they occurred. */
        for (k = 1; k < PR_REASON__COUNT; ++k) {
            if (v->refused[k] || v->policy == PR_POLICY_ENFORCE) {
                ap_rprintf(r, "proxy_reencrypt_handshakes_total{%s,result=\"refused\","
                           "reason=\"%s\"} %" APR_UINT64_T_FMT "\n", labels[i],
                           pr_reason_name((pr_reason)k), v->refused[k]);
            }
        }
        for (k = 1; k < PR_REASON__COUNT; ++k) {
            if (v->audit[k] || v->policy == PR_POLICY_AUDIT) {
                ap_rprintf(r, "proxy_reencrypt_handshakes_total{%s,result=\"audit\","
                           "reason=\"%s\"} %" APR_UINT64_T_FMT "\n", labels[i],
                           pr_reason_name((pr_reason)k), v->audit[k]);
            }
        }
    }

    prom_family(r, "proxy_reencrypt_resumed_total", "counter",
                "TLS handshakes with backends that resumed a session.");
    for (i = 0; i < n; ++i) {
        ap_rprintf(r, "proxy_reencrypt_resumed_total{%s} %" APR_UINT64_T_FMT "\n",
                   labels[i], views[i].resumed);
    }

    prom_family(r, "proxy_reencrypt_peer_cert_not_after_seconds", "gauge",
                "notAfter of the backend's certificate, Unix time.");
    for (i = 0; i < n; ++i) {
        if (views[i].snap.have_cert) {
            ap_rprintf(r, "proxy_reencrypt_peer_cert_not_after_seconds{%s} %" APR_TIME_T_FMT "\n",
                       labels[i], apr_time_sec(views[i].snap.not_after));
        }
    }

    /* Not "..._days_left": Prometheus wants base units (promtool's lint
     * refuses a "days" metric); dashboards divide by 86400. */
    prom_family(r, "proxy_reencrypt_peer_cert_remaining_seconds", "gauge",
                "Time until the backend's certificate expires (negative: expired).");
    for (i = 0; i < n; ++i) {
        if (views[i].snap.have_cert) {
            ap_rprintf(r, "proxy_reencrypt_peer_cert_remaining_seconds{%s} %" APR_TIME_T_FMT "\n",
                       labels[i], apr_time_sec(views[i].snap.not_after) - apr_time_sec(now));
        }
    }

    prom_family(r, "proxy_reencrypt_last_handshake_timestamp_seconds", "gauge",
                "Time of the last verdict on the backend, Unix time.");
    for (i = 0; i < n; ++i) {
        if (views[i].snap.time) {
            ap_rprintf(r, "proxy_reencrypt_last_handshake_timestamp_seconds{%s} %"
                       APR_TIME_T_FMT "\n", labels[i], apr_time_sec(views[i].snap.time));
        }
    }

    prom_family(r, "proxy_reencrypt_backend_info", "gauge",
                "Backends known to the module, with their policy and whether they "
                "are configured (static) or dynamic.");
    for (i = 0; i < n; ++i) {
        ap_rprintf(r, "proxy_reencrypt_backend_info{%s,policy=\"%s\",kind=\"%s\"} 1\n",
                   labels[i], pr_policy_label(views[i].policy),
                   views[i].configured ? "static" : "dynamic");
    }

    prom_family(r, "proxy_reencrypt_peer_cert_info", "gauge",
                "The backend's last seen certificate and negotiated TLS parameters.");
    for (i = 0; i < n; ++i) {
        const pr_snap *sn = &views[i].snap;
        if (sn->have_cert) {
            ap_rprintf(r, "proxy_reencrypt_peer_cert_info{%s,subject=\"%s\",issuer=\"%s\","
                       "pin=\"%s\",protocol=\"%s\",cipher=\"%s\"} 1\n", labels[i],
                       pstr(p, sn->subject), pstr(p, sn->issuer), pstr(p, sn->pin),
                       pstr(p, sn->protocol), pstr(p, sn->cipher));
        }
    }

    prom_family(r, "proxy_reencrypt_status_dropped_total", "counter",
                "Handshakes not counted because every status slot was taken.");
    ap_rprintf(r, "proxy_reencrypt_status_dropped_total %" APR_UINT64_T_FMT "\n",
               apr_atomic_read64(&st_hdr->dropped));
}

/* ------------------------------------------------------------------ */
/* HTML (the handler's page and the mod_status section).                */

static const char css[] =
    "<style>\n"
    "table.pr { border-collapse: collapse; font-size: 90%; }\n"
    "table.pr th, table.pr td { border: 1px solid #999; padding: 2px 5px; "
    "text-align: left; vertical-align: top; }\n"
    "table.pr tr.refused { background: #f8c8c8; }\n"
    "table.pr tr.audit { background: #fde0b0; }\n"
    "table.pr td.expiring { background: #fff2a0; font-weight: bold; }\n"
    "table.pr td.expired { background: #f08080; font-weight: bold; }\n"
    "table.pr td.bad { color: #a00; font-weight: bold; }\n"
    "table.pr td.mono { font-family: monospace; font-size: 85%; word-break: break-all; max-width: 14em; }\n"
    "</style>\n";

static const char *html_reasons(apr_pool_t *p, const apr_uint64_t *counts, apr_uint64_t total)
{
    const char *s = "";
    int k;

    if (!total) {
        return "0";
    }
    for (k = 1; k < PR_REASON__COUNT; ++k) {
        if (counts[k]) {
            s = apr_psprintf(p, "%s%s%s: %" APR_UINT64_T_FMT, s, *s ? "<br>" : "",
                             pr_reason_name((pr_reason)k), counts[k]);
        }
    }
    return s;
}

static void out_html_table(request_rec *r, const pr_view *views, int n)
{
    apr_pool_t *p = r->pool;
    char date[APR_RFC822_DATE_LEN];
    int i;

    ap_rputs(css, r);
    ap_rprintf(r, "<p>%d backend%s; counting since %s", n, n == 1 ? "" : "s",
               ap_ht_time(p, st_hdr->created, "%Y-%m-%d %H:%M:%S %Z", 0));
    if (apr_atomic_read64(&st_hdr->dropped)) {
        ap_rprintf(r, "; <b>%" APR_UINT64_T_FMT " handshakes not counted</b> "
                   "(all %u slots taken)", apr_atomic_read64(&st_hdr->dropped), st_nslots);
    }
    ap_rputs(".</p>\n<table class=\"pr\">\n<tr><th>Backend</th><th>Vhost</th>"
             "<th>Policy</th><th>OK</th><th>Refused</th><th>Audit violations</th>"
             "<th>Resumed</th><th>Last verdict</th><th>Subject</th><th>Issuer</th>"
             "<th>SANs</th><th>notAfter</th><th>Days left</th><th>SPKI pin</th>"
             "<th>Protocol</th><th>Cipher</th></tr>\n", r);
    for (i = 0; i < n; ++i) {
        const pr_view *v = &views[i];
        const pr_snap *sn = &v->snap;
        const char *cls = sn->time && sn->verdict == PR_VERDICT_REFUSED ? "refused"
                        : sn->time && sn->verdict == PR_VERDICT_AUDIT ? "audit" : "";
        const char *last = "never";
        const char *days_cls = "", *days = "-", *not_after = "-";

        if (sn->time) {
            apr_rfc822_date(date, sn->time);
            last = apr_psprintf(p, "%s%s%s<br>%s", verdict_name(sn->verdict),
                                sn->verdict == PR_VERDICT_OK ? "" : ": ",
                                sn->verdict == PR_VERDICT_OK ? ""
                                    : pr_reason_name((pr_reason)sn->reason),
                                html(p, date));
        }
        if (sn->have_cert) {
            apr_rfc822_date(date, sn->not_after);
            not_after = html(p, date);
            days = apr_ltoa(p, v->days_now);
            days_cls = v->days_now < 0 ? " class=\"expired\""
                     : sn->expiring ? " class=\"expiring\"" : "";
        }
        ap_rprintf(r, "<tr%s%s%s><td>%s%s</td><td>%s</td><td>%s</td><td>%" APR_UINT64_T_FMT
                   "</td><td%s>%s</td><td%s>%s</td><td>%" APR_UINT64_T_FMT "</td><td>%s</td>",
                   *cls ? " class=\"" : "", cls, *cls ? "\"" : "",
                   html(p, v->backend), v->configured ? "" : " <i>(dynamic)</i>",
                   html(p, v->vhost), pr_policy_label(v->policy), v->ok,
                   v->refused_total ? " class=\"bad\"" : "",
                   html_reasons(p, v->refused, v->refused_total),
                   v->audit_total ? " class=\"bad\"" : "",
                   html_reasons(p, v->audit, v->audit_total), v->resumed, last);
        ap_rprintf(r, "<td>%s</td><td>%s</td><td>%s</td><td>%s</td><td%s>%s</td>"
                   "<td class=\"mono\">%s</td><td>%s</td><td>%s</td></tr>\n",
                   sn->have_cert ? html(p, sn->subject) : "-",
                   sn->have_cert ? html(p, sn->issuer) : "-",
                   sn->have_cert ? html(p, sn->sans) : "-", not_after, days_cls, days,
                   sn->have_cert ? html(p, sn->pin) : "-",
                   html(p, sn->protocol), html(p, sn->cipher));
    }
    ap_rputs("</table>\n", r);
}

static void out_html(request_rec *r, const pr_view *views, int n)
{
    ap_set_content_type(r, "text/html; charset=utf-8");
    ap_rputs(DOCTYPE_HTML_4_01 "<html><head>\n<title>Proxy re-encryption status</title>\n"
             "</head><body>\n<h1>Proxy re-encryption status</h1>\n", r);
    ap_rprintf(r, "<p>Server: %s. Also as <a href=\"?json\">JSON</a> and "
               "<a href=\"?prometheus\">Prometheus</a>.</p>\n",
               ap_escape_html2(r->pool, ap_get_server_name(r), 1));
    out_html_table(r, views, n);
    ap_rputs("</body></html>\n", r);
}

/* ------------------------------------------------------------------ */
/* SetHandler proxy-reencrypt-status                                    */

static int has_arg(const char *args, const char *word)
{
    size_t wl = strlen(word);
    const char *a = args;

    while (a && *a) {
        const char *end = strchr(a, '&');
        size_t len = end ? (size_t)(end - a) : strlen(a);

        if ((len == wl && !strncmp(a, word, wl))
            || (len == wl + 7 && !strncmp(a, "format=", 7) && !strncmp(a + 7, word, wl))) {
            return 1;
        }
        a = end ? end + 1 : NULL;
    }
    return 0;
}

static int st_handler(request_rec *r)
{
    pr_view *views;
    int n;

    if (!r->handler || strcmp(r->handler, PR_ST_HANDLER)) {
        return DECLINED;
    }
    r->allowed |= (AP_METHOD_BIT << M_GET);
    if (r->method_number != M_GET) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    if (!st_slots) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, PRE(0104)
                      "status: no shared memory (see the start-up log)");
        return HTTP_SERVICE_UNAVAILABLE;
    }
    apr_table_setn(r->headers_out, "Cache-Control", "no-cache, no-store");
    views = collect(r->pool, &n);
    if (has_arg(r->args, "json")) {
        out_json(r, views, n);
    }
    else if (has_arg(r->args, "prometheus")) {
        out_prometheus(r, views, n);
    }
    else {
        out_html(r, views, n);
    }
    return OK;
}

/* ------------------------------------------------------------------ */
/* mod_status: a section of /server-status, plain text with ?auto.      */

static int st_status_hook(request_rec *r, int flags)
{
    pr_view *views;
    int n, i;

    if (!st_slots) {
        return OK;
    }
    views = collect(r->pool, &n);
    if (flags & AP_STATUS_SHORT) {
        ap_rprintf(r, "ProxyReencryptBackends: %d\n", n);
        for (i = 0; i < n; ++i) {
            const pr_view *v = &views[i];
            ap_rprintf(r, "ProxyReencryptBackend%d: backend=%s vhost=%s policy=%s ok=%"
                       APR_UINT64_T_FMT " refused=%" APR_UINT64_T_FMT " audit=%"
                       APR_UINT64_T_FMT " resumed=%" APR_UINT64_T_FMT " last=%s",
                       i, v->backend, v->vhost, pr_policy_label(v->policy), v->ok,
                       v->refused_total, v->audit_total, v->resumed,
                       v->snap.time ? verdict_name(v->snap.verdict) : "none");
            if (v->snap.time && v->snap.verdict != PR_VERDICT_OK) {
                ap_rprintf(r, " reason=%s", pr_reason_name((pr_reason)v->snap.reason));
            }
            if (v->snap.have_cert) {
                ap_rprintf(r, " days_left=%ld", v->days_now);
            }
            ap_rputs("\n", r);
        }
        return OK;
    }
    ap_rputs("<hr />\n<h2>Proxy re-encryption (mod_proxy_reencrypt)</h2>\n", r);
    out_html_table(r, views, n);
    return OK;
}

/* ------------------------------------------------------------------ */
/* apachectl -t -D DUMP_REENCRYPT                                        */

typedef struct {
    apr_file_t *out;
    server_rec *last_s;
} dump_ctx;

/* One line per field: "name  value  (default)" or "(set at file:line)". */
static void dump_one(void *baton, apr_pool_t *p, server_rec *s,
                     proxy_balancer *b, proxy_worker *w)
{
    dump_ctx *d = baton;
    apr_file_t *out = d->out;
    const pr_resolved *pol = pr_policy_for_worker(s, w);
    char value[512];
    int f;

    if (d->last_s != s) {
        d->last_s = s;
        if (s->is_virtual) {
            apr_file_printf(out, "%s (%s:%u)\n", pr_vhost_name(p, s),
                            s->defn_name ? s->defn_name : "?", s->defn_line_number);
        }
        else {
            apr_file_printf(out, "%s (main server)\n", pr_vhost_name(p, s));
        }
    }
    if (b) {
        apr_file_printf(out, "    %s member of %s\n", ap_proxy_worker_name(p, w),
                        b->s->name);
    }
    else {
        apr_file_printf(out, "    %s\n", ap_proxy_worker_name(p, w));
    }
    for (f = 0; f < PR_F__COUNT; ++f) {
        pr_field_value(pol, (pr_field)f, value, sizeof(value));
        if (pol->origin[f]) {
            apr_file_printf(out, "        %-18s %s (set at %s)\n", pr_field_name((pr_field)f),
                            value, pol->origin[f]);
        }
        else {
            apr_file_printf(out, "        %-18s %s (default)\n", pr_field_name((pr_field)f),
                            value);
        }
    }
}

/* test_config runs for -t once the configuration is read, where core
 * prints -D DUMP_VHOSTS: the same place, the same stream. */
static void st_test_config(apr_pool_t *pconf, server_rec *s)
{
    dump_ctx d;

    if (!ap_exists_config_define("DUMP_REENCRYPT")) {
        return;
    }
    d.last_s = NULL;
    if (apr_file_open_stdout(&d.out, pconf) != APR_SUCCESS) {
        return;
    }
    apr_file_printf(d.out, "ProxyReencrypt backends (effective policy per backend and vhost):\n");
    each_worker(pconf, s, dump_one, &d);
    if (!d.last_s) {
        apr_file_printf(d.out, "    (no ProxyPass or BalancerMember backend)\n");
    }
    apr_file_flush(d.out);
}

void pr_status_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_post_config(st_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(st_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(st_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_test_config(st_test_config, NULL, NULL, APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ap, status_hook, st_status_hook, NULL, NULL, APR_HOOK_MIDDLE);
}

/*
 * pr_status_segment.c: the shared segment the status slots live in
 * (pr_status_store.c works in it).
 *
 * One anonymous apr_shm segment, created by the parent in post_config
 * and inherited by the children at fork: a header and one fixed-size
 * slot per backend. It is sized from the configuration: every static
 * ProxyPass worker and balancer member of every vhost, plus PR_ST_SPARE
 * slots for dynamic backends (RewriteRule [P], ProxyPassMatch with a
 * variable host). Dynamic backends never size it: once the spare slots
 * are taken, the least recently used dynamic slot is reused.
 *
 * Why apr_shm and not mod_slotmem_shm: the segment is kept in
 * ap_retained_data, so it survives graceful (and plain -k restart)
 * restarts in the parent without a name, a file or mod_slotmem_shm being
 * loaded. When a restart brings more static backends than the segment
 * holds, a larger one is made and the slots are copied over by key
 * (static backends first, then the dynamic ones most recently used
 * first, as many as fit); slotmem_shm would instead drop a segment whose
 * size changed, losing every count. What we give up is slotmem's
 * AP_SLOTMEM_TYPE_PERSIST (counts kept across a full stop/start), which
 * Prometheus-style counters do not need: a counter reset on a cold start
 * is normal.
 *
 * Restarts. On every post_config (except the first, pre-detach pass)
 * the retained segment is reused when it is large enough: slots of
 * static backends no longer configured are freed, new ones are added
 * (taking the least recently used dynamic slots if needed), counts of
 * everything else are kept. Old-generation children still serving
 * requests during a graceful restart keep writing into the same segment,
 * so nothing is lost; only when the segment had to grow do the
 * increments they make after the copy go to the old one.
 */
#include "pr_glue.h"

#include "apr_atomic.h"
#include "apr_shm.h"
#include "apr_strings.h"
#include "http_core.h"

#include <stdlib.h>
#include <unistd.h>

#include "pr_status.h"

#define PR_ST_RETAINED  "mod_proxy_reencrypt-status-" PR_ST_LAYOUT

/* In the process pool: outlives pconf, seen again after a restart. */
typedef struct {
    apr_pool_t *pool;               /* owns shm; destroyed when replaced */
    apr_shm_t *shm;
    pr_st_header *hdr;
} pr_st_retained;

/* Is this one of mod_proxy's generic workers (not a configured backend)? */
static int is_generic(proxy_server_conf *sconf, proxy_worker *w)
{
    return w == sconf->reverse || w == sconf->forward
        || !strncmp(w->s->name, "proxy:", 6) || !strcasecmp(w->s->scheme, "balancer");
}

/* Every ProxyPass worker and balancer member of every vhost, as
 * pr_check_config walks them (a vhost inherits the main server's), in
 * configuration order: the main server, then the vhosts as written
 * (httpd keeps them in the reverse order). */
void pr_each_worker(apr_pool_t *p, server_rec *main_s, pr_worker_fn fn, void *baton)
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
    pr_slot_key key;
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
    pr_slot_key k;

    /* The same names pr_proxy.c gives pr_tls.c for this worker. */
    pr_st_key_make(&k, ap_proxy_worker_name(p, w), pr_vhost_name(p, s));
    text = apr_pstrcat(p, k.backend, "\n", k.vhost, NULL);
    if (apr_hash_get(set->seen, text, APR_HASH_KEY_STRING)) {
        return;
    }
    sb = apr_array_push(set->list);
    sb->key = k;
    sb->policy = pr_policy_for_worker(s, w)->policy;
    apr_hash_set(set->seen, text, APR_HASH_KEY_STRING, sb);
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
    dst->last_used = apr_atomic_read64(&src->last_used);
    pr_st_snap_read(src, &dst->snap);
    dst->state = SLOT_USED;
}

static apr_status_t segment_gone(void *hdr)
{
    if (pr_st_attached() == hdr) {
        pr_st_attach(NULL);
    }
    return APR_SUCCESS;
}

static apr_status_t segment_create(apr_pool_t *pool, apr_pool_t *ptemp,
                                   apr_uint32_t nslots, apr_uint32_t nvslots,
                                   pr_st_retained *ret)
{
    /* the backend slots, then the vhost slots (pr_status_fwd.c) */
    apr_size_t size = APR_ALIGN_DEFAULT(sizeof(pr_st_header))
        + APR_ALIGN_DEFAULT((apr_size_t)nslots * sizeof(pr_slot)) + pr_st_vslots_size(nvslots);
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
    /* Registered after the segment's own cleanup, so run before it: no
     * reader is left pointed at this segment while it is unmapped (a
     * health check thread still running while a one-process server
     * exits). */
    apr_pool_cleanup_register(pool, ret->hdr, segment_gone, apr_pool_cleanup_null);
    memset(ret->hdr, 0, size);
    ret->hdr->magic = PR_ST_MAGIC;
    ret->hdr->slot_size = sizeof(pr_slot);
    ret->hdr->nslots = nslots;
    ret->hdr->nvslots = nvslots;
    ret->hdr->vslot_size = sizeof(pr_vslot);
    ret->hdr->created = apr_time_now();
    ret->pool = pool;
    return APR_SUCCESS;
}

/* Is the slot one of this configuration's static backends? */
static int is_static(const static_set *set, apr_pool_t *ptemp, const pr_slot *sl)
{
    return apr_hash_get(set->seen, apr_pstrcat(ptemp, sl->backend, "\n", sl->vhost, NULL),
                        APR_HASH_KEY_STRING) != NULL;
}

/* Most recently used first. */
static int by_recent_use(const void *a, const void *b)
{
    apr_uint64_t ua = apr_atomic_read64(&(*(pr_slot *const *)a)->last_used);
    apr_uint64_t ub = apr_atomic_read64(&(*(pr_slot *const *)b)->last_used);

    return ua < ub ? 1 : ua > ub ? -1 : 0;
}

/* A segment of want slots replacing ret's: the static backends' slots
 * first, then the dynamic ones most recently used first, as many as fit. */
static apr_status_t segment_grow(pr_st_retained *ret, apr_pool_t *ptemp, server_rec *main_s,
                                 apr_uint32_t want, apr_uint32_t wantv, const static_set *set)
{
    pr_st_retained fresh;
    apr_array_header_t *dyn = apr_array_make(ptemp, 16, sizeof(pr_slot *));
    pr_slot *old = pr_st_slots_of(ret->hdr), *slots;
    apr_uint32_t i, n = 0;
    apr_pool_t *pool;
    apr_status_t rv;
    int j;

    apr_pool_create(&pool, main_s->process->pool);
    rv = segment_create(pool, ptemp, want, wantv, &fresh);
    if (rv != APR_SUCCESS) {
        apr_pool_destroy(pool);
        return rv;
    }
    slots = pr_st_slots_of(fresh.hdr);
    for (i = 0; i < ret->hdr->nslots; ++i) {
        if (apr_atomic_read32(&old[i].state) != SLOT_USED) {
            continue;
        }
        if (is_static(set, ptemp, &old[i])) {
            slot_copy(&slots[n++], &old[i]);
        }
        else {
            APR_ARRAY_PUSH(dyn, pr_slot *) = &old[i];
        }
    }
    qsort(dyn->elts, (size_t)dyn->nelts, sizeof(pr_slot *), by_recent_use);
    for (j = 0; j < dyn->nelts && n < want; ++j) {
        slot_copy(&slots[n++], APR_ARRAY_IDX(dyn, j, pr_slot *));
    }
    pr_st_fwd_copy(fresh.hdr, ret->hdr);
    fresh.hdr->dropped = apr_atomic_read64(&ret->hdr->dropped);
    fresh.hdr->created = ret->hdr->created;
    fresh.hdr->generation = ret->hdr->generation;
    /* Old-generation children keep their own mapping. */
    apr_pool_destroy(ret->pool);
    *ret = fresh;
    return APR_SUCCESS;
}

int pr_st_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                      server_rec *main_s)
{
    pr_st_retained *ret;
    static_set set;
    pr_slot *slots;
    apr_array_header_t *vhosts;
    apr_uint32_t i, nstatic, want, wantv;
    int j;

    (void)pconf;
    (void)plog;
    /* The first pass runs before httpd detaches and is thrown away. */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    set.list = apr_array_make(ptemp, 16, sizeof(static_backend));
    set.seen = apr_hash_make(ptemp);
    pr_each_worker(ptemp, main_s, collect_one, &set);
    nstatic = (apr_uint32_t)set.list->nelts;
    /* Only the configuration sizes the segment, never dynamic backends. */
    want = nstatic + PR_ST_SPARE;
    vhosts = pr_st_fwd_vhosts(ptemp, main_s);
    wantv = (apr_uint32_t)vhosts->nelts;

    ret = ap_retained_data_get(PR_ST_RETAINED);
    if (!ret) {
        ret = ap_retained_data_create(PR_ST_RETAINED, sizeof(*ret));
    }

    if (ret->hdr && (ret->hdr->magic != PR_ST_MAGIC
                     || ret->hdr->slot_size != sizeof(pr_slot)
                     || ret->hdr->vslot_size != sizeof(pr_vslot))) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, main_s, PRE(0105)
                     "status: the retained counters were written by another "
                     "build of the module; starting afresh");
        apr_pool_destroy(ret->pool);
        memset(ret, 0, sizeof(*ret));
    }
    if (ret->hdr) {
        /* A restart: forget static backends that are gone. */
        slots = pr_st_slots_of(ret->hdr);
        for (i = 0; i < ret->hdr->nslots; ++i) {
            pr_slot *sl = &slots[i];
            if (apr_atomic_read32(&sl->state) == SLOT_CLAIMING) {
                pr_st_slot_release(sl);     /* a child died claiming it */
                continue;
            }
            if (apr_atomic_read32(&sl->state) == SLOT_USED
                && apr_atomic_read32(&sl->configured) && !is_static(&set, ptemp, sl)) {
                pr_st_slot_release(sl);
            }
        }
        pr_st_fwd_forget(ret->hdr, vhosts);     /* vhosts that are gone */
        if (ret->hdr->nslots < want || ret->hdr->nvslots < wantv) {
            apr_status_t rv = segment_grow(ret, ptemp, main_s,
                                           want > ret->hdr->nslots ? want : ret->hdr->nslots,
                                           wantv, &set);
            if (rv != APR_SUCCESS) {
                ap_log_error(APLOG_MARK, APLOG_WARNING, rv, main_s, PRE(0102)
                             "status: cannot grow the shared memory for %u backends "
                             "and %u vhosts; keeping the old segment of %u and %u slots",
                             nstatic, wantv, ret->hdr->nslots, ret->hdr->nvslots);
            }
        }
    }
    else {
        apr_pool_t *pool;
        apr_status_t rv;

        apr_pool_create(&pool, main_s->process->pool);
        rv = segment_create(pool, ptemp, want, wantv, ret);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_ERR, rv, main_s, PRE(0103)
                         "status: cannot create shared memory for %u backends; "
                         "the status pages are disabled", want);
            apr_pool_destroy(pool);
            memset(ret, 0, sizeof(*ret));
            pr_st_attach(NULL);
            return OK;
        }
    }

    pr_st_attach(ret->hdr);
    ++ret->hdr->generation;
    pr_st_fwd_claim(ret->hdr, vhosts);

    /* Every static backend has its slot, with the policy now in force:
     * mark the ones that have a slot first, so that claiming the others
     * (which may reuse dynamic slots) never takes a static one. */
    slots = pr_st_slots_of(ret->hdr);
    for (i = 0; i < ret->hdr->nslots; ++i) {
        apr_atomic_set32(&slots[i].configured,
                         apr_atomic_read32(&slots[i].state) == SLOT_USED
                         && is_static(&set, ptemp, &slots[i]));
    }
    for (j = 0; j < set.list->nelts; ++j) {
        static_backend *sb = &APR_ARRAY_IDX(set.list, j, static_backend);
        pr_slot *sl = pr_st_slot_find(slots, ret->hdr->nslots, &sb->key, 1, 1);
        if (sl) {
            apr_atomic_set32(&sl->configured, 1);
            apr_atomic_set32(&sl->policy, (apr_uint32_t)sb->policy);
        }
    }
    return OK;
}

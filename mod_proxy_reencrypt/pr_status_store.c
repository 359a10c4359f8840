/*
 * pr_status_store.c: what the module saw, per backend, in the slots of
 * the shared segment (pr_status_segment.c makes the segment).
 *
 * A slot per backend (key = backend name + vhost), found by a linear
 * scan filtered by a 32-bit hash (a few hundred slots at most). A
 * dynamic backend (RewriteRule [P], ProxyPassMatch with a variable host)
 * claims a free slot with a CAS; when none is free it takes over the
 * dynamic slot used least recently (static backends keep theirs), so a
 * flood of distinct dynamic targets ages the old ones out instead of
 * being dropped or growing the segment.
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
 * A writer that found a dynamic slot just before it was reused for
 * another backend may add its one count to the new owner: an accepted
 * imprecision of the least recently used slot, never of a static one.
 */
#include "pr_glue.h"

#include "apr_atomic.h"
#include "apr_strings.h"
#include "apr_thread_mutex.h"
#include "apr_thread_proc.h"
#include "apr_version.h"

#include "pr_metrics.h"
#include "pr_status.h"

#if !APR_VERSION_AT_LEAST(1, 7, 0)
#error "mod_proxy_reencrypt's status needs APR >= 1.7 (64-bit atomics)"
#endif

#define PR_ST_WARN_MAX  4096            /* per-child warn table, then reset */

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

pr_slot *pr_st_slots_of(pr_st_header *hdr)
{
    return (pr_slot *)((char *)hdr + APR_ALIGN_DEFAULT(sizeof(pr_st_header)));
}

void pr_st_attach(pr_st_header *hdr)
{
    st_hdr = hdr;
    st_slots = hdr ? pr_st_slots_of(hdr) : NULL;
    st_nslots = hdr ? hdr->nslots : 0;
}

pr_st_header *pr_st_attached(void)
{
    return st_hdr;
}

/* ------------------------------------------------------------------ */
/* Slots.                                                               */

void pr_st_key_make(pr_slot_key *k, const char *backend, const char *vhost)
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

static int key_is(pr_slot *sl, const pr_slot_key *k)
{
    return sl->hash == k->hash && !strcmp(sl->backend, k->backend)
        && !strcmp(sl->vhost, k->vhost);
}

/* Clear a slot we hold CLAIMING and give it key k; then publish it. */
static void slot_take(pr_slot *sl, const pr_slot_key *k)
{
    memset((char *)sl + sizeof(sl->state), 0, sizeof(*sl) - sizeof(sl->state));
    memcpy(sl->backend, k->backend, sizeof(sl->backend));
    memcpy(sl->vhost, k->vhost, sizeof(sl->vhost));
    sl->hash = k->hash;
    apr_atomic_set64(&sl->last_used, (apr_uint64_t)apr_time_now());
    apr_atomic_xchg32(&sl->state, SLOT_USED);       /* full barrier: publish */
}

/* No free slot: reuse the dynamic slot used least recently. A few tries
 * when another process takes the same one first. */
static pr_slot *slot_evict(pr_slot *slots, apr_uint32_t n, const pr_slot_key *k)
{
    int tries;

    for (tries = 0; tries < 4; ++tries) {
        pr_slot *victim = NULL;
        apr_uint64_t oldest = 0;
        apr_uint32_t i;

        for (i = 0; i < n; ++i) {
            pr_slot *sl = &slots[i];
            apr_uint64_t used;

            if (apr_atomic_read32(&sl->state) != SLOT_USED) {
                continue;
            }
            if (key_is(sl, k)) {
                return sl;          /* someone recorded it meanwhile */
            }
            if (apr_atomic_read32(&sl->configured)) {
                continue;
            }
            used = apr_atomic_read64(&sl->last_used);
            if (!victim || used < oldest) {
                victim = sl;
                oldest = used;
            }
        }
        if (!victim) {
            return NULL;
        }
        if (apr_atomic_cas32(&victim->state, SLOT_CLAIMING, SLOT_USED) != SLOT_USED) {
            continue;
        }
        if (apr_atomic_read32(&victim->configured)) {
            /* Became a static backend's slot under our feet (start-up). */
            apr_atomic_xchg32(&victim->state, SLOT_USED);
            continue;
        }
        slot_take(victim, k);
        return victim;
    }
    return NULL;
}

/* The slot of key k in slots[0..n), claiming a free one if create.
 * A first pass only looks (a restart can leave free holes before the
 * slot of an existing key). The claiming pass takes the first free slot
 * and re-examines every used or claimed one before it, waiting on
 * CLAIMING slots; a claimer that loses the CAS looks at the slot again.
 * So two children recording the same new backend at once end up in the
 * same slot. With evict, a full table gives up its least recently used
 * dynamic slot. */
pr_slot *pr_st_slot_find(pr_slot *slots, apr_uint32_t n, const pr_slot_key *k,
                         int create, int evict)
{
    apr_uint32_t i;
    int pass;

    for (pass = 0; pass < (create ? 2 : 1); ++pass) {
        for (i = 0; i < n; ++i) {
            pr_slot *sl = &slots[i];
            apr_uint32_t st = pass ? settled_state(sl) : apr_atomic_read32(&sl->state);

            if (st == SLOT_USED) {
                if (key_is(sl, k)) {
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
            slot_take(sl, k);
            return sl;
        }
    }
    return (create && evict) ? slot_evict(slots, n, k) : NULL;
}

void pr_st_slot_release(pr_slot *sl)
{
    apr_atomic_xchg32(&sl->state, SLOT_CLAIMING);   /* finders wait, then skip */
    memset((char *)sl + sizeof(sl->state), 0, sizeof(*sl) - sizeof(sl->state));
    apr_atomic_xchg32(&sl->state, SLOT_FREE);
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
        copy_field(sn->fingerprint, sizeof(sn->fingerprint), ev->fingerprint);
        copy_field(sn->serial, sizeof(sn->serial), ev->serial);
        sn->chain_not_after = ev->chain_not_after;
    }
    /* An event that does not know them (a refusal before the
     * handshake got that far) keeps the last negotiated ones. */
    if (ev->protocol || ev->cipher) {
        copy_field(sn->protocol, sizeof(sn->protocol), ev->protocol);
        copy_field(sn->cipher, sizeof(sn->cipher), ev->cipher);
    }
    copy_field(sn->ocsp, sizeof(sn->ocsp), ev->ocsp);
    sn->ocsp_next = ev->ocsp ? ev->ocsp_next : 0;
    copy_field(sn->ocsp_responder, sizeof(sn->ocsp_responder),
               ev->ocsp ? ev->ocsp_responder : NULL);
    sn->crl_next = ev->crl_next;

    apr_atomic_xchg32(&sl->seq, (seq | 1u) + 1u);   /* even: stable */
    apr_atomic_xchg32(&sl->wlock, 0);
}

/* A consistent copy of the slot's snapshot; 0 if writers kept it busy
 * (the copy is then possibly torn, but every string is terminated). */
int pr_st_snap_read(pr_slot *sl, pr_snap *out)
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
    out->fingerprint[sizeof(out->fingerprint) - 1] = '\0';
    out->serial[sizeof(out->serial) - 1] = '\0';
    out->ocsp[sizeof(out->ocsp) - 1] = '\0';
    out->ocsp_responder[sizeof(out->ocsp_responder) - 1] = '\0';
    return ok;
}

/* The subscriber of pr_events.h: count one event (any thread of any
 * child). */
void pr_st_record(server_rec *s, const pr_event *ev)
{
    pr_slot_key k;
    pr_slot *sl;
    unsigned reason;

    if (!st_slots || !ev || !ev->backend) {
        return;
    }
    pr_st_key_make(&k, ev->backend, ev->vhost ? ev->vhost : "");
    sl = pr_st_slot_find(st_slots, st_nslots, &k, 1, 1);
    if (!sl) {
        apr_atomic_add64(&st_hdr->dropped, 1);
        if (apr_atomic_cas32(&full_logged, 1, 0) == 0) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, PRE(0101)
                         "status: no slot for backend %s (vhost %s): all %u are "
                         "held by configured backends or being claimed; its "
                         "handshakes are not counted; logged once per child",
                         ev->backend, ev->vhost ? ev->vhost : "", st_nslots);
        }
        return;
    }
    apr_atomic_set32(&sl->policy, (apr_uint32_t)ev->policy);
    apr_atomic_set64(&sl->last_used, (apr_uint64_t)apr_time_now());
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

void pr_st_child_init(apr_pool_t *pchild, server_rec *s)
{
    (void)s;
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
/* Reading: a consistent copy of every slot in use (of one vhost).      */

/* A consistent copy of one slot in use into v (every field set). */
static void view_read(pr_slot *sl, pr_view *v, apr_time_t now)
{
    int k;

    memcpy(v->backend, sl->backend, sizeof(v->backend));
    memcpy(v->vhost, sl->vhost, sizeof(v->vhost));
    v->backend[sizeof(v->backend) - 1] = '\0';
    v->vhost[sizeof(v->vhost) - 1] = '\0';
    v->policy = (int)apr_atomic_read32(&sl->policy);
    v->configured = (int)apr_atomic_read32(&sl->configured);
    v->ok = apr_atomic_read64(&sl->ok);
    v->resumed = apr_atomic_read64(&sl->resumed);
    v->refused_total = v->audit_total = 0;
    for (k = 0; k < PR_REASON__COUNT; ++k) {
        v->refused[k] = apr_atomic_read64(&sl->refused[k]);
        v->audit[k] = apr_atomic_read64(&sl->audit[k]);
        v->refused_total += v->refused[k];
        v->audit_total += v->audit[k];
    }
    pr_st_snap_read(sl, &v->snap);
    v->days_now = v->snap.have_cert
        ? pr_days_until(apr_time_sec(v->snap.not_after), apr_time_sec(now)) : 0;
}

/* The page's figures, without views. */
static void page_figures(pr_st_page *page, apr_uint32_t used)
{
    page->created = st_hdr->created;
    page->dropped = apr_atomic_read64(&st_hdr->dropped);
    page->slots = st_nslots;
    page->slots_used = used;
}

int pr_st_each(const char *vhost, pr_st_view_fn fn, void *baton, pr_st_page *page)
{
    pr_view v;
    apr_time_t now = apr_time_now();
    pr_slot_key vk;
    apr_uint32_t i, used = 0;

    memset(page, 0, sizeof(*page));
    if (!st_slots) {
        return 0;
    }
    if (vhost) {
        pr_st_key_make(&vk, "", vhost);
    }
    for (i = 0; i < st_nslots; ++i) {
        pr_slot *sl = &st_slots[i];

        if (apr_atomic_read32(&sl->state) != SLOT_USED) {
            continue;
        }
        ++used;
        if (vhost && strcmp(sl->vhost, vk.vhost)) {
            continue;
        }
        view_read(sl, &v, now);
        fn(baton, &v);
        page->n++;
    }
    page_figures(page, used);
    return 1;
}

int pr_st_collect(apr_pool_t *p, const char *vhost, pr_st_page *page)
{
    pr_view *views;
    apr_time_t now = apr_time_now();
    pr_slot_key vk;
    apr_uint32_t i, used = 0;
    int n = 0;

    memset(page, 0, sizeof(*page));
    if (!st_slots) {
        return 0;
    }
    if (vhost) {
        /* Slots hold the vhost name cut as the key was. */
        pr_st_key_make(&vk, "", vhost);
    }
    views = apr_palloc(p, sizeof(pr_view) * (st_nslots ? st_nslots : 1));
    for (i = 0; i < st_nslots; ++i) {
        pr_slot *sl = &st_slots[i];

        if (apr_atomic_read32(&sl->state) != SLOT_USED) {
            continue;
        }
        ++used;
        if (vhost && strcmp(sl->vhost, vk.vhost)) {
            continue;
        }
        view_read(sl, &views[n], now);
        ++n;
    }
    page->views = views;
    page->n = n;
    page_figures(page, used);
    pr_st_fwd_collect(p, vhost, page);
    return 1;
}

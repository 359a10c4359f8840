/*
 * pr_status.h: what the status files share (not for the rest of the
 * module, which sees pr_status_register_hooks and pr_status_should_warn
 * in pr_glue.h and talks to the store through pr_events.h).
 *
 * pr_status_store.c    the slots of the shared segment: lookup, claim,
 *                      least-recently-used reuse of dynamic slots,
 *                      seqlocked snapshots, recording events, reading
 * pr_status_segment.c  the segment itself: sized from the configuration
 *                      at start-up, kept (or grown for static backends)
 *                      across restarts
 * pr_status_render.c   HTML, JSON, Prometheus and mod_status ?auto
 * pr_status_handler.c  SetHandler proxy-reencrypt-status, the mod_status
 *                      hook, ProxyReencryptStatusScope, hook registration
 * pr_status_fwd.c      per-vhost counters of forwarded headers: the vhost
 *                      slots after the backend slots, counting, rendering
 */
#ifndef PR_STATUS_H
#define PR_STATUS_H

#include "httpd.h"
#include "apr_time.h"

#include "mod_proxy.h"

#include "pr_core.h"
#include "pr_events.h"
#include "pr_fwd_stats.h"

/* ProxyReencryptStatusScope */
#define PR_ST_SCOPE_VHOST   0
#define PR_ST_SCOPE_ALL     1

/* Bump PR_ST_LAYOUT whenever pr_st_header or pr_slot change: a graceful
 * restart may load a newer mod_proxy_reencrypt.so that finds the
 * previous one's segment (then it starts afresh). */
#define PR_ST_LAYOUT    "5"             /* 4: per-vhost forwarded slots; 5: pr_snap.ocsp_responder */
#define PR_ST_MAGIC     0x50525335u     /* "PRS5" */
#define PR_ST_SPARE     64              /* slots for dynamic backends */

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
    char fingerprint[65];           /* SHA-256 of the leaf, hex */
    char serial[79];
    apr_time_t chain_not_after;     /* earliest notAfter of leaf and chain */
    char ocsp[16];                  /* pr_event.ocsp; "": not judged */
    apr_time_t ocsp_next;
    apr_time_t crl_next;
    char ocsp_responder[128];       /* pr_event.ocsp_responder; "": none */
} pr_snap;

typedef struct {
    /* Identity: written while state is SLOT_CLAIMING, then read-only. */
    apr_uint32_t state;
    apr_uint32_t hash;
    apr_uint32_t configured;        /* a static backend of this config */
    apr_uint32_t policy;            /* last policy in force (atomic) */
    char backend[256];
    char vhost[128];
    apr_uint64_t last_used;         /* apr_time_t of the last event (atomic) */
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
    apr_uint32_t nvslots;           /* pr_vslot after the slots */
    apr_uint32_t vslot_size;
} pr_st_header;

/* Per vhost: the forwarded headers it saw (pr_status_fwd.c), one slot
 * per configured vhost, claimed by the parent at start-up. Counters:
 * apr_atomic only. */
typedef struct {
    apr_uint32_t state;             /* SLOT_FREE or SLOT_USED */
    apr_uint32_t hash;              /* of pr_st_key_make("", vhost) */
    char vhost[sizeof(((pr_slot *)0)->vhost)];
    apr_uint64_t stripped[PR_FWDF__COUNT];  /* from untrusted peers, enforce */
    apr_uint64_t audit[PR_FWDF__COUNT];     /* the same, audit: would strip */
    apr_uint64_t malformed[PR_FWDL__COUNT]; /* lists from trusted proxies */
    apr_uint64_t invalid[PR_FWDV__COUNT];   /* values from trusted proxies */
} pr_vslot;

/* A copy of one vhost's counters. */
typedef struct {
    char vhost[sizeof(((pr_slot *)0)->vhost)];
    apr_uint64_t stripped[PR_FWDF__COUNT], audit[PR_FWDF__COUNT];
    apr_uint64_t malformed[PR_FWDL__COUNT], invalid[PR_FWDV__COUNT];
    apr_uint64_t stripped_total, audit_total, malformed_total, invalid_total;
} pr_vview;

typedef struct {
    char backend[sizeof(((pr_slot *)0)->backend)];
    char vhost[sizeof(((pr_slot *)0)->vhost)];
    apr_uint32_t hash;
} pr_slot_key;

/* A consistent copy of one slot in use, for the renderers. */
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

/* What a page shows: the views and the segment's figures. */
typedef struct {
    const pr_view *views;
    int n;
    apr_time_t created;             /* counting since */
    apr_uint64_t dropped;
    unsigned slots, slots_used;     /* of the whole segment */
    const char *server;             /* this vhost, for the page title */
    const pr_vview *vviews;         /* forwarded headers per vhost */
    int nv;
} pr_st_page;

/* pr_status_store.c */
void pr_st_attach(pr_st_header *hdr);   /* NULL: no segment */
pr_st_header *pr_st_attached(void);     /* NULL: no segment */
pr_slot *pr_st_slots_of(pr_st_header *hdr);
void pr_st_key_make(pr_slot_key *k, const char *backend, const char *vhost);
/* The slot of k in slots[0..n); with create, a free one is claimed, else
 * (evict) the least recently used dynamic slot is reused. */
pr_slot *pr_st_slot_find(pr_slot *slots, apr_uint32_t n, const pr_slot_key *k,
                         int create, int evict);
void pr_st_slot_release(pr_slot *sl);
int pr_st_snap_read(pr_slot *sl, pr_snap *out);
/* The page of the slots of vhost (NULL: every vhost); 0 if no segment. */
int pr_st_collect(apr_pool_t *p, const char *vhost, pr_st_page *page);
/* The same one slot at a time, without copying them all: fn sees each
 * view (valid during the call only); page gets the figures (views NULL,
 * n the number of calls). 0 if no segment. */
typedef void (*pr_st_view_fn)(void *baton, const pr_view *v);
int pr_st_each(const char *vhost, pr_st_view_fn fn, void *baton, pr_st_page *page);
void pr_st_child_init(apr_pool_t *pchild, server_rec *s);
void pr_st_record(server_rec *s, const pr_event *ev);

/* pr_status_segment.c */
int pr_st_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                      server_rec *main_s);
/* Every ProxyPass worker and balancer member of every vhost, in
 * configuration order (pr_dump.c walks them too). */
typedef void (*pr_worker_fn)(void *baton, apr_pool_t *p, server_rec *s,
                             proxy_balancer *b, proxy_worker *w);
void pr_each_worker(apr_pool_t *p, server_rec *main_s, pr_worker_fn fn, void *baton);

/* pr_status_render.c */
void pr_st_out_json(request_rec *r, const pr_st_page *pg);
/* pr_status_prom.c: reads the slots itself (pr_st_each); 0 if no segment. */
int pr_st_out_prometheus(request_rec *r, const char *vhost);
void pr_st_out_html(request_rec *r, const pr_st_page *pg);
/* pr_status_audit.c: the "would refuse" view (?audit, ?json&audit). */
void pr_st_out_audit(request_rec *r, const pr_st_page *pg, int json);
/* The section of /server-status: an HTML table, or ?auto lines. */
void pr_st_out_table(request_rec *r, const pr_st_page *pg);
void pr_st_out_auto(request_rec *r, const pr_st_page *pg);

/* pr_status_fwd.c: the vhost slots after the backend slots of a
 * segment; the configured vhosts (one pr_slot_key each, backend ""); */
pr_vslot *pr_st_vslots_of(pr_st_header *hdr);
apr_size_t pr_st_vslots_size(apr_uint32_t nvslots);
apr_array_header_t *pr_st_fwd_vhosts(apr_pool_t *p, server_rec *main_s);
/* Free the slots of vhosts not in keys (a restart); claim theirs. */
void pr_st_fwd_forget(pr_st_header *hdr, const apr_array_header_t *keys);
void pr_st_fwd_claim(pr_st_header *hdr, const apr_array_header_t *keys);
/* Copy every used vhost slot of src into dst (a segment that grew). */
void pr_st_fwd_copy(pr_st_header *dst, pr_st_header *src);
/* The vhost views of vhost (NULL: every vhost) into page (vviews, nv). */
void pr_st_fwd_collect(apr_pool_t *p, const char *vhost, pr_st_page *page);
/* The forwarded parts of the pages. */
void pr_st_fwd_out_json(request_rec *r, const pr_st_page *pg);
void pr_st_fwd_out_html(request_rec *r, const pr_st_page *pg);
void pr_st_fwd_out_prometheus(request_rec *r, const char *vhost);
/* pr_status_trust.c: the trust files (pr_reload.c) on the page, in
 * ?json ("trust_files", after "backends") and ?prometheus. */
void pr_st_trust_html(request_rec *r);
void pr_st_trust_json(request_rec *r);
void pr_st_trust_prom(request_rec *r);

/* pr_status_render.c: a JSON string with its quotes; HTML text ("-" when
 * empty). Allocated in p. */
const char *pr_st_jstr(apr_pool_t *p, const char *s);
const char *pr_st_html(apr_pool_t *p, const char *s);

#endif

/*
 * pr_status_prom.c: the status page in the Prometheus text exposition
 * format 0.0.4 (?prometheus).
 *
 * Names follow the blackbox exporter where they mean the same
 * (probe_ssl_earliest_cert_expiry, probe_ssl_last_chain_info). Series
 * scale with what happened, not with every possible reason: an idle
 * backend has three series (backend_info, handshakes_total{result="ok"},
 * resumed_total), a reason series appears once it has counted, the
 * certificate series once a certificate was seen; the per-vhost totals
 * have every reason.
 *
 * One pass over the slots (pr_st_each, no copy of the whole table), each
 * family's samples appended to a buffer of its own (the format wants a
 * family's samples together), the buffers written out at the end: a
 * scrape of 10,000 backends stays well under 100 ms.
 */
#include "pr_glue.h"

#include "apr_hash.h"
#include "apr_strings.h"
#include "http_protocol.h"

#include "pr_metrics.h"
#include "pr_status.h"
#include "pr_version.h"

#include <time.h>

/* CPU time of this thread, in seconds (the page's own cost, whatever
 * else the machine does). */
static double thread_cpu(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) {
        return 0;
    }
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A growing output buffer (malloc'ed, freed by the renderer). */
typedef struct {
    char *b;
    size_t n, cap;
    int failed;
} pbuf;

static void pb_put(pbuf *pb, const char *s, size_t len)
{
    if (pb->failed) {
        return;
    }
    if (pb->n + len > pb->cap) {
        size_t cap = pb->cap ? pb->cap * 2 : 16384;
        char *nb;

        while (cap < pb->n + len) {
            cap *= 2;
        }
        nb = realloc(pb->b, cap);
        if (!nb) {
            pb->failed = 1;
            return;
        }
        pb->b = nb;
        pb->cap = cap;
    }
    memcpy(pb->b + pb->n, s, len);
    pb->n += len;
}

static void pb_str(pbuf *pb, const char *s)
{
    pb_put(pb, s, strlen(s));
}

static void pb_i64(pbuf *pb, apr_int64_t v)
{
    char tmp[24], *e = tmp + sizeof(tmp), *q = e;
    apr_uint64_t u = v < 0 ? (apr_uint64_t)0 - (apr_uint64_t)v : (apr_uint64_t)v;

    do {
        *--q = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) {
        *--q = '-';
    }
    pb_put(pb, q, (size_t)(e - q));
}

/* A label value, escaped (backslash, double quote, newline). */
static void pb_label(pbuf *pb, const char *name, const char *value)
{
    char esc[PR_PROM_ESCAPED_MAX(512)];
    size_t len = strlen(value);

    if (len > 512) {
        len = 512;
    }
    pb_str(pb, name);
    pb_put(pb, "=\"", 2);
    pb_put(pb, esc, pr_prom_escape(value, len, esc, sizeof(esc)));
    pb_put(pb, "\"", 1);
}

enum {
    F_HANDSHAKES, F_VHOST, F_RESUMED, F_EARLIEST, F_CHAIN, F_NOT_AFTER, F_REMAINING,
    F_LAST, F_OCSP, F_CRL, F_INFO, F_PEER, F_BUILD, F_DROPPED, F_CPU, F__COUNT
};

static const struct {
    const char *name, *type, *help;
} families[F__COUNT] = {
    { "proxy_reencrypt_handshakes_total", "counter",
      "TLS handshakes with backends by result: ok, refused (enforce) or audit (a "
      "violation let through), and reason; a reason appears once it has counted "
      "(every reason per vhost: proxy_reencrypt_vhost_handshakes_total)." },
    { "proxy_reencrypt_vhost_handshakes_total", "counter",
      "TLS handshakes with backends per front vhost, by result and every reason." },
    { "proxy_reencrypt_resumed_total", "counter",
      "TLS handshakes with backends that resumed a session." },
    { "proxy_reencrypt_ssl_earliest_cert_expiry", "gauge",
      "Earliest notAfter of the backend's leaf and chain, Unix time (as the blackbox "
      "exporter's probe_ssl_earliest_cert_expiry)." },
    { "proxy_reencrypt_ssl_last_chain_info", "gauge",
      "The backend's last seen leaf certificate: SHA-256 fingerprint, SPKI pin, "
      "subject, issuer and serial (as probe_ssl_last_chain_info); always 1." },
    { "proxy_reencrypt_peer_cert_not_after_seconds", "gauge",
      "notAfter of the backend's certificate, Unix time." },
    /* Not "..._days_left": Prometheus wants base units (promtool's lint
     * refuses a "days" metric); dashboards divide by 86400. */
    { "proxy_reencrypt_peer_cert_remaining_seconds", "gauge",
      "Time until the backend's certificate expires (negative: expired)." },
    { "proxy_reencrypt_last_handshake_timestamp_seconds", "gauge",
      "Time of the last verdict on the backend, Unix time." },
    { "proxy_reencrypt_ocsp_next_update_timestamp_seconds", "gauge",
      "nextUpdate of the OCSP response the backend stapled last, Unix time; "
      "status: what it said; responder: its responder ID (byName or byKey)." },
    { "proxy_reencrypt_crl_next_update_timestamp_seconds", "gauge",
      "Soonest nextUpdate of the CRLs the backend's last handshake was checked "
      "against, Unix time; past it a CRL counts as missing." },
    { "proxy_reencrypt_backend_info", "gauge",
      "Backends known to the module, with their policy and whether they are "
      "configured (static) or dynamic." },
    { "proxy_reencrypt_peer_cert_info", "gauge",
      "The backend's last seen certificate and negotiated TLS parameters." },
    { "proxy_reencrypt_build_info", "gauge",
      "The module's version (label version), always 1." },
    { "proxy_reencrypt_status_dropped_total", "counter",
      "Handshakes not counted because every status slot was taken." },
    { "proxy_reencrypt_scrape_cpu_seconds", "gauge",
      "CPU time spent producing this page (reading every slot and formatting)." },
};

typedef struct {
    apr_uint64_t ok, refused[PR_REASON__COUNT], audit[PR_REASON__COUNT];
} vhost_totals;

typedef struct {
    apr_pool_t *p;
    pbuf out[F__COUNT];
    apr_hash_t *vhosts;         /* vhost -> vhost_totals */
    apr_array_header_t *order;  /* const char *: vhosts as first seen */
    apr_int64_t now;
} prom_ctx;

/* "name{backend="...",vhost="..."" */
static void open_sample(pbuf *pb, int f, const char *labels, size_t llen)
{
    pb_str(pb, families[f].name);
    pb_put(pb, "{", 1);
    pb_put(pb, labels, llen);
}

static void close_value(pbuf *pb, apr_int64_t v)
{
    pb_put(pb, "} ", 2);
    pb_i64(pb, v);
    pb_put(pb, "\n", 1);
}

static void one_backend(void *baton, const pr_view *v)
{
    prom_ctx *c = baton;
    const pr_snap *sn = &v->snap;
    pbuf lb = { NULL, 0, 0, 0 }, *pb;
    vhost_totals *t;
    int k;

    /* backend and vhost labels, once */
    pb_label(&lb, "backend", v->backend);
    pb_put(&lb, ",", 1);
    pb_label(&lb, "vhost", v->vhost);
    if (lb.failed) {
        free(lb.b);
        return;
    }

    pb = &c->out[F_HANDSHAKES];
    open_sample(pb, F_HANDSHAKES, lb.b, lb.n);
    pb_str(pb, ",result=\"ok\",reason=\"none\"");
    close_value(pb, (apr_int64_t)v->ok);
    for (k = 1; k < PR_REASON__COUNT; ++k) {
        if (v->refused[k]) {
            open_sample(pb, F_HANDSHAKES, lb.b, lb.n);
            pb_str(pb, ",result=\"refused\",reason=\"");
            pb_str(pb, pr_reason_name((pr_reason)k));
            pb_put(pb, "\"", 1);
            close_value(pb, (apr_int64_t)v->refused[k]);
        }
        if (v->audit[k]) {
            open_sample(pb, F_HANDSHAKES, lb.b, lb.n);
            pb_str(pb, ",result=\"audit\",reason=\"");
            pb_str(pb, pr_reason_name((pr_reason)k));
            pb_put(pb, "\"", 1);
            close_value(pb, (apr_int64_t)v->audit[k]);
        }
    }

    t = apr_hash_get(c->vhosts, v->vhost, APR_HASH_KEY_STRING);
    if (!t) {
        const char *name = apr_pstrdup(c->p, v->vhost);

        t = apr_pcalloc(c->p, sizeof(*t));
        apr_hash_set(c->vhosts, name, APR_HASH_KEY_STRING, t);
        APR_ARRAY_PUSH(c->order, const char *) = name;
    }
    t->ok += v->ok;
    for (k = 1; k < PR_REASON__COUNT; ++k) {
        t->refused[k] += v->refused[k];
        t->audit[k] += v->audit[k];
    }

    open_sample(&c->out[F_RESUMED], F_RESUMED, lb.b, lb.n);
    close_value(&c->out[F_RESUMED], (apr_int64_t)v->resumed);

    pb = &c->out[F_INFO];
    open_sample(pb, F_INFO, lb.b, lb.n);
    pb_str(pb, ",policy=\"");
    pb_str(pb, pr_policy_label(v->policy));
    pb_str(pb, v->configured ? "\",kind=\"static\"" : "\",kind=\"dynamic\"");
    close_value(pb, 1);

    if (sn->time) {
        open_sample(&c->out[F_LAST], F_LAST, lb.b, lb.n);
        close_value(&c->out[F_LAST], apr_time_sec(sn->time));
    }
    if (sn->ocsp[0] && sn->ocsp_next) {
        pb = &c->out[F_OCSP];
        open_sample(pb, F_OCSP, lb.b, lb.n);
        pb_put(pb, ",", 1);
        pb_label(pb, "status", sn->ocsp);
        pb_put(pb, ",", 1);
        pb_label(pb, "responder", sn->ocsp_responder);
        close_value(pb, apr_time_sec(sn->ocsp_next));
    }
    if (sn->crl_next) {
        open_sample(&c->out[F_CRL], F_CRL, lb.b, lb.n);
        close_value(&c->out[F_CRL], apr_time_sec(sn->crl_next));
    }
    if (sn->have_cert) {
        apr_int64_t na = apr_time_sec(sn->not_after);

        open_sample(&c->out[F_EARLIEST], F_EARLIEST, lb.b, lb.n);
        close_value(&c->out[F_EARLIEST],
                    sn->chain_not_after ? apr_time_sec(sn->chain_not_after) : na);

        pb = &c->out[F_CHAIN];
        open_sample(pb, F_CHAIN, lb.b, lb.n);
        pb_put(pb, ",", 1);
        pb_label(pb, "fingerprint_sha256", sn->fingerprint);
        pb_put(pb, ",", 1);
        pb_label(pb, "spki_sha256", strncmp(sn->pin, "sha256//", 8) ? sn->pin : sn->pin + 8);
        pb_put(pb, ",", 1);
        pb_label(pb, "subject", sn->subject);
        pb_put(pb, ",", 1);
        pb_label(pb, "issuer", sn->issuer);
        pb_put(pb, ",", 1);
        pb_label(pb, "serial", sn->serial);
        close_value(pb, 1);

        open_sample(&c->out[F_NOT_AFTER], F_NOT_AFTER, lb.b, lb.n);
        close_value(&c->out[F_NOT_AFTER], na);
        open_sample(&c->out[F_REMAINING], F_REMAINING, lb.b, lb.n);
        close_value(&c->out[F_REMAINING], na - c->now);

        pb = &c->out[F_PEER];
        open_sample(pb, F_PEER, lb.b, lb.n);
        pb_put(pb, ",", 1);
        pb_label(pb, "subject", sn->subject);
        pb_put(pb, ",", 1);
        pb_label(pb, "issuer", sn->issuer);
        pb_put(pb, ",", 1);
        pb_label(pb, "pin", sn->pin);
        pb_put(pb, ",", 1);
        pb_label(pb, "protocol", sn->protocol);
        pb_put(pb, ",", 1);
        pb_label(pb, "cipher", sn->cipher);
        close_value(pb, 1);
    }
    free(lb.b);
}

static void vhost_sample(pbuf *pb, const char *vhost, const char *result,
                         const char *reason, apr_uint64_t v)
{
    pb_str(pb, families[F_VHOST].name);
    pb_put(pb, "{", 1);
    pb_label(pb, "vhost", vhost);
    pb_str(pb, ",result=\"");
    pb_str(pb, result);
    pb_str(pb, "\",reason=\"");
    pb_str(pb, reason);
    pb_put(pb, "\"", 1);
    close_value(pb, (apr_int64_t)v);
}

int pr_st_out_prometheus(request_rec *r, const char *vhost)
{
    prom_ctx c;
    pr_st_page meta;
    int f, i, k, ok, failed = 0;
    double cpu0 = thread_cpu();
    char cpu[32];

    memset(&c, 0, sizeof(c));
    c.p = r->pool;
    c.vhosts = apr_hash_make(r->pool);
    c.order = apr_array_make(r->pool, 4, sizeof(const char *));
    c.now = apr_time_sec(apr_time_now());
    ok = pr_st_each(vhost, one_backend, &c, &meta);
    if (ok) {
        for (i = 0; i < c.order->nelts; ++i) {
            const char *vh = APR_ARRAY_IDX(c.order, i, const char *);
            const vhost_totals *t = apr_hash_get(c.vhosts, vh, APR_HASH_KEY_STRING);

            vhost_sample(&c.out[F_VHOST], vh, "ok", "none", t->ok);
            for (k = 1; k < PR_REASON__COUNT; ++k) {
                vhost_sample(&c.out[F_VHOST], vh, "refused", pr_reason_name((pr_reason)k),
                             t->refused[k]);
                vhost_sample(&c.out[F_VHOST], vh, "audit", pr_reason_name((pr_reason)k),
                             t->audit[k]);
            }
        }
        pb_str(&c.out[F_BUILD], "proxy_reencrypt_build_info{version=\"" PR_VERSION "\"} 1\n");
        pb_str(&c.out[F_DROPPED], "proxy_reencrypt_status_dropped_total ");
        pb_i64(&c.out[F_DROPPED], (apr_int64_t)meta.dropped);
        pb_put(&c.out[F_DROPPED], "\n", 1);
        apr_snprintf(cpu, sizeof(cpu), "%.6f\n", thread_cpu() - cpu0);
        pb_str(&c.out[F_CPU], "proxy_reencrypt_scrape_cpu_seconds ");
        pb_str(&c.out[F_CPU], cpu);
        for (f = 0; f < F__COUNT; ++f) {
            failed |= c.out[f].failed;
        }
        if (failed) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, PRE(0107)
                          "status: out of memory for the Prometheus page");
        }
        ap_set_content_type(r, "text/plain; version=0.0.4; charset=utf-8");
        for (f = 0; f < F__COUNT && !failed; ++f) {
            ap_rprintf(r, "# HELP %s %s\n# TYPE %s %s\n", families[f].name, families[f].help,
                       families[f].name, families[f].type);
            if (c.out[f].n) {
                ap_rwrite(c.out[f].b, (int)c.out[f].n, r);
            }
        }
        if (!failed) {
            pr_st_fwd_out_prometheus(r, vhost);
            pr_st_trust_prom(r);
        }
    }
    for (f = 0; f < F__COUNT; ++f) {
        free(c.out[f].b);
    }
    return ok;
}

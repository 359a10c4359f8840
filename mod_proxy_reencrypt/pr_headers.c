/*
 * pr_headers.c: forwarded headers the backend can trust.
 *
 * Two hooks of mod_proxy:
 * - our scheme_handler (pr_proxy.c) calls pr_forwarded_apply() before the
 *   request is built. The incoming forwarded family (SPEC "Forwarded
 *   headers", plus ProxyReencryptStripHeader; every spelling: any case,
 *   '_' for '-') is read once per request and what this hop vouches for
 *   is computed (nothing is, under ProxyReencryptForwarded off). Under
 *   enforce the family is removed from r->headers_in; under audit nothing
 *   is changed and what would be removed or set is logged at debug.
 * - proxy fixups, which mod_proxy runs on its per-attempt copy of the
 *   headers right after ProxyAddHeaders appended X-Forwarded-For/-Host/
 *   -Server to them: under enforce the computed values are set there,
 *   once, so the backend gets exactly one value of each header this hop
 *   sets. Schemes whose handler runs no fixups (h2, fcgi, ajp...) get
 *   them in r->headers_in from the scheme handler instead; mod_proxy_http2
 *   also appends on its own: see pr_forwarded_apply().
 *
 * The client, as mod_remoteip finds it (pr_headers_chain.c; the walk is the pure core's,
 * pr_xff_walk / pr_fwd_walk):
 * - mod_remoteip (or its PROXY protocol) changed r->useragent_ip: that is
 *   the client, and the chain is the one it consumed (its note
 *   remoteip-proxy-ip-list), never the remainder it left in the header;
 * - else, from a peer in ProxyReencryptTrustedProxy, X-Forwarded-For (or
 *   Forwarded) walked from the right past trusted proxies;
 * - else the peer.
 * "Trusted" is decided on the connection's peer (c->client_addr) with
 * APR's apr_ipsubnet_test.
 */
#include "pr_glue.h"

#include "apr_strings.h"
#include "http_core.h"
#include "http_ssl.h"

#include "pr_forwarded.h"
#include "pr_headers_chain.h"

typedef struct {
    int enforce;
    int mode;                       /* effective pr_fwd_mode */
    const char *xff, *proto, *host, *port, *real_ip, *forwarded;
    apr_array_header_t *removed;    /* const char *: incoming names (NULL: none) */
    apr_table_t *kept;              /* a trusted proxy's, put back (NULL: none) */
    int trusted;                    /* the peer is a trusted proxy */
    unsigned malformed, invalid;    /* 1 << pr_hdr_id: counted (status) */
} pr_fwd_values;

static int stripped_name(const pr_dir_conf *conf, const char *key)
{
    size_t len;
    int i;

    if (!conf->strip && !pr_fwd_family_initial((unsigned char)key[0])) {
        return 0;
    }
    len = strlen(key);
    if (pr_fwd_in_family(key, len)) {
        return 1;
    }
    for (i = 0; conf->strip && i < conf->strip->nelts; ++i) {
        const char *n = APR_ARRAY_IDX(conf->strip, i, const char *);
        if (pr_hdr_name_eq(key, len, n, strlen(n))) {
            return 1;
        }
    }
    return 0;
}

/* The incoming headers of the family, read once. */
typedef struct {
    const pr_dir_conf *conf;
    apr_pool_t *pool;
    int trusted;
    int keep_ours;                  /* mode off: a trusted proxy's go on */
    const char *val[PR_HDR__COUNT]; /* dash spellings of the ones we set */
    apr_array_header_t *names;      /* every name to remove (NULL: none) */
    apr_table_t *kept;              /* NULL: none */
} incoming;

static int collect(void *v, const char *key, const char *val)
{
    incoming *in = v;
    int canonical = 0;
    int id;

    if (!stripped_name(in->conf, key)) {
        return 1;
    }
    if (!in->names) {
        in->names = apr_array_make(in->pool, 4, sizeof(const char *));
    }
    APR_ARRAY_PUSH(in->names, const char *) = key;
    id = pr_fwd_header_id(key, strlen(key), &canonical);
    /* Underscore spellings are never kept: CGI-style backends read them
     * as the same variable, so they are a classic smuggling path. */
    if (!canonical) {
        return 1;
    }
    if (id != PR_HDR_OTHER && id != PR_HDR_X_FORWARDED_SERVER) {
        in->val[id] = in->val[id] ? apr_pstrcat(in->pool, in->val[id], ", ", val, NULL) : val;
    }
    if (in->trusted && ((id == PR_HDR_OTHER || id == PR_HDR_X_FORWARDED_SERVER)
                        || in->keep_ours)) {
        if (!in->kept) {
            in->kept = apr_table_make(in->pool, 2);
        }
        apr_table_addn(in->kept, key, val);
    }
    return 1;
}

/* The last element of a comma-separated list, trimmed. */
static const char *last_of(apr_pool_t *p, const char *list)
{
    const char *s = strrchr(list, ',');
    const char *e;

    s = s ? s + 1 : list;
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t')) {
        e--;
    }
    return apr_pstrmemdup(p, s, (apr_size_t)(e - s));
}

/* A trusted proxy's single value for header id: the nearest hop's (the
 * last element), if it passes valid(); else NULL. */
static const char *trusted_last(apr_pool_t *p, const incoming *in, int id,
                                int (*valid)(const char *, size_t), unsigned *invalid)
{
    const char *v;

    if (!in->trusted || !in->val[id]) {
        return NULL;
    }
    v = last_of(p, in->val[id]);
    if (!valid(v, strlen(v))) {
        *invalid |= 1u << id;
        return NULL;
    }
    return v;
}

static int port_valid(const char *s, size_t len)
{
    long port;
    return pr_parse_uint(s, len, 1, 65535, &port) == 0;
}

static int ip_valid(const char *s, size_t len)
{
    return pr_ip_literal(s, len) != 0;
}

/* The effective mode: ProxyAddHeaders Off and no ProxyReencryptForwarded
 * set nothing. */
static int mode_of(request_rec *r, const pr_resolved *pol)
{
    proxy_dir_conf *dconf;

    if (pol->origin[PR_F_FORWARDED]) {
        return pol->fwd_mode;
    }
    dconf = ap_get_module_config(r->per_dir_config, &proxy_module);
    return (!dconf || dconf->add_forwarded_headers) ? PR_DEFAULT_FWD_MODE : PR_FWD_MODE_OFF;
}

/* Could a request header be one to strip? Most requests have no header
 * whose first letter could start one. */
static int may_strip(request_rec *r, const pr_dir_conf *conf)
{
    const apr_array_header_t *h = apr_table_elts(r->headers_in);
    const apr_table_entry_t *e = (const apr_table_entry_t *)h->elts;
    int i;

    if (conf->strip) {
        return 1;
    }
    for (i = 0; i < h->nelts; ++i) {
        if (e[i].key && pr_fwd_family_initial((unsigned char)e[i].key[0])) {
            return 1;
        }
    }
    return 0;
}

static void compute(request_rec *r, const pr_dir_conf *conf, const pr_resolved *pol,
                    pr_fwd_values *out)
{
    conn_rec *c = r->connection;
    apr_pool_t *p = r->pool;
    const char *own_proto;
    incoming in;
    pr_trust_baton tb;
    pr_chain xc, fc, *primary;
    const char *v;
    const apr_array_header_t *h = apr_table_elts(r->headers_in);
    const apr_table_entry_t *e = (const apr_table_entry_t *)h->elts;
    int i;

    /* Mode, headers and trusted proxies from the resolved policy (the
     * SPEC's precedence); the names to strip add up over every section. */
    out->enforce = pol->policy == PR_POLICY_ENFORCE;
    out->mode = mode_of(r, pol);
    if (out->mode == PR_FWD_MODE_OFF && !may_strip(r, conf)) {
        out->removed = NULL;        /* nothing to set, nothing to strip */
        out->kept = NULL;
        return;
    }
    memset(&in, 0, sizeof(in));
    in.conf = conf;
    in.pool = p;
    in.trusted = out->trusted = pr_hdr_trusted_addr(pol->trusted, c->client_addr);
    in.keep_ours = out->mode == PR_FWD_MODE_OFF;
    for (i = 0; i < h->nelts; ++i) {  /* apr_table_do() without its varargs */
        if (e[i].key) {
            collect(&in, e[i].key, e[i].val);
        }
    }
    out->removed = in.names;
    out->kept = in.kept;
    if (out->mode == PR_FWD_MODE_OFF) {
        return;                     /* nothing is set: no client to find */
    }
    own_proto = ap_ssl_conn_is_ssl(c) ? "https" : "http";

    tb.cidrs = pol->trusted;
    tb.pool = p;
    if (strcmp(r->useragent_ip, c->client_ip) != 0) {
        pr_hdr_remoteip_chain(r, &xc);
        fc = xc;
        primary = &xc;
    }
    else if (!in.trusted || (!in.val[PR_HDR_X_FORWARDED_FOR] && !in.val[PR_HDR_FORWARDED])) {
        /* No chain from a trusted proxy (the usual case): the client is
         * the peer, no walk and no arrays (the Forwarded modes make the
         * one-address chain below). */
        memset(&xc, 0, sizeof(xc));
        xc.client = c->client_ip;
        fc = xc;
        primary = &xc;
    }
    else {
        pr_hdr_walk(r, in.val[PR_HDR_X_FORWARDED_FOR], 0, &tb, &xc);
        pr_hdr_walk(r, in.val[PR_HDR_FORWARDED], 1, &tb, &fc);
        if (out->mode == PR_FWD_MODE_RFC7239) {
            primary = fc.present || !xc.present ? &fc : &xc;
        }
        else {
            primary = xc.present || !fc.present ? &xc : &fc;
        }
        /* one header missing: the other's chain stands for it */
        if (!xc.present) {
            xc.addrs = primary->addrs;
        }
        if (!fc.present) {
            fc.addrs = primary->addrs;
            fc.elems = NULL;
        }
    }
    out->malformed = (xc.malformed ? 1u << PR_HDR_X_FORWARDED_FOR : 0)
        | (fc.malformed ? 1u << PR_HDR_FORWARDED : 0);
    out->real_ip = primary->client;
    out->xff = xc.addrs ? pr_hdr_join(p, xc.addrs, xc.addrs->nelts) : c->client_ip;
    out->proto = own_proto;
    out->host = apr_table_get(r->headers_in, "Host");
    if (!out->host) {
        out->host = r->hostname ? r->hostname : r->server->server_hostname;
    }
    if (in.trusted) {
        /* A trusted proxy that sent no chain may still name the client. */
        if (primary == &xc && !xc.present && !fc.present
            && (v = trusted_last(p, &in, PR_HDR_X_REAL_IP, ip_valid, &out->invalid)) != NULL) {
            out->real_ip = v;
        }
        /* X-Forwarded-Proto, -Host, -Port: the nearest trusted hop's
         * value (the last element) when valid, else this hop's own. */
        if ((v = trusted_last(p, &in, PR_HDR_X_FORWARDED_PROTO, pr_proto_valid,
                              &out->invalid)) != NULL) {
            out->proto = v;
        }
        if ((v = trusted_last(p, &in, PR_HDR_X_FORWARDED_HOST, pr_host_valid,
                              &out->invalid)) != NULL) {
            out->host = v;
        }
        out->port = trusted_last(p, &in, PR_HDR_X_FORWARDED_PORT, port_valid, &out->invalid);
    }
    if (!out->port) {
        out->port = apr_itoa(p, c->local_addr ? c->local_addr->port : 0);
    }

    if (out->mode == PR_FWD_MODE_RFC7239 || out->mode == PR_FWD_MODE_BOTH) {
        if (!fc.addrs) {
            fc.addrs = apr_array_make(p, 1, sizeof(const char *));
            APR_ARRAY_PUSH(fc.addrs, const char *) = c->client_ip;
        }
        out->forwarded = pr_hdr_forwarded_value(r, &fc, own_proto);
    }
}

/* The five X- headers of xff mode, set as apr_table_setn() would (the
 * first entry of a name takes the value in place, a missing one is added
 * at the end) in one pass: setn compares a name with every entry of the
 * same checksum, and all X-Forwarded-* names share APR's (their first
 * four letters). An entry repeated (never after our strip, unless
 * another module added one) goes back to setn. */
static void set_xff(apr_table_t *h, const pr_fwd_values *v)
{
    struct { const char *name; size_t len; const char *val; int at; } want[] = {
        { "X-Forwarded-For", 15, v->xff, -1 },   { "X-Forwarded-Proto", 17, v->proto, -1 },
        { "X-Forwarded-Host", 16, v->host, -1 }, { "X-Forwarded-Port", 16, v->port, -1 },
        { "X-Real-IP", 9, v->real_ip, -1 },
    };
    const int n = (int)(sizeof(want) / sizeof(want[0]));
    const apr_array_header_t *a = apr_table_elts(h);
    apr_table_entry_t *e = (apr_table_entry_t *)a->elts;
    int i, j, repeated = 0;

    for (i = 0; i < a->nelts; ++i) {
        size_t len;

        if (!e[i].key || (e[i].key[0] != 'X' && e[i].key[0] != 'x')) {
            continue;
        }
        len = strlen(e[i].key);
        for (j = 0; j < n; ++j) {
            if (len == want[j].len && !strcasecmp(e[i].key, want[j].name)) {
                repeated |= want[j].at >= 0;
                want[j].at = i;
            }
        }
    }
    for (j = 0; j < n; ++j) {
        if (repeated) {
            apr_table_setn(h, want[j].name, want[j].val);
        }
        else if (want[j].at >= 0) {
            e[want[j].at].val = (char *)want[j].val;
        }
        else {
            apr_table_addn(h, want[j].name, want[j].val);
        }
    }
}

static void set_values(request_rec *r, const pr_fwd_values *v)
{
    apr_table_t *h = r->headers_in;

    if (v->mode == PR_FWD_MODE_XFF || v->mode == PR_FWD_MODE_BOTH) {
        set_xff(h, v);
    }
    else if (v->mode == PR_FWD_MODE_RFC7239) {
        /* Forwarded only: what ProxyAddHeaders appended goes. */
        apr_table_unset(h, "X-Forwarded-For");
        apr_table_unset(h, "X-Forwarded-Host");
        apr_table_unset(h, "X-Forwarded-Server");
    }
    if ((v->mode == PR_FWD_MODE_RFC7239 || v->mode == PR_FWD_MODE_BOTH) && v->forwarded) {
        apr_table_setn(h, "Forwarded", v->forwarded);
    }
}

static int put_back(void *h, const char *key, const char *val)
{
    apr_table_addn(h, key, val);
    return 1;
}

/* Audit: what enforce would do, one debug line per request. */
static void log_audit(request_rec *r, const pr_fwd_values *v)
{
    const char *removed, *set = "nothing";

    if (!v->removed && v->mode == PR_FWD_MODE_OFF) {
        return;
    }
    removed = v->removed ? apr_array_pstrcat(r->pool, v->removed, ',') : "nothing";
    if (v->mode == PR_FWD_MODE_XFF || v->mode == PR_FWD_MODE_BOTH) {
        set = apr_psprintf(r->pool, "X-Forwarded-For: %s; X-Real-IP: %s; "
                           "X-Forwarded-Proto: %s; X-Forwarded-Host: %s; "
                           "X-Forwarded-Port: %s", v->xff, v->real_ip, v->proto,
                           v->host, v->port);
    }
    if (v->forwarded) {
        set = apr_psprintf(r->pool, "%s%sForwarded: %s", v->mode == PR_FWD_MODE_BOTH ? set : "",
                           v->mode == PR_FWD_MODE_BOTH ? "; " : "", v->forwarded);
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, PRE(1032)
                  "audit: would remove %s; would set %s", removed, set);
}

/* Does mod_proxy build this request with ap_proxy_create_hdrbrgd, which
 * runs the proxy fixups after ProxyAddHeaders? mod_proxy_http (http,
 * https, ws, wss) and mod_proxy_wstunnel do: the values are set there,
 * once, on the copy the backend gets. Other schemes (h2, fcgi, ajp...)
 * read r->headers_in themselves. */
static int fixups_will_set(const char *url)
{
    const char *colon = url ? strchr(url, ':') : NULL;
    size_t n = colon ? (size_t)(colon - url) : 0;

    return (n == 4 && !strncasecmp(url, "http", 4)) || (n == 5 && !strncasecmp(url, "https", 5))
        || (n == 2 && !strncasecmp(url, "ws", 2)) || (n == 3 && !strncasecmp(url, "wss", 3));
}

void pr_forwarded_apply(request_rec *r, const pr_dir_conf *conf, const pr_resolved *pol,
                        const char *url)
{
    pr_fwd_values *v = ap_get_module_config(r->request_config, &proxy_reencrypt_module);
    const request_rec *q;
    proxy_dir_conf *dconf;
    int i;

    if (r->proxyreq != PROXYREQ_REVERSE) {
        return;
    }
    /* An internal redirect (ErrorDocument) shares the headers we already
     * rewrote: reuse what was computed from the client's originals. */
    for (q = r->prev; !v && q; q = q->prev) {
        v = ap_get_module_config(q->request_config, &proxy_reencrypt_module);
    }
    if (!v && !r->prev && mode_of(r, pol) == PR_FWD_MODE_OFF && !may_strip(r, conf)) {
        /* Nothing to set, nothing to strip, nothing to count or log: the
         * usual request under ProxyReencryptForwarded off. */
        static const pr_fwd_values none[2] = { { .enforce = 0, .mode = PR_FWD_MODE_OFF },
                                               { .enforce = 1, .mode = PR_FWD_MODE_OFF } };

        ap_set_module_config(r->request_config, &proxy_reencrypt_module,
                             (void *)&none[pol->policy == PR_POLICY_ENFORCE]);
        return;
    }
    if (!v) {
        v = apr_pcalloc(r->pool, sizeof(*v));
        compute(r, conf, pol, v);
        /* per-vhost counters: nothing to do for a request with nothing
         * stripped, malformed or invalid */
        if ((!v->trusted && v->removed && v->removed->nelts) || v->malformed || v->invalid) {
            pr_status_forwarded(r, v->trusted ? NULL : v->removed, !v->enforce,
                                v->malformed, v->invalid);
        }
        if (!v->enforce) {
            log_audit(r, v);
        }
        else {
            for (i = 0; v->removed && i < v->removed->nelts; ++i) {
                apr_table_unset(r->headers_in, APR_ARRAY_IDX(v->removed, i, const char *));
            }
            if (v->kept) {
                apr_table_do(put_back, r->headers_in, v->kept, NULL);
            }
        }
    }
    ap_set_module_config(r->request_config, &proxy_reencrypt_module, v);
    if (!v->enforce || v->mode == PR_FWD_MODE_OFF) {
        return;                     /* audit: observe, change nothing */
    }
    if (fixups_will_set(url)) {
        return;
    }
    set_values(r, v);

    /* mod_proxy_http2 builds its request itself: no proxy fixups run, and
     * with ProxyAddHeaders it appends X-Forwarded-For/-Host/-Server with
     * mergen. Leave it only what it appends right: the trusted chain
     * before the client, and no -Host or -Server of ours. */
    dconf = ap_get_module_config(r->per_dir_config, &proxy_module);
    if (url && !strncasecmp(url, "h2", 2) && dconf && dconf->add_forwarded_headers
        && (v->mode == PR_FWD_MODE_XFF || v->mode == PR_FWD_MODE_BOTH)) {
        const char *x = v->xff;
        const char *last = strrchr(x, ',');

        if (last) {
            apr_table_setn(r->headers_in, "X-Forwarded-For",
                           apr_pstrmemdup(r->pool, x, (apr_size_t)(last - x)));
        }
        else {
            apr_table_unset(r->headers_in, "X-Forwarded-For");
        }
        apr_table_unset(r->headers_in, "X-Forwarded-Host");
        apr_table_unset(r->headers_in, "X-Forwarded-Server");
    }
}

/* proxy fixups: after ProxyAddHeaders, on mod_proxy's copy of the headers. */
static int pr_fixups(request_rec *r)
{
    pr_fwd_values *v = ap_get_module_config(r->request_config, &proxy_reencrypt_module);

    if (v && v->enforce && v->mode != PR_FWD_MODE_OFF) {
        set_values(r, v);
    }
    return OK;
}

void pr_headers_register_hooks(apr_pool_t *p)
{
    (void)p;
    /* mod_proxy declares fixups as an optional hook. */
    APR_OPTIONAL_HOOK(proxy, fixups, pr_fixups, NULL, NULL, APR_HOOK_MIDDLE);
}

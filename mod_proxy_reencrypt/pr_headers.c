/*
 * pr_headers.c: forwarded headers the backend can trust.
 *
 * Two hooks of mod_proxy:
 * - our scheme_handler (pr_proxy.c) calls pr_forwarded_apply() before the
 *   request is built: the incoming forwarded family (every spelling: any
 *   case, '_' for '-') is read once per request, removed from
 *   r->headers_in, and the values this hop vouches for are computed and
 *   set.
 * - proxy fixups, which mod_proxy runs on its per-attempt copy of the
 *   headers right after ProxyAddHeaders appended X-Forwarded-For/-Host/
 *   -Server to them: the computed values are set again, so the backend
 *   gets exactly one value of each header whatever ProxyAddHeaders says.
 *   mod_proxy_http2 runs no fixups and appends on its own: see
 *   pr_forwarded_apply().
 *
 * "The client" is r->useragent_ip, which is the connection's peer unless
 * mod_remoteip rewrote it; "trusted" is decided on the connection's peer
 * address (c->client_addr) against ProxyReencryptTrustedProxy with APR's
 * apr_ipsubnet_test. Parsing is the pure core's (pr_forwarded.c).
 */
#include "pr_glue.h"

#include "apr_strings.h"
#include "http_core.h"
#include "http_ssl.h"

#include "pr_forwarded.h"

typedef struct {
    const char *xff, *proto, *host, *port, *real_ip, *forwarded;
    int mode;
} pr_fwd_values;

static int trusted_addr(const apr_array_header_t *cidrs, apr_sockaddr_t *sa)
{
    int i;

    for (i = 0; cidrs && sa && i < cidrs->nelts; ++i) {
        if (apr_ipsubnet_test(APR_ARRAY_IDX(cidrs, i, apr_ipsubnet_t *), sa)) {
            return 1;
        }
    }
    return 0;
}

typedef struct {
    const apr_array_header_t *cidrs;
    apr_pool_t *pool;
} trust_baton;

/* pr_trust_fn: the pure core hands us IP literals it has validated. */
static int trusted_ip(const char *ip, size_t len, void *b)
{
    trust_baton *tb = b;
    apr_sockaddr_t *sa;

    (void)len;
    if (apr_sockaddr_info_get(&sa, ip, APR_UNSPEC, 0, 0, tb->pool) != APR_SUCCESS) {
        return 0;
    }
    return trusted_addr(tb->cidrs, sa);
}

/* The incoming values of one header, joined as one list. */
typedef struct {
    const char *val[PR_HDR__COUNT];
    apr_array_header_t *names;       /* every spelling seen, to remove */
} incoming;

static int collect(void *v, const char *key, const char *val)
{
    incoming *in = v;
    int canonical = 0;
    int id = pr_fwd_header_id(key, strlen(key), &canonical);

    if (id == PR_HDR_OTHER) {
        return 1;
    }
    APR_ARRAY_PUSH(in->names, const char *) = key;
    /* Underscore spellings are never kept: CGI-style backends read them
     * as the same variable, so they are a classic smuggling path. */
    if (canonical) {
        in->val[id] = in->val[id]
            ? apr_pstrcat(in->names->pool, in->val[id], ", ", val, NULL) : val;
    }
    return 1;
}

/* The first element of a comma-separated list, trimmed. */
static const char *first_of(apr_pool_t *p, const char *list)
{
    const char *end = strchr(list, ',');
    char *v = end ? apr_pstrmemdup(p, list, (apr_size_t)(end - list)) : apr_pstrdup(p, list);

    apr_collapse_spaces(v, v);      /* returns the end, not the start */
    return v;
}

/* A trusted proxy's single value for header id (the first of a list). */
static const char *trusted_first(apr_pool_t *p, int trusted, const incoming *in, int id)
{
    return trusted && in->val[id] ? first_of(p, in->val[id]) : NULL;
}

static void compute(request_rec *r, const pr_dir_conf *conf, pr_fwd_values *out)
{
    conn_rec *c = r->connection;
    apr_pool_t *p = r->pool;
    incoming in;
    trust_baton tb;
    const char *client = r->useragent_ip;
    int trusted, i;
    const char *v;

    memset(&in, 0, sizeof(in));
    in.names = apr_array_make(p, 4, sizeof(const char *));
    apr_table_do(collect, &in, r->headers_in, NULL);
    for (i = 0; i < in.names->nelts; ++i) {
        apr_table_unset(r->headers_in, APR_ARRAY_IDX(in.names, i, const char *));
    }

    tb.cidrs = conf->trusted;
    tb.pool = p;
    trusted = trusted_addr(conf->trusted, c->client_addr);
    out->mode = PR_EFF(conf, fwd_mode, PR_DEFAULT_FWD_MODE);

    /* X-Forwarded-For and X-Real-IP */
    out->xff = client;
    out->real_ip = client;
    if (trusted && (v = in.val[PR_HDR_X_FORWARDED_FOR]) != NULL) {
        pr_span list[PR_FWD_MAX_ENTRIES];
        int n = pr_xff_parse(v, strlen(v), list, PR_FWD_MAX_ENTRIES);

        if (n > 0) {
            int k = pr_xff_client(v, strlen(v), list, (size_t)n, NULL, 0, trusted_ip, &tb);
            out->xff = apr_pstrcat(p, v, ", ", client, NULL);
            if (k >= 0 && k < n) {
                out->real_ip = apr_pstrmemdup(p, v + list[k].off, list[k].len);
            }
        }
        else {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, PRE(1030)
                          "dropping a malformed X-Forwarded-For from trusted proxy %s",
                          c->client_ip);
        }
    }
    if (!in.val[PR_HDR_X_FORWARDED_FOR]
        && (v = trusted_first(p, trusted, &in, PR_HDR_X_REAL_IP)) != NULL
        && pr_ip_literal(v, strlen(v))) {
        out->real_ip = v;
    }

    /* X-Forwarded-Proto, -Host, -Port: one value, a trusted proxy's if it
     * sent a valid one (it saw the client's connection), else ours. */
    out->proto = ap_ssl_conn_is_ssl(c) ? "https" : "http";
    if ((v = trusted_first(p, trusted, &in, PR_HDR_X_FORWARDED_PROTO)) != NULL
        && pr_proto_valid(v, strlen(v))) {
        out->proto = v;
    }
    out->host = apr_table_get(r->headers_in, "Host");
    if (!out->host) {
        out->host = r->hostname ? r->hostname : r->server->server_hostname;
    }
    if ((v = trusted_first(p, trusted, &in, PR_HDR_X_FORWARDED_HOST)) != NULL
        && pr_host_valid(v, strlen(v))) {
        out->host = v;
    }
    out->port = apr_itoa(p, c->local_addr ? c->local_addr->port : 0);
    if ((v = trusted_first(p, trusted, &in, PR_HDR_X_FORWARDED_PORT)) != NULL) {
        long port;
        if (pr_parse_uint(v, strlen(v), 1, 65535, &port) == 0) {
            out->port = v;
        }
    }

    /* Forwarded: a trusted proxy's list, then this hop's element. */
    if (out->mode == PR_FWD_MODE_RFC7239 || out->mode == PR_FWD_MODE_BOTH) {
        char elem[1024];
        const char *host = apr_table_get(r->headers_in, "Host");
        int n = pr_fwd_build(elem, sizeof(elem), pr_str_c(client), pr_str_none(),
                             pr_str_c(ap_ssl_conn_is_ssl(c) ? "https" : "http"),
                             host ? pr_str_c(host) : pr_str_none());
        if (n < 0) {
            /* A Host the grammar cannot carry: leave host= out. */
            n = pr_fwd_build(elem, sizeof(elem), pr_str_c(client), pr_str_none(),
                             pr_str_c(ap_ssl_conn_is_ssl(c) ? "https" : "http"),
                             pr_str_none());
        }
        out->forwarded = n > 0 ? apr_pstrdup(p, elem) : NULL;
        if (trusted && out->forwarded && (v = in.val[PR_HDR_FORWARDED]) != NULL) {
            size_t scratch_len = strlen(v) + PR_FWD_MAX_ENTRIES + 1;
            char *scratch = apr_palloc(p, scratch_len);
            pr_fwd_elem *els = apr_palloc(p, sizeof(*els) * PR_FWD_MAX_ENTRIES);

            if (pr_fwd_parse(v, strlen(v), els, PR_FWD_MAX_ENTRIES, scratch, scratch_len) > 0) {
                out->forwarded = apr_pstrcat(p, v, ", ", out->forwarded, NULL);
            }
            else {
                ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, PRE(1031)
                              "dropping a malformed Forwarded from trusted proxy %s",
                              c->client_ip);
            }
        }
    }
    if (trusted && out->mode == PR_FWD_MODE_OFF) {
        /* off: nothing of ours, but a trusted proxy's headers go on. */
        for (i = 0; i < PR_HDR__COUNT; ++i) {
            if (in.val[i] && i != PR_HDR_X_FORWARDED_SERVER) {
                apr_table_setn(r->headers_in, pr_fwd_header_name(i), in.val[i]);
            }
        }
    }
}

static void set_values(request_rec *r, const pr_fwd_values *v)
{
    apr_table_t *h = r->headers_in;

    if (v->mode == PR_FWD_MODE_XFF || v->mode == PR_FWD_MODE_BOTH) {
        apr_table_setn(h, "X-Forwarded-For", v->xff);
        apr_table_setn(h, "X-Forwarded-Proto", v->proto);
        apr_table_setn(h, "X-Forwarded-Host", v->host);
        apr_table_setn(h, "X-Forwarded-Port", v->port);
        apr_table_setn(h, "X-Real-IP", v->real_ip);
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

void pr_forwarded_apply(request_rec *r, const pr_dir_conf *conf, const pr_resolved *pol,
                        const char *url)
{
    pr_fwd_values *v = ap_get_module_config(r->request_config, &proxy_reencrypt_module);
    const request_rec *q;
    proxy_dir_conf *dconf;

    (void)pol;
    if (r->proxyreq != PROXYREQ_REVERSE) {
        return;
    }
    /* An internal redirect (ErrorDocument) shares the headers we already
     * rewrote: reuse what was computed from the client's originals. */
    for (q = r->prev; !v && q; q = q->prev) {
        v = ap_get_module_config(q->request_config, &proxy_reencrypt_module);
    }
    if (!v) {
        v = apr_pcalloc(r->pool, sizeof(*v));
        compute(r, conf, v);
    }
    ap_set_module_config(r->request_config, &proxy_reencrypt_module, v);
    set_values(r, v);

    /* mod_proxy_http2 builds its request itself: no proxy fixups run, and
     * with ProxyAddHeaders it appends X-Forwarded-For/-Host/-Server with
     * mergen. Leave it only what it appends right: the trusted chain
     * before the client, and no -Host or -Server of ours. */
    dconf = ap_get_module_config(r->per_dir_config, &proxy_module);
    if (url && !strncasecmp(url, "h2", 2) && dconf && dconf->add_forwarded_headers) {
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

    if (v) {
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

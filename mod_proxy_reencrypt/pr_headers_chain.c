/*
 * pr_headers_chain.c: the client chain of a request, for the forwarded
 * headers (pr_headers.c): X-Forwarded-For or Forwarded walked past the
 * trusted proxies (the walk itself is the pure core's), or mod_remoteip's
 * answer, and the Forwarded value this hop sends. "Trusted" is decided
 * with APR's apr_ipsubnet_test.
 */
#include "pr_glue.h"
#include "pr_headers_chain.h"

#include "apr_strings.h"

#include "pr_forwarded.h"

int pr_hdr_trusted_addr(const apr_array_header_t *cidrs, apr_sockaddr_t *sa)
{
    int i;

    for (i = 0; cidrs && sa && i < cidrs->nelts; ++i) {
        if (apr_ipsubnet_test(APR_ARRAY_IDX(cidrs, i, apr_ipsubnet_t *), sa)) {
            return 1;
        }
    }
    return 0;
}

/* pr_trust_fn: the pure core hands us IP literals it has validated. */
static int trusted_ip(const char *ip, size_t len, void *b)
{
    pr_trust_baton *tb = b;
    apr_sockaddr_t *sa;

    (void)len;
    if (apr_sockaddr_info_get(&sa, ip, APR_UNSPEC, 0, 0, tb->pool) != APR_SUCCESS) {
        return 0;
    }
    return pr_hdr_trusted_addr(tb->cidrs, sa);
}

void pr_hdr_walk(request_rec *r, const char *v, int rfc7239, pr_trust_baton *tb, pr_chain *ch)
{
    conn_rec *c = r->connection;
    pr_hop *hops;
    int stop = PR_WALK_START, n, i;

    ch->present = v != NULL;
    ch->malformed = 0;
    if (!v) {
        /* No such header: the chain is the peer. */
        ch->client = c->client_ip;
        ch->addrs = apr_array_make(r->pool, 1, sizeof(const char *));
        ch->elems = NULL;
        APR_ARRAY_PUSH(ch->addrs, const char *) = c->client_ip;
        return;
    }
    hops = apr_palloc(r->pool, sizeof(*hops) * PR_FWD_MAX_ENTRIES);
    ch->addrs = apr_array_make(r->pool, 4, sizeof(const char *));
    ch->elems = apr_array_make(r->pool, 4, sizeof(const char *));
    n = rfc7239
        ? pr_fwd_walk(v, strlen(v), trusted_ip, tb, hops, PR_FWD_MAX_ENTRIES, &stop)
        : pr_xff_walk(v, strlen(v), trusted_ip, tb, hops, PR_FWD_MAX_ENTRIES, &stop);
    if (n < 0) {
        n = 0;
    }
    for (i = n - 1; i >= 0; --i) {
        APR_ARRAY_PUSH(ch->addrs, const char *) = apr_pstrdup(r->pool, hops[i].addr);
        APR_ARRAY_PUSH(ch->elems, const char *) =
            apr_pstrmemdup(r->pool, v + hops[i].off, hops[i].len);
    }
    ch->client = n > 0 ? APR_ARRAY_IDX(ch->addrs, 0, const char *) : c->client_ip;
    APR_ARRAY_PUSH(ch->addrs, const char *) = c->client_ip;
    ch->malformed = stop == PR_WALK_MALFORMED;
    if (ch->malformed) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, PRE(1030)
                      "%s from trusted proxy %s: the pr_hdr_walk stopped at a malformed "
                      "element, the client is the last good address (%s)",
                      rfc7239 ? "Forwarded" : "X-Forwarded-For", c->client_ip, ch->client);
    }
}

/* mod_remoteip's answer: %a, then the proxies it consumed (its note lists
 * them from the nearest), left to right. */
void pr_hdr_remoteip_chain(request_rec *r, pr_chain *ch)
{
    const char *note = apr_table_get(r->notes, "remoteip-proxy-ip-list");
    apr_array_header_t *rev = apr_array_make(r->pool, 4, sizeof(const char *));
    char *list, *tok, *last;
    int i;

    ch->present = 1;
    ch->malformed = 0;
    ch->client = r->useragent_ip;
    ch->addrs = apr_array_make(r->pool, 4, sizeof(const char *));
    ch->elems = NULL;
    APR_ARRAY_PUSH(ch->addrs, const char *) = r->useragent_ip;
    list = note ? apr_pstrdup(r->pool, note) : NULL;
    for (tok = list ? apr_strtok(list, ", ", &last) : NULL; tok;
         tok = apr_strtok(NULL, ", ", &last)) {
        APR_ARRAY_PUSH(rev, const char *) = tok;
    }
    for (i = rev->nelts - 1; i >= 0; --i) {
        APR_ARRAY_PUSH(ch->addrs, const char *) = APR_ARRAY_IDX(rev, i, const char *);
    }
}

/* "a, b, c" of a's first upto strings */
const char *pr_hdr_join(apr_pool_t *p, const apr_array_header_t *a, int upto)
{
    const char *out = NULL;
    int i;

    for (i = 0; i < upto; ++i) {
        const char *s = APR_ARRAY_IDX(a, i, const char *);
        out = out ? apr_pstrcat(p, out, ", ", s, NULL) : s;
    }
    return out;
}

/* This hop's Forwarded element, after the chain before it: the elements
 * as a trusted proxy wrote them, or for= of each address. */
const char *pr_hdr_forwarded_value(request_rec *r, const pr_chain *ch, const char *proto)
{
    apr_pool_t *p = r->pool;
    const char *host = apr_table_get(r->headers_in, "Host");
    const char *last = APR_ARRAY_IDX(ch->addrs, ch->addrs->nelts - 1, const char *);
    const char *out = NULL;
    char elem[1024];
    int i, n;

    /* a Host with a ',' would be quoted; downstream walks split on ','
     * (pr_fwd_walk): leave host= out then, as for any Host the grammar
     * cannot carry */
    n = host && !strchr(host, ',')
        ? pr_fwd_build(elem, sizeof(elem), pr_str_c(last), pr_str_none(), pr_str_c(proto),
                       pr_str_c(host))
        : -1;
    if (n < 0) {
        /* A Host the grammar cannot carry: leave host= out. */
        n = pr_fwd_build(elem, sizeof(elem), pr_str_c(last), pr_str_none(),
                         pr_str_c(proto), pr_str_none());
    }
    if (n < 0) {
        return NULL;
    }
    if (ch->elems) {
        out = pr_hdr_join(p, ch->elems, ch->elems->nelts);
    }
    else {
        for (i = 0; i < ch->addrs->nelts - 1; ++i) {
            char e[128];
            if (pr_fwd_build(e, sizeof(e), pr_str_c(APR_ARRAY_IDX(ch->addrs, i, const char *)),
                             pr_str_none(), pr_str_none(), pr_str_none()) > 0) {
                out = out ? apr_pstrcat(p, out, ", ", e, NULL) : apr_pstrdup(p, e);
            }
        }
    }
    return out ? apr_pstrcat(p, out, ", ", elem, NULL) : apr_pstrdup(p, elem);
}


/*
 * pr_headers_chain.h: the client chain of a request, as this hop finds
 * it (pr_headers_chain.c), for pr_headers.c. Glue: httpd types.
 */
#ifndef PR_HEADERS_CHAIN_H
#define PR_HEADERS_CHAIN_H

#include "pr_glue.h"

typedef struct {
    const apr_array_header_t *cidrs;    /* apr_ipsubnet_t *: trusted proxies */
    apr_pool_t *pool;
} pr_trust_baton;

/* One walked header: the chain left to right (addresses, then the peer),
 * and the elements as written (Forwarded). */
typedef struct {
    int present, malformed;
    const char *client;
    apr_array_header_t *addrs;      /* const char * */
    apr_array_header_t *elems;      /* const char *, without the peer */
} pr_chain;

/* Is sa in one of cidrs (apr_ipsubnet_test)? 1 or 0. */
int pr_hdr_trusted_addr(const apr_array_header_t *cidrs, apr_sockaddr_t *sa);

/* X-Forwarded-For (rfc7239 0) or Forwarded (1) value v (NULL: absent)
 * walked from the right past trusted proxies (the pure core's
 * pr_xff_walk / pr_fwd_walk). ch->malformed is always set. */
void pr_hdr_walk(request_rec *r, const char *v, int rfc7239, pr_trust_baton *tb, pr_chain *ch);

/* mod_remoteip's answer: %a, then the proxies it consumed. */
void pr_hdr_remoteip_chain(request_rec *r, pr_chain *ch);

/* "a, b, c" of a's first upto strings (NULL: none). */
const char *pr_hdr_join(apr_pool_t *p, const apr_array_header_t *a, int upto);

/* This hop's Forwarded value: the chain before it, then its element. */
const char *pr_hdr_forwarded_value(request_rec *r, const pr_chain *ch, const char *proto);

#endif

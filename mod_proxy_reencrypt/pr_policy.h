/*
 * pr_policy.h: the resolved policy of one backend scope. Pure: libc and
 * OpenSSL only, no httpd, no APR.
 *
 * A scope (server, vhost, <Proxy> section) sets some fields; the
 * resolved policy holds every field with the value in force, where that
 * value came from ("file:line", NULL for the default) and a fingerprint
 * of everything a TLS verdict or a backend connection depends on. The
 * glue (pr_resolve.c) builds one per (vhost, set of matching sections),
 * once, and every decision reads it; nothing applies defaults by hand.
 *
 * Precedence ("Which section decides" in the SPEC): each field comes
 * from the most specific scope that sets it: vhost defaults < wildcard
 * and regex sections < URL-prefix sections matching the balancer <
 * URL-prefix sections matching the member's or backend's own URL; among
 * equally ranked prefix sections the longer prefix, then the later one
 * in the configuration, wins. pr_sections_order() sorts by that rule.
 */
#ifndef PR_POLICY_H
#define PR_POLICY_H

#include <stddef.h>
#include <openssl/x509.h>

#include "pr_core.h"

typedef enum {
    PR_F_POLICY = 0,
    PR_F_REQUIRE_TLS,
    PR_F_VERIFY,
    PR_F_CA,                    /* CA file and path: one setting */
    PR_F_DEPTH,
    PR_F_EXPECT,
    PR_F_SNI,
    PR_F_EXPIRY,
    PR_F_PINS,
    PR_F_CRL_FILE,
    PR_F_CRL_CHECK,
    PR_F_FORWARDED,
    PR_F_TRUSTED,
    PR_F_CLIENT_CERT,
    PR_F_MIN_PROTO,
    PR_F_SESSION_CACHE,
    PR_F_PROXY_PROTOCOL,
    PR_F_OCSP,
    PR_F_HS_TIMEOUT,
    PR_F_RELOAD,
    PR_F__COUNT
} pr_field;

/* The field's name in the dump ("policy", "verify-depth", ...). */
const char *pr_field_name(pr_field f);
/* The directive that sets a field ("ProxyReencryptPolicy", ...). */
const char *pr_field_directive(pr_field f);

#define PR_FP_LEN 32

typedef struct {
    pr_policy policy;
    int require_tls;
    pr_verify verify;
    const char *ca_file, *ca_path;  /* NULL, NULL: mod_ssl's trust store */
    X509_STORE *store;              /* loaded at start-up for ca_file/path */
    int depth;
    const char *const *expect;      /* configured names, n_expect of them */
    size_t n_expect;
    pr_sni sni;
    const char *sni_name;           /* with PR_SNI_NAME */
    long warn_days, refuse_days;
    const unsigned char *pins;      /* n_pins * 32 bytes */
    size_t n_pins;
    const char *crl_file;
    STACK_OF(X509_CRL) *crls;
    pr_crl crl_check;
    pr_fwd_mode fwd_mode;           /* origin[PR_F_FORWARDED]: explicit */
    const void *trusted;            /* opaque to the core (APR subnets) */
    const char *trusted_text;
    const void *client;             /* opaque to the core (loaded cert) */
    const char *client_cert_file;
    int min_proto;                  /* 0x0303 / 0x0304 */
    int session_cache;
    int proxy_protocol;             /* 0, 1, 2 */
    pr_ocsp_mode ocsp;              /* stapled OCSP responses */
    int hs_timeout;                 /* seconds; see pr_handshake_timeout() */
    long reload;                    /* ProxyReencryptReload seconds, 0: off (not in
                                       the fingerprint: pr_reload.c keys by trust
                                       generation) */
    const char *origin[PR_F__COUNT];/* "file:line", NULL: the default */
    unsigned char modssl[PR_FP_LEN];/* mod_ssl's own proxy configuration of the
                                       scope, by content (pr_modssl_fold());
                                       all zero: no SSLProxy* directive */
    unsigned char fp[PR_FP_LEN];    /* see pr_resolved_finish() */
} pr_resolved;

/* The SPEC's defaults: the one table every resolution starts from. */
void pr_resolved_defaults(pr_resolved *p);

/* After the scopes were applied: the defaults that follow other fields
 * (the CRL check is "chain" once a CRL file is set), then the
 * fingerprint: a SHA-256 over every field a TLS verdict or a backend
 * connection depends on, mod_ssl's configuration of the scope included
 * (modssl; not the forwarded-header fields, which act on requests
 * only). Two scopes with equal fingerprints may share verdicts,
 * sessions and pooled connections; any difference keeps them apart. */
void pr_resolved_finish(pr_resolved *p);

/* mod_ssl's proxy configuration of a scope (trust anchors, CRLs,
 * SSLProxyVerify/Depth/CheckPeer*, machine certificate, protocols,
 * ciphers) is what mod_ssl verifies a backend with before the module's
 * own checks, and under the SPEC's default trust anchors it is the trust
 * store. mod_ssl keeps it private, per vhost and per <Proxy> section, so
 * the module knows it by content: the SSLProxy* directives that apply,
 * folded in order into pr_resolved.modssl, hence into the fingerprint.
 *
 * Is the directive name[0..len) one of mod_ssl's proxy directives
 * ("SSLProxy" and more, any case)? */
int pr_is_modssl_proxy_directive(const char *name, size_t len);

/* Fold one directive (name, any case; its arguments as written) or any
 * tagged datum into id: id = SHA-256(id, name lower-cased, args), each
 * length-prefixed. Start from all zero. */
void pr_modssl_fold(unsigned char id[PR_FP_LEN], const char *name, size_t name_len,
                    const void *args, size_t args_len);

/* Value of a field as text for the dump, into buf (always terminated). */
void pr_field_value(const pr_resolved *p, pr_field f, char *buf, size_t len);

/* Section precedence. */
#define PR_RANK_NONE     0      /* does not apply */
#define PR_RANK_WILDCARD 1      /* <Proxy *>, <ProxyMatch>, wildcards */
#define PR_RANK_BALANCER 2      /* prefix matching the balancer URL */
#define PR_RANK_BACKEND  3      /* prefix matching the member/backend URL */

typedef struct {
    int rank;                   /* PR_RANK_* */
    size_t prefix_len;          /* for prefix sections */
    size_t order;               /* position in the configuration */
} pr_section_rank;

/* The rank of a section: is_pattern for regex/wildcard sections, and
 * whether it matched the balancer's URL and/or the backend's URL. */
int pr_section_rank_of(int is_pattern, int matched_balancer, int matched_backend);

/* Sort idx[0..n) (indices into ranks) so that applying the sections in
 * that order lets the most specific win: least specific first. */
void pr_sections_order(size_t *idx, const pr_section_rank *ranks, size_t n);

/* Does the URL-prefix section path p (as written in <Proxy p>) name the
 * URL u (a worker, balancer or request URL)? As mod_proxy tells workers
 * and balancers apart: the scheme and the host (a balancer's name) compare
 * without case, a scheme's default port equals no port, and the path
 * compares exactly; p is a prefix of u. Without "scheme://" in both, a
 * plain prefix compare. */
int pr_section_names(const char *p, size_t plen, const char *u, size_t ulen);

#endif

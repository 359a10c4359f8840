/*
 * pr_glue.h: what the httpd-facing files of mod_proxy_reencrypt share.
 *
 * mod_proxy_reencrypt.c  module record and hook registration
 * pr_config.c            directives, create/merge
 * pr_config_load.c       trust stores, CRL files, client certificates
 * pr_tls*.c             mod_ssl side (see pr_tls.h)
 * pr_proxy.c             mod_proxy hooks: per-request context, start-up checks
 * pr_resolve.c           the resolved policy of a backend (precedence, caches)
 * pr_handoff.c           request -> backend connection hand-off, health checks
 */
#ifndef PR_GLUE_H
#define PR_GLUE_H

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "apr_hash.h"
#include "apr_network_io.h"

#include "mod_proxy.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "pr_core.h"
#include "pr_policy.h"
#include "pr_decide.h"
#include "pr_events.h"

extern module AP_MODULE_DECLARE_DATA proxy_reencrypt_module;
#ifndef PR_MODULE_RECORD   /* AP_DECLARE_MODULE defines it there */
APLOG_USE_MODULE(proxy_reencrypt);
#endif

/* A per-child mutex that may be NULL (not created yet, or no threads). */
#if APR_HAS_THREADS
#include "apr_thread_mutex.h"
#define PR_LOCK(m)   do { if (m) apr_thread_mutex_lock(m); } while (0)
#define PR_UNLOCK(m) do { if (m) apr_thread_mutex_unlock(m); } while (0)
#else
#define PR_LOCK(m)   ((void)0)
#define PR_UNLOCK(m) ((void)0)
#endif

/* Our own message tags (APLOGNO numbers are reserved for httpd's own
 * modules): PRE0xxx configuration, PRE1xxx TLS verdicts. */
#define PRE(n) "PRE" #n ": "

/* Per-directory (server, vhost, <Proxy>) configuration. Every field
 * starts unset and merging is field by field; pr_eff_* give the value in
 * force with the SPEC's default applied. */
typedef struct {
    int policy;                     /* pr_policy or PR_UNSET */
    int require_tls;                /* 0/1 or PR_UNSET */
    int verify;                     /* pr_verify or PR_UNSET */
    const char *ca_file;            /* NULL: unset. File and path are one */
    const char *ca_path;            /* setting: the most specific scope   */
    X509_STORE *store;              /* that names either gives both, and  */
                                    /* the store loaded at start-up       */
    long depth;                     /* PR_UNSET */
    apr_array_header_t *expect;     /* const char *; NULL: unset */
    int sni;                        /* pr_sni or PR_UNSET */
    const char *sni_name;
    long warn_days;                 /* PR_UNSET */
    long refuse_days;
    apr_array_header_t *pins;       /* unsigned char[32]; NULL: unset */
    const char *crl_file;
    STACK_OF(X509_CRL) *crls;       /* loaded with crl_file */
    int crl_check;                  /* pr_crl or PR_UNSET */
    int fwd_mode;                   /* pr_fwd_mode or PR_UNSET */
    apr_array_header_t *trusted;    /* apr_ipsubnet_t *; NULL: unset */
    const char *trusted_text;       /* as written, for the dump */
    struct pr_client_cert *client;  /* NULL: unset */
    int min_proto;                  /* 0x0303 / 0x0304 or PR_UNSET */
    int session_cache;              /* 0/1 or PR_UNSET */
    int proxy_protocol;             /* 0 off, 1 v1, 2 v2, or PR_UNSET */
    int ocsp;                       /* pr_ocsp_mode or PR_UNSET */
    int hs_timeout;                 /* seconds or PR_UNSET */
    long reload;                    /* seconds or PR_UNSET */
    const char *origin[PR_F__COUNT];/* "file:line" of the directive that
                                       set each field here; NULL: unset */
    const char *section;            /* the <Proxy> section's path, NULL for
                                       server/vhost (merged: the last one) */
    int status_scope;               /* pr_status_scope or PR_UNSET */
    const char *status_scope_at;    /* "file:line" where this scope set it */
    apr_array_header_t *strip;      /* const char *: ProxyReencryptStripHeader
                                       names; merged as a union; NULL: none */
    const pr_resolved *alone;       /* a vhost's (lookup_defaults): its policy
                                       when none of its <Proxy> sections sets
                                       a directive of ours (pr_resolve.c);
                                       never merged */
} pr_dir_conf;

/* ProxyReencryptClientCertificate, loaded and checked at start-up, once
 * per (cert, key) pair. */
typedef struct pr_client_cert {
    const char *cert_file;
    const char *key_file;
    X509 *leaf;
    STACK_OF(X509) *chain;
    EVP_PKEY *key;
    long days_left;
} pr_client_cert;

/* pr_config_load.c: each returns NULL, or why the file is unusable. */
const char *pr_capath_check(apr_pool_t *p, const char *dir);
const char *pr_crls_load(apr_pool_t *p, const char *path, STACK_OF(X509_CRL) **out);
/* The same without the pool cleanup: the caller owns the result (reload,
 * pr_reload.c). */
const char *pr_crls_read(apr_pool_t *p, const char *path, STACK_OF(X509_CRL) **out);
X509_STORE *pr_store_build(apr_pool_t *p, const char *file, const char *path,
                           const char **err);
const char *pr_client_cert_load(apr_pool_t *p, apr_pool_t *ptemp, const char *cert_file,
                                const char *key_file, pr_client_cert **out);

void *pr_create_dir_conf(apr_pool_t *p, char *dir);
void *pr_merge_dir_conf(apr_pool_t *p, void *basev, void *addv);
extern const command_rec pr_cmds[];

/* Effective values of a raw field set (forwarded headers only; the TLS
 * policy is read from a pr_resolved). */
#define PR_EFF(c, field, dflt) ((c)->field == PR_UNSET ? (dflt) : (c)->field)

/* Our configuration for a config vector (never NULL). */
const pr_dir_conf *pr_conf_of(ap_conf_vector_t *v);
/* Does this scope set any policy field? */
int pr_conf_sets_any(const pr_dir_conf *c);

/* pr_resolve.c: the resolved policy of a backend (see pr_policy.h),
 * interned: the same (vhost, matching sections) always gives the same
 * pointer, computed once. */
void pr_resolve_generation(apr_pool_t *pconf);
void pr_resolve_child_init(apr_pool_t *pchild);
/* At start-up, per vhost: with no <Proxy> section setting a directive of
 * ours, every backend of s has the vhost's own policy; kept in its
 * lookup_defaults' configuration, so requests skip the lookup. */
void pr_resolve_server(server_rec *s, server_rec *main_s);
/* Does a <Proxy>/<ProxyMatch> section (path; re: compiled ProxyMatch;
 * fnmatch: a wildcard path) apply to name, as mod_proxy decides? */
int pr_section_path_matches(const ap_regex_t *re, const char *path, int fnmatch,
                            const char *name);

/* pr_notes.c: ProxyReencryptNotes on | off | auto (main server). Are the
 * REENCRYPT_* request notes set? Decided at post_config. */
extern int pr_notes_wanted;
const char *pr_set_notes_mode(cmd_parms *cmd, void *mc, const char *arg);
void pr_notes_register_hooks(apr_pool_t *p);
/* A request's backend: balancer_url is the request's balancer URL (NULL
 * outside a balancer), url the backend URL mod_proxy will use. */
const pr_resolved *pr_policy_for(server_rec *s, proxy_worker *w,
                                 const char *balancer_url, const char *url);
/* A configured worker without a request (start-up, health checks). */
const pr_resolved *pr_policy_for_worker(server_rec *s, proxy_worker *w);
/* pr_proxy.c: the ProxyPass URLs of s that reach w, as written (the
 * names mod_proxy matches the <Proxy> sections with for those requests)
 * whose policy differs from pr_policy_for_worker()'s: fn for each. */
typedef void pr_route_fn(void *baton, const char *via, const pr_resolved *pol);
void pr_each_route(apr_pool_t *p, server_rec *s, proxy_worker *w, pr_route_fn *fn, void *baton);

/* pr_modssl_scope.c: mod_ssl's proxy configuration (SSLProxy*) of each
 * scope, by content, read from the configuration tree at check_config
 * before any policy is resolved. pr_modssl_section(): a <Proxy>
 * section's own (NULL: it has none); pr_modssl_server(): a server's (the
 * main server's and its vhost block's). */
void pr_modssl_scan(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *main_s);
const unsigned char *pr_modssl_section(ap_conf_vector_t *sec);
void pr_modssl_server(server_rec *s, unsigned char out[PR_FP_LEN]);

/* The trust store for (file, path), loaded at configuration time, once
 * per configuration generation and shared by every backend that names
 * it. NULL with *err set on failure. */
X509_STORE *pr_store_get(apr_pool_t *pconf, const char *file,
                         const char *path, const char **err);

/* What the scheme handler hands to the TLS side for the backend
 * connection this thread is about to open or reuse (pr_handoff.c). */
typedef struct {
    request_rec *r;                 /* NULL for a health check */
    proxy_worker *worker;
    const pr_resolved *pol;
    const char *backend;            /* scheme://host:port as configured */
    const char *requested;          /* the name mod_proxy asks for (SNI) */
    int from_client;                /* ... is the client's Host */
    int balancer_member;
    apr_uint32_t seq;               /* tells requests apart (pointers repeat) */
} pr_request_ctx;

/* pr_handoff.c */
void pr_handoff_set(request_rec *r, pr_request_ctx *ctx);
/* pr_tls_verify.c: was the backend of r's attempt seq refused under
 * enforce (the status the SPEC gives: 502)? */
int pr_refused_attempt(request_rec *r, apr_uint32_t seq);
const pr_request_ctx *pr_current_request(void);
/* The context of a backend connection opened without a request on this
 * thread (mod_proxy_hcheck): from the configuration mod_proxy bound to
 * the connection and the address connected to. NULL if none applies. */
pr_request_ctx *pr_requestless_ctx(conn_rec *c, const char *hostname);
void pr_handoff_register_hooks(apr_pool_t *p);
/* pr_tls_guard.c: a pooled backend connection (its pr_conn) is bound
 * again by mod_proxy (ssl_bind_outgoing): put the reuse check back. */
void pr_guard_rearm(void *conn_ctx, int enable);

/* The status pages (pr_status_*.c): they count the events of
 * pr_events.h. 1 at most once per child per backend per day: for expiry
 * warnings. */
void pr_status_register_hooks(apr_pool_t *p);
int pr_status_should_warn(const char *backend, const char *vhost);
/* pr_status_fwd.c: count what pr_headers.c saw for r's vhost: the names
 * stripped from an untrusted peer (NULL: none; audit: would strip), and
 * bits 1 << pr_hdr_id of the lists from a trusted proxy whose walk
 * stopped at a malformed element and of its values that failed
 * validation. */
void pr_status_forwarded(request_rec *r, const apr_array_header_t *stripped, int audit,
                         unsigned malformed, unsigned invalid);
/* ProxyReencryptStatusScope (its command_rec is in pr_cmds). */
const char *pr_status_set_scope(cmd_parms *cmd, void *mc, const char *arg);
/* What a section of mod_status's /server-status may show to r: 0
 * nothing (server-status switched on from .htaccess); 1 with *vhost the
 * vhost whose rows r sees (ProxyReencryptStatusScope), NULL: every
 * vhost's. */
int pr_status_section_scope(request_rec *r, const char **vhost);
/* pr_dump.c: apachectl -t -D DUMP_REENCRYPT. */
void pr_dump_register_hooks(apr_pool_t *p);

/* pr_headers.c: forwarded headers for this request (scheme handler). */
void pr_forwarded_apply(request_rec *r, const pr_dir_conf *conf, const pr_resolved *pol,
                        const char *url);
void pr_headers_register_hooks(apr_pool_t *p);

/* Registration, called from the module record. */
void pr_proxy_register_hooks(apr_pool_t *p);
void pr_tls_register_hooks(apr_pool_t *p);

/* pr_handoff.c: server name for messages. */
const char *pr_vhost_name(apr_pool_t *p, server_rec *s);

#endif

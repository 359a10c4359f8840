/*
 * pr_glue.h: what the httpd-facing files of mod_proxy_reencrypt share.
 *
 * mod_proxy_reencrypt.c  module record and hook registration
 * pr_config.c            directives, create/merge, trust stores
 * pr_tls.c               mod_ssl hooks: per-connection policy and verdict
 * pr_proxy.c             mod_proxy hooks: per-request context, start-up checks
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

extern module AP_MODULE_DECLARE_DATA proxy_reencrypt_module;
#ifndef PR_MODULE_RECORD   /* AP_DECLARE_MODULE defines it there */
APLOG_USE_MODULE(proxy_reencrypt);
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
    apr_array_header_t *strip;      /* const char *: ProxyReencryptStripHeader
                                       names; merged as a union; NULL: none */
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

void *pr_create_dir_conf(apr_pool_t *p, char *dir);
void *pr_merge_dir_conf(apr_pool_t *p, void *basev, void *addv);
extern const command_rec pr_cmds[];

/* The per-generation cache of static workers' configurations (pre_config). */
void pr_config_generation(apr_pool_t *pconf);
const pr_dir_conf *pr_conf_walk(apr_pool_t *p, server_rec *s, const pr_dir_conf *c,
                                proxy_worker *w);

/* Effective values (defaults applied). */
#define PR_EFF(c, field, dflt) ((c)->field == PR_UNSET ? (dflt) : (c)->field)
int pr_eff_crl_check(const pr_dir_conf *c);

/* Our configuration for a config vector (never NULL). */
const pr_dir_conf *pr_conf_of(ap_conf_vector_t *v);
/* The effective configuration for a worker: the vhost's defaults, then
 * the balancer's <Proxy> section, then the worker's own. */
const pr_dir_conf *pr_conf_for_worker(apr_pool_t *p, server_rec *s,
                                      ap_conf_vector_t *base,
                                      proxy_worker *w);

/* The trust store for (file, path), loaded at configuration time, once
 * per configuration generation and shared by every backend that names
 * it. NULL with *err set on failure. */
X509_STORE *pr_store_get(apr_pool_t *pconf, const char *file,
                         const char *path, const char **err);

/* What pr_proxy.c hands to pr_tls.c for the backend connection about to
 * be opened by this thread: see pr_proxy.c for why this is per thread. */
typedef struct {
    request_rec *r;
    proxy_worker *worker;
    const pr_dir_conf *conf;
    const char *backend;            /* scheme://host:port as configured */
    int balancer_member;
    apr_uint32_t seq;               /* tells requests apart (pointers repeat) */
} pr_request_ctx;

const pr_request_ctx *pr_current_request(void);
pr_request_ctx *pr_requestless_ctx(conn_rec *c, const char *hostname);

/* One handshake (or plaintext refusal) as pr_tls.c / pr_proxy.c saw it:
 * what pr_status.c counts in shared memory and shows. Strings may be
 * NULL; they are copied. */
typedef enum { PR_VERDICT_OK = 0, PR_VERDICT_REFUSED = 1, PR_VERDICT_AUDIT = 2 } pr_verdict_kind;
typedef struct {
    const char *backend;            /* scheme://host:port */
    const char *vhost;              /* server_hostname:port */
    int policy;                     /* pr_policy in force */
    pr_verdict_kind verdict;
    pr_reason reason;               /* PR_REASON_NONE when ok */
    int resumed;                    /* the handshake resumed a session */
    int expiring;                   /* inside the warn window */
    long days_left;                 /* of the peer's leaf; valid if have_cert */
    int have_cert;
    const char *subject, *issuer, *sans;    /* sans: "DNS:a, IP:1.2.3.4" */
    apr_time_t not_after;           /* of the peer's leaf */
    const char *pin;                /* sha256//... of the leaf */
    const char *protocol, *cipher;  /* negotiated, when the handshake completed */
} pr_event;

/* pr_status.c: record one event (any thread of any child). */
void pr_status_record(server_rec *s, const pr_event *ev);
void pr_status_register_hooks(apr_pool_t *p);
/* 1 at most once per child per backend per day: for expiry warnings. */
int pr_status_should_warn(const char *backend, const char *vhost);

/* pr_headers.c: forwarded headers for this request (scheme handler). */
void pr_forwarded_apply(request_rec *r, const pr_dir_conf *conf, const char *url);
void pr_headers_register_hooks(apr_pool_t *p);

/* Registration, called from the module record. */
void pr_proxy_register_hooks(apr_pool_t *p);
void pr_tls_register_hooks(apr_pool_t *p);

/* pr_tls.c: server name for messages. */
const char *pr_vhost_name(apr_pool_t *p, server_rec *s);

#endif

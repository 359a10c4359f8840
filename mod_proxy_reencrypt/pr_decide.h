/*
 * pr_decide.h: every decision of the module, as functions of plain data.
 * Pure (libc + OpenSSL), unit-tested in t/unit/test_decide.c. The glue
 * gathers the facts from httpd and OpenSSL, asks here, and applies the
 * answer; it decides nothing itself.
 */
#ifndef PR_DECIDE_H
#define PR_DECIDE_H

#include "pr_policy.h"

/* ---- Which names are expected and which SNI is sent ---------------- */

typedef struct {
    const char *const *names;   /* expected names (n of them) */
    size_t n;
    const char *sni;            /* NULL: send none */
    int own;                    /* the module sends the SNI and checks the
                                   names itself; mod_ssl's note is removed */
    int check;                  /* the names are compared at all */
    int as_modssl;              /* audit with an identity written down:
                                   a mismatch fails the handshake, as
                                   mod_ssl's own name check would */
    int from_client;            /* the expected name is the client's Host */
} pr_names;

/* requested: the name mod_proxy asked for (its note: the URL host, or
 * the client's Host under ProxyPreserveHost, then from_client is 1);
 * worker_host: the worker's own host, the fallback. *slot keeps the one
 * name when the result is not the configured list. */
void pr_choose_names(const pr_resolved *pol, const char *requested, int from_client,
                     const char *worker_host, const char **slot, pr_names *out);

/* ---- Pins --------------------------------------------------------- */

/* spki[0] is the leaf's SPKI SHA-256, the rest the verified chain's.
 * With verify=pin only the leaf may match; with chain any certificate.
 * Returns 1 on a match, 0 on none, -1 when no pin is configured. */
int pr_pin_match(const pr_resolved *pol, const unsigned char (*spki)[32], size_t n);

/* ---- The verdict --------------------------------------------------- */

typedef struct {
    unsigned chain_errors;      /* PR_REASON_BIT()s from the verification */
    int have_cert;
    int name_checked;
    int name_ok;
    int name_from_client;
    int pin;                    /* pr_pin_match() */
    long days_left;
} pr_observation;

typedef struct {
    pr_reason reason;           /* PR_REASON_NONE: acceptable */
    int expiring_warning;       /* inside the warn window (not refused) */
    int client_fault;           /* the refusal is due to a client-chosen name */
} pr_verdict;

pr_verdict pr_decide(const pr_resolved *pol, const pr_observation *obs);

/* ---- Revocation: stapled OCSP responses and CRL freshness ---------- */

/* Allowed clock difference with a responder or CRL issuer, seconds. */
#define PR_REVOCATION_SKEW 300

/* What the glue found in a stapled OCSP response (times: Unix seconds). */
typedef enum {
    PR_STAPLE_NONE = 0,         /* the backend stapled nothing */
    PR_STAPLE_UNUSABLE,         /* unparsable, not "successful", signature or
                                   signer not verified, no entry for the leaf */
    PR_STAPLE_GOOD,
    PR_STAPLE_REVOKED,
    PR_STAPLE_UNKNOWN
} pr_staple_status;

typedef struct {
    pr_staple_status status;
    long long this_update;
    long long next_update;      /* 0: the response has none */
    char responder[128];        /* its responder ID as text ("byName: CN=...",
                                   "byKey: <SHA-1 hex>"); "": none parsed */
} pr_staple;

/* Is [this_update, next_update] current at `now`, with `skew` seconds of
 * allowance either way? 0: fresh; 1: not yet valid (this_update in the
 * future); 2: expired (next_update in the past). No next_update: fresh
 * once this_update has come (RFC 6960 4.2.2.1: newer information is
 * always available, so the response is as fresh as its thisUpdate). */
int pr_freshness(long long this_update, long long next_update, long long now, long skew);

/* The reason a stapled response gives to refuse, PR_REASON_NONE for none:
 * revoked (verified): revoked, stale or not; under staple a bad or stale
 * response: ocsp, none or unknown: accepted; under require anything but a
 * fresh good response: ocsp. Off: never. `why` (may be NULL) gets a
 * short text for the log line. */
pr_reason pr_ocsp_reason(pr_ocsp_mode mode, const pr_staple *s, long long now,
                         const char **why);

/* A CRL's nextUpdate against `now`, for the status page and the log:
 * 0 fresh, 1 inside the warning day, 2 stale (counted as missing). */
int pr_crl_state(long long next_update, long long now);
/* ---- A resumed session --------------------------------------------- */

/* What a full handshake's verdict rests on, kept with its session so that
 * a resumption redoes only what time can change. Times are Unix seconds. */
typedef struct {
    pr_observation obs;         /* of the full handshake; its time-dependent
                                   parts (validity, days left) are redone */
    long long leaf_not_after;   /* days left, the expiry window */
    long long chain_not_after;  /* earliest notAfter of the chain (leaf too) */
    long long chain_not_before; /* latest notBefore of the chain */
    long long crl_next_update;  /* earliest nextUpdate of the CRLs checked;
                                   0: no CRL check */
    long long sent_not_after;   /* earliest notAfter of the certificates the
                                   backend sent (leaf too): shown for a
                                   resumed session, not judged */
} pr_session_facts;

/* Whole days from now until not_after as pr_x509_days_left() counts them
 * (ASN1_TIME_diff: truncated toward zero; -1 or less once expired). */
long pr_days_left_at(long long not_after, long long now);

/* The verdict of a resumed session at `now`: the stored observation with
 * the validity period, the CRLs' freshness, the days left and the expiry
 * window taken again at `now`, through pr_decide(). The names, pins and
 * chain were judged by the full handshake under the very same policy
 * (the session key holds the policy's fingerprint, the names and the
 * trust generation). */
pr_verdict pr_decide_resumed(const pr_resolved *pol, const pr_session_facts *f,
                             long long now, long *days_left);

/* Resume with TLS 1.2 at most? A TLS 1.2 session offered while the
 * handshake may still end up TLS 1.3: the ClientHello would carry a TLS
 * 1.3 key share (an X25519 key generated for nothing when the backend
 * resumes TLS 1.2). Capping at the session's version is safe because a
 * backend that moved to TLS 1.3 still answers a TLS 1.2 ClientHello when
 * it allows TLS 1.2, and the cap lasts only while a TLS 1.2 session is
 * being offered. Returns the highest version to allow, 0: no cap. */
int pr_resume_max_proto(int session_version, int min_proto);

/* ---- What a verdict means ------------------------------------------ */

typedef enum { PR_VERDICT_OK = 0, PR_VERDICT_REFUSED = 1, PR_VERDICT_AUDIT = 2 } pr_verdict_kind;

typedef struct {
    int refuse;                 /* the module fails the handshake/request */
    int status;                 /* 502, or 0: leave mod_proxy's own (stock) */
    int log_level;              /* 0 none, 3 error, 4 warning (syslog) */
    const char *word;           /* "refused", "would refuse", "refused by mod_ssl" */
    pr_verdict_kind kind;       /* counted and noted as */
    int member_in_error;        /* put the balancer member in error */
    int client_fault;           /* counted apart */
} pr_outcome;

/* by_modssl: mod_ssl failed the handshake by itself (its own checks);
 * as_modssl: the module failed it in mod_ssl's stead (pr_names.as_modssl);
 * requestless: a health check (mod_proxy_hcheck keeps its own state). */
pr_outcome pr_outcome_of(pr_policy policy, const pr_verdict *v, int by_modssl,
                         int as_modssl, int requestless);

/* ---- What the module changes on the wire ---------------------------- */

/* Resume TLS sessions to the backend? mod_ssl never does, so under audit
 * only when ProxyReencryptSessionCache was written down for the scope:
 * loaded under its defaults the module changes nothing a backend sees. */
int pr_use_session_cache(const pr_resolved *pol);

/* Refuse renegotiation by the backend? Under enforce (a verdict must not
 * be re-run long after the request that opened the connection); never
 * under audit, where the backend sees stock mod_ssl. */
int pr_refuse_renegotiation(const pr_resolved *pol);

/* The time limit of a TLS handshake with the backend, in seconds; 0:
 * none of the module's (mod_proxy's worker timeout alone bounds each
 * read and write, as in stock). Under enforce the policy's value, its
 * default included; under audit only a value written down for the scope
 * (ProxyReencryptHandshakeTimeout), like the session cache: loaded under
 * its defaults the module changes nothing a backend sees. Off: none. */
int pr_handshake_timeout(const pr_resolved *pol);

/* The bounds of the backend's certificate chain, checked before any
 * verification work on it. The byte bound is the Certificate message
 * limit (OpenSSL's max_cert_list, its default 100 KB, which mod_ssl
 * leaves alone; the module sets it explicitly under enforce). The count
 * bound: more certificates than a chain the policy could accept (the
 * leaf, depth intermediates, the root, a spare for a cross-signed one),
 * and never fewer than PR_CHAIN_MIN_LIMIT. */
#define PR_MAX_CHAIN_BYTES  (100 * 1024)
#define PR_CHAIN_MIN_LIMIT  10
int pr_chain_limit(const pr_resolved *pol);

/* ---- Pooled connections -------------------------------------------- */

/* The identity of a backend connection: the policy's fingerprint and
 * what was sent or expected on the wire (SNI, names). */
void pr_conn_key(const pr_resolved *pol, const pr_names *names, unsigned char out[PR_FP_LEN]);

/* May a pooled connection opened with key `had` serve a request whose
 * scope computes `want`? Only the very same identity: anything else gets
 * a fresh connection (never an error, never a re-judged peer). */
int pr_pooled_may_serve(const unsigned char had[PR_FP_LEN], const unsigned char want[PR_FP_LEN]);

/* ---- Reloading trust files (ProxyReencryptReload) ------------------ */

/* Is a check of the trust files due? last: when they were last checked
 * (Unix seconds, 0: never), interval: ProxyReencryptReload (0: off). A
 * clock stepped back counts as due (never a check postponed for hours). */
int pr_reload_due(long long now, long long last, long interval);

/* A file's state for change detection: fold (name, mtime, size, inode)
 * into acc (FNV-1a 64; start with PR_SIG_START). A missing file folds
 * in mtime -1. */
#define PR_SIG_START 0xcbf29ce484222325ULL
unsigned long long pr_sig_fold(unsigned long long acc, const char *name, size_t name_len,
                               long long mtime, long long size, unsigned long long inode);

typedef enum {
    PR_RELOAD_KEEP = 0,         /* the files in force: nothing to do */
    PR_RELOAD_BUILD,            /* changed: build new stores off to the side */
    PR_RELOAD_STILL_BAD,        /* the state that failed last: no new
                                   attempt, no new log line */
    PR_RELOAD_RECOVERED         /* back to the files in force after a
                                   failure (moved back): clear the failure */
} pr_reload_step;

/* loaded: signature of the files in force; failed: of the files that
 * failed to load last (0: none); seen: of the files now. */
pr_reload_step pr_reload_step_of(unsigned long long loaded, unsigned long long failed,
                                 unsigned long long seen);

/* The key of a connection made under trust generation gen (pr_conn_key()
 * then this): gen 0, the stores loaded with the configuration, leaves
 * the key as it is; any other generation gives another key, so that
 * sessions and pooled connections of one generation never serve
 * another. */
void pr_conn_key_trust(unsigned char key[PR_FP_LEN], unsigned gen);

/* ---- Trust files on the status pages ------------------------------ */

/* How the status table names a trust file (pr_reload.c): a CA setting
 * "file", "directory" or "file + directory", a CRL file its name; the
 * shared table keeps the first PR_TRUST_LABEL_MAX bytes of it. */
#define PR_TRUST_LABEL_SEP  " + "
#define PR_TRUST_LABEL_MAX  511

/* The trust settings one scope writes down (a vhost's own, merged over
 * the server's, or a <Proxy> section's): its CA setting (file and/or
 * directory; both NULL: not set there) and its CRL file (NULL: not set). */
typedef struct {
    const char *ca_file, *ca_path;
    const char *crl_file;
} pr_trust_setting;

/* Is `label` (len bytes, as the shared table keeps it: cut at
 * PR_TRUST_LABEL_MAX) the label of the setting (file, path)? Two labels
 * that agree on their first PR_TRUST_LABEL_MAX bytes are one entry of
 * the table, so they compare equal here too. */
int pr_trust_label_is(const char *label, size_t len, const char *file, const char *path);

/* ProxyReencryptStatusScope vhost: does a vhost's status page show the
 * trust file (is_crl; its label, len bytes)? A file belongs to a vhost
 * when a resolved policy of the vhost uses it, and every resolved policy
 * of a vhost takes its CA setting and its CRL file from the vhost's own
 * scope or from one of its <Proxy> sections: the caller asks once per
 * scope of the vhost (any yes: shown). The kinds never mix: a CA setting
 * does not show a CRL file of the same name, nor the other way round. */
int pr_trust_in_setting(int is_crl, const char *label, size_t len, const pr_trust_setting *set);

/* ---- Start-up findings --------------------------------------------- */

typedef struct {
    int code;                   /* PRE0xxx tag number; 0: nothing */
    int error;                  /* 1: start-up fails; 0: a warning */
    pr_reason reason;           /* PR_REASON_PLAINTEXT for 0012/0013 */
    const char *what;           /* the explanation */
    pr_field about;             /* the directive the finding is about */
    const char *at;             /* its "file:line" (pol->origin), NULL: the default */
} pr_finding;

/* One static backend: its policy, whether its scheme is TLS, whether it
 * has any trust anchor (the module's or mod_ssl's), and whether mod_ssl
 * has CRLs for its vhost (SSLProxyCARevocationFile/Path; they count only
 * while mod_ssl's trust store is the one in use). */
pr_finding pr_startup_finding(const pr_resolved *pol, int scheme_is_tls, int has_anchor,
                              int modssl_crls);

/* A TLS backend whose every request opens a new connection
 * (disablereuse=On) without addressttl: mod_proxy resolves its name again
 * for each connection (a third of a new connection's system calls). A
 * note (PRE0015, never an error) unless the host is an IP literal or the
 * module is off for it. */
pr_finding pr_address_finding(const pr_resolved *pol, int scheme_is_tls, int disablereuse,
                              int address_ttl_set, const char *host, size_t host_len);

/* ---- Stream routes ------------------------------------------------- */

/* matches[0..n): lower-case names, "*.domain" or "default" (one route
 * each). The route of a ClientHello's SNI (sni NULL: none): the exact
 * name first (case-insensitive), then the longest "*.domain" the name
 * is under (any depth, as nginx's map hostnames), then "default".
 * -1: no route (the connection is closed). */
int pr_route_pick(const char *const *matches, size_t n, const char *sni, size_t sni_len);

#endif

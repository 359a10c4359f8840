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

/* ---- Pooled connections -------------------------------------------- */

/* The identity of a backend connection: the policy's fingerprint and
 * what was sent or expected on the wire (SNI, names). */
void pr_conn_key(const pr_resolved *pol, const pr_names *names, unsigned char out[PR_FP_LEN]);

/* May a pooled connection opened with key `had` serve a request whose
 * scope computes `want`? Only the very same identity: anything else gets
 * a fresh connection (never an error, never a re-judged peer). */
int pr_pooled_may_serve(const unsigned char had[PR_FP_LEN], const unsigned char want[PR_FP_LEN]);

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

#endif

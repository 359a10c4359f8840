/*
 * pr_reload.h: trust files re-read while the server runs
 * (ProxyReencryptReload), and what the status page shows of every CA and
 * CRL file the policies use. See pr_reload.c.
 */
#ifndef PR_RELOAD_H
#define PR_RELOAD_H

#include "pr_tls.h"

/* The trust material of a new backend connection: the policy's store and
 * CRLs in force now (pc->store, pc->crls, held until the connection's
 * pool goes), its trust generation (pc->trust_gen), mixed into pc->key
 * (call after pr_conn_key()). Checks the files first when a check is due. */
void pr_trust_take(pr_conn *pc);

/* The trust generation a connection of this policy would get now (0 for
 * a policy without ProxyReencryptReload); checks the files first when a
 * check is due. */
unsigned pr_trust_gen(const pr_resolved *pol);

/* A check of the files, if one is due (a time compare otherwise). */
void pr_reload_tick(void);

/* One CA or CRL file (or CA directory) as the status page shows it. */
typedef struct {
    const char *kind;               /* "ca" or "crl" */
    const char *file;               /* file, directory, or "file + directory" */
    long reload;                    /* seconds, 0: loaded at start-up only */
    int failed;                     /* the last reload failed */
    const char *reason;             /* why (failed) */
    apr_time_t failed_at;
    apr_time_t loaded_at;           /* of what is in force */
    apr_int64_t next_update;        /* CRLs: soonest nextUpdate, Unix s; 0 none */
    const char *issuer;             /* CRLs: their issuers */
    int n_crls;
} pr_trust_file;

/* Every trust file known (shared by the children), copied into p (the
 * caller's to change). Returns their number. */
int pr_reload_files(apr_pool_t *p, pr_trust_file **out);

void pr_reload_register_hooks(apr_pool_t *p);

/* pr_reload_shared.c: the shared table (for pr_reload.c only). A slot per
 * trust file; the failure or reload of a given state of a file (sig) is
 * logged by the first child that records it. */
typedef struct rl_slot rl_slot;
void pr_rl_shared_create(apr_pool_t *pconf);
rl_slot *pr_rl_slot_claim(int is_crl, const char *label, unsigned long long sig,
                          long interval, STACK_OF(X509_CRL) *crls);
long pr_rl_slot_reload(const rl_slot *sl);
void pr_rl_failed(rl_slot *sl, server_rec *s, int is_crl, const char *label,
                  unsigned long long sig, const char *why);
void pr_rl_loaded(rl_slot *sl, server_rec *s, int is_crl, const char *label,
                  unsigned long long sig, STACK_OF(X509_CRL) *crls);
void pr_rl_recovered(rl_slot *sl);

#endif

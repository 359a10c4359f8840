/*
 * pr_reload_shared.c: the trust files' shared state (pr_reload.c): one
 * slot per CA setting or CRL file in a small anonymous shared memory table
 * made at post_config, inherited by every child, under a spin lock (held
 * for a few copies). What the status page shows of each file (reload
 * failed and why, loaded when, CRL nextUpdate and issuers) comes from
 * here, so any child's page shows the same; and a failure or a reload is
 * logged by the first child that records that state of the file (its
 * signature), not by every child and not at every check.
 */
#include "pr_tls.h"
#include "pr_reload.h"

#include "apr_atomic.h"
#include "apr_shm.h"
#include "apr_strings.h"

#include "pr_x509.h"

#define MAX_SLOTS 128
#define TEXT 512

struct rl_slot {
    apr_uint32_t is_crl;
    apr_uint32_t reload;
    apr_uint32_t failed;
    apr_uint32_t n_crls;
    apr_uint64_t failed_sig;        /* the state whose failure was logged */
    apr_uint64_t loaded_sig;        /* the state whose reload was logged */
    apr_time_t failed_at, loaded_at;
    apr_int64_t next_update;
    char file[PR_TRUST_LABEL_MAX + 1];  /* the label, cut */
    char reason[TEXT];
    char issuer[TEXT];
};

typedef struct {
    apr_uint32_t lock;
    apr_uint32_t n;
    rl_slot slot[MAX_SLOTS];
} rl_shared;

static rl_shared *shared;

static void sh_lock(void)
{
    while (apr_atomic_cas32(&shared->lock, 1, 0) != 0) {
        apr_sleep(50);
    }
}

static void sh_unlock(void)
{
    apr_atomic_set32(&shared->lock, 0);
}

static apr_status_t forget(void *data)
{
    (void)data;
    shared = NULL;
    return APR_SUCCESS;
}

void pr_rl_shared_create(apr_pool_t *pconf)
{
    apr_shm_t *shm;

    shared = NULL;
    if (apr_shm_create(&shm, sizeof(rl_shared), NULL, pconf) == APR_SUCCESS) {
        shared = apr_shm_baseaddr_get(shm);
        memset(shared, 0, sizeof(*shared));
        apr_pool_cleanup_register(pconf, NULL, forget, apr_pool_cleanup_null);
    }
}

/* CRLs: soonest nextUpdate and issuers, into the slot (lock held). */
static void slot_crl_info(rl_slot *sl, STACK_OF(X509_CRL) *crls)
{
    long long soonest = 0, t;
    size_t used = 0;
    int i;

    sl->issuer[0] = '\0';
    sl->n_crls = crls ? (apr_uint32_t)sk_X509_CRL_num(crls) : 0;
    for (i = 0; crls && i < sk_X509_CRL_num(crls); ++i) {
        X509_CRL *crl = sk_X509_CRL_value(crls, i);
        const ASN1_TIME *nu = X509_CRL_get0_nextUpdate(crl);
        char name[256];

        if (nu && !pr_x509_unix_time(nu, &t) && (!soonest || t < soonest)) {
            soonest = t;
        }
        pr_x509_name_line(X509_CRL_get_issuer(crl), name, sizeof(name));
        if (!strstr(sl->issuer, name) && used + strlen(name) + 3 < sizeof(sl->issuer)) {
            used += (size_t)apr_snprintf(sl->issuer + used, sizeof(sl->issuer) - used,
                                         "%s%s", used ? "; " : "", name);
        }
    }
    sl->next_update = soonest;
}

rl_slot *pr_rl_slot_claim(int is_crl, const char *label, unsigned long long sig,
                          long interval, STACK_OF(X509_CRL) *crls)
{
    rl_slot *sl = NULL;
    apr_uint32_t i;

    if (!shared) {
        return NULL;
    }
    sh_lock();
    for (i = 0; i < shared->n && !sl; ++i) {
        if (shared->slot[i].is_crl == (apr_uint32_t)is_crl
            && pr_trust_label_is(shared->slot[i].file, strlen(shared->slot[i].file), label,
                                 NULL)) {
            sl = &shared->slot[i];
        }
    }
    if (!sl && shared->n < MAX_SLOTS) {
        sl = &shared->slot[shared->n++];
        memset(sl, 0, sizeof(*sl));
        sl->is_crl = (apr_uint32_t)is_crl;
        apr_cpystrn(sl->file, label, sizeof(sl->file));
        sl->loaded_at = apr_time_now();
        sl->loaded_sig = sig;
        if (is_crl) {
            slot_crl_info(sl, crls);
        }
    }
    if (sl && interval > 0 && (apr_uint32_t)interval > sl->reload) {
        sl->reload = (apr_uint32_t)interval;
    }
    sh_unlock();
    return sl;
}

long pr_rl_slot_reload(const rl_slot *sl)
{
    return sl ? (long)sl->reload : 0;
}

void pr_rl_failed(rl_slot *sl, server_rec *s, int is_crl, const char *label,
                  unsigned long long sig, const char *why)
{
    int log = 1;

    if (sl) {
        sh_lock();
        log = sl->failed_sig != sig;
        sl->failed = 1;
        sl->failed_sig = sig;
        sl->failed_at = apr_time_now();
        apr_cpystrn(sl->reason, why, sizeof(sl->reason));
        sh_unlock();
    }
    if (log) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, PRE(1060)
                     "ProxyReencryptReload: %s %s no longer loads: %s; the %s loaded "
                     "before stays in force until the file is fixed", is_crl ? "CRL file"
                     : "CA", label, why, is_crl ? "CRLs" : "trust store");
    }
}

void pr_rl_loaded(rl_slot *sl, server_rec *s, int is_crl, const char *label,
                  unsigned long long sig, STACK_OF(X509_CRL) *crls)
{
    int log = 1;

    if (sl) {
        sh_lock();
        log = sl->loaded_sig != sig;
        sl->failed = 0;
        sl->failed_sig = 0;
        sl->reason[0] = '\0';
        sl->loaded_sig = sig;
        sl->loaded_at = apr_time_now();
        if (is_crl) {
            slot_crl_info(sl, crls);
        }
        sh_unlock();
    }
    if (log) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, PRE(1061)
                     "ProxyReencryptReload: %s %s changed and was reloaded; new backend "
                     "connections use it (sessions and pooled connections of the earlier "
                     "one are not reused)", is_crl ? "CRL file" : "CA", label);
    }
}

void pr_rl_recovered(rl_slot *sl)
{
    if (sl) {
        sh_lock();
        sl->failed = 0;
        sl->failed_sig = 0;
        sl->reason[0] = '\0';
        sh_unlock();
    }
}

int pr_reload_files(apr_pool_t *p, pr_trust_file **out)
{
    pr_trust_file *f;
    apr_uint32_t i, n;

    *out = NULL;
    if (!shared) {
        return 0;
    }
    pr_reload_tick();
    sh_lock();
    n = shared->n;
    f = apr_pcalloc(p, sizeof(*f) * (n ? n : 1));
    for (i = 0; i < n; ++i) {
        const rl_slot *sl = &shared->slot[i];

        f[i].kind = sl->is_crl ? "crl" : "ca";
        f[i].file = apr_pstrdup(p, sl->file);
        f[i].reload = (long)sl->reload;
        f[i].failed = (int)sl->failed;
        f[i].reason = apr_pstrdup(p, sl->reason);
        f[i].failed_at = sl->failed_at;
        f[i].loaded_at = sl->loaded_at;
        f[i].next_update = sl->next_update;
        f[i].issuer = apr_pstrdup(p, sl->issuer);
        f[i].n_crls = (int)sl->n_crls;
    }
    sh_unlock();
    *out = f;
    return (int)n;
}

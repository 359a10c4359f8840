/*
 * pr_decide.c: every decision of the module (see pr_decide.h). Pure.
 */
#include <string.h>
#include <strings.h>
#include <openssl/evp.h>

#include "pr_decide.h"

static int is_ip(const char *s)
{
    int k = s ? pr_classify_name(s, strlen(s), 0) : 0;
    return k == 4 || k == 6;
}

void pr_choose_names(const pr_resolved *pol, const char *requested, int from_client,
                     const char *worker_host, const char **slot, pr_names *out)
{
    memset(out, 0, sizeof(*out));
    if (pol->n_expect) {
        out->names = pol->expect;
        out->n = pol->n_expect;
    }
    else if (requested && *requested) {
        *slot = requested;
        out->names = slot;
        out->n = 1;
        out->from_client = from_client;
    }
    else if (worker_host && *worker_host) {
        /* A health check, or ProxyPreserveHost with a request without
         * Host: the worker's own host. */
        *slot = worker_host;
        out->names = slot;
        out->n = 1;
    }
    switch (pol->sni) {
    case PR_SNI_NAME:
        out->sni = pol->sni_name;
        break;
    case PR_SNI_OFF:
        out->sni = NULL;
        break;
    default:
        /* mod_proxy's choice, which is never an IP literal */
        out->sni = (requested && *requested && !is_ip(requested)) ? requested : NULL;
        break;
    }
    if (pol->policy == PR_POLICY_OFF) {
        return;
    }
    out->own = pol->policy == PR_POLICY_ENFORCE || pol->n_expect || pol->sni != PR_SNI_AUTO;
    out->check = pol->verify != PR_VERIFY_PIN || pol->n_expect;
    out->as_modssl = pol->policy == PR_POLICY_AUDIT && out->own;
}

int pr_pin_match(const pr_resolved *pol, const unsigned char (*spki)[32], size_t n)
{
    size_t i, k;

    if (!pol->n_pins) {
        return -1;
    }
    if (pol->verify == PR_VERIFY_PIN && n > 1) {
        n = 1;                          /* the leaf alone */
    }
    for (i = 0; i < n; ++i) {
        for (k = 0; k < pol->n_pins; ++k) {
            if (!memcmp(spki[i], pol->pins + k * 32, 32)) {
                return 1;
            }
        }
    }
    return 0;
}

pr_verdict pr_decide(const pr_resolved *pol, const pr_observation *obs)
{
    pr_verdict v = { PR_REASON_NONE, 0, 0 };
    unsigned errs = obs->chain_errors;
    int r;

    if (pol->verify == PR_VERIFY_OFF) {
        return v;
    }
    if (!obs->have_cert) {
        v.reason = PR_REASON_NO_CERTIFICATE;
        return v;
    }
    if (pol->verify == PR_VERIFY_PIN) {
        /* Trust comes from the pin alone: chain-building errors do not
         * count; the validity period does, and so does a configured CRL
         * check (revoked, or a CRL that cannot be had: fail closed). */
        errs &= ~(PR_REASON_BIT(PR_REASON_UNTRUSTED) | PR_REASON_BIT(PR_REASON_DEPTH));
        if (pol->crl_check == PR_CRL_NONE) {
            errs &= ~PR_REASON_BIT(PR_REASON_REVOKED);
        }
    }
    if (obs->days_left < 0) {
        errs |= PR_REASON_BIT(PR_REASON_EXPIRED);
    }
    if (obs->name_checked && !obs->name_ok) {
        errs |= PR_REASON_BIT(PR_REASON_NAME_MISMATCH);
    }
    if ((pol->verify == PR_VERIFY_PIN || pol->n_pins) && obs->pin != 1) {
        errs |= PR_REASON_BIT(PR_REASON_PIN_MISMATCH);
    }
    if (obs->days_left >= 0 && obs->days_left < pol->refuse_days) {
        errs |= PR_REASON_BIT(PR_REASON_EXPIRING);
    }
    for (r = PR_REASON_NONE + 1; r < PR_REASON__COUNT; ++r) {
        if (errs & PR_REASON_BIT(r)) {
            v.reason = (pr_reason)r;
            /* Only a refusal for the name alone is the client's fault:
             * any other reason is the backend's, whatever the name. */
            v.client_fault = v.reason == PR_REASON_NAME_MISMATCH && obs->name_from_client;
            return v;
        }
    }
    if (obs->days_left < pol->warn_days) {
        v.expiring_warning = 1;
    }
    return v;
}

int pr_freshness(long long this_update, long long next_update, long long now, long skew)
{
    if (this_update > now + skew) {
        return 1;
    }
    if (next_update && next_update < now - skew) {
        return 2;
    }
    return 0;
}

pr_reason pr_ocsp_reason(pr_ocsp_mode mode, const pr_staple *s, long long now,
                         const char **why)
{
    const char *w = "stapled OCSP response: good";
    pr_reason r = PR_REASON_NONE;
    int fresh;

    if (mode == PR_OCSP_OFF) {
        w = "OCSP off";
    }
    else switch (s->status) {
    case PR_STAPLE_REVOKED:
        /* A revocation is never undone: stale or not, it stands. */
        r = PR_REASON_REVOKED;
        w = "stapled OCSP response: revoked";
        break;
    case PR_STAPLE_UNUSABLE:
        r = PR_REASON_OCSP;
        w = "stapled OCSP response not verified (signature, signer or certificate ID)";
        break;
    case PR_STAPLE_GOOD:
        fresh = pr_freshness(s->this_update, s->next_update, now, PR_REVOCATION_SKEW);
        if (fresh) {
            r = PR_REASON_OCSP;
            w = fresh == 1 ? "stapled OCSP response not yet valid (thisUpdate in the future)"
                           : "stapled OCSP response expired (nextUpdate in the past)";
        }
        break;
    case PR_STAPLE_UNKNOWN:
        w = "stapled OCSP response: unknown";
        r = mode == PR_OCSP_REQUIRE ? PR_REASON_OCSP : PR_REASON_NONE;
        break;
    default:
        w = "no stapled OCSP response";
        r = mode == PR_OCSP_REQUIRE ? PR_REASON_OCSP : PR_REASON_NONE;
        break;
    }
    if (why) {
        *why = w;
    }
    return r;
}

#define PR_DAY 86400

int pr_crl_state(long long next_update, long long now)
{
    if (!next_update) {
        return 0;                       /* no nextUpdate: nothing to expire */
    }
    if (next_update < now) {
        return 2;
    }
    return next_update - now < PR_DAY ? 1 : 0;
}

pr_outcome pr_outcome_of(pr_policy policy, const pr_verdict *v, int by_modssl,
                         int as_modssl, int requestless)
{
    pr_outcome o;

    memset(&o, 0, sizeof(o));
    o.word = "ok";
    o.kind = PR_VERDICT_OK;
    if (policy == PR_POLICY_OFF) {
        return o;
    }
    o.client_fault = v->client_fault;
    if (by_modssl || (as_modssl && v->reason == PR_REASON_NAME_MISMATCH)) {
        /* The handshake failed as stock Apache would have failed it. */
        o.refuse = 1;
        o.kind = PR_VERDICT_REFUSED;
        o.log_level = 3;
        if (policy == PR_POLICY_ENFORCE) {
            o.word = "refused";
            o.status = 502;
            o.member_in_error = !requestless && !v->client_fault;
        }
        else {
            /* audit: stock's status (mod_proxy's 500), stock's failover */
            o.word = by_modssl ? "refused by mod_ssl" : "refused (as mod_ssl would)";
        }
        return o;
    }
    if (v->reason == PR_REASON_NONE) {
        return o;
    }
    if (policy == PR_POLICY_ENFORCE) {
        o.refuse = 1;
        o.status = 502;
        o.log_level = 3;
        o.word = "refused";
        o.kind = PR_VERDICT_REFUSED;
        o.member_in_error = !requestless && !v->client_fault;
    }
    else {
        o.log_level = 4;
        o.word = "would refuse";
        o.kind = PR_VERDICT_AUDIT;
    }
    return o;
}

int pr_use_session_cache(const pr_resolved *pol)
{
    if (!pol->session_cache || pol->policy == PR_POLICY_OFF) {
        return 0;
    }
    return pol->policy == PR_POLICY_ENFORCE || pol->origin[PR_F_SESSION_CACHE] != NULL;
}

int pr_handshake_timeout(const pr_resolved *pol)
{
    if (pol->policy == PR_POLICY_OFF || pol->hs_timeout <= 0) {
        return 0;
    }
    if (pol->policy == PR_POLICY_AUDIT && !pol->origin[PR_F_HS_TIMEOUT]) {
        return 0;
    }
    return pol->hs_timeout;
}

int pr_chain_limit(const pr_resolved *pol)
{
    int n = pol->depth + 3;

    return n < PR_CHAIN_MIN_LIMIT ? PR_CHAIN_MIN_LIMIT : n;
}

int pr_refuse_renegotiation(const pr_resolved *pol)
{
    return pol->policy == PR_POLICY_ENFORCE;
}

long pr_days_left_at(long long not_after, long long now)
{
    long long diff = not_after - now;
    long long days = diff / 86400;      /* truncated toward zero */

    if (diff < 0 && days == 0) {
        return -1;
    }
    return (long)days;
}

pr_verdict pr_decide_resumed(const pr_resolved *pol, const pr_session_facts *f,
                             long long now, long *days_left)
{
    pr_observation obs = f->obs;

    obs.chain_errors &= ~(PR_REASON_BIT(PR_REASON_EXPIRED) | PR_REASON_BIT(PR_REASON_NOT_YET_VALID));
    if (obs.have_cert) {
        if (now < f->chain_not_before) {
            obs.chain_errors |= PR_REASON_BIT(PR_REASON_NOT_YET_VALID);
        }
        if (now > f->chain_not_after) {
            obs.chain_errors |= PR_REASON_BIT(PR_REASON_EXPIRED);
        }
        if (f->crl_next_update && now > f->crl_next_update) {
            /* a CRL past its nextUpdate counts as missing: fail closed */
            obs.chain_errors |= PR_REASON_BIT(PR_REASON_REVOKED);
        }
        obs.days_left = pr_days_left_at(f->leaf_not_after, now);
    }
    if (days_left) {
        *days_left = obs.days_left;
    }
    return pr_decide(pol, &obs);
}

int pr_resume_max_proto(int session_version, int min_proto)
{
    if (session_version == 0x0303 && min_proto <= 0x0303) {
        return 0x0303;
    }
    return 0;
}

void pr_conn_key(const pr_resolved *pol, const pr_names *names, unsigned char out[PR_FP_LEN])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int len = 0;
    size_t i;

    memset(out, 0, PR_FP_LEN);
    if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
        EVP_MD_CTX_free(md);
        memset(out, 0xff, PR_FP_LEN);   /* no digest: never equal to a real key */
        out[0] = (unsigned char)(size_t)pol;
        return;
    }
    EVP_DigestUpdate(md, pol->fp, PR_FP_LEN);
    EVP_DigestUpdate(md, names->sni ? names->sni : "", names->sni ? strlen(names->sni) + 1 : 0);
    EVP_DigestUpdate(md, "|", 1);
    for (i = 0; i < names->n; ++i) {
        EVP_DigestUpdate(md, names->names[i], strlen(names->names[i]) + 1);
    }
    EVP_DigestFinal_ex(md, out, &len);
    EVP_MD_CTX_free(md);
}

int pr_pooled_may_serve(const unsigned char had[PR_FP_LEN], const unsigned char want[PR_FP_LEN])
{
    return memcmp(had, want, PR_FP_LEN) == 0;
}

int pr_reload_due(long long now, long long last, long interval)
{
    return interval > 0 && (last == 0 || now < last || now - last >= interval);
}

static unsigned long long fnv_bytes(unsigned long long h, const void *b, size_t n)
{
    const unsigned char *p = b;
    size_t i;

    for (i = 0; i < n; ++i) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static unsigned long long fnv_num(unsigned long long h, unsigned long long v)
{
    unsigned char b[8];
    int i;

    for (i = 0; i < 8; ++i) {
        b[i] = (unsigned char)(v >> (8 * i));
    }
    return fnv_bytes(h, b, sizeof(b));
}

unsigned long long pr_sig_fold(unsigned long long acc, const char *name, size_t name_len,
                               long long mtime, long long size, unsigned long long inode)
{
    acc = fnv_num(acc, (unsigned long long)name_len);
    acc = fnv_bytes(acc, name, name_len);
    acc = fnv_num(acc, (unsigned long long)mtime);
    acc = fnv_num(acc, (unsigned long long)size);
    acc = fnv_num(acc, inode);
    return acc ? acc : 1;               /* 0 means "none" to the callers */
}

pr_reload_step pr_reload_step_of(unsigned long long loaded, unsigned long long failed,
                                 unsigned long long seen)
{
    if (seen == loaded) {
        return failed ? PR_RELOAD_RECOVERED : PR_RELOAD_KEEP;
    }
    if (failed && seen == failed) {
        return PR_RELOAD_STILL_BAD;
    }
    return PR_RELOAD_BUILD;
}

void pr_conn_key_trust(unsigned char key[PR_FP_LEN], unsigned gen)
{
    unsigned char buf[PR_FP_LEN + 4];
    unsigned int len = 0;

    if (gen == 0) {
        return;
    }
    memcpy(buf, key, PR_FP_LEN);
    buf[PR_FP_LEN] = (unsigned char)gen;
    buf[PR_FP_LEN + 1] = (unsigned char)(gen >> 8);
    buf[PR_FP_LEN + 2] = (unsigned char)(gen >> 16);
    buf[PR_FP_LEN + 3] = (unsigned char)(gen >> 24);
    if (!EVP_Digest(buf, sizeof(buf), key, &len, EVP_sha256(), NULL)) {
        key[0] ^= 0x5a;                 /* no digest: still another key */
        key[1] ^= (unsigned char)gen;
    }
}

static pr_finding finding(const pr_resolved *pol, int code, int error, pr_field about,
                          const char *what)
{
    pr_finding f = { code, error, PR_REASON_NONE, what, about, pol->origin[about] };
    return f;
}

pr_finding pr_startup_finding(const pr_resolved *pol, int scheme_is_tls, int has_anchor,
                              int modssl_crls)
{
    pr_finding f = { 0, 0, PR_REASON_NONE, NULL, PR_F_POLICY, NULL };
    int enforce = pol->policy == PR_POLICY_ENFORCE;

    if (pol->policy == PR_POLICY_OFF) {
        return f;
    }
    if (pol->verify == PR_VERIFY_PIN && pol->n_pins == 0) {
        return finding(pol, 10, 1, PR_F_VERIFY,
                       "ProxyReencryptVerify pin needs at least one ProxyReencryptPin");
    }
    if (enforce && pol->verify == PR_VERIFY_OFF) {
        return finding(pol, 11, 1, PR_F_VERIFY,
                       "ProxyReencryptVerify off is not allowed under ProxyReencryptPolicy "
                       "enforce (use pin for self-signed backends, or ProxyReencryptPolicy off "
                       "to exempt it)");
    }
    if (scheme_is_tls) {
        if (enforce && pol->verify == PR_VERIFY_CHAIN && !has_anchor) {
            return finding(pol, 14, 1, PR_F_POLICY,
                           "has no trust anchor: set ProxyReencryptCACertificateFile (or "
                           "mod_ssl's SSLProxyCACertificateFile), or pin it with "
                           "ProxyReencryptVerify pin");
        }
        /* Fail closed: a revocation check needs CRLs to check against.
         * mod_ssl's are in mod_ssl's trust store, used only when the
         * module has no store of its own. */
        if (pol->verify != PR_VERIFY_OFF && pol->crl_check != PR_CRL_NONE && !pol->crls
            && !(modssl_crls && !pol->store)) {
            return finding(pol, 15, enforce, PR_F_CRL_CHECK,
                           "checks revocation with no CRL source: set "
                           "ProxyReencryptCARevocationFile (or mod_ssl's "
                           "SSLProxyCARevocationFile/Path with mod_ssl's trust store), or "
                           "ProxyReencryptCARevocationCheck none");
        }
        return f;
    }
    if (!pol->require_tls) {
        return f;
    }
    if (enforce) {
        f = finding(pol, 12, 1, PR_F_POLICY,
                    "is plaintext: ProxyReencryptPolicy enforce requires TLS; use https://, "
                    "or exempt it with ProxyReencryptPolicy off in its <Proxy> section");
    }
    else {
        f = finding(pol, 13, 0, PR_F_REQUIRE_TLS, "would be refused: reason=plaintext");
    }
    f.reason = PR_REASON_PLAINTEXT;
    return f;
}

pr_finding pr_address_finding(const pr_resolved *pol, int scheme_is_tls, int disablereuse,
                              int address_ttl_set, const char *host, size_t host_len)
{
    pr_finding f = { 0, 0, PR_REASON_NONE, NULL, PR_F_POLICY, NULL };
    int kind = host ? pr_classify_name(host, host_len, 0) : 0;

    if (pol->policy == PR_POLICY_OFF || !scheme_is_tls || !disablereuse || address_ttl_set
        || !host_len || kind == 4 || kind == 6) {
        return f;
    }
    f.code = 17;
    f.what = "opens a new TLS connection for every request (disablereuse=On) and mod_proxy "
             "resolves its name again for each one: add addressttl=SECONDS to its ProxyPass "
             "or BalancerMember";
    return f;
}

int pr_route_pick(const char *const *matches, size_t n, const char *sni, size_t sni_len)
{
    int best = -1, dflt = -1;
    size_t i, best_len = 0;

    for (i = 0; i < n; ++i) {
        const char *m = matches[i];
        size_t mlen = strlen(m);

        if (!strcmp(m, "default")) {
            if (dflt < 0) {
                dflt = (int)i;
            }
            continue;
        }
        if (!sni || !sni_len) {
            continue;
        }
        if (mlen == sni_len && !strncasecmp(m, sni, sni_len)) {
            return (int)i;              /* exact: nothing beats it */
        }
        if (mlen > 2 && m[0] == '*' && m[1] == '.' && sni_len > mlen - 1
            && !strncasecmp(sni + sni_len - (mlen - 1), m + 1, mlen - 1)
            && (best < 0 || mlen > best_len)) {
            best = (int)i;
            best_len = mlen;
        }
    }
    return best >= 0 ? best : dflt;
}

int pr_trust_label_is(const char *label, size_t len, const char *file, const char *path)
{
    const char *part[3];
    size_t plen[3], full = 0, done = 0, want, take;
    int i, n = 0;

    if (!label || (!file && !path)) {
        return 0;
    }
    if (file) {
        part[n++] = file;
    }
    if (file && path) {
        part[n++] = PR_TRUST_LABEL_SEP;
    }
    if (path) {
        part[n++] = path;
    }
    for (i = 0; i < n; ++i) {
        plen[i] = strlen(part[i]);
        full += plen[i];
    }
    want = full > PR_TRUST_LABEL_MAX ? PR_TRUST_LABEL_MAX : full;
    if (len != want) {
        return 0;
    }
    for (i = 0; i < n && done < want; ++i) {
        take = plen[i] < want - done ? plen[i] : want - done;
        if (memcmp(label + done, part[i], take)) {
            return 0;
        }
        done += take;
    }
    return 1;
}

int pr_trust_in_setting(int is_crl, const char *label, size_t len, const pr_trust_setting *set)
{
    if (!set) {
        return 0;
    }
    return is_crl ? set->crl_file != NULL && pr_trust_label_is(label, len, set->crl_file, NULL)
                  : pr_trust_label_is(label, len, set->ca_file, set->ca_path);
}

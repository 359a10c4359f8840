/*
 * pr_policy.c: the resolved policy: defaults, fingerprint, precedence.
 * Pure (libc + OpenSSL). See pr_policy.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "pr_policy.h"

static const char *const directives[PR_F__COUNT] = {
    [PR_F_POLICY] = "ProxyReencryptPolicy",
    [PR_F_REQUIRE_TLS] = "ProxyReencryptRequireTLS",
    [PR_F_VERIFY] = "ProxyReencryptVerify",
    [PR_F_CA] = "ProxyReencryptCACertificateFile/Path",
    [PR_F_DEPTH] = "ProxyReencryptVerifyDepth",
    [PR_F_EXPECT] = "ProxyReencryptExpectName",
    [PR_F_SNI] = "ProxyReencryptSNI",
    [PR_F_EXPIRY] = "ProxyReencryptExpiry",
    [PR_F_PINS] = "ProxyReencryptPin",
    [PR_F_CRL_FILE] = "ProxyReencryptCARevocationFile",
    [PR_F_CRL_CHECK] = "ProxyReencryptCARevocationCheck",
    [PR_F_FORWARDED] = "ProxyReencryptForwarded",
    [PR_F_TRUSTED] = "ProxyReencryptTrustedProxy",
    [PR_F_CLIENT_CERT] = "ProxyReencryptClientCertificate",
    [PR_F_MIN_PROTO] = "ProxyReencryptMinProtocol",
    [PR_F_SESSION_CACHE] = "ProxyReencryptSessionCache",
    [PR_F_PROXY_PROTOCOL] = "ProxyReencryptProxyProtocol",
    [PR_F_OCSP] = "ProxyReencryptOCSP",
    [PR_F_HS_TIMEOUT] = "ProxyReencryptHandshakeTimeout",
    [PR_F_RELOAD] = "ProxyReencryptReload",
};

static const char *const dump_names[PR_F__COUNT] = {
    [PR_F_POLICY] = "policy", [PR_F_REQUIRE_TLS] = "require-tls", [PR_F_VERIFY] = "verify",
    [PR_F_CA] = "ca-file", [PR_F_DEPTH] = "verify-depth", [PR_F_EXPECT] = "expect-name",
    [PR_F_SNI] = "sni", [PR_F_EXPIRY] = "expiry", [PR_F_PINS] = "pins",
    [PR_F_CRL_FILE] = "crl-file", [PR_F_CRL_CHECK] = "crl-check",
    [PR_F_FORWARDED] = "forwarded", [PR_F_TRUSTED] = "trusted-proxies",
    [PR_F_CLIENT_CERT] = "client-cert", [PR_F_MIN_PROTO] = "min-protocol",
    [PR_F_SESSION_CACHE] = "session-cache", [PR_F_PROXY_PROTOCOL] = "proxy-protocol",
    [PR_F_OCSP] = "ocsp", [PR_F_HS_TIMEOUT] = "handshake-timeout", [PR_F_RELOAD] = "reload",
};

const char *pr_field_name(pr_field f)
{
    return (int)f >= 0 && f < PR_F__COUNT ? dump_names[f] : "?";
}

const char *pr_field_directive(pr_field f)
{
    return (int)f >= 0 && f < PR_F__COUNT ? directives[f] : "?";
}

void pr_resolved_defaults(pr_resolved *p)
{
    memset(p, 0, sizeof(*p));
    p->policy = PR_DEFAULT_POLICY;
    p->require_tls = PR_DEFAULT_REQUIRE_TLS;
    p->verify = PR_DEFAULT_VERIFY;
    p->depth = PR_DEFAULT_DEPTH;
    p->sni = PR_DEFAULT_SNI;
    p->warn_days = PR_DEFAULT_WARN_DAYS;
    p->refuse_days = PR_DEFAULT_REFUSE_DAYS;
    p->crl_check = PR_CRL_NONE;         /* "chain" once a CRL file is set */
    p->fwd_mode = PR_DEFAULT_FWD_MODE;
    p->min_proto = PR_DEFAULT_MIN_PROTO;
    p->session_cache = 1;
    p->proxy_protocol = 0;
    p->ocsp = PR_OCSP_OFF;
    p->hs_timeout = PR_DEFAULT_HS_TIMEOUT;
    p->reload = 0;
}

/* The fingerprint's input: fixed-width numbers, length-prefixed strings. */
static void put_num(EVP_MD_CTX *md, long v)
{
    unsigned char b[8];
    int i;

    for (i = 0; i < 8; ++i) {
        b[i] = (unsigned char)((unsigned long)v >> (8 * i));
    }
    EVP_DigestUpdate(md, b, sizeof(b));
}

static void put_str(EVP_MD_CTX *md, const char *s)
{
    size_t n = s ? strlen(s) : 0;

    put_num(md, s ? (long)n : -1);
    if (n) {
        EVP_DigestUpdate(md, s, n);
    }
}

void pr_resolved_finish(pr_resolved *p)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int len = 0;
    size_t i;

    if (!p->origin[PR_F_CRL_CHECK]) {
        p->crl_check = p->crl_file ? PR_CRL_CHAIN : PR_CRL_NONE;
    }
    memset(p->fp, 0, sizeof(p->fp));
    if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
        EVP_MD_CTX_free(md);
        /* No digest: a fingerprint nothing else can equal. */
        memcpy(p->fp, &p, sizeof(p) < PR_FP_LEN ? sizeof(p) : PR_FP_LEN);
        return;
    }
    put_num(md, p->policy);
    put_num(md, p->require_tls);
    put_num(md, p->verify);
    put_str(md, p->ca_file);
    put_str(md, p->ca_path);
    put_num(md, p->depth);
    put_num(md, (long)p->n_expect);
    for (i = 0; i < p->n_expect; ++i) {
        put_str(md, p->expect[i]);
    }
    put_num(md, p->sni);
    put_str(md, p->sni == PR_SNI_NAME ? p->sni_name : NULL);
    put_num(md, p->warn_days);
    put_num(md, p->refuse_days);
    put_num(md, (long)p->n_pins);
    if (p->n_pins) {
        EVP_DigestUpdate(md, p->pins, p->n_pins * 32);
    }
    put_str(md, p->crl_file);
    put_num(md, p->crl_check);
    put_str(md, p->client_cert_file);
    put_num(md, p->min_proto);
    put_num(md, p->session_cache);
    put_num(md, p->proxy_protocol);
    put_num(md, p->ocsp);
    put_num(md, p->hs_timeout);
    EVP_DigestUpdate(md, p->modssl, PR_FP_LEN);
    EVP_DigestFinal_ex(md, p->fp, &len);
    EVP_MD_CTX_free(md);
}

int pr_is_modssl_proxy_directive(const char *name, size_t len)
{
    static const char prefix[] = "sslproxy";
    size_t i;

    if (!name || len <= sizeof(prefix) - 1) {
        return 0;
    }
    for (i = 0; i < sizeof(prefix) - 1; ++i) {
        char c = name[i];
        if ((c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c) != prefix[i]) {
            return 0;
        }
    }
    return 1;
}

void pr_modssl_fold(unsigned char id[PR_FP_LEN], const char *name, size_t name_len,
                    const void *args, size_t args_len)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char lower[64];
    unsigned int len = 0;
    size_t i, j;

    if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
        EVP_MD_CTX_free(md);
        /* No digest (cannot happen with a working OpenSSL): at least
         * never all zero, which means "no SSLProxy* directive". */
        id[0] ^= 0xa5;
        id[PR_FP_LEN - 1] ^= (unsigned char)(name_len + args_len);
        return;
    }
    EVP_DigestUpdate(md, id, PR_FP_LEN);
    put_num(md, (long)name_len);
    for (i = 0; i < name_len; i += j) {
        for (j = 0; j < sizeof(lower) && i + j < name_len; ++j) {
            char c = name[i + j];
            lower[j] = (unsigned char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        }
        EVP_DigestUpdate(md, lower, j);
    }
    put_num(md, (long)args_len);
    if (args_len) {
        EVP_DigestUpdate(md, args, args_len);
    }
    EVP_DigestFinal_ex(md, id, &len);
    EVP_MD_CTX_free(md);
}

static const char *policy_word(int v)
{
    return v == PR_POLICY_OFF ? "off" : v == PR_POLICY_ENFORCE ? "enforce" : "audit";
}

void pr_field_value(const pr_resolved *p, pr_field f, char *buf, size_t len)
{
    size_t i, used = 0;

    if (!len) {
        return;
    }
    buf[0] = '\0';
    switch (f) {
    case PR_F_POLICY:
        snprintf(buf, len, "%s", policy_word(p->policy));
        break;
    case PR_F_REQUIRE_TLS:
        snprintf(buf, len, "%s", p->require_tls ? "on" : "off");
        break;
    case PR_F_VERIFY:
        snprintf(buf, len, "%s", p->verify == PR_VERIFY_CHAIN ? "chain"
                 : p->verify == PR_VERIFY_PIN ? "pin" : "off");
        break;
    case PR_F_CA:
        if (p->ca_file || p->ca_path) {
            snprintf(buf, len, "%s%s%s", p->ca_file ? p->ca_file : "",
                     p->ca_file && p->ca_path ? " + " : "", p->ca_path ? p->ca_path : "");
        }
        else {
            snprintf(buf, len, "mod_ssl's SSLProxyCACertificateFile/Path");
        }
        break;
    case PR_F_DEPTH:
        snprintf(buf, len, "%d", p->depth);
        break;
    case PR_F_EXPECT:
        if (!p->n_expect) {
            snprintf(buf, len, "the name mod_proxy verifies (URL host or preserved Host)");
        }
        for (i = 0; i < p->n_expect && used + 1 < len; ++i) {
            int n = snprintf(buf + used, len - used, "%s%s", i ? " " : "", p->expect[i]);
            used += n > 0 ? (size_t)n : 0;
        }
        break;
    case PR_F_SNI:
        snprintf(buf, len, "%s", p->sni == PR_SNI_NAME ? p->sni_name
                 : p->sni == PR_SNI_OFF ? "off" : "auto");
        break;
    case PR_F_EXPIRY:
        snprintf(buf, len, "warn %ld days, refuse %ld days", p->warn_days, p->refuse_days);
        break;
    case PR_F_PINS:
        snprintf(buf, len, "%zu", p->n_pins);
        break;
    case PR_F_CRL_FILE:
        snprintf(buf, len, "%s", p->crl_file ? p->crl_file : "none");
        break;
    case PR_F_CRL_CHECK:
        snprintf(buf, len, "%s", p->crl_check == PR_CRL_CHAIN ? "chain"
                 : p->crl_check == PR_CRL_LEAF ? "leaf" : "none");
        break;
    case PR_F_FORWARDED:
        snprintf(buf, len, "%s", p->fwd_mode == PR_FWD_MODE_XFF ? "xff"
                 : p->fwd_mode == PR_FWD_MODE_RFC7239 ? "rfc7239"
                 : p->fwd_mode == PR_FWD_MODE_BOTH ? "both" : "off");
        break;
    case PR_F_TRUSTED:
        snprintf(buf, len, "%s", p->trusted_text ? p->trusted_text : "none");
        break;
    case PR_F_CLIENT_CERT:
        snprintf(buf, len, "%s", p->client_cert_file ? p->client_cert_file : "none");
        break;
    case PR_F_MIN_PROTO:
        snprintf(buf, len, "%s", p->min_proto >= 0x0304 ? "TLSv1.3" : "TLSv1.2");
        break;
    case PR_F_SESSION_CACHE:
        snprintf(buf, len, "%s", p->session_cache ? "on" : "off");
        break;
    case PR_F_PROXY_PROTOCOL:
        snprintf(buf, len, "%s", p->proxy_protocol == 2 ? "v2"
                 : p->proxy_protocol == 1 ? "v1" : "off");
        break;
    case PR_F_OCSP:
        snprintf(buf, len, "%s", p->ocsp == PR_OCSP_REQUIRE ? "require"
                 : p->ocsp == PR_OCSP_STAPLE ? "staple" : "off");
        break;
    case PR_F_HS_TIMEOUT:
        snprintf(buf, len, "%d s%s", p->hs_timeout, p->policy == PR_POLICY_AUDIT
                 && !p->origin[PR_F_HS_TIMEOUT] ? " (not applied under audit: mod_proxy's timeout)" : "");
        break;
    case PR_F_RELOAD:
        if (p->reload) {
            snprintf(buf, len, "every %ld s", p->reload);
        }
        else {
            snprintf(buf, len, "off");
        }
        break;
    default:
        break;
    }
}

int pr_section_rank_of(int is_pattern, int matched_balancer, int matched_backend)
{
    if (!matched_balancer && !matched_backend) {
        return PR_RANK_NONE;
    }
    if (is_pattern) {
        return PR_RANK_WILDCARD;
    }
    return matched_backend ? PR_RANK_BACKEND : PR_RANK_BALANCER;
}

void pr_sections_order(size_t *idx, const pr_section_rank *ranks, size_t n)
{
    size_t i, j;

    /* Insertion sort: a handful of sections, stable, no static state
     * (qsort would need the ranks in a global). */
    for (i = 1; i < n; ++i) {
        size_t k = idx[i];
        for (j = i; j > 0; --j) {
            const pr_section_rank *x = &ranks[idx[j - 1]], *y = &ranks[k];
            int gt = x->rank != y->rank ? x->rank > y->rank
                   : x->prefix_len != y->prefix_len ? x->prefix_len > y->prefix_len
                   : x->order > y->order;
            if (!gt) {
                break;
            }
            idx[j] = idx[j - 1];
        }
        idx[j] = k;
    }
}

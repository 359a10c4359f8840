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

/* The parts of "scheme://authority/path..." within s[0..len). */
typedef struct {
    size_t scheme;              /* length of the scheme */
    const char *host;           /* authority: host, or balancer name */
    size_t host_len;
    const char *port;           /* digits after ':' (NULL: none) */
    size_t port_len;
    int whole;                  /* the authority ends in s (a '/' follows) */
    const char *path;           /* from the '/' after the authority */
    size_t path_len;
} url_parts;

static int split_url(const char *s, size_t len, url_parts *u)
{
    size_t i, a, e;
    const char *colon = NULL;

    for (i = 0; i + 2 < len && s[i] != ':' && s[i] != '/'; ++i) {
    }
    if (i == 0 || i + 2 >= len || s[i] != ':' || s[i + 1] != '/' || s[i + 2] != '/') {
        return 0;
    }
    u->scheme = i;
    a = i + 3;
    for (e = a; e < len && s[e] != '/'; ++e) {
        if (s[e] == ':') {
            colon = s + e;      /* the last one ([v6]:port has ']' before it) */
        }
        else if (s[e] == ']') {
            colon = NULL;
        }
    }
    u->host = s + a;
    u->host_len = (size_t)((colon ? colon : s + e) - u->host);
    u->port = colon ? colon + 1 : NULL;
    u->port_len = colon ? (size_t)(s + e - u->port) : 0;
    u->whole = e < len;
    u->path = s + e;
    u->path_len = len - e;
    return 1;
}

static int same_nocase(const char *a, const char *b, size_t n)
{
    size_t i;

    for (i = 0; i < n; ++i) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x >= 'A' && x <= 'Z') {
            x = (unsigned char)(x - 'A' + 'a');
        }
        if (y >= 'A' && y <= 'Z') {
            y = (unsigned char)(y - 'A' + 'a');
        }
        if (x != y) {
            return 0;
        }
    }
    return 1;
}

/* The port of a URL as a number, its scheme's default when absent
 * (mod_proxy's ap_proxy_port_of_scheme); -1 when not a number. */
static long port_of(const char *scheme, size_t slen, const url_parts *u)
{
    static const struct { const char *name; long port; } def[] = {
        { "http", 80 }, { "https", 443 }, { "ws", 80 }, { "wss", 443 }, { "h2c", 80 },
        { "h2", 443 }, { "ajp", 8009 }, { "fcgi", 8000 }, { "scgi", 4000 }, { "ftp", 21 },
    };
    long v = 0;
    size_t i;

    if (!u->port || !u->port_len) {
        for (i = 0; i < sizeof(def) / sizeof(def[0]); ++i) {
            if (strlen(def[i].name) == slen && same_nocase(def[i].name, scheme, slen)) {
                return def[i].port;
            }
        }
        return 0;
    }
    if (u->port_len > 5) {
        return -1;
    }
    for (i = 0; i < u->port_len; ++i) {
        if (u->port[i] < '0' || u->port[i] > '9') {
            return -1;
        }
        v = v * 10 + (u->port[i] - '0');
    }
    return v;
}

int pr_section_names(const char *p, size_t plen, const char *u, size_t ulen)
{
    url_parts sp, su;
    long pport, uport;

    if (!split_url(p, plen, &sp) || !split_url(u, ulen, &su)) {
        return plen <= ulen && !memcmp(p, u, plen);
    }
    if (sp.scheme != su.scheme || !same_nocase(p, u, sp.scheme)) {
        return 0;
    }
    if (!sp.whole) {
        /* p ends inside the authority: mod_proxy's prefix compare, with
         * the case of names ignored ("https://h" names https://h:8443/),
         * or the same authority up to a default port. */
        size_t alen = (size_t)(p + plen - sp.host), ulen_a = (size_t)(su.path - su.host);
        if (alen <= ulen_a && same_nocase(sp.host, su.host, alen)) {
            return 1;
        }
    }
    if (sp.host_len != su.host_len || !same_nocase(sp.host, su.host, sp.host_len)) {
        return 0;
    }
    pport = port_of(p, sp.scheme, &sp);
    uport = port_of(u, su.scheme, &su);
    if (pport < 0 || uport < 0 || pport != uport
        || (!pport && (sp.port_len != su.port_len
                       || memcmp(sp.port ? sp.port : "", su.port ? su.port : "", sp.port_len)))) {
        return 0;
    }
    return sp.path_len <= su.path_len && !memcmp(sp.path, su.path, sp.path_len);
}

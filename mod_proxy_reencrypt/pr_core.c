/*
 * pr_core.c: keyword and value parsers, reason names and the verdict.
 * Pure: libc and OpenSSL's base64 only, no httpd, no APR, no statics
 * that change.
 */
#include "pr_core.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

static const char *const reason_names[PR_REASON__COUNT] = {
    "ok", "plaintext", "handshake", "protocol", "no-certificate",
    "depth", "untrusted", "revoked", "expired", "not-yet-valid",
    "name-mismatch", "pin-mismatch", "ocsp", "expiring",
};

const char *pr_reason_name(pr_reason r)
{
    if ((int)r < 0 || r >= PR_REASON__COUNT) {
        return "handshake";
    }
    return reason_names[r];
}

/* Case-insensitive comparison of a counted string with a keyword. */
static int word_is(const char *s, size_t len, const char *word)
{
    size_t wl = strlen(word);
    return len == wl && strncasecmp(s, word, len) == 0;
}

typedef struct { const char *word; int value; } kw;

static int lookup(const char *s, size_t len, const kw *table, int *out)
{
    for (; table->word; ++table) {
        if (word_is(s, len, table->word)) {
            *out = table->value;
            return 0;
        }
    }
    return -1;
}

int pr_parse_policy(const char *s, size_t len, pr_policy *out)
{
    static const kw t[] = { { "off", PR_POLICY_OFF }, { "audit", PR_POLICY_AUDIT },
                            { "enforce", PR_POLICY_ENFORCE }, { NULL, 0 } };
    int v;
    if (lookup(s, len, t, &v)) return -1;
    *out = (pr_policy)v;
    return 0;
}

int pr_parse_verify(const char *s, size_t len, pr_verify *out)
{
    static const kw t[] = { { "off", PR_VERIFY_OFF }, { "chain", PR_VERIFY_CHAIN },
                            { "pin", PR_VERIFY_PIN }, { NULL, 0 } };
    int v;
    if (lookup(s, len, t, &v)) return -1;
    *out = (pr_verify)v;
    return 0;
}

int pr_parse_onoff(const char *s, size_t len, int *out)
{
    static const kw t[] = { { "on", 1 }, { "off", 0 }, { NULL, 0 } };
    return lookup(s, len, t, out);
}

int pr_parse_ocsp(const char *s, size_t len, pr_ocsp_mode *out)
{
    static const kw t[] = { { "off", PR_OCSP_OFF }, { "staple", PR_OCSP_STAPLE },
                            { "require", PR_OCSP_REQUIRE }, { NULL, 0 } };
    int v;
    if (lookup(s, len, t, &v)) return -1;
    *out = (pr_ocsp_mode)v;
    return 0;
}

int pr_parse_crl_check(const char *s, size_t len, pr_crl *out)
{
    static const kw t[] = { { "none", PR_CRL_NONE }, { "leaf", PR_CRL_LEAF },
                            { "chain", PR_CRL_CHAIN }, { NULL, 0 } };
    int v;
    if (lookup(s, len, t, &v)) return -1;
    *out = (pr_crl)v;
    return 0;
}

int pr_parse_fwd_mode(const char *s, size_t len, pr_fwd_mode *out)
{
    static const kw t[] = { { "off", PR_FWD_MODE_OFF }, { "xff", PR_FWD_MODE_XFF },
                            { "rfc7239", PR_FWD_MODE_RFC7239 },
                            { "both", PR_FWD_MODE_BOTH }, { NULL, 0 } };
    int v;
    if (lookup(s, len, t, &v)) return -1;
    *out = (pr_fwd_mode)v;
    return 0;
}

int pr_parse_min_protocol(const char *s, size_t len, int *out)
{
    static const kw t[] = { { "TLSv1.2", 0x0303 }, { "TLSv1.3", 0x0304 }, { NULL, 0 } };
    return lookup(s, len, t, out);
}

int pr_parse_proxy_protocol(const char *s, size_t len, int *out)
{
    static const kw t[] = { { "off", 0 }, { "v1", 1 }, { "v2", 2 }, { NULL, 0 } };
    return lookup(s, len, t, out);
}

int pr_parse_uint(const char *s, size_t len, long min, long max, long *out)
{
    long v = 0;
    size_t i;

    if (len == 0 || len > 9) {
        return -1;
    }
    for (i = 0; i < len; ++i) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        v = v * 10 + (s[i] - '0');
    }
    if (v < min || v > max) {
        return -1;
    }
    *out = v;
    return 0;
}

/* 4 or 6 for an IP literal (filling addr when not NULL), else 0. */
static int ip_parse(const char *s, size_t len, unsigned char *addr)
{
    char buf[64];
    unsigned char scratch[16];

    if (len == 0 || len >= sizeof(buf) || memchr(s, '\0', len)) {
        return 0;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (!addr) {
        addr = scratch;
    }
    if (inet_pton(AF_INET, buf, addr) == 1) {
        return 4;
    }
    if (inet_pton(AF_INET6, buf, addr) == 1) {
        return 6;
    }
    return 0;
}

static int ip_literal(const char *s, size_t len)
{
    return ip_parse(s, len, NULL);
}

/* LDH label check: what no library offers for validating a configured
 * name ahead of time (X509_check_host matches, it does not validate). */
static int ldh_label(const char *s, size_t len)
{
    size_t i;

    if (len == 0 || len > 63 || s[0] == '-' || s[len - 1] == '-') {
        return 0;
    }
    for (i = 0; i < len; ++i) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_')) {
            return 0;
        }
    }
    return 1;
}

/* A last label a resolver would take for a number: all digits, or 0x
 * followed by hex digits (inet_aton's forms). */
static int numeric_label(const char *s, size_t len)
{
    size_t i = 0;
    int hex = len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');

    for (i = hex ? 2 : 0; i < len; ++i) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') ||
              (hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))))) {
            return 0;
        }
    }
    return len > 0;
}

int pr_classify_name(const char *s, size_t len, int allow_wildcard)
{
    size_t start = 0, i, last;
    int v = ip_literal(s, len);

    if (v) {
        return v;
    }
    if (len > 0 && s[len - 1] == '.') {
        --len;
    }
    if (len == 0 || len > 253) {
        return PR_NAME_INVALID;
    }
    for (last = len; last > 0 && s[last - 1] != '.'; --last) {
    }
    if (numeric_label(s + last, len - last)) {
        return PR_NAME_INVALID;
    }
    if (allow_wildcard && len > 2 && s[0] == '*' && s[1] == '.') {
        start = 2;
    }
    for (i = start; i <= len; ++i) {
        if (i == len || s[i] == '.') {
            if (!ldh_label(s + start, i - start)) {
                return PR_NAME_INVALID;
            }
            start = i + 1;
        }
    }
    return PR_NAME_DNS;
}

int pr_name_is_keyword(const char *s, size_t len)
{
    static const char *const words[] = { "on", "off", "yes", "no", "true", "false",
                                         "none", "default", "auto", "enable", "enabled",
                                         "disable", "disabled", "null", NULL };
    size_t i;

    for (i = 0; words[i]; ++i) {
        if (word_is(s, len, words[i])) {
            return 1;
        }
    }
    return 0;
}

/* Decimal prefix length: digits only, no leading zero, at most max. */
static int prefix_len(const char *s, size_t len, int max)
{
    long v;

    if (len > 1 && s[0] == '0') {
        return -1;
    }
    if (pr_parse_uint(s, len, 0, max, &v)) {
        return -1;
    }
    return (int)v;
}

/* The prefix length of a contiguous IPv4 netmask, or -1. */
static int netmask_len(const unsigned char m[4])
{
    unsigned long v = ((unsigned long)m[0] << 24) | ((unsigned long)m[1] << 16)
                    | ((unsigned long)m[2] << 8) | m[3];
    unsigned long inv = ~v & 0xffffffffUL;
    int n = 0;

    if (inv & (inv + 1)) {
        return -1;          /* the zero bits are not one run at the end */
    }
    while (v & 0x80000000UL) {
        ++n;
        v = (v << 1) & 0xffffffffUL;
    }
    return n;
}

int pr_parse_cidr(const char *s, size_t len, pr_cidr *out, const char **why)
{
    const char *slash = memchr(s, '/', len);
    size_t alen = slash ? (size_t)(slash - s) : len;
    int bits, i;

    memset(out, 0, sizeof(*out));
    out->family = ip_parse(s, alen, out->addr);
    if (!out->family) {
        *why = "is not an IP address or CIDR block (names are not allowed)";
        return -1;
    }
    bits = out->family == 4 ? 32 : 128;
    out->prefix = bits;
    if (slash) {
        const char *m = slash + 1;
        size_t mlen = len - alen - 1;
        unsigned char mask[16];

        if (memchr(m, '.', mlen) && out->family == 4) {
            if (ip_parse(m, mlen, mask) != 4) {
                *why = "has a netmask that is not a dotted IPv4 netmask";
                return -1;
            }
            if ((out->prefix = netmask_len(mask)) < 0) {
                *why = "has a non-contiguous netmask (its one bits must come first)";
                return -1;
            }
        }
        else if ((out->prefix = prefix_len(m, mlen, bits)) < 0) {
            *why = out->family == 4 ? "has a prefix length that is not a number from 0 to 32"
                                    : "has a prefix length that is not a number from 0 to 128";
            return -1;
        }
    }
    for (i = 0; i < bits / 8; ++i) {
        int keep = out->prefix - 8 * i;
        unsigned char hostmask = keep >= 8 ? 0 : keep <= 0 ? 0xff
                               : (unsigned char)(0xff >> keep);
        if (out->addr[i] & hostmask) {
            *why = "has host bits set beyond the prefix length (write the network "
                   "address, e.g. 10.0.0.0/8)";
            return -1;
        }
    }
    /* An IPv4-mapped block (within ::ffff:0:0/96) is the IPv4 block it
     * names, so that a peer matches the same whether it came in over an
     * IPv4 socket or as ::ffff:a.b.c.d over an IPv6 one (APR matches a
     * mapped peer against IPv4 blocks only, and refuses mapped blocks). */
    if (out->family == 6 && out->prefix >= 96
        && !memcmp(out->addr, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12)) {
        memmove(out->addr, out->addr + 12, 4);
        memset(out->addr + 4, 0, 12);
        out->family = 4;
        out->prefix -= 96;
    }
    if (out->prefix == 0) {
        *why = "covers every address: trusting every peer's forwarded headers "
               "defeats them (list your proxies' addresses)";
        return -1;
    }
    return 0;
}

int pr_parse_pin(const char *s, size_t len, unsigned char out[32],
                 const char **why)
{
    static const char prefix[] = "sha256//";
    const size_t plen = sizeof(prefix) - 1;
    unsigned char buf[48];
    char b64[45];
    size_t i;

    if (len < plen || strncasecmp(s, prefix, plen) != 0) {
        *why = "a pin must start with sha256// (only SHA-256 SPKI pins are supported)";
        return -1;
    }
    s += plen;
    len -= plen;
    /* 32 bytes are 44 base64 characters ending in exactly one '='. */
    if (len != 44 || s[43] != '=' || s[42] == '=') {
        *why = "the base64 after sha256// must encode exactly 32 bytes (44 characters)";
        return -1;
    }
    for (i = 0; i < 43; ++i) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '+' || c == '/')) {
            *why = "the pin is not valid base64";
            return -1;
        }
    }
    {
        /* 256 bits in 43 characters: the last one's two low bits are
         * unused and must be zero (RFC 4648 3.5: canonical encoding) */
        static const char alpha[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const char *p = memchr(alpha, s[42], 64);
        if (!p || ((p - alpha) & 3) != 0) {
            *why = "the pin is not canonical base64 (the character before '=' has "
                   "bits set that encode nothing)";
            return -1;
        }
    }
    memcpy(b64, s, 44);
    b64[44] = '\0';
    if (EVP_DecodeBlock(buf, (const unsigned char *)b64, 44) != 33) {
        *why = "the pin is not valid base64";
        return -1;
    }
    memcpy(out, buf, 32);
    return 0;
}

/* Once per proxied request: by length first, without strlen() or
 * strncasecmp() calls. */
int pr_scheme_is_tls(const char *s, size_t len)
{
    switch (len) {
    case 5:
        return (s[0] | 0x20) == 'h' && (s[1] | 0x20) == 't' && (s[2] | 0x20) == 't'
            && (s[3] | 0x20) == 'p' && (s[4] | 0x20) == 's';
    case 3:
        return (s[0] | 0x20) == 'w' && (s[1] | 0x20) == 's' && (s[2] | 0x20) == 's';
    case 2:
        return (s[0] | 0x20) == 'h' && s[1] == '2';
    default:
        return 0;
    }
}

/* The PROXY protocol has no library on Debian; this is its whole
 * encoder (haproxy's proxy-protocol.txt, sections 2.1 and 2.2). The
 * addresses are parsed and written back in their canonical form (v1
 * wants it: no leading zeros, one "::"), so that a header never exceeds
 * the 107 bytes a receiver reads, whatever text the caller had. */
int pr_proxy_header(int version, const char *src, unsigned sport,
                    const char *dst, unsigned dport,
                    unsigned char *out, size_t cap)
{
    static const unsigned char sig[12] = { 0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                           0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A };
    unsigned char as[16], ad[16];
    int fs = src ? ip_parse(src, strlen(src), as) : 0;
    int fd = dst ? ip_parse(dst, strlen(dst), ad) : 0;
    int known = fs && fs == fd && sport <= 65535 && dport <= 65535;
    size_t l = fs == 4 ? 4 : 16;

    if (version == 1) {
        char ts[INET6_ADDRSTRLEN], td[INET6_ADDRSTRLEN];
        int af = fs == 4 ? AF_INET : AF_INET6, n;

        if (known && (!inet_ntop(af, as, ts, sizeof(ts)) || !inet_ntop(af, ad, td, sizeof(td)))) {
            return -1;
        }
        n = known
            ? snprintf((char *)out, cap, "PROXY %s %s %s %u %u\r\n",
                       fs == 4 ? "TCP4" : "TCP6", ts, td, sport, dport)
            : snprintf((char *)out, cap, "PROXY UNKNOWN\r\n");
        return (n < 0 || (size_t)n >= cap) ? -1 : n;
    }
    else {
        size_t alen = !known ? 0 : 2 * l + 4;
        unsigned char *a = out + 16;

        if (cap < 16 + alen) {
            return -1;
        }
        memcpy(out, sig, 12);
        out[12] = known ? 0x21 : 0x20;            /* v2, PROXY or LOCAL */
        out[13] = !known ? 0x00 : (fs == 4 ? 0x11 : 0x21);  /* TCP over v4/v6 */
        out[14] = (unsigned char)(alen >> 8);
        out[15] = (unsigned char)(alen & 0xff);
        if (known) {
            memcpy(a, as, l);
            memcpy(a + l, ad, l);
            a[2 * l] = (unsigned char)(sport >> 8);
            a[2 * l + 1] = (unsigned char)(sport & 0xff);
            a[2 * l + 2] = (unsigned char)(dport >> 8);
            a[2 * l + 3] = (unsigned char)(dport & 0xff);
        }
        return (int)(16 + alen);
    }
}

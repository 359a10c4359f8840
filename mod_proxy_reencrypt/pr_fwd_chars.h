/*
 * pr_fwd_chars.h: character classes and small scanners shared by
 * pr_forwarded.c (IP literals, X-Forwarded-For, header names) and
 * pr_fwd7239.c (Forwarded). Private to the pure core: ASCII only,
 * locale-independent, no state.
 */
#ifndef PR_FWD_CHARS_H
#define PR_FWD_CHARS_H

#include <stddef.h>
#include <string.h>

#include "pr_forwarded.h"

static inline int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static inline int is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static inline int is_hex(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
static inline int is_ows(unsigned char c) { return c == ' ' || c == '\t'; }
static inline unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* RFC 7230 tchar */
static inline int is_tchar(unsigned char c)
{
    if (is_alpha(c) || is_digit(c))
        return 1;
    switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'':
    case '*': case '+': case '-': case '.': case '^': case '_':
    case '`': case '|': case '~':
        return 1;
    default:
        return 0;
    }
}

/* port = 1*5DIGIT, value <= 65535; returns the value or -1 */
static inline int port_value(const char *s, size_t len)
{
    size_t i;
    long v = 0;

    if (len == 0 || len > 5)
        return -1;
    for (i = 0; i < len; i++) {
        if (!is_digit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v <= 65535 ? (int)v : -1;
}

/* s[0..len) equals the lower-case NUL-terminated lit, case folded */
static inline int ci_equal(const char *s, size_t len, const char *lit)
{
    size_t i;

    for (i = 0; i < len; i++)
        if (lit[i] == '\0' || lower((unsigned char)s[i]) != (unsigned char)lit[i])
            return 0;
    return lit[len] == '\0';
}

/* Ask is_trusted about s[0..len) (len < PR_IP_BUFSIZE) through a
 * NUL-terminated copy. */
static inline int ask(pr_trust_fn is_trusted, void *baton, const char *s, size_t len)
{
    char buf[PR_IP_BUFSIZE];

    memcpy(buf, s, len);
    buf[len] = '\0';
    return is_trusted(buf, len, baton) != 0;
}

/* Set h's address to the literal a[0..len) of the given family (len <=
 * PR_IP_MAXLEN), an IPv4-mapped IPv6 address ("::ffff:192.0.2.1") folded
 * to its dotted quad, as the backend compares addresses. */
static inline void hop_addr(pr_hop *h, const char *a, size_t len, int family)
{
    if (family == 6 && len > 7 && ci_equal(a, 7, "::ffff:")
        && pr_ip_literal(a + 7, len - 7) == 4) {
        a += 7;
        len -= 7;
        family = 4;
    }
    memcpy(h->addr, a, len);
    h->addr[len] = '\0';
    h->addr_len = len;
    h->family = family;
}

#endif

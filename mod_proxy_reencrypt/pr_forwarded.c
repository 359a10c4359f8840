/*
 * pr_forwarded.c: IP literals, X-Forwarded-For, its trust walk, header names.
 * Pure C (libc only); see pr_forwarded.h for the contract and policies.
 */
#include "pr_forwarded.h"
#include "pr_fwd_chars.h"

#include <string.h>

/* ------------------------------------------------------------------ */
/* IP literals                                                         */

static int ipv4_ok(const char *s, size_t len)
{
    size_t i = 0;
    int octet;

    if (len < 7 || len > 15)
        return 0;
    for (octet = 0; octet < 4; octet++) {
        size_t st = i;
        unsigned v = 0;

        if (octet > 0) {
            if (i >= len || s[i] != '.')
                return 0;
            st = ++i;
        }
        while (i < len && is_digit((unsigned char)s[i]) && i - st < 3) {
            v = v * 10 + (unsigned)(s[i] - '0');
            i++;
        }
        if (i == st || v > 255)
            return 0;
        if (i - st > 1 && s[st] == '0')
            return 0;                       /* leading zero */
    }
    return i == len;
}

static int ipv6_ok(const char *s, size_t len)
{
    size_t i = 0;
    int groups = 0, dc = 0;

    if (len < 2 || len > PR_IP_MAXLEN)
        return 0;
    if (s[0] == ':') {
        if (s[1] != ':')
            return 0;
        dc = 1;
        i = 2;
        if (i == len)
            return 1;                       /* "::" */
    }
    for (;;) {
        size_t st = i, j;
        int dot = 0;

        while (i < len && s[i] != ':') {
            if (s[i] == '.')
                dot = 1;
            i++;
        }
        if (i == st)
            return 0;                       /* empty group, ":::" */
        if (dot) {
            /* a dotted quad may only end the address */
            if (i != len || !ipv4_ok(s + st, i - st))
                return 0;
            groups += 2;
            break;
        }
        if (i - st > 4)
            return 0;
        for (j = st; j < i; j++)
            if (!is_hex((unsigned char)s[j]))
                return 0;
        groups++;
        if (i == len)
            break;
        i++;                                /* the ':' */
        if (i < len && s[i] == ':') {
            if (dc)
                return 0;                   /* a second "::" */
            dc = 1;
            i++;
            if (i == len)
                break;
        }
        else if (i == len) {
            return 0;                       /* trailing single ':' */
        }
    }
    return dc ? groups <= 7 : groups == 8;
}

int pr_ip_literal(const char *s, size_t len)
{
    if (s == NULL || len == 0 || len > PR_IP_MAXLEN)
        return 0;
    if (ipv4_ok(s, len))
        return 4;
    if (ipv6_ok(s, len))
        return 6;
    return 0;
}

/* port = 1*5DIGIT, value <= 65535; returns the value or -1 */
/* ------------------------------------------------------------------ */
/* X-Forwarded-For                                                     */

/* One XFF element e[0..len) (already trimmed, non-empty). */
static int xff_element(const char *e, size_t len, pr_span *sp)
{
    int fam;
    size_t j;

    if (e[0] == '[') {
        for (j = 1; j < len && e[j] != ']'; j++)
            ;
        if (j == len || !ipv6_ok(e + 1, j - 1))
            return 0;
        sp->off = 1;
        sp->len = j - 1;
        sp->family = 6;
        sp->port = -1;
        if (j + 1 == len)
            return 1;
        if (e[j + 1] != ':')
            return 0;
        sp->port = port_value(e + j + 2, len - j - 2);
        return sp->port >= 0;
    }
    fam = pr_ip_literal(e, len);
    if (fam) {
        sp->off = 0;
        sp->len = len;
        sp->family = fam;
        sp->port = -1;
        return 1;
    }
    /* IPv4 ":" port */
    for (j = 0; j < len && e[j] != ':'; j++)
        ;
    if (j == len || !ipv4_ok(e, j))
        return 0;
    sp->off = 0;
    sp->len = j;
    sp->family = 4;
    sp->port = port_value(e + j + 1, len - j - 1);
    return sp->port >= 0;
}

int pr_xff_parse(const char *s, size_t len, pr_span *out, size_t cap)
{
    size_t i = 0, n = 0;

    if (s == NULL && len > 0)
        return PR_FWD_MALFORMED;
    if (len > PR_FWD_MAX_INPUT)
        return PR_FWD_TOOBIG;
    if (cap > PR_FWD_MAX_ENTRIES)
        cap = PR_FWD_MAX_ENTRIES;
    if (out == NULL)
        cap = 0;

    for (;;) {
        size_t st, e;
        pr_span sp;

        while (i < len && is_ows((unsigned char)s[i]))
            i++;
        st = i;
        while (i < len && s[i] != ',')
            i++;
        e = i;
        while (e > st && is_ows((unsigned char)s[e - 1]))
            e--;
        if (e == st)
            return PR_FWD_MALFORMED;        /* empty element / value */
        if (!xff_element(s + st, e - st, &sp))
            return PR_FWD_MALFORMED;
        sp.off += st;
        if (n < cap)
            out[n] = sp;
        n++;
        if (i == len)
            break;
        i++;                                /* the ',' */
    }
    return n > cap ? PR_FWD_TOOBIG : (int)n;
}

/* ------------------------------------------------------------------ */
/* The trust walk                                                      */

int pr_xff_walk(const char *s, size_t len, pr_trust_fn is_trusted,
                void *baton, pr_hop *out, size_t cap, int *stop)
{
    size_t end = len, n = 0;
    int why;

    if (is_trusted == NULL || (s == NULL && len > 0) || (out == NULL && cap > 0))
        return PR_FWD_MALFORMED;
    if (cap > PR_FWD_MAX_ENTRIES)
        cap = PR_FWD_MAX_ENTRIES;
    for (;;) {
        size_t b = end, st, e;
        pr_span sp;

        if (n == cap) {
            why = PR_WALK_CAPPED;
            break;
        }
        while (b > 0 && s[b - 1] != ',')
            b--;
        st = b;
        e = end;
        while (st < e && is_ows((unsigned char)s[st]))
            st++;
        while (e > st && is_ows((unsigned char)s[e - 1]))
            e--;
        if (e == st || !xff_element(s + st, e - st, &sp)) {
            why = PR_WALK_MALFORMED;
            break;
        }
        out[n].off = st;
        out[n].len = e - st;
        out[n].port = sp.port;
        hop_addr(&out[n], s + st + sp.off, sp.len, sp.family);
        n++;
        if (!ask(is_trusted, baton, out[n - 1].addr, out[n - 1].addr_len)) {
            why = PR_WALK_CLIENT;
            break;
        }
        if (b == 0) {
            why = PR_WALK_START;
            break;
        }
        end = b - 1;                        /* before the ',' */
    }
    if (stop)
        *stop = why;
    return (int)n;
}

/* ------------------------------------------------------------------ */
/* Header names                                                        */

static const char *const hdr_names[PR_HDR__COUNT] = {
    NULL,
    "X-Forwarded-For",
    "X-Forwarded-Proto",
    "X-Forwarded-Host",
    "X-Forwarded-Port",
    "X-Forwarded-Server",
    "X-Real-IP",
    "Forwarded",
};

int pr_fwd_header_id(const char *name, size_t len, int *is_canonical_dash_form)
{
    int id;
    size_t i;

    if (is_canonical_dash_form) {
        *is_canonical_dash_form = 1;
        for (i = 0; name != NULL && i < len; i++)
            if (name[i] == '_')
                *is_canonical_dash_form = 0;
    }
    if (name == NULL)
        return PR_HDR_OTHER;
    for (id = 1; id < PR_HDR__COUNT; id++) {
        const char *c = hdr_names[id];

        if (strlen(c) != len)
            continue;
        for (i = 0; i < len; i++) {
            unsigned char a = lower((unsigned char)name[i]);

            if (a == '_')
                a = '-';
            if (a != lower((unsigned char)c[i]))
                break;
        }
        if (i == len)
            return id;
    }
    return PR_HDR_OTHER;
}

const char *pr_fwd_header_name(int id)
{
    if (id <= PR_HDR_OTHER || id >= PR_HDR__COUNT)
        return NULL;
    return hdr_names[id];
}

/* Fold one byte of a header name as backends do: case, '_' as '-'. */
static unsigned char fold(unsigned char c)
{
    c = lower(c);
    return c == '_' ? '-' : c;
}

/* name[0..len) folded equals the folded lower-case literal lit */
static int fold_equal(const char *name, size_t len, const char *lit)
{
    size_t i;

    for (i = 0; i < len; i++)
        if (lit[i] == '\0' || fold((unsigned char)name[i]) != (unsigned char)lit[i])
            return 0;
    return lit[len] == '\0';
}

#define LIT(s) { s, sizeof(s) - 1 }
static const struct { const char *name; size_t len; } family[] = {
    LIT("x-forwarded"), LIT("forwarded"), LIT("x-real-ip"), LIT("x-client-ip"),
    LIT("client-ip"), LIT("true-client-ip"), LIT("x-cluster-client-ip"),
    LIT("cf-connecting-ip"), LIT("fastly-client-ip"), LIT("x-original-forwarded-for"),
    LIT("front-end-https"), LIT("x-url-scheme"),
};
#undef LIT

int pr_fwd_in_family(const char *name, size_t len)
{
    size_t i;

    if (name == NULL || len == 0 || !pr_fwd_family_initial((unsigned char)name[0]))
        return 0;
    /* X-Forwarded-<anything> */
    if (len > 12 && fold_equal(name, 12, "x-forwarded-"))
        return 1;
    for (i = 0; i < sizeof(family) / sizeof(family[0]); i++)
        if (family[i].len == len && fold_equal(name, len, family[i].name))
            return 1;
    return 0;
}

int pr_hdr_name_eq(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t i;

    if (a == NULL || b == NULL || alen != blen)
        return 0;
    for (i = 0; i < alen; i++)
        if (fold((unsigned char)a[i]) != fold((unsigned char)b[i]))
            return 0;
    return 1;
}

int pr_hdr_name_valid(const char *name, size_t len)
{
    size_t i;

    if (name == NULL || len == 0)
        return 0;
    for (i = 0; i < len; i++)
        if (!is_tchar((unsigned char)name[i]))
            return 0;
    return 1;
}

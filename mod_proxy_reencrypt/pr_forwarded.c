/*
 * pr_forwarded.c: X-Forwarded-For / Forwarded parsing and building.
 * Pure C (libc only); see pr_forwarded.h for the contract and policies.
 */
#include "pr_forwarded.h"

#include <string.h>

/* ------------------------------------------------------------------ */
/* Character classes (ASCII only, locale-independent)                  */

static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static int is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static int is_hex(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
static int is_ows(unsigned char c) { return c == ' ' || c == '\t'; }
static unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* RFC 7230 tchar */
static int is_tchar(unsigned char c)
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

/* RFC 7230 qdtext: HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text */
static int is_qdtext(unsigned char c)
{
    return c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5B)
        || (c >= 0x5D && c <= 0x7E) || c >= 0x80;
}

/* second byte of a quoted-pair: HTAB / SP / VCHAR / obs-text */
static int is_qpchar(unsigned char c)
{
    return c == '\t' || c == ' ' || (c >= 0x21 && c <= 0x7E) || c >= 0x80;
}

/* RFC 7239 obfnode/obfport characters after the '_' */
static int is_obfchar(unsigned char c)
{
    return is_alpha(c) || is_digit(c) || c == '.' || c == '_' || c == '-';
}

/* RFC 3986 unreserved / sub-delims */
static int is_regname_char(unsigned char c)
{
    if (is_alpha(c) || is_digit(c))
        return 1;
    switch (c) {
    case '-': case '.': case '_': case '~':                 /* unreserved */
    case '!': case '$': case '&': case '\'': case '(': case ')':
    case '*': case '+': case ',': case ';': case '=':       /* sub-delims */
        return 1;
    default:
        return 0;
    }
}

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
static int port_value(const char *s, size_t len)
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
/* Trusted chain                                                       */

/* Ask is_trusted about s[0..len) through a NUL-terminated copy. */
static int ask(pr_trust_fn is_trusted, void *baton, const char *s, size_t len)
{
    char buf[PR_IP_BUFSIZE];

    memcpy(buf, s, len);
    buf[len] = '\0';
    return is_trusted(buf, len, baton) != 0;
}

int pr_xff_client(const char *s, size_t len, const pr_span *list, size_t n,
                  const char *peer, size_t peer_len,
                  pr_trust_fn is_trusted, void *baton)
{
    size_t i;

    if (is_trusted == NULL || (list == NULL && n > 0)
        || n > PR_FWD_MAX_INPUT || (s == NULL && n > 0))
        return PR_FWD_MALFORMED;
    if (peer != NULL && peer_len >= PR_IP_BUFSIZE)
        return PR_FWD_MALFORMED;
    for (i = 0; i < n; i++)
        if (list[i].off > len || list[i].len > len - list[i].off
            || list[i].len > PR_IP_MAXLEN)
            return PR_FWD_MALFORMED;

    if (peer != NULL && !ask(is_trusted, baton, peer, peer_len))
        return (int)n;
    for (i = n; i-- > 0;)
        if (!ask(is_trusted, baton, s + list[i].off, list[i].len))
            return (int)i;
    return 0;
}

int pr_fwd_client(const pr_fwd_elem *el, size_t n,
                  const char *peer, size_t peer_len,
                  pr_trust_fn is_trusted, void *baton)
{
    size_t i;

    if (is_trusted == NULL || (el == NULL && n > 0) || n > PR_FWD_MAX_INPUT)
        return PR_FWD_MALFORMED;
    if (peer != NULL && peer_len >= PR_IP_BUFSIZE)
        return PR_FWD_MALFORMED;
    for (i = 0; i < n; i++) {
        const pr_node *nd = &el[i].for_node;

        if (el[i].for_.val == NULL)
            continue;
        if (nd->addr_off > el[i].for_.len
            || nd->addr_len > el[i].for_.len - nd->addr_off)
            return PR_FWD_MALFORMED;
        if ((nd->kind == PR_NODE_IPV4 || nd->kind == PR_NODE_IPV6)
            && nd->addr_len > PR_IP_MAXLEN)
            return PR_FWD_MALFORMED;
    }

    if (peer != NULL && !ask(is_trusted, baton, peer, peer_len))
        return (int)n;
    for (i = n; i-- > 0;) {
        const pr_node *nd = &el[i].for_node;

        if (el[i].for_.val == NULL
            || (nd->kind != PR_NODE_IPV4 && nd->kind != PR_NODE_IPV6))
            return (int)i;
        if (!ask(is_trusted, baton, el[i].for_.val + nd->addr_off,
                 nd->addr_len))
            return (int)i;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Forwarded: value validators                                         */

static int obf_ok(const char *s, size_t len)
{
    size_t i;

    if (len < 2 || s[0] != '_')
        return 0;
    for (i = 1; i < len; i++)
        if (!is_obfchar((unsigned char)s[i]))
            return 0;
    return 1;
}

static int ci_equal(const char *s, size_t len, const char *lit)
{
    size_t i;

    for (i = 0; i < len; i++)
        if (lit[i] == '\0' || lower((unsigned char)s[i]) != (unsigned char)lit[i])
            return 0;
    return lit[len] == '\0';
}

int pr_node_parse(const char *s, size_t len, pr_node *out)
{
    pr_node nd;
    size_t j;

    if (s == NULL || len == 0)
        return PR_FWD_MALFORMED;
    memset(&nd, 0, sizeof nd);
    nd.port = PR_PORT_NONE;
    if (s[0] == '[') {
        for (j = 1; j < len && s[j] != ']'; j++)
            ;
        if (j == len || !ipv6_ok(s + 1, j - 1))
            return PR_FWD_MALFORMED;
        nd.kind = PR_NODE_IPV6;
        nd.addr_off = 1;
        nd.addr_len = j - 1;
        j++;
    }
    else {
        for (j = 0; j < len && s[j] != ':'; j++)
            ;
        if (ipv4_ok(s, j))
            nd.kind = PR_NODE_IPV4;
        else if (ci_equal(s, j, "unknown"))
            nd.kind = PR_NODE_UNKNOWN;
        else if (obf_ok(s, j))
            nd.kind = PR_NODE_OBFUSCATED;
        else
            return PR_FWD_MALFORMED;
        nd.addr_off = 0;
        nd.addr_len = j;
    }
    if (j < len) {
        if (s[j] != ':')
            return PR_FWD_MALFORMED;
        j++;
        nd.port_off = j;
        nd.port_len = len - j;
        if (obf_ok(s + j, len - j))
            nd.port = PR_PORT_OBFUSCATED;
        else if ((nd.port = port_value(s + j, len - j)) < 0)
            return PR_FWD_MALFORMED;
    }
    if (out)
        *out = nd;
    return PR_FWD_OK;
}

int pr_host_valid(const char *s, size_t len)
{
    size_t j;

    if (s == NULL || len == 0)
        return 0;
    if (s[0] == '[') {
        for (j = 1; j < len && s[j] != ']'; j++)
            ;
        if (j == len || !ipv6_ok(s + 1, j - 1))
            return 0;
        j++;
    }
    else {
        for (j = 0; j < len && s[j] != ':'; j++) {
            unsigned char c = (unsigned char)s[j];

            if (c == '%') {
                if (len - j < 3 || !is_hex((unsigned char)s[j + 1])
                    || !is_hex((unsigned char)s[j + 2]))
                    return 0;
                j += 2;
            }
            else if (!is_regname_char(c)) {
                return 0;
            }
        }
        if (j == 0)
            return 0;
    }
    if (j == len)
        return 1;
    if (s[j] != ':')
        return 0;
    return port_value(s + j + 1, len - j - 1) >= 0;
}

int pr_proto_valid(const char *s, size_t len)
{
    size_t i;

    if (s == NULL || len == 0 || !is_alpha((unsigned char)s[0]))
        return 0;
    for (i = 1; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.')
            return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------ */
/* Forwarded: parser                                                   */

enum { P_FOR, P_BY, P_PROTO, P_HOST, P_OTHER };

static int param_id(const char *s, size_t len)
{
    if (ci_equal(s, len, "for"))
        return P_FOR;
    if (ci_equal(s, len, "by"))
        return P_BY;
    if (ci_equal(s, len, "proto"))
        return P_PROTO;
    if (ci_equal(s, len, "host"))
        return P_HOST;
    return P_OTHER;
}

/* Scan a value starting at s[*i]: a token or a quoted-string. On success
 * advances *i past it, sets the raw content (without the quotes) in
 * *vs, *vl and *quoted; returns 0, or -1 when malformed. */
static int scan_value(const char *s, size_t len, size_t *i,
                      size_t *vs, size_t *vl, int *quoted)
{
    size_t k = *i;

    if (k < len && s[k] == '"') {
        size_t st = ++k;

        for (;;) {
            unsigned char c;

            if (k >= len)
                return -1;                  /* unterminated */
            c = (unsigned char)s[k];
            if (c == '"')
                break;
            if (c == '\\') {
                if (k + 1 >= len || !is_qpchar((unsigned char)s[k + 1]))
                    return -1;
                k += 2;
            }
            else if (is_qdtext(c)) {
                k++;
            }
            else {
                return -1;
            }
        }
        *vs = st;
        *vl = k - st;
        *quoted = 1;
        *i = k + 1;
        return 0;
    }
    while (k < len && is_tchar((unsigned char)s[k]))
        k++;
    if (k == *i)
        return -1;                          /* empty value */
    *vs = *i;
    *vl = k - *i;
    *quoted = 0;
    *i = k;
    return 0;
}

/* Unescape raw[0..rl) (already validated) into buf[0..PR_FWD_MAX_VALUE).
 * Returns the length, or -1 when too long. */
static long unescape(const char *raw, size_t rl, int quoted, char *buf)
{
    size_t k, n = 0;

    for (k = 0; k < rl; k++) {
        char c = raw[k];

        if (quoted && c == '\\')
            c = raw[++k];
        if (n >= PR_FWD_MAX_VALUE)
            return -1;
        buf[n++] = c;
    }
    return (long)n;
}

int pr_fwd_parse(const char *s, size_t len, pr_fwd_elem *out, size_t cap,
                 char *scratch, size_t scratchlen)
{
    size_t i = 0, n = 0, used = 0;
    int toobig = 0;
    char vbuf[PR_FWD_MAX_VALUE];

    if (s == NULL && len > 0)
        return PR_FWD_MALFORMED;
    if (len > PR_FWD_MAX_INPUT)
        return PR_FWD_TOOBIG;
    if (cap > PR_FWD_MAX_ENTRIES)
        cap = PR_FWD_MAX_ENTRIES;
    if (out == NULL)
        cap = 0;
    if (scratch == NULL)
        scratchlen = 0;

    for (;;) {                              /* one element per round */
        pr_fwd_elem el;
        unsigned seen = 0;

        memset(&el, 0, sizeof el);
        for (;;) {                          /* one pair (or empty pair) */
            size_t ns, vs, vl;
            int quoted, pid;
            long ul;

            while (i < len && is_ows((unsigned char)s[i]))
                i++;
            if (i == len || s[i] == ',')
                break;
            if (s[i] == ';') {              /* empty pair */
                i++;
                continue;
            }
            ns = i;
            while (i < len && is_tchar((unsigned char)s[i]))
                i++;
            if (i == ns || i == len || s[i] != '=')
                return PR_FWD_MALFORMED;
            pid = param_id(s + ns, i - ns);
            i++;                            /* the '=' */
            if (scan_value(s, len, &i, &vs, &vl, &quoted) < 0)
                return PR_FWD_MALFORMED;
            el.n_pairs++;

            if (pid != P_OTHER) {
                pr_str *dst;
                pr_node *nd = NULL;
                int valid;

                if (seen & (1u << pid))
                    return PR_FWD_MALFORMED;    /* duplicate parameter */
                seen |= 1u << pid;
                ul = unescape(s + vs, vl, quoted, vbuf);
                if (ul < 0)
                    return PR_FWD_MALFORMED;
                switch (pid) {
                case P_FOR:
                    dst = &el.for_;
                    nd = &el.for_node;
                    valid = pr_node_parse(vbuf, (size_t)ul, nd) == PR_FWD_OK;
                    break;
                case P_BY:
                    dst = &el.by;
                    nd = &el.by_node;
                    valid = pr_node_parse(vbuf, (size_t)ul, nd) == PR_FWD_OK;
                    break;
                case P_PROTO:
                    dst = &el.proto;
                    valid = pr_proto_valid(vbuf, (size_t)ul);
                    break;
                default:
                    dst = &el.host;
                    valid = pr_host_valid(vbuf, (size_t)ul);
                    break;
                }
                if (!valid)
                    return PR_FWD_MALFORMED;
                if (n < cap && !toobig && scratchlen - used > (size_t)ul) {
                    memcpy(scratch + used, vbuf, (size_t)ul);
                    scratch[used + (size_t)ul] = '\0';
                    dst->val = scratch + used;
                    dst->len = (size_t)ul;
                    used += (size_t)ul + 1;
                }
                else {
                    toobig = 1;
                }
            }

            while (i < len && is_ows((unsigned char)s[i]))
                i++;
            if (i == len || s[i] == ',')
                break;
            if (s[i] != ';')
                return PR_FWD_MALFORMED;
            i++;
        }
        if (el.n_pairs == 0)
            return PR_FWD_MALFORMED;        /* empty element */
        if (n < cap)
            out[n] = el;
        n++;
        if (i == len)
            break;
        i++;                                /* the ',' */
    }
    if (n > cap || toobig)
        return PR_FWD_TOOBIG;
    return (int)n;
}

/* ------------------------------------------------------------------ */
/* Forwarded: builder                                                  */

typedef struct {
    char *out;
    size_t cap;
    size_t pos;     /* bytes wanted so far (may exceed cap) */
} sink;

static void put(sink *k, const char *p, size_t n)
{
    if (k->pos < k->cap && n <= k->cap - k->pos)
        memcpy(k->out + k->pos, p, n);
    k->pos += n;
}

static void putc1(sink *k, char c)
{
    put(k, &c, 1);
}

/* value = token / quoted-string; brackets forces the quoted "[...]" form */
static void put_value(sink *k, const char *v, size_t len, int brackets)
{
    size_t i;
    int tok = !brackets && len > 0;

    for (i = 0; tok && i < len; i++)
        if (!is_tchar((unsigned char)v[i]))
            tok = 0;
    if (tok) {
        put(k, v, len);
        return;
    }
    putc1(k, '"');
    if (brackets)
        putc1(k, '[');
    for (i = 0; i < len; i++) {
        if (v[i] == '"' || v[i] == '\\')
            putc1(k, '\\');
        putc1(k, v[i]);
    }
    if (brackets)
        putc1(k, ']');
    putc1(k, '"');
}

/* for= / by= : an IP literal or a node */
static int put_node(sink *k, const char *name, pr_str v)
{
    int fam;

    if (v.len == 0 || v.len > PR_FWD_MAX_VALUE)
        return -1;
    put(k, name, strlen(name));
    fam = pr_ip_literal(v.val, v.len);
    if (fam == 6) {
        put_value(k, v.val, v.len, 1);
        return 0;
    }
    if (fam == 0 && pr_node_parse(v.val, v.len, NULL) != PR_FWD_OK)
        return -1;
    put_value(k, v.val, v.len, 0);
    return 0;
}

int pr_fwd_build(char *out, size_t cap, pr_str for_, pr_str by,
                 pr_str proto, pr_str host)
{
    sink k;
    int rc = PR_FWD_OK;

    if (out == NULL)
        cap = 0;
    k.out = out;
    k.cap = cap;
    k.pos = 0;

    if (for_.val == NULL)
        put(&k, "for=unknown", 11);
    else if (put_node(&k, "for=", for_) < 0)
        rc = PR_FWD_MALFORMED;
    if (rc == PR_FWD_OK && by.val != NULL && put_node(&k, ";by=", by) < 0)
        rc = PR_FWD_MALFORMED;
    if (rc == PR_FWD_OK && proto.val != NULL) {
        if (proto.len > PR_FWD_MAX_VALUE || !pr_proto_valid(proto.val, proto.len))
            rc = PR_FWD_MALFORMED;
        else {
            put(&k, ";proto=", 7);
            put_value(&k, proto.val, proto.len, 0);
        }
    }
    if (rc == PR_FWD_OK && host.val != NULL) {
        if (host.len > PR_FWD_MAX_VALUE || !pr_host_valid(host.val, host.len))
            rc = PR_FWD_MALFORMED;
        else {
            put(&k, ";host=", 6);
            put_value(&k, host.val, host.len, 0);
        }
    }
    if (rc == PR_FWD_OK && (k.pos >= cap || k.pos > PR_FWD_MAX_INPUT))
        rc = PR_FWD_TOOBIG;
    if (rc != PR_FWD_OK) {
        if (cap > 0)
            out[0] = '\0';
        return rc;
    }
    out[k.pos] = '\0';
    return (int)k.pos;
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

/*
 * pr_fwd7239.c: the Forwarded header (RFC 7239): node, host and proto
 * validators, the parser, the right-to-left trust walk and the builder.
 * Pure C (libc only); see pr_forwarded.h for the contract and policies.
 */
#include "pr_forwarded.h"
#include "pr_fwd_chars.h"

#include <string.h>

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
        if (j == len || pr_ip_literal(s + 1, j - 1) != 6)
            return PR_FWD_MALFORMED;
        nd.kind = PR_NODE_IPV6;
        nd.addr_off = 1;
        nd.addr_len = j - 1;
        j++;
    }
    else {
        for (j = 0; j < len && s[j] != ':'; j++)
            ;
        if (pr_ip_literal(s, j) == 4)
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
        if (j == len || pr_ip_literal(s + 1, j - 1) != 6)
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

/* Parse one element from s[*i] up to the next top-level ',' or len, into
 * *el (zeroed here). Values go to scratch[*used..scratchlen) when store,
 * else (or when they do not fit) *toobig is set. On success *i is at the
 * ',' or at len. Returns 0 or PR_FWD_MALFORMED (an empty element too). */
static int parse_element(const char *s, size_t len, size_t *ip,
                         pr_fwd_elem *el, char *scratch, size_t scratchlen,
                         size_t *used, int store, int *toobig)
{
    char vbuf[PR_FWD_MAX_VALUE];
    unsigned seen = 0;
    size_t i = *ip;

    memset(el, 0, sizeof *el);
    for (;;) {                              /* one pair (or empty pair) */
        size_t ns, vs, vl;
        int quoted, pid;
        long ul;

        while (i < len && is_ows((unsigned char)s[i]))
            i++;
        if (i == len || s[i] == ',')
            break;
        if (s[i] == ';') {                  /* empty pair */
            i++;
            continue;
        }
        ns = i;
        while (i < len && is_tchar((unsigned char)s[i]))
            i++;
        if (i == ns || i == len || s[i] != '=')
            return PR_FWD_MALFORMED;
        pid = param_id(s + ns, i - ns);
        i++;                                /* the '=' */
        if (scan_value(s, len, &i, &vs, &vl, &quoted) < 0)
            return PR_FWD_MALFORMED;
        el->n_pairs++;

        if (pid != P_OTHER) {
            pr_str *dst;
            int valid;

            if (seen & (1u << pid))
                return PR_FWD_MALFORMED;    /* duplicate parameter */
            seen |= 1u << pid;
            ul = unescape(s + vs, vl, quoted, vbuf);
            if (ul < 0)
                return PR_FWD_MALFORMED;
            switch (pid) {
            case P_FOR:
                dst = &el->for_;
                valid = pr_node_parse(vbuf, (size_t)ul, &el->for_node) == PR_FWD_OK;
                break;
            case P_BY:
                dst = &el->by;
                valid = pr_node_parse(vbuf, (size_t)ul, &el->by_node) == PR_FWD_OK;
                break;
            case P_PROTO:
                dst = &el->proto;
                valid = pr_proto_valid(vbuf, (size_t)ul);
                break;
            default:
                dst = &el->host;
                valid = pr_host_valid(vbuf, (size_t)ul);
                break;
            }
            if (!valid)
                return PR_FWD_MALFORMED;
            if (store && !*toobig && scratchlen - *used > (size_t)ul) {
                memcpy(scratch + *used, vbuf, (size_t)ul);
                scratch[*used + (size_t)ul] = '\0';
                dst->val = scratch + *used;
                dst->len = (size_t)ul;
                *used += (size_t)ul + 1;
            }
            else {
                *toobig = 1;
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
    *ip = i;
    return el->n_pairs == 0 ? PR_FWD_MALFORMED : 0;
}

int pr_fwd_parse(const char *s, size_t len, pr_fwd_elem *out, size_t cap,
                 char *scratch, size_t scratchlen)
{
    size_t i = 0, n = 0, used = 0;
    int toobig = 0;

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

        if (parse_element(s, len, &i, &el, scratch, scratchlen, &used,
                          n < cap, &toobig) < 0)
            return PR_FWD_MALFORMED;
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

/* Is s[0..len) exactly one well-formed element? Fills *el (values in
 * scratch, which must hold len + 4 bytes). */
static int one_element(const char *s, size_t len, pr_fwd_elem *el,
                       char *scratch, size_t scratchlen)
{
    size_t i = 0, used = 0;
    int toobig = 0;

    return parse_element(s, len, &i, el, scratch, scratchlen, &used, 1, &toobig) == 0
        && i == len && !toobig;
}

int pr_fwd_walk(const char *s, size_t len, pr_trust_fn is_trusted,
                void *baton, pr_hop *out, size_t cap, int *stop)
{
    char scratch[PR_FWD_MAX_ELEMENT + 8];
    size_t end = len, n = 0;
    int why;

    if (is_trusted == NULL || (s == NULL && len > 0) || (out == NULL && cap > 0))
        return PR_FWD_MALFORMED;
    if (cap > PR_FWD_MAX_ENTRIES)
        cap = PR_FWD_MAX_ENTRIES;
    for (;;) {
        size_t b = end, st, e;
        int found = 0;
        pr_fwd_elem el;
        const pr_node *nd = &el.for_node;

        if (n == cap) {
            why = PR_WALK_CAPPED;
            break;
        }
        /* the element is the text after the nearest ',': a ',' inside a
         * quoted value is not followed, so nothing left of that ',' can
         * ever complete or change this element */
        while (b > 0 && s[b - 1] != ',')
            b--;
        found = end - b <= PR_FWD_MAX_ELEMENT
            && one_element(s + b, end - b, &el, scratch, sizeof scratch);
        if (!found || el.for_.val == NULL
            || (nd->kind != PR_NODE_IPV4 && nd->kind != PR_NODE_IPV6)) {
            why = PR_WALK_MALFORMED;
            break;
        }
        st = b;
        e = end;
        while (st < e && is_ows((unsigned char)s[st]))
            st++;
        while (e > st && is_ows((unsigned char)s[e - 1]))
            e--;
        out[n].off = st;
        out[n].len = e - st;
        out[n].port = nd->port;
        hop_addr(&out[n], el.for_.val + nd->addr_off, nd->addr_len, nd->kind);
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


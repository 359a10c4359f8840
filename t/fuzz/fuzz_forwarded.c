/*
 * libFuzzer target for pr_forwarded.c.
 *
 * Fuzz:   clang -g -O1 -fsanitize=fuzzer,address,undefined \
 *             -Imod_proxy_reencrypt t/fuzz/fuzz_forwarded.c \
 *             mod_proxy_reencrypt/pr_forwarded.c \
 *             mod_proxy_reencrypt/pr_fwd7239.c -o /tmp/fuzz_forwarded
 *         /tmp/fuzz_forwarded -dict=t/fuzz/forwarded.dict \
 *             /tmp/corpus t/fuzz/corpus/forwarded
 * Replay: gcc ... t/fuzz/replay.c t/fuzz/fuzz_forwarded.c ... (no libFuzzer)
 *
 * The input is fed to every parser, and the results are checked against
 * invariants; any violation aborts:
 *  - pr_ip_literal agrees with glibc inet_pton (AF_INET, AF_INET6);
 *  - parser results are in range, spans and values are in bounds, the
 *    status does not depend on the capacities given (MALFORMED stays
 *    MALFORMED with no room at all; a count n fits in exactly n);
 *  - XFF entries re-serialized (with OWS) parse back to the same
 *    addresses; the walks (pr_xff_walk, pr_fwd_walk) agree with the
 *    parsers on well-formed lists;
 *  - the walks: every hop but the client trusted, spans in bounds and
 *    ordered, and no input left of the trusted suffix changes the client
 *    found (the left part replaced by quotes, brackets, trusted-looking
 *    addresses or the input's own bytes gives the same hops and stop);
 *  - pr_fwd_in_family / pr_hdr_name_eq agree with a folding oracle;
 *  - every parsed Forwarded element can be rebuilt with pr_fwd_build and
 *    the result parses back to the same for/by/proto/host, alone and
 *    joined (with OWS) into one header of the same length;
 *  - the input split on '\n' into for/by/proto/host is accepted by
 *    pr_fwd_build exactly when each part is valid, and round-trips;
 *  - pr_fwd_header_id agrees with a naive folding oracle.
 */
#define _POSIX_C_SOURCE 200809L
#include "pr_forwarded.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

/* Big enough for any well-formed input: each value takes at most its
 * raw length plus one NUL, and values are never longer than the input. */
#define SCRATCH (2 * PR_FWD_MAX_INPUT + 4 * PR_FWD_MAX_ENTRIES + 64)
static char scratch[SCRATCH];
static char scratch2[SCRATCH];
static pr_fwd_elem els[PR_FWD_MAX_ENTRIES];
static pr_fwd_elem els2[PR_FWD_MAX_ENTRIES];
static pr_span spans[PR_FWD_MAX_ENTRIES];
static pr_span spans2[PR_FWD_MAX_ENTRIES];
static char joined[PR_FWD_MAX_ENTRIES * (PR_IP_MAXLEN + 5) + 2];
static char fjoined[PR_FWD_MAX_INPUT];
static char built[4 * (2 * PR_FWD_MAX_VALUE + 16) + 64];

/* ------------------------------------------------------------------ */

static void check_ip_literal(const char *s, size_t len)
{
    char buf[PR_IP_BUFSIZE];
    unsigned char addr[16];
    int r = pr_ip_literal(s, len);

    CHECK(r == 0 || r == 4 || r == 6);
    if (len >= sizeof buf || memchr(s, '\0', len) != NULL) {
        CHECK(r == 0 || len <= PR_IP_MAXLEN);
        return;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    CHECK((r == 4) == (inet_pton(AF_INET, buf, addr) == 1));
    CHECK((r == 6) == (inet_pton(AF_INET6, buf, addr) == 1));
}

/* A deterministic "trusted" predicate keyed by the input. */
static int trust_by_hash(const char *ip, size_t len, void *baton)
{
    unsigned h = *(const unsigned *)baton;
    size_t i;

    CHECK(ip[len] == '\0');
    CHECK(strlen(ip) == len);
    for (i = 0; i < len; i++)
        h = h * 31u + (unsigned char)ip[i];
    return (h >> 7) & 1u;
}

static void check_xff(const char *s, size_t len, unsigned seed)
{
    int r = pr_xff_parse(s, len, spans, PR_FWD_MAX_ENTRIES);
    int r0 = pr_xff_parse(s, len, NULL, 0);
    size_t i, o = 0;

    CHECK(r == PR_FWD_MALFORMED || r == PR_FWD_TOOBIG
          || (r >= 1 && r <= PR_FWD_MAX_ENTRIES));
    if (r == PR_FWD_MALFORMED) {
        CHECK(r0 == PR_FWD_MALFORMED);
        return;
    }
    CHECK(r0 == PR_FWD_TOOBIG);
    if (r == PR_FWD_TOOBIG)
        return;
    CHECK(pr_xff_parse(s, len, spans2, (size_t)r) == r);
    CHECK(pr_xff_parse(s, len, spans2, (size_t)r - 1) == PR_FWD_TOOBIG);

    for (i = 0; i < (size_t)r; i++) {
        const pr_span *sp = &spans[i];
        CHECK(sp->off <= len && sp->len <= len - sp->off);
        CHECK(sp->len >= 2 && sp->len <= PR_IP_MAXLEN);
        CHECK(pr_ip_literal(s + sp->off, sp->len) == sp->family);
        CHECK(sp->port >= -1 && sp->port <= 65535);
        if (i > 0)
            CHECK(sp->off > spans[i - 1].off + spans[i - 1].len);
        /* re-serialize with OWS everywhere it is allowed:
           " a \t,\t b \t,\t c " */
        memcpy(joined + o, i > 0 ? " \t,\t " : " ", i > 0 ? 5 : 1);
        o += i > 0 ? 5 : 1;
        memcpy(joined + o, s + sp->off, sp->len);
        o += sp->len;
    }
    joined[o++] = ' ';
    CHECK(pr_xff_parse(joined, o, spans2, PR_FWD_MAX_ENTRIES) == r);
    for (i = 0; i < (size_t)r; i++) {
        CHECK(spans2[i].len == spans[i].len);
        CHECK(memcmp(joined + spans2[i].off, s + spans[i].off, spans[i].len) == 0);
        CHECK(spans2[i].port == -1);
    }

    /* the walk agrees with the parse of a well-formed list */
    {
        pr_hop hops[PR_FWD_MAX_ENTRIES];
        int stop, n = pr_xff_walk(s, len, trust_by_hash, &seed, hops,
                                  PR_FWD_MAX_ENTRIES, &stop);
        int k;

        CHECK(n >= 1 && n <= r);
        for (k = 0; k < n; k++) {
            const pr_span *sp = &spans[r - 1 - k];
            CHECK(hops[k].off <= sp->off && sp->off + sp->len <= hops[k].off + hops[k].len);
        }
        if (stop == PR_WALK_START)
            CHECK(n == r);
        else
            CHECK(stop == PR_WALK_CLIENT && n < r + 1);
    }
}

/* The node string the builder takes for a parsed for/by value. */
static void check_value(const pr_str *v)
{
    if (v->val == NULL)
        return;
    CHECK(v->val >= scratch && v->val + v->len < scratch + SCRATCH);
    CHECK(v->val[v->len] == '\0');
    CHECK(strlen(v->val) == v->len);
    CHECK(v->len >= 1 && v->len <= PR_FWD_MAX_VALUE);
}

static int same(const pr_str *a, const pr_str *b)
{
    if (a->val == NULL || b->val == NULL)
        return a->val == b->val;
    return a->len == b->len && memcmp(a->val, b->val, a->len) == 0;
}

static void check_node(const pr_str *v, const pr_node *nd)
{
    pr_node again;

    if (v->val == NULL)
        return;
    CHECK(pr_node_parse(v->val, v->len, &again) == PR_FWD_OK);
    CHECK(again.kind == nd->kind && again.port == nd->port);
    CHECK(nd->addr_off <= v->len && nd->addr_len <= v->len - nd->addr_off);
    if (nd->kind == PR_NODE_IPV4 || nd->kind == PR_NODE_IPV6)
        CHECK(pr_ip_literal(v->val + nd->addr_off, nd->addr_len) == nd->kind);
    if (nd->port != PR_PORT_NONE)
        CHECK(nd->port_off + nd->port_len == v->len && nd->port_len > 0);
}

static void check_fwd(const char *s, size_t len, unsigned seed)
{
    int r = pr_fwd_parse(s, len, els, PR_FWD_MAX_ENTRIES, scratch, SCRATCH);
    int r0 = pr_fwd_parse(s, len, NULL, 0, NULL, 0);
    size_t i, fo = 0;
    int fits = 1;

    CHECK(r == PR_FWD_MALFORMED || r == PR_FWD_TOOBIG
          || (r >= 1 && r <= PR_FWD_MAX_ENTRIES));
    if (r == PR_FWD_MALFORMED) {
        CHECK(r0 == PR_FWD_MALFORMED);
        return;
    }
    CHECK(r0 == PR_FWD_TOOBIG);
    if (r == PR_FWD_TOOBIG)
        return;
    CHECK(pr_fwd_parse(s, len, els2, (size_t)r - 1, scratch2, SCRATCH)
          == PR_FWD_TOOBIG);
    /* scratch of exactly the size used fits; one byte less does not */
    {
        size_t need = 0;
        for (i = 0; i < (size_t)r; i++) {
            const pr_fwd_elem *e = &els[i];
            need += e->for_.val ? e->for_.len + 1 : 0;
            need += e->by.val ? e->by.len + 1 : 0;
            need += e->proto.val ? e->proto.len + 1 : 0;
            need += e->host.val ? e->host.len + 1 : 0;
        }
        CHECK(pr_fwd_parse(s, len, els2, (size_t)r, scratch2, need) == r);
        if (need > 0)
            CHECK(pr_fwd_parse(s, len, els2, (size_t)r, scratch2, need - 1)
                  == PR_FWD_TOOBIG);
    }

    for (i = 0; i < (size_t)r; i++) {
        const pr_fwd_elem *e = &els[i];
        int b;

        CHECK(e->n_pairs >= 1);
        check_value(&e->for_);
        check_value(&e->by);
        check_value(&e->proto);
        check_value(&e->host);
        check_node(&e->for_, &e->for_node);
        check_node(&e->by, &e->by_node);
        if (e->proto.val)
            CHECK(pr_proto_valid(e->proto.val, e->proto.len));
        if (e->host.val)
            CHECK(pr_host_valid(e->host.val, e->host.len));

        /* rebuild and parse back */
        b = pr_fwd_build(built, sizeof built, e->for_, e->by, e->proto, e->host);
        CHECK(b > 0 && (size_t)b == strlen(built));
        CHECK(pr_fwd_parse(built, (size_t)b, els2, 1, scratch2, SCRATCH) == 1);
        if (e->for_.val) {
            CHECK(same(&e->for_, &els2[0].for_));
        }
        else {
            CHECK(els2[0].for_.val && strcmp(els2[0].for_.val, "unknown") == 0);
        }
        CHECK(same(&e->by, &els2[0].by));
        CHECK(same(&e->proto, &els2[0].proto));
        CHECK(same(&e->host, &els2[0].host));

        /* rebuilt elements joined with OWS around ',' (and ';' inside,
           since pr_fwd_build writes none) make a header of r elements */
        if (fo + 3 + (size_t)b <= sizeof fjoined) {
            size_t k;
            if (i > 0) {
                memcpy(fjoined + fo, " , ", 3);
                fo += 3;
            }
            int inq = 0, esc = 0;
            for (k = 0; k < (size_t)b; k++) {
                /* track quoted-strings: a ';' in a value stays as is */
                if (esc)
                    esc = 0;
                else if (inq && built[k] == '\\')
                    esc = 1;
                else if (built[k] == '"')
                    inq = !inq;
                if (!inq && built[k] == ';' && fo + 3 <= sizeof fjoined) {
                    memcpy(fjoined + fo, "\t;\t", 3);
                    fo += 3;
                }
                else if (fo < sizeof fjoined) {
                    fjoined[fo++] = built[k];
                }
                else {
                    fits = 0;
                }
            }
        }
        else {
            fits = 0;
        }
    }
    if (fits) {
        CHECK(pr_fwd_parse(fjoined, fo, els2, PR_FWD_MAX_ENTRIES, scratch2, SCRATCH) == r);
        for (i = 0; i < (size_t)r; i++) {
            if (els[i].for_.val)
                CHECK(same(&els[i].for_, &els2[i].for_));
            CHECK(same(&els[i].by, &els2[i].by));
            CHECK(same(&els[i].proto, &els2[i].proto));
            CHECK(same(&els[i].host, &els2[i].host));
        }
    }

    /* the walk of a well-formed list finds its elements as written */
    {
        pr_hop hops[PR_FWD_MAX_ENTRIES];
        int stop, n = pr_fwd_walk(s, len, trust_by_hash, &seed, hops,
                                  PR_FWD_MAX_ENTRIES, &stop);
        int k;

        CHECK(n >= 0 && n <= r);
        for (k = 0; k < n && !memchr(s, '"', len); k++) {
            const pr_fwd_elem *e = &els[r - 1 - k];
            CHECK(e->for_.val != NULL);
            CHECK(e->for_node.kind == PR_NODE_IPV4 || e->for_node.kind == PR_NODE_IPV6);
        }
        if (n < r && stop == PR_WALK_MALFORMED) {
            const pr_fwd_elem *e = &els[r - 1 - n];
            /* a well-formed element stops the walk only without an
             * address, when it is longer than PR_FWD_MAX_ELEMENT, or
             * when a quoted value of the list holds a ',' */
            CHECK(e->for_.val == NULL || e->for_node.kind == PR_NODE_UNKNOWN
                  || e->for_node.kind == PR_NODE_OBFUSCATED
                  || len > PR_FWD_MAX_ELEMENT || memchr(s, '"', len) != NULL);
        }
    }
}

/* Split the input on '\n' into for/by/proto/host (missing parts are
 * absent) and check pr_fwd_build against the validators. */
static int expect_node_ok(const pr_str *v)
{
    if (v->val == NULL)
        return 1;
    if (v->len == 0 || v->len > PR_FWD_MAX_VALUE)
        return 0;
    return pr_ip_literal(v->val, v->len) != 0
        || pr_node_parse(v->val, v->len, NULL) == PR_FWD_OK;
}

static void check_build(const char *s, size_t len)
{
    pr_str part[4];
    size_t i, st = 0, k = 0;
    int expect, b;

    for (i = 0; i < 4; i++)
        part[i] = pr_str_none();
    for (i = 0; i <= len && k < 4; i++) {
        if (i == len || s[i] == '\n') {
            part[k++] = pr_str_n(s + st, i - st);
            st = i + 1;
        }
    }
    expect = expect_node_ok(&part[0]) && expect_node_ok(&part[1]);
    if (part[2].val)
        expect = expect && part[2].len <= PR_FWD_MAX_VALUE
                 && pr_proto_valid(part[2].val, part[2].len);
    if (part[3].val)
        expect = expect && part[3].len <= PR_FWD_MAX_VALUE
                 && pr_host_valid(part[3].val, part[3].len);

    b = pr_fwd_build(built, sizeof built, part[0], part[1], part[2], part[3]);
    if (!expect) {
        CHECK(b == PR_FWD_MALFORMED);
        CHECK(built[0] == '\0');
        return;
    }
    CHECK(b > 0 && (size_t)b == strlen(built));
    /* a too-small buffer is reported, never overrun */
    CHECK(pr_fwd_build(built, (size_t)b, part[0], part[1], part[2], part[3])
          == PR_FWD_TOOBIG);
    b = pr_fwd_build(built, (size_t)b + 1, part[0], part[1], part[2], part[3]);
    CHECK(b > 0 && (size_t)b == strlen(built));

    CHECK(pr_fwd_parse(built, (size_t)b, els2, 2, scratch2, SCRATCH) == 1);
    if (part[0].val && pr_ip_literal(part[0].val, part[0].len) == 6) {
        CHECK(els2[0].for_.len == part[0].len + 2);
        CHECK(els2[0].for_.val[0] == '[');
        CHECK(memcmp(els2[0].for_.val + 1, part[0].val, part[0].len) == 0);
    }
    else if (part[0].val) {
        CHECK(same(&els2[0].for_, &part[0]));
    }
    else {
        CHECK(strcmp(els2[0].for_.val, "unknown") == 0);
    }
    if (part[1].val && pr_ip_literal(part[1].val, part[1].len) == 6)
        CHECK(els2[0].by.len == part[1].len + 2);
    else
        CHECK(same(&els2[0].by, &part[1]));
    CHECK(same(&els2[0].proto, &part[2]));
    CHECK(same(&els2[0].host, &part[3]));
}

static void check_header_id(const char *s, size_t len)
{
    int canon = -1, id, want = PR_HDR_OTHER, k;
    char fold[32];
    size_t i;

    id = pr_fwd_header_id(s, len, &canon);
    CHECK(canon == (memchr(s, '_', len) == NULL));
    if (len < sizeof fold) {
        for (i = 0; i < len; i++) {
            char c = s[i];
            if (c >= 'A' && c <= 'Z')
                c = (char)(c - 'A' + 'a');
            fold[i] = c == '_' ? '-' : c;
        }
        for (k = PR_HDR_OTHER + 1; k < PR_HDR__COUNT; k++) {
            const char *name = pr_fwd_header_name(k);
            size_t j, n = strlen(name);
            if (n != len)
                continue;
            for (j = 0; j < n; j++) {
                char c = name[j];
                if (c >= 'A' && c <= 'Z')
                    c = (char)(c - 'A' + 'a');
                if (c != fold[j])
                    break;
            }
            if (j == n)
                want = k;
        }
    }
    CHECK(id == want);
    if (id != PR_HDR_OTHER)
        CHECK(pr_fwd_header_name(id) != NULL);
}


/* The invariant the module relies on: no input left of the trusted
 * suffix changes the client found. Walk s; find where the element that
 * stopped the walk starts (the client's; for a malformed stop, the
 * malformed element's); replace everything left of it by other text and
 * walk again: same hops, same stop, same client. */
static char lp_buf[PR_FWD_MAX_INPUT * 2 + 64];

static int walk_any(int rfc, const char *s, size_t len, unsigned *seed,
                    pr_hop *hops, int *stop)
{
    return rfc ? pr_fwd_walk(s, len, trust_by_hash, seed, hops, PR_FWD_MAX_ENTRIES, stop)
               : pr_xff_walk(s, len, trust_by_hash, seed, hops, PR_FWD_MAX_ENTRIES, stop);
}

static void check_left_part(const char *s, size_t len, unsigned seed, int rfc)
{
    static const char *const lefts[] = {
        "", "1.2.3.4", "unknown", "\"", "for=\"", "[", ",", "\\", "for=1.2.3.4",
        "x\"y", "192.0.2.200", "for=\"[::1]\"",
    };
    pr_hop a[PR_FWD_MAX_ENTRIES], b[PR_FWD_MAX_ENTRIES];
    int sa, sb, na, nb, k;
    size_t start, q, j;

    if (len > PR_FWD_MAX_INPUT)
        return;
    na = walk_any(rfc, s, len, &seed, a, &sa);
    CHECK(na >= 0 && na <= PR_FWD_MAX_ENTRIES);
    CHECK(sa >= PR_WALK_START && sa <= PR_WALK_CAPPED);
    for (k = 0; k < na; k++) {
        CHECK(a[k].off <= len && a[k].len <= len - a[k].off && a[k].len > 0);
        CHECK(a[k].addr_len == strlen(a[k].addr));
        CHECK(pr_ip_literal(a[k].addr, a[k].addr_len) == a[k].family);
        if (k > 0)
            CHECK(a[k].off + a[k].len < a[k - 1].off);
        /* every hop but the client is trusted; the client is untrusted
           exactly when the walk stopped there */
        if (k < na - 1 || sa != PR_WALK_CLIENT)
            CHECK(trust_by_hash(a[k].addr, a[k].addr_len, &seed));
        else
            CHECK(!trust_by_hash(a[k].addr, a[k].addr_len, &seed));
    }
    if (sa == PR_WALK_START)
        return;                 /* the whole input was trusted */
    start = na > 0 ? a[na - 1].off : len;
    if (sa == PR_WALK_MALFORMED) {
        q = start;
        while (q > 0 && s[q - 1] != ',')
            q--;
        if (na > 0) {
            if (q == 0)
                return;
            q--;
        }
        while (q > 0 && s[q - 1] != ',')
            q--;
        if (q == 0)
            return;
        start = q;
    }
    else {
        while (start > 0 && s[start - 1] != ',')
            start--;
        if (start == 0)
            return;
    }
    for (j = 0; j < sizeof(lefts) / sizeof(lefts[0]) + 2; j++) {
        size_t o;
        const char *l;
        size_t ll;

        if (j < sizeof(lefts) / sizeof(lefts[0])) {
            l = lefts[j];
            ll = strlen(l);
        }
        else {                  /* the input's own bytes as a left part */
            l = s;
            ll = j == sizeof(lefts) / sizeof(lefts[0]) ? start / 2 : len;
        }
        memcpy(lp_buf, l, ll);
        o = ll;
        lp_buf[o++] = ',';
        memcpy(lp_buf + o, s + start, len - start);
        o += len - start;
        nb = walk_any(rfc, lp_buf, o, &seed, b, &sb);
        CHECK(nb == na && sb == sa);
        for (k = 0; k < na; k++)
            CHECK(strcmp(a[k].addr, b[k].addr) == 0 && a[k].len == b[k].len);
    }
}

/* pr_fwd_in_family / pr_hdr_name_eq against a naive folding oracle */
static void check_family(const char *s, size_t len)
{
    static const char *const fam[] = {
        "x-forwarded", "forwarded", "x-real-ip", "x-client-ip", "client-ip",
        "true-client-ip", "x-cluster-client-ip", "cf-connecting-ip",
        "fastly-client-ip", "x-original-forwarded-for", "front-end-https",
        "x-url-scheme",
    };
    char f[64];
    size_t i;
    int want = 0;

    if (len < sizeof f) {
        for (i = 0; i < len; i++) {
            char c = s[i];
            if (c >= 'A' && c <= 'Z')
                c = (char)(c - 'A' + 'a');
            f[i] = c == '_' ? '-' : c;
        }
        f[len] = '\0';
        want = len > 12 && memcmp(f, "x-forwarded-", 12) == 0 && memchr(s, '\0', len) == NULL;
        for (i = 0; i < sizeof(fam) / sizeof(fam[0]); i++)
            if (len == strlen(fam[i]) && memcmp(f, fam[i], len) == 0)
                want = 1;
        if (len > 12 && memcmp(f, "x-forwarded-", 12) == 0)
            want = 1;
        CHECK(pr_fwd_in_family(s, len) == want);
        /* callers skip a name by its first letter before measuring it */
        CHECK(!want || pr_fwd_family_initial((unsigned char)s[0]));
        CHECK(pr_hdr_name_eq(s, len, f, len) == 1);
    }
    if (len >= 2)
        CHECK(pr_hdr_name_eq(s, len / 2, s + len / 2, len - len / 2)
              == pr_hdr_name_eq(s + len / 2, len - len / 2, s, len / 2));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    unsigned seed = 0x9e3779b9u;
    size_t i;

    for (i = 0; i < size && i < 16; i++)
        seed = seed * 131u + data[i];

    check_ip_literal(s, size);
    check_xff(s, size, seed);
    check_fwd(s, size, seed);
    check_build(s, size);
    check_header_id(s, size);
    check_left_part(s, size, seed, 0);
    check_left_part(s, size, seed, 1);
    check_family(s, size);
    return 0;
}

/*
 * Unit tests of the right-to-left trust walk (pr_xff_walk, pr_fwd_walk):
 * a table of lists with the client each must give, and the property the
 * module relies on: nothing left of where the walk stopped changes it.
 *
 * gcc -std=c11 -Wall -Wextra -Werror -g -fsanitize=address,undefined \
 *     -Imod_proxy_reencrypt t/unit/test_fwd_walk.c \
 *     mod_proxy_reencrypt/pr_forwarded.c mod_proxy_reencrypt/pr_fwd7239.c \
 *     -o /tmp/tw && /tmp/tw
 */
#include "tap.h"
#include "pr_forwarded.h"

#include <stdlib.h>
#include <string.h>

/* trusted: 10.0.0.0/8 by prefix "10.", 127.0.0.1, 2001:db8::99 */
static int calls;
static int trusted(const char *ip, size_t len, void *baton)
{
    (void)baton;
    calls++;
    if (ip[len] != '\0' || strlen(ip) != len)
        return 0;
    return strncmp(ip, "10.", 3) == 0 || strcmp(ip, "127.0.0.1") == 0
        || strcmp(ip, "2001:db8::99") == 0;
}

enum { X, F };          /* X-Forwarded-For, Forwarded */
#define S PR_WALK_START
#define C PR_WALK_CLIENT
#define M PR_WALK_MALFORMED
#define K PR_WALK_CAPPED

typedef struct {
    int hdr;
    const char *in;
    int n;              /* hops found */
    int stop;
    const char *client; /* out[n-1].addr; NULL when n == 0 */
} row;

static const row rows[] = {
    /* X-Forwarded-For */
    { X, "203.0.113.9",                          1, C, "203.0.113.9" },
    { X, "6.6.6.6, 203.0.113.9",                 1, C, "203.0.113.9" },
    { X, "unknown, 203.0.113.9",                 1, C, "203.0.113.9" },
    { X, "foo, 203.0.113.9",                     1, C, "203.0.113.9" },
    { X, "1.1.1.1:99999, 203.0.113.9",           1, C, "203.0.113.9" },
    { X, "\"x, 203.0.113.9",                     1, C, "203.0.113.9" },
    { X, ", 203.0.113.9",                        1, C, "203.0.113.9" },
    { X, "203.0.113.9, 10.0.0.1",                2, C, "203.0.113.9" },
    { X, "6.6.6.6, 203.0.113.9, 10.0.0.1, 10.0.0.2", 3, C, "203.0.113.9" },
    { X, "unknown, 10.0.0.1",                    1, M, "10.0.0.1" },
    { X, "203.0.113.9, unknown",                 0, M, NULL },
    { X, "203.0.113.9,",                         0, M, NULL },
    { X, "",                                     0, M, NULL },
    { X, "   ",                                  0, M, NULL },
    { X, "10.0.0.1, 10.0.0.2",                   2, S, "10.0.0.1" },
    { X, "10.0.0.1",                             1, S, "10.0.0.1" },
    { X, "203.0.113.9:8080",                     1, C, "203.0.113.9" },
    { X, "[2001:db8::1]:443, 10.0.0.1",          2, C, "2001:db8::1" },
    { X, "2001:db8::1, [2001:db8::99]",          2, C, "2001:db8::1" },
    { X, "::ffff:203.0.113.9",                   1, C, "203.0.113.9" },
    { X, "6.6.6.6, ::FFFF:203.0.113.9, ::ffff:10.1.2.3", 2, C, "203.0.113.9" },
    { X, "01.2.3.4, 203.0.113.9",                1, C, "203.0.113.9" },
    { X, "1.2.3.4\t,\t203.0.113.9 ",             1, C, "203.0.113.9" },
    { X, "203.0.113.9, 10.0.0.1:99999",          0, M, NULL },
    { X, "fe80::1%eth0, 203.0.113.9",            1, C, "203.0.113.9" },
    { X, "203.0.113.9, fe80::1%eth0, 10.0.0.1",  1, M, "10.0.0.1" },
    { X, "_hidden, 203.0.113.9",                 1, C, "203.0.113.9" },
    /* Forwarded */
    { F, "for=203.0.113.9",                      1, C, "203.0.113.9" },
    { F, "for=unknown, for=203.0.113.9",         1, C, "203.0.113.9" },
    { F, "for=_hidden, for=203.0.113.9",         1, C, "203.0.113.9" },
    { F, "foo, for=203.0.113.9",                 1, C, "203.0.113.9" },
    { F, "for=\"1.1.1.1:99999\", for=203.0.113.9", 1, C, "203.0.113.9" },
    { F, "for=\"6.6.6.6, for=203.0.113.9",       1, C, "203.0.113.9" },
    { F, "for=203.0.113.9;proto=https, for=10.0.0.1", 2, C, "203.0.113.9" },
    { F, "for=\"[2001:db8::1]:443\", for=\"[2001:db8::99]\"", 2, C, "2001:db8::1" },
    { F, "for=203.0.113.9;host=\"a,for=6.6.6.6\"", 0, M, NULL },
    { F, "for=6.6.6.6, for=203.0.113.9;host=\"a,b\", for=10.0.0.1", 1, M, "10.0.0.1" },
    { F, "for=6.6.6.6;x=\"\", for=1.2.3.4;y=\"\"", 1, C, "1.2.3.4" },
    { F, "for=unknown, for=10.0.0.1",            1, M, "10.0.0.1" },
    { F, "proto=https, for=10.0.0.1",            1, M, "10.0.0.1" },
    { F, "for=203.0.113.9, for=unknown",         0, M, NULL },
    { F, "for=10.0.0.1, for=10.0.0.2",           2, S, "10.0.0.1" },
    { F, "for=203.0.113.9, ",                    0, M, NULL },
    { F, "For=203.0.113.9;PROTO=http",           1, C, "203.0.113.9" },
    { F, "for=\"[::ffff:203.0.113.9]\"",         1, C, "203.0.113.9" },
    { F, "for=203.0.113.9;for=6.6.6.6",          0, M, NULL },
    { F, "for=6.6.6.6;\"x, for=203.0.113.9",     1, C, "203.0.113.9" },
};

static int walk(int hdr, const char *s, size_t len, pr_hop *out, size_t cap, int *stop)
{
    char *p = malloc(len ? len : 1);    /* exact size: ASan sees overreads */
    int n;

    if (!p)
        abort();
    memcpy(p, s, len);
    n = hdr == X ? pr_xff_walk(p, len, trusted, NULL, out, cap, stop)
                 : pr_fwd_walk(p, len, trusted, NULL, out, cap, stop);
    free(p);
    return n;
}

static void test_table(void)
{
    size_t i;
    pr_hop out[PR_FWD_MAX_ENTRIES];

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const row *w = &rows[i];
        int stop = -1;
        int n = walk(w->hdr, w->in, strlen(w->in), out, PR_FWD_MAX_ENTRIES, &stop);
        int good = n == w->n && stop == w->stop
            && (n == 0 ? w->client == NULL : strcmp(out[n - 1].addr, w->client) == 0);

        ok(good, "%s \"%s\" -> %d hops, stop %d, client %s",
           w->hdr == X ? "xff" : "fwd", w->in, w->n, w->stop,
           w->client ? w->client : "(the peer)");
        if (!good)
            printf("#   got %d hops, stop %d, client %s\n", n, stop,
                   n > 0 ? out[n - 1].addr : "(the peer)");
    }
}

/* 70 elements before the client; 70 trusted hops; a 7 KB element */
static void test_long(void)
{
    char buf[20000];
    pr_hop out[PR_FWD_MAX_ENTRIES];
    size_t o = 0;
    int i, n, stop;

    for (i = 0; i < 70; i++)
        o += (size_t)sprintf(buf + o, "6.6.6.%d, ", i);
    o += (size_t)sprintf(buf + o, "203.0.113.9");
    n = walk(X, buf, o, out, PR_FWD_MAX_ENTRIES, &stop);
    ok(n == 1 && stop == C && strcmp(out[0].addr, "203.0.113.9") == 0,
       "xff 70 elements before the client");

    o = (size_t)sprintf(buf, "203.0.113.9");
    for (i = 1; i <= 70; i++)
        o += (size_t)sprintf(buf + o, ", 10.0.0.%d", i);
    n = walk(X, buf, o, out, PR_FWD_MAX_ENTRIES, &stop);
    ok(n == PR_FWD_MAX_ENTRIES && stop == K && strcmp(out[n - 1].addr, "10.0.0.7") == 0,
       "xff 70 trusted hops: 64 examined, the leftmost examined is the client");
    n = walk(X, buf, o, out, 3, &stop);
    ok(n == 3 && stop == K && strcmp(out[2].addr, "10.0.0.68") == 0, "xff cap given by the caller");

    memset(buf, 'x', 7000);
    o = 7000 + (size_t)sprintf(buf + 7000, ", 203.0.113.9");
    n = walk(X, buf, o, out, PR_FWD_MAX_ENTRIES, &stop);
    ok(n == 1 && stop == C, "xff 7 KB element before the client");
    memcpy(buf, "for=\"", 5);
    o = 7000 + (size_t)sprintf(buf + 7000, ", for=203.0.113.9");
    n = walk(F, buf, o, out, PR_FWD_MAX_ENTRIES, &stop);
    ok(n == 1 && stop == C && strcmp(out[0].addr, "203.0.113.9") == 0,
       "fwd 7 KB unterminated quote before the client");
    ok(out[0].off == 7002 && out[0].len == 15, "fwd element span as written");

    o = 0;
    for (i = 0; i < 70; i++)
        o += (size_t)sprintf(buf + o, "for=6.6.6.%d, ", i);
    o += (size_t)sprintf(buf + o, "for=203.0.113.9");
    n = walk(F, buf, o, out, PR_FWD_MAX_ENTRIES, &stop);
    ok(n == 1 && stop == C, "fwd 70 elements before the client");
}

/* Nothing left of where the walk stopped changes the answer. */
static void test_left_part(void)
{
    static const char *const rights[] = {
        "9.9.9.9, 203.0.113.9, 10.0.0.1", "9.9.9.9, unknown, 10.0.0.1",
        "9.9.9.9, 2001:db8::1, [2001:db8::99]:1",
    };
    static const char *const frights[] = {
        "for=9.9.9.9, for=203.0.113.9;proto=https, for=10.0.0.1",
        "for=9.9.9.9, for=_x, for=10.0.0.1",
        "for=9.9.9.9, for=\"[2001:db8::1]\";host=\"a.b\"",
    };
    static const char *const lefts[] = {
        "", "1.2.3.4", "unknown", "\"", "for=\"", "[", ",,,", "10.0.0.1", "for=1.2.3.4",
        "\\", "x\"y\"z",
    };
    size_t i, j;
    int all = 1, k, compared = 0;

    for (k = 0; k < 2; k++) {
        const char *const *rs = k == X ? rights : frights;
        for (i = 0; i < 3; i++) {
            pr_hop a[PR_FWD_MAX_ENTRIES], b[PR_FWD_MAX_ENTRIES];
            int sa, sb, na, nb;
            size_t start;
            char buf[256];

            na = walk(k, rs[i], strlen(rs[i]), a, PR_FWD_MAX_ENTRIES, &sa);
            if (sa == S)
                continue;
            /* the element that stopped the walk: the client (C) is
             * a[na-1]; a malformed one (M) ends at the ',' before
             * a[na-1] (or at the end) and starts after the ',' before
             * that; the left part is what precedes it, replaced whole */
            start = na > 0 ? a[na - 1].off : strlen(rs[i]);
            if (sa == M) {
                size_t q = start;
                while (q > 0 && rs[i][q - 1] != ',')
                    q--;
                if (na > 0 && q > 0)
                    q--;                    /* onto the ',' ending it */
                while (q > 0 && rs[i][q - 1] != ',')
                    q--;
                if (q == 0)
                    continue;               /* nothing left of it */
                start = q;
            }
            else {
                while (start > 0 && rs[i][start - 1] != ',')
                    start--;
                if (start == 0)
                    continue;
            }
            for (j = 0; j < sizeof(lefts) / sizeof(lefts[0]); j++) {
                int m = snprintf(buf, sizeof buf, "%s,%s", lefts[j], rs[i] + start);
                nb = walk(k, buf, (size_t)m, b, PR_FWD_MAX_ENTRIES, &sb);
                compared++;
                if (nb != na || sb != sa
                    || (na > 0 && strcmp(a[na - 1].addr, b[nb - 1].addr) != 0)) {
                    all = 0;
                    printf("# left part changed it: \"%s\"\n", buf);
                }
            }
        }
    }
    ok(all, "a left part (quotes, brackets, trusted-looking addresses) changes nothing");
    is_int(compared, 6 * 11, "every case compared");
}

static void test_errors(void)
{
    pr_hop out[2];
    int stop = -1;

    is_int(pr_xff_walk("1.2.3.4", 7, NULL, NULL, out, 2, &stop), PR_FWD_MALFORMED, "xff NULL callback");
    is_int(pr_fwd_walk(NULL, 3, trusted, NULL, out, 2, &stop), PR_FWD_MALFORMED, "fwd NULL input");
    is_int(pr_xff_walk("1.2.3.4", 7, trusted, NULL, NULL, 2, &stop), PR_FWD_MALFORMED, "xff NULL out");
    is_int(pr_xff_walk("1.2.3.4", 7, trusted, NULL, NULL, 0, &stop), 0, "xff cap 0");
    is_int(stop, K, "xff cap 0 is capped");
    calls = 0;
    is_int(pr_xff_walk("1.2.3.4, 5.6.7.8", 7, trusted, NULL, out, 2, NULL), 1, "xff len respected");
    is_int(calls, 1, "xff one question per element");
}

int main(void)
{
    test_table();
    test_long();
    test_left_part();
    test_errors();
    return done_testing();
}

/*
 * libFuzzer target for the directive value parsers of pr_core.c: the
 * keywords, numbers, names, keyword-names, pins and CIDR blocks that
 * pr_config.c hands every configured value to.
 *
 * Fuzz:   clang -g -O1 -fsanitize=fuzzer,address,undefined \
 *             -Imod_proxy_reencrypt t/fuzz/fuzz_directives.c \
 *             mod_proxy_reencrypt/pr_core.c -lcrypto -o /tmp/fuzz_directives
 *         /tmp/fuzz_directives -dict=t/fuzz/directives.dict \
 *             /tmp/corpus t/fuzz/corpus/directives
 * Replay: build/run-tests.sh links it with t/fuzz/replay.c (no libFuzzer).
 *
 * The input (exactly sized, not NUL-terminated) is given to every parser
 * and each answer is checked against an oracle written here:
 *  - keyword parsers accept exactly their words, case-insensitively;
 *  - pr_parse_uint agrees with a plain digit loop and its bounds;
 *  - pr_classify_name: 4/6 exactly when glibc inet_pton says so (and no
 *    NUL inside); a DNS answer has only LDH/underscore labels of 1..63,
 *    at most 253 octets, a last label that is not a number, and is still
 *    a DNS name when wildcards are allowed;
 *  - pr_parse_pin: an accepted pin re-encodes to the very same base64;
 *    32 bytes of the input, encoded, are always accepted back;
 *  - pr_parse_cidr: an accepted block has no host bit, prefix 1..bits,
 *    and its inet_ntop form parses back to the same block; a block built
 *    from the input bytes is accepted exactly when its prefix is not 0.
 */
#define _POSIX_C_SOURCE 200809L
#include "pr_core.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "fuzz.h"

static int is_word(const char *s, size_t len, const char *w)
{
    return strlen(w) == len && strncasecmp(s, w, len) == 0;
}

/* Index+1 of the word s is among words (case-insensitive), else 0. */
static int which(const char *s, size_t len, const char *const *words)
{
    int i;
    for (i = 0; words[i]; ++i) {
        if (is_word(s, len, words[i]))
            return i + 1;
    }
    return 0;
}

static void check_keywords(const char *s, size_t len)
{
    static const char *const pol[] = { "off", "audit", "enforce", NULL };
    static const char *const ver[] = { "off", "chain", "pin", NULL };
    static const char *const onoff[] = { "off", "on", NULL };
    static const char *const crl[] = { "none", "leaf", "chain", NULL };
    static const char *const fwd[] = { "off", "xff", "rfc7239", "both", NULL };
    static const char *const proto[] = { "tlsv1.2", "tlsv1.3", NULL };
    static const char *const pp[] = { "off", "v1", "v2", NULL };
    static const char *const kwn[] = { "on", "off", "yes", "no", "true", "false", "none",
                                       "default", "auto", "enable", "enabled", "disable",
                                       "disabled", "null", NULL };
    static const char *const tls[] = { "https", "wss", "h2", NULL };
    pr_policy p = (pr_policy)-7;
    pr_verify v = (pr_verify)-7;
    pr_crl c = (pr_crl)-7;
    pr_fwd_mode f = (pr_fwd_mode)-7;
    int i = -7, w;

    w = which(s, len, pol);
    CHECK((pr_parse_policy(s, len, &p) == 0) == (w != 0));
    CHECK(!w || (int)p == w - 1);
    w = which(s, len, ver);
    CHECK((pr_parse_verify(s, len, &v) == 0) == (w != 0));
    CHECK(!w || (int)v == w - 1);
    w = which(s, len, onoff);
    CHECK((pr_parse_onoff(s, len, &i) == 0) == (w != 0));
    CHECK(!w || i == w - 1);
    w = which(s, len, crl);
    CHECK((pr_parse_crl_check(s, len, &c) == 0) == (w != 0));
    CHECK(!w || (int)c == w - 1);
    w = which(s, len, fwd);
    CHECK((pr_parse_fwd_mode(s, len, &f) == 0) == (w != 0));
    CHECK(!w || (int)f == w - 1);
    w = which(s, len, proto);
    CHECK((pr_parse_min_protocol(s, len, &i) == 0) == (w != 0));
    CHECK(!w || i == 0x0302 + w);
    w = which(s, len, pp);
    CHECK((pr_parse_proxy_protocol(s, len, &i) == 0) == (w != 0));
    CHECK(!w || i == w - 1);
    CHECK(pr_name_is_keyword(s, len) == (which(s, len, kwn) != 0));
    CHECK(pr_scheme_is_tls(s, len) == (which(s, len, tls) != 0));
}

static void check_uint(const char *s, size_t len, long max)
{
    long got = -5, want = 0;
    size_t i;
    int digits = len > 0 && len <= 9;

    for (i = 0; digits && i < len; ++i) {
        if (s[i] < '0' || s[i] > '9')
            digits = 0;
        else
            want = want * 10 + (s[i] - '0');
    }
    if (pr_parse_uint(s, len, 0, max, &got) == 0) {
        CHECK(digits && want <= max && got == want);
    }
    else {
        CHECK(!digits || want > max);
        CHECK(got == -5);
    }
}

static int ldh(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || c == '-' || c == '_';
}

static void check_name(const char *s, size_t len)
{
    char buf[64];
    unsigned char a[16];
    int r = pr_classify_name(s, len, 0);
    int rw = pr_classify_name(s, len, 1);
    int p4 = 0, p6 = 0;

    CHECK(r == 0 || r == 1 || r == 4 || r == 6);
    if (len < sizeof buf && !memchr(s, '\0', len)) {
        memcpy(buf, s, len);
        buf[len] = '\0';
        p4 = inet_pton(AF_INET, buf, a) == 1;
        p6 = inet_pton(AF_INET6, buf, a) == 1;
    }
    CHECK((r == 4) == p4);
    CHECK((r == 6) == p6);
    if (r == PR_NAME_DNS) {
        size_t n = len, i, start = 0, last = 0;
        int numeric = 1;

        CHECK(rw == PR_NAME_DNS);
        CHECK(!memchr(s, '\0', len));
        if (n && s[n - 1] == '.')
            --n;
        CHECK(n >= 1 && n <= 253);
        for (i = 0; i <= n; ++i) {
            if (i == n || s[i] == '.') {
                CHECK(i - start >= 1 && i - start <= 63);
                CHECK(s[start] != '-' && s[i - 1] != '-');
                last = start;
                start = i + 1;
            }
            else {
                CHECK(ldh(s[i]));
            }
        }
        for (i = last; i < n; ++i) {
            if (s[i] < '0' || s[i] > '9')
                numeric = 0;
        }
        CHECK(!numeric);
    }
    if (rw == PR_NAME_DNS && r != PR_NAME_DNS) {
        CHECK(len > 2 && s[0] == '*' && s[1] == '.');
    }
}

static void check_pin(const char *s, size_t len)
{
    unsigned char out[32], again[32];
    char b64[64], pin[64];
    const char *why = NULL;

    if (pr_parse_pin(s, len, out, &why) == 0) {
        CHECK(len == 52 && strncasecmp(s, "sha256//", 8) == 0);
        CHECK(EVP_EncodeBlock((unsigned char *)b64, out, 32) == 44);
        CHECK(memcmp(b64, s + 8, 44) == 0);
    }
    else {
        CHECK(why != NULL && strlen(why) > 0);
    }
    /* 32 bytes of the input (zero-padded), encoded, parse back */
    memset(again, 0, sizeof again);
    memcpy(again, s, len < 32 ? len : 32);
    memcpy(pin, "sha256//", 8);
    CHECK(EVP_EncodeBlock((unsigned char *)pin + 8, again, 32) == 44);
    CHECK(pr_parse_pin(pin, 52, out, &why) == 0);
    CHECK(memcmp(out, again, 32) == 0);
}

static void check_cidr_back(const pr_cidr *c)
{
    char text[80];
    pr_cidr b;
    const char *why = NULL;
    size_t n;

    CHECK(inet_ntop(c->family == 4 ? AF_INET : AF_INET6, c->addr, text, 64) != NULL);
    n = strlen(text);
    n += (size_t)snprintf(text + n, sizeof text - n, "/%d", c->prefix);
    CHECK(pr_parse_cidr(text, n, &b, &why) == 0);
    CHECK(b.family == c->family && b.prefix == c->prefix);
    CHECK(memcmp(b.addr, c->addr, 16) == 0);
}

static void check_cidr(const char *s, size_t len)
{
    pr_cidr c, g;
    const char *why = NULL;
    int i, bits;

    if (pr_parse_cidr(s, len, &c, &why) == 0) {
        const char *slash = memchr(s, '/', len);
        size_t alen = slash ? (size_t)(slash - s) : len;

        bits = c.family == 4 ? 32 : 128;
        CHECK(c.family == 4 || c.family == 6);
        CHECK(pr_classify_name(s, alen, 0) == c.family);
        CHECK(c.prefix >= 1 && c.prefix <= bits);
        CHECK(slash || c.prefix == bits);
        for (i = c.prefix; i < 128; ++i)
            CHECK(!(c.addr[i / 8] & (0x80 >> (i % 8))));
        check_cidr_back(&c);
    }
    else {
        CHECK(why != NULL && strlen(why) > 0);
    }
    /* a block built from the input bytes */
    if (len >= 2) {
        memset(&g, 0, sizeof g);
        g.family = (s[0] & 1) ? 6 : 4;
        bits = g.family == 4 ? 32 : 128;
        g.prefix = (unsigned char)s[1] % (bits + 1);
        memcpy(g.addr, s + 2, len - 2 < (size_t)bits / 8 ? len - 2 : (size_t)bits / 8);
        for (i = g.prefix; i < bits; ++i)
            g.addr[i / 8] &= (unsigned char)~(0x80 >> (i % 8));
        if (g.prefix > 0) {
            check_cidr_back(&g);
        }
        else {
            char text[80];
            CHECK(inet_ntop(g.family == 4 ? AF_INET : AF_INET6, g.addr, text, 64));
            strcat(text, "/0");
            CHECK(pr_parse_cidr(text, strlen(text), &c, &why) == -1);
            CHECK(strstr(why, "every address") != NULL);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;

    check_keywords(s, size);
    check_uint(s, size, PR_MAX_DAYS);
    check_uint(s, size, PR_MAX_DEPTH);
    check_name(s, size);
    check_pin(s, size);
    check_cidr(s, size);
    return 0;
}

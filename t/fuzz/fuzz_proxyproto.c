/*
 * libFuzzer target for the PROXY protocol encoder (pr_proxy_header in
 * pr_core.c), checked by a strict v1/v2 decoder written here from
 * haproxy's proxy-protocol.txt (sections 2.1 and 2.2).
 *
 * Fuzz:   clang -g -O1 -fsanitize=fuzzer,address,undefined \
 *             -Imod_proxy_reencrypt t/fuzz/fuzz_proxyproto.c \
 *             mod_proxy_reencrypt/pr_core.c -lcrypto -o /tmp/fuzz_proxyproto
 *         /tmp/fuzz_proxyproto -dict=t/fuzz/proxyproto.dict \
 *             /tmp/corpus t/fuzz/corpus/proxyproto
 * Replay: build/run-tests.sh links it with t/fuzz/replay.c (no libFuzzer).
 *
 * Input: byte 0 picks the version (bit 0) and whether the addresses are
 * built from raw bytes (bit 1: 4 or 16 bytes each, formatted with
 * inet_ntop) or taken as text (the rest of the input split at the first
 * '\n'); bytes 1..4 are the two ports (bit 2 of byte 0 lets them go
 * past 65535). Checks:
 *  - the header decodes (v1: one CRLF-terminated line of at most 107
 *    bytes, canonical addresses, ports without leading zeros; v2: the
 *    signature, version 2, PROXY or LOCAL, a length that matches);
 *  - it is PROXY TCP4/TCP6 with the same addresses and ports exactly
 *    when both addresses are IP literals of one family and both ports
 *    fit, else UNKNOWN (v1) or LOCAL (v2);
 *  - the encoder never writes past cap: exactly sized heap buffers, one
 *    byte short gives -1.
 */
#define _POSIX_C_SOURCE 200809L
#include "pr_core.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

typedef struct {
    int known;                  /* PROXY with addresses (else UNKNOWN/LOCAL) */
    int family;                 /* 4 or 6 */
    unsigned char src[16], dst[16];
    unsigned sport, dport;
} decoded;

/* A decimal port: 1..5 digits, no leading zero, at most 65535. */
static int v1_port(const char *s, size_t len, unsigned *out)
{
    unsigned long v = 0;
    size_t i;

    if (len == 0 || len > 5 || (len > 1 && s[0] == '0'))
        return -1;
    for (i = 0; i < len; ++i) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v > 65535)
        return -1;
    *out = (unsigned)v;
    return 0;
}

/* An address in the canonical text the spec asks for (what inet_ntop
 * writes for it). */
static int v1_addr(const char *s, size_t len, int family, unsigned char *out)
{
    char buf[64], back[64];
    int af = family == 4 ? AF_INET : AF_INET6;

    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (inet_pton(af, buf, out) != 1)
        return -1;
    if (!inet_ntop(af, out, back, sizeof back) || strcmp(back, buf) != 0)
        return -1;
    return 0;
}

static int decode_v1(const unsigned char *h, size_t n, decoded *d)
{
    const char *s = (const char *)h, *tok[6];
    size_t tl[6], i, k = 0, st;

    memset(d, 0, sizeof *d);
    if (n < 8 || n > 107 || h[n - 2] != '\r' || h[n - 1] != '\n')
        return -1;
    if (memchr(s, '\r', n - 2) || memchr(s, '\n', n - 2) || memchr(s, '\0', n))
        return -1;
    if (n == 15 && memcmp(s, "PROXY UNKNOWN\r\n", 15) == 0)
        return 0;
    for (i = 0, st = 0; i <= n - 2; ++i) {
        if (i == n - 2 || s[i] == ' ') {
            if (k == 6 || i == st)
                return -1;          /* too many fields, or two spaces */
            tok[k] = s + st;
            tl[k++] = i - st;
            st = i + 1;
        }
    }
    if (k != 6 || tl[0] != 5 || memcmp(tok[0], "PROXY", 5) != 0 || tl[1] != 4)
        return -1;
    if (memcmp(tok[1], "TCP4", 4) == 0)
        d->family = 4;
    else if (memcmp(tok[1], "TCP6", 4) == 0)
        d->family = 6;
    else
        return -1;
    if (v1_addr(tok[2], tl[2], d->family, d->src) || v1_addr(tok[3], tl[3], d->family, d->dst)
        || v1_port(tok[4], tl[4], &d->sport) || v1_port(tok[5], tl[5], &d->dport))
        return -1;
    d->known = 1;
    return 0;
}

static int decode_v2(const unsigned char *h, size_t n, decoded *d)
{
    static const unsigned char sig[12] = { 0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                           0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A };
    size_t len, l;

    memset(d, 0, sizeof *d);
    if (n < 16 || memcmp(h, sig, 12) != 0 || (h[12] >> 4) != 2)
        return -1;
    len = ((size_t)h[14] << 8) | h[15];
    if (16 + len != n)
        return -1;
    if ((h[12] & 0x0F) == 0x0) {            /* LOCAL: family ignored */
        return len == 0 && h[13] == 0x00 ? 0 : -1;
    }
    if ((h[12] & 0x0F) != 0x1)
        return -1;
    if (h[13] == 0x11)
        d->family = 4;
    else if (h[13] == 0x21)
        d->family = 6;
    else
        return -1;
    l = d->family == 4 ? 4 : 16;
    if (len != 2 * l + 4)
        return -1;
    memcpy(d->src, h + 16, l);
    memcpy(d->dst, h + 16 + l, l);
    d->sport = ((unsigned)h[16 + 2 * l] << 8) | h[17 + 2 * l];
    d->dport = ((unsigned)h[18 + 2 * l] << 8) | h[19 + 2 * l];
    d->known = 1;
    return 0;
}

/* What the caller gave: family and binary address of a literal. */
static int literal(const char *s, unsigned char *out)
{
    if (inet_pton(AF_INET, s, out) == 1)
        return 4;
    if (inet_pton(AF_INET6, s, out) == 1)
        return 6;
    return 0;
}

static void run(int version, const char *src, unsigned sport, const char *dst,
                unsigned dport)
{
    unsigned char big[PR_PROXY_HEADER_MAX], a_src[16], a_dst[16], *exact;
    int fs = src ? literal(src, a_src) : 0;
    int fd = dst ? literal(dst, a_dst) : 0;
    int known = fs && fs == fd && sport <= 65535 && dport <= 65535;
    int n = pr_proxy_header(version, src, sport, dst, dport, big, sizeof big);
    decoded d;

    CHECK(n > 0 && (size_t)n <= sizeof big);
    CHECK((version == 1 ? decode_v1(big, (size_t)n, &d) : decode_v2(big, (size_t)n, &d)) == 0);
    CHECK(d.known == known);
    if (known) {
        size_t l = fs == 4 ? 4 : 16;
        CHECK(d.family == fs);
        CHECK(memcmp(d.src, a_src, l) == 0 && memcmp(d.dst, a_dst, l) == 0);
        CHECK(d.sport == sport && d.dport == dport);
    }
    /* exactly sized buffers: v1 needs room for snprintf's NUL too */
    {
        size_t need = (size_t)n + (version == 1 ? 1 : 0);
        exact = malloc(need);
        CHECK(exact != NULL);
        CHECK(pr_proxy_header(version, src, sport, dst, dport, exact, need) == n);
        CHECK(memcmp(exact, big, (size_t)n) == 0);
        CHECK(pr_proxy_header(version, src, sport, dst, dport, exact, need - 1) == -1);
        free(exact);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char src[128], dst[128];
    unsigned sport, dport;
    int version, raw, wide;

    if (size < 5)
        return 0;
    version = (data[0] & 1) ? 2 : 1;
    raw = (data[0] >> 1) & 1;
    wide = (data[0] >> 2) & 1;
    sport = ((unsigned)data[1] << 8) | data[2];
    dport = ((unsigned)data[3] << 8) | data[4];
    if (wide) {
        sport += (unsigned)(data[0] >> 3) << 16;
        dport += (unsigned)(data[0] >> 5) << 16;
    }
    data += 5;
    size -= 5;
    if (raw) {
        /* addresses from bytes: a family each (bits of the first byte) */
        unsigned char a[16] = { 0 }, b[16] = { 0 };
        int f1 = size > 0 && (data[0] & 1) ? AF_INET6 : AF_INET;
        int f2 = size > 0 && (data[0] & 2) ? AF_INET6 : AF_INET;

        if (size > 0) {
            memcpy(a, data + 1, size - 1 < 16 ? size - 1 : 16);
            if (size > 17)
                memcpy(b, data + 17, size - 17 < 16 ? size - 17 : 16);
        }
        CHECK(inet_ntop(f1, a, src, sizeof src) && inet_ntop(f2, b, dst, sizeof dst));
        run(version, src, sport, dst, dport);
        return 0;
    }
    {
        const uint8_t *nl = memchr(data, '\n', size);
        size_t l1 = nl ? (size_t)(nl - data) : size;
        size_t l2 = nl ? size - l1 - 1 : 0;

        if (l1 >= sizeof src || l2 >= sizeof dst)
            return 0;
        memcpy(src, data, l1);
        src[l1] = '\0';
        memcpy(dst, nl ? (const char *)nl + 1 : "", l2);
        dst[l2] = '\0';
        /* the encoder takes C strings (APR's): a NUL ends them */
        run(version, src, sport, nl ? dst : NULL, dport);
        run(version, nl ? src : NULL, sport, dst, dport);
    }
    return 0;
}

/*
 * Unit tests for pr_forwarded.c / pr_fwd7239.c (the pure forwarded-headers
 * core): grammar, builder, names. The trust walk: test_fwd_walk.c.
 *
 * gcc -std=c11 -Wall -Wextra -Werror -g -fsanitize=address,undefined \
 *     -Imod_proxy_reencrypt t/unit/test_forwarded.c \
 *     mod_proxy_reencrypt/pr_forwarded.c mod_proxy_reencrypt/pr_fwd7239.c -o /tmp/tf && /tmp/tf
 */
#include "tap.h"
#include "pr_forwarded.h"

#include <stdlib.h>
#include <string.h>

/* Inputs are copied to an exactly sized heap block, with no NUL after
 * them, so ASan catches any read past len. */
static char *dup_exact(const char *s, size_t len)
{
    char *p = malloc(len ? len : 1);
    if (!p)
        abort();
    memcpy(p, s, len);
    return p;
}

static int ip(const char *s)
{
    size_t n = strlen(s);
    char *p = dup_exact(s, n);
    int r = pr_ip_literal(p, n);
    free(p);
    return r;
}

static int xff(const char *s, pr_span *out, size_t cap)
{
    size_t n = strlen(s);
    char *p = dup_exact(s, n);
    int r = pr_xff_parse(p, n, out, cap);
    free(p);
    return r;
}

/* "off:len:port" of entry i, for compact comparisons */
static const char *span_str(const char *s, const pr_span *sp)
{
    static char buf[128];
    snprintf(buf, sizeof buf, "%.*s|%d|%d", (int)sp->len, s + sp->off,
             sp->family, sp->port);
    return buf;
}

static char scratch[4096];
static pr_fwd_elem els[PR_FWD_MAX_ENTRIES];

static int fwd(const char *s)
{
    size_t n = strlen(s);
    char *p = dup_exact(s, n);
    int r = pr_fwd_parse(p, n, els, PR_FWD_MAX_ENTRIES, scratch, sizeof scratch);
    free(p);   /* values live in scratch, not in the input */
    return r;
}

static int hid(const char *s, int *canon)
{
    size_t n = strlen(s);
    char *p = dup_exact(s, n);
    int r = pr_fwd_header_id(p, n, canon);
    free(p);
    return r;
}

static char bout[1024];
static int build(const char *f, const char *b, const char *p, const char *h)
{
    return pr_fwd_build(bout, sizeof bout, pr_str_c(f), pr_str_c(b),
                        pr_str_c(p), pr_str_c(h));
}

static void test_ip_literal(void)
{
    is_int(ip("192.0.2.1"), 4, "ipv4 plain");
    is_int(ip("0.0.0.0"), 4, "ipv4 all zero");
    is_int(ip("255.255.255.255"), 4, "ipv4 broadcast");
    is_int(ip("10.0.0.10"), 4, "ipv4 with inner zeros");
    is_int(ip("01.2.3.4"), 0, "ipv4 leading zero rejected");
    is_int(ip("1.2.3.004"), 0, "ipv4 leading zeros in last octet rejected");
    is_int(ip("256.1.1.1"), 0, "ipv4 octet > 255");
    is_int(ip("1.2.3"), 0, "ipv4 three octets");
    is_int(ip("1.2.3.4.5"), 0, "ipv4 five octets");
    is_int(ip("1.2.3.4."), 0, "ipv4 trailing dot");
    is_int(ip("1..2.3"), 0, "ipv4 empty octet");
    is_int(ip(" 1.2.3.4"), 0, "ipv4 leading space");
    is_int(ip("1.2.3.4 "), 0, "ipv4 trailing space");
    is_int(ip("1.2.3.a"), 0, "ipv4 letter");
    is_int(ip("1.2.3.1234"), 0, "ipv4 4-digit octet");
    is_int(ip("0x1.2.3.4"), 0, "ipv4 hex octet");
    is_int(ip(""), 0, "empty");
    is_int(pr_ip_literal("1.2.3.4", 0), 0, "len 0");
    is_int(pr_ip_literal("1.2.3.45", 7), 4, "len respected (no NUL needed)");

    is_int(ip("2001:db8::1"), 6, "ipv6 compressed");
    is_int(ip("::"), 6, "ipv6 unspecified");
    is_int(ip("::1"), 6, "ipv6 loopback");
    is_int(ip("1::"), 6, "ipv6 trailing ::");
    is_int(ip("2001:0db8:0000:0000:0000:0000:0000:0001"), 6, "ipv6 full");
    is_int(ip("2001:DB8::A"), 6, "ipv6 upper case");
    is_int(ip("::ffff:192.0.2.1"), 6, "ipv6 v4-mapped");
    is_int(ip("1:2:3:4:5:6:1.2.3.4"), 6, "ipv6 six groups + dotted quad");
    is_int(ip("1:2:3:4:5:6:7::"), 6, "ipv6 :: standing for one group");
    is_int(ip("0000:0000:0000:0000:0000:0000:255.255.255.255"), 6, "ipv6 45 chars");
    is_int(ip("1:2:3:4:5:6:7:8:9"), 0, "ipv6 nine groups");
    is_int(ip("1:2:3:4:5:6:7"), 0, "ipv6 seven groups, no ::");
    is_int(ip("1:2:3:4::5:6:7:8"), 0, "ipv6 :: with eight groups");
    is_int(ip("1::2::3"), 0, "ipv6 two ::");
    is_int(ip(":::"), 0, "ipv6 :::");
    is_int(ip(":1::"), 0, "ipv6 leading single colon");
    is_int(ip("1::2:"), 0, "ipv6 trailing single colon");
    is_int(ip("12345::"), 0, "ipv6 5-digit group");
    is_int(ip("::g"), 0, "ipv6 non-hex");
    is_int(ip("fe80::1%eth0"), 0, "ipv6 zone id rejected");
    is_int(ip("[::1]"), 0, "brackets are not part of a literal");
    is_int(ip("::ffff:01.2.3.4"), 0, "ipv6 dotted quad with leading zero");
    is_int(ip("::1.2.3.4:5"), 0, "ipv6 dotted quad not last");
    is_int(ip("1:2:3:4:5:6:7:1.2.3.4"), 0, "ipv6 too long with dotted quad");
}

static void test_xff(void)
{
    pr_span sp[8];
    const char *h;

    h = "192.0.2.1";
    is_int(xff(h, sp, 8), 1, "xff single");
    is_str(span_str(h, &sp[0]), "192.0.2.1|4|-1", "xff single span");

    h = "203.0.113.7, 2001:db8::1 ,\t198.51.100.2";
    is_int(xff(h, sp, 8), 3, "xff three with OWS");
    is_str(span_str(h, &sp[0]), "203.0.113.7|4|-1", "xff[0]");
    is_str(span_str(h, &sp[1]), "2001:db8::1|6|-1", "xff[1] bare v6");
    is_str(span_str(h, &sp[2]), "198.51.100.2|4|-1", "xff[2] after tab");

    h = "  10.0.0.1  ";
    is_int(xff(h, sp, 8), 1, "xff surrounding OWS");
    is_str(span_str(h, &sp[0]), "10.0.0.1|4|-1", "xff trimmed");

    h = "[2001:db8::2], 192.0.2.9:8080, [::1]:443";
    is_int(xff(h, sp, 8), 3, "xff brackets and ports tolerated");
    is_str(span_str(h, &sp[0]), "2001:db8::2|6|-1", "xff [v6] stripped");
    is_str(span_str(h, &sp[1]), "192.0.2.9|4|8080", "xff v4:port stripped");
    is_str(span_str(h, &sp[2]), "::1|6|443", "xff [v6]:port stripped");

    is_int(xff("", sp, 8), PR_FWD_MALFORMED, "xff empty value");
    is_int(xff("   ", sp, 8), PR_FWD_MALFORMED, "xff only OWS");
    is_int(xff("1.2.3.4,", sp, 8), PR_FWD_MALFORMED, "xff trailing comma");
    is_int(xff(",1.2.3.4", sp, 8), PR_FWD_MALFORMED, "xff leading comma");
    is_int(xff("1.2.3.4, ,5.6.7.8", sp, 8), PR_FWD_MALFORMED, "xff empty middle");
    is_int(xff("unknown", sp, 8), PR_FWD_MALFORMED, "xff unknown");
    is_int(xff("1.2.3.4, example.com", sp, 8), PR_FWD_MALFORMED, "xff hostname");
    is_int(xff("1.2.3.4 5.6.7.8", sp, 8), PR_FWD_MALFORMED, "xff space-separated");
    is_int(xff("1.2.3.4;5.6.7.8", sp, 8), PR_FWD_MALFORMED, "xff semicolon");
    is_int(xff("1.2.3.4:", sp, 8), PR_FWD_MALFORMED, "xff empty port");
    is_int(xff("1.2.3.4:65536", sp, 8), PR_FWD_MALFORMED, "xff port > 65535");
    is_int(xff("1.2.3.4:123456", sp, 8), PR_FWD_MALFORMED, "xff 6-digit port");
    is_int(xff("[1.2.3.4]", sp, 8), PR_FWD_MALFORMED, "xff bracketed v4");
    is_int(xff("[::1", sp, 8), PR_FWD_MALFORMED, "xff unclosed bracket");
    is_int(xff("[::1]x", sp, 8), PR_FWD_MALFORMED, "xff junk after bracket");
    is_int(xff("\"1.2.3.4\"", sp, 8), PR_FWD_MALFORMED, "xff quoted");
    is_int(xff("1.2.3.4\r\n", sp, 8), PR_FWD_MALFORMED, "xff CRLF is not OWS");
    is_int(xff("fe80::1%eth0", sp, 8), PR_FWD_MALFORMED, "xff zone id");

    is_int(xff("1.1.1.1,2.2.2.2,3.3.3.3", sp, 2), PR_FWD_TOOBIG, "xff more entries than cap");
    is_int(xff("1.1.1.1,2.2.2.2", sp, 2), 2, "xff exactly cap");
    is_int(xff("1.1.1.1,2.2.2.2,junk", NULL, 0), PR_FWD_MALFORMED,
           "xff malformed wins over too big");
    is_int(xff("1.1.1.1", NULL, 0), PR_FWD_TOOBIG, "xff cap 0");
    {
        /* 65 entries > PR_FWD_MAX_ENTRIES even with a huge cap */
        char big[65 * 12];
        pr_span many[100];
        size_t k, o = 0;
        for (k = 0; k < 65; k++)
            o += (size_t)sprintf(big + o, "%s10.0.0.%u", k ? "," : "", (unsigned)(k % 200));
        is_int(xff(big, many, 100), PR_FWD_TOOBIG, "xff 65 entries is too big");
        big[o - strlen(",10.0.0.64")] = '\0';   /* drop the 65th */
        is_int(xff(big, many, 100), 64, "xff 64 entries is the maximum");
        is_str(span_str(big, &many[63]), "10.0.0.63|4|-1", "xff 64th entry");
    }
    {
        char *huge = malloc(PR_FWD_MAX_INPUT + 1);
        memset(huge, ' ', PR_FWD_MAX_INPUT + 1);
        memcpy(huge, "1.2.3.4", 7);
        is_int(pr_xff_parse(huge, PR_FWD_MAX_INPUT + 1, sp, 8), PR_FWD_TOOBIG,
               "xff input over 8 KiB");
        is_int(pr_xff_parse(huge, PR_FWD_MAX_INPUT, sp, 8), 1,
               "xff input of exactly 8 KiB");
        free(huge);
    }
    is_int(pr_xff_parse("1.2.3.4, 5.6.7.8", 7, sp, 8), 1, "xff len respected");
}

static void test_fwd_parse(void)
{
    is_int(fwd("for=192.0.2.43"), 1, "fwd simple");
    is_str(els[0].for_.val, "192.0.2.43", "fwd for value");
    is_int(els[0].for_node.kind, PR_NODE_IPV4, "fwd for kind ipv4");
    ok(els[0].by.val == NULL && els[0].proto.val == NULL && els[0].host.val == NULL,
       "fwd absent params are NULL");

    is_int(fwd("for=\"[2001:db8:cafe::17]:4711\""), 1, "fwd quoted v6 with port");
    is_str(els[0].for_.val, "[2001:db8:cafe::17]:4711", "fwd v6 value unquoted");
    is_int(els[0].for_node.kind, PR_NODE_IPV6, "fwd v6 kind");
    is_int((int)els[0].for_node.addr_len, 17, "fwd v6 addr without brackets");
    is_int(els[0].for_node.port, 4711, "fwd v6 port");

    is_int(fwd("For=192.0.2.60;Proto=HTTP;By=203.0.113.43;HOST=example.com"), 1,
           "fwd case-insensitive names");
    is_str(els[0].proto.val, "HTTP", "fwd proto value kept as sent");
    is_str(els[0].by.val, "203.0.113.43", "fwd by");
    is_str(els[0].host.val, "example.com", "fwd host");
    is_int((int)els[0].n_pairs, 4, "fwd pair count");

    is_int(fwd("for=192.0.2.43, for=\"[2001:db8:cafe::17]\" ,for=unknown"), 3,
           "fwd three elements with OWS");
    is_int(els[1].for_node.kind, PR_NODE_IPV6, "fwd elem 2 v6");
    is_int(els[2].for_node.kind, PR_NODE_UNKNOWN, "fwd elem 3 unknown");

    is_int(fwd("for=UNKNOWN"), 1, "fwd unknown in capitals");
    is_int(fwd("for=_hidden, for=_SEVKISEK"), 2, "fwd obfuscated nodes");
    is_int(els[0].for_node.kind, PR_NODE_OBFUSCATED, "fwd obf kind");
    is_int(fwd("for=\"_gazonk:_p.1\""), 1, "fwd obfuscated port");
    is_int(els[0].for_node.port, PR_PORT_OBFUSCATED, "fwd obf port kind");
    is_int(fwd("for=\"192.0.2.43:8080\""), 1, "fwd quoted v4 with port");
    is_int(els[0].for_node.port, 8080, "fwd v4 port value");
    is_int(fwd("for=\"\\[::1\\]\""), 1, "fwd quoted-pairs inside node");
    is_str(els[0].for_.val, "[::1]", "fwd quoted-pairs unescaped");
    is_int(fwd("for=1.2.3.4;ext=\"a \\\"quoted\\\" \\\\ thing\""), 1,
           "fwd extension with escapes ignored");
    is_int((int)els[0].n_pairs, 2, "fwd extension counted");
    is_int(fwd("for=1.2.3.4 ; proto=https ;host=\"example.com:8443\""), 1,
           "fwd OWS around ;");
    is_str(els[0].host.val, "example.com:8443", "fwd host with port");
    is_int(fwd("for=1.2.3.4;;proto=http;"), 1, "fwd empty pairs allowed");
    is_int(fwd("host=example.com"), 1, "fwd element without for");
    ok(els[0].for_.val == NULL, "fwd for absent");
    is_int(fwd("host=\"[2001:db8::1]:8443\""), 1, "fwd host v6 literal");
    is_int(fwd("proto=coap+tcp"), 1, "fwd proto scheme chars");

    is_int(fwd(""), PR_FWD_MALFORMED, "fwd empty");
    is_int(fwd("  "), PR_FWD_MALFORMED, "fwd only OWS");
    is_int(fwd("for=1.2.3.4,"), PR_FWD_MALFORMED, "fwd trailing comma");
    is_int(fwd("for=1.2.3.4,,for=5.6.7.8"), PR_FWD_MALFORMED, "fwd empty element");
    is_int(fwd(";"), PR_FWD_MALFORMED, "fwd element with no pair");
    is_int(fwd("for=1.2.3.4;for=5.6.7.8"), PR_FWD_MALFORMED, "fwd duplicate for");
    is_int(fwd("proto=http;PROTO=https"), PR_FWD_MALFORMED, "fwd duplicate proto, case-folded");
    is_int(fwd("for=1.2.3.4, for=5.6.7.8"), 2, "fwd same param in two elements ok");
    is_int(fwd("for=\"1.2.3.4"), PR_FWD_MALFORMED, "fwd unterminated quote");
    is_int(fwd("for=\"1.2.3.4\\\""), PR_FWD_MALFORMED, "fwd escaped closing quote");
    is_int(fwd("for=\"1.2.3.4\\"), PR_FWD_MALFORMED, "fwd backslash at end");
    is_int(fwd("for=[::1]"), PR_FWD_MALFORMED, "fwd unquoted v6 (not a token)");
    is_int(fwd("for=\"2001:db8::1\""), PR_FWD_MALFORMED, "fwd v6 without brackets");
    is_int(fwd("for=1.2.3.4:80"), PR_FWD_MALFORMED, "fwd unquoted port (':' not tchar)");
    is_int(fwd("for=example.com"), PR_FWD_MALFORMED, "fwd hostname node");
    is_int(fwd("for=_"), PR_FWD_MALFORMED, "fwd bare underscore");
    is_int(fwd("for=\"_a:\""), PR_FWD_MALFORMED, "fwd empty port");
    is_int(fwd("for=\"1.2.3.4:99999\""), PR_FWD_MALFORMED, "fwd port > 65535");
    is_int(fwd("for=01.2.3.4"), PR_FWD_MALFORMED, "fwd leading-zero v4");
    is_int(fwd("for = 1.2.3.4"), PR_FWD_MALFORMED, "fwd OWS around =");
    is_int(fwd("for="), PR_FWD_MALFORMED, "fwd empty token value");
    is_int(fwd("for=\"\""), PR_FWD_MALFORMED, "fwd empty quoted for");
    is_int(fwd("=1.2.3.4"), PR_FWD_MALFORMED, "fwd empty name");
    is_int(fwd("f(r=1.2.3.4"), PR_FWD_MALFORMED, "fwd bad token in name");
    is_int(fwd("for"), PR_FWD_MALFORMED, "fwd name without =");
    is_int(fwd("for=1.2.3.4 proto=http"), PR_FWD_MALFORMED, "fwd missing ;");
    is_int(fwd("x=\"a\001b\""), PR_FWD_MALFORMED, "fwd CTL in quoted-string");
    is_int(fwd("x=\"a\\\001\""), PR_FWD_MALFORMED, "fwd CTL in quoted-pair");
    is_int(fwd("proto=1http"), PR_FWD_MALFORMED, "fwd proto not a scheme");
    is_int(fwd("host=\"exa mple\""), PR_FWD_MALFORMED, "fwd host with space");
    is_int(fwd("host=\"a%zz\""), PR_FWD_MALFORMED, "fwd host bad pct-encoding");
    is_int(fwd("host=\"a:\""), PR_FWD_MALFORMED, "fwd host empty port");
    is_int(pr_fwd_parse("for=1.2.3.4\0", 12, els, 4, scratch, sizeof scratch),
           PR_FWD_MALFORMED, "fwd NUL byte in input");
    is_int(pr_fwd_parse("for=1.2.3.4;proto=http", 11, els, 4, scratch, sizeof scratch),
           1, "fwd len respected");

    {
        char small[8];
        is_int(pr_fwd_parse("for=192.0.2.43", 14, els, 4, small, sizeof small),
               PR_FWD_TOOBIG, "fwd scratch too small");
        is_int(pr_fwd_parse("for=192.0.2.43", 14, els, 0, scratch, sizeof scratch),
               PR_FWD_TOOBIG, "fwd cap 0");
        is_int(pr_fwd_parse("for=192.0.2.43, for=[", 21, NULL, 0, NULL, 0),
               PR_FWD_MALFORMED, "fwd malformed wins over too big");
        is_int(pr_fwd_parse("for=192.0.2.43", 14, els, 1, scratch, 11),
               1, "fwd scratch exactly len+1");
    }
    {
        /* a host value longer than PR_FWD_MAX_VALUE */
        char h[PR_FWD_MAX_VALUE + 16];
        memcpy(h, "host=", 5);
        memset(h + 5, 'a', PR_FWD_MAX_VALUE + 1);
        is_int(pr_fwd_parse(h, 5 + PR_FWD_MAX_VALUE + 1, els, 4, scratch, sizeof scratch),
               PR_FWD_MALFORMED, "fwd value over PR_FWD_MAX_VALUE");
        is_int(pr_fwd_parse(h, 5 + PR_FWD_MAX_VALUE, els, 4, scratch, sizeof scratch),
               1, "fwd value of exactly PR_FWD_MAX_VALUE");
    }
}

static void test_build(void)
{
    is_int(build("192.0.2.1", NULL, "https", "example.com"),
           (int)strlen("for=192.0.2.1;proto=https;host=example.com"), "build length");
    is_str(bout, "for=192.0.2.1;proto=https;host=example.com", "build v4 plain");
    build("2001:db8::1", NULL, "http", NULL);
    is_str(bout, "for=\"[2001:db8::1]\";proto=http", "build v6 quoted and bracketed");
    build(NULL, NULL, NULL, NULL);
    is_str(bout, "for=unknown", "build NULL for -> unknown");
    build("192.0.2.1", "203.0.113.5", "https", "example.com:8443");
    is_str(bout, "for=192.0.2.1;by=203.0.113.5;proto=https;host=\"example.com:8443\"",
           "build host with port is quoted");
    build("192.0.2.1", "::1", NULL, "[2001:db8::5]:443");
    is_str(bout, "for=192.0.2.1;by=\"[::1]\";host=\"[2001:db8::5]:443\"",
           "build by v6, host v6 literal");
    is_int(build("_hidden", "[::1]:8080\"", NULL, NULL), PR_FWD_MALFORMED,
           "build rejects a stray quote in by");
    build("[::1]:8080", "_proxy:_p1", NULL, NULL);
    is_str(bout, "for=\"[::1]:8080\";by=\"_proxy:_p1\"", "build node forms quoted as needed");
    build("_hidden", NULL, NULL, "a!b$c");
    is_str(bout, "for=_hidden;host=a!b$c", "build tchar-only host as token");
    build("192.0.2.1", NULL, NULL, "a,b;c=d");
    is_str(bout, "for=192.0.2.1;host=\"a,b;c=d\"", "build sub-delims host quoted");

    is_int(build("example.com", NULL, NULL, NULL), PR_FWD_MALFORMED, "build bad for");
    is_int(build("", NULL, NULL, NULL), PR_FWD_MALFORMED, "build empty for");
    is_int(build("1.2.3.4", NULL, "ht tp", NULL), PR_FWD_MALFORMED, "build bad proto");
    is_int(build("1.2.3.4", NULL, NULL, "exa\tmple.com"), PR_FWD_MALFORMED,
           "build host with CTL");
    is_int(build("1.2.3.4", NULL, NULL, "a\"b"), PR_FWD_MALFORMED, "build host with quote");
    is_int(build("1.2.3.4", NULL, NULL, "ex\r\nX-Evil: 1"), PR_FWD_MALFORMED,
           "build host with CRLF");
    is_int(build("1.2.3.4", NULL, NULL, ""), PR_FWD_MALFORMED, "build empty host");
    is_str(bout, "", "build output emptied on error");
    {
        char small[12];
        is_int(pr_fwd_build(small, sizeof small, pr_str_c("192.0.2.1"), pr_str_none(),
                            pr_str_none(), pr_str_none()), PR_FWD_TOOBIG,
               "build: 13 bytes in 12");
        {
            char exact[14];
            is_int(pr_fwd_build(exact, 13, pr_str_c("192.0.2.1"), pr_str_none(),
                                pr_str_none(), pr_str_none()), PR_FWD_TOOBIG,
                   "build: no room for the NUL is too big");
            is_int(pr_fwd_build(exact, sizeof exact, pr_str_c("192.0.2.1"), pr_str_none(),
                                pr_str_none(), pr_str_none()), 13, "build: exact fit");
        }
    }
    {
        /* round trip */
        int n;
        build("2001:db8::1", "_by", "https", "example.com:8443");
        n = fwd(bout);
        is_int(n, 1, "round trip parses");
        is_str(els[0].for_.val, "[2001:db8::1]", "round trip for");
        is_str(els[0].by.val, "_by", "round trip by");
        is_str(els[0].proto.val, "https", "round trip proto");
        is_str(els[0].host.val, "example.com:8443", "round trip host");
    }
    {
        /* for_ given with explicit length, not NUL-terminated */
        char *p = dup_exact("10.1.2.3XYZ", 11);
        is_int(pr_fwd_build(bout, sizeof bout, pr_str_n(p, 8), pr_str_none(),
                            pr_str_none(), pr_str_none()), 12, "build with pr_str_n");
        is_str(bout, "for=10.1.2.3", "build respects lengths");
        free(p);
    }
}

static void test_header_id(void)
{
    int c = -1;
    is_int(hid("X-Forwarded-For", &c), PR_HDR_X_FORWARDED_FOR, "hdr canonical");
    is_int(c, 1, "hdr canonical flag");
    is_int(hid("X-FORWARDED-FOR", &c), PR_HDR_X_FORWARDED_FOR, "hdr upper case");
    is_int(c, 1, "hdr upper case is dash form");
    is_int(hid("x_forwarded_for", &c), PR_HDR_X_FORWARDED_FOR, "hdr underscores fold");
    is_int(c, 0, "hdr underscore flag");
    is_int(hid("X-Forwarded_For", &c), PR_HDR_X_FORWARDED_FOR, "hdr mixed");
    is_int(c, 0, "hdr mixed is not canonical");
    is_int(hid("x-forwarded-proto", NULL), PR_HDR_X_FORWARDED_PROTO, "hdr proto, NULL flag ok");
    is_int(hid("X-Forwarded-Host", NULL), PR_HDR_X_FORWARDED_HOST, "hdr host");
    is_int(hid("X-Forwarded-Port", NULL), PR_HDR_X_FORWARDED_PORT, "hdr port");
    is_int(hid("x_forwarded_server", NULL), PR_HDR_X_FORWARDED_SERVER, "hdr server");
    is_int(hid("x-real-ip", &c), PR_HDR_X_REAL_IP, "hdr real ip lower");
    is_int(hid("X_Real_IP", &c), PR_HDR_X_REAL_IP, "hdr real ip underscores");
    is_int(hid("Forwarded", &c), PR_HDR_FORWARDED, "hdr Forwarded");
    is_int(hid("FORWARDED", &c), PR_HDR_FORWARDED, "hdr FORWARDED");
    is_int(hid("X-Forwarded-Fort", &c), PR_HDR_OTHER, "hdr X-Forwarded-Fort is not ours");
    is_int(hid("X-Forwarded-Fo", &c), PR_HDR_OTHER, "hdr prefix is not ours");
    is_int(hid("X-Forwarded", &c), PR_HDR_OTHER, "hdr X-Forwarded");
    is_int(hid("Forwarded-For", &c), PR_HDR_OTHER, "hdr Forwarded-For");
    is_int(hid("X.Forwarded.For", &c), PR_HDR_OTHER, "hdr dots do not fold");
    is_int(hid("", &c), PR_HDR_OTHER, "hdr empty");
    is_int(pr_fwd_header_id("Forwarded-Extra", 9, NULL), PR_HDR_FORWARDED, "hdr len respected");
    is_str(pr_fwd_header_name(PR_HDR_X_REAL_IP), "X-Real-IP", "hdr name");
    ok(pr_fwd_header_name(PR_HDR_OTHER) == NULL && pr_fwd_header_name(99) == NULL,
       "hdr name out of range");
}

static void test_validators(void)
{
    pr_node nd;
    is_int(pr_node_parse("unknown:_x", 10, &nd), PR_FWD_OK, "node unknown with obf port");
    is_int(pr_node_parse("[::1]:0", 7, &nd), PR_FWD_OK, "node port 0");
    is_int(nd.port, 0, "node port 0 value");
    is_int(pr_node_parse("[::1]:", 6, &nd), PR_FWD_MALFORMED, "node empty port");
    is_int(pr_node_parse("1.2.3.4:_", 9, &nd), PR_FWD_MALFORMED, "node bare _ port");
    is_int(pr_host_valid("example.com", 11), 1, "host dns");
    is_int(pr_host_valid("ex%41mple", 9), 1, "host pct-encoded");
    is_int(pr_host_valid("[v1.x]", 6), 0, "host IPvFuture rejected");
    is_int(pr_host_valid(":80", 3), 0, "host empty name");
    is_int(pr_proto_valid("https", 5), 1, "proto https");
    is_int(pr_proto_valid("h_ttp", 5), 0, "proto underscore");
}

/* The first-letter filter callers apply before pr_fwd_in_family(): it
 * never drops a name of the family, in any spelling. */
static void test_family_initial(void)
{
    static const char *const fam[] = {
        "X-Forwarded", "X-Forwarded-For", "x_forwarded_proto", "Forwarded", "X-Real-IP",
        "X-Client-IP", "client_ip", "True-Client-IP", "X-Cluster-Client-IP",
        "CF-Connecting-IP", "fastly-client-ip", "X-Original-Forwarded-For",
        "FRONT-END-HTTPS", "X-Url-Scheme",
    };
    size_t i;

    for (i = 0; i < sizeof(fam) / sizeof(fam[0]); i++) {
        is_int(pr_fwd_in_family(fam[i], strlen(fam[i])), 1, fam[i]);
        is_int(pr_fwd_family_initial((unsigned char)fam[i][0]), 1, fam[i]);
    }
    is_int(pr_fwd_family_initial('H'), 0, "Host is skipped by its first letter");
    is_int(pr_fwd_family_initial('a'), 0, "accept is skipped by its first letter");
    is_int(pr_fwd_family_initial('U'), 0, "User-Agent is skipped by its first letter");
}

int main(void)
{
    test_family_initial();
    test_ip_literal();
    test_xff();
    test_fwd_parse();
    test_build();
    test_header_id();
    test_validators();
    return done_testing();
}

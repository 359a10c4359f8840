/*
 * Unit tests of the pure core: keyword parsers, names, pins, schemes and
 * reason names (decisions: test_decide.c). With a PKI directory as argv[1] (build/pki.sh output) the
 * OpenSSL facts layer (pr_x509.c) is tested on real certificates too.
 */
#include "tap.h"
#include "pki.h"

#include <stdlib.h>

#include <openssl/pem.h>

#include "pr_core.h"
#include "pr_x509.h"

#define S(lit) lit, sizeof(lit) - 1

static void test_keywords(void)
{
    pr_policy pol;
    pr_verify ver;
    pr_crl crl;
    pr_fwd_mode fm;
    int v;

    ok(pr_parse_policy(S("enforce"), &pol) == 0 && pol == PR_POLICY_ENFORCE, "policy enforce");
    ok(pr_parse_policy(S("AUDIT"), &pol) == 0 && pol == PR_POLICY_AUDIT, "policy is case-insensitive");
    ok(pr_parse_policy(S("off"), &pol) == 0 && pol == PR_POLICY_OFF, "policy off");
    ok(pr_parse_policy(S("enforced"), &pol) == -1, "policy: a longer word is refused");
    ok(pr_parse_policy(S("enforc"), &pol) == -1, "policy: a prefix is refused");
    ok(pr_parse_policy("enforce", 0, &pol) == -1, "policy: empty is refused");
    /* not NUL-terminated input: the length is what counts */
    ok(pr_parse_policy("auditXYZ", 5, &pol) == 0 && pol == PR_POLICY_AUDIT,
       "policy: length, not NUL, ends the word");
    ok(pr_parse_verify(S("pin"), &ver) == 0 && ver == PR_VERIFY_PIN, "verify pin");
    ok(pr_parse_verify(S("chain"), &ver) == 0 && ver == PR_VERIFY_CHAIN, "verify chain");
    ok(pr_parse_verify(S("none"), &ver) == -1, "verify none is not a keyword");
    ok(pr_parse_onoff(S("On"), &v) == 0 && v == 1, "On");
    ok(pr_parse_onoff(S("yes"), &v) == -1, "yes is not On");
    ok(pr_parse_crl_check(S("leaf"), &crl) == 0 && crl == PR_CRL_LEAF, "crl leaf");
    ok(pr_parse_crl_check(S("all"), &crl) == -1, "crl all refused");
    ok(pr_parse_fwd_mode(S("both"), &fm) == 0 && fm == PR_FWD_MODE_BOTH, "forwarded both");
    ok(pr_parse_fwd_mode(S("rfc7239"), &fm) == 0 && fm == PR_FWD_MODE_RFC7239, "forwarded rfc7239");
    ok(pr_parse_min_protocol(S("TLSv1.3"), &v) == 0 && v == 0x0304, "TLSv1.3");
    ok(pr_parse_min_protocol(S("TLSv1.1"), &v) == -1, "TLSv1.1 refused");
}

static void test_numbers(void)
{
    long n = 0;

    ok(pr_parse_uint(S("4"), 0, 100, &n) == 0 && n == 4, "uint 4");
    ok(pr_parse_uint(S("0"), 0, 100, &n) == 0 && n == 0, "uint 0");
    ok(pr_parse_uint(S("-1"), 0, 100, &n) == -1, "negative refused");
    ok(pr_parse_uint(S("101"), 0, 100, &n) == -1, "above max refused");
    ok(pr_parse_uint(S("1x"), 0, 100, &n) == -1, "trailing junk refused");
    ok(pr_parse_uint(S(" 1"), 0, 100, &n) == -1, "leading space refused");
    ok(pr_parse_uint(S("99999999999999"), 0, 100, &n) == -1, "overflow refused");
    ok(pr_parse_uint("", 0, 0, 100, &n) == -1, "empty refused");
}

static void test_names(void)
{
    is_int(pr_classify_name(S("backend.test"), 0), PR_NAME_DNS, "DNS name");
    is_int(pr_classify_name(S("localhost"), 0), PR_NAME_DNS, "single label");
    is_int(pr_classify_name(S("backend.test."), 0), PR_NAME_DNS, "trailing dot");
    is_int(pr_classify_name(S("192.0.2.42"), 0), 4, "IPv4");
    is_int(pr_classify_name(S("2001:db8::1"), 0), 6, "IPv6");
    is_int(pr_classify_name(S("::1"), 0), 6, "IPv6 loopback");
    is_int(pr_classify_name(S("bad name"), 0), PR_NAME_INVALID, "space refused");
    is_int(pr_classify_name(S("-lead.test"), 0), PR_NAME_INVALID, "leading hyphen refused");
    is_int(pr_classify_name(S("a..b"), 0), PR_NAME_INVALID, "empty label refused");
    is_int(pr_classify_name(S("*.example.com"), 0), PR_NAME_INVALID, "wildcard refused when not allowed");
    is_int(pr_classify_name(S("*.example.com"), 1), PR_NAME_DNS, "wildcard allowed when asked");
    is_int(pr_classify_name(S("a.*.com"), 1), PR_NAME_INVALID, "inner wildcard refused");
    is_int(pr_classify_name(S("[::1]"), 0), PR_NAME_INVALID, "bracketed IPv6 is not a name");
    is_int(pr_classify_name("", 0, 0), PR_NAME_INVALID, "empty refused");
    {
        char longlabel[80];
        memset(longlabel, 'a', 64);
        is_int(pr_classify_name(longlabel, 64, 0), PR_NAME_INVALID, "64-octet label refused");
        is_int(pr_classify_name(longlabel, 63, 0), PR_NAME_DNS, "63-octet label accepted");
    }
    /* dotted-numeric strings that are not IP addresses are not DNS names
     * either: no top-level label is all digits (RFC 3696 2), and a
     * resolver would read them as numbers (inet_aton) */
    is_int(pr_classify_name(S("256.1.1.1"), 0), PR_NAME_INVALID, "256.1.1.1 is neither IP nor name");
    is_int(pr_classify_name(S("10.0.0"), 0), PR_NAME_INVALID, "10.0.0 is neither IP nor name");
    is_int(pr_classify_name(S("1.2.3.4.5"), 0), PR_NAME_INVALID, "1.2.3.4.5 refused");
    is_int(pr_classify_name(S("127.1"), 0), PR_NAME_INVALID, "127.1 refused");
    is_int(pr_classify_name(S("2130706433"), 0), PR_NAME_INVALID, "a bare number refused");
    is_int(pr_classify_name(S("0x7f.1"), 0), PR_NAME_INVALID, "hex dotted refused");
    is_int(pr_classify_name(S("0x7f000001"), 0), PR_NAME_INVALID, "hex number refused");
    is_int(pr_classify_name(S("10.0.0.1."), 0), PR_NAME_INVALID, "IPv4 with a trailing dot refused");
    is_int(pr_classify_name(S("host.example.123"), 0), PR_NAME_INVALID, "numeric TLD refused");
    is_int(pr_classify_name(S("1.example.com"), 0), PR_NAME_DNS, "numeric inner label accepted");
    is_int(pr_classify_name(S("123.example"), 0), PR_NAME_DNS, "numeric first label accepted");
    is_int(pr_classify_name(S("0xdead.example"), 0), PR_NAME_DNS, "hex-looking inner label accepted");
    /* counted, not NUL-terminated: an embedded NUL is not the end */
    is_int(pr_classify_name("1.2.3.4\0x", 9, 0), PR_NAME_INVALID, "embedded NUL after an IPv4 refused");
    is_int(pr_classify_name("::1\0", 4, 0), PR_NAME_INVALID, "embedded NUL after an IPv6 refused");
    is_int(pr_classify_name("10.0.0.1zzz", 8, 0), 4, "the length ends an IP literal");
}

static void test_keyword_names(void)
{
    static const char *const kw[] = { "on", "ON", "off", "yes", "no", "true", "false",
                                      "none", "default", "auto", "enable", "enabled",
                                      "disable", "disabled", "null" };
    size_t i;

    for (i = 0; i < sizeof(kw) / sizeof(kw[0]); ++i) {
        ok(pr_name_is_keyword(kw[i], strlen(kw[i])), "'%s' is a keyword, not a name", kw[i]);
    }
    ok(!pr_name_is_keyword(S("localhost")), "localhost is a name");
    ok(!pr_name_is_keyword(S("on.example")), "on.example is a name");
    ok(!pr_name_is_keyword(S("onx")), "onx is a name");
    ok(pr_name_is_keyword("onx", 2), "the length ends the word");
}

static void test_cidr(void)
{
    pr_cidr c;
    const char *why = NULL;
    static const unsigned char v4[16] = { 10, 0, 0, 0 };

    ok(pr_parse_cidr(S("10.0.0.0/8"), &c, &why) == 0 && c.family == 4 && c.prefix == 8
       && !memcmp(c.addr, v4, 4), "10.0.0.0/8");
    ok(pr_parse_cidr(S("127.0.0.1"), &c, &why) == 0 && c.family == 4 && c.prefix == 32,
       "a bare IPv4 is a /32");
    ok(pr_parse_cidr(S("::1"), &c, &why) == 0 && c.family == 6 && c.prefix == 128,
       "a bare IPv6 is a /128");
    ok(pr_parse_cidr(S("2001:db8::/32"), &c, &why) == 0 && c.family == 6 && c.prefix == 32,
       "2001:db8::/32");
    ok(pr_parse_cidr(S("10.0.0.0/255.0.0.0"), &c, &why) == 0 && c.prefix == 8,
       "dotted netmask");
    ok(pr_parse_cidr(S("10.0.0.0/255.0.255.0"), &c, &why) == -1 && strstr(why, "contiguous"),
       "non-contiguous netmask refused with the reason");
    ok(pr_parse_cidr(S("10.0.0.1/8"), &c, &why) == -1 && strstr(why, "host bits"),
       "host bits set refused with the reason");
    ok(pr_parse_cidr(S("2001:db8::1/32"), &c, &why) == -1 && strstr(why, "host bits"),
       "IPv6 host bits refused");
    ok(pr_parse_cidr(S("0.0.0.0/0"), &c, &why) == -1 && strstr(why, "every address"),
       "0.0.0.0/0 refused: trusting everyone");
    ok(pr_parse_cidr(S("::/0"), &c, &why) == -1 && strstr(why, "every address"),
       "::/0 refused: trusting everyone");
    ok(pr_parse_cidr(S("0.0.0.0/0.0.0.0"), &c, &why) == -1 && strstr(why, "every address"),
       "0.0.0.0/0.0.0.0 refused: trusting everyone");
    ok(pr_parse_cidr(S("10.0.0.0/33"), &c, &why) == -1 && strstr(why, "prefix"),
       "/33 refused");
    ok(pr_parse_cidr(S("::/129"), &c, &why) == -1, "/129 refused");
    ok(pr_parse_cidr(S("10.0.0.0/"), &c, &why) == -1, "empty prefix refused");
    ok(pr_parse_cidr(S("10.0.0.0/08"), &c, &why) == -1, "leading zero prefix refused");
    ok(pr_parse_cidr(S("10.0.0.0/+8"), &c, &why) == -1, "signed prefix refused");
    ok(pr_parse_cidr(S("10.0.0.0/8/8"), &c, &why) == -1, "two slashes refused");
    ok(pr_parse_cidr(S("host.example"), &c, &why) == -1 && strstr(why, "IP address"),
       "a name refused");
    ok(pr_parse_cidr(S("::1/ffff::"), &c, &why) == -1, "IPv6 netmask form refused");
    ok(pr_parse_cidr("10.0.0.0/8\0", 11, &c, &why) == -1, "embedded NUL refused");
    ok(pr_parse_cidr("10.0.0.0/8xx", 10, &c, &why) == 0 && c.prefix == 8, "length ends it");
    ok(pr_parse_cidr(S("0.0.0.0/1"), &c, &why) == 0 && c.prefix == 1, "0.0.0.0/1 accepted");

    /* IPv4-mapped IPv6 (::ffff:0:0/96): the IPv4 block it names, so that
     * it matches IPv4 peers and mapped ones alike (APR matches a mapped
     * peer against IPv4 blocks only, and refuses a mapped block) */
    {
        static const unsigned char lo[4] = { 127, 0, 0, 1 };
        static const unsigned char ten[4] = { 10, 0, 0, 0 };

        ok(pr_parse_cidr(S("::ffff:127.0.0.1"), &c, &why) == 0 && c.family == 4
           && c.prefix == 32 && !memcmp(c.addr, lo, 4), "::ffff:127.0.0.1 is 127.0.0.1/32");
        ok(pr_parse_cidr(S("::FFFF:7f00:1/128"), &c, &why) == 0 && c.family == 4
           && c.prefix == 32 && !memcmp(c.addr, lo, 4), "::FFFF:7f00:1/128 is 127.0.0.1/32");
        ok(pr_parse_cidr(S("::ffff:10.0.0.0/104"), &c, &why) == 0 && c.family == 4
           && c.prefix == 8 && !memcmp(c.addr, ten, 4), "::ffff:10.0.0.0/104 is 10.0.0.0/8");
        ok(pr_parse_cidr(S("::ffff:10.0.0.1/104"), &c, &why) == -1 && strstr(why, "host bits"),
           "::ffff:10.0.0.1/104: host bits refused");
        ok(pr_parse_cidr(S("::ffff:0.0.0.0/96"), &c, &why) == -1 && strstr(why, "every address"),
           "::ffff:0.0.0.0/96 (every IPv4 peer) refused");
        ok(pr_parse_cidr(S("::ffff:0:0/95"), &c, &why) == -1 && strstr(why, "host bits"),
           "::ffff:0:0/95: host bits refused");
        ok(pr_parse_cidr(S("::/95"), &c, &why) == 0 && c.family == 6 && c.prefix == 95,
           "::/95 (wider than the mapped block) stays IPv6");
        ok(pr_parse_cidr(S("64:ff9b::7f00:1"), &c, &why) == 0 && c.family == 6 && c.prefix == 128,
           "64:ff9b::7f00:1 (NAT64, not mapped) stays IPv6");
        ok(pr_parse_cidr(S("::7f00:1"), &c, &why) == 0 && c.family == 6 && c.prefix == 128,
           "::7f00:1 (IPv4-compatible, deprecated) stays IPv6");
    }
}

static void test_proxy_header(void)
{
    unsigned char h[PR_PROXY_HEADER_MAX + 1];
    static const unsigned char v2_4[] = {
        0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A,
        0x21, 0x11, 0x00, 0x0C, 192, 0, 2, 1, 198, 51, 100, 7, 0x30, 0x39, 0x01, 0xBB };
    const char *long6 = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255";
    int n;

    n = pr_proxy_header(1, "192.0.2.1", 12345, "198.51.100.7", 443, h, sizeof(h));
    h[n > 0 ? n : 0] = '\0';
    is_str((char *)h, "PROXY TCP4 192.0.2.1 198.51.100.7 12345 443\r\n", "PROXY v1 TCP4");
    n = pr_proxy_header(1, "0:0:0:0:0:0:0:1", 1, "2001:0db8:0000::0001", 2, h, sizeof(h));
    h[n > 0 ? n : 0] = '\0';
    is_str((char *)h, "PROXY TCP6 ::1 2001:db8::1 1 2\r\n",
           "PROXY v1 TCP6: addresses written canonically");
    n = pr_proxy_header(1, long6, 65535, long6, 65535, h, sizeof(h));
    ok(n > 0 && n <= 107, "PROXY v1: the longest IPv6 texts still fit in 107 bytes (got %d)", n);
    n = pr_proxy_header(1, "127.0.0.1", 1, "::1", 2, h, sizeof(h));
    h[n > 0 ? n : 0] = '\0';
    is_str((char *)h, "PROXY UNKNOWN\r\n", "PROXY v1: mixed families are UNKNOWN");
    n = pr_proxy_header(2, "192.0.2.1", 12345, "198.51.100.7", 443, h, sizeof(h));
    ok(n == (int)sizeof(v2_4) && !memcmp(h, v2_4, sizeof(v2_4)), "PROXY v2 TCP4 bytes");
    ok(pr_proxy_header(2, "192.0.2.1", 1, "198.51.100.7", 2, h, sizeof(v2_4) - 1) == -1,
       "PROXY v2: a buffer one byte short is refused");
    n = pr_proxy_header(2, NULL, 0, NULL, 0, h, sizeof(h));
    ok(n == 16 && h[12] == 0x20 && h[15] == 0, "PROXY v2 LOCAL without addresses");
}

static void test_proxy_protocol_keyword(void)
{
    int v = -1;

    ok(pr_parse_proxy_protocol(S("v2"), &v) == 0 && v == 2, "proxy protocol v2");
    ok(pr_parse_proxy_protocol(S("V1"), &v) == 0 && v == 1, "proxy protocol V1");
    ok(pr_parse_proxy_protocol(S("off"), &v) == 0 && v == 0, "proxy protocol off");
    ok(pr_parse_proxy_protocol(S("v3"), &v) == -1, "proxy protocol v3 refused");
    ok(pr_parse_proxy_protocol(S("on"), &v) == -1, "proxy protocol on refused");
}

static void test_pins(void)
{
    unsigned char pin[32];
    const char *why = NULL;
    /* SHA-256 of the empty string, base64: 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU= */
    ok(pr_parse_pin(S("sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="), pin, &why) == 0
       && pin[0] == 0xe3 && pin[31] == 0x55, "valid pin decodes to the digest");
    ok(pr_parse_pin(S("SHA256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="), pin, &why) == 0,
       "algorithm name is case-insensitive");
    ok(pr_parse_pin(S("sha1//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="), pin, &why) == -1
       && strstr(why, "sha256//"), "other algorithm refused with a reason");
    ok(pr_parse_pin(S("sha256//short="), pin, &why) == -1 && strstr(why, "32 bytes"),
       "short pin refused");
    ok(pr_parse_pin(S("sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuF=="), pin, &why) == -1,
       "wrong padding refused");
    ok(pr_parse_pin(S("sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hS*FU="), pin, &why) == -1,
       "bad character refused");
    /* 32 bytes leave the last character before '=' two unused bits:
     * they must be zero, else two spellings would name one pin (found
     * by t/fuzz/fuzz_directives.c) */
    why = NULL;
    ok(pr_parse_pin(S("sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV="), pin, &why) == -1
       && why && strstr(why, "base64"), "non-zero padding bits refused");
    ok(pr_parse_pin(S("sha256//47DEQpj8HBSa+/TImW+5JCeEQpj8HBSa+/TImW+5JCe="), pin, &why) == -1,
       "fuzzer's non-canonical pin refused");
}

static void test_schemes(void)
{
    ok(pr_scheme_is_tls(S("https")), "https is TLS");
    ok(pr_scheme_is_tls(S("WSS")), "wss is TLS");
    ok(pr_scheme_is_tls(S("h2")), "h2 is TLS");
    ok(!pr_scheme_is_tls(S("http")), "http is plain");
    ok(!pr_scheme_is_tls(S("h2c")), "h2c is plain");
    ok(!pr_scheme_is_tls(S("ajp")), "ajp is plain");
    ok(!pr_scheme_is_tls(S("fcgi")), "fcgi is plain");
    ok(!pr_scheme_is_tls(S("httpsx")), "httpsx is not https");
    ok(pr_scheme_is_tls(S("HtTpS")), "any case of https is TLS");
    ok(pr_scheme_is_tls(S("H2")), "H2 is TLS");
    ok(!pr_scheme_is_tls(S("hHtps")), "hhtps is not https");
    ok(!pr_scheme_is_tls(S("h\x12")), "h2 is compared exactly in its digit");
    ok(!pr_scheme_is_tls(S("ws")), "ws is plain");
    ok(!pr_scheme_is_tls(S("wsx")), "wsx is not wss");
    ok(!pr_scheme_is_tls(S("")), "the empty scheme is not TLS");
}

static void test_reason_names(void)
{
    is_str(pr_reason_name(PR_REASON__COUNT), "handshake", "out of range maps to handshake");
    is_str(pr_reason_name(PR_REASON_NONE), "ok", "none is ok");
}

static void test_x509(const char *dir)
{
    X509 *good = pki_load(dir, "good.crt"), *iponly = pki_load(dir, "iponly.crt");
    X509 *expired = pki_load(dir, "expired.crt"), *expiring = pki_load(dir, "expiring.crt");
    X509 *wrong = pki_load(dir, "wrongname.crt");
    const char *n_local[] = { "localhost" };
    const char *n_ip[] = { "127.0.0.1" };
    const char *n_two[] = { "nomatch.example", "backend.test" };
    const char *n_wild[] = { "x.localhost" };
    char buf[256], pinfile[1024], want[128];
    FILE *f;

    if (!good || !iponly || !expired || !expiring || !wrong) {
        ok(0, "PKI certificates readable in %s", dir);
        return;
    }
    ok(pr_x509_names_match(good, n_local, 1), "good matches localhost");
    ok(pr_x509_names_match(good, n_two, 2), "one of several names is enough");
    ok(!pr_x509_names_match(good, n_ip, 1), "good has no iPAddress SAN for 127.0.0.1");
    ok(pr_x509_names_match(iponly, n_ip, 1), "iponly matches 127.0.0.1 by iPAddress SAN");
    ok(!pr_x509_names_match(iponly, n_local, 1), "iponly does not match a DNS name");
    ok(!pr_x509_names_match(wrong, n_local, 1), "wrongname does not match localhost");
    ok(!pr_x509_names_match(good, n_wild, 1), "no wildcard in good");
    ok(pr_x509_days_left(good) >= 360, "good has about a year left");
    ok(pr_x509_days_left(expired) < 0, "expired is negative");
    ok(pr_x509_days_left(expiring) >= 2 && pr_x509_days_left(expiring) <= 4,
       "expiring has 3 days left");
    is_int(pr_x509_error_bit(X509_V_ERR_CERT_HAS_EXPIRED), PR_REASON_BIT(PR_REASON_EXPIRED),
           "expired error maps to expired");
    is_int(pr_x509_error_bit(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY),
           PR_REASON_BIT(PR_REASON_UNTRUSTED), "unknown issuer maps to untrusted");
    is_int(pr_x509_error_bit(X509_V_ERR_CERT_CHAIN_TOO_LONG), PR_REASON_BIT(PR_REASON_DEPTH),
           "chain too long maps to depth");
    is_int(pr_x509_error_bit(X509_V_ERR_CERT_REVOKED), PR_REASON_BIT(PR_REASON_REVOKED),
           "revoked maps to revoked");
    is_int(pr_x509_error_bit(X509_V_OK), 0, "OK maps to nothing");
    pr_x509_name_line(X509_get_subject_name(good), buf, sizeof(buf));
    is_str(buf, "CN=good", "subject line");

    /* The pin the module computes equals the one the openssl CLI gives. */
    snprintf(pinfile, sizeof(pinfile), "%s/good.pin", dir);
    f = fopen(pinfile, "r");
    want[0] = '\0';
    if (f) {
        if (fgets(want, sizeof(want), f)) {
            want[strcspn(want, "\r\n")] = '\0';
        }
        fclose(f);
    }
    pr_x509_pin_string(good, buf);
    is_str(buf, want, "SPKI pin matches the openssl CLI pipeline");

    X509_free(good); X509_free(iponly); X509_free(expired); X509_free(expiring);
    X509_free(wrong);
}

int main(int argc, char **argv)
{
    test_keywords();
    test_numbers();
    test_names();
    test_keyword_names();
    test_cidr();
    test_proxy_protocol_keyword();
    test_proxy_header();
    test_pins();
    test_schemes();
    test_reason_names();
    if (argc > 1) {
        test_x509(argv[1]);
    }
    return done_testing();
}

/*
 * Unit tests of the policy engine (pr_policy.c, pr_decide.c): one table
 * per decision. Every mode x reason x pin mode x name source that the
 * module distinguishes has a row.
 */
#include "tap.h"

#include <stdlib.h>
#include <string.h>

#include "pr_decide.h"
#include "pr_x509.h"

#define B(r) PR_REASON_BIT(PR_REASON_##r)

static pr_resolved base(pr_policy mode, pr_verify verify)
{
    pr_resolved p;

    pr_resolved_defaults(&p);
    p.policy = mode;
    p.verify = verify;
    pr_resolved_finish(&p);
    return p;
}

static const unsigned char PIN_A[32] = { 0xaa, 1 };
static const unsigned char PIN_B[32] = { 0xbb, 2 };

/* ---- defaults, fingerprint --------------------------------------- */

static void test_defaults(void)
{
    pr_resolved p, q;
    const char *names[] = { "a.example" };

    pr_resolved_defaults(&p);
    is_int(p.policy, PR_POLICY_AUDIT, "default policy: audit");
    is_int(p.verify, PR_VERIFY_CHAIN, "default verify: chain");
    is_int(p.depth, 4, "default depth: 4");
    is_int(p.warn_days, 30, "default warn days: 30");
    is_int(p.refuse_days, 0, "default refuse days: 0");
    is_int(p.min_proto, 0x0303, "default floor: TLS 1.2");
    is_int(p.session_cache, 1, "default session cache: on");
    is_int(p.sni, PR_SNI_AUTO, "default SNI: auto");
    is_int(p.fwd_mode, PR_FWD_MODE_XFF, "default forwarded: xff");
    ok(!p.origin[PR_F_POLICY], "a default has no origin");
    pr_resolved_finish(&p);
    is_int(p.crl_check, PR_CRL_NONE, "no CRL file: check none");
    p.crl_file = "/x.crl";
    pr_resolved_finish(&p);
    is_int(p.crl_check, PR_CRL_CHAIN, "a CRL file: check chain by default");
    p.crl_check = PR_CRL_LEAF;
    p.origin[PR_F_CRL_CHECK] = "f:1";
    pr_resolved_finish(&p);
    is_int(p.crl_check, PR_CRL_LEAF, "an explicit check stays");

    p = base(PR_POLICY_ENFORCE, PR_VERIFY_CHAIN);
    q = p;
    pr_resolved_finish(&q);
    ok(!memcmp(p.fp, q.fp, PR_FP_LEN), "fingerprint: deterministic");
    q.pins = PIN_A; q.n_pins = 1;
    pr_resolved_finish(&q);
    ok(memcmp(p.fp, q.fp, PR_FP_LEN), "fingerprint: a pin changes it");
    p.pins = PIN_B; p.n_pins = 1;
    pr_resolved_finish(&p);
    ok(memcmp(p.fp, q.fp, PR_FP_LEN), "fingerprint: another pin differs");
    q = p; q.fwd_mode = PR_FWD_MODE_BOTH; q.trusted_text = "10.0.0.0/8";
    pr_resolved_finish(&q);
    ok(!memcmp(p.fp, q.fp, PR_FP_LEN), "fingerprint: forwarded-header fields do not count");
    q = p; q.expect = names; q.n_expect = 1;
    pr_resolved_finish(&q);
    ok(memcmp(p.fp, q.fp, PR_FP_LEN), "fingerprint: expected names count");
    q = p; q.policy = PR_POLICY_OFF;
    pr_resolved_finish(&q);
    ok(memcmp(p.fp, q.fp, PR_FP_LEN), "fingerprint: the mode counts (off is a scope too)");
    q = p; q.client_cert_file = "/c.pem";
    pr_resolved_finish(&q);
    ok(memcmp(p.fp, q.fp, PR_FP_LEN), "fingerprint: the client certificate counts");
    q = p; q.proxy_protocol = 2;
    pr_resolved_finish(&q);
    ok(memcmp(p.fp, q.fp, PR_FP_LEN), "fingerprint: the PROXY header counts");
    q = p; q.min_proto = 0x0304;
    pr_resolved_finish(&q);
    ok(memcmp(p.fp, q.fp, PR_FP_LEN), "fingerprint: the protocol floor counts");
    q = p; q.ocsp = PR_OCSP_REQUIRE;
    pr_resolved_finish(&q);
    ok(memcmp(p.fp, q.fp, PR_FP_LEN), "fingerprint: the OCSP mode counts");
}

/* ---- precedence ---------------------------------------------------- */

static void test_precedence(void)
{
    static const struct {
        int pattern, bal, be, rank;
    } rk[] = {
        { 1, 1, 0, PR_RANK_WILDCARD }, { 1, 0, 1, PR_RANK_WILDCARD },
        { 0, 1, 0, PR_RANK_BALANCER }, { 0, 0, 1, PR_RANK_BACKEND },
        { 0, 1, 1, PR_RANK_BACKEND },  { 0, 0, 0, PR_RANK_NONE }, { 1, 0, 0, PR_RANK_NONE },
    };
    /* <Proxy *> (0), <Proxy balancer://pool> (1), <Proxy https://m:1> (2),
     * <ProxyMatch ^balancer> (3), <Proxy https://m:1/app> (4), and a
     * second <Proxy balancer://pool> later (5) */
    pr_section_rank r[6] = {
        { PR_RANK_WILDCARD, 0, 0 }, { PR_RANK_BALANCER, 15, 1 }, { PR_RANK_BACKEND, 11, 2 },
        { PR_RANK_WILDCARD, 0, 3 }, { PR_RANK_BACKEND, 15, 4 }, { PR_RANK_BALANCER, 15, 5 },
    };
    size_t idx[6] = { 0, 1, 2, 3, 4, 5 }, rev[6] = { 5, 4, 3, 2, 1, 0 };
    static const size_t want[6] = { 0, 3, 1, 5, 2, 4 };
    size_t i;
    int same = 1, same_rev = 1;

    for (i = 0; i < sizeof(rk) / sizeof(rk[0]); ++i) {
        is_int(pr_section_rank_of(rk[i].pattern, rk[i].bal, rk[i].be), rk[i].rank,
               "rank of pattern=%d balancer=%d backend=%d", rk[i].pattern, rk[i].bal, rk[i].be);
    }
    pr_sections_order(idx, r, 6);
    pr_sections_order(rev, r, 6);
    for (i = 0; i < 6; ++i) {
        same &= idx[i] == want[i];
        same_rev &= rev[i] == want[i];
    }
    ok(same, "order: wildcards, then balancer sections (config order), then the "
             "backend's own (longer prefix last)");
    ok(same_rev, "the same order whatever order they are given in");
    /* the case: <Proxy *> audit written after the balancer's enforce */
    {
        pr_section_rank two[2] = { { PR_RANK_BALANCER, 15, 0 }, { PR_RANK_WILDCARD, 0, 1 } };
        size_t k[2] = { 0, 1 };
        pr_sections_order(k, two, 2);
        ok(k[0] == 1 && k[1] == 0, "a later <Proxy *> never overrides the balancer's section");
    }
}

/* ---- which URL a <Proxy> prefix section names ---------------------- */

static void test_section_names(void)
{
    /* section path as written, the name mod_proxy gives (worker names and
     * balancer names lower-cased, default port dropped) or the walked URL */
    static const struct {
        const char *p, *u;
        int want;
    } rows[] = {
        /* the review's cases: the section written with the ProxyPass URL */
        { "https://LocalHost:8443/mixed/", "https://localhost:8443/mixed/", 1 },
        { "https://LocalHost:8443/mixed/", "https://localhost:8443/mixed/a/b", 1 },
        { "HTTPS://LOCALHOST:8443/mixed/", "https://localhost:8443/mixed/", 1 },
        { "balancer://MyPool", "balancer://mypool", 1 },
        { "balancer://MyPool/", "balancer://mypool/x", 1 },
        { "balancer://MYPOOL", "balancer://MyPool/app/", 1 },
        /* the path keeps its case (mod_proxy compares it exactly) */
        { "https://localhost:8443/Mixed/", "https://localhost:8443/mixed/", 0 },
        { "https://localhost:8443/mixed/", "https://LocalHost:8443/Mixed/", 0 },
        { "balancer://pool/App", "balancer://pool/app", 0 },
        /* another host, port or scheme is another backend */
        { "https://localhost:8443/", "https://localhost:8444/", 0 },
        { "https://otherhost:8443/", "https://localhost:8443/", 0 },
        { "http://localhost:8443/", "https://localhost:8443/", 0 },
        { "balancer://pool2", "balancer://pool", 0 },
        { "https://a/", "https://ab/", 0 },
        /* a default port is no port (mod_proxy drops it from worker names) */
        { "https://Example.com:443/app/", "https://example.com/app/x", 1 },
        { "https://example.com/app/", "https://example.com:443/app/", 1 },
        { "wss://example.com:443/", "wss://example.com/", 1 },
        { "http://example.com:80/", "http://example.com/", 1 },
        { "https://example.com:80/", "https://example.com/", 0 },
        { "https://example.com:8443/", "https://example.com/", 0 },
        { "https://example.com:443", "https://example.com", 1 },
        /* a prefix ending inside the authority: mod_proxy's prefix compare */
        { "https://Local", "https://localhost:8443/", 1 },
        { "https://", "https://localhost/", 1 },
        { "Balancer://", "balancer://pool", 1 },
        /* IPv6 literals */
        { "https://[::1]:8443/", "https://[::1]:8443/x", 1 },
        { "https://[::1]:443/", "https://[::1]/", 1 },
        { "https://[::1]:8443/", "https://[::2]:8443/", 0 },
        /* no scheme:// on a side: a plain prefix compare */
        { "/local/", "/local/x", 1 },
        { "unix:/run/s.sock|http://x/", "unix:/run/s.sock|http://x/y", 1 },
        /* a longer section path does not name a shorter URL */
        { "https://h/app/", "https://h/", 0 },
        { "https://h:9/", "https://h", 0 },
    };
    size_t i;
    char buf[64];

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); ++i) {
        is_int(pr_section_names(rows[i].p, strlen(rows[i].p), rows[i].u, strlen(rows[i].u)),
               rows[i].want, "<Proxy %s> names %s: %s", rows[i].p, rows[i].u,
               rows[i].want ? "yes" : "no");
    }
    /* lengths, not NUL: the bytes after len are never read */
    memcpy(buf, "balancer://MyPoolXX", 19);
    ok(pr_section_names(buf, 17, "balancer://mypool", 17),
       "a section path is read to its length only");
    ok(!pr_section_names("https://h/a", 11, "https://h/abc", 10),
       "a URL is read to its length only");
}

/* ---- names and SNI -------------------------------------------------- */

static void test_names(void)
{
    static const char *const expect_ip[] = { "127.0.0.1" };
    static const struct {
        pr_policy mode;
        pr_verify verify;
        int expect;                 /* ExpectName 127.0.0.1 configured */
        pr_sni sni;
        const char *requested;
        int from_client;
        const char *worker;
        /* want */
        const char *name;           /* first expected name, NULL none */
        const char *want_sni;
        int own, check, as_modssl, client;
        const char *what;
    } t[] = {
        { PR_POLICY_AUDIT, PR_VERIFY_CHAIN, 0, PR_SNI_AUTO, "b.example", 0, "b.example",
          "b.example", "b.example", 0, 1, 0, 0, "audit, nothing written: mod_ssl keeps name and SNI" },
        { PR_POLICY_ENFORCE, PR_VERIFY_CHAIN, 0, PR_SNI_AUTO, "b.example", 0, "b.example",
          "b.example", "b.example", 1, 1, 0, 0, "enforce: the module's" },
        { PR_POLICY_AUDIT, PR_VERIFY_CHAIN, 1, PR_SNI_AUTO, "b.example", 0, "b.example",
          "127.0.0.1", "b.example", 1, 1, 1, 0, "audit + ExpectName: enforced as mod_ssl would" },
        { PR_POLICY_AUDIT, PR_VERIFY_CHAIN, 0, PR_SNI_NAME, "b.example", 0, "b.example",
          "b.example", "sni.example", 1, 1, 1, 0, "audit + SNI name: enforced as mod_ssl would" },
        { PR_POLICY_ENFORCE, PR_VERIFY_CHAIN, 0, PR_SNI_AUTO, "127.0.0.1", 0, "127.0.0.1",
          "127.0.0.1", NULL, 1, 1, 0, 0, "an IP literal is never sent as SNI" },
        { PR_POLICY_ENFORCE, PR_VERIFY_CHAIN, 0, PR_SNI_OFF, "b.example", 0, "b.example",
          "b.example", NULL, 1, 1, 0, 0, "SNI off" },
        { PR_POLICY_ENFORCE, PR_VERIFY_CHAIN, 0, PR_SNI_AUTO, "evil.example", 1, "b.example",
          "evil.example", "evil.example", 1, 1, 0, 1, "preserved Host: the client's name" },
        { PR_POLICY_ENFORCE, PR_VERIFY_CHAIN, 1, PR_SNI_AUTO, "evil.example", 1, "b.example",
          "127.0.0.1", "evil.example", 1, 1, 0, 0, "preserved Host + ExpectName: not the client's" },
        { PR_POLICY_ENFORCE, PR_VERIFY_CHAIN, 0, PR_SNI_AUTO, NULL, 0, "b.example",
          "b.example", NULL, 1, 1, 0, 0, "no requested name: the worker's host" },
        { PR_POLICY_ENFORCE, PR_VERIFY_CHAIN, 0, PR_SNI_AUTO, NULL, 0, NULL,
          NULL, NULL, 1, 1, 0, 0, "no name at all: checked, so a mismatch" },
        { PR_POLICY_ENFORCE, PR_VERIFY_PIN, 0, PR_SNI_AUTO, "b.example", 0, "b.example",
          "b.example", "b.example", 1, 0, 0, 0, "pin mode: names are not checked" },
        { PR_POLICY_ENFORCE, PR_VERIFY_PIN, 1, PR_SNI_AUTO, "b.example", 0, "b.example",
          "127.0.0.1", "b.example", 1, 1, 0, 0, "pin mode + ExpectName: checked" },
        { PR_POLICY_OFF, PR_VERIFY_CHAIN, 1, PR_SNI_NAME, "b.example", 0, "b.example",
          "127.0.0.1", "sni.example", 0, 0, 0, 0, "off: nothing is the module's" },
    };
    size_t i;

    for (i = 0; i < sizeof(t) / sizeof(t[0]); ++i) {
        pr_resolved p = base(t[i].mode, t[i].verify);
        const char *slot = NULL;
        pr_names n;

        if (t[i].expect) {
            p.expect = expect_ip;
            p.n_expect = 1;
        }
        p.sni = t[i].sni;
        p.sni_name = "sni.example";
        pr_choose_names(&p, t[i].requested, t[i].from_client, t[i].worker, &slot, &n);
        ok((t[i].name ? n.n >= 1 && !strcmp(n.names[0], t[i].name) : n.n == 0)
           && (t[i].want_sni ? n.sni && !strcmp(n.sni, t[i].want_sni) : !n.sni)
           && n.own == t[i].own && n.check == t[i].check && n.as_modssl == t[i].as_modssl
           && n.from_client == t[i].client,
           "names: %s", t[i].what);
    }
}

/* ---- pins ----------------------------------------------------------- */

static void test_pins(void)
{
    unsigned char leaf_b[2][32], leaf_a[2][32];
    pr_resolved chain = base(PR_POLICY_ENFORCE, PR_VERIFY_CHAIN);
    pr_resolved pin = base(PR_POLICY_ENFORCE, PR_VERIFY_PIN);

    memcpy(leaf_b[0], PIN_B, 32);       /* leaf B, CA A */
    memcpy(leaf_b[1], PIN_A, 32);
    memcpy(leaf_a[0], PIN_A, 32);
    memcpy(leaf_a[1], PIN_B, 32);
    is_int(pr_pin_match(&chain, (const unsigned char (*)[32])leaf_b, 2), -1,
           "pins: none configured");
    chain.pins = pin.pins = PIN_A;
    chain.n_pins = pin.n_pins = 1;
    is_int(pr_pin_match(&chain, (const unsigned char (*)[32])leaf_b, 2), 1,
           "pins: chain mode, a CA pin matches");
    is_int(pr_pin_match(&pin, (const unsigned char (*)[32])leaf_b, 2), 0,
           "pins: pin mode, only the leaf may match");
    is_int(pr_pin_match(&pin, (const unsigned char (*)[32])leaf_a, 2), 1,
           "pins: pin mode, the leaf matches");
    is_int(pr_pin_match(&chain, (const unsigned char (*)[32])leaf_b, 1), 0,
           "pins: chain mode, leaf alone, no match");
}

/* ---- the verdict ---------------------------------------------------- */

static void test_verdict(void)
{
    static const struct {
        pr_verify verify;
        pr_crl crl;
        int pins;                   /* pins configured */
        long refuse;
        unsigned errs;
        int have_cert, checked, name_ok, from_client, pin;
        long days;
        pr_reason want;
        int warn, client;
        const char *what;
    } t[] = {
        { PR_VERIFY_CHAIN, PR_CRL_NONE, 0, 0, 0, 1, 1, 1, 0, -1, 200, PR_REASON_NONE, 0, 0, "good" },
        { PR_VERIFY_CHAIN, PR_CRL_NONE, 0, 0, B(UNTRUSTED), 1, 1, 1, 0, -1, 200, PR_REASON_UNTRUSTED, 0, 0, "untrusted" },
        { PR_VERIFY_CHAIN, PR_CRL_NONE, 0, 0, B(DEPTH) | B(UNTRUSTED), 1, 1, 1, 0, -1, 200, PR_REASON_DEPTH, 0, 0, "depth before untrusted" },
        { PR_VERIFY_CHAIN, PR_CRL_NONE, 0, 0, B(EXPIRED), 1, 1, 1, 0, -1, -3, PR_REASON_EXPIRED, 0, 0, "expired" },
        { PR_VERIFY_CHAIN, PR_CRL_NONE, 0, 0, 0, 1, 1, 1, 0, -1, -1, PR_REASON_EXPIRED, 0, 0, "expired without an OpenSSL error" },
        { PR_VERIFY_CHAIN, PR_CRL_NONE, 0, 0, B(NOT_YET_VALID), 1, 1, 1, 0, -1, 200, PR_REASON_NOT_YET_VALID, 0, 0, "not yet valid" },
        { PR_VERIFY_CHAIN, PR_CRL_NONE, 0, 0, 0, 1, 1, 0, 0, -1, 200, PR_REASON_NAME_MISMATCH, 0, 0, "name mismatch (URL host)" },
        { PR_VERIFY_CHAIN, PR_CRL_NONE, 0, 0, 0, 1, 1, 0, 1, -1, 200, PR_REASON_NAME_MISMATCH, 0, 1, "name mismatch (client's Host): the client's fault" },
        { PR_VERIFY_CHAIN, PR_CRL_NONE, 0, 0, B(EXPIRED), 1, 1, 0, 1, -1, -2, PR_REASON_EXPIRED, 0, 0, "expired + client name: the backend's fault" },
        { PR_VERIFY_CHAIN, PR_CRL_NONE, 0, 0, 0, 1, 0, 0, 0, -1, 200, PR_REASON_NONE, 0, 0, "names not checked" },
        { PR_VERIFY_CHAIN, PR_CRL_CHAIN, 0, 0, B(REVOKED), 1, 1, 1, 0, -1, 200, PR_REASON_REVOKED, 0, 0, "revoked" },
        { PR_VERIFY_CHAIN, PR_CRL_NONE, 0, 0, 0, 0, 1, 0, 0, -1, 0, PR_REASON_NO_CERTIFICATE, 0, 0, "no certificate" },
        { PR_VERIFY_CHAIN, PR_CRL_NONE, 1, 0, 0, 1, 1, 1, 0, 0, 200, PR_REASON_PIN_MISMATCH, 0, 0, "chain + pins: mismatch" },
        { PR_VERIFY_CHAIN, PR_CRL_NONE, 1, 0, 0, 1, 1, 1, 0, 1, 200, PR_REASON_NONE, 0, 0, "chain + pins: match" },
        { PR_VERIFY_CHAIN, PR_CRL_NONE, 0, 0, 0, 1, 1, 1, 0, -1, 5, PR_REASON_NONE, 1, 0, "5 days left: served, warned" },
        { PR_VERIFY_CHAIN, PR_CRL_NONE, 0, 7, 0, 1, 1, 1, 0, -1, 5, PR_REASON_EXPIRING, 0, 0, "5 days left, refuse 7: expiring" },
        { PR_VERIFY_CHAIN, PR_CRL_NONE, 0, 7, 0, 1, 1, 1, 0, -1, 7, PR_REASON_NONE, 1, 0, "exactly refuse-days left: served" },
        { PR_VERIFY_CHAIN, PR_CRL_NONE, 0, 0, 0, 1, 1, 1, 0, -1, 30, PR_REASON_NONE, 0, 0, "exactly warn-days left: no warning" },
        { PR_VERIFY_PIN, PR_CRL_NONE, 1, 0, B(UNTRUSTED), 1, 0, 0, 0, 1, 200, PR_REASON_NONE, 0, 0, "pin: self-signed + pin" },
        { PR_VERIFY_PIN, PR_CRL_NONE, 1, 0, B(UNTRUSTED), 1, 0, 0, 0, 0, 200, PR_REASON_PIN_MISMATCH, 0, 0, "pin: other key" },
        { PR_VERIFY_PIN, PR_CRL_NONE, 1, 0, B(UNTRUSTED) | B(EXPIRED), 1, 0, 0, 0, 1, -1, PR_REASON_EXPIRED, 0, 0, "pin: expiry counts" },
        { PR_VERIFY_PIN, PR_CRL_NONE, 1, 0, B(REVOKED), 1, 0, 0, 0, 1, 200, PR_REASON_NONE, 0, 0, "pin, no CRL check: revocation not asked" },
        { PR_VERIFY_PIN, PR_CRL_LEAF, 1, 0, B(REVOKED), 1, 0, 0, 0, 1, 200, PR_REASON_REVOKED, 0, 0, "pin + CRL check: revoked counts" },
        { PR_VERIFY_PIN, PR_CRL_CHAIN, 1, 0, B(REVOKED) | B(UNTRUSTED), 1, 0, 0, 0, 1, 200, PR_REASON_REVOKED, 0, 0, "pin + CRL chain: revoked (or no CRL) counts" },
        { PR_VERIFY_PIN, PR_CRL_NONE, 1, 0, 0, 1, 1, 0, 0, 1, 200, PR_REASON_NAME_MISMATCH, 0, 0, "pin + ExpectName: names count" },
        { PR_VERIFY_OFF, PR_CRL_NONE, 0, 0, B(UNTRUSTED), 1, 1, 0, 0, -1, -5, PR_REASON_NONE, 0, 0, "verify off accepts anything" },
        { PR_VERIFY_CHAIN, PR_CRL_NONE, 0, 0, B(EXPIRED) | B(UNTRUSTED), 1, 1, 0, 0, -1, -1, PR_REASON_UNTRUSTED, 0, 0, "first reason by priority" },
    };
    size_t i;

    for (i = 0; i < sizeof(t) / sizeof(t[0]); ++i) {
        pr_resolved p = base(PR_POLICY_ENFORCE, t[i].verify);
        pr_observation o;
        pr_verdict v;

        p.crl_check = t[i].crl;
        p.refuse_days = t[i].refuse;
        if (t[i].pins) {
            p.pins = PIN_A;
            p.n_pins = 1;
        }
        memset(&o, 0, sizeof(o));
        o.chain_errors = t[i].errs;
        o.have_cert = t[i].have_cert;
        o.name_checked = t[i].checked;
        o.name_ok = t[i].name_ok;
        o.name_from_client = t[i].from_client;
        o.pin = t[i].pin;
        o.days_left = t[i].days;
        v = pr_decide(&p, &o);
        ok(v.reason == t[i].want && v.expiring_warning == t[i].warn && v.client_fault == t[i].client,
           "verdict: %s (got %s, warn %d, client %d)", t[i].what, pr_reason_name(v.reason),
           v.expiring_warning, v.client_fault);
    }
}

/* ---- what a verdict means -------------------------------------------- */

/* ---- a resumed session ------------------------------------------------ */

#define DAY 86400LL
#define T0 1800000000LL                 /* the full handshake's "now" */

static void test_resumed(void)
{
    static const struct {
        pr_policy mode;
        long refuse;
        unsigned errs;                  /* the full handshake's chain errors */
        long long leaf_na, chain_na, chain_nb, crl_nu;   /* relative to T0 */
        long long at;                   /* resumption time, relative to T0 */
        pr_reason want;
        int warn;
        long days;
        const char *what;
    } t[] = {
        { PR_POLICY_ENFORCE, 0, 0, 200 * DAY, 400 * DAY, -DAY, 0, 60, PR_REASON_NONE, 0, 199, "a minute later: still good, days recounted" },
        { PR_POLICY_ENFORCE, 0, 0, 40 * DAY, 400 * DAY, -DAY, 0, 11 * DAY, PR_REASON_NONE, 1, 29, "into the warn window since: warned" },
        { PR_POLICY_ENFORCE, 1, 0, DAY + 20, 400 * DAY, -DAY, 0, 10, PR_REASON_NONE, 1, 1, "refuse 1: 1 day 10 s left, served" },
        { PR_POLICY_ENFORCE, 1, 0, DAY + 20, 400 * DAY, -DAY, 0, 30, PR_REASON_EXPIRING, 0, 0, "refuse 1: into the expiry window since: refused" },
        { PR_POLICY_ENFORCE, 0, 0, 20, 20, -DAY, 0, 30, PR_REASON_EXPIRED, 0, -1, "the leaf expired since: refused" },
        { PR_POLICY_ENFORCE, 0, 0, 200 * DAY, 20, -DAY, 0, 30, PR_REASON_EXPIRED, 0, 199, "an intermediate expired since: refused" },
        { PR_POLICY_ENFORCE, 0, 0, 200 * DAY, 400 * DAY, 30, 0, 10, PR_REASON_NOT_YET_VALID, 0, 199, "before the chain's latest notBefore (clock went back): refused" },
        { PR_POLICY_ENFORCE, 0, 0, 200 * DAY, 400 * DAY, -DAY, 3600, 60, PR_REASON_NONE, 0, 199, "CRL still fresh: served" },
        { PR_POLICY_ENFORCE, 0, 0, 200 * DAY, 400 * DAY, -DAY, 3600, 3601, PR_REASON_REVOKED, 0, 199, "CRL past its nextUpdate since: fail closed" },
        { PR_POLICY_AUDIT, 0, B(UNTRUSTED), 200 * DAY, 400 * DAY, -DAY, 0, 60, PR_REASON_UNTRUSTED, 0, 199, "audit: the stored reason stays" },
        { PR_POLICY_AUDIT, 0, B(EXPIRED), -5 * DAY, -5 * DAY, -DAY * 30, 0, 60, PR_REASON_EXPIRED, 0, -5, "audit: expired then, expired now" },
    };
    size_t i;

    for (i = 0; i < sizeof(t) / sizeof(t[0]); ++i) {
        pr_resolved p = base(t[i].mode, PR_VERIFY_CHAIN);
        pr_session_facts f;
        pr_verdict v;
        long days = 12345;

        p.refuse_days = t[i].refuse;
        memset(&f, 0, sizeof(f));
        f.obs.chain_errors = t[i].errs;
        f.obs.have_cert = 1;
        f.obs.name_checked = 1;
        f.obs.name_ok = 1;
        f.obs.pin = -1;
        f.obs.days_left = pr_days_left_at(T0 + t[i].leaf_na, T0);
        f.leaf_not_after = T0 + t[i].leaf_na;
        f.chain_not_after = T0 + t[i].chain_na;
        f.chain_not_before = T0 + t[i].chain_nb;
        f.crl_next_update = t[i].crl_nu ? T0 + t[i].crl_nu : 0;
        v = pr_decide_resumed(&p, &f, T0 + t[i].at, &days);
        ok(v.reason == t[i].want && v.expiring_warning == t[i].warn && days == t[i].days,
           "resumed: %s (got %s, warn %d, %ld days)", t[i].what, pr_reason_name(v.reason),
           v.expiring_warning, days);
    }
    {
        pr_resolved p = base(PR_POLICY_ENFORCE, PR_VERIFY_CHAIN);
        pr_session_facts f;
        pr_verdict v;

        memset(&f, 0, sizeof(f));
        f.obs.have_cert = 1;
        f.obs.name_checked = 1;
        f.obs.name_ok = 0;              /* judged at the full handshake */
        f.obs.pin = -1;
        f.leaf_not_after = f.chain_not_after = T0 + 100 * DAY;
        f.chain_not_before = T0 - DAY;
        v = pr_decide_resumed(&p, &f, T0, NULL);
        ok(v.reason == PR_REASON_NAME_MISMATCH, "resumed: the stored name result stands");
    }
    ok(pr_days_left_at(T0 + DAY - 1, T0) == 0 && pr_days_left_at(T0 + DAY, T0) == 1
       && pr_days_left_at(T0 - 1, T0) == -1 && pr_days_left_at(T0 - 2 * DAY - 5, T0) == -2,
       "days left: whole days, -1 once expired (as ASN1_TIME_diff)");
    {
        static const long long when[] = { 0, 951782400LL /* 2000-02-29 */, 1800000000LL,
                                           4102444799LL /* 2099-12-31 23:59:59 */ };
        size_t k;
        int good = 1;

        for (k = 0; k < sizeof(when) / sizeof(when[0]); ++k) {
            ASN1_TIME *a = ASN1_TIME_set(NULL, (time_t)when[k]);
            long long got = -1;

            good &= a && pr_x509_unix_time(a, &got) == 0 && got == when[k];
            ASN1_TIME_free(a);
        }
        ok(good, "certificate times as Unix seconds (UTCTime and GeneralizedTime)");
    }
    ok(pr_resume_max_proto(0x0303, 0x0303) == 0x0303, "resume TLS 1.2: capped at TLS 1.2");
    ok(pr_resume_max_proto(0x0304, 0x0303) == 0, "resume TLS 1.3: no cap");
    ok(pr_resume_max_proto(0x0303, 0x0304) == 0, "TLS 1.2 session under a TLS 1.3 floor: no cap");
}

/* ---- what a verdict means -------------------------------------------- */

static void test_outcome(void)
{
    static const struct {
        pr_policy mode;
        pr_reason reason;
        int client, by_modssl, as_modssl, requestless;
        /* want */
        int refuse, status, level;
        const char *word;
        pr_verdict_kind kind;
        int in_error;
        const char *what;
    } t[] = {
        { PR_POLICY_OFF, PR_REASON_EXPIRED, 0, 1, 0, 0, 0, 0, 0, "ok", PR_VERDICT_OK, 0, "off: nothing" },
        { PR_POLICY_AUDIT, PR_REASON_NONE, 0, 0, 0, 0, 0, 0, 0, "ok", PR_VERDICT_OK, 0, "audit ok" },
        { PR_POLICY_AUDIT, PR_REASON_EXPIRED, 0, 0, 0, 0, 0, 0, 4, "would refuse", PR_VERDICT_AUDIT, 0, "audit: would refuse, served" },
        { PR_POLICY_AUDIT, PR_REASON_UNTRUSTED, 0, 1, 0, 0, 1, 0, 3, "refused by mod_ssl", PR_VERDICT_REFUSED, 0, "audit, mod_ssl refused: stock's status, counted refused" },
        { PR_POLICY_AUDIT, PR_REASON_HANDSHAKE, 0, 1, 0, 1, 1, 0, 3, "refused by mod_ssl", PR_VERDICT_REFUSED, 0, "audit, mod_ssl refused a health check" },
        { PR_POLICY_AUDIT, PR_REASON_NAME_MISMATCH, 0, 0, 1, 0, 1, 0, 3, "refused (as mod_ssl would)", PR_VERDICT_REFUSED, 0, "audit + written identity, wrong name: refused with stock's status" },
        { PR_POLICY_AUDIT, PR_REASON_EXPIRED, 0, 0, 1, 0, 0, 0, 4, "would refuse", PR_VERDICT_AUDIT, 0, "audit + written identity, other reason: only reported" },
        { PR_POLICY_ENFORCE, PR_REASON_NONE, 0, 0, 0, 0, 0, 0, 0, "ok", PR_VERDICT_OK, 0, "enforce ok" },
        { PR_POLICY_ENFORCE, PR_REASON_EXPIRED, 0, 0, 0, 0, 1, 502, 3, "refused", PR_VERDICT_REFUSED, 1, "enforce: 502, member in error" },
        { PR_POLICY_ENFORCE, PR_REASON_NAME_MISMATCH, 1, 0, 0, 0, 1, 502, 3, "refused", PR_VERDICT_REFUSED, 0, "enforce, client's name: 502, member stays" },
        { PR_POLICY_ENFORCE, PR_REASON_EXPIRED, 0, 0, 0, 1, 1, 502, 3, "refused", PR_VERDICT_REFUSED, 0, "enforce, health check: hcheck keeps its state" },
        { PR_POLICY_ENFORCE, PR_REASON_HANDSHAKE, 0, 1, 0, 0, 1, 502, 3, "refused", PR_VERDICT_REFUSED, 1, "enforce, TLS failure: 502, member in error" },
        { PR_POLICY_ENFORCE, PR_REASON_PLAINTEXT, 0, 0, 0, 0, 1, 502, 3, "refused", PR_VERDICT_REFUSED, 1, "enforce, plaintext: 502" },
        { PR_POLICY_AUDIT, PR_REASON_PLAINTEXT, 0, 0, 0, 0, 0, 0, 4, "would refuse", PR_VERDICT_AUDIT, 0, "audit, plaintext: served" },
    };
    size_t i;

    for (i = 0; i < sizeof(t) / sizeof(t[0]); ++i) {
        pr_verdict v = { t[i].reason, 0, t[i].client };
        pr_outcome o = pr_outcome_of(t[i].mode, &v, t[i].by_modssl, t[i].as_modssl, t[i].requestless);

        ok(o.refuse == t[i].refuse && o.status == t[i].status && o.log_level == t[i].level
           && !strcmp(o.word, t[i].word) && o.kind == t[i].kind && o.member_in_error == t[i].in_error,
           "outcome: %s (got refuse=%d status=%d level=%d '%s' kind=%d in_error=%d)", t[i].what,
           o.refuse, o.status, o.log_level, o.word, (int)o.kind, o.member_in_error);
    }
}

/* Every mode x reason x pin mode x name source: the observation that
 * gives the reason, the verdict pr_decide() makes of it, and what
 * pr_outcome_of() makes of that, against the SPEC's invariants. */
static pr_observation observe(pr_reason r, int from_client, pr_resolved *p)
{
    pr_observation o;

    memset(&o, 0, sizeof(o));
    o.have_cert = 1;
    o.name_checked = 1;
    o.name_ok = 1;
    o.name_from_client = from_client;
    o.pin = p->n_pins ? 1 : -1;
    o.days_left = 200;
    switch (r) {
    case PR_REASON_NAME_MISMATCH: o.name_ok = 0; break;
    case PR_REASON_PIN_MISMATCH: o.pin = 0; break;
    case PR_REASON_EXPIRING: p->refuse_days = 10; o.days_left = 5; break;
    case PR_REASON_EXPIRED: o.days_left = -1; break;
    case PR_REASON_NO_CERTIFICATE: o.have_cert = 0; break;
    case PR_REASON_NONE: break;
    default: o.chain_errors = PR_REASON_BIT(r); break;
    }
    return o;
}

static void test_cross_product(void)
{
    static const pr_policy modes[] = { PR_POLICY_OFF, PR_POLICY_AUDIT, PR_POLICY_ENFORCE };
    static const pr_verify verifies[] = { PR_VERIFY_CHAIN, PR_VERIFY_PIN };
    int m, vi, r, fc, as, bad = 0, n = 0;

    for (m = 0; m < 3; ++m) for (vi = 0; vi < 2; ++vi)
    for (r = PR_REASON_NONE; r < PR_REASON__COUNT; ++r) for (fc = 0; fc < 2; ++fc)
    for (as = 0; as < 2; ++as) {
        pr_resolved p = base(modes[m], verifies[vi]);
        pr_observation obs;
        pr_verdict v;
        pr_outcome o;
        int want_refuse, ok_;

        p.pins = PIN_A;
        p.n_pins = 1;
        obs = observe((pr_reason)r, fc, &p);
        v = pr_decide(&p, &obs);
        o = pr_outcome_of(modes[m], &v, 0, as, 0);
        want_refuse = modes[m] == PR_POLICY_ENFORCE ? v.reason != PR_REASON_NONE
                    : modes[m] == PR_POLICY_AUDIT ? as && v.reason == PR_REASON_NAME_MISMATCH : 0;
        ok_ = o.refuse == want_refuse
            && o.status == (modes[m] == PR_POLICY_ENFORCE && want_refuse ? 502 : 0)
            && o.member_in_error == (modes[m] == PR_POLICY_ENFORCE && want_refuse && !v.client_fault)
            && v.client_fault == (fc && v.reason == PR_REASON_NAME_MISMATCH)
            && (modes[m] != PR_POLICY_OFF || (o.kind == PR_VERDICT_OK && !o.log_level))
            && (modes[m] != PR_POLICY_AUDIT || want_refuse
                || o.kind == (v.reason ? PR_VERDICT_AUDIT : PR_VERDICT_OK))
            /* pin mode: chain building never counts; anything else does */
            && (verifies[vi] != PR_VERIFY_PIN
                || (v.reason != PR_REASON_UNTRUSTED && v.reason != PR_REASON_DEPTH))
            && (verifies[vi] == PR_VERIFY_PIN && (r == PR_REASON_UNTRUSTED || r == PR_REASON_DEPTH
                                                  || r == PR_REASON_REVOKED)
                ? v.reason == PR_REASON_NONE
                : r == PR_REASON_PLAINTEXT || r == PR_REASON_HANDSHAKE || r == PR_REASON_PROTOCOL
                ? 1 : (int)v.reason == r);
        ++n;
        if (!ok_) {
            ++bad;
            printf("# mode %d verify %d reason %s client %d as_modssl %d: verdict %s refuse %d "
                   "status %d in_error %d kind %d\n", m, vi, pr_reason_name((pr_reason)r), fc, as,
                   pr_reason_name(v.reason), o.refuse, o.status, o.member_in_error, (int)o.kind);
        }
    }
    ok(!bad, "modes x reasons x pin modes x name sources x written identity: %d combinations "
             "keep the SPEC's invariants", n);
}

/* ---- pooled connections --------------------------------------------- */

static void test_pooled(void)
{
    pr_resolved a = base(PR_POLICY_ENFORCE, PR_VERIFY_CHAIN), b = a, off = a;
    const char *s1 = NULL, *s2 = NULL;
    unsigned char ka[PR_FP_LEN], kb[PR_FP_LEN];
    pr_names na, nb;

    pr_choose_names(&a, "b.example", 0, "b.example", &s1, &na);
    pr_conn_key(&a, &na, ka);
    pr_choose_names(&b, "b.example", 0, "b.example", &s2, &nb);
    pr_conn_key(&b, &nb, kb);
    ok(pr_pooled_may_serve(ka, kb), "pooled: the same scope and name may reuse");

    b.sni = PR_SNI_NAME;
    b.sni_name = "other.example";
    pr_resolved_finish(&b);
    pr_choose_names(&b, "b.example", 0, "b.example", &s2, &nb);
    pr_conn_key(&b, &nb, kb);
    ok(!pr_pooled_may_serve(ka, kb), "pooled: another SNI gets a fresh connection");

    pr_choose_names(&a, "c.example", 1, "b.example", &s2, &nb);
    pr_conn_key(&a, &nb, kb);
    ok(!pr_pooled_may_serve(ka, kb), "pooled: another preserved Host gets a fresh connection");

    off.policy = PR_POLICY_OFF;
    pr_resolved_finish(&off);
    pr_choose_names(&off, "b.example", 0, "b.example", &s2, &nb);
    pr_conn_key(&off, &nb, kb);
    ok(!pr_pooled_may_serve(ka, kb), "pooled: a policy-off scope never rides an enforce connection");
    ok(!pr_pooled_may_serve(kb, ka), "pooled: nor the other way round");

    b = a;
    b.client_cert_file = "/client.pem";
    pr_resolved_finish(&b);
    pr_choose_names(&b, "b.example", 0, "b.example", &s2, &nb);
    pr_conn_key(&b, &nb, kb);
    ok(!pr_pooled_may_serve(ka, kb), "pooled: another client certificate gets a fresh connection");
}

/* ---- mod_ssl's proxy configuration of a scope ----------------------- */

static void test_modssl(void)
{
    static const struct { const char *name; int is; } rows[] = {
        { "SSLProxyCACertificateFile", 1 }, { "sslproxycacertificatepath", 1 },
        { "SSLProxyCARevocationFile", 1 }, { "SSLProxyCARevocationCheck", 1 },
        { "SSLProxyVerify", 1 }, { "SSLProxyVerifyDepth", 1 },
        { "SSLProxyCheckPeerName", 1 }, { "SSLProxyCheckPeerCN", 1 },
        { "SSLProxyCheckPeerExpire", 1 }, { "SSLProxyMachineCertificateFile", 1 },
        { "SSLProxyMachineCertificateChainFile", 1 }, { "SSLProxyProtocol", 1 },
        { "SSLProxyCipherSuite", 1 }, { "SSLPROXYENGINE", 1 },
        { "SSLProxy", 0 }, { "SSLProx", 0 }, { "SSLVerifyClient", 0 },
        { "SSLCACertificateFile", 0 }, { "ProxyReencryptCACertificateFile", 0 },
        { "ProxyPass", 0 }, { "<Proxy", 0 }, { "XSSLProxyVerify", 0 }, { "", 0 },
    };
    const char buf[] = "SSLProxyVerifyXXXX";   /* a prefix of a longer buffer */
    unsigned char zero[PR_FP_LEN], a[PR_FP_LEN], b[PR_FP_LEN];
    pr_resolved p = base(PR_POLICY_ENFORCE, PR_VERIFY_CHAIN), q;
    const char *s1 = NULL, *s2 = NULL;
    unsigned char kp[PR_FP_LEN], kq[PR_FP_LEN];
    pr_names np, nq;
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); ++i) {
        is_int(pr_is_modssl_proxy_directive(rows[i].name, strlen(rows[i].name)), rows[i].is,
               "mod_ssl proxy directive? %s: %s", rows[i].name[0] ? rows[i].name : "(empty)",
               rows[i].is ? "yes" : "no");
    }
    is_int(pr_is_modssl_proxy_directive(buf, 8), 0, "mod_ssl proxy directive? the length counts "
           "(SSLProxy of SSLProxyVerifyXXXX: no)");
    is_int(pr_is_modssl_proxy_directive(buf, 14), 1, "mod_ssl proxy directive? no NUL needed");
    is_int(pr_is_modssl_proxy_directive(NULL, 0), 0, "mod_ssl proxy directive? NULL: no");

    memset(zero, 0, sizeof(zero));
#define FOLD(id, n, v) pr_modssl_fold(id, n, strlen(n), v, strlen(v))
    memset(a, 0, sizeof(a));
    FOLD(a, "SSLProxyCACertificateFile", "/etc/ssl/a.crt");
    ok(memcmp(a, zero, PR_FP_LEN), "mod_ssl identity: one directive is not 'none'");
    memset(b, 0, sizeof(b));
    FOLD(b, "sslproxycacertificatefile", "/etc/ssl/a.crt");
    ok(!memcmp(a, b, PR_FP_LEN), "mod_ssl identity: the directive's case does not count");
    memset(b, 0, sizeof(b));
    FOLD(b, "SSLProxyCACertificateFile", "/etc/ssl/A.crt");
    ok(memcmp(a, b, PR_FP_LEN), "mod_ssl identity: the arguments' case counts (file names)");
    memset(b, 0, sizeof(b));
    FOLD(b, "SSLProxyCACertificatePath", "/etc/ssl/a.crt");
    ok(memcmp(a, b, PR_FP_LEN), "mod_ssl identity: the directive counts");
    FOLD(a, "SSLProxyVerify", "require");
    memset(b, 0, sizeof(b));
    FOLD(b, "SSLProxyVerify", "require");
    FOLD(b, "SSLProxyCACertificateFile", "/etc/ssl/a.crt");
    ok(memcmp(a, b, PR_FP_LEN), "mod_ssl identity: the order counts");
    memset(a, 0, sizeof(a));
    FOLD(a, "SSLProxyVerify", "require");
    memset(b, 0, sizeof(b));
    FOLD(b, "SSLProxyVerif", "yrequire");
    ok(memcmp(a, b, PR_FP_LEN), "mod_ssl identity: name and arguments do not run together");
    memset(b, 0, sizeof(b));
    FOLD(b, "SSLProxyVerify", "require");
    ok(!memcmp(a, b, PR_FP_LEN), "mod_ssl identity: deterministic");
#undef FOLD

    /* The identity is in the fingerprint, hence the connection key. */
    q = p;
    pr_resolved_finish(&q);
    ok(!memcmp(p.fp, q.fp, PR_FP_LEN), "fingerprint: no SSLProxy* on either side: equal");
    memcpy(q.modssl, a, PR_FP_LEN);
    pr_resolved_finish(&q);
    ok(memcmp(p.fp, q.fp, PR_FP_LEN), "fingerprint: mod_ssl's configuration of the scope counts");
    pr_choose_names(&p, "b.example", 0, "b.example", &s1, &np);
    pr_conn_key(&p, &np, kp);
    pr_choose_names(&q, "b.example", 0, "b.example", &s2, &nq);
    pr_conn_key(&q, &nq, kq);
    ok(!pr_pooled_may_serve(kp, kq), "pooled: other mod_ssl settings (anchors) get a fresh connection");
    memcpy(p.modssl, b, PR_FP_LEN);     /* written alike */
    pr_resolved_finish(&p);
    pr_conn_key(&p, &np, kp);
    ok(pr_pooled_may_serve(kp, kq), "pooled: mod_ssl settings written alike share connections");
}

/* ---- what the module changes on the wire ---------------------------- */

static void test_wire(void)
{
    pr_resolved a = base(PR_POLICY_AUDIT, PR_VERIFY_CHAIN), e = base(PR_POLICY_ENFORCE, PR_VERIFY_CHAIN);
    pr_resolved o = base(PR_POLICY_OFF, PR_VERIFY_CHAIN);

    ok(!pr_use_session_cache(&a), "audit, cache by default: no resumption (stock never resumes)");
    a.origin[PR_F_SESSION_CACHE] = "f:1";
    ok(pr_use_session_cache(&a), "audit, ProxyReencryptSessionCache on written down: resumes");
    a.session_cache = 0;
    ok(!pr_use_session_cache(&a), "audit, cache off: none");
    ok(pr_use_session_cache(&e), "enforce, cache by default: resumes");
    e.session_cache = 0;
    ok(!pr_use_session_cache(&e), "enforce, cache off: none");
    o.origin[PR_F_SESSION_CACHE] = "f:1";
    ok(!pr_use_session_cache(&o), "off: never");
    ok(pr_refuse_renegotiation(&e), "enforce refuses renegotiation");
    ok(!pr_refuse_renegotiation(&a), "audit leaves renegotiation to mod_ssl");
}

/* ---- handshake time limit, chain bound (issue 12) ------------------- */

static void test_bounds(void)
{
    pr_resolved a = base(PR_POLICY_AUDIT, PR_VERIFY_CHAIN), e = base(PR_POLICY_ENFORCE, PR_VERIFY_CHAIN);
    pr_resolved o = base(PR_POLICY_OFF, PR_VERIFY_CHAIN);

    is_int(e.hs_timeout, 10, "handshake timeout: the SPEC's default is 10 s");
    is_int(pr_handshake_timeout(&e), 10, "enforce: the default handshake timeout applies");
    e.hs_timeout = 2;
    e.origin[PR_F_HS_TIMEOUT] = "f:1";
    is_int(pr_handshake_timeout(&e), 2, "enforce: the written value applies");
    is_int(pr_handshake_timeout(&a), 0, "audit, default: none of ours (stock: mod_proxy's timeout)");
    a.hs_timeout = 3;
    a.origin[PR_F_HS_TIMEOUT] = "f:1";
    is_int(pr_handshake_timeout(&a), 3, "audit, written down: applies");
    o.origin[PR_F_HS_TIMEOUT] = "f:1";
    is_int(pr_handshake_timeout(&o), 0, "off: never");

    is_int(pr_chain_limit(&e), 10, "chain bound: at least 10 certificates (depth 4)");
    e.depth = 20;
    is_int(pr_chain_limit(&e), 23, "chain bound: depth 20 allows leaf + 20 + root + a spare");
    e.depth = 0;
    is_int(pr_chain_limit(&e), 10, "chain bound: depth 0 still allows 10");
}

/* ---- start-up findings ----------------------------------------------- */

static void test_startup(void)
{
    /* crl: 0 no check, 1 check with the module's CRL file, 2 check with
     * no CRL anywhere, 3 check with mod_ssl's CRLs (mod_ssl's store),
     * 4 check with mod_ssl's CRLs but the module's own trust store */
    static const struct {
        pr_policy mode;
        pr_verify verify;
        int pins, tls, anchor, require_tls, crl;
        int code, error;
        pr_field about;
        const char *what;
    } t[] = {
        { PR_POLICY_ENFORCE, PR_VERIFY_CHAIN, 0, 1, 1, 1, 0, 0, 0, PR_F_POLICY, "enforce, TLS, anchor: fine" },
        { PR_POLICY_ENFORCE, PR_VERIFY_CHAIN, 0, 1, 0, 1, 0, 14, 1, PR_F_POLICY, "enforce, no anchor: error" },
        { PR_POLICY_AUDIT, PR_VERIFY_CHAIN, 0, 1, 0, 1, 0, 0, 0, PR_F_POLICY, "audit, no anchor: fine" },
        { PR_POLICY_ENFORCE, PR_VERIFY_PIN, 0, 1, 1, 1, 0, 10, 1, PR_F_VERIFY, "pin mode without pins: error" },
        { PR_POLICY_AUDIT, PR_VERIFY_PIN, 0, 1, 1, 1, 0, 10, 1, PR_F_VERIFY, "pin mode without pins under audit: error" },
        { PR_POLICY_ENFORCE, PR_VERIFY_PIN, 1, 1, 0, 1, 0, 0, 0, PR_F_POLICY, "pin mode with a pin, no anchor: fine" },
        { PR_POLICY_ENFORCE, PR_VERIFY_OFF, 0, 1, 1, 1, 0, 11, 1, PR_F_VERIFY, "verify off under enforce: error" },
        { PR_POLICY_AUDIT, PR_VERIFY_OFF, 0, 1, 1, 1, 0, 0, 0, PR_F_POLICY, "verify off under audit: fine" },
        { PR_POLICY_ENFORCE, PR_VERIFY_CHAIN, 0, 0, 1, 1, 0, 12, 1, PR_F_POLICY, "plaintext under enforce: error" },
        { PR_POLICY_AUDIT, PR_VERIFY_CHAIN, 0, 0, 1, 1, 0, 13, 0, PR_F_REQUIRE_TLS, "plaintext under audit: warning" },
        { PR_POLICY_ENFORCE, PR_VERIFY_CHAIN, 0, 0, 1, 0, 0, 0, 0, PR_F_POLICY, "plaintext, RequireTLS off: fine" },
        { PR_POLICY_OFF, PR_VERIFY_OFF, 0, 0, 0, 1, 0, 0, 0, PR_F_POLICY, "off: nothing" },
        { PR_POLICY_ENFORCE, PR_VERIFY_CHAIN, 0, 1, 1, 1, 1, 0, 0, PR_F_POLICY, "revocation check with a CRL file: fine" },
        { PR_POLICY_ENFORCE, PR_VERIFY_CHAIN, 0, 1, 1, 1, 2, 15, 1, PR_F_CRL_CHECK, "revocation check, no CRL, enforce: error" },
        { PR_POLICY_AUDIT, PR_VERIFY_CHAIN, 0, 1, 1, 1, 2, 15, 0, PR_F_CRL_CHECK, "revocation check, no CRL, audit: warning" },
        { PR_POLICY_ENFORCE, PR_VERIFY_PIN, 1, 1, 0, 1, 2, 15, 1, PR_F_CRL_CHECK, "revocation check, no CRL, pin mode: error" },
        { PR_POLICY_ENFORCE, PR_VERIFY_CHAIN, 0, 1, 1, 1, 3, 0, 0, PR_F_POLICY, "revocation check with mod_ssl's CRLs and store: fine" },
        { PR_POLICY_ENFORCE, PR_VERIFY_CHAIN, 0, 1, 1, 1, 4, 15, 1, PR_F_CRL_CHECK, "mod_ssl's CRLs do not apply to the module's own store: error" },
        { PR_POLICY_ENFORCE, PR_VERIFY_CHAIN, 0, 0, 1, 0, 2, 0, 0, PR_F_POLICY, "revocation check on a plaintext backend: nothing to check" },
        { PR_POLICY_OFF, PR_VERIFY_CHAIN, 0, 1, 1, 1, 2, 0, 0, PR_F_POLICY, "revocation check, policy off: nothing" },
    };
    static const char *const origins[PR_F__COUNT] = {
        [PR_F_POLICY] = "/etc/a.conf:1", [PR_F_VERIFY] = "/etc/a.conf:2",
        [PR_F_REQUIRE_TLS] = "/etc/a.conf:3", [PR_F_CRL_CHECK] = "/etc/b.conf:44",
    };
    size_t i;
    int f;

    for (i = 0; i < sizeof(t) / sizeof(t[0]); ++i) {
        pr_resolved p = base(t[i].mode, t[i].verify);
        pr_finding fd;

        for (f = 0; f < PR_F__COUNT; ++f) {
            p.origin[f] = origins[f];
        }
        p.require_tls = t[i].require_tls;
        if (t[i].pins) {
            p.pins = PIN_A;
            p.n_pins = 1;
        }
        if (t[i].crl) {
            p.crl_check = PR_CRL_CHAIN;
        }
        if (t[i].crl == 1) {
            p.crl_file = "/etc/crl.pem";
            p.crls = (STACK_OF(X509_CRL) *)&p;     /* any non-NULL: not read */
        }
        if (t[i].crl == 4) {
            p.store = (X509_STORE *)&p;
        }
        fd = pr_startup_finding(&p, t[i].tls, t[i].anchor, t[i].crl == 3 || t[i].crl == 4);
        ok(fd.code == t[i].code && fd.error == t[i].error, "start-up: %s (got %d/%d)", t[i].what,
           fd.code, fd.error);
        if (t[i].code) {
            ok(fd.about == t[i].about && fd.at && !strcmp(fd.at, origins[t[i].about]),
               "start-up: %s names %s at %s (got %s at %s)", t[i].what,
               pr_field_directive(t[i].about), origins[t[i].about],
               pr_field_directive(fd.about), fd.at ? fd.at : "(none)");
        }
    }
    /* a finding about a field left at its default has no origin */
    {
        pr_resolved p = base(PR_POLICY_ENFORCE, PR_VERIFY_OFF);
        pr_finding fd = pr_startup_finding(&p, 1, 1, 0);
        ok(fd.code == 11 && fd.at == NULL, "start-up: a default has no file:line");
    }
}

/* Stapled OCSP responses: status x mode x freshness -> reason. */
static void test_ocsp(void)
{
    const long long now = 1800000000LL, H = 3600, D = 86400;
    static const struct {
        pr_ocsp_mode mode;
        pr_staple_status st;
        long long this_off, next_off;   /* from now; next 0: none */
        pr_reason want;
        const char *what;
    } t[] = {
        { PR_OCSP_OFF,     PR_STAPLE_REVOKED,  -H, D, PR_REASON_NONE, "off: never a reason" },
        { PR_OCSP_OFF,     PR_STAPLE_NONE,      0, 0, PR_REASON_NONE, "off: no staple is fine" },
        { PR_OCSP_STAPLE,  PR_STAPLE_GOOD,     -H, D, PR_REASON_NONE, "staple: fresh good" },
        { PR_OCSP_STAPLE,  PR_STAPLE_NONE,      0, 0, PR_REASON_NONE, "staple: none is accepted" },
        { PR_OCSP_STAPLE,  PR_STAPLE_UNKNOWN,  -H, D, PR_REASON_NONE, "staple: unknown is accepted" },
        { PR_OCSP_STAPLE,  PR_STAPLE_REVOKED,  -H, D, PR_REASON_REVOKED, "staple: revoked" },
        { PR_OCSP_STAPLE,  PR_STAPLE_REVOKED, -3*D, -2*D, PR_REASON_REVOKED, "staple: a stale revoked still revokes" },
        { PR_OCSP_STAPLE,  PR_STAPLE_UNUSABLE, -H, D, PR_REASON_OCSP, "staple: unverified refuses" },
        { PR_OCSP_STAPLE,  PR_STAPLE_GOOD,   -3*D, -D, PR_REASON_OCSP, "staple: expired good refuses" },
        { PR_OCSP_REQUIRE, PR_STAPLE_GOOD,     -H, D, PR_REASON_NONE, "require: fresh good" },
        { PR_OCSP_REQUIRE, PR_STAPLE_GOOD,     -H, 0, PR_REASON_NONE, "require: good without nextUpdate" },
        { PR_OCSP_REQUIRE, PR_STAPLE_NONE,      0, 0, PR_REASON_OCSP, "require: none refuses" },
        { PR_OCSP_REQUIRE, PR_STAPLE_UNKNOWN,  -H, D, PR_REASON_OCSP, "require: unknown refuses" },
        { PR_OCSP_REQUIRE, PR_STAPLE_UNUSABLE, -H, D, PR_REASON_OCSP, "require: unverified refuses" },
        { PR_OCSP_REQUIRE, PR_STAPLE_REVOKED,  -H, D, PR_REASON_REVOKED, "require: revoked" },
        { PR_OCSP_REQUIRE, PR_STAPLE_GOOD,   -2*D, -H, PR_REASON_OCSP, "require: nextUpdate an hour ago" },
        { PR_OCSP_REQUIRE, PR_STAPLE_GOOD,   -2*D, -60, PR_REASON_NONE, "require: nextUpdate a minute ago (skew)" },
        { PR_OCSP_REQUIRE, PR_STAPLE_GOOD,     60, D, PR_REASON_NONE, "require: thisUpdate a minute ahead (skew)" },
        { PR_OCSP_REQUIRE, PR_STAPLE_GOOD,      H, D, PR_REASON_OCSP, "require: thisUpdate an hour ahead" },
    };
    size_t i;

    for (i = 0; i < sizeof(t) / sizeof(t[0]); ++i) {
        pr_staple s;
        const char *why = NULL;
        pr_reason r;

        s.status = t[i].st;
        s.this_update = now + t[i].this_off;
        s.next_update = t[i].next_off ? now + t[i].next_off : 0;
        r = pr_ocsp_reason(t[i].mode, &s, now, &why);
        ok(r == t[i].want && why && *why, "ocsp: %s (got %s: %s)", t[i].what,
           pr_reason_name(r), why ? why : "(null)");
    }
    is_str(pr_reason_name(PR_REASON_OCSP), "ocsp", "the reason is named ocsp");

    /* Freshness windows, edges included. */
    is_int(pr_freshness(now, now + D, now, 0), 0, "fresh: thisUpdate now");
    is_int(pr_freshness(now + 1, now + D, now, 0), 1, "not yet: a second ahead, no skew");
    is_int(pr_freshness(now + 300, now + D, now, 300), 0, "skew edge: 300 s ahead");
    is_int(pr_freshness(now + 301, now + D, now, 300), 1, "skew edge: 301 s ahead");
    is_int(pr_freshness(now - D, now - 300, now, 300), 0, "skew edge: nextUpdate 300 s ago");
    is_int(pr_freshness(now - D, now - 301, now, 300), 2, "skew edge: nextUpdate 301 s ago");
    is_int(pr_freshness(now - D, 0, now, 300), 0, "no nextUpdate: fresh");

    /* CRL nextUpdate: fresh, the warning day, stale. */
    is_int(pr_crl_state(now + 2 * D, now), 0, "crl: two days left");
    is_int(pr_crl_state(now + D, now), 0, "crl: exactly a day left: no warning yet");
    is_int(pr_crl_state(now + D - 1, now), 1, "crl: under a day: warning");
    is_int(pr_crl_state(now, now), 1, "crl: nextUpdate now: warning");
    is_int(pr_crl_state(now - 1, now), 2, "crl: past nextUpdate: stale");
    is_int(pr_crl_state(0, now), 0, "crl: no nextUpdate");
}

static void test_address(void)
{
    static const struct {
        pr_policy mode;
        int tls, disable, ttl;
        const char *host;
        int code;
        const char *what;
    } t[] = {
        { PR_POLICY_ENFORCE, 1, 1, 0, "backend.example", 17, "TLS, disablereuse, no addressttl: note" },
        { PR_POLICY_AUDIT, 1, 1, 0, "backend.example", 17, "the same under audit" },
        { PR_POLICY_ENFORCE, 1, 1, 1, "backend.example", 0, "addressttl set: nothing" },
        { PR_POLICY_ENFORCE, 1, 0, 0, "backend.example", 0, "pooled connections: nothing" },
        { PR_POLICY_ENFORCE, 0, 1, 0, "backend.example", 0, "plaintext: not the module's" },
        { PR_POLICY_OFF, 1, 1, 0, "backend.example", 0, "policy off: nothing" },
        { PR_POLICY_ENFORCE, 1, 1, 0, "127.0.0.1", 0, "an IPv4 literal is never resolved" },
        { PR_POLICY_ENFORCE, 1, 1, 0, "::1", 0, "nor an IPv6 literal" },
    };
    size_t i;

    for (i = 0; i < sizeof(t) / sizeof(t[0]); ++i) {
        pr_resolved p = base(t[i].mode, PR_VERIFY_CHAIN);
        pr_finding f = pr_address_finding(&p, t[i].tls, t[i].disable, t[i].ttl, t[i].host,
                                          strlen(t[i].host));

        ok(f.code == t[i].code && !f.error, "address: %s (got %d)", t[i].what, f.code);
    }
}

/* ---- stream routes ---------------------------------------------- */

static void test_routes(void)
{
    static const char *const m[] = { "a.test", "*.b.test", "*.x.b.test", "default", "c.test" };
    static const char *const nodef[] = { "a.test", "*.b.test" };
    static const struct { const char *sni; int want; const char *what; } rows[] = {
        { "a.test", 0, "exact name" },
        { "A.TEST", 0, "exact name, case-insensitive" },
        { "c.test", 4, "exact name after default" },
        { "w.b.test", 1, "*.domain: one label" },
        { "v.w.b.test", 1, "*.domain: any depth" },
        { "y.x.b.test", 2, "the longest *.domain wins" },
        { "b.test", 3, "*.b.test does not match b.test itself: default" },
        { "xb.test", 3, "*.b.test does not match xb.test: default" },
        { "other.test", 3, "unknown name: default" },
        { "", 3, "no SNI: default" },
    };
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); ++i) {
        is_int(pr_route_pick(m, 5, rows[i].sni, strlen(rows[i].sni)), rows[i].want,
               "route: %s (%s)", rows[i].what, rows[i].sni);
    }
    is_int(pr_route_pick(m, 5, NULL, 0), 3, "route: NULL SNI goes to default");
    is_int(pr_route_pick(nodef, 2, NULL, 0), -1, "route: no SNI, no default: none");
    is_int(pr_route_pick(nodef, 2, "z.test", 6), -1, "route: unknown name, no default: none");
    is_int(pr_route_pick(nodef, 2, "q.b.test", 8), 1, "route: *.domain without default");
    is_int(pr_route_pick(m, 0, "a.test", 6), -1, "route: no routes: none");
}

/* ---- reloading trust files ---------------------------------------- */

static void test_reload(void)
{
    static const struct { long long now, last; long interval; int want; const char *what; } due[] = {
        { 1000, 0, 0, 0, "reload off: never due" },
        { 1000, 0, 1, 1, "never checked: due" },
        { 1000, 1000, 1, 0, "checked this second: not due" },
        { 1001, 1000, 1, 1, "one second later, interval 1: due" },
        { 1059, 1000, 60, 0, "59 s of 60: not due" },
        { 1060, 1000, 60, 1, "60 s of 60: due" },
        { 900, 1000, 60, 1, "clock stepped back: due" },
    };
    static const struct {
        unsigned long long loaded, failed, seen;
        pr_reload_step want;
        const char *what;
    } steps[] = {
        { 7, 0, 7, PR_RELOAD_KEEP, "unchanged: keep" },
        { 7, 0, 8, PR_RELOAD_BUILD, "changed: build" },
        { 7, 8, 8, PR_RELOAD_STILL_BAD, "the state that failed: no new attempt (one log line)" },
        { 7, 8, 9, PR_RELOAD_BUILD, "changed again after a failure: build" },
        { 7, 8, 7, PR_RELOAD_RECOVERED, "moved back to the files in force: failure cleared" },
    };
    unsigned char k0[PR_FP_LEN], k1[PR_FP_LEN], k2[PR_FP_LEN], k1b[PR_FP_LEN];
    unsigned long long a, b;
    size_t i;

    for (i = 0; i < sizeof(due) / sizeof(due[0]); ++i) {
        is_int(pr_reload_due(due[i].now, due[i].last, due[i].interval), due[i].want,
               "reload due: %s", due[i].what);
    }
    for (i = 0; i < sizeof(steps) / sizeof(steps[0]); ++i) {
        is_int(pr_reload_step_of(steps[i].loaded, steps[i].failed, steps[i].seen), steps[i].want,
               "reload step: %s", steps[i].what);
    }
    a = pr_sig_fold(PR_SIG_START, "ca.pem", 6, 1000, 500, 42);
    b = pr_sig_fold(PR_SIG_START, "ca.pem", 6, 1000, 500, 42);
    ok(a == b && a != 0, "signature: the same state gives the same signature");
    ok(pr_sig_fold(PR_SIG_START, "ca.pem", 6, 1001, 500, 42) != a, "signature: mtime counts");
    ok(pr_sig_fold(PR_SIG_START, "ca.pem", 6, 1000, 501, 42) != a, "signature: size counts");
    ok(pr_sig_fold(PR_SIG_START, "ca.pem", 6, 1000, 500, 43) != a,
       "signature: inode counts (a file renamed over it)");
    ok(pr_sig_fold(PR_SIG_START, "cb.pem", 6, 1000, 500, 42) != a, "signature: the name counts");
    ok(pr_sig_fold(PR_SIG_START, "ca.pem", 6, -1, 0, 0) != a, "signature: a missing file differs");

    memset(k0, 0x11, sizeof(k0));
    memcpy(k1, k0, sizeof(k0));
    memcpy(k2, k0, sizeof(k0));
    memcpy(k1b, k0, sizeof(k0));
    pr_conn_key_trust(k0, 0);
    pr_conn_key_trust(k1, 1);
    pr_conn_key_trust(k1b, 1);
    pr_conn_key_trust(k2, 2);
    ok(k0[0] == 0x11 && k0[PR_FP_LEN - 1] == 0x11, "trust generation 0: the key as it was");
    ok(!pr_pooled_may_serve(k0, k1), "trust generation 1: a connection of generation 0 is not reused");
    ok(!pr_pooled_may_serve(k1, k2), "trust generation 2: nor one of generation 1");
    ok(pr_pooled_may_serve(k1, k1b), "the same generation: reused");
}

/* ---- trust files and the status scope ----------------------------- */

static void test_trust_scope(void)
{
    static const pr_trust_setting ca_file = { "/pki/a-ca.pem", NULL, NULL };
    static const pr_trust_setting ca_dir = { NULL, "/pki/capath", NULL };
    static const pr_trust_setting ca_both = { "/pki/a-ca.pem", "/pki/capath", NULL };
    static const pr_trust_setting crl = { NULL, NULL, "/pki/a-crl.pem" };
    static const pr_trust_setting same_name = { "/pki/x.pem", NULL, "/pki/x.pem" };
    static const pr_trust_setting none = { NULL, NULL, NULL };
    static const struct {
        int is_crl;
        const char *label;
        const pr_trust_setting *set;
        int want;
        const char *what;
    } rows[] = {
        { 0, "/pki/a-ca.pem", &ca_file, 1, "CA file: its own file" },
        { 0, "/pki/b-ca.pem", &ca_file, 0, "CA file: another vhost's file" },
        { 0, "/pki/a-ca.pem.old", &ca_file, 0, "CA file: a longer name is another file" },
        { 0, "/pki/a-ca.pe", &ca_file, 0, "CA file: a shorter name is another file" },
        { 0, "/pki/capath", &ca_dir, 1, "CA directory: its own directory" },
        { 0, "/pki/a-ca.pem", &ca_dir, 0, "CA directory: not a file of the same vhost's table" },
        { 0, "/pki/a-ca.pem + /pki/capath", &ca_both, 1, "CA file and directory: one entry" },
        { 0, "/pki/a-ca.pem", &ca_both, 0, "CA file and directory: the file alone is another entry" },
        { 0, "/pki/capath", &ca_both, 0, "CA file and directory: the directory alone is another entry" },
        { 1, "/pki/a-crl.pem", &crl, 1, "CRL file: its own file" },
        { 1, "/pki/b-crl.pem", &crl, 0, "CRL file: another vhost's file" },
        { 0, "/pki/a-crl.pem", &crl, 0, "CRL file: no CA entry of that name" },
        { 1, "/pki/x.pem", &same_name, 1, "CA and CRL of one name: the CRL entry" },
        { 0, "/pki/x.pem", &same_name, 1, "CA and CRL of one name: the CA entry" },
        { 1, "/pki/a-ca.pem", &ca_file, 0, "a CA file does not show a CRL entry of its name" },
        { 0, "", &none, 0, "no setting: nothing shown, not even an empty label" },
        { 1, "", &none, 0, "no CRL file: nothing shown" },
        { 0, "/pki/a-ca.pem", NULL, 0, "no scope: nothing shown" },
    };
    char big[700], other[700], label[PR_TRUST_LABEL_MAX + 8], dir[300];
    pr_trust_setting set = { NULL, NULL, NULL };
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); ++i) {
        is_int(pr_trust_in_setting(rows[i].is_crl, rows[i].label, strlen(rows[i].label),
                                   rows[i].set), rows[i].want, "trust scope: %s", rows[i].what);
    }
    /* the label need not be NUL-terminated: only len bytes count */
    memcpy(label, "/pki/a-crl.pemXYZ", 18);
    is_int(pr_trust_in_setting(1, label, 14, &crl), 1, "trust scope: only len bytes of the label count");
    is_int(pr_trust_in_setting(1, label, 17, &crl), 0, "trust scope: trailing bytes are a different label");

    /* Long names: the table keeps PR_TRUST_LABEL_MAX bytes. */
    memset(big, 'a', sizeof(big) - 1);
    big[0] = '/';
    big[sizeof(big) - 1] = '\0';
    memcpy(other, big, sizeof(other));
    other[sizeof(other) - 2] = 'b';     /* differs after the cut */
    set.crl_file = big;
    memcpy(label, big, PR_TRUST_LABEL_MAX);
    is_int(pr_trust_in_setting(1, label, PR_TRUST_LABEL_MAX, &set), 1,
           "trust scope: a long CRL file, cut as the table keeps it");
    is_int(pr_trust_in_setting(1, label, PR_TRUST_LABEL_MAX - 1, &set), 0,
           "trust scope: a long CRL file cut shorter is another label");
    set.crl_file = other;
    is_int(pr_trust_in_setting(1, label, PR_TRUST_LABEL_MAX, &set), 1,
           "trust scope: two long names equal up to the cut are one entry of the table");
    label[100] = 'x';
    is_int(pr_trust_in_setting(1, label, PR_TRUST_LABEL_MAX, &set), 0,
           "trust scope: a long name differing before the cut is another file");

    /* A CA file and directory whose label is cut inside the directory. */
    memset(dir, 'd', sizeof(dir) - 1);
    dir[0] = '/';
    dir[sizeof(dir) - 1] = '\0';
    set.ca_file = big + 400;            /* 299 bytes */
    set.ca_path = dir;                  /* 299 bytes */
    set.crl_file = NULL;
    memcpy(label, set.ca_file, 299);
    memcpy(label + 299, PR_TRUST_LABEL_SEP, 3);
    memcpy(label + 302, dir, PR_TRUST_LABEL_MAX - 302);
    is_int(pr_trust_in_setting(0, label, PR_TRUST_LABEL_MAX, &set), 1,
           "trust scope: file + directory cut inside the directory");
    label[300] = '-';
    is_int(pr_trust_in_setting(0, label, PR_TRUST_LABEL_MAX, &set), 0,
           "trust scope: file + directory: the separator counts");
}

int main(void)
{
    test_trust_scope();
    test_reload();
    test_ocsp();
    test_defaults();
    test_precedence();
    test_section_names();
    test_names();
    test_pins();
    test_verdict();
    test_resumed();
    test_outcome();
    test_cross_product();
    test_pooled();
    test_modssl();
    test_startup();
    test_wire();
    test_bounds();
    test_address();
    test_routes();
    return done_testing();
}

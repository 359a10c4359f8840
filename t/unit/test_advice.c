/* The suggested fixes of the "would refuse" view (pr_advice.c): one row
 * per reason, with the facts each fix depends on. */
#include <string.h>

#include "pr_advice.h"
#include "tap.h"

static const char *advise(pr_reason r, const pr_advice_facts *f)
{
    static char buf[512];

    pr_advice(r, f, buf, sizeof(buf));
    return buf;
}

#define has(hay, needle, ...) do {                                   \
        const char *h_ = (hay);                                      \
        ok(strstr(h_, (needle)) != NULL, __VA_ARGS__);               \
        if (!strstr(h_, (needle))) printf("#   '%s' lacks '%s'\n", h_, (needle)); \
    } while (0)

int main(void)
{
    char host[64], small[8];
    pr_advice_facts ipb = { "https://10.0.0.7:8443/", "CN=app", "CN=Internal CA",
                            "DNS:app.internal, DNS:app2.internal", "sha256//AAAA=", 1, 40 };
    pr_advice_facts ss = { "https://snake.test:443", "CN=snake", "CN=snake", "DNS:snake.test",
                           "sha256//SELF=", 1, 300 };
    pr_advice_facts ca = { "https://app:443", "CN=app", "CN=Other CA", "DNS:app", "sha256//LEAF=",
                           1, 300 };
    pr_advice_facts exp = { "https://old:443", "CN=old", "CN=CA", "DNS:old", "sha256//X=", 1, -35 };
    pr_advice_facts soon = { "https://soon:443", "CN=soon", "CN=CA", "DNS:soon", "sha256//X=", 1, 3 };
    pr_advice_facts ipsan = { "https://[2001:db8::1]:443/", "CN=x", "CN=CA", "IP:192.0.2.1", "", 1, 9 };
    pr_advice_facts none = { "https://bare:443", "CN=bare", "CN=CA", "", "", 1, 9 };
    pr_advice_facts nothing = { NULL, NULL, NULL, NULL, NULL, 0, 0 };
    size_t need;

    is_int(pr_advice_host("https://10.0.0.7:8443/", host, sizeof(host)), 1, "host of an IPv4 URL: an IP");
    is_str(host, "10.0.0.7", "... 10.0.0.7");
    is_int(pr_advice_host("https://[2001:db8::1]:443/", host, sizeof(host)), 1, "IPv6 URL: an IP");
    is_str(host, "2001:db8::1", "... without brackets");
    is_int(pr_advice_host("https://app.internal:8443", host, sizeof(host)), 0, "DNS URL: not an IP");
    is_str(host, "app.internal", "... app.internal");
    is_int(pr_advice_host("h2://a1b2:1", host, sizeof(host)), 0, "a name of hex digits is no IP");
    is_int(pr_advice_host(NULL, host, sizeof(host)), 0, "NULL URL: no host");

    has(advise(PR_REASON_NAME_MISMATCH, &ipb), "ProxyReencryptExpectName app.internal ",
        "name-mismatch on an IP URL: ExpectName, the certificate's first DNS name");
    has(advise(PR_REASON_NAME_MISMATCH, &ipb), "the URL is an IP address", "... says why");
    has(advise(PR_REASON_NAME_MISMATCH, &ipsan), "ProxyReencryptExpectName 192.0.2.1 ",
        "name-mismatch, only an IP SAN: that IP");
    has(advise(PR_REASON_NAME_MISMATCH, &none), "reissue it with a subjectAltName for bare",
        "name-mismatch, no SAN at all: reissue");
    has(advise(PR_REASON_UNTRUSTED, &ss), "ProxyReencryptVerify pin and ProxyReencryptPin sha256//SELF=",
        "untrusted self-signed: pin mode with its pin");
    has(advise(PR_REASON_UNTRUSTED, &ca), "add the CA of \"CN=Other CA\" to ProxyReencryptCACertificateFile",
        "untrusted CA-issued: add its CA");
    has(advise(PR_REASON_UNTRUSTED, &ca), "ProxyReencryptPin sha256//LEAF=", "... or pin it");
    has(advise(PR_REASON_UNTRUSTED, &nothing), "ProxyReencryptCACertificateFile",
        "untrusted, nothing known: add its CA");
    has(advise(PR_REASON_PIN_MISMATCH, &ca), "ProxyReencryptPin sha256//LEAF=", "pin-mismatch: the new pin");
    has(advise(PR_REASON_EXPIRED, &exp), "expired 35 days ago", "expired: how long ago");
    has(advise(PR_REASON_EXPIRING, &soon), "expires in 3 days", "expiring: in how many days");
    has(advise(PR_REASON_NOT_YET_VALID, &ca), "clocks", "not-yet-valid: the clocks");
    has(advise(PR_REASON_DEPTH, &ca), "ProxyReencryptVerifyDepth", "depth: raise the depth");
    has(advise(PR_REASON_REVOKED, &ca), "revoked", "revoked: replace it");
    has(advise(PR_REASON_PROTOCOL, &ca), "ProxyReencryptMinProtocol", "protocol: the floor");
    has(advise(PR_REASON_HANDSHAKE, &nothing), "speaks TLS", "handshake: does it speak TLS");
    has(advise(PR_REASON_NO_CERTIFICATE, &nothing), "speaks TLS", "no-certificate: the same");
    has(advise(PR_REASON_PLAINTEXT, &nothing), "ProxyReencryptPolicy off", "plaintext: https:// or exempt");
    is_str(advise(PR_REASON_NONE, &nothing), "-", "no reason: nothing to do");

    need = pr_advice(PR_REASON_EXPIRED, &exp, small, sizeof(small));
    ok(need > sizeof(small) && strlen(small) == sizeof(small) - 1,
       "a short buffer: cut and terminated, the length needed returned");
    return done_testing();
}

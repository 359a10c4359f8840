/*
 * pr_advice.c: the suggested fix for a "would refuse" (pr_advice.h).
 */
#include "pr_advice.h"

#include <stdio.h>
#include <string.h>

static const char *nz(const char *s)
{
    return s ? s : "";
}

int pr_advice_host(const char *backend, char *buf, size_t cap)
{
    const char *s = strstr(nz(backend), "://"), *e;
    size_t len;
    int ip = 1;

    if (cap == 0) {
        return 0;
    }
    buf[0] = '\0';
    s = s ? s + 3 : nz(backend);
    if (*s == '[') {
        ++s;
        e = strchr(s, ']');
        if (!e) {
            return 0;
        }
    }
    else {
        e = s + strcspn(s, ":/");
    }
    len = (size_t)(e - s);
    if (len >= cap) {
        len = cap - 1;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (!len) {
        return 0;
    }
    if (strchr(buf, ':')) {
        return 1;                               /* IPv6 */
    }
    for (s = buf; *s; ++s) {
        if (!((*s >= '0' && *s <= '9') || *s == '.')) {
            ip = 0;
        }
    }
    return ip;
}

/* The first name of a SAN list ("DNS:a, IP Address:1.2.3.4"): DNS names
 * first, else an IP. */
static int first_san(const char *sans, char *buf, size_t cap)
{
    const char *kinds[] = { "DNS:", "IP:", "IP Address:" };
    size_t k;

    for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); ++k) {
        const char *p = nz(sans);

        while ((p = strstr(p, kinds[k])) != NULL) {
            size_t len;

            if (p != sans && p[-1] != ' ' && p[-1] != ',') {
                p += strlen(kinds[k]);
                continue;
            }
            p += strlen(kinds[k]);
            len = strcspn(p, ", ");
            if (len && len < cap) {
                memcpy(buf, p, len);
                buf[len] = '\0';
                return 1;
            }
        }
    }
    return 0;
}

size_t pr_advice(pr_reason r, const pr_advice_facts *f, char *buf, size_t cap)
{
    char host[256], name[256];
    int n = 0, ip = pr_advice_host(f->backend, host, sizeof(host));
    int selfsigned = f->have_cert && f->subject && f->subject[0] && f->issuer
                     && !strcmp(f->subject, f->issuer);
    const char *pin = nz(f->pin);

    switch (r) {
    case PR_REASON_PLAINTEXT:
        n = snprintf(buf, cap, "use https:// for it, or exempt it: "
                     "ProxyReencryptPolicy off in its <Proxy> section");
        break;
    case PR_REASON_NAME_MISMATCH:
        if (first_san(f->sans, name, sizeof(name))) {
            n = snprintf(buf, cap, "ProxyReencryptExpectName %s (a name its certificate "
                         "has%s)", name, ip ? "; the URL is an IP address" : "");
        }
        else {
            n = snprintf(buf, cap, "its certificate names no host: reissue it with a "
                         "subjectAltName for %s", host[0] ? host : "the backend");
        }
        break;
    case PR_REASON_UNTRUSTED:
        if (selfsigned && pin[0]) {
            n = snprintf(buf, cap, "ProxyReencryptVerify pin and ProxyReencryptPin %s "
                         "(self-signed; check the pin against the backend's certificate)",
                         pin);
        }
        else if (pin[0]) {
            n = snprintf(buf, cap, "add the CA of \"%s\" to ProxyReencryptCACertificateFile, "
                         "or ProxyReencryptVerify pin and ProxyReencryptPin %s",
                         nz(f->issuer), pin);
        }
        else {
            n = snprintf(buf, cap, "add its CA to ProxyReencryptCACertificateFile");
        }
        break;
    case PR_REASON_PIN_MISMATCH:
        n = snprintf(buf, cap, "its key is not pinned: ProxyReencryptPin %s, once this "
                     "certificate is known to be the backend's", pin[0] ? pin : "(its pin)");
        break;
    case PR_REASON_EXPIRED:
        n = snprintf(buf, cap, "certificate expired %ld days ago: renew it on the backend",
                     f->days_left < 0 ? -f->days_left : 0);
        break;
    case PR_REASON_EXPIRING:
        n = snprintf(buf, cap, "certificate expires in %ld days: renew it on the backend, "
                     "or lower the refuse threshold of ProxyReencryptExpiry", f->days_left);
        break;
    case PR_REASON_NOT_YET_VALID:
        n = snprintf(buf, cap, "certificate not valid yet: check the clocks of the backend "
                     "and of this server");
        break;
    case PR_REASON_DEPTH:
        n = snprintf(buf, cap, "chain longer than ProxyReencryptVerifyDepth: raise it");
        break;
    case PR_REASON_REVOKED:
        n = snprintf(buf, cap, "certificate revoked: replace it on the backend");
        break;
    case PR_REASON_PROTOCOL:
        n = snprintf(buf, cap, "the backend speaks an older TLS than "
                     "ProxyReencryptMinProtocol: upgrade it, or lower the floor");
        break;
    case PR_REASON_NO_CERTIFICATE:
    case PR_REASON_HANDSHAKE:
        n = snprintf(buf, cap, "the TLS handshake failed: check that the backend speaks TLS "
                     "on this port");
        break;
    default:
        n = snprintf(buf, cap, "-");
        break;
    }
    return n < 0 ? 0 : (size_t)n;
}

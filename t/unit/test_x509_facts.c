#define _POSIX_C_SOURCE 200809L
/* The certificate facts the metrics carry (pr_x509.c): the SHA-256
 * fingerprint, the serial and notAfter of a certificate, and the earliest
 * notAfter of a chain, checked against the openssl command-line tool on
 * the test PKI (argv[1], build/pki.sh output). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>

#include <openssl/pem.h>

#include "pr_x509.h"
#include "tap.h"
#include "pki.h"

/* The first line of `openssl x509 -in DIR/NAME -noout ARG`, after '=',
 * lowercased, without ':'. */
static void cli(const char *dir, const char *name, const char *arg, char *out, size_t len)
{
    char cmd[1200], line[512], *v;
    FILE *p;
    size_t i, o = 0;

    out[0] = '\0';
    snprintf(cmd, sizeof(cmd), "openssl x509 -in '%s/%s' -noout %s", dir, name, arg);
    p = popen(cmd, "r");
    if (!p) {
        return;
    }
    if (fgets(line, sizeof(line), p)) {
        v = strchr(line, '=');
        v = v ? v + 1 : line;
        for (i = 0; v[i] && v[i] != '\n' && o + 1 < len; ++i) {
            if (v[i] != ':') {
                out[o++] = (char)tolower((unsigned char)v[i]);
            }
        }
        out[o] = '\0';
    }
    pclose(p);
}

static long long cli_not_after(const char *dir, const char *name)
{
    char cmd[1200], line[128];
    FILE *p;
    long long t = -1;

    snprintf(cmd, sizeof(cmd),
             "date -d \"$(openssl x509 -in '%s/%s' -noout -enddate | cut -d= -f2)\" +%%s",
             dir, name);
    p = popen(cmd, "r");
    if (p && fgets(line, sizeof(line), p)) {
        t = atoll(line);
    }
    if (p) {
        pclose(p);
    }
    return t;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "t/pki";
    const char *names[] = { "good.crt", "expired.crt", "selfsigned.crt", "inter.crt" };
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); ++i) {
        X509 *x = pki_load(dir, names[i]);
        char got[128], want[128];

        ok(x != NULL, "%s loads", names[i]);
        if (!x) {
            continue;
        }
        pr_x509_fingerprint_hex(x, got);
        cli(dir, names[i], "-fingerprint -sha256", want, sizeof(want));
        is_str(got, want, "%s: fingerprint_sha256 as openssl x509 -fingerprint -sha256", names[i]);
        is_int(strlen(got), 64, "%s: 64 hex digits", names[i]);
        pr_x509_serial_hex(x, got, sizeof(got));
        cli(dir, names[i], "-serial", want, sizeof(want));
        /* openssl prints leading zeros that BN_bn2hex keeps too (even digits) */
        is_str(got, want, "%s: serial as openssl x509 -serial", names[i]);
        ok(pr_x509_not_after_unix(x) == cli_not_after(dir, names[i]),
           "%s: notAfter as Unix time (%lld)", names[i], pr_x509_not_after_unix(x));
        pr_x509_serial_hex(x, got, 3);
        is_int(strlen(got), 2, "%s: a short buffer is cut, terminated", names[i]);
        X509_free(x);
    }

    /* the earliest of leaf and chain: an expiring leaf under a long-lived
     * intermediate is the leaf; the chain alone gives its own earliest */
    {
        X509 *leaf = pki_load(dir, "expiring.crt"), *inter = pki_load(dir, "inter.crt");
        X509 *exp = pki_load(dir, "expired.crt");
        STACK_OF(X509) *chain = sk_X509_new_null();

        ok(leaf && inter && exp && chain, "chain certificates load");
        if (leaf && inter && exp && chain) {
            sk_X509_push(chain, inter);
            ok(pr_x509_chain_not_after(leaf, chain) == pr_x509_not_after_unix(leaf),
               "earliest of expiring leaf + intermediate: the leaf");
            sk_X509_push(chain, exp);
            ok(pr_x509_chain_not_after(inter, chain) == pr_x509_not_after_unix(exp),
               "earliest with an expired certificate in the chain: that one");
            ok(pr_x509_chain_not_after(NULL, chain) == pr_x509_not_after_unix(exp),
               "no leaf: the chain's earliest");
            is_int(pr_x509_chain_not_after(NULL, NULL), 0, "nothing: 0");
        }
        sk_X509_free(chain);
        X509_free(leaf);
        X509_free(inter);
        X509_free(exp);
    }
    return done_testing();
}

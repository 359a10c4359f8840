/*
 * Unit tests of pr_fwd_stats.c: which counter (label) a stripped header
 * name counts under, in every spelling, and that a client-chosen name can
 * never make a new label.
 */
#include <stdlib.h>

#include "tap.h"

#include "pr_fwd_stats.h"

#define S(lit) lit, sizeof(lit) - 1

static void test_family_of(void)
{
    static const struct { const char *name; int want; } rows[] = {
        { "X-Forwarded-For", PR_FWDF_X_FORWARDED_FOR },
        { "x-forwarded-for", PR_FWDF_X_FORWARDED_FOR },
        { "X_FORWARDED_FOR", PR_FWDF_X_FORWARDED_FOR },
        { "X-Forwarded_For", PR_FWDF_X_FORWARDED_FOR },
        { "X-Forwarded-Proto", PR_FWDF_X_FORWARDED_PROTO },
        { "x_forwarded_host", PR_FWDF_X_FORWARDED_HOST },
        { "X-FORWARDED-PORT", PR_FWDF_X_FORWARDED_PORT },
        { "X-Forwarded-Server", PR_FWDF_X_FORWARDED_SERVER },
        { "X-Forwarded", PR_FWDF_X_FORWARDED_OTHER },
        { "X-Forwarded-Prefix", PR_FWDF_X_FORWARDED_OTHER },
        { "x_forwarded_ssl", PR_FWDF_X_FORWARDED_OTHER },
        { "X-Forwarded-For2", PR_FWDF_X_FORWARDED_OTHER },
        { "X-Forwarded-Anything-A-Client-Types", PR_FWDF_X_FORWARDED_OTHER },
        { "Forwarded", PR_FWDF_FORWARDED },
        { "FORWARDED", PR_FWDF_FORWARDED },
        { "X-Real-IP", PR_FWDF_X_REAL_IP },
        { "x_real_ip", PR_FWDF_X_REAL_IP },
        { "X-Client-IP", PR_FWDF_X_CLIENT_IP },
        { "Client-IP", PR_FWDF_CLIENT_IP },
        { "True-Client-IP", PR_FWDF_TRUE_CLIENT_IP },
        { "X-Cluster-Client-IP", PR_FWDF_X_CLUSTER_CLIENT_IP },
        { "CF-Connecting-IP", PR_FWDF_CF_CONNECTING_IP },
        { "Fastly-Client-IP", PR_FWDF_FASTLY_CLIENT_IP },
        { "X-Original-Forwarded-For", PR_FWDF_X_ORIGINAL_FORWARDED_FOR },
        { "Front-End-Https", PR_FWDF_FRONT_END_HTTPS },
        { "X-Url-Scheme", PR_FWDF_X_URL_SCHEME },
        /* outside the family: only a StripHeader name is ever removed */
        { "X-Auth-User", PR_FWDF_STRIP_HEADER },
        { "X-Forwardedfor", PR_FWDF_STRIP_HEADER },
        { "Forwarded-For", PR_FWDF_STRIP_HEADER },
        { "X-Real-IPs", PR_FWDF_STRIP_HEADER },
        { "", PR_FWDF_STRIP_HEADER },
    };
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); ++i) {
        is_int(pr_fwd_family_of(rows[i].name, strlen(rows[i].name)), rows[i].want,
               "family of '%s': %s", rows[i].name, pr_fwd_family_label(rows[i].want));
    }
    is_int(pr_fwd_family_of(NULL, 0), PR_FWDF_STRIP_HEADER, "family of NULL");
    /* counted strings: the bytes after len are not read */
    is_int(pr_fwd_family_of(S("X-Real-IPX") - 1), PR_FWDF_X_REAL_IP,
           "family of a counted 'X-Real-IP' followed by more bytes");
}

static void test_labels(void)
{
    int f, g, ok_all = 1;

    for (f = 0; f < PR_FWDF__COUNT; ++f) {
        const char *l = pr_fwd_family_label(f);
        ok_all &= l != NULL && *l != '\0';
        for (g = 0; l && g < f; ++g) {
            ok_all &= strcmp(l, pr_fwd_family_label(g)) != 0;
        }
        /* a label that is a header name counts under itself */
        if (l && f != PR_FWDF_X_FORWARDED_OTHER && f != PR_FWDF_STRIP_HEADER) {
            is_int(pr_fwd_family_of(l, strlen(l)), f, "label '%s' is its own family", l);
        }
    }
    ok(ok_all, "every family has a distinct, non-empty label");
    ok(pr_fwd_family_label(-1) == NULL && pr_fwd_family_label(PR_FWDF__COUNT) == NULL,
       "family labels out of range: NULL");
    is_str(pr_fwd_list_label(PR_FWDL_XFF), "x-forwarded-for", "list label: X-Forwarded-For");
    is_str(pr_fwd_list_label(PR_FWDL_FORWARDED), "forwarded", "list label: Forwarded");
    ok(pr_fwd_list_label(PR_FWDL__COUNT) == NULL, "list label out of range: NULL");
    is_str(pr_fwd_value_label(PR_FWDV_PROTO), "x-forwarded-proto", "value label: proto");
    is_str(pr_fwd_value_label(PR_FWDV_HOST), "x-forwarded-host", "value label: host");
    is_str(pr_fwd_value_label(PR_FWDV_PORT), "x-forwarded-port", "value label: port");
    is_str(pr_fwd_value_label(PR_FWDV_REAL_IP), "x-real-ip", "value label: X-Real-IP");
    ok(pr_fwd_value_label(-1) == NULL, "value label out of range: NULL");
}

int main(void)
{
    test_family_of();
    test_labels();
    return done_testing();
}

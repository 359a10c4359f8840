/*
 * pr_fwd_stats.c: the labels of the per-vhost forwarded-header counters
 * (see pr_fwd_stats.h). Pure: no httpd, no APR.
 */
#include "pr_fwd_stats.h"

#include "pr_forwarded.h"

static const char *const family_labels[PR_FWDF__COUNT] = {
    "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port",
    "x-forwarded-server", "x-forwarded-other", "forwarded", "x-real-ip", "x-client-ip",
    "client-ip", "true-client-ip", "x-cluster-client-ip", "cf-connecting-ip",
    "fastly-client-ip", "x-original-forwarded-for", "front-end-https", "x-url-scheme",
    "strip-header",
};

pr_fwd_family pr_fwd_family_of(const char *name, size_t len)
{
    int f;

    if (name == NULL || len == 0 || !pr_fwd_in_family(name, len)) {
        return PR_FWDF_STRIP_HEADER;
    }
    /* Whole names first (X-Forwarded-For is also an X-Forwarded-*). */
    for (f = 0; f < PR_FWDF_STRIP_HEADER; ++f) {
        const char *l = family_labels[f];
        if (f != PR_FWDF_X_FORWARDED_OTHER && pr_hdr_name_eq(name, len, l, strlen(l))) {
            return (pr_fwd_family)f;
        }
    }
    /* In the family and none of the above: X-Forwarded or X-Forwarded-*. */
    return PR_FWDF_X_FORWARDED_OTHER;
}

const char *pr_fwd_family_label(int f)
{
    return f >= 0 && f < PR_FWDF__COUNT ? family_labels[f] : NULL;
}

const char *pr_fwd_list_label(int l)
{
    static const char *const labels[PR_FWDL__COUNT] = { "x-forwarded-for", "forwarded" };

    return l >= 0 && l < PR_FWDL__COUNT ? labels[l] : NULL;
}

const char *pr_fwd_value_label(int v)
{
    static const char *const labels[PR_FWDV__COUNT] = {
        "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port", "x-real-ip"
    };

    return v >= 0 && v < PR_FWDV__COUNT ? labels[v] : NULL;
}

/*
 * pr_fwd_stats.h: the labels of the per-vhost forwarded-header counters
 * (pr_status_fwd.c counts, the status pages show them). Pure: no httpd,
 * no APR.
 *
 * A stripped header is counted under one of a fixed set of families, so
 * that what a client writes can never make a new series: the names the
 * module sets or reads, each member of the SPEC's family, every other
 * X-Forwarded-* (and X-Forwarded) together, and the names of
 * ProxyReencryptStripHeader together.
 */
#ifndef PR_FWD_STATS_H
#define PR_FWD_STATS_H

#include <stddef.h>

typedef enum {
    PR_FWDF_X_FORWARDED_FOR = 0,
    PR_FWDF_X_FORWARDED_PROTO,
    PR_FWDF_X_FORWARDED_HOST,
    PR_FWDF_X_FORWARDED_PORT,
    PR_FWDF_X_FORWARDED_SERVER,
    PR_FWDF_X_FORWARDED_OTHER,      /* X-Forwarded, X-Forwarded-<other> */
    PR_FWDF_FORWARDED,
    PR_FWDF_X_REAL_IP,
    PR_FWDF_X_CLIENT_IP,
    PR_FWDF_CLIENT_IP,
    PR_FWDF_TRUE_CLIENT_IP,
    PR_FWDF_X_CLUSTER_CLIENT_IP,
    PR_FWDF_CF_CONNECTING_IP,
    PR_FWDF_FASTLY_CLIENT_IP,
    PR_FWDF_X_ORIGINAL_FORWARDED_FOR,
    PR_FWDF_FRONT_END_HTTPS,
    PR_FWDF_X_URL_SCHEME,
    PR_FWDF_STRIP_HEADER,           /* not in the family: a StripHeader name */
    PR_FWDF__COUNT
} pr_fwd_family;

/* The family of header name[0..len), in any spelling backends fold
 * together (case, '_' for '-'); PR_FWDF_STRIP_HEADER for a name outside
 * the SPEC's family (and for len 0). */
pr_fwd_family pr_fwd_family_of(const char *name, size_t len);

/* Its label: the lower-case dash spelling ("x-forwarded-for"),
 * "x-forwarded-other", "strip-header"; NULL out of range. */
const char *pr_fwd_family_label(int f);

/* The lists walked from a trusted proxy, and the single values taken from
 * it, as counted (malformed lists, values that failed validation). */
typedef enum { PR_FWDL_XFF = 0, PR_FWDL_FORWARDED, PR_FWDL__COUNT } pr_fwd_list;
typedef enum {
    PR_FWDV_PROTO = 0, PR_FWDV_HOST, PR_FWDV_PORT, PR_FWDV_REAL_IP, PR_FWDV__COUNT
} pr_fwd_value;

/* "x-forwarded-for", "forwarded"; NULL out of range. */
const char *pr_fwd_list_label(int l);
/* "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port",
 * "x-real-ip"; NULL out of range. */
const char *pr_fwd_value_label(int v);

#endif

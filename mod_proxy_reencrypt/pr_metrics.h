/*
 * pr_metrics.h: pure formatting helpers of the status pages (pr_status.c).
 *
 * No httpd, no APR: escaping for JSON strings and Prometheus label
 * values, UTF-8-safe truncation into fixed-size arrays (the shared-memory
 * slots), the key hash of a slot and the days-left arithmetic. Inputs are
 * counted strings; outputs go to caller buffers, snprintf-style: the
 * return value is the length the whole result needs (without the NUL),
 * at most cap - 1 bytes are written and the output is always terminated
 * when cap > 0.
 */
#ifndef PR_METRICS_H
#define PR_METRICS_H

#include <stddef.h>

/* Worst case growth: one input byte becomes "\u00XX" (JSON) or an
 * invalid byte becomes U+FFFD (3 bytes; Prometheus). */
#define PR_JSON_ESCAPED_MAX(len) ((len) * 6 + 1)
#define PR_PROM_ESCAPED_MAX(len) ((len) * 3 + 1)

/* The body of a JSON string (no quotes): '"' and '\\' escaped, control
 * characters as \n, \r, \t or \u00XX, DEL as \u007f, and every byte that
 * is not part of a valid UTF-8 sequence as \ufffd, so that the output is
 * always valid JSON whatever the certificate contained. */
size_t pr_json_escape(const char *s, size_t len, char *out, size_t cap);

/* A label value of the Prometheus text exposition format (0.0.4):
 * backslash, double quote and line feed escaped as \\, \" and \n; bytes
 * that are not valid UTF-8, and NUL, replaced by U+FFFD (the format is
 * UTF-8; a NUL would cut the value short in a C string). */
size_t pr_prom_escape(const char *s, size_t len, char *out, size_t cap);

/* Worst case growth of the ?auto and HTML escapes: "\xHH" and "&quot;". */
#define PR_AUTO_ESCAPED_MAX(len) ((len) * 4 + 1)
#define PR_HTML_ESCAPED_MAX(len) ((len) * 6 + 1)

/* A value of mod_status's ?auto section ("Key: value" lines; ours hold
 * space-separated name=value pairs): control characters, space, DEL,
 * bytes >= 0x80 and backslash become \xHH, so that a value is one token
 * on one line and can start neither a line nor a field of its own. */
size_t pr_auto_escape(const char *s, size_t len, char *out, size_t cap);

/* HTML text or attribute value: & < > " ' as entities, control
 * characters (but tab, LF, CR) and invalid UTF-8 as U+FFFD; valid UTF-8
 * kept as it is. */
size_t pr_html_escape(const char *s, size_t len, char *out, size_t cap);

/* Copy src[0..len) into dst[cap], cut if needed at a UTF-8 character
 * boundary (never in the middle of a sequence), always terminated.
 * Returns the number of bytes copied. */
size_t pr_copy_utf8(char *dst, size_t cap, const char *src, size_t len);

/* Whole days from now_sec until not_after_sec (both Unix seconds), with
 * pr_x509_days_left's convention: truncated towards zero, and -1 (not 0)
 * once the time has passed. */
long pr_days_until(long long not_after_sec, long long now_sec);

/* FNV-1a of backend "\n" vhost: the quick filter of the slot lookup. */
unsigned pr_status_key_hash(const char *backend, size_t blen,
                            const char *vhost, size_t vlen);

/* "off", "audit", "enforce"; "unknown" for anything else. */
const char *pr_policy_label(int policy);

#endif

/*
 * pr_loglimit.h: the rate limit of the module's refusal lines (PRE1001,
 * PRE1010, PRE1020/1022/1023), per child. The decision is pure
 * (pr_ratelimit.c); this is its table (one per child, one mutex for the
 * threads of an event/worker child) and the wording.
 *
 * A line is kept apart by vhost, backend, reason and outcome ("refused",
 * "would refuse", ...): at most one such line per interval (a second for
 * requests, a minute for health checks) per child. The next line written
 * for the same key carries " (suppressed N similar since TIME)", TIME in
 * the error log's own format. Counters and the status page count every
 * refusal; only the log is limited.
 */
#ifndef PR_LOGLIMIT_H
#define PR_LOGLIMIT_H

#include "pr_glue.h"

#define PR_LOG_INTERVAL    apr_time_from_sec(1)
#define PR_HC_LOG_INTERVAL apr_time_from_sec(60)

/* Write this line now? On 1, *note is "" or the suppressed count to
 * append (allocated from p). */
int pr_loglimit(apr_pool_t *p, const char *vhost, const char *backend, const char *reason,
                const char *word, apr_interval_time_t interval, const char **note);
void pr_loglimit_child_init(apr_pool_t *p);

#endif

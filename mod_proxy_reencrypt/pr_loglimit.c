/*
 * pr_loglimit.c: one refusal line per key and interval per child (see
 * pr_loglimit.h; the decision: pr_ratelimit.c).
 */
#include "pr_glue.h"
#include "pr_loglimit.h"

#include "apr_strings.h"
#include "apr_thread_mutex.h"
#include "util_time.h"

#include "pr_ratelimit.h"

static pr_rl_table table;           /* per child (process) */
#if APR_HAS_THREADS
static apr_thread_mutex_t *mutex;
#endif

int pr_loglimit(apr_pool_t *p, const char *vhost, const char *backend, const char *reason,
                const char *word, apr_interval_time_t interval, const char **note)
{
    char key[PR_RL_KEY_MAX * 2];
    int n = apr_snprintf(key, sizeof(key), "%s|%s|%s|%s", vhost ? vhost : "",
                         backend ? backend : "", reason ? reason : "", word ? word : "");
    pr_rl_decision d;

    *note = "";
#if APR_HAS_THREADS
    if (mutex) apr_thread_mutex_lock(mutex);
#endif
    d = pr_rl_decide(&table, key, n > 0 ? (size_t)n : 0, (long long)apr_time_now(),
                     (long long)interval);
#if APR_HAS_THREADS
    if (mutex) apr_thread_mutex_unlock(mutex);
#endif
    if (d.log && d.suppressed) {
        char when[APR_CTIME_LEN + 8];
        int len = (int)sizeof(when);

        ap_recent_ctime_ex(when, (apr_time_t)d.since, AP_CTIME_OPTION_USEC, &len);
        *note = apr_psprintf(p, " (suppressed %lu similar since %s)", d.suppressed, when);
    }
    return d.log;
}

void pr_loglimit_child_init(apr_pool_t *p)
{
    memset(&table, 0, sizeof(table));
#if APR_HAS_THREADS
    apr_thread_mutex_create(&mutex, APR_THREAD_MUTEX_DEFAULT, p);
#endif
}

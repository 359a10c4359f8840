/*
 * pr_ratelimit.h: how often a log line of one kind may be written (the
 * refusal lines: one per backend, vhost, reason and outcome per interval).
 * Pure: no httpd, no APR, no statics; the caller owns the table (one per
 * child) and serialises calls to it (one mutex).
 *
 * A fixed table of PR_RL_SLOTS keys. A key not in the table takes a free
 * slot, else the slot seen least recently (its pending count is lost from
 * the log; the status counters keep every refusal). Per key:
 *   - the first line, or a line PR_RL interval or more after the last one
 *     written: written, carrying the count suppressed since (and when the
 *     first of them came);
 *   - within the interval: suppressed and counted.
 */
#ifndef PR_RATELIMIT_H
#define PR_RATELIMIT_H

#include <stddef.h>

#define PR_RL_SLOTS   64
#define PR_RL_KEY_MAX 160           /* bytes of the key kept to tell keys apart */

typedef struct {
    unsigned long long hash;        /* of the whole key; slot used: len != 0 */
    size_t len;                     /* length of the whole key */
    char key[PR_RL_KEY_MAX];        /* its first bytes */
    long long logged;               /* when a line was last written (us) */
    long long seen;                 /* when the key last came (us): eviction */
    long long since;                /* the first suppressed one (us) */
    unsigned long suppressed;       /* since the last line written */
} pr_rl_slot;

typedef struct {
    pr_rl_slot slot[PR_RL_SLOTS];
} pr_rl_table;

typedef struct {
    int log;                        /* write the line now */
    unsigned long suppressed;       /* lines suppressed before it (0: none) */
    long long since;                /* when the first of those came (us) */
} pr_rl_decision;

/* Decide for one line of kind (key, len) at time now (microseconds, any
 * epoch, the same for every call), at most one line per interval_us. */
pr_rl_decision pr_rl_decide(pr_rl_table *t, const char *key, size_t len,
                            long long now, long long interval_us);

#endif

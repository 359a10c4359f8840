/*
 * pr_ratelimit.c: one log line per key and interval (see pr_ratelimit.h).
 * Pure: no httpd, no APR.
 */
#include "pr_ratelimit.h"

#include <string.h>

/* FNV-1a, 64 bits. */
static unsigned long long hash_of(const char *s, size_t len)
{
    unsigned long long h = 1469598103934665603ULL;
    size_t i;

    for (i = 0; i < len; ++i) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static int same_key(const pr_rl_slot *s, unsigned long long h, const char *key, size_t len)
{
    size_t kept = len < PR_RL_KEY_MAX ? len : PR_RL_KEY_MAX;

    return s->len == len && s->hash == h && memcmp(s->key, key, kept) == 0;
}

pr_rl_decision pr_rl_decide(pr_rl_table *t, const char *key, size_t len,
                            long long now, long long interval_us)
{
    pr_rl_decision d = { 1, 0, 0 };
    unsigned long long h;
    pr_rl_slot *s = NULL, *lru = NULL, *free_slot = NULL;
    size_t i;

    if (!t || !key || !len) {
        return d;                   /* nothing to limit by: written */
    }
    h = hash_of(key, len);
    for (i = 0; i < PR_RL_SLOTS; ++i) {
        pr_rl_slot *c = &t->slot[i];

        if (!c->len) {
            if (!free_slot) free_slot = c;
        }
        else if (same_key(c, h, key, len)) {
            s = c;
            break;
        }
        else if (!lru || c->seen < lru->seen) {
            lru = c;
        }
    }
    if (!s) {
        s = free_slot ? free_slot : lru;
        memset(s, 0, sizeof(*s));
        s->hash = h;
        s->len = len;
        memcpy(s->key, key, len < PR_RL_KEY_MAX ? len : PR_RL_KEY_MAX);
        s->logged = s->seen = now;
        return d;
    }
    s->seen = now;
    /* A clock that went back counts as the interval being over. */
    if (now - s->logged >= interval_us || now < s->logged) {
        d.suppressed = s->suppressed;
        d.since = s->since;
        s->suppressed = 0;
        s->since = 0;
        s->logged = now;
        return d;
    }
    d.log = 0;
    if (!s->suppressed++) {
        s->since = now;
    }
    return d;
}

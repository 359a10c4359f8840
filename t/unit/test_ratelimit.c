/*
 * Unit tests of the log rate limit (pr_ratelimit.c): one table of rows
 * (key, time, expected decision) for one key's life, then the table's
 * bounds: distinct keys, collisions of the kept prefix, eviction of the
 * key seen least recently, a clock that goes back.
 */
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>

#include "pr_ratelimit.h"

#define SEC 1000000LL

static pr_rl_decision at(pr_rl_table *t, const char *key, long long now)
{
    return pr_rl_decide(t, key, strlen(key), now, SEC);
}

/* One key: (time, log?, suppressed reported, since reported). */
static void test_rows(void)
{
    static const struct {
        long long now;
        int log;
        unsigned long suppressed;
        long long since;
        const char *what;
    } rows[] = {
        { 10 * SEC,            1, 0, 0, "first line: written" },
        { 10 * SEC + 1,        0, 0, 0, "1 us later: suppressed" },
        { 10 * SEC + 500000,   0, 0, 0, "0.5 s later: suppressed" },
        { 11 * SEC - 1,        0, 0, 0, "just under 1 s: suppressed" },
        { 11 * SEC,            1, 3, 10 * SEC + 1, "1 s after the last written: written, 3 suppressed since the first" },
        { 11 * SEC + 10,       0, 0, 0, "suppressed again" },
        { 15 * SEC,            1, 1, 11 * SEC + 10, "much later: written, 1 suppressed" },
        { 20 * SEC,            1, 0, 0, "nothing suppressed in between: written, no count" },
        { 20 * SEC + 1,        0, 0, 0, "suppressed" },
        { 19 * SEC,            1, 1, 20 * SEC + 1, "clock went back: written, count reported" },
        { 19 * SEC + 1,        0, 0, 0, "interval counted from the line written at the new time" },
    };
    pr_rl_table *t = calloc(1, sizeof(*t));
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); ++i) {
        pr_rl_decision d = at(t, "vhost|https://a:1/|untrusted|refused", rows[i].now);

        ok(d.log == rows[i].log
           && (!d.log || (d.suppressed == rows[i].suppressed && d.since == rows[i].since)),
           "row %zu: %s", i + 1, rows[i].what);
        if (d.log != rows[i].log || (d.log && d.suppressed != rows[i].suppressed))
            printf("#   got log=%d suppressed=%lu since=%lld\n", d.log, d.suppressed, d.since);
    }
    free(t);
}

/* 100 lines in one second, then one more: written + suppressed = 101. */
static void test_burst(void)
{
    pr_rl_table *t = calloc(1, sizeof(*t));
    unsigned long written = 0, reported = 0;
    int i;

    for (i = 0; i < 100; ++i) {
        pr_rl_decision d = at(t, "k", 5 * SEC + i * 9000);
        written += (unsigned long)d.log;
        reported += d.suppressed;
    }
    is_int(written, 1, "100 lines within 0.9 s: 1 written");
    {
        pr_rl_decision d = at(t, "k", 7 * SEC);
        is_int(d.log, 1, "a line 2 s later: written");
        is_int(d.suppressed, 99, "... reporting 99 suppressed");
        is_int(d.since, 5 * SEC + 9000, "... since the second line of the burst");
        reported += d.suppressed;
        written += (unsigned long)d.log;
    }
    is_int(written + reported, 101, "written + suppressed = every line");
    /* 300 lines over 3 s: one written per second. */
    written = reported = 0;
    for (i = 0; i < 300; ++i) {
        pr_rl_decision d = at(t, "k2", 100 * SEC + (long long)i * 10000);
        written += (unsigned long)d.log;
        reported += d.suppressed;
    }
    is_int(written, 3, "300 lines over 3 s: 3 written");
    is_int(written + reported + 99, 300, "and the other 297 reported or pending (99 pending)");
    free(t);
}

/* Keys are distinct by their whole text, not by the kept prefix. */
static void test_keys(void)
{
    pr_rl_table *t = calloc(1, sizeof(*t));
    char a[400], b[400];

    is_int(at(t, "vhost|https://a:1/|untrusted|refused", SEC).log, 1, "key A written");
    is_int(at(t, "vhost|https://a:1/|expired|refused", SEC).log, 1, "other reason: its own key");
    is_int(at(t, "vhost|https://b:1/|untrusted|refused", SEC).log, 1, "other backend: its own key");
    is_int(at(t, "vhost|https://a:1/|untrusted|would refuse", SEC).log, 1, "other outcome: its own key");
    is_int(at(t, "vhost|https://a:1/|untrusted|refused", SEC + 1).log, 0, "key A again: suppressed");
    memset(a, 'x', sizeof(a));
    memcpy(b, a, sizeof(b));
    b[sizeof(b) - 1] = 'y';
    is_int(pr_rl_decide(t, a, sizeof(a), SEC, SEC).log, 1, "a long key: written");
    is_int(pr_rl_decide(t, b, sizeof(b), SEC, SEC).log, 1,
           "a long key differing after the kept prefix: its own key");
    is_int(pr_rl_decide(t, a, sizeof(a), SEC + 1, SEC).log, 0, "the first long key again: suppressed");
    is_int(pr_rl_decide(t, a, 200, SEC + 1, SEC).log, 1, "its prefix is another key");
    is_int(pr_rl_decide(t, NULL, 0, SEC, SEC).log, 1, "no key: written");
    is_int(pr_rl_decide(NULL, "k", 1, SEC, SEC).log, 1, "no table: written");
    free(t);
}

/* The table is bounded: the key seen least recently makes room. */
static void test_eviction(void)
{
    pr_rl_table *t = calloc(1, sizeof(*t));
    char key[32];
    int i, used = 0;

    for (i = 0; i < PR_RL_SLOTS; ++i) {
        snprintf(key, sizeof(key), "key%d", i);
        at(t, key, SEC + i);
    }
    at(t, "key0", SEC + 100);          /* key0 seen again: key1 is now the oldest */
    is_int(at(t, "new", SEC + 200).log, 1, "a key beyond the table: written");
    for (i = 0; i < PR_RL_SLOTS; ++i) used += t->slot[i].len != 0;
    is_int(used, PR_RL_SLOTS, "the table stays at its size");
    is_int(at(t, "key0", SEC + 300).log, 0, "the key seen recently was kept (suppressed)");
    is_int(at(t, "key1", SEC + 300).log, 1, "the key seen least recently was evicted (written again)");
    is_int(at(t, "new", SEC + 400).log, 0, "the new key is in the table (suppressed)");
    for (i = 0; i < 10000; ++i) {
        snprintf(key, sizeof(key), "flood%d", i);
        at(t, key, 2 * SEC + i);
    }
    used = 0;
    for (i = 0; i < PR_RL_SLOTS; ++i) used += t->slot[i].len != 0;
    is_int(used, PR_RL_SLOTS, "10,000 distinct keys: still 64 slots");
    free(t);
}

int main(void)
{
    test_rows();
    test_burst();
    test_keys();
    test_eviction();
    return done_testing();
}

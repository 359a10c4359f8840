/*
 * pr_events.c: the list of event subscribers (see pr_events.h).
 *
 * Filled by register_hooks in the parent before the configuration is
 * read, inherited by the children at fork and read-only afterwards, so
 * emitting takes no lock.
 */
#include "pr_glue.h"

#include "pr_events.h"

#define PR_EVENT_SUBSCRIBERS_MAX 8

static pr_event_fn subscribers[PR_EVENT_SUBSCRIBERS_MAX];
static int nsubscribers;

void pr_event_subscribe(pr_event_fn fn)
{
    int i;

    for (i = 0; i < nsubscribers; ++i) {
        if (subscribers[i] == fn) {
            return;
        }
    }
    if (nsubscribers < PR_EVENT_SUBSCRIBERS_MAX) {
        subscribers[nsubscribers++] = fn;
    }
}

void pr_event_emit(server_rec *s, const pr_event *ev)
{
    int i;

    if (!ev) {
        return;
    }
    for (i = 0; i < nsubscribers; ++i) {
        subscribers[i](s, ev);
    }
}

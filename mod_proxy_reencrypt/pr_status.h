/*
 * pr_status.h: what pr_status.c offers besides pr_status_record and
 * pr_status_register_hooks (declared in pr_glue.h).
 */
#ifndef PR_STATUS_H
#define PR_STATUS_H

/* Should the caller log the "certificate expires in N days" warning for
 * this backend now? Returns 1 at most once per child process, per
 * (backend, vhost), per calendar day (local time), else 0. Thread-safe
 * and cheap (one hash lookup under a per-process mutex); safe to call
 * from any thread of any child, and before child_init (then it answers
 * 1: better one warning too many than none). */
int pr_status_should_warn(const char *backend, const char *vhost);

#endif

/*
 * pr_startup.h: the start-up report (pr_startup.c). check_config calls
 * begin, notes every static backend it judged, then checked.
 */
#ifndef PR_STARTUP_H
#define PR_STARTUP_H

#include "pr_decide.h"

void pr_startup_begin(apr_pool_t *pconf);
/* Every judged backend, with its finding (f->code 0: nothing to say).
 * Findings that stop start-up are the caller's to log. */
void pr_startup_note(server_rec *s, proxy_worker *w, const pr_resolved *pol,
                     const pr_finding *f);
void pr_startup_checked(apr_pool_t *ptemp);
void pr_startup_register_hooks(apr_pool_t *p);

#endif

/*
 * pr_advice.h: what to change so that enforce would accept a backend
 * (the status page's "would refuse" view). Pure: no httpd, no APR.
 */
#ifndef PR_ADVICE_H
#define PR_ADVICE_H

#include <stddef.h>

#include "pr_core.h"

/* What the module last saw of the backend (any string may be "" or NULL). */
typedef struct {
    const char *backend;        /* scheme://host:port[/] as configured */
    const char *subject, *issuer;
    const char *sans;           /* "DNS:a, DNS:b, IP:1.2.3.4" */
    const char *pin;            /* sha256//... of the leaf */
    int have_cert;
    long days_left;             /* of the leaf, now */
} pr_advice_facts;

/* One line of advice for reason r into buf (snprintf-style: returns the
 * length needed, writes at most cap - 1 bytes, always terminated). A
 * directive to add is given as written in a <Proxy> section; facts the
 * fix depends on (a name from the certificate, its pin, the days) are
 * filled in. */
size_t pr_advice(pr_reason r, const pr_advice_facts *f, char *buf, size_t cap);

/* The host of a backend URL (IPv6 without brackets) into buf; 1 when it
 * is an IP literal. */
int pr_advice_host(const char *backend, char *buf, size_t cap);

#endif

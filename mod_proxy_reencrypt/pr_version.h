/*
 * pr_version.h: the module's version, in this one place. The Debian
 * changelog's top entry must carry the same number (build/check.sh
 * checks it); the version is logged at start-up (PRE0001), shown on the
 * status page (HTML, JSON, Prometheus) and in -D DUMP_REENCRYPT.
 */
#ifndef PR_VERSION_H
#define PR_VERSION_H

#define PR_VERSION "0.9.0"
#define PR_PRODUCT "mod_proxy_reencrypt/" PR_VERSION

#endif

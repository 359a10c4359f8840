/*
 * pr_clienthello.h: a TLS ClientHello reader for stream passthrough.
 * Pure: libc only, no httpd, no APR, no OpenSSL.
 *
 * The front of a passthrough vhost peeks at the first bytes a client
 * sends, without consuming them, and needs the server name (SNI) of the
 * ClientHello to pick a route. The hello may span several TLS records
 * and arrive in several TCP segments; pr_clienthello_parse() tells the
 * caller how many bytes it needs before it can answer, so the caller can
 * wait for them (bounded by PR_CH_MAX and a timeout).
 */
#ifndef PR_CLIENTHELLO_H
#define PR_CLIENTHELLO_H

#include <stddef.h>

/* The most bytes of records a ClientHello may take: anything larger is
 * refused (PR_CH_TOO_BIG), whatever it is. */
#define PR_CH_MAX 16384
/* A DNS name (RFC 1035) and its NUL. */
#define PR_CH_NAME_MAX 254

typedef enum {
    PR_CH_OK = 0,           /* a complete ClientHello: see has_sni/sni */
    PR_CH_NEED_MORE,        /* so far so good: *need bytes are needed */
    PR_CH_NOT_TLS,          /* the first bytes are no TLS handshake record */
    PR_CH_MALFORMED,        /* a TLS record, but no well-formed ClientHello */
    PR_CH_TOO_BIG           /* the hello would take more than PR_CH_MAX */
} pr_ch_status;

typedef struct {
    int has_sni;            /* a host_name in server_name */
    char sni[PR_CH_NAME_MAX];   /* lower-cased, no trailing dot, terminated */
    size_t sni_len;
    unsigned version;       /* legacy_version of the hello (0x0303 ...) */
    size_t consumed;        /* bytes of records holding the hello */
} pr_clienthello;

/* Read the ClientHello at the start of buf[0..len). With PR_CH_NEED_MORE,
 * *need is the total length (> len) to offer next time (at least len+1;
 * the exact record end when known). A server_name whose host_name is not
 * a valid DNS name (RFC 6066: no IP literals, no trailing NUL) is
 * PR_CH_MALFORMED. */
pr_ch_status pr_clienthello_parse(const unsigned char *buf, size_t len, pr_clienthello *out,
                                  size_t *need);

/* "ok", "need-more", "not-tls", "malformed", "too-big". */
const char *pr_ch_status_name(pr_ch_status st);

#endif

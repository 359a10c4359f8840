/*
 * pr_core.h: the pure core of mod_proxy_reencrypt.
 *
 * Nothing here includes httpd or APR. Parsers take (const char *s,
 * size_t len), never rely on NUL termination, write into caller buffers
 * and return a status; the decision function only combines facts the
 * OpenSSL layer (pr_x509.c) observed. The glue (pr_config.c, pr_tls.c)
 * calls these at config time and per handshake.
 */
#ifndef PR_CORE_H
#define PR_CORE_H

#include <stddef.h>

#define PR_UNSET (-1)

/* ProxyReencryptPolicy */
typedef enum { PR_POLICY_OFF = 0, PR_POLICY_AUDIT = 1, PR_POLICY_ENFORCE = 2 } pr_policy;
/* ProxyReencryptVerify */
typedef enum { PR_VERIFY_OFF = 0, PR_VERIFY_CHAIN = 1, PR_VERIFY_PIN = 2 } pr_verify;
/* ProxyReencryptSNI (a name is stored apart) */
typedef enum { PR_SNI_OFF = 0, PR_SNI_AUTO = 1, PR_SNI_NAME = 2 } pr_sni;
/* ProxyReencryptCARevocationCheck */
typedef enum { PR_CRL_NONE = 0, PR_CRL_LEAF = 1, PR_CRL_CHAIN = 2 } pr_crl;

typedef enum { PR_OCSP_OFF = 0, PR_OCSP_STAPLE = 1, PR_OCSP_REQUIRE = 2 } pr_ocsp_mode;
/* ProxyReencryptForwarded */
typedef enum { PR_FWD_MODE_OFF = 0, PR_FWD_MODE_XFF = 1, PR_FWD_MODE_RFC7239 = 2,
               PR_FWD_MODE_BOTH = 3 } pr_fwd_mode;

/* Defaults of the SPEC, applied when a field is still unset after merging. */
#define PR_DEFAULT_POLICY      PR_POLICY_AUDIT
#define PR_DEFAULT_REQUIRE_TLS 1
#define PR_DEFAULT_VERIFY      PR_VERIFY_CHAIN
#define PR_DEFAULT_DEPTH       4
#define PR_DEFAULT_SNI         PR_SNI_AUTO
#define PR_DEFAULT_WARN_DAYS   30
#define PR_DEFAULT_REFUSE_DAYS 0
#define PR_DEFAULT_FWD_MODE    PR_FWD_MODE_XFF
#define PR_DEFAULT_MIN_PROTO   0x0303   /* TLS 1.2 */
#define PR_MAX_DEPTH           100
#define PR_MAX_DAYS            36500
#define PR_DEFAULT_HS_TIMEOUT  10       /* seconds */
#define PR_MAX_HS_TIMEOUT      3600

/* The closed set of refusal reasons (SPEC). The order is the priority
 * when several apply: the first reason found is the one reported. */
typedef enum {
    PR_REASON_NONE = 0,
    PR_REASON_PLAINTEXT,
    PR_REASON_HANDSHAKE,
    PR_REASON_PROTOCOL,
    PR_REASON_NO_CERTIFICATE,
    PR_REASON_DEPTH,                /* before untrusted: a chain cut at the
                                       depth limit is also unanchored */
    PR_REASON_UNTRUSTED,
    PR_REASON_REVOKED,
    PR_REASON_EXPIRED,
    PR_REASON_NOT_YET_VALID,
    PR_REASON_NAME_MISMATCH,
    PR_REASON_PIN_MISMATCH,
    PR_REASON_OCSP,                 /* a stapled OCSP response that is bad,
                                       or none under "require" */
    PR_REASON_EXPIRING,
    PR_REASON__COUNT
} pr_reason;

#define PR_REASON_BIT(r) (1u << (unsigned)(r))

/* "expired", "name-mismatch", ...; "ok" for PR_REASON_NONE. */
const char *pr_reason_name(pr_reason r);

/* Keyword parsers: return 0 and set *out, or -1 for an unknown word.
 * Matching is case-insensitive, as Apache's own On/Off keywords are. */
int pr_parse_policy(const char *s, size_t len, pr_policy *out);
int pr_parse_verify(const char *s, size_t len, pr_verify *out);
int pr_parse_ocsp(const char *s, size_t len, pr_ocsp_mode *out);
int pr_parse_onoff(const char *s, size_t len, int *out);
int pr_parse_crl_check(const char *s, size_t len, pr_crl *out);
int pr_parse_fwd_mode(const char *s, size_t len, pr_fwd_mode *out);
/* "TLSv1.2" -> 0x0303, "TLSv1.3" -> 0x0304 (the OpenSSL version numbers). */
int pr_parse_min_protocol(const char *s, size_t len, int *out);

/* ProxyReencryptProxyProtocol: off -> 0, v1 -> 1, v2 -> 2. */
int pr_parse_proxy_protocol(const char *s, size_t len, int *out);

/* A decimal integer in [min, max], nothing else (no sign, no spaces). */
int pr_parse_uint(const char *s, size_t len, long min, long max, long *out);

/* Classify a name for ProxyReencryptExpectName / ProxyReencryptSNI:
 * returns 4 or 6 for an IP literal, 1 for a valid DNS name (LDH labels of
 * 1..63 octets, total <= 253, optional trailing dot; with allow_wildcard
 * a leading "*." label is accepted), 0 for anything else. */
#define PR_NAME_INVALID 0
#define PR_NAME_DNS     1
/* Not a DNS name either: a string with a NUL in it, and dotted-numeric
 * strings that are no IP address ("256.1.1.1", "10.0.0", "0x7f.1"):
 * the last label of a DNS name is never all digits (RFC 3696 section 2)
 * nor a 0x number, which resolvers would read as an address. */
int pr_classify_name(const char *s, size_t len, int allow_wildcard);

/* Words that look like a setting, not a name, refused where a name is
 * expected (ProxyReencryptSNI, ProxyReencryptExpectName): on, off, yes,
 * no, true, false, none, default, auto, enable(d), disable(d), null,
 * case-insensitive. Returns 1 for such a word. */
int pr_name_is_keyword(const char *s, size_t len);

/* ProxyReencryptTrustedProxy: an IPv4 or IPv6 address, alone (a /32 or
 * /128) or followed by "/prefix" (decimal, no sign, no leading zero) or,
 * for IPv4, "/dotted-netmask", which must be contiguous. The address may
 * have no bit set beyond the prefix, and a block of every address (/0)
 * is refused: trusting every peer's forwarded headers defeats them. An
 * IPv4-mapped IPv6 block (::ffff:10.0.0.0/104) is returned as the IPv4
 * block it names (10.0.0.0/8, family 4), which matches IPv4 peers and
 * IPv4-mapped ones alike.
 * Returns 0 and fills *out, or -1 with *why set to a static reason. */
typedef struct {
    int family;                 /* 4 or 6 */
    unsigned char addr[16];     /* network order; 4 bytes used for IPv4 */
    int prefix;                 /* 0..32 or 0..128 */
} pr_cidr;
int pr_parse_cidr(const char *s, size_t len, pr_cidr *out, const char **why);

/* ProxyReencryptPin: "sha256//" followed by standard base64 of exactly
 * 32 bytes. Returns 0 and fills out[32], or -1 with *why set to a static
 * explanation. */
int pr_parse_pin(const char *s, size_t len, unsigned char out[32],
                 const char **why);

/* Is this proxy scheme one that runs over TLS? https, wss, h2 (and
 * "balancer" is neither: its members are checked one by one). Returns 1
 * for TLS, 0 for a plain scheme. */
int pr_scheme_is_tls(const char *s, size_t len);

/* PROXY protocol header (haproxy's proxy-protocol.txt, v1 text or v2
 * binary) for a TCP connection from src:sport to dst:dport (IP literals).
 * When the two addresses are of different families or not IP literals,
 * v1 writes "PROXY UNKNOWN" and v2 a LOCAL command, as the spec says.
 * Returns the header length, or -1 if cap is too small. */
#define PR_PROXY_HEADER_MAX 108
int pr_proxy_header(int version, const char *src, unsigned sport,
                    const char *dst, unsigned dport,
                    unsigned char *out, size_t cap);

#endif

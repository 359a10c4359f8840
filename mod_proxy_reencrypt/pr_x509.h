/*
 * pr_x509.h: the facts about a peer certificate that the policy needs,
 * read with OpenSSL's own functions (X509_check_host, X509_check_ip_asc,
 * ASN1_TIME_diff, i2d_X509_PUBKEY). No httpd, no APR.
 */
#ifndef PR_X509_H
#define PR_X509_H

#include <stddef.h>
#include <openssl/x509.h>

#include "pr_core.h"

/* The reason bit an X509_V_ERR_* code maps to (0 for X509_V_OK). */
unsigned pr_x509_error_bit(int x509_err);

/* Whole days from now until notAfter; negative once expired. */
long pr_x509_days_left(const X509 *cert);

/* An ASN1_TIME as Unix seconds (UTC). Returns 0 on success. */
int pr_x509_unix_time(const ASN1_TIME *t, long long *out);

/* SHA-256 of the DER SubjectPublicKeyInfo: the value of a sha256// pin.
 * Returns 0 on success. */
int pr_x509_spki_sha256(X509 *cert, unsigned char out[32]);

/* Does the certificate match one of names[0..n)? IP literals are matched
 * against iPAddress SANs (X509_check_ip_asc), DNS names against dNSName
 * SANs with RFC 6125 wildcards and no partial wildcards
 * (X509_check_host; OpenSSL falls back to the CN only when the
 * certificate has no DNS SAN). Returns 1 on a match, else 0. */
int pr_x509_names_match(X509 *cert, const char *const *names, size_t n);

/* One-line RFC 2253 rendering of a name into buf (always terminated). */
void pr_x509_name_line(const X509_NAME *name, char *buf, size_t len);

/* "sha256//BASE64" of the certificate's SPKI into buf[64]. */
void pr_x509_pin_string(X509 *cert, char buf[64]);

/* SHA-256 of the DER certificate, lowercase hex (the blackbox exporter's
 * fingerprint_sha256); "" on failure. */
void pr_x509_fingerprint_hex(X509 *cert, char out[65]);

/* The serial number in lowercase hex, no separators ("" on failure). */
void pr_x509_serial_hex(const X509 *cert, char *buf, size_t len);

/* notAfter as Unix seconds (0 if unreadable). */
long long pr_x509_not_after_unix(const X509 *cert);

/* The earliest notAfter of the leaf and the chain (either may be NULL):
 * the blackbox exporter's probe_ssl_earliest_cert_expiry. */
long long pr_x509_chain_not_after(X509 *leaf, STACK_OF(X509) *chain);

#endif

/*
 * pr_config.c: the directives (the record they fill: pr_config_merge.c;
 * what they load: pr_config_load.c).
 *
 * Every value is parsed here, at configuration time, by the pure core:
 * a bad value stops start-up with Apache's "Syntax error on line N of
 * FILE" and a reason naming the directive. Scratch goes to
 * cmd->temp_pool, results to cmd->pool; OpenSSL objects are freed by
 * pool cleanups.
 */
#include "pr_glue.h"
#include "pr_forwarded.h"

#include "apr_strings.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include "pr_x509.h"
#include "pr_stream.h"
#include <arpa/inet.h>

/* ------------------------------------------------------------------ */
/* Directive handlers.                                                  */
/*                                                                      */
/* A single-valued directive met a second time in the same scope (one   */
/* server, vhost or <Proxy> section) with another value is an error     */
/* naming the first; the same value again is harmless. The list-valued  */
/* ones (ExpectName, Pin, TrustedProxy) accumulate.                     */

#define CONF(mc) ((pr_dir_conf *)(mc))

static const char *where(cmd_parms *cmd)
{
    return cmd->directive
        ? apr_psprintf(cmd->pool, "%s:%d", cmd->directive->filename, cmd->directive->line_num)
        : "(command line)";
}

/* Where a field was set, for the dump and for conflicts ("file:line"). */
static const char *mark(cmd_parms *cmd, void *mc, pr_field f)
{
    CONF(mc)->origin[f] = where(cmd);
    return NULL;
}

static const char *bad(cmd_parms *cmd, const char *fmt, const char *arg)
{
    return apr_pstrcat(cmd->pool, cmd->cmd->name, ": ",
                       apr_psprintf(cmd->pool, fmt, arg), NULL);
}

/* at: where this scope set it before (NULL: not yet); same: the new
 * value equals the old one. */
static const char *conflict(cmd_parms *cmd, const char *at, int same, const char *arg)
{
    if (!at || same) {
        return NULL;
    }
    return apr_psprintf(cmd->pool, "%s: '%s' conflicts with the value set at %s in the "
                        "same scope (a single-valued directive; remove one)",
                        cmd->cmd->name, arg, at);
}

/* The field's earlier value in this scope, if any. */
#define SET_HERE(mc, f) (CONF(mc)->origin[f])

static const char *set_keyword(cmd_parms *cmd, void *mc, pr_field f, int *field, int v,
                               const char *arg)
{
    const char *err = conflict(cmd, SET_HERE(mc, f), *field == v, arg);
    if (err) {
        return err;
    }
    *field = v;
    return mark(cmd, mc, f);
}

static const char *set_policy(cmd_parms *cmd, void *mc, const char *arg)
{
    pr_policy v;
    if (pr_parse_policy(arg, strlen(arg), &v)) {
        return bad(cmd, "'%s' is not one of off, audit, enforce", arg);
    }
    return set_keyword(cmd, mc, PR_F_POLICY, &CONF(mc)->policy, v, arg);
}

static const char *set_require_tls(cmd_parms *cmd, void *mc, const char *arg)
{
    int v;
    if (pr_parse_onoff(arg, strlen(arg), &v)) {
        return bad(cmd, "'%s' is not one of on, off", arg);
    }
    return set_keyword(cmd, mc, PR_F_REQUIRE_TLS, &CONF(mc)->require_tls, v, arg);
}

static const char *set_verify(cmd_parms *cmd, void *mc, const char *arg)
{
    pr_verify v;
    if (pr_parse_verify(arg, strlen(arg), &v)) {
        return bad(cmd, "'%s' is not one of chain, pin, off", arg);
    }
    return set_keyword(cmd, mc, PR_F_VERIFY, &CONF(mc)->verify, v, arg);
}

static const char *set_ca(cmd_parms *cmd, void *mc, const char *arg)
{
    pr_dir_conf *c = mc;
    int is_file = cmd->info != NULL;
    const char *path = ap_server_root_relative(cmd->pool, arg);
    const char *had = is_file ? c->ca_file : c->ca_path;
    const char *err = NULL;
    apr_finfo_t fi;

    if (!path) {
        return bad(cmd, "invalid path '%s'", arg);
    }
    if (apr_stat(&fi, path, APR_FINFO_TYPE, cmd->temp_pool) != APR_SUCCESS
        || fi.filetype != (is_file ? APR_REG : APR_DIR)) {
        return bad(cmd, is_file ? "'%s' is not a readable file"
                                : "'%s' is not a readable directory", path);
    }
    /* File and path are one setting, but each is single-valued. */
    if ((err = conflict(cmd, had ? c->origin[PR_F_CA] : NULL, had && !strcmp(had, path),
                        arg)) != NULL) {
        return err;
    }
    if (is_file) {
        c->ca_file = path;
    }
    else {
        c->ca_path = path;
    }
    /* Load it now: an unreadable or empty bundle, a file of CRLs only or
     * a directory with no hashed certificate fails start-up here, and
     * the loaded store is shared with every other user of the file. A
     * scope naming both a file and a path gets the store of both. */
    c->store = pr_store_get(cmd->pool, c->ca_file, c->ca_path, &err);
    if (!c->store) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": ", err, NULL);
    }
    return mark(cmd, mc, PR_F_CA);
}

static const char *set_depth(cmd_parms *cmd, void *mc, const char *arg)
{
    pr_dir_conf *c = mc;
    const char *err;
    long v;

    if (pr_parse_uint(arg, strlen(arg), 0, PR_MAX_DEPTH, &v)) {
        return bad(cmd, "'%s' is not a number of CA certificates from 0 to 100", arg);
    }
    if ((err = conflict(cmd, SET_HERE(mc, PR_F_DEPTH), c->depth == v, arg)) != NULL) {
        return err;
    }
    c->depth = v;
    return mark(cmd, mc, PR_F_DEPTH);
}

/* A name for ExpectName or SNI: neither a keyword nor malformed. */
static const char *check_name(cmd_parms *cmd, const char *arg, int *kind)
{
    if (pr_name_is_keyword(arg, strlen(arg))) {
        return bad(cmd, "'%s' is a keyword, not a name (these words are refused where a "
                   "name is expected)", arg);
    }
    *kind = pr_classify_name(arg, strlen(arg), 0);
    return NULL;
}

static const char *set_expect(cmd_parms *cmd, void *mc, const char *arg)
{
    pr_dir_conf *c = mc;
    const char *err;
    int kind;

    if ((err = check_name(cmd, arg, &kind)) != NULL) {
        return err;
    }
    if (kind == PR_NAME_INVALID) {
        return bad(cmd, "'%s' is neither a DNS name nor an IP address", arg);
    }
    if (!c->expect) {
        c->expect = apr_array_make(cmd->pool, 2, sizeof(const char *));
    }
    APR_ARRAY_PUSH(c->expect, const char *) = apr_pstrdup(cmd->pool, arg);
    return mark(cmd, mc, PR_F_EXPECT);
}

static const char *set_sni(cmd_parms *cmd, void *mc, const char *arg)
{
    pr_dir_conf *c = mc;
    const char *err, *name = NULL;
    int kind, v;

    if (!strcasecmp(arg, "auto")) {
        v = PR_SNI_AUTO;
    }
    else if (!strcasecmp(arg, "off")) {
        v = PR_SNI_OFF;
    }
    else {
        if ((err = check_name(cmd, arg, &kind)) != NULL) {
            return err;
        }
        if (kind == 4 || kind == 6) {
            return bad(cmd, "'%s' is an IP address; RFC 6066 does not allow IP "
                       "literals in SNI (use ProxyReencryptExpectName for IPs)", arg);
        }
        if (kind != PR_NAME_DNS) {
            return bad(cmd, "'%s' is not auto, off or a DNS name", arg);
        }
        v = PR_SNI_NAME;
        name = apr_pstrdup(cmd->pool, arg);
    }
    if ((err = conflict(cmd, SET_HERE(mc, PR_F_SNI), c->sni == v &&
                        (v != PR_SNI_NAME || !strcasecmp(c->sni_name, name)), arg)) != NULL) {
        return err;
    }
    c->sni = v;
    c->sni_name = name;
    return mark(cmd, mc, PR_F_SNI);
}

static const char *set_expiry(cmd_parms *cmd, void *mc, const char *w, const char *r)
{
    pr_dir_conf *c = mc;
    const char *err;
    long warn, refuse = PR_DEFAULT_REFUSE_DAYS;

    if (pr_parse_uint(w, strlen(w), 0, PR_MAX_DAYS, &warn)) {
        return bad(cmd, "warn-days '%s' is not a number of days", w);
    }
    if (r && pr_parse_uint(r, strlen(r), 0, PR_MAX_DAYS, &refuse)) {
        return bad(cmd, "refuse-days '%s' is not a number of days", r);
    }
    if (refuse > warn) {
        return apr_psprintf(cmd->pool, "%s: refuse-days (%ld) must not exceed "
                            "warn-days (%ld)", cmd->cmd->name, refuse, warn);
    }
    if ((err = conflict(cmd, SET_HERE(mc, PR_F_EXPIRY),
                        c->warn_days == warn && c->refuse_days == refuse,
                        r ? apr_pstrcat(cmd->pool, w, " ", r, NULL) : w)) != NULL) {
        return err;
    }
    c->warn_days = warn;
    c->refuse_days = refuse;
    return mark(cmd, mc, PR_F_EXPIRY);
}

static const char *set_pin(cmd_parms *cmd, void *mc, const char *arg)
{
    pr_dir_conf *c = mc;
    unsigned char pin[32];
    const char *why = NULL;

    if (pr_parse_pin(arg, strlen(arg), pin, &why)) {
        return apr_psprintf(cmd->pool, "%s: '%s': %s", cmd->cmd->name, arg, why);
    }
    if (!c->pins) {
        c->pins = apr_array_make(cmd->pool, 2, 32);
    }
    memcpy(apr_array_push(c->pins), pin, 32);
    return mark(cmd, mc, PR_F_PINS);
}

static const char *set_crl_file(cmd_parms *cmd, void *mc, const char *arg)
{
    pr_dir_conf *c = mc;
    const char *path = ap_server_root_relative(cmd->pool, arg);
    const char *err;
    STACK_OF(X509_CRL) *crls = NULL;

    if (!path) {
        return bad(cmd, "cannot read '%s'", arg);
    }
    if ((err = conflict(cmd, SET_HERE(mc, PR_F_CRL_FILE),
                        c->crl_file && !strcmp(c->crl_file, path), arg)) != NULL) {
        return err;
    }
    if ((err = pr_crls_load(cmd->pool, path, &crls)) != NULL) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": ", err, NULL);
    }
    c->crl_file = path;
    c->crls = crls;
    return mark(cmd, mc, PR_F_CRL_FILE);
}

static const char *set_crl_check(cmd_parms *cmd, void *mc, const char *arg)
{
    pr_crl v;
    if (pr_parse_crl_check(arg, strlen(arg), &v)) {
        return bad(cmd, "'%s' is not one of none, leaf, chain", arg);
    }
    return set_keyword(cmd, mc, PR_F_CRL_CHECK, &CONF(mc)->crl_check, v, arg);
}

static const char *set_fwd(cmd_parms *cmd, void *mc, const char *arg)
{
    pr_fwd_mode v;
    if (pr_parse_fwd_mode(arg, strlen(arg), &v)) {
        return bad(cmd, "'%s' is not one of xff, rfc7239, both, off", arg);
    }
    return set_keyword(cmd, mc, PR_F_FORWARDED, &CONF(mc)->fwd_mode, v, arg);
}

static const char *set_trusted(cmd_parms *cmd, void *mc, const char *arg)
{
    pr_dir_conf *c = mc;
    pr_cidr cidr;
    const char *why = NULL;
    char ip[64], bits[8];
    apr_ipsubnet_t *sub;

    /* The pure core checks it strictly (a contiguous mask, no host bit,
     * not every address); APR then gets it in a form it cannot read
     * otherwise. */
    if (pr_parse_cidr(arg, strlen(arg), &cidr, &why)) {
        return apr_psprintf(cmd->pool, "%s: '%s' %s", cmd->cmd->name, arg, why);
    }
    if (!inet_ntop(cidr.family == 4 ? AF_INET : AF_INET6, cidr.addr, ip, sizeof(ip))) {
        return bad(cmd, "'%s' is not an IP address or CIDR block", arg);
    }
    apr_snprintf(bits, sizeof(bits), "%d", cidr.prefix);
    if (apr_ipsubnet_create(&sub, ip, bits, cmd->pool) != APR_SUCCESS) {
        return bad(cmd, "'%s' is not a valid CIDR block", arg);
    }
    if (!c->trusted) {
        c->trusted = apr_array_make(cmd->pool, 4, sizeof(apr_ipsubnet_t *));
    }
    APR_ARRAY_PUSH(c->trusted, apr_ipsubnet_t *) = sub;
    c->trusted_text = c->trusted_text
        ? apr_pstrcat(cmd->pool, c->trusted_text, " ", arg, NULL)
        : apr_pstrdup(cmd->pool, arg);
    return mark(cmd, mc, PR_F_TRUSTED);
}

static const char *set_strip(cmd_parms *cmd, void *mc, const char *arg)
{
    pr_dir_conf *c = mc;

    if (!pr_hdr_name_valid(arg, strlen(arg))) {
        return bad(cmd, "'%s' is not a header field name", arg);
    }
    if (!c->strip) {
        c->strip = apr_array_make(cmd->pool, 4, sizeof(const char *));
    }
    APR_ARRAY_PUSH(c->strip, const char *) = apr_pstrdup(cmd->pool, arg);
    return NULL;
}

static const char *set_client_cert(cmd_parms *cmd, void *mc, const char *cert,
                                   const char *key)
{
    pr_dir_conf *c = mc;
    const char *cert_file = ap_server_root_relative(cmd->pool, cert);
    const char *key_file = key ? ap_server_root_relative(cmd->pool, key) : cert_file;
    const char *err;
    pr_client_cert *cc = NULL;
    long warn;

    if (!cert_file || !key_file) {
        return bad(cmd, "invalid path '%s'", key ? key : cert);
    }
    if ((err = pr_client_cert_load(cmd->pool, cmd->temp_pool, cert_file, key_file, &cc))) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": ", err, NULL);
    }
    if ((err = conflict(cmd, SET_HERE(mc, PR_F_CLIENT_CERT), c->client == cc,
                        key ? apr_pstrcat(cmd->pool, cert, " ", key, NULL) : cert))) {
        return err;
    }
    c->client = cc;
    warn = c->warn_days != PR_UNSET ? c->warn_days : PR_DEFAULT_WARN_DAYS;
    if (c->client->days_left < warn) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_WARNING, 0, NULL, PRE(0020)
                     "%s: the client certificate in '%s' expires in %ld days "
                     "(%s)", cmd->cmd->name, cert_file, c->client->days_left, where(cmd));
    }
    return mark(cmd, mc, PR_F_CLIENT_CERT);
}

static const char *set_min_proto(cmd_parms *cmd, void *mc, const char *arg)
{
    int v;
    if (pr_parse_min_protocol(arg, strlen(arg), &v)) {
        return bad(cmd, "'%s' is not one of TLSv1.2, TLSv1.3", arg);
    }
    return set_keyword(cmd, mc, PR_F_MIN_PROTO, &CONF(mc)->min_proto, v, arg);
}

static const char *set_session_cache(cmd_parms *cmd, void *mc, const char *arg)
{
    int v;
    if (pr_parse_onoff(arg, strlen(arg), &v)) {
        return bad(cmd, "'%s' is not one of on, off", arg);
    }
    return set_keyword(cmd, mc, PR_F_SESSION_CACHE, &CONF(mc)->session_cache, v, arg);
}

static const char *set_proxy_protocol(cmd_parms *cmd, void *mc, const char *arg)
{
    int v;
    if (pr_parse_proxy_protocol(arg, strlen(arg), &v)) {
        return bad(cmd, "'%s' is not one of off, v1, v2", arg);
    }
    return set_keyword(cmd, mc, PR_F_PROXY_PROTOCOL, &CONF(mc)->proxy_protocol, v, arg);
}

static const char *set_ocsp(cmd_parms *cmd, void *mc, const char *arg)
{
    pr_ocsp_mode v;
    if (pr_parse_ocsp(arg, strlen(arg), &v)) {
        return bad(cmd, "'%s' is not one of off, staple, require", arg);
    }
    return set_keyword(cmd, mc, PR_F_OCSP, &CONF(mc)->ocsp, (int)v, arg);
}

static const char *set_hs_timeout(cmd_parms *cmd, void *mc, const char *arg)
{
    long v;
    if (pr_parse_uint(arg, strlen(arg), 1, PR_MAX_HS_TIMEOUT, &v)) {
        return bad(cmd, "'%s' is not a number of seconds from 1 to 3600", arg);
    }
    return set_keyword(cmd, mc, PR_F_HS_TIMEOUT, &CONF(mc)->hs_timeout, (int)v, arg);
}

static const char *set_reload(cmd_parms *cmd, void *mc, const char *arg)
{
    pr_dir_conf *c = mc;
    const char *err;
    long v;

    if (pr_parse_uint(arg, strlen(arg), 0, 86400, &v)) {
        return bad(cmd, "'%s' is not a number of seconds from 0 (off) to 86400", arg);
    }
    if ((err = conflict(cmd, SET_HERE(mc, PR_F_RELOAD), c->reload == v, arg)) != NULL) {
        return err;
    }
    c->reload = v;
    return mark(cmd, mc, PR_F_RELOAD);
}

#define PR_CTX (RSRC_CONF | PROXY_CONF)

const command_rec pr_cmds[] = {
    AP_INIT_TAKE1("ProxyReencryptPolicy", set_policy, NULL, PR_CTX,
                  "off | audit | enforce: what to do with a backend that breaks the policy"),
    AP_INIT_TAKE1("ProxyReencryptRequireTLS", set_require_tls, NULL, PR_CTX,
                  "on | off: every backend must be https://, wss:// or h2://"),
    AP_INIT_TAKE1("ProxyReencryptVerify", set_verify, NULL, PR_CTX,
                  "chain | pin | off: where trust in the backend comes from"),
    AP_INIT_TAKE1("ProxyReencryptCACertificateFile", set_ca, (void *)1, PR_CTX,
                  "PEM file of trust anchors for the backend"),
    AP_INIT_TAKE1("ProxyReencryptCACertificatePath", set_ca, NULL, PR_CTX,
                  "directory of hashed trust anchors for the backend"),
    AP_INIT_TAKE1("ProxyReencryptVerifyDepth", set_depth, NULL, PR_CTX,
                  "most intermediate CA certificates allowed (default 4)"),
    AP_INIT_ITERATE("ProxyReencryptExpectName", set_expect, NULL, PR_CTX,
                    "DNS names or IP addresses one of which the certificate must match"),
    AP_INIT_TAKE1("ProxyReencryptSNI", set_sni, NULL, PR_CTX,
                  "auto | off | name: the SNI sent to the backend"),
    AP_INIT_TAKE12("ProxyReencryptExpiry", set_expiry, NULL, PR_CTX,
                   "warn-days [refuse-days] (default 30 0)"),
    AP_INIT_ITERATE("ProxyReencryptPin", set_pin, NULL, PR_CTX,
                    "sha256//BASE64 SPKI pins"),
    AP_INIT_TAKE1("ProxyReencryptCARevocationFile", set_crl_file, NULL, PR_CTX,
                  "PEM file of CRLs"),
    AP_INIT_TAKE1("ProxyReencryptCARevocationCheck", set_crl_check, NULL, PR_CTX,
                  "none | leaf | chain"),
    AP_INIT_TAKE1("ProxyReencryptForwarded", set_fwd, NULL, PR_CTX,
                  "xff | rfc7239 | both | off: forwarded headers sent to the backend"),
    AP_INIT_ITERATE("ProxyReencryptTrustedProxy", set_trusted, NULL, PR_CTX,
                    "CIDR blocks whose forwarded headers are kept"),
    AP_INIT_ITERATE("ProxyReencryptStripHeader", set_strip, NULL, PR_CTX,
                    "more header names to remove from untrusted clients"),
    AP_INIT_TAKE12("ProxyReencryptClientCertificate", set_client_cert, NULL, PR_CTX,
                   "cert-file [key-file]: client certificate (chain after the leaf) for the backend"),
    AP_INIT_TAKE1("ProxyReencryptMinProtocol", set_min_proto, NULL, PR_CTX,
                  "TLSv1.2 | TLSv1.3: lowest TLS version accepted from the backend"),
    AP_INIT_TAKE1("ProxyReencryptSessionCache", set_session_cache, NULL, PR_CTX,
                  "on | off: resume TLS sessions to the backend"),
    AP_INIT_TAKE1("ProxyReencryptProxyProtocol", set_proxy_protocol, NULL, PR_CTX,
                  "off | v1 | v2: send a PROXY protocol header before the handshake"),
    AP_INIT_TAKE1("ProxyReencryptOCSP", set_ocsp, NULL, PR_CTX,
                  "off | staple | require: stapled OCSP responses from the backend"),
    AP_INIT_TAKE1("ProxyReencryptHandshakeTimeout", set_hs_timeout, NULL, PR_CTX,
                  "seconds: longest TLS handshake with a backend (default 10)"),
    AP_INIT_TAKE1("ProxyReencryptReload", set_reload, NULL, PR_CTX,
                  "seconds: re-read changed CA and CRL files this often (default 0: off)"),
    AP_INIT_TAKE1("ProxyReencryptStream", pr_stream_set_mode, NULL, RSRC_CONF,
                  "off | passthrough | tls: this vhost's connections are streams, not HTTP"),
    AP_INIT_TAKE_ARGV("ProxyReencryptRoute", pr_stream_set_route, NULL, RSRC_CONF,
                      "match backend...: SNI name, *.domain or default, and host:port backends"),
    AP_INIT_TAKE12("ProxyReencryptStreamTimeout", pr_stream_set_timeout, NULL, RSRC_CONF,
                   "connect [idle]: seconds (default 5 300)"),
    AP_INIT_TAKE1("ProxyReencryptNotes", pr_set_notes_mode, NULL, RSRC_CONF,
                  "on | off | auto: set the REENCRYPT_* request notes (auto: when the "
                  "configuration mentions one)"),
    AP_INIT_TAKE1("ProxyReencryptStatusScope", pr_status_set_scope, NULL, RSRC_CONF | ACCESS_CONF,
                  "vhost | all: the backends the status handler shows (default vhost)"),
    { NULL }
};

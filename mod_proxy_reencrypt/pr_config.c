/*
 * pr_config.c: directives, create/merge, and the trust stores.
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

void *pr_create_dir_conf(apr_pool_t *p, char *dir)
{
    pr_dir_conf *c = apr_pcalloc(p, sizeof(*c));

    c->section = dir ? apr_pstrdup(p, dir) : NULL;
    c->policy = PR_UNSET;
    c->require_tls = PR_UNSET;
    c->verify = PR_UNSET;
    c->depth = PR_UNSET;
    c->sni = PR_UNSET;
    c->warn_days = PR_UNSET;
    c->refuse_days = PR_UNSET;
    c->crl_check = PR_UNSET;
    c->fwd_mode = PR_UNSET;
    c->min_proto = PR_UNSET;
    c->session_cache = PR_UNSET;
    c->proxy_protocol = PR_UNSET;
    c->ocsp = PR_UNSET;
    c->status_scope = PR_UNSET;
    return c;
}

#define MERGE_INT(f) m->f = (add->f != PR_UNSET) ? add->f : base->f
#define MERGE_PTR(f) m->f = add->f ? add->f : base->f

void *pr_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    const pr_dir_conf *base = basev, *add = addv;
    pr_dir_conf *m = apr_palloc(p, sizeof(*m));
    int f;

    MERGE_INT(policy);
    MERGE_INT(require_tls);
    MERGE_INT(verify);
    if (add->store) {
        m->ca_file = add->ca_file;
        m->ca_path = add->ca_path;
        m->store = add->store;
    }
    else {
        m->ca_file = base->ca_file;
        m->ca_path = base->ca_path;
        m->store = base->store;
    }
    MERGE_INT(depth);
    MERGE_PTR(expect);
    MERGE_INT(sni);
    m->sni_name = (add->sni != PR_UNSET) ? add->sni_name : base->sni_name;
    /* ProxyReencryptExpiry sets both numbers at once. */
    if (add->warn_days != PR_UNSET) {
        m->warn_days = add->warn_days;
        m->refuse_days = add->refuse_days;
    }
    else {
        m->warn_days = base->warn_days;
        m->refuse_days = base->refuse_days;
    }
    MERGE_PTR(pins);
    if (add->crl_file) {
        m->crl_file = add->crl_file;
        m->crls = add->crls;
    }
    else {
        m->crl_file = base->crl_file;
        m->crls = base->crls;
    }
    MERGE_INT(crl_check);
    MERGE_INT(fwd_mode);
    MERGE_PTR(client);
    MERGE_INT(min_proto);
    MERGE_INT(session_cache);
    MERGE_INT(proxy_protocol);
    MERGE_INT(ocsp);
    MERGE_PTR(section);
    for (f = 0; f < PR_F__COUNT; ++f) {
        m->origin[f] = add->origin[f] ? add->origin[f] : base->origin[f];
    }
    MERGE_INT(status_scope);
    /* Names to strip add up: a <Proxy> section never un-strips a name. */
    if (add->strip && base->strip) {
        m->strip = apr_array_append(p, base->strip, add->strip);
    }
    else {
        MERGE_PTR(strip);
    }
    if (add->trusted) {
        m->trusted = add->trusted;
        m->trusted_text = add->trusted_text;
    }
    else {
        m->trusted = base->trusted;
        m->trusted_text = base->trusted_text;
    }
    return m;
}

int pr_conf_sets_any(const pr_dir_conf *c)
{
    int f;

    for (f = 0; c && f < PR_F__COUNT; ++f) {
        if (c->origin[f]) {
            return 1;
        }
    }
    return 0;
}

const pr_dir_conf *pr_conf_of(ap_conf_vector_t *v)
{
    static const pr_dir_conf unset = {
        .policy = PR_UNSET, .require_tls = PR_UNSET, .verify = PR_UNSET,
        .depth = PR_UNSET, .sni = PR_UNSET, .warn_days = PR_UNSET,
        .refuse_days = PR_UNSET, .crl_check = PR_UNSET, .fwd_mode = PR_UNSET,
        .min_proto = PR_UNSET, .session_cache = PR_UNSET, .proxy_protocol = PR_UNSET,
        .ocsp = PR_UNSET, .status_scope = PR_UNSET,
    };
    const pr_dir_conf *c = v ? ap_get_module_config(v, &proxy_reencrypt_module) : NULL;
    return c ? c : &unset;
}

/* ------------------------------------------------------------------ */
/* Trust stores: one X509_STORE per (CA file, CA path) pair and per    */
/* configuration generation, loaded while the configuration is read    */
/* (single-threaded) and shared read-only by every backend using it.    */

static apr_hash_t *stores;              /* key "file\npath" -> X509_STORE */

static apr_status_t store_cleanup(void *data)
{
    X509_STORE_free(data);
    return APR_SUCCESS;
}

static apr_status_t stores_forget(void *data)
{
    (void)data;
    stores = NULL;
    return APR_SUCCESS;
}

static const char *openssl_error(apr_pool_t *p)
{
    char buf[256];
    unsigned long e = ERR_peek_last_error();

    if (!e) {
        return "no certificate found";
    }
    ERR_error_string_n(e, buf, sizeof(buf));
    ERR_clear_error();
    return apr_pstrdup(p, buf);
}

static X509_STORE *store_load(apr_pool_t *p, const char *file, const char *path,
                              const char **err)
{
    X509_STORE *st = X509_STORE_new();

    ERR_clear_error();
    if (!st) {
        *err = "out of memory";
        return NULL;
    }
    if (file && X509_STORE_load_file(st, file) != 1) {
        *err = apr_psprintf(p, "cannot load CA certificates from '%s': %s", file,
                            openssl_error(p));
        X509_STORE_free(st);
        return NULL;
    }
    if (path && X509_STORE_load_path(st, path) != 1) {
        *err = apr_psprintf(p, "cannot use CA directory '%s': %s", path,
                            openssl_error(p));
        X509_STORE_free(st);
        return NULL;
    }
    apr_pool_cleanup_register(p, st, store_cleanup, apr_pool_cleanup_null);
    return st;
}

X509_STORE *pr_store_get(apr_pool_t *p, const char *file, const char *path,
                         const char **err)
{
    const char *key;
    X509_STORE *st;

    if (!file && !path) {
        return NULL;
    }
    if (!stores) {
        stores = apr_hash_make(p);
        apr_pool_cleanup_register(p, NULL, stores_forget, apr_pool_cleanup_null);
    }
    key = apr_pstrcat(p, file ? file : "", "\n", path ? path : "", NULL);
    st = apr_hash_get(stores, key, APR_HASH_KEY_STRING);
    if (!st && (st = store_load(p, file, path, err)) != NULL) {
        apr_hash_set(stores, key, APR_HASH_KEY_STRING, st);
    }
    return st;
}

/* ------------------------------------------------------------------ */
/* Directive handlers.                                                  */

#define CONF(mc) ((pr_dir_conf *)(mc))

/* Where a field was set, for the dump ("file:line"). */
static const char *mark(cmd_parms *cmd, void *mc, pr_field f)
{
    CONF(mc)->origin[f] = cmd->directive
        ? apr_psprintf(cmd->pool, "%s:%d", cmd->directive->filename, cmd->directive->line_num)
        : "(command line)";
    return NULL;
}

static const char *bad(cmd_parms *cmd, const char *fmt, const char *arg)
{
    return apr_pstrcat(cmd->pool, cmd->cmd->name, ": ",
                       apr_psprintf(cmd->pool, fmt, arg), NULL);
}

static const char *set_policy(cmd_parms *cmd, void *mc, const char *arg)
{
    pr_policy v;
    if (pr_parse_policy(arg, strlen(arg), &v)) {
        return bad(cmd, "'%s' is not one of off, audit, enforce", arg);
    }
    CONF(mc)->policy = v;
    return mark(cmd, mc, PR_F_POLICY);
}

static const char *set_require_tls(cmd_parms *cmd, void *mc, const char *arg)
{
    int v;
    if (pr_parse_onoff(arg, strlen(arg), &v)) {
        return bad(cmd, "'%s' is not one of on, off", arg);
    }
    CONF(mc)->require_tls = v;
    return mark(cmd, mc, PR_F_REQUIRE_TLS);
}

static const char *set_verify(cmd_parms *cmd, void *mc, const char *arg)
{
    pr_verify v;
    if (pr_parse_verify(arg, strlen(arg), &v)) {
        return bad(cmd, "'%s' is not one of chain, pin, off", arg);
    }
    CONF(mc)->verify = v;
    return mark(cmd, mc, PR_F_VERIFY);
}

static const char *set_ca(cmd_parms *cmd, void *mc, const char *arg)
{
    int is_file = cmd->info != NULL;
    const char *path = ap_server_root_relative(cmd->pool, arg);
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
    if (is_file) {
        CONF(mc)->ca_file = path;
    }
    else {
        CONF(mc)->ca_path = path;
    }
    /* Load it now: an unreadable or empty bundle fails start-up here,
     * and the loaded store is shared with every other user of the file.
     * A scope naming both a file and a path gets the store of both. */
    CONF(mc)->store = pr_store_get(cmd->pool, CONF(mc)->ca_file, CONF(mc)->ca_path, &err);
    if (!CONF(mc)->store) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": ", err, NULL);
    }
    return mark(cmd, mc, PR_F_CA);
}

static const char *set_depth(cmd_parms *cmd, void *mc, const char *arg)
{
    long v;
    if (pr_parse_uint(arg, strlen(arg), 0, PR_MAX_DEPTH, &v)) {
        return bad(cmd, "'%s' is not a number of CA certificates from 0 to 100", arg);
    }
    CONF(mc)->depth = v;
    return mark(cmd, mc, PR_F_DEPTH);
}

static const char *set_expect(cmd_parms *cmd, void *mc, const char *arg)
{
    pr_dir_conf *c = mc;

    if (pr_classify_name(arg, strlen(arg), 0) == PR_NAME_INVALID) {
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
    int kind;

    if (!strcasecmp(arg, "auto")) {
        c->sni = PR_SNI_AUTO;
        return mark(cmd, mc, PR_F_SNI);
    }
    if (!strcasecmp(arg, "off")) {
        c->sni = PR_SNI_OFF;
        return mark(cmd, mc, PR_F_SNI);
    }
    kind = pr_classify_name(arg, strlen(arg), 0);
    if (kind == 4 || kind == 6) {
        return bad(cmd, "'%s' is an IP address; RFC 6066 does not allow IP "
                   "literals in SNI (use ProxyReencryptExpectName for IPs)", arg);
    }
    if (kind != PR_NAME_DNS) {
        return bad(cmd, "'%s' is not auto, off or a DNS name", arg);
    }
    c->sni = PR_SNI_NAME;
    c->sni_name = apr_pstrdup(cmd->pool, arg);
    return mark(cmd, mc, PR_F_SNI);
}

static const char *set_expiry(cmd_parms *cmd, void *mc, const char *w, const char *r)
{
    pr_dir_conf *c = mc;
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

static apr_status_t crls_cleanup(void *data)
{
    sk_X509_CRL_pop_free(data, X509_CRL_free);
    return APR_SUCCESS;
}

static const char *set_crl_file(cmd_parms *cmd, void *mc, const char *arg)
{
    pr_dir_conf *c = mc;
    const char *path = ap_server_root_relative(cmd->pool, arg);
    STACK_OF(X509_CRL) *crls;
    X509_CRL *crl;
    BIO *bio;

    if (!path || !(bio = BIO_new_file(path, "r"))) {
        return bad(cmd, "cannot read '%s'", arg);
    }
    crls = sk_X509_CRL_new_null();
    while ((crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL)) != NULL) {
        sk_X509_CRL_push(crls, crl);
    }
    BIO_free(bio);
    ERR_clear_error();
    if (sk_X509_CRL_num(crls) == 0) {
        sk_X509_CRL_free(crls);
        return bad(cmd, "'%s' contains no PEM CRL", path);
    }
    apr_pool_cleanup_register(cmd->pool, crls, crls_cleanup, apr_pool_cleanup_null);
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
    CONF(mc)->crl_check = v;
    return mark(cmd, mc, PR_F_CRL_CHECK);
}

static const char *set_fwd(cmd_parms *cmd, void *mc, const char *arg)
{
    pr_fwd_mode v;
    if (pr_parse_fwd_mode(arg, strlen(arg), &v)) {
        return bad(cmd, "'%s' is not one of xff, rfc7239, both, off", arg);
    }
    CONF(mc)->fwd_mode = v;
    return mark(cmd, mc, PR_F_FORWARDED);
}

static const char *set_trusted(cmd_parms *cmd, void *mc, const char *arg)
{
    pr_dir_conf *c = mc;
    char *ip = apr_pstrdup(cmd->temp_pool, arg);
    char *mask = strchr(ip, '/');
    apr_ipsubnet_t *sub;
    apr_status_t rv;

    if (mask) {
        *mask++ = '\0';
    }
    /* apr_ipsubnet_create accepts only IP literals when given a mask, and
     * names no host: a hostname here is refused, as it should be. */
    if (pr_classify_name(ip, strlen(ip), 0) != 4 && pr_classify_name(ip, strlen(ip), 0) != 6) {
        return bad(cmd, "'%s' is not an IP address or CIDR block", arg);
    }
    rv = apr_ipsubnet_create(&sub, ip, mask, cmd->pool);
    if (rv != APR_SUCCESS) {
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

/* Client certificates: one load per (cert, key) pair and generation. */
static apr_hash_t *client_certs;

static apr_status_t forget_hash(void *data)
{
    *(apr_hash_t **)data = NULL;
    return APR_SUCCESS;
}

static apr_status_t client_cert_cleanup(void *data)
{
    pr_client_cert *cc = data;
    X509_free(cc->leaf);
    sk_X509_pop_free(cc->chain, X509_free);
    EVP_PKEY_free(cc->key);
    return APR_SUCCESS;
}

static const char *load_client_cert(cmd_parms *cmd, const char *cert_file,
                                    const char *key_file, pr_client_cert **out)
{
    const char *key = apr_pstrcat(cmd->temp_pool, cert_file, "\n", key_file, NULL);
    pr_client_cert *cc;
    X509 *x;
    BIO *bio;

    if (!client_certs) {
        client_certs = apr_hash_make(cmd->pool);
        apr_pool_cleanup_register(cmd->pool, &client_certs, forget_hash,
                                  apr_pool_cleanup_null);
    }
    if ((cc = apr_hash_get(client_certs, key, APR_HASH_KEY_STRING)) != NULL) {
        *out = cc;
        return NULL;
    }
    cc = apr_pcalloc(cmd->pool, sizeof(*cc));
    cc->cert_file = cert_file;
    cc->key_file = key_file;
    cc->chain = sk_X509_new_null();
    apr_pool_cleanup_register(cmd->pool, cc, client_cert_cleanup, apr_pool_cleanup_null);

    ERR_clear_error();
    if (!(bio = BIO_new_file(cert_file, "r"))) {
        return apr_psprintf(cmd->pool, "%s: cannot read certificate file '%s'",
                            cmd->cmd->name, cert_file);
    }
    while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        if (!cc->leaf) {
            cc->leaf = x;
        }
        else {
            sk_X509_push(cc->chain, x);
        }
    }
    BIO_free(bio);
    ERR_clear_error();
    if (!cc->leaf) {
        return apr_psprintf(cmd->pool, "%s: '%s' contains no PEM certificate",
                            cmd->cmd->name, cert_file);
    }
    if (!(bio = BIO_new_file(key_file, "r"))) {
        return apr_psprintf(cmd->pool, "%s: cannot read key file '%s'",
                            cmd->cmd->name, key_file);
    }
    cc->key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    ERR_clear_error();
    if (!cc->key) {
        return apr_psprintf(cmd->pool, "%s: '%s' contains no (unencrypted) PEM private key",
                            cmd->cmd->name, key_file);
    }
    if (X509_check_private_key(cc->leaf, cc->key) != 1) {
        ERR_clear_error();
        return apr_psprintf(cmd->pool, "%s: the key in '%s' does not match the "
                            "certificate in '%s'", cmd->cmd->name, key_file, cert_file);
    }
    if (X509_cmp_current_time(X509_get0_notBefore(cc->leaf)) > 0) {
        return apr_psprintf(cmd->pool, "%s: the certificate in '%s' is not valid yet",
                            cmd->cmd->name, cert_file);
    }
    cc->days_left = pr_x509_days_left(cc->leaf);
    if (cc->days_left < 0) {
        return apr_psprintf(cmd->pool, "%s: the certificate in '%s' has expired",
                            cmd->cmd->name, cert_file);
    }
    apr_hash_set(client_certs, apr_pstrdup(cmd->pool, key), APR_HASH_KEY_STRING, cc);
    *out = cc;
    return NULL;
}

static const char *set_client_cert(cmd_parms *cmd, void *mc, const char *cert,
                                   const char *key)
{
    pr_dir_conf *c = mc;
    const char *cert_file = ap_server_root_relative(cmd->pool, cert);
    const char *key_file = key ? ap_server_root_relative(cmd->pool, key) : cert_file;
    const char *err;
    long warn;

    if (!cert_file || !key_file) {
        return bad(cmd, "invalid path '%s'", key ? key : cert);
    }
    if ((err = load_client_cert(cmd, cert_file, key_file, &c->client)) != NULL) {
        return err;
    }
    warn = c->warn_days != PR_UNSET ? c->warn_days : PR_DEFAULT_WARN_DAYS;
    if (c->client->days_left < warn) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_WARNING, 0, NULL, PRE(0020)
                     "%s: the client certificate in '%s' expires in %ld days "
                     "(%s line %d)", cmd->cmd->name, cert_file, c->client->days_left,
                     cmd->directive->filename, cmd->directive->line_num);
    }
    return mark(cmd, mc, PR_F_CLIENT_CERT);
}

static const char *set_min_proto(cmd_parms *cmd, void *mc, const char *arg)
{
    int v;
    if (pr_parse_min_protocol(arg, strlen(arg), &v)) {
        return bad(cmd, "'%s' is not one of TLSv1.2, TLSv1.3", arg);
    }
    CONF(mc)->min_proto = v;
    return mark(cmd, mc, PR_F_MIN_PROTO);
}

static const char *set_session_cache(cmd_parms *cmd, void *mc, const char *arg)
{
    int v;
    if (pr_parse_onoff(arg, strlen(arg), &v)) {
        return bad(cmd, "'%s' is not one of on, off", arg);
    }
    CONF(mc)->session_cache = v;
    return mark(cmd, mc, PR_F_SESSION_CACHE);
}

static const char *set_proxy_protocol(cmd_parms *cmd, void *mc, const char *arg)
{
    pr_dir_conf *c = mc;
    if (!strcasecmp(arg, "off")) c->proxy_protocol = 0;
    else if (!strcasecmp(arg, "v1")) c->proxy_protocol = 1;
    else if (!strcasecmp(arg, "v2")) c->proxy_protocol = 2;
    else return bad(cmd, "'%s' is not one of off, v1, v2", arg);
    return mark(cmd, mc, PR_F_PROXY_PROTOCOL);
}

static const char *set_ocsp(cmd_parms *cmd, void *mc, const char *arg)
{
    pr_ocsp_mode v;
    if (pr_parse_ocsp(arg, strlen(arg), &v)) {
        return bad(cmd, "'%s' is not one of off, staple, require", arg);
    }
    CONF(mc)->ocsp = v;
    return mark(cmd, mc, PR_F_OCSP);
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
    AP_INIT_TAKE1("ProxyReencryptStream", pr_stream_set_mode, NULL, RSRC_CONF,
                  "off | passthrough | tls: this vhost's connections are streams, not HTTP"),
    AP_INIT_TAKE_ARGV("ProxyReencryptRoute", pr_stream_set_route, NULL, RSRC_CONF,
                      "match backend...: SNI name, *.domain or default, and host:port backends"),
    AP_INIT_TAKE12("ProxyReencryptStreamTimeout", pr_stream_set_timeout, NULL, RSRC_CONF,
                   "connect [idle]: seconds (default 5 300)"),
    AP_INIT_TAKE1("ProxyReencryptStatusScope", pr_status_set_scope, NULL, RSRC_CONF | ACCESS_CONF,
                  "vhost | all: the backends the status handler shows (default vhost)"),
    { NULL }
};

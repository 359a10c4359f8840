/*
 * pr_stream.h: stream proxying (SPEC "Stream proxying"): a <VirtualHost>
 * with ProxyReencryptStream passthrough|tls takes its connections in a
 * process_connection hook, so its port is never served as HTTP.
 *
 * pr_stream_conf.c   the server config, directives, start-up checks, the
 *                    dump of the routes, the tls-mode SSL_CTX
 * pr_stream.c        the connection: ClientHello peek, route, connect with
 *                    failover, PROXY header, bad input
 * pr_stream_relay.c  the relay: both directions, half-close, bounded
 *                    buffers, idle timeout
 * pr_stream_tls.c    tls mode: the client handshake to the backend under
 *                    the vhost's resolved policy (pr_tls_verify.c judges)
 */
#ifndef PR_STREAM_H
#define PR_STREAM_H

#include "pr_glue.h"

#define PR_STREAM_OFF         0
#define PR_STREAM_PASSTHROUGH 1
#define PR_STREAM_TLS         2

typedef struct {
    const char *host;               /* as written (no brackets) */
    apr_port_t port;
    const char *name;               /* "host:port" as written, for logs */
} pr_stream_backend;

typedef struct {
    const char *match;              /* lower-case name, "*.domain" or "default" */
    apr_array_header_t *backends;   /* pr_stream_backend */
    const char *origin;             /* file:line */
    apr_size_t stat_base;           /* its counters (pr_stream_stats.c) */
} pr_route;

typedef struct {
    int mode;                       /* PR_STREAM_* or PR_UNSET; not inherited */
    const char *mode_origin;
    apr_array_header_t *routes;     /* pr_route; not inherited */
    long connect_timeout;           /* seconds, PR_UNSET: 5 */
    long idle_timeout;              /* seconds, PR_UNSET: 300 */
    const char *timeout_origin;
    const char **matches;           /* routes' matches, for pr_route_pick */
    SSL_CTX *ctx;                   /* tls mode: the client SSL_CTX */
    apr_size_t stat_base;           /* its counters (pr_stream_stats.c) */
} pr_stream_conf;

#define PR_STREAM_DEFAULT_CONNECT 5
#define PR_STREAM_DEFAULT_IDLE    300

void *pr_stream_create_server_conf(apr_pool_t *p, server_rec *s);
void *pr_stream_merge_server_conf(apr_pool_t *p, void *basev, void *addv);
const pr_stream_conf *pr_stream_conf_of(server_rec *s);

/* Directive handlers (their command_rec lines are in pr_cmds). */
const char *pr_stream_set_mode(cmd_parms *cmd, void *mc, const char *arg);
const char *pr_stream_set_route(cmd_parms *cmd, void *mc, int argc, char *const argv[]);
const char *pr_stream_set_timeout(cmd_parms *cmd, void *mc, const char *c, const char *i);

/* The resolved policy of a route backend of a tls-mode vhost: the vhost
 * defaults and the <Proxy tls://host:port> sections that match. */
const pr_resolved *pr_stream_policy(server_rec *s, const pr_stream_backend *b,
                                    apr_pool_t *p, const char **url);

/* pr_stream_conf.c */
int pr_stream_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                           server_rec *s);
/* Does any vhost stream (ProxyReencryptStream passthrough or tls)? Set
 * at post_config, read by the process_connection hook. */
extern int pr_stream_any;

int pr_stream_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                          server_rec *s);
void pr_stream_dump(apr_file_t *out, apr_pool_t *p, server_rec *main_s);

/* pr_stream_relay.c: one side of a relay. */
typedef struct pr_end pr_end;
typedef enum { PR_IO_OK = 0, PR_IO_AGAIN, PR_IO_EOF, PR_IO_ERROR } pr_io;
struct pr_end {
    int fd;                         /* for poll() */
    SSL *ssl;                       /* an OpenSSL client (tls mode backend) */
    conn_rec *c;                    /* read/write through c's filters (mod_ssl) */
    apr_bucket_brigade *bb;         /* ... and the brigade for it */
    int want_write;                 /* SSL wants the socket writable to read */
};
/* Relay a <-> b until both directions ended, an error, or idle seconds
 * of silence. pre_a: bytes already read from a to send to b first.
 * Returns 0, or 1 on idle timeout; bytes counted into *ab, *ba. */
int pr_stream_relay(pr_end *a, pr_end *b, long idle, apr_off_t *ab, apr_off_t *ba);

/* pr_stream_tls.c: handshake with a backend on connected fd. Returns 0
 * and *ssl on success; non-zero when refused or failed (logged once,
 * with the event). */
int pr_stream_tls_connect(conn_rec *c, const pr_stream_conf *sc, const pr_stream_backend *b,
                          int fd, long timeout, SSL **ssl);
void pr_stream_tls_close(SSL *ssl);

/* pr_stream_stats.c: shared counters, a section of /server-status. */
enum { PR_ST_CONNS = 0, PR_ST_OPEN, PR_ST_BYTES_UP, PR_ST_BYTES_DOWN, PR_ST_NO_HELLO,
       PR_ST_BAD_HELLO, PR_ST_TOO_BIG, PR_ST_NO_ROUTE, PR_ST_NO_BACKEND, PR_ST_IDLE,
       PR_ST__VHOST };
void pr_stream_stats_init(apr_pool_t *pconf, server_rec *main_s);
void pr_stream_stat(const pr_stream_conf *sc, int which, apr_uint64_t v);
void pr_stream_stat_open(const pr_stream_conf *sc, int delta);
/* backend -1: the route took a connection; else relayed or skipped. */
void pr_stream_stat_route(const pr_route *rt, int backend, int skipped);
void pr_stream_stats_register(void);

void pr_stream_register_hooks(apr_pool_t *p);

#endif

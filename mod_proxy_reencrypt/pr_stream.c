/*
 * pr_stream.c: a connection of a stream vhost (see pr_stream.h).
 *
 * The process_connection hook runs after mod_ssl's (which, with
 * SSLEngine on, has already run the client handshake) and before core's
 * HTTP handler, and keeps the connection: the port is never served as
 * HTTP. One worker thread carries the stream from the first byte to the
 * close (see pr_stream_relay.c); nothing else holds it.
 *
 * passthrough: the ClientHello is peeked at (MSG_PEEK: nothing is
 *   consumed, the backend gets the client's bytes untouched), waiting for
 *   all of its records across TCP segments (SO_RCVLOWAT: the thread
 *   sleeps until enough bytes are there), bounded by PR_CH_MAX bytes and
 *   the connect timeout. Its SNI picks the route (pr_route_pick).
 * tls: the route is the SNI mod_ssl received (SSLEngine on), else
 *   "default"; each backend gets a client handshake under the vhost's
 *   resolved policy (pr_stream_tls.c).
 * Both: the route's backends are tried in order; an unreachable (or, in
 * tls mode, refused) one is skipped before any byte was relayed. The
 * PROXY header (ProxyReencryptProxyProtocol) goes first on the wire.
 *
 * Bad input (no ClientHello within the timeout, not TLS, malformed,
 * oversize, no route for its SNI) is closed with one log line, at info
 * (peer-triggered), never holding the worker longer than the timeout.
 */
#include "pr_glue.h"
#include "pr_stream.h"

#include "apr_strings.h"
#include "http_connection.h"
#include "http_core.h"
#include "scoreboard.h"
#include "mod_ssl.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pr_clienthello.h"

static APR_OPTIONAL_FN_TYPE(ssl_is_https) *is_https;
static APR_OPTIONAL_FN_TYPE(ssl_var_lookup) *var_lookup;

static long ms_left(apr_time_t deadline)
{
    apr_time_t now = apr_time_now();
    return deadline > now ? (long)apr_time_as_msec(deadline - now) + 1 : 0;
}

static void set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) {
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    }
}

/* Peek at the ClientHello. Returns its status; *why for a log line. */
static pr_ch_status peek_hello(conn_rec *c, int fd, long timeout, pr_clienthello *ch,
                               const char **why)
{
    static __thread unsigned char buf[PR_CH_MAX];
    apr_time_t deadline = apr_time_now() + apr_time_from_sec(timeout);
    size_t need = 1;
    int lowat;

    for (;;) {
        struct pollfd pf = { fd, POLLIN, 0 };
        ssize_t n = recv(fd, buf, sizeof(buf), MSG_PEEK);
        pr_ch_status st;
        long left;

        if (n == 0) {
            *why = "the client closed before a whole ClientHello";
            return PR_CH_NEED_MORE;
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            *why = apr_psprintf(c->pool, "read error (%s)", strerror(errno));
            return PR_CH_NEED_MORE;
        }
        if (n > 0) {
            st = pr_clienthello_parse(buf, (size_t)n, ch, &need);
            if (st != PR_CH_NEED_MORE) {
                *why = pr_ch_status_name(st);
                lowat = 1;
                setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat));
                return st;
            }
            /* Sleep until that many bytes are there (or EOF, or time). */
            lowat = (int)need;
            setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat));
        }
        if ((left = ms_left(deadline)) <= 0) {
            *why = apr_psprintf(c->pool, "no whole ClientHello within %lds (%ld bytes)",
                                timeout, n > 0 ? (long)n : 0L);
            return PR_CH_NEED_MORE;
        }
        poll(&pf, 1, (int)(left > 1000 ? 1000 : left));
    }
}

/* Connect to host:port within timeout; -1 with *why on failure. */
static int connect_to(conn_rec *c, const pr_stream_backend *b, long timeout, const char **why)
{
    apr_sockaddr_t *sa;
    apr_status_t rv;
    apr_time_t deadline = apr_time_now() + apr_time_from_sec(timeout);

    rv = apr_sockaddr_info_get(&sa, b->host, APR_UNSPEC, b->port, 0, c->pool);
    if (rv != APR_SUCCESS) {
        *why = "cannot resolve";
        return -1;
    }
    *why = "no address";
    for (; sa; sa = sa->next) {
        int fd = socket(sa->family, SOCK_STREAM | SOCK_CLOEXEC, 0), err = 0, one = 1;
        socklen_t elen = sizeof(err);
        struct pollfd pf;
        long left;

        if (fd < 0) {
            *why = strerror(errno);
            continue;
        }
        set_nonblock(fd);
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (connect(fd, (struct sockaddr *)&sa->sa, sa->salen) == 0) {
            return fd;
        }
        if (errno != EINPROGRESS) {
            *why = strerror(errno);
            close(fd);
            continue;
        }
        pf.fd = fd;
        pf.events = POLLOUT;
        pf.revents = 0;
        left = ms_left(deadline);
        if (left <= 0 || poll(&pf, 1, (int)left) <= 0) {
            *why = apr_psprintf(c->pool, "connect timeout (%lds)", timeout);
            close(fd);
            continue;
        }
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) || err) {
            *why = strerror(err ? err : errno);
            close(fd);
            continue;
        }
        return fd;
    }
    return -1;
}

/* Write all of buf on a fresh non-blocking socket (the PROXY header). */
static int send_all(int fd, const unsigned char *buf, size_t len, long timeout)
{
    while (len) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            struct pollfd pf = { fd, POLLOUT, 0 };
            if (poll(&pf, 1, (int)(timeout * 1000)) <= 0) {
                return -1;
            }
            continue;
        }
        return -1;
    }
    return 0;
}

static int proxy_header(conn_rec *c, int fd, int version, long timeout)
{
    unsigned char hdr[PR_PROXY_HEADER_MAX];
    int n = pr_proxy_header(version, c->client_ip, c->client_addr ? c->client_addr->port : 0,
                            c->local_ip, c->local_addr ? c->local_addr->port : 0,
                            hdr, sizeof(hdr));
    return n < 0 ? -1 : send_all(fd, hdr, (size_t)n, timeout);
}

static const char *mode_name(int mode)
{
    return mode == PR_STREAM_TLS ? "tls" : "passthrough";
}

static void run(conn_rec *c, const pr_stream_conf *sc)
{
    apr_socket_t *csock = ap_get_conn_socket(c);
    const char *vh = pr_vhost_name(c->pool, c->base_server);
    long ctimeout = sc->connect_timeout == PR_UNSET ? PR_STREAM_DEFAULT_CONNECT : sc->connect_timeout;
    long idle = sc->idle_timeout == PR_UNSET ? PR_STREAM_DEFAULT_IDLE : sc->idle_timeout;
    int https = is_https && is_https(c);
    const char *sni = NULL, *why = NULL;
    apr_os_sock_t cfd = -1;
    pr_clienthello ch;
    const pr_route *rt;
    pr_end a, b;
    apr_off_t ab = 0, ba = 0;
    int idx, i, rc, bfd = -1;
    SSL *bssl = NULL;
    const pr_stream_backend *be = NULL;

    if (!csock || apr_os_sock_get(&cfd, csock) != APR_SUCCESS || cfd < 0) {
        return;
    }
    if (sc->mode == PR_STREAM_PASSTHROUGH) {
        pr_ch_status st;

        if (https) {
            ap_log_cerror(APLOG_MARK, APLOG_ERR, 0, c, PRE(2009)
                          "stream (vhost %s): passthrough with SSLEngine on: mod_ssl "
                          "terminated TLS; set SSLEngine off on this vhost; closed", vh);
            return;
        }
        set_nonblock(cfd);
        st = peek_hello(c, cfd, ctimeout, &ch, &why);
        if (st != PR_CH_OK) {
            pr_stream_stat(sc, st == PR_CH_NEED_MORE ? PR_ST_NO_HELLO
                           : st == PR_CH_TOO_BIG ? PR_ST_TOO_BIG : PR_ST_BAD_HELLO, 1);
            ap_log_cerror(APLOG_MARK, APLOG_INFO, 0, c, PRE(2001)
                          "stream (vhost %s): closed: %s%s", vh,
                          st == PR_CH_NEED_MORE ? "" : "bad ClientHello: ", why);
            return;
        }
        sni = ch.has_sni ? ch.sni : NULL;
    }
    else if (https && var_lookup) {
        sni = var_lookup(c->pool, c->base_server, c, NULL, "SSL_TLS_SNI");
        if (sni && !*sni) {
            sni = NULL;
        }
    }
    idx = pr_route_pick(sc->matches, (size_t)sc->routes->nelts, sni, sni ? strlen(sni) : 0);
    if (idx < 0) {
        pr_stream_stat(sc, PR_ST_NO_ROUTE, 1);
        ap_log_cerror(APLOG_MARK, APLOG_INFO, 0, c, PRE(2002)
                      "stream (vhost %s): closed: %s%s%s and no default route", vh,
                      sni ? "no route for SNI '" : "no SNI", sni ? sni : "", sni ? "'" : "");
        return;
    }
    rt = &((const pr_route *)sc->routes->elts)[idx];
    pr_stream_stat_route(rt, -1, 0);

    for (i = 0; i < rt->backends->nelts; ++i) {
        const pr_stream_backend *cand = &((const pr_stream_backend *)rt->backends->elts)[i];
        const pr_resolved *pol = pr_stream_policy(c->base_server, cand, NULL, NULL);

        if ((bfd = connect_to(c, cand, ctimeout, &why)) < 0) {
            pr_stream_stat_route(rt, i, 1);
            ap_log_cerror(APLOG_MARK, APLOG_WARNING, 0, c, PRE(2003)
                          "stream (vhost %s, route %s): backend %s unreachable (%s)%s", vh,
                          rt->match, cand->name, why,
                          i + 1 < rt->backends->nelts ? ": trying the next one" : "");
            continue;
        }
        if (pol->proxy_protocol && proxy_header(c, bfd, pol->proxy_protocol, ctimeout)) {
            ap_log_cerror(APLOG_MARK, APLOG_WARNING, 0, c, PRE(2004)
                          "stream (vhost %s, route %s): backend %s: cannot send the PROXY "
                          "header", vh, rt->match, cand->name);
            pr_stream_stat_route(rt, i, 1);
            close(bfd);
            bfd = -1;
            continue;
        }
        if (sc->mode == PR_STREAM_TLS
            && pr_stream_tls_connect(c, sc, cand, bfd, ctimeout, &bssl)) {
            pr_stream_stat_route(rt, i, 1);
            close(bfd);         /* refused: logged and recorded by pr_stream_tls.c */
            bfd = -1;
            continue;
        }
        be = cand;
        pr_stream_stat_route(rt, i, 0);
        break;
    }
    if (bfd < 0) {
        pr_stream_stat(sc, PR_ST_NO_BACKEND, 1);
        ap_log_cerror(APLOG_MARK, APLOG_ERR, 0, c, PRE(2005)
                      "stream (vhost %s, route %s, SNI %s): no backend left; closed", vh,
                      rt->match, sni ? sni : "-");
        return;
    }
    ap_log_cerror(APLOG_MARK, APLOG_DEBUG, 0, c, PRE(2006)
                  "stream (vhost %s, %s): SNI %s -> route %s -> backend %s", vh,
                  mode_name(sc->mode), sni ? sni : "-", rt->match, be->name);

    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    a.fd = cfd;
    if (https) {
        a.c = c;
        a.bb = apr_brigade_create(c->pool, c->bucket_alloc);
    }
    else {
        set_nonblock(cfd);
    }
    b.fd = bfd;
    b.ssl = bssl;
    ap_update_child_status_from_conn(c->sbh, SERVER_BUSY_WRITE, c);
    pr_stream_stat_open(sc, 1);
    rc = pr_stream_relay(&a, &b, idle, &ab, &ba);
    pr_stream_stat_open(sc, -1);
    pr_stream_stat(sc, PR_ST_BYTES_UP, (apr_uint64_t)ab);
    pr_stream_stat(sc, PR_ST_BYTES_DOWN, (apr_uint64_t)ba);
    if (rc == 1) {
        pr_stream_stat(sc, PR_ST_IDLE, 1);
        ap_log_cerror(APLOG_MARK, APLOG_INFO, 0, c, PRE(2007)
                      "stream (vhost %s): backend %s: idle for %lds, closed", vh, be->name, idle);
    }
    ap_log_cerror(APLOG_MARK, APLOG_DEBUG, 0, c, PRE(2008)
                  "stream (vhost %s): backend %s: closed, %" APR_OFF_T_FMT " bytes to the "
                  "backend, %" APR_OFF_T_FMT " to the client", vh, be->name, ab, ba);
    if (bssl) {
        pr_stream_tls_close(bssl);
    }
    close(bfd);
}

static int stream_process_connection(conn_rec *c)
{
    const pr_stream_conf *sc;

    /* Called again for every request of every keep-alive connection
     * (the event MPM resumes them through this hook): one load when no
     * vhost streams. */
    if (!pr_stream_any || c->master || c->outgoing) {
        return DECLINED;
    }
    sc = pr_stream_conf_of(c->base_server);
    if (!sc || sc->mode == PR_UNSET || sc->mode == PR_STREAM_OFF || !sc->matches) {
        return DECLINED;
    }
    ap_update_child_status_from_conn(c->sbh, SERVER_BUSY_READ, c);
    pr_stream_stat(sc, PR_ST_CONNS, 1);
    run(c, sc);
    /* Done with it: no lingering (both directions are over), no HTTP. */
    c->keepalive = AP_CONN_CLOSE;
    c->aborted = 1;
    if (c->cs) {
        c->cs->state = CONN_STATE_LINGER;
    }
    return OK;
}

static void stream_optional_fns(void)
{
    is_https = APR_RETRIEVE_OPTIONAL_FN(ssl_is_https);
    var_lookup = APR_RETRIEVE_OPTIONAL_FN(ssl_var_lookup);
}

void pr_stream_register_hooks(apr_pool_t *p)
{
    static const char *const after[] = { "mod_ssl.c", NULL };

    (void)p;
    ap_hook_check_config(pr_stream_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(pr_stream_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_optional_fn_retrieve(stream_optional_fns, NULL, NULL, APR_HOOK_MIDDLE);
    /* After mod_ssl's (its client handshake), before core's HTTP. */
    ap_hook_process_connection(stream_process_connection, after, NULL, APR_HOOK_MIDDLE);
    pr_stream_stats_register();
}

/*
 * pr_stream_relay.c: the relay of a stream, both directions, in the one
 * worker thread that took the connection.
 *
 * Each direction has one buffer of RELAY_BUF bytes: a side is read only
 * when its buffer was written out, so a slow reader holds back its
 * writer (TCP flow control) and memory stays bounded per stream. When a
 * side ends its writes (EOF, or a TLS close_notify) the other side's
 * writes are shut down once the buffer is empty (half-close), and the
 * opposite direction goes on until it ends too. An error on either side,
 * or `idle` seconds without a byte either way, ends both.
 *
 * A side is a plain socket, an OpenSSL client (tls-mode backend:
 * non-blocking SSL_read/SSL_write, their WANT_READ/WANT_WRITE mapped to
 * poll events), or a connection's filter chain (a client whose TLS
 * mod_ssl terminated: non-blocking reads through the input filters, the
 * data pending inside mod_ssl drained before polling; writes are
 * blocking brigade passes under the server's Timeout).
 */
#include "pr_glue.h"
#include "pr_stream.h"

#include "apr_buckets.h"
#include "util_filter.h"

#include <errno.h>
#include <stdlib.h>
#include <poll.h>
#include <sys/socket.h>

#include <openssl/err.h>

#define RELAY_BUF 16384

typedef struct {
    pr_end *from, *to;
    char *buf;
    size_t off, len;
    int eof;                        /* from has ended its writes */
    int shut;                       /* to's writes were shut down */
    short rd_ev, wr_ev;             /* what from's read / to's write wait for */
} dir_t;

static pr_io ssl_result(SSL *ssl, int n, short *ev)
{
    switch (SSL_get_error(ssl, n)) {
    case SSL_ERROR_WANT_READ:
        *ev = POLLIN;
        return PR_IO_AGAIN;
    case SSL_ERROR_WANT_WRITE:
        *ev = POLLOUT;
        return PR_IO_AGAIN;
    case SSL_ERROR_ZERO_RETURN:
        return PR_IO_EOF;           /* close_notify */
    default:
        ERR_clear_error();
        return PR_IO_ERROR;
    }
}

static pr_io end_read(pr_end *e, char *buf, size_t cap, size_t *got, short *ev)
{
    *ev = POLLIN;
    *got = 0;
    if (e->ssl) {
        size_t n = 0;
        int rv = SSL_read_ex(e->ssl, buf, cap, &n);
        if (rv > 0) {
            *got = n;
            return PR_IO_OK;
        }
        return ssl_result(e->ssl, rv, ev);
    }
    if (e->c) {
        apr_status_t rv;
        apr_size_t n = cap;

        apr_brigade_cleanup(e->bb);
        rv = ap_get_brigade(e->c->input_filters, e->bb, AP_MODE_READBYTES,
                            APR_NONBLOCK_READ, (apr_off_t)cap);
        if (APR_STATUS_IS_EAGAIN(rv)) {
            return PR_IO_AGAIN;
        }
        if (rv == APR_EOF) {
            return PR_IO_EOF;
        }
        if (rv != APR_SUCCESS) {
            return PR_IO_ERROR;
        }
        if (APR_BRIGADE_EMPTY(e->bb)) {
            return PR_IO_AGAIN;
        }
        if (APR_BUCKET_IS_EOS(APR_BRIGADE_FIRST(e->bb))) {
            return PR_IO_EOF;
        }
        if (apr_brigade_flatten(e->bb, buf, &n) != APR_SUCCESS) {
            return PR_IO_ERROR;
        }
        apr_brigade_cleanup(e->bb);
        if (n == 0) {
            return PR_IO_AGAIN;
        }
        *got = n;
        return PR_IO_OK;
    }
    for (;;) {
        ssize_t n = recv(e->fd, buf, cap, 0);
        if (n > 0) {
            *got = (size_t)n;
            return PR_IO_OK;
        }
        if (n == 0) {
            return PR_IO_EOF;
        }
        if (errno == EINTR) {
            continue;
        }
        return errno == EAGAIN || errno == EWOULDBLOCK ? PR_IO_AGAIN : PR_IO_ERROR;
    }
}

static pr_io end_write(pr_end *e, const char *buf, size_t len, size_t *put, short *ev)
{
    *ev = POLLOUT;
    *put = 0;
    if (e->ssl) {
        size_t n = 0;
        int rv = SSL_write_ex(e->ssl, buf, len, &n);
        if (rv > 0) {
            *put = n;
            return PR_IO_OK;
        }
        return ssl_result(e->ssl, rv, ev);
    }
    if (e->c) {
        apr_bucket_alloc_t *ba = e->c->bucket_alloc;

        apr_brigade_cleanup(e->bb);
        APR_BRIGADE_INSERT_TAIL(e->bb, apr_bucket_transient_create(buf, len, ba));
        APR_BRIGADE_INSERT_TAIL(e->bb, apr_bucket_flush_create(ba));
        if (ap_pass_brigade(e->c->output_filters, e->bb) != APR_SUCCESS) {
            apr_brigade_cleanup(e->bb);
            return PR_IO_ERROR;
        }
        apr_brigade_cleanup(e->bb);
        *put = len;
        return PR_IO_OK;
    }
    for (;;) {
        ssize_t n = send(e->fd, buf, len, MSG_NOSIGNAL);
        if (n >= 0) {
            *put = (size_t)n;
            return PR_IO_OK;
        }
        if (errno == EINTR) {
            continue;
        }
        return errno == EAGAIN || errno == EWOULDBLOCK ? PR_IO_AGAIN : PR_IO_ERROR;
    }
}

/* End this side's writes: TLS close_notify, then the TCP FIN. A filter
 * side (mod_ssl) cannot half-close: the caller ends the stream. */
static int end_shutdown(pr_end *e)
{
    if (e->c) {
        return -1;
    }
    if (e->ssl) {
        SSL_shutdown(e->ssl);       /* sends close_notify; reads go on */
    }
    shutdown(e->fd, SHUT_WR);
    return 0;
}

/* One step of a direction: read if its buffer is empty, write what it
 * holds. Returns 1 on progress, 0 on none, -1 on an error (the end). */
static int step(dir_t *d, apr_off_t *count)
{
    int progress = 0;
    size_t n;
    pr_io io;

    d->rd_ev = d->wr_ev = 0;
    for (;;) {
        if (!d->len && !d->eof) {
            io = end_read(d->from, d->buf, RELAY_BUF, &n, &d->rd_ev);
            if (io == PR_IO_OK) {
                d->off = 0;
                d->len = n;
                progress = 1;
            }
            else if (io == PR_IO_EOF) {
                d->eof = 1;
                progress = 1;
            }
            else if (io == PR_IO_ERROR) {
                return -1;
            }
        }
        if (d->len) {
            io = end_write(d->to, d->buf + d->off, d->len, &n, &d->wr_ev);
            if (io == PR_IO_OK) {
                d->off += n;
                d->len -= n;
                *count += (apr_off_t)n;
                progress = 1;
                if (!d->len) {
                    continue;           /* read again at once */
                }
            }
            else if (io == PR_IO_ERROR) {
                return -1;
            }
        }
        break;
    }
    if (d->eof && !d->len && !d->shut) {
        d->shut = 1;
        if (end_shutdown(d->to)) {
            return -1;
        }
        progress = 1;
    }
    if (!d->len && !d->eof && !d->rd_ev) {
        d->rd_ev = POLLIN;
    }
    return progress;
}

static void want(struct pollfd *pf, int fd, short ev)
{
    if (ev) {
        pf[pf[0].fd == fd ? 0 : 1].events |= ev;
    }
}

int pr_stream_relay(pr_end *a, pr_end *b, long idle, apr_off_t *ab, apr_off_t *ba)
{
    char *bufs = malloc(2 * RELAY_BUF);
    dir_t d[2];
    int rc = 0;

    if (!bufs) {
        return -1;
    }
    memset(d, 0, sizeof(d));
    d[0].from = a; d[0].to = b; d[0].buf = bufs;
    d[1].from = b; d[1].to = a; d[1].buf = bufs + RELAY_BUF;
    for (;;) {
        struct pollfd pf[2];
        int p0, p1, n;

        p0 = d[0].shut ? 0 : step(&d[0], ab);
        p1 = d[1].shut ? 0 : step(&d[1], ba);
        if (p0 < 0 || p1 < 0) {
            break;
        }
        if (d[0].shut && d[1].shut) {
            break;
        }
        if (p0 || p1) {
            continue;
        }
        memset(pf, 0, sizeof(pf));
        pf[0].fd = a->fd;
        pf[1].fd = b->fd;
        if (!d[0].shut) {
            want(pf, d[0].from->fd, d[0].len ? 0 : d[0].rd_ev);
            want(pf, d[0].to->fd, d[0].len ? d[0].wr_ev : 0);
        }
        if (!d[1].shut) {
            want(pf, d[1].from->fd, d[1].len ? 0 : d[1].rd_ev);
            want(pf, d[1].to->fd, d[1].len ? d[1].wr_ev : 0);
        }
        n = poll(pf, 2, (int)(idle * 1000 > 0x7fffffff ? 0x7fffffff : idle * 1000));
        if (n == 0) {
            rc = 1;
            break;
        }
        if (n < 0 && errno != EINTR) {
            break;
        }
        /* A socket closed for good that nobody waits on: the end. */
        if (n > 0 && (((pf[0].revents & (POLLERR | POLLHUP | POLLNVAL)) && !pf[0].events)
                      || ((pf[1].revents & (POLLERR | POLLHUP | POLLNVAL)) && !pf[1].events))) {
            break;
        }
    }
    free(bufs);
    return rc;
}

/*
 * pr_clienthello.c: the ClientHello reader (see pr_clienthello.h).
 *
 * RFC 8446 5.1: a handshake message may be split over several records of
 * type handshake (22), and records carry at most 2^14 bytes. The
 * handshake message is reassembled from the record fragments into a
 * bounded scratch buffer on the stack, then read field by field with
 * explicit bounds (RFC 8446 4.1.2, RFC 6066 3).
 */
#include <string.h>

#include "pr_clienthello.h"
#include "pr_core.h"

#define REC_HDR 5
#define HS_HDR 4

const char *pr_ch_status_name(pr_ch_status st)
{
    switch (st) {
    case PR_CH_OK: return "ok";
    case PR_CH_NEED_MORE: return "need-more";
    case PR_CH_NOT_TLS: return "not-tls";
    case PR_CH_MALFORMED: return "malformed";
    case PR_CH_TOO_BIG: return "too-big";
    }
    return "?";
}

/* A cursor over [p, end). */
typedef struct {
    const unsigned char *p, *end;
} cur;

static int take(cur *c, size_t n, const unsigned char **out)
{
    if ((size_t)(c->end - c->p) < n) {
        return -1;
    }
    if (out) {
        *out = c->p;
    }
    c->p += n;
    return 0;
}

static int u8(cur *c, unsigned *v)
{
    const unsigned char *b;
    if (take(c, 1, &b)) return -1;
    *v = b[0];
    return 0;
}

static int u16(cur *c, unsigned *v)
{
    const unsigned char *b;
    if (take(c, 2, &b)) return -1;
    *v = ((unsigned)b[0] << 8) | b[1];
    return 0;
}

/* A vector with a 1- or 2-byte length: its body as a sub-cursor. */
static int vec(cur *c, int lenbytes, cur *body)
{
    unsigned n;
    const unsigned char *b;

    if ((lenbytes == 1 ? u8(c, &n) : u16(c, &n)) || take(c, n, &b)) {
        return -1;
    }
    body->p = b;
    body->end = b + n;
    return 0;
}

/* RFC 6066 3: server_name_list; the first host_name counts, and it must
 * be a DNS name (not an IP literal). 0 ok, -1 malformed. */
static int read_sni(cur *ext, pr_clienthello *out)
{
    cur list;
    unsigned type;
    cur name;
    size_t i, n;
    int kind;

    if (vec(ext, 2, &list) || ext->p != ext->end || list.p == list.end) {
        return -1;
    }
    while (list.p < list.end) {
        if (u8(&list, &type) || vec(&list, 2, &name)) {
            return -1;
        }
        if (type != 0 || out->has_sni) {
            continue;               /* unknown name types are skipped */
        }
        n = (size_t)(name.end - name.p);
        if (n && name.p[n - 1] == '.') {
            --n;
        }
        kind = pr_classify_name((const char *)name.p, n, 0);
        if (n == 0 || n >= PR_CH_NAME_MAX || kind != PR_NAME_DNS) {
            return -1;
        }
        for (i = 0; i < n; ++i) {
            unsigned char ch = name.p[i];
            out->sni[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
        }
        out->sni[n] = '\0';
        out->sni_len = n;
        out->has_sni = 1;
    }
    return 0;
}

/* The ClientHello body (after the 4-byte handshake header). */
static pr_ch_status read_hello(const unsigned char *b, size_t len, pr_clienthello *out)
{
    cur c = { b, b + len }, skip, exts, ext;
    unsigned type;
    int seen_sni = 0;

    if (u16(&c, &out->version) || take(&c, 32, NULL)     /* random */
        || vec(&c, 1, &skip) || (size_t)(skip.end - skip.p) > 32  /* session id */
        || vec(&c, 2, &skip) || skip.p == skip.end                /* cipher suites */
        || ((size_t)(skip.end - skip.p) & 1)
        || vec(&c, 1, &skip) || skip.p == skip.end) {             /* compression */
        return PR_CH_MALFORMED;
    }
    if ((out->version >> 8) != 3) {
        return PR_CH_MALFORMED;
    }
    if (c.p == c.end) {
        return PR_CH_OK;            /* no extensions at all (old clients) */
    }
    if (vec(&c, 2, &exts) || c.p != c.end) {
        return PR_CH_MALFORMED;
    }
    while (exts.p < exts.end) {
        if (u16(&exts, &type) || vec(&exts, 2, &ext)) {
            return PR_CH_MALFORMED;
        }
        if (type == 0) {
            if (seen_sni++ || read_sni(&ext, out)) {
                return PR_CH_MALFORMED;     /* RFC 8446 4.2: at most once */
            }
        }
    }
    return PR_CH_OK;
}

pr_ch_status pr_clienthello_parse(const unsigned char *buf, size_t len, pr_clienthello *out,
                                  size_t *need)
{
    unsigned char hs[PR_CH_MAX];
    size_t have = 0, pos = 0, want = 0;     /* want: whole message, header included */

    memset(out, 0, sizeof(*out));
    *need = 0;
    for (;;) {
        size_t rlen;

        if (len - pos < REC_HDR) {
            /* The first byte alone tells a handshake record from garbage. */
            if (len > pos && buf[pos] != 22) {
                return PR_CH_NOT_TLS;
            }
            if (len - pos >= 2 && buf[pos + 1] != 3) {
                return PR_CH_NOT_TLS;
            }
            *need = pos + REC_HDR;
            return PR_CH_NEED_MORE;
        }
        if (buf[pos] != 22 || buf[pos + 1] != 3) {
            return pos ? PR_CH_MALFORMED : PR_CH_NOT_TLS;
        }
        rlen = ((size_t)buf[pos + 3] << 8) | buf[pos + 4];
        if (rlen == 0 || rlen > 16384) {
            return PR_CH_MALFORMED;
        }
        if (pos + REC_HDR + rlen > PR_CH_MAX) {
            return PR_CH_TOO_BIG;
        }
        if (len - pos - REC_HDR < rlen) {
            *need = pos + REC_HDR + rlen;
            return PR_CH_NEED_MORE;
        }
        memcpy(hs + have, buf + pos + REC_HDR, rlen);
        have += rlen;
        pos += REC_HDR + rlen;
        if (!want && have >= HS_HDR) {
            if (hs[0] != 1) {
                return PR_CH_MALFORMED;     /* not a ClientHello */
            }
            want = HS_HDR + (((size_t)hs[1] << 16) | ((size_t)hs[2] << 8) | hs[3]);
            if (want > PR_CH_MAX - REC_HDR) {
                return PR_CH_TOO_BIG;
            }
        }
        if (want && have >= want) {
            pr_ch_status st;
            if (have > want) {
                return PR_CH_MALFORMED;     /* another message in the records */
            }
            out->consumed = pos;
            st = read_hello(hs + HS_HDR, want - HS_HDR, out);
            if (st != PR_CH_OK) {
                memset(out, 0, sizeof(*out));
            }
            return st;
        }
        if (pos >= PR_CH_MAX) {
            return PR_CH_TOO_BIG;
        }
    }
}

/*
 * Unit tests of the ClientHello reader (pr_clienthello.c), on real
 * hellos written by OpenSSL's client (memory BIOs) and on crafted ones.
 */
#define _GNU_SOURCE 1   /* memmem */
#include "tap.h"

#include <stdlib.h>
#include <openssl/ssl.h>

#include "pr_clienthello.h"

/* The first flight of an OpenSSL client: its ClientHello records. */
static size_t real_hello(const char *sni, unsigned char *out, size_t cap, int big)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL *ssl = SSL_new(ctx);
    BIO *rb = BIO_new(BIO_s_mem()), *wb = BIO_new(BIO_s_mem());
    int n;

    SSL_set_bio(ssl, rb, wb);
    if (sni) {
        SSL_set_tlsext_host_name(ssl, sni);
    }
    if (big) {
        /* A large ALPN list makes the hello span more than one record. */
        static unsigned char alpn[3000];
        size_t i;
        for (i = 0; i + 21 <= sizeof(alpn); i += 21) {
            alpn[i] = 20;
            memset(alpn + i + 1, 'a' + (int)(i % 26), 20);
        }
        SSL_set_alpn_protos(ssl, alpn, (unsigned)(i));
    }
    SSL_set_connect_state(ssl);
    SSL_do_handshake(ssl);
    n = BIO_read(wb, out, (int)cap);
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    return n > 0 ? (size_t)n : 0;
}

/* Re-frame a hello into records of at most frag bytes each. */
static size_t reframe(const unsigned char *in, size_t len, size_t frag, unsigned char *out)
{
    size_t body = ((size_t)in[3] << 8) | in[4], o = 0, i;

    (void)len;
    for (i = 0; i < body; i += frag) {
        size_t n = body - i < frag ? body - i : frag;
        out[o++] = 22; out[o++] = 3; out[o++] = 1;
        out[o++] = (unsigned char)(n >> 8); out[o++] = (unsigned char)n;
        memcpy(out + o, in + 5 + i, n);
        o += n;
    }
    return o;
}

static void test_real(void)
{
    unsigned char h[20000], r[40000];
    pr_clienthello ch;
    size_t n, need, i, m;
    int all_need = 1;

    n = real_hello("a.test", h, sizeof(h), 0);
    ok(n > 100, "OpenSSL wrote a ClientHello (%zu bytes)", n);
    is_int(pr_clienthello_parse(h, n, &ch, &need), PR_CH_OK, "real hello: ok");
    ok(ch.has_sni, "real hello: SNI present");
    is_str(ch.sni, "a.test", "real hello: SNI a.test");
    is_int(ch.consumed, n, "consumed: the whole record");
    for (i = 0; i < n; ++i) {
        if (pr_clienthello_parse(h, i, &ch, &need) != PR_CH_NEED_MORE || need <= i) {
            all_need = 0;
        }
    }
    ok(all_need, "every prefix: need more, and more than offered");

    n = real_hello("B.Test.", h, sizeof(h), 0);
    is_int(pr_clienthello_parse(h, n, &ch, &need), PR_CH_OK, "upper case, trailing dot: ok");
    is_str(ch.sni, "b.test", "SNI lower-cased, dot dropped");

    n = real_hello(NULL, h, sizeof(h), 0);
    is_int(pr_clienthello_parse(h, n, &ch, &need), PR_CH_OK, "no SNI: ok");
    ok(!ch.has_sni, "no SNI: has_sni 0");

    /* Split into 5-byte records: many records, one message. */
    n = real_hello("split.test", h, sizeof(h), 0);
    m = reframe(h, n, 64, r);
    is_int(pr_clienthello_parse(r, m, &ch, &need), PR_CH_OK, "hello over many records: ok");
    is_str(ch.sni, "split.test", "hello over many records: SNI");
    is_int(ch.consumed, m, "hello over many records: consumed all");
    is_int(pr_clienthello_parse(r, m - 1, &ch, &need), PR_CH_NEED_MORE, "last byte missing");
    is_int(need, m, "need: the end of the last record");

    n = real_hello("big.test", h, sizeof(h), 1);
    ok(n > 3000, "a big hello (%zu bytes)", n);
    is_int(pr_clienthello_parse(h, n, &ch, &need), PR_CH_OK, "big hello: ok");
    m = reframe(h, n, 512, r);
    is_int(pr_clienthello_parse(r, m, &ch, &need), PR_CH_OK, "big hello over 512-byte records: ok");
    is_str(ch.sni, "big.test", "big hello: SNI");
}

static void test_bad(void)
{
    static unsigned char h[20000], r[40000];
    pr_clienthello ch;
    size_t n, need, m;
    const unsigned char get[] = "GET / HTTP/1.1\r\n";
    const unsigned char alert[] = { 21, 3, 3, 0, 2, 2, 40 };
    unsigned char big[PR_CH_MAX + 100];

    is_int(pr_clienthello_parse(get, sizeof(get) - 1, &ch, &need), PR_CH_NOT_TLS, "HTTP: not TLS");
    is_int(pr_clienthello_parse(get, 1, &ch, &need), PR_CH_NOT_TLS, "one byte of HTTP: not TLS");
    is_int(pr_clienthello_parse(alert, sizeof(alert), &ch, &need), PR_CH_NOT_TLS, "an alert: not TLS");
    is_int(pr_clienthello_parse(get, 0, &ch, &need), PR_CH_NEED_MORE, "nothing: need more");
    is_int(need, 5, "nothing: need a record header");

    n = real_hello("a.test", h, sizeof(h), 0);
    h[5] = 2;   /* ServerHello */
    is_int(pr_clienthello_parse(h, n, &ch, &need), PR_CH_MALFORMED, "not a ClientHello: malformed");

    n = real_hello("a.test", h, sizeof(h), 0);
    h[8] += 1;  /* handshake length one more than the record */
    is_int(pr_clienthello_parse(h, n, &ch, &need), PR_CH_NEED_MORE, "message longer than record: need more");
    h[8] -= 2;
    is_int(pr_clienthello_parse(h, n, &ch, &need), PR_CH_MALFORMED, "message shorter than record: malformed");

    n = real_hello("a.test", h, sizeof(h), 0);
    h[3] = 0; h[4] = 0;
    is_int(pr_clienthello_parse(h, n, &ch, &need), PR_CH_MALFORMED, "empty record: malformed");

    /* Oversize: a record header announcing a message beyond the limit. */
    memset(big, 'x', sizeof(big));
    big[0] = 22; big[1] = 3; big[2] = 1; big[3] = 0x40; big[4] = 0;
    big[5] = 1; big[6] = 0; big[7] = 0x80; big[8] = 0;     /* 32 KB message */
    is_int(pr_clienthello_parse(big, 9, &ch, &need), PR_CH_TOO_BIG, "a 16 KB record past the limit: too big");
    big[3] = 0x10;
    is_int(pr_clienthello_parse(big, 4096 + 5, &ch, &need), PR_CH_TOO_BIG, "a 32 KB message: too big");

    /* An IP literal as host_name (RFC 6066 forbids it). */
    n = real_hello("aaaaaaaa", h, sizeof(h), 0);
    {
        unsigned char *p = memmem(h, n, "aaaaaaaa", 8);
        ok(p != NULL, "found the name in the hello");
        if (p) memcpy(p, "10.0.0.1", 8);
    }
    is_int(pr_clienthello_parse(h, n, &ch, &need), PR_CH_MALFORMED, "IP literal as SNI: malformed");
    n = real_hello("aaaaaaaa", h, sizeof(h), 0);
    {
        unsigned char *p = memmem(h, n, "aaaaaaaa", 8);
        if (p) p[3] = '\0';
    }
    is_int(pr_clienthello_parse(h, n, &ch, &need), PR_CH_MALFORMED, "NUL in SNI: malformed");

    /* A hello that does not fit in PR_CH_MAX once split in tiny records. */
    n = real_hello("a.test", h, sizeof(h), 1);
    m = reframe(h, n, 1, r);
    is_int(pr_clienthello_parse(r, m, &ch, &need), PR_CH_TOO_BIG, "too many record headers: too big");
}

int main(void)
{
    test_real();
    test_bad();
    return done_testing();
}

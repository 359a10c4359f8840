/*
 * pr_metrics.c: pure formatting helpers of the status pages; see
 * pr_metrics.h. No httpd, no APR, no mutable statics.
 */
#include "pr_metrics.h"

#include "pr_core.h"

/* Length of the valid UTF-8 sequence at s[0..len), or 0 if the bytes
 * there are not one (overlong forms, surrogates and code points above
 * U+10FFFF are invalid, as RFC 3629 says). */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
    unsigned c = s[0];
    size_t n, i;
    unsigned long cp;

    if (c < 0x80) {
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1F;
    }
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0F;
    }
    else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07;
    }
    else {
        return 0;
    }
    if (len < n) {
        return 0;
    }
    for (i = 1; i < n; ++i) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)
        || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
        return 0;
    }
    return n;
}

/* Output cursor: counts everything, writes what fits. */
typedef struct {
    char *out;
    size_t cap;
    size_t n;
} sink;

static void put(sink *k, const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; ++i, ++k->n) {
        if (k->cap && k->n < k->cap - 1) {
            k->out[k->n] = s[i];
        }
    }
}

static size_t finish(sink *k)
{
    if (k->cap) {
        k->out[k->n < k->cap - 1 ? k->n : k->cap - 1] = '\0';
    }
    return k->n;
}

size_t pr_json_escape(const char *s, size_t len, char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    sink k = { out, cap, 0 };
    size_t i = 0, n;

    while (i < len) {
        unsigned c = u[i];

        if (c == '"' || c == '\\') {
            char e[2] = { '\\', (char)c };
            put(&k, e, 2);
            ++i;
        }
        else if (c == '\n') {
            put(&k, "\\n", 2);
            ++i;
        }
        else if (c == '\r') {
            put(&k, "\\r", 2);
            ++i;
        }
        else if (c == '\t') {
            put(&k, "\\t", 2);
            ++i;
        }
        else if (c < 0x20 || c == 0x7F) {
            char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF] };
            put(&k, e, 6);
            ++i;
        }
        else if ((n = utf8_seq(u + i, len - i)) == 0) {
            put(&k, "\\ufffd", 6);
            ++i;
        }
        else {
            put(&k, s + i, n);
            i += n;
        }
    }
    return finish(&k);
}

size_t pr_prom_escape(const char *s, size_t len, char *out, size_t cap)
{
    const unsigned char *u = (const unsigned char *)s;
    sink k = { out, cap, 0 };
    size_t i = 0, n;

    while (i < len) {
        unsigned c = u[i];

        if (c == '"' || c == '\\') {
            char e[2] = { '\\', (char)c };
            put(&k, e, 2);
            ++i;
        }
        else if (c == '\n') {
            put(&k, "\\n", 2);
            ++i;
        }
        else if (c == '\0' || (n = utf8_seq(u + i, len - i)) == 0) {
            /* a NUL would end the value wherever C strings carry it */
            put(&k, "\xEF\xBF\xBD", 3);
            ++i;
        }
        else {
            put(&k, s + i, n);
            i += n;
        }
    }
    return finish(&k);
}

size_t pr_auto_escape(const char *s, size_t len, char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    sink k = { out, cap, 0 };
    size_t i;

    for (i = 0; i < len; ++i) {
        unsigned c = u[i];

        if (c <= 0x20 || c >= 0x7F || c == '\\') {
            char e[4] = { '\\', 'x', hex[c >> 4], hex[c & 0xF] };
            put(&k, e, 4);
        }
        else {
            char e = (char)c;
            put(&k, &e, 1);
        }
    }
    return finish(&k);
}

size_t pr_html_escape(const char *s, size_t len, char *out, size_t cap)
{
    const unsigned char *u = (const unsigned char *)s;
    sink k = { out, cap, 0 };
    size_t i = 0, n;

    while (i < len) {
        unsigned c = u[i];

        if (c == '&') {
            put(&k, "&amp;", 5);
            ++i;
        }
        else if (c == '<') {
            put(&k, "&lt;", 4);
            ++i;
        }
        else if (c == '>') {
            put(&k, "&gt;", 4);
            ++i;
        }
        else if (c == '"') {
            put(&k, "&quot;", 6);
            ++i;
        }
        else if (c == '\'') {
            put(&k, "&#39;", 5);
            ++i;
        }
        else if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) {
            put(&k, "\xEF\xBF\xBD", 3);    /* not allowed in HTML text */
            ++i;
        }
        else if ((n = utf8_seq(u + i, len - i)) == 0) {
            put(&k, "\xEF\xBF\xBD", 3);
            ++i;
        }
        else {
            put(&k, s + i, n);
            i += n;
        }
    }
    return finish(&k);
}

size_t pr_copy_utf8(char *dst, size_t cap, const char *src, size_t len)
{
    size_t n;

    if (cap == 0) {
        return 0;
    }
    n = len < cap - 1 ? len : cap - 1;
    if (n < len) {
        /* Back up over continuation bytes to the start of the sequence
         * that does not fit, then drop it. */
        size_t j = n;
        while (j > 0 && ((unsigned char)src[j] & 0xC0) == 0x80) {
            --j;
        }
        n = j;
    }
    for (size_t i = 0; i < n; ++i) {
        dst[i] = src[i];
    }
    dst[n] = '\0';
    return n;
}

long pr_days_until(long long not_after_sec, long long now_sec)
{
    long long diff = not_after_sec - now_sec;
    long long days = diff / 86400;      /* C division truncates to zero */

    if (days == 0 && diff < 0) {
        return -1;
    }
    return (long)days;
}

unsigned pr_status_key_hash(const char *backend, size_t blen,
                            const char *vhost, size_t vlen)
{
    unsigned h = 2166136261u;
    size_t i;

    for (i = 0; i < blen; ++i) {
        h = (h ^ (unsigned char)backend[i]) * 16777619u;
    }
    h = (h ^ (unsigned char)'\n') * 16777619u;
    for (i = 0; i < vlen; ++i) {
        h = (h ^ (unsigned char)vhost[i]) * 16777619u;
    }
    return h;
}

const char *pr_policy_label(int policy)
{
    switch (policy) {
    case PR_POLICY_OFF:     return "off";
    case PR_POLICY_AUDIT:   return "audit";
    case PR_POLICY_ENFORCE: return "enforce";
    default:                return "unknown";
    }
}

/*
 * libFuzzer target for the escapers of pr_metrics.c: certificate text
 * (subjects, SANs, backend names) written into the status page's JSON,
 * Prometheus, HTML and mod_status ?auto outputs, and the UTF-8-safe copy
 * into the shared-memory slots.
 *
 * Fuzz:   clang -g -O1 -fsanitize=fuzzer,address,undefined \
 *             -Imod_proxy_reencrypt t/fuzz/fuzz_escape.c \
 *             mod_proxy_reencrypt/pr_metrics.c -o /tmp/fuzz_escape
 *         /tmp/fuzz_escape -dict=t/fuzz/escape.dict /tmp/corpus t/fuzz/corpus/escape
 * Replay: build/run-tests.sh links it with t/fuzz/replay.c (no libFuzzer).
 *
 * For every input the output is valid for its format:
 *  - JSON: '"' + output + '"' is one JSON string (RFC 8259) of valid UTF-8;
 *    unescaped it gives back the input, invalid UTF-8 bytes as U+FFFD;
 *  - Prometheus label value: valid UTF-8, no raw '"' or LF, a backslash
 *    only in \\, \" or \n; unescaped it gives back the input (U+FFFD for
 *    invalid bytes);
 *  - HTML: valid UTF-8, none of < > " ' raw, '&' only as one of the five
 *    entities, no control character but TAB, LF, CR; unescaped it gives
 *    back the input (U+FFFD for invalid bytes and controls);
 *  - ?auto: bytes 0x21..0x7E only, a backslash only as \xHH; unescaped
 *    it gives back the input exactly;
 * and the snprintf contract holds: the return value is the full length
 * (at most the *_ESCAPED_MAX bound), a smaller cap gets a terminated
 * prefix, nothing is written past cap (exactly sized heap buffers).
 * pr_copy_utf8 copies a prefix, cut only at a character boundary.
 */
#define _POSIX_C_SOURCE 200809L
#include "pr_metrics.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

typedef size_t (*escaper)(const char *, size_t, char *, size_t);

/* Length of the valid UTF-8 sequence at s (RFC 3629), 0 if none:
 * written apart from the module's, as the oracle. */
static size_t u8len(const unsigned char *s, size_t len)
{
    unsigned long cp;
    size_t n, i;

    if (s[0] < 0x80) return 1;
    if ((s[0] & 0xE0) == 0xC0) { n = 2; cp = s[0] & 0x1Fu; }
    else if ((s[0] & 0xF0) == 0xE0) { n = 3; cp = s[0] & 0x0Fu; }
    else if ((s[0] & 0xF8) == 0xF0) { n = 4; cp = s[0] & 0x07u; }
    else return 0;
    if (len < n) return 0;
    for (i = 1; i < n; ++i) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)
        || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
        return 0;
    return n;
}

static int valid_utf8(const char *s, size_t len)
{
    size_t i = 0, n;
    while (i < len) {
        if ((n = u8len((const unsigned char *)s + i, len - i)) == 0) return 0;
        i += n;
    }
    return 1;
}

/* The input with every invalid byte replaced by U+FFFD (controls 1: C0
 * controls but TAB/LF/CR and DEL too, as HTML; 2: NUL too, as
 * Prometheus). */
static size_t sanitized(const char *s, size_t len, int controls, char *out)
{
    size_t i = 0, o = 0, n;
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        n = u8len((const unsigned char *)s + i, len - i);
        if (n == 0 || (controls == 2 && c == 0)
            || (controls == 1 && ((c < 0x20 && c != '\t' && c != '\n' && c != '\r')
                                    || c == 0x7F))) {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            ++i;
        }
        else {
            memcpy(out + o, s + i, n);
            o += n;
            i += n;
        }
    }
    return o;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Append code point cp as UTF-8. */
static size_t put_cp(char *o, unsigned long cp)
{
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) { o[0] = (char)(0xC0 | (cp >> 6)); o[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    o[0] = (char)(0xE0 | (cp >> 12));
    o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
}

/* RFC 8259 string body: returns the decoded length, or -1 if invalid. */
static long json_unescape(const char *s, size_t len, char *out)
{
    size_t i = 0, o = 0, n;

    if (!valid_utf8(s, len)) return -1;
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c < 0x20) return -1;
        if (c != '\\') {
            n = u8len((const unsigned char *)s + i, len - i);
            memcpy(out + o, s + i, n);
            o += n;
            i += n;
            continue;
        }
        if (++i >= len) return -1;
        switch (s[i]) {
        case '"': case '\\': case '/': out[o++] = s[i]; ++i; break;
        case 'b': out[o++] = '\b'; ++i; break;
        case 'f': out[o++] = '\f'; ++i; break;
        case 'n': out[o++] = '\n'; ++i; break;
        case 'r': out[o++] = '\r'; ++i; break;
        case 't': out[o++] = '\t'; ++i; break;
        case 'u': {
            unsigned long cp = 0;
            int k;
            if (len - i < 5) return -1;
            for (k = 1; k <= 4; ++k) {
                int h = hexval(s[i + k]);
                if (h < 0) return -1;
                cp = cp * 16 + (unsigned long)h;
            }
            if (cp >= 0xD800 && cp <= 0xDFFF) return -1;  /* we never write pairs */
            o += put_cp(out + o, cp);
            i += 5;
            break;
        }
        default: return -1;
        }
    }
    return (long)o;
}

static long prom_unescape(const char *s, size_t len, char *out)
{
    size_t i, o = 0;

    if (!valid_utf8(s, len)) return -1;
    for (i = 0; i < len; ++i) {
        if (s[i] == '"' || s[i] == '\n') return -1;
        if (s[i] != '\\') { out[o++] = s[i]; continue; }
        if (++i >= len) return -1;
        if (s[i] == '\\' || s[i] == '"') out[o++] = s[i];
        else if (s[i] == 'n') out[o++] = '\n';
        else return -1;
    }
    return (long)o;
}

static long html_unescape(const char *s, size_t len, char *out)
{
    static const struct { const char *ent; char c; } ents[] = {
        { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' }, { "&#39;", '\'' },
    };
    size_t i = 0, o = 0, k;

    if (!valid_utf8(s, len)) return -1;
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        if (c == '<' || c == '>' || c == '"' || c == '\'' || c == 0x7F
            || (c < 0x20 && c != '\t' && c != '\n' && c != '\r'))
            return -1;
        if (c != '&') { out[o++] = (char)c; ++i; continue; }
        for (k = 0; k < sizeof ents / sizeof ents[0]; ++k) {
            size_t el = strlen(ents[k].ent);
            if (len - i >= el && memcmp(s + i, ents[k].ent, el) == 0) {
                out[o++] = ents[k].c;
                i += el;
                break;
            }
        }
        if (k == sizeof ents / sizeof ents[0]) return -1;
    }
    return (long)o;
}

static long auto_unescape(const char *s, size_t len, char *out)
{
    size_t i, o = 0;

    for (i = 0; i < len; ++i) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7F) return -1;
        if (c != '\\') { out[o++] = (char)c; continue; }
        if (len - i < 4 || s[i + 1] != 'x' || hexval(s[i + 2]) < 0 || hexval(s[i + 3]) < 0
            || (s[i + 2] >= 'A' && s[i + 2] <= 'F') || (s[i + 3] >= 'A' && s[i + 3] <= 'F'))
            return -1;
        out[o++] = (char)(hexval(s[i + 2]) * 16 + hexval(s[i + 3]));
        i += 3;
    }
    return (long)o;
}

/* The snprintf contract, with exactly sized buffers. */
static char *escape_all(escaper f, const char *s, size_t len, size_t bound, size_t *n,
                        size_t pick)
{
    char *full, *cut;
    size_t caps[1], k;

    *n = f(s, len, NULL, 0);
    CHECK(*n < bound);
    full = malloc(*n + 1);
    CHECK(full != NULL);
    CHECK(f(s, len, full, *n + 1) == *n);
    CHECK(full[*n] == '\0');
    CHECK(memchr(full, '\0', *n) == NULL);
    /* one cut per call, its size picked by the input (1 .. n + 1) */
    caps[0] = pick % (*n + 1) + 1;
    for (k = 0; k < 1; ++k) {
        size_t cap = caps[k], w;
        cut = malloc(cap);
        CHECK(cut != NULL);
        CHECK(f(s, len, cut, cap) == *n);
        w = cap - 1 < *n ? cap - 1 : *n;
        CHECK(cut[w] == '\0' && memcmp(cut, full, w) == 0);
        free(cut);
    }
    return full;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    char *out, *dec, *want;
    size_t n, wn, pick = size ? (size_t)data[size - 1] * 31u + size : 0;
    long d;

    dec = malloc(6 * size + 16);
    want = malloc(3 * size + 16);
    CHECK(dec && want);

    out = escape_all(pr_json_escape, s, size, PR_JSON_ESCAPED_MAX(size) + 1, &n, pick++);
    CHECK(n + 1 <= PR_JSON_ESCAPED_MAX(size));
    d = json_unescape(out, n, dec);
    CHECK(d >= 0);
    wn = sanitized(s, size, 0, want);
    CHECK((size_t)d == wn && memcmp(dec, want, wn) == 0);
    free(out);

    out = escape_all(pr_prom_escape, s, size, PR_PROM_ESCAPED_MAX(size) + 1, &n, pick++);
    CHECK(n + 1 <= PR_PROM_ESCAPED_MAX(size));
    wn = sanitized(s, size, 2, want);
    d = prom_unescape(out, n, dec);
    CHECK(d >= 0 && (size_t)d == wn && memcmp(dec, want, wn) == 0);
    free(out);

    out = escape_all(pr_html_escape, s, size, PR_HTML_ESCAPED_MAX(size) + 1, &n, pick++);
    CHECK(n + 1 <= PR_HTML_ESCAPED_MAX(size));
    d = html_unescape(out, n, dec);
    wn = sanitized(s, size, 1, want);
    CHECK(d >= 0 && (size_t)d == wn && memcmp(dec, want, wn) == 0);
    free(out);

    out = escape_all(pr_auto_escape, s, size, PR_AUTO_ESCAPED_MAX(size) + 1, &n, pick++);
    CHECK(n + 1 <= PR_AUTO_ESCAPED_MAX(size));
    d = auto_unescape(out, n, dec);
    CHECK(d >= 0 && (size_t)d == size && memcmp(dec, s, size) == 0);
    free(out);

    /* UTF-8-safe copy into a slot of a size picked by the input */
    {
        size_t cap = size ? (size_t)data[0] % (size + 2) : 1, c;
        char *slot = malloc(cap ? cap : 1);
        CHECK(slot != NULL);
        c = pr_copy_utf8(cap ? slot : NULL, cap, s, size);
        if (cap == 0) {
            CHECK(c == 0);
        }
        else {
            CHECK(c <= cap - 1 && c <= size && slot[c] == '\0');
            CHECK(memcmp(slot, s, c) == 0);
            if (size < cap) CHECK(c == size);
            if (valid_utf8(s, size)) {
                CHECK(valid_utf8(slot, c));
                if (size >= cap) CHECK(c + 3 >= cap - 1);
            }
        }
        free(slot);
    }
    free(dec);
    free(want);
    return 0;
}

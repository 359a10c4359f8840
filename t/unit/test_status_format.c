/*
 * Unit tests of pr_metrics.c: the pure formatting helpers of the status
 * pages (JSON and Prometheus escaping, UTF-8-safe truncation, days left,
 * the slot key hash).
 */
#include "tap.h"

#include "pr_core.h"
#include "pr_metrics.h"

#define S(lit) lit, sizeof(lit) - 1

static void test_json(void)
{
    char out[128];
    size_t n;

    n = pr_json_escape(S("CN=plain, O=Example"), out, sizeof(out));
    is_str(out, "CN=plain, O=Example", "json: plain text unchanged");
    is_int(n, 19, "json: length returned");
    pr_json_escape(S("a\"b\\c"), out, sizeof(out));
    is_str(out, "a\\\"b\\\\c", "json: quote and backslash escaped");
    pr_json_escape(S("l1\nl2\r\t"), out, sizeof(out));
    is_str(out, "l1\\nl2\\r\\t", "json: newline, CR, tab");
    pr_json_escape(S("\x01\x1f\x7f"), out, sizeof(out));
    is_str(out, "\\u0001\\u001f\\u007f", "json: control characters and DEL as \\u00XX");
    pr_json_escape("a\0b", 3, out, sizeof(out));
    is_str(out, "a\\u0000b", "json: NUL inside the counted string escaped");
    pr_json_escape(S("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92"), out, sizeof(out));
    is_str(out, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92", "json: valid UTF-8 kept");
    pr_json_escape(S("x\xff" "y\xc3"), out, sizeof(out));
    is_str(out, "x\\ufffdy\\ufffd", "json: invalid and truncated UTF-8 replaced");
    pr_json_escape(S("\xc0\xaf\xed\xa0\x80"), out, sizeof(out));
    is_str(out, "\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd", "json: overlong form and surrogate refused");
    n = pr_json_escape(S("\"\"\"\""), out, 5);
    is_int(n, 8, "json: needed length reported when the buffer is short");
    is_str(out, "\\\"\\\"", "json: short buffer truncated and terminated");
    n = pr_json_escape(S("abc"), NULL, 0);
    is_int(n, 3, "json: size query with cap 0");
}

static void test_prom(void)
{
    char out[128];

    pr_prom_escape(S("https://h:443/"), out, sizeof(out));
    is_str(out, "https://h:443/", "prom: plain value unchanged");
    pr_prom_escape(S("a\\b\"c\nd"), out, sizeof(out));
    is_str(out, "a\\\\b\\\"c\\nd", "prom: backslash, quote, newline escaped");
    pr_prom_escape(S("tab\there"), out, sizeof(out));
    is_str(out, "tab\there", "prom: other characters as they are");
    pr_prom_escape(S("\xff"), out, sizeof(out));
    is_str(out, "\xef\xbf\xbd", "prom: invalid UTF-8 becomes U+FFFD");
}

static void test_auto(void)
{
    char out[128];
    size_t n;

    n = pr_auto_escape(S("https://h:443"), out, sizeof(out));
    is_str(out, "https://h:443", "auto: plain value unchanged");
    is_int(n, 13, "auto: length returned");
    pr_auto_escape(S("x\nbusyworkers 0"), out, sizeof(out));
    is_str(out, "x\\x0abusyworkers\\x200", "auto: line feed and space as \\xHH");
    pr_auto_escape(S("a\rb\tc\x7f\\"), out, sizeof(out));
    is_str(out, "a\\x0db\\x09c\\x7f\\x5c", "auto: CR, tab, DEL, backslash");
    pr_auto_escape(S("caf\xc3\xa9"), out, sizeof(out));
    is_str(out, "caf\\xc3\\xa9", "auto: non-ASCII bytes escaped (ASCII output)");
    pr_auto_escape("a\0b", 3, out, sizeof(out));
    is_str(out, "a\\x00b", "auto: NUL inside the counted string");
    n = pr_auto_escape(S("\n\n"), out, 6);
    is_int(n, 8, "auto: needed length reported when the buffer is short");
    is_str(out, "\\x0a\\", "auto: short buffer truncated and terminated");
}

static void test_html(void)
{
    char out[128];

    pr_html_escape(S("CN=a, O=b"), out, sizeof(out));
    is_str(out, "CN=a, O=b", "html: plain text unchanged");
    pr_html_escape(S("<b a=\"x\">&'"), out, sizeof(out));
    is_str(out, "&lt;b a=&quot;x&quot;&gt;&amp;&#39;", "html: markup characters as entities");
    pr_html_escape(S("l1\nl2\x01\x7f"), out, sizeof(out));
    is_str(out, "l1\nl2\xef\xbf\xbd\xef\xbf\xbd", "html: line feed kept, controls replaced");
    pr_html_escape(S("caf\xc3\xa9\xff"), out, sizeof(out));
    is_str(out, "caf\xc3\xa9\xef\xbf\xbd", "html: valid UTF-8 kept, invalid replaced");
    is_int(pr_html_escape(S("\"\""), NULL, 0), 12, "html: size query with cap 0");
}

static void test_copy(void)
{
    char buf[6];
    size_t n;

    n = pr_copy_utf8(buf, sizeof(buf), S("abc"));
    ok(n == 3 && !strcmp(buf, "abc"), "copy: fits");
    n = pr_copy_utf8(buf, sizeof(buf), S("abcdefgh"));
    ok(n == 5 && !strcmp(buf, "abcde"), "copy: ASCII truncated to cap - 1");
    n = pr_copy_utf8(buf, sizeof(buf), S("abcd\xc3\xa9"));
    ok(n == 4 && !strcmp(buf, "abcd"), "copy: a 2-byte character that does not fit is dropped whole");
    n = pr_copy_utf8(buf, sizeof(buf), S("a\xe2\x82\xac" "b" "c"));
    ok(n == 5 && !strcmp(buf, "a\xe2\x82\xac" "b"), "copy: cut after a whole 3-byte character");
    n = pr_copy_utf8(buf, 1, S("abc"));
    ok(n == 0 && buf[0] == '\0', "copy: cap 1 gives an empty string");
}

static void test_days(void)
{
    is_int(pr_days_until(86400 * 10, 0), 10, "days: exactly 10");
    is_int(pr_days_until(86400 * 10 - 1, 0), 9, "days: truncated");
    is_int(pr_days_until(100, 0), 0, "days: less than a day left is 0");
    is_int(pr_days_until(0, 0), 0, "days: at notAfter is 0");
    is_int(pr_days_until(0, 1), -1, "days: just expired is -1");
    is_int(pr_days_until(0, 86400 * 3 + 5), -3, "days: expired 3 days ago");
}

static void test_misc(void)
{
    ok(pr_status_key_hash(S("https://a:443"), S("v:80"))
       != pr_status_key_hash(S("https://a:44"), S("3v:80")),
       "hash: the separator keeps backend and vhost apart");
    ok(pr_status_key_hash(S("x"), S("y")) == pr_status_key_hash(S("x"), S("y")),
       "hash: deterministic");
    is_str(pr_policy_label(PR_POLICY_ENFORCE), "enforce", "policy label enforce");
    is_str(pr_policy_label(PR_POLICY_AUDIT), "audit", "policy label audit");
    is_str(pr_policy_label(PR_POLICY_OFF), "off", "policy label off");
    is_str(pr_policy_label(42), "unknown", "policy label out of range");
}

int main(void)
{
    test_json();
    test_prom();
    test_auto();
    test_html();
    test_copy();
    test_days();
    test_misc();
    return done_testing();
}

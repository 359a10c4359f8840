/*
 * pr_forwarded.h: the pure core of the forwarded-headers handling of
 * mod_proxy_reencrypt: parsing X-Forwarded-For and Forwarded (RFC 7239),
 * walking a chain from the right past trusted proxies to the original
 * client, building one Forwarded element, and recognising the header
 * names we control or remove. pr_forwarded.c holds IP literals,
 * X-Forwarded-For and names; pr_fwd7239.c holds Forwarded.
 *
 * Nothing here includes httpd or APR. Conventions, as in pr_core.h:
 *  - inputs are (const char *s, size_t len) and are never assumed to be
 *    NUL-terminated (a NUL byte inside is just an invalid character);
 *  - nothing allocates and nothing keeps state between calls: results go
 *    into caller-provided arrays and buffers with explicit capacities;
 *  - every function returns a status: a count/length/index >= 0 on
 *    success, PR_FWD_MALFORMED or PR_FWD_TOOBIG otherwise.
 *
 * Error precedence: the parsers always scan the whole input, so
 * PR_FWD_MALFORMED is reported whenever the input is malformed, whatever
 * the capacities given; PR_FWD_TOOBIG means "well-formed, but it did not
 * fit" (or the input exceeds PR_FWD_MAX_INPUT, which is not scanned).
 * On any error the contents of the output arrays/buffers are unspecified.
 *
 * Policy decisions (see also the individual functions):
 *  - IPv4 literals are strict dotted quads: exactly four decimal octets,
 *    each 0..255, no leading zeros ("01.2.3.4" is rejected: inet_aton()
 *    would read it as octal, so it is ambiguous), no other whitespace.
 *  - IPv6 literals are RFC 4291 text forms (hex groups of 1..4 digits, one
 *    "::", optional trailing dotted quad), without zone id ("%eth0") and
 *    without brackets. This accepts exactly what glibc inet_pton accepts.
 *  - X-Forwarded-For entries must be IP literals; "[v6]", "v4:port" and
 *    "[v6]:port" are tolerated (the brackets/port are stripped from the
 *    reported span and the port is reported separately); "unknown",
 *    host names, obfuscated names and empty elements are malformed.
 *  - Forwarded empty list elements ("a, , b", leading/trailing comma, an
 *    element with no pair such as ";") are malformed; empty pairs inside
 *    an element ("for=a;;proto=http", trailing ";") are accepted, as the
 *    RFC 7239 grammar allows them. OWS is accepted around ',' and ';' but
 *    not around '='.
 */
#ifndef PR_FORWARDED_H
#define PR_FORWARDED_H

#include <stddef.h>
#include <string.h>

/* Status codes. Successful calls return a value >= 0 (PR_FWD_OK, a
 * count, a length or an index, as documented per function). */
#define PR_FWD_OK          0
#define PR_FWD_MALFORMED (-1)
#define PR_FWD_TOOBIG    (-2)

/* Limits. */
#define PR_FWD_MAX_INPUT   8192  /* longest header value parsed (bytes) */
#define PR_FWD_MAX_ENTRIES 64    /* most XFF entries / Forwarded elements */
#define PR_FWD_MAX_VALUE   512   /* longest unescaped for/by/proto/host value */
#define PR_FWD_MAX_ELEMENT 2048  /* longest Forwarded element the walk accepts */
#define PR_IP_MAXLEN       45    /* longest IP literal (v6 with dotted quad) */
#define PR_IP_BUFSIZE      64    /* buffer the trust callback gets (see below) */

/* A string that is not necessarily NUL-terminated; val == NULL means
 * "absent" (distinct from present-but-empty, val != NULL && len == 0). */
typedef struct {
    const char *val;
    size_t len;
} pr_str;

/* pr_str for a C string (NULL gives an absent pr_str). */
static inline pr_str pr_str_c(const char *s)
{
    pr_str r;
    r.val = s;
    r.len = s ? strlen(s) : 0;
    return r;
}

/* pr_str for s[0..len). */
static inline pr_str pr_str_n(const char *s, size_t len)
{
    pr_str r;
    r.val = s;
    r.len = len;
    return r;
}

/* The absent value. */
static inline pr_str pr_str_none(void)
{
    pr_str r;
    r.val = NULL;
    r.len = 0;
    return r;
}

/* ------------------------------------------------------------------ */
/* IP literals                                                         */

/* Is s[0..len) an IPv4 or IPv6 literal (no brackets, no port, no zone)?
 * Returns 4, 6, or 0 for anything else (including len == 0 and
 * len > PR_IP_MAXLEN). See the policy notes above. */
int pr_ip_literal(const char *s, size_t len);

/* ------------------------------------------------------------------ */
/* X-Forwarded-For                                                     */

/* One X-Forwarded-For entry: the address is s[off .. off+len) of the
 * parsed input, without brackets or port. */
typedef struct {
    size_t off;
    size_t len;
    int family;   /* 4 or 6 */
    int port;     /* -1 when no port was given, else 0..65535 */
} pr_span;

/* Parse an X-Forwarded-For value: 1#( element ) separated by ',' with
 * optional SP/HTAB around each element, where an element is
 *     IPv4 | IPv6 | "[" IPv6 "]" | IPv4 ":" port | "[" IPv6 "]" ":" port
 * with port = 1*5DIGIT <= 65535.
 * Fills out[0..n) in left-to-right order (out may be NULL when cap == 0)
 * and returns n >= 1.
 * PR_FWD_MALFORMED: empty value, empty element, anything not above.
 * PR_FWD_TOOBIG: len > PR_FWD_MAX_INPUT, or (well-formed but) more than
 * min(cap, PR_FWD_MAX_ENTRIES) entries. */
int pr_xff_parse(const char *s, size_t len, pr_span *out, size_t cap);

/* ------------------------------------------------------------------ */
/* Trusted chain                                                       */

/* Trust decision supplied by the glue (apr_ipsubnet_test against the
 * configured CIDR list). ip is a NUL-terminated copy of the address text,
 * ip[len] == '\0', valid only during the call. Return non-zero when the
 * address is a trusted proxy. */
typedef int (*pr_trust_fn)(const char *ip, size_t len, void *baton);

/* ------------------------------------------------------------------ */
/* Forwarded (RFC 7239)                                                */

/* Kinds of node (RFC 7239 section 6). The IP kinds equal the family. */
#define PR_NODE_UNKNOWN     1   /* "unknown" (any case) */
#define PR_NODE_OBFUSCATED  2   /* "_" 1*( ALPHA / DIGIT / "." / "_" / "-" ) */
#define PR_NODE_IPV4        4
#define PR_NODE_IPV6        6   /* written "[" IPv6 "]" */

#define PR_PORT_NONE       (-1)
#define PR_PORT_OBFUSCATED (-2)

/* A parsed node. Offsets are relative to the parsed string. */
typedef struct {
    int kind;          /* PR_NODE_* */
    size_t addr_off;   /* the name: the address without brackets for IPs */
    size_t addr_len;
    int port;          /* PR_PORT_NONE, PR_PORT_OBFUSCATED or 0..65535 */
    size_t port_off;   /* the port text after ':' (0/0 when none) */
    size_t port_len;
} pr_node;

/* Parse an (unquoted, unescaped) RFC 7239 node:
 *     node     = nodename [ ":" node-port ]
 *     nodename = IPv4address / "[" IPv6address "]" / "unknown" / obfnode
 *     node-port = port / obfport     port = 1*5DIGIT (<= 65535 here)
 * Returns PR_FWD_OK and fills *out (may be NULL), or PR_FWD_MALFORMED. */
int pr_node_parse(const char *s, size_t len, pr_node *out);

/* Is s[0..len) a valid Host value for Forwarded host= (RFC 7239 5.3,
 * RFC 7230 Host = uri-host [ ":" port ])? uri-host is "[" IPv6 "]" (no
 * IPvFuture) or a non-empty reg-name (unreserved / pct-encoded /
 * sub-delims; covers IPv4 and DNS names); the port, when the ':' is
 * present, is 1*5DIGIT <= 65535. Returns 1 or 0. */
int pr_host_valid(const char *s, size_t len);

/* Is s[0..len) a URI scheme (ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ))
 * as proto= requires (RFC 7239 5.4)? Returns 1 or 0. */
int pr_proto_valid(const char *s, size_t len);

/* One element of a Forwarded header. Each value is unquoted and
 * unescaped, stored NUL-terminated (val[len] == '\0', no NUL inside) in
 * the caller's scratch buffer; val == NULL when the parameter is absent.
 * for_node/by_node are valid when for_/by are present (offsets relative
 * to for_.val / by.val). */
typedef struct {
    pr_str for_;
    pr_str by;
    pr_str proto;
    pr_str host;
    pr_node for_node;
    pr_node by_node;
    unsigned n_pairs;   /* pairs in the element, extensions included */
} pr_fwd_elem;

/* Parse a Forwarded header value:
 *     Forwarded = 1#forwarded-element   (OWS around ',' and ';')
 *     forwarded-element = [ pair ] *( ";" [ pair ] )   (>= 1 pair)
 *     pair  = token "=" value       value = token / quoted-string
 * token per RFC 7230 tchar; quoted-string with qdtext (HTAB, SP, VCHAR
 * but '"' and '\', obs-text) and quoted-pair ("\" HTAB/SP/VCHAR/obs-text).
 * Parameter names are case-insensitive. for/by must be valid nodes
 * (pr_node_parse), proto a URI scheme (pr_proto_valid), host a Host
 * (pr_host_valid), each at most PR_FWD_MAX_VALUE bytes once unescaped;
 * any other parameter (extension) is checked against the grammar only
 * and otherwise ignored. A parameter repeated in one element is malformed
 * (RFC 7239 section 4).
 * Fills out[0..n) (out may be NULL when cap == 0) using scratch[0..
 * scratchlen) for the values (each takes len + 1 bytes) and returns n >= 1.
 * PR_FWD_MALFORMED: see above and the policy notes at the top.
 * PR_FWD_TOOBIG: len > PR_FWD_MAX_INPUT, more than min(cap,
 * PR_FWD_MAX_ENTRIES) elements, or scratch too small. */
int pr_fwd_parse(const char *s, size_t len, pr_fwd_elem *out, size_t cap,
                 char *scratch, size_t scratchlen);

/* Build one Forwarded element "for=...;by=...;proto=...;host=..." into
 * out[0..cap), NUL-terminated, and return its length (excluding NUL).
 *  for_:  absent (val NULL) gives for=unknown; a bare IP literal (an IPv6
 *         one is written quoted and bracketed: for="[2001:db8::1]"), or
 *         any valid node (pr_node_parse: "[v6]:port", "_hidden", ...);
 *  by:    as for_, but omitted when absent;
 *  proto: omitted when absent, else must pass pr_proto_valid;
 *  host:  omitted when absent, else must pass pr_host_valid
 *         ("example.com:8443" is written host="example.com:8443").
 * Values are written as a token when every byte is a tchar, else as a
 * quoted-string. Whatever this builds, pr_fwd_parse parses back to the
 * same values.
 * PR_FWD_MALFORMED: a present value that is empty, invalid as above or
 * longer than PR_FWD_MAX_VALUE (a host with CTLs, spaces, quotes, ...).
 * PR_FWD_TOOBIG: cap too small. On error out[0] = '\0' when cap > 0. */
int pr_fwd_build(char *out, size_t cap, pr_str for_, pr_str by,
                 pr_str proto, pr_str host);

/* ------------------------------------------------------------------ */
/* The trust walk (what the module uses)                               */

/* One hop of a walked chain. */
typedef struct {
    size_t off, len;            /* the element as written in the input,
                                   OWS trimmed */
    int family;                 /* 4 or 6 (of addr) */
    int port;                   /* XFF: -1 or the port written; Forwarded:
                                   the for= node's port (PR_PORT_*) */
    size_t addr_len;
    char addr[PR_IP_BUFSIZE];   /* the address, NUL-terminated, without
                                   brackets or port; an IPv4-mapped IPv6
                                   address is folded to its dotted quad */
} pr_hop;

/* Why a walk stopped. */
#define PR_WALK_START     0   /* the left end: every element was trusted */
#define PR_WALK_CLIENT    1   /* at the first untrusted element */
#define PR_WALK_MALFORMED 2   /* at an element that is malformed, or (Forwarded)
                                 has no for= address: unknown, obfuscated */
#define PR_WALK_CAPPED    3   /* after min(cap, PR_FWD_MAX_ENTRIES) elements */

/* Walk an X-Forwarded-For value s[0..len) from the right, as mod_remoteip
 * does, for a connection whose peer is a trusted proxy: each element is
 * parsed on its own (pr_xff_parse's element grammar); a trusted one is
 * passed, the first untrusted one is the client. The walk stops at the
 * first malformed element (the last good address is then the client),
 * and examines at most min(cap, PR_FWD_MAX_ENTRIES) elements (the
 * leftmost examined is then the client): the scan is capped, not the
 * result, and nothing left of where the walk stopped is ever read, so
 * whatever a client writes there cannot change the answer. There is no
 * length limit: only the examined elements are read.
 * Fills out[0..n), out[0] the rightmost element (the nearest hop),
 * out[n-1] the client, and returns n; n == 0 means no usable element
 * (empty value, or the rightmost is malformed): the client is the peer.
 * *stop (may be NULL) gets a PR_WALK_* value.
 * PR_FWD_MALFORMED: is_trusted NULL, s NULL with len > 0, out NULL with
 * cap > 0. */
int pr_xff_walk(const char *s, size_t len, pr_trust_fn is_trusted,
                void *baton, pr_hop *out, size_t cap, int *stop);

/* The same walk over a Forwarded value. Each element is the text between
 * two ','s, parsed alone (pr_fwd_parse's grammar, at most
 * PR_FWD_MAX_ELEMENT bytes); a ',' inside a quoted value is not followed
 * (such an element counts as malformed), so no text left of a ',' can
 * complete or change an element right of it, whatever quotes it holds.
 * The address is the for= node's; an element with no for=, or
 * for=unknown / an obfuscated node, stops the walk like a malformed one
 * (PR_WALK_MALFORMED). off/len give each element as written, to be
 * forwarded verbatim. */
int pr_fwd_walk(const char *s, size_t len, pr_trust_fn is_trusted,
                void *baton, pr_hop *out, size_t cap, int *stop);

/* ------------------------------------------------------------------ */
/* Header names                                                        */

typedef enum {
    PR_HDR_OTHER = 0,          /* not one of ours */
    PR_HDR_X_FORWARDED_FOR,
    PR_HDR_X_FORWARDED_PROTO,
    PR_HDR_X_FORWARDED_HOST,
    PR_HDR_X_FORWARDED_PORT,
    PR_HDR_X_FORWARDED_SERVER,
    PR_HDR_X_REAL_IP,
    PR_HDR_FORWARDED,
    PR_HDR__COUNT
} pr_hdr_id;

/* Is name[0..len) one of the forwarded family the module controls?
 * Case is folded and '_' matches '-' ("x_forwarded_for",
 * "X-FORWARDED-FOR" and "X-Forwarded_For" are all X-Forwarded-For).
 * Returns the pr_hdr_id (PR_HDR_OTHER when not ours). When
 * is_canonical_dash_form is not NULL it is set to 1 when the name
 * contains no '_' (the usual dash spelling, in any case), else 0: the
 * glue drops underscore spellings even from trusted proxies. */
int pr_fwd_header_id(const char *name, size_t len, int *is_canonical_dash_form);

/* The canonical spelling of a pr_hdr_id ("X-Forwarded-For", ...), or
 * NULL for PR_HDR_OTHER and out-of-range values. */
const char *pr_fwd_header_name(int id);

/* Is name[0..len) one of the forwarded family removed from untrusted
 * peers, in any spelling backends fold together (case, '_' for '-')?
 * The family: X-Forwarded, X-Forwarded-* (any suffix), Forwarded,
 * X-Real-IP, X-Client-IP, Client-IP, True-Client-IP,
 * X-Cluster-Client-IP, CF-Connecting-IP, Fastly-Client-IP,
 * X-Original-Forwarded-For, Front-End-Https, X-Url-Scheme.
 * Returns 1 or 0. */
int pr_fwd_in_family(const char *name, size_t len);
/* Can a name starting with c be of the family? (Its first letter only:
 * lets a caller skip most request headers before measuring them.) c|0x20
 * folds exactly the letters X, F, C, T onto x, f, c, t. */
static inline int pr_fwd_family_initial(unsigned char c)
{
    c |= 0x20;
    return c == 'x' || c == 'f' || c == 'c' || c == 't';
}

/* Do a[0..alen) and b[0..blen) name the same header for a backend that
 * folds case and reads '_' as '-'? Returns 1 or 0. */
int pr_hdr_name_eq(const char *a, size_t alen, const char *b, size_t blen);

/* Is name[0..len) a header field name (1*tchar)? Returns 1 or 0. */
int pr_hdr_name_valid(const char *name, size_t len);

#endif

# Stream directives at start-up: bad values stop httpd with the line and
# a reason; a stream vhost without routes, and a tls-mode backend without
# a trust anchor under enforce, are start-up errors; DUMP_REENCRYPT prints
# the routes.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Conf;

plan tests => 16;

my @bad = (
    ['ProxyReencryptStream sideways', qr/ProxyReencryptStream: 'sideways' is not one of off, passthrough, tls/],
    ["ProxyReencryptStream passthrough\nProxyReencryptRoute a.test", qr/needs a match .* and at least one backend/],
    ["ProxyReencryptStream passthrough\nProxyReencryptRoute -bad- 127.0.0.1:1", qr/'-bad-' is not a DNS name, \*\.domain or default/],
    ["ProxyReencryptStream passthrough\nProxyReencryptRoute a.*.test 127.0.0.1:1", qr/is not a DNS name|wildcard is a leading/],
    ["ProxyReencryptStream passthrough\nProxyReencryptRoute a.test nohostport", qr/backend 'nohostport' is not host:port/],
    ["ProxyReencryptStream passthrough\nProxyReencryptRoute a.test 127.0.0.1:1\nProxyReencryptRoute A.TEST 127.0.0.1:2", qr/a route for 'a\.test' exists already/],
    ['ProxyReencryptStreamTimeout 0 10', qr/ProxyReencryptStreamTimeout: wants seconds/],
);
for my $b (@bad) {
    my ($rc, $out, $line_of) = config_test("$b->[0]\n");
    my $d = (split /\n/, $b->[0])[-1];
    ok($rc != 0 && $out =~ $b->[1], "refused: $d") or diag($out);
}

my ($rc, $out) = config_test("ProxyReencryptStream passthrough\n");
ok($rc != 0 && $out =~ /PRE0061: vhost \S+: ProxyReencryptStream \(.*:\d+\) needs at least one ProxyReencryptRoute/,
   'a stream vhost without routes is a start-up error') or diag($out);

($rc, $out) = config_test("ProxyReencryptStream tls\nProxyReencryptPolicy enforce\n"
                          . "ProxyReencryptRoute default 127.0.0.1:7\n");
ok($rc != 0 && $out =~ /PRE0014: stream backend tls:\/\/127\.0\.0\.1:7 \(route default, vhost \S+\) has no trust anchor/,
   'tls mode under enforce without a trust anchor: start-up error naming the backend') or diag($out);

($rc, $out) = config_test("ProxyReencryptStream tls\nProxyReencryptPolicy enforce\n"
                          . "ProxyReencryptCACertificateFile \@pki\@/root.crt\n"
                          . "ProxyReencryptRoute default 127.0.0.1:7\n"
                          . "<Proxy tls://127.0.0.1:7>\nProxyReencryptVerify pin\n</Proxy>\n");
ok($rc != 0 && $out =~ /PRE0010: stream backend tls:\/\/127\.0\.0\.1:7 .*needs at least one ProxyReencryptPin/,
   'a <Proxy tls://host:port> section applies to that stream backend') or diag($out);

($rc, $out) = config_test("ProxyReencryptRoute default 127.0.0.1:7\n");
ok($rc == 0 && $out =~ /PRE0060: .*ProxyReencryptRoute without ProxyReencryptStream/,
   'a route without a stream mode: a warning') or diag($out);

($rc, $out) = config_test("ProxyReencryptStream passthrough\n"
                          . "ProxyReencryptStreamTimeout 3 60\n"
                          . "ProxyReencryptRoute a.test 127.0.0.1:7 127.0.0.1:8\n"
                          . "ProxyReencryptRoute *.b.test 127.0.0.1:9\n"
                          . "ProxyReencryptRoute default 127.0.0.1:10\n");
is($rc, 0, 'a passthrough vhost with routes loads') or diag($out);

my $conf = (config_test("ProxyReencryptStream passthrough\n"
                        . "ProxyReencryptProxyProtocol v2\n"
                        . "ProxyReencryptStreamTimeout 3 60\n"
                        . "ProxyReencryptRoute a.test 127.0.0.1:7 127.0.0.1:8\n"
                        . "ProxyReencryptRoute *.b.test 127.0.0.1:9\n"
                        . "ProxyReencryptRoute default 127.0.0.1:10\n"))[3];
my $httpd = Apache::Test::vars('httpd') || '/usr/sbin/apache2';
my $dump = `$httpd -t -D DUMP_REENCRYPT -f $conf 2>&1`;
like($dump, qr/stream passthrough \(set at \S+:\d+\); timeouts connect 3s idle 60s \(set at \S+:\d+\)/,
     'dump: the stream mode and timeouts with their origins');
like($dump, qr/route a\.test\s+-> 127\.0\.0\.1:7 \(PROXY v2\) 127\.0\.0\.1:8 \(PROXY v2\) \(set at \S+:\d+\)/,
     'dump: a route with its backends in order, and the PROXY header they get');
like($dump, qr/route default\s+-> 127\.0\.0\.1:10/, 'dump: the default route');

# Each stream directive has its block in the README's directive reference.
my $top = Apache::Test::vars('top_dir');
open my $fh, '<', "$top/README.md" or die "README.md: $!";
my $readme = do { local $/; <$fh> };
my @missing = grep { $readme !~ /^### \Q$_\E\n- Purpose: .*?\n- Syntax: .*?\n- Default: .*?\n- Context: /ms }
    qw(ProxyReencryptStream ProxyReencryptRoute ProxyReencryptStreamTimeout);
is("@missing", '', 'README: purpose, syntax, default, context for every stream directive');

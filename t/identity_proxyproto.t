# ProxyReencryptProxyProtocol v1/v2, received by nginx id_pp
# (listen ... ssl proxy_protocol; answers "proxy=ADDR:PORT"):
#  * the body shows 127.0.0.1 and the test client's source port, the same
#    port the front logged as %{remote}p;
#  * backend connections of such a scope are not reused: two requests over
#    ONE client keep-alive connection (hence one front process) reach nginx
#    over two connections ($connection differs) with two PROXY headers;
#    the control scope without PROXY protocol (nginx id_ws) reuses its
#    pooled connection for the same two requests.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use MPR::Identity;

plan skip_all => 'nginx backends not running' unless have_nginx();

my $pp_log = nginx_log('id_pp');

for my $v (qw(v1 v2)) {
    my $ua = keepalive_ua();
    my $fmark = file_mark(front_log());
    my $nmark = file_mark($pp_log);
    my @ports;
    for my $i (1, 2) {
        my $path = "/pp/$v/?req=$i";
        my $res = fetch_with($ua, 'id_front', $path);
        is($res->code, 200, "$v request $i: 200") or diag($res->status_line . "\n" . $res->decoded_content);
        my ($addr, $port) = ($res->decoded_content // '') =~ /^proxy=([\d.]+):(\d+)$/m;
        is($addr, '127.0.0.1', "$v request $i: nginx got PROXY client address 127.0.0.1")
            or diag($res->decoded_content);
        my ($fl) = wait_file_lines(front_log(), $fmark, qr/"GET \Q$path\E /, 1);
        my ($fport) = ($fl // '') =~ /^(\d+) /;
        ok(defined $port && defined $fport && $port == $fport,
           "$v request $i: PROXY source port = front's %{remote}p (" . ($port // '?') . ' vs ' . ($fport // '?') . ')')
            or diag("front log: " . ($fl // '(none)'));
        push @ports, $fport;
    }
    ok(defined $ports[0] && defined $ports[1] && $ports[0] == $ports[1],
       "$v: both requests came over one client connection (same %{remote}p)");
    my @n = wait_file_lines($pp_log, $nmark, qr/"GET \/idpp-\Q$v\E\/\?req=\d /, 2);
    is(scalar @n, 2, "$v: nginx logged both requests") or diag(@n);
    my @conn = map { /conn=(\d+)/ ? $1 : '?' } @n;
    my @pp   = map { /pp=(\S+)/ ? $1 : '?' } @n;
    ok(@conn == 2 && $conn[0] ne $conn[1], "$v: two backend connections (conn=@conn)") or diag(@n);
    ok(@pp == 2 && $pp[0] =~ /^127\.0\.0\.1:\d+$/ && $pp[1] =~ /^127\.0\.0\.1:\d+$/,
       "$v: a PROXY header on each connection (@pp)") or diag(@n);
}

# control: without PROXY protocol the pooled backend connection is reused
{
    my $ua = keepalive_ua();
    my $log = nginx_log('id_ws');
    my $nmark = file_mark($log);
    for my $i (1, 2) {
        my $res = fetch_with($ua, 'id_front', "/pp/control/?req=$i");
        is($res->code, 200, "control request $i: 200");
    }
    my @n = wait_file_lines($log, $nmark, qr/"GET \/idpp-control\/\?req=\d /, 2);
    my @conn = map { /conn=(\d+)/ ? $1 : '?' } @n;
    ok(@conn == 2 && $conn[0] eq $conn[1], "control: one pooled backend connection (conn=@conn)") or diag(@n);
}
done_testing();

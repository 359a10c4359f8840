# Other proxy paths under enforce (front id_front):
#  * wss:// (ProxyPass ... upgrade=websocket) with a WebSocket upgrade
#    request: the good backend (nginx id_ws, which answers 200 without
#    upgrading) is reached, not 502; the expired backend is refused (502,
#    reason=expired) and never reached;
#  * h2:// (mod_proxy_http2) to nginx id_h2 (good cert, http2): 200 over
#    HTTP/2 (nginx logs HTTP/2.0); to nginx id_h2exp (expired cert, http2):
#    refused with 502, reason=expired logged, never reached;
#  * health checks (mod_proxy_hcheck, hcmethod=GET hcinterval=1): the
#    expired member is refused at the health check's handshake and taken
#    out; after ~3 s every client request is served by the good member and
#    the expired member's application never saw a request.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use MPR::Identity;
use Time::HiRes qw(sleep);

my @ws = ('Upgrade' => 'websocket', 'Connection' => 'Upgrade',
          'Sec-WebSocket-Key' => 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version' => '13');

SKIP: {
    skip 'nginx backends not running', 12 unless have_nginx();

    # ---- wss://
    my $log = nginx_log('id_ws');
    my $before = line_count($log);
    my $fm = file_mark($log);
    my $res = fetch_with(undef, 'id_front', '/ws/good/', @ws);
    ok($res->code != 502 && $res->code != 500, 'wss good: not refused (status ' . $res->code . ')')
        or diag($res->status_line . "\n" . $res->decoded_content);
    my @l = wait_file_lines($log, $fm, qr/"GET \/idws\/ /, 1);
    ok(scalar @l, 'wss good: nginx id_ws reached') or diag("lines: " . line_count($log) . " (before $before)");

    $log = nginx_log('expired');
    $before = line_count($log);
    my $mark = log_mark();
    my $port = nginx_port('expired');
    $res = fetch_with(undef, 'id_front', '/ws/expired/', @ws);
    is($res->code, 502, 'wss expired: 502') or diag($res->status_line . "\n" . $res->decoded_content);
    my $line = wait_log($mark, qr/PRE1010: refused backend \S*localhost:$port\S* .*reason=expired\b/);
    ok($line && $line =~ /\(vhost id-front:\d+\)/, 'wss expired: error_log line reason=expired')
        or diag('line: ' . ($line // '(none)'));
    like($line // '', qr/^\S.*refused backend wss:\/\//, 'wss expired: the line names the wss:// backend')
        or diag('line: ' . ($line // '(none)'));
    is(line_count($log), $before, 'wss expired: backend not reached');

    # ---- h2://
    $log = nginx_log('id_h2');
    $fm = file_mark($log);
    $res = fetch_with(undef, 'id_front', '/h2/good/');
    ok($res->code == 200 && $res->decoded_content =~ /^nginx-backend=id_h2$/m, 'h2 good: 200 from nginx id_h2')
        or diag($res->status_line . "\n" . $res->decoded_content);
    @l = wait_file_lines($log, $fm, qr/"GET \/idh2\/ /, 1);
    like($l[-1] // '', qr/proto=HTTP\/2\.0/, 'h2 good: the backend request was HTTP/2.0')
        or diag(@l);

    $log = nginx_log('id_h2exp');
    $before = line_count($log);
    $mark = log_mark();
    $port = nginx_port('id_h2exp');
    $res = fetch_with(undef, 'id_front', '/h2/expired/');
    isnt($res->code, 200, 'h2 expired: not served (status ' . $res->code . ')')
        or diag($res->decoded_content);
    is($res->code, 502, 'h2 expired: 502, as for https:// (mod_proxy_http2 itself would answer 503)');
    $line = wait_log($mark, qr/PRE1010: refused backend \S*localhost:$port\S* .*reason=expired\b/);
    ok($line && $line =~ /\(vhost id-front:\d+\)/, 'h2 expired: error_log line reason=expired')
        or diag('line: ' . ($line // '(none)'));
    is(line_count($log), $before, 'h2 expired: backend not reached');
}

# ---- health checks
{
    my $bad  = Apache::Test::vars('t_logs') . '/id_be_hcbad.log';
    my $good = Apache::Test::vars('t_logs') . '/id_be_hcgood.log';
    my $badport = vhost_port('id_be_hcbad');
    # the checks run every second from start-up: wait until one has
    # refused the bad member (up to 20 s on a slow or sanitized build),
    # then a check interval more for the worker state to be updated
    wait_log(0, qr/PRE1010: refused backend \S*localhost:$badport\S* .*health check/, 20);
    sleep 1.5;
    my $gmark = file_mark($good);
    my @codes;
    my $ok = 0;
    for my $i (1 .. 8) {
        my $res = fetch('id_front', "/hc/?i=$i");
        push @codes, $res->code;
        $ok++ if $res->code == 200 && $res->decoded_content =~ /^backend=good$/m;
    }
    is($ok, 8, "health checks: 8 of 8 requests served by the good member (@codes)");
    my @g = wait_file_lines($good, $gmark, qr/"GET \/\?i=\d /, 8);
    is(scalar @g, 8, 'health checks: good member logged the 8 client requests');
    ok(scalar(wait_file_lines($good, $gmark, qr/"GET \/ HTTP/, 1, 3)), 'health checks: good member sees the hcheck GETs');
    is(line_count($bad), 0, 'health checks: the refused member was never reached (no line in its log)');
    my $line = wait_log(0, qr/PRE1010: refused backend \S*localhost:$badport\S* .*reason=expired\b/);
    ok($line, 'health checks: error_log shows the refusal of the expired member')
        or diag('no PRE1010 line for port ' . $badport);
    # A check every second, but one line a minute per child: not a flood.
    my $n = 0;
    if (open my $fh, '<', Apache::Test::vars('t_logs') . '/error_log') {
        $n = grep { /PRE1010: refused backend \S*localhost:$badport\S* .*health check/ } <$fh>;
    }
    cmp_ok($n, '<=', 4, "health checks: refusals logged at most once a minute per child ($n lines)");
}
done_testing();

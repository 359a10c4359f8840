# Stream passthrough (ProxyReencryptStream passthrough): the front reads
# the SNI of the ClientHello without terminating TLS and relays the bytes
# untouched to the route's backend, with a PROXY header (v1 / v2).
# Backends: nginx st_a / st_b with their own certificates (a.test,
# b.test) listening with proxy_protocol; the default route is a local
# Apache TLS vhost with RemoteIPProxyProtocol On.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use MPR::Stream;

plan skip_all => 'nginx backends not running' unless have_nginx();
plan tests => 26;

my $pki = pki();
my $pt = vhost_port('stream_pt');

# openssl s_client, as an operator would check it: the client verifies
# the backend's own certificate for the name it asked for.
for my $name (qw(a b)) {
    my $out = `printf 'GET / HTTP/1.0\\r\\nHost: $name.test\\r\\n\\r\\n' | openssl s_client -connect 127.0.0.1:$pt -servername $name.test -verify_hostname $name.test -verify_return_error -CAfile $pki/root.crt -ign_eof 2>&1`;
    like($out, qr/Verify return code: 0 \(ok\)/, "s_client -servername $name.test: the backend's certificate verifies");
    like($out, qr/subject=CN\s*=\s*\Q$name\E\.test/, "s_client -servername $name.test: the backend's own certificate (CN=$name.test)");
    like($out, qr/^backend=$name pp=127\.0\.0\.1:\d+$/m, "s_client -servername $name.test: answered by backend $name");
}

# PROXY v1: the backend sees the client's own address and port.
my $alog = nginx_log('st_a');
my $before = line_count($alog);
my $r = tls_get('stream_pt', 'a.test', verify => 'a.test');
is($r->{body}, "backend=a pp=127.0.0.1:$r->{port}\n", 'PROXY v1: backend a answers with the client\'s address and port');
my $l = wait_new_line($alog, $before, qr/pp=/);
like($l // '', qr/^127\.0\.0\.1 200 sni=a\.test pp=127\.0\.0\.1:\Q$r->{port}\E$/, 'PROXY v1: backend a logs the true client and port')
    or diag($l);

# PROXY v2 (another vhost), and the first backend of the route unreachable.
my $mark = log_mark();
$before = line_count($alog);
$r = tls_get('stream_pt2', 'a.test', verify => 'a.test');
is($r->{body}, "backend=a pp=127.0.0.1:$r->{port}\n", 'PROXY v2: backend a answers with the client\'s address and port');
$l = wait_new_line($alog, $before, qr/pp=/);
like($l // '', qr/pp=127\.0\.0\.1:\Q$r->{port}\E$/, 'PROXY v2: backend a logs the true client and port');
ok(wait_log($mark, qr/PRE2003: .*backend 127\.0\.0\.1:1 unreachable.*trying the next one/),
   'the unreachable first backend was skipped, and logged');

# b.test, and a *.w.test wildcard route.
$r = tls_get('stream_pt', 'b.test', verify => 'b.test');
like($r->{body}, qr/^backend=b pp=127\.0\.0\.1:\Q$r->{port}\E$/, 'b.test reaches backend b');
is($r->{subject}, '/CN=b.test', 'b.test: the client saw backend b\'s certificate');
$r = tls_get('stream_pt', 'x.w.test', verify => 'x.w.test');
like($r->{body}, qr/^backend=a /, '*.w.test route: x.w.test reaches backend a');
$r = tls_get('stream_pt', 'B.TEST', verify => 'b.test');
like($r->{body}, qr/^backend=b /, 'the SNI is matched case-insensitively');

# The default route: a local Apache TLS vhost, %a from the PROXY header.
my $dlog = Apache::Test::vars('t_logs') . '/stream_default.log';
$before = line_count($dlog);
$r = tls_get('stream_pt', 'unknown.test', verify => 'localhost');
is($r->{body}, "backend=default\n", 'an unknown name goes to the default route');
$l = wait_new_line($dlog, $before, qr/\d/);
like($l // '', qr/^127\.0\.0\.1 \Q$r->{port}\E 200 sni=unknown\.test$/,
     'the default vhost (RemoteIPProxyProtocol On) logs the true client and port as %a %{remote}p')
    or diag($l);
$before = line_count($dlog);
$r = tls_get('stream_pt', undef, verify => 'localhost');
is($r->{body}, "backend=default\n", 'no SNI goes to the default route');

# The front never terminated TLS: the clients above verified the
# backends' own certificates; the front's would not verify as a.test.
isnt($r->{subject}, undef, 'a certificate was seen');

# Many in a row, alternating names: each reaches its own backend.
my $okc = 0;
for my $i (1 .. 20) {
    my $n = $i % 2 ? 'a' : 'b';
    my $x = tls_get('stream_pt', "$n.test", verify => "$n.test");
    $okc++ if $x->{body} =~ /^backend=$n /;
}
is($okc, 20, '20 connections alternating a.test / b.test: each at its backend');

# No SNI without a default: closed, one log line.
$mark = log_mark();
$r = tls_get('stream_pt2', undef);
ok(!$r->{body}, 'no SNI, no default route: no answer');
my $line = wait_log($mark, qr/PRE2002: stream \(vhost [^)]*\): closed: no SNI and no default route/);
ok($line, 'no SNI, no default route: logged') or diag($line);
$mark = log_mark();
$r = tls_get('stream_pt2', 'c.test');
ok(wait_log($mark, qr/PRE2002: .*closed: no route for SNI 'c\.test' and no default route/),
   'unknown name, no default route: closed and logged');

# The routes and backends counted in mod_status's section.
my $auto = fetch('stream_status', '/server-status?auto')->decoded_content;
my $p2 = vhost_port('stream_pt2');
my ($n) = $auto =~ /^ProxyReencryptStream(\d+): vhost=\S+:$p2 /m;
ok(defined $n, 'mod_status ?auto lists the PROXY v2 vhost') or diag($auto);
like($auto, qr/^ProxyReencryptStream${n}Route0Backend0: backend=127\.0\.0\.1:1 relayed=0 skipped=[1-9]/m,
     'the unreachable backend: counted as skipped');
like($auto, qr/^ProxyReencryptStream${n}Route0Backend1: backend=127\.0\.0\.1:\d+ relayed=[1-9]\d* skipped=0$/m,
     'the second backend: counted as relayed');

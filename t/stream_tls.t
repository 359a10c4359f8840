# tls mode (ProxyReencryptStream tls): a plain TCP client (a line echo
# protocol, not HTTP) relayed to TLS echo backends under the vhost's
# backend policy: the same verification, names, pins, client
# certificate, session resumption, log lines and status rows as HTTP.
# A refused backend is skipped for the next one of the route before any
# byte is relayed.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use IO::Socket::SSL ();
use lib 't/lib';
use MPR::Test;
use MPR::Stream;

plan skip_all => 'nginx backends not running' unless have_nginx();
plan tests => 23;

my $elog = nginx_log('st_echo');
my $e2log = nginx_log('st_echo2');

# A good backend relays, both ways.
my $before = line_count($elog);
is(echo('stream_tls', "hello\nworld\n"), "hello\nworld\n", 'line echo through an enforce vhost');
my $l = wait_new_line($elog, $before, qr/bytes=/);
like($l // '', qr/bytes=12$/, 'the backend received the 12 bytes');

# Session resumption: later connections resume (the backend says so).
# The cache is per child process: of 8 streams, those landing in a child
# that already made one resume.
$before = line_count($elog);
my $echoed = 0;
$echoed += echo('stream_tls', "again $_\n") eq "again $_\n" ? 1 : 0 for 1 .. 8;
is($echoed, 8, '8 more streams echoed');
my @res = grep { /resumed=/ } new_lines($elog, $before);
my $resumed = grep { /^resumed=1 / } @res;
ok($resumed >= 1, "later streams resumed their TLS session ($resumed of 8)") or diag(@res);

# Expired, wrong name, untrusted: each refused with its reason, and the
# route's fourth backend serves the client, who notices nothing.
my $mark = log_mark();
$before = line_count($e2log);
is(echo('stream_tls_failover', "line\n"), "line\n", 'failover: served by the fourth backend');
ok(wait_new_line($e2log, $before, qr/bytes=5$/), 'failover: good2 echoed the bytes');
for my $x (['st_echo_expired', 'expired'], ['st_echo_wrongname', 'name-mismatch'],
           ['st_echo_foreign', 'untrusted']) {
    my ($name, $reason) = @$x;
    my $port = nginx_port($name);
    my $line = wait_log($mark, qr/PRE1010: refused stream backend tls:\/\/127\.0\.0\.1:$port .*reason=\Q$reason\E\b/);
    ok($line && $line =~ /\[proxy_reencrypt:error\]/ && $line =~ /subject="[^"]+"; issuer="[^"]+"; days_left=-?\d+/,
       "failover: $name refused, reason=$reason, with the peer's details")
        or diag($line // '(none)');
}
is(join('', map { /bytes=/ ? 1 : () } new_lines(nginx_log('st_echo_expired'), 0)), '',
   'the expired backend never got a byte');

# Pin mismatch: good's key is not the pinned one; good2 serves.
$mark = log_mark();
is(echo('stream_tls_pin', "pinned\n"), "pinned\n", 'pin: served by the pinned backend');
my $p1 = nginx_port('st_echo');
ok(wait_log($mark, qr/PRE1010: refused stream backend tls:\/\/127\.0\.0\.1:$p1 .*reason=pin-mismatch/),
   'pin: the unpinned backend refused with reason=pin-mismatch');

# Nothing acceptable left: the client is closed, never relayed to.
$mark = log_mark();
is(echo('stream_tls_none', "x\n"), '', 'only refused backends: closed, nothing relayed');
ok(wait_log($mark, qr/PRE2005: stream \(vhost [^)]*, route default, SNI -\): no backend left; closed/),
   'only refused backends: logged');

# A client certificate presented to a backend that requires it ...
my $clog = nginx_log('st_echo_client');
$before = line_count($clog);
is(echo('stream_tls_client', "cert\n"), "cert\n", 'client certificate: relayed');
$l = wait_new_line($clog, $before, qr/client=/);
like($l // '', qr/client=.*CN=mpr-front-client/, 'the backend saw the client certificate');
# ... and a front without one is refused by it (TLS 1.3: the backend
# says so after the front's Finished, so the stream ends at once).
$before = line_count($clog);
is(echo('stream_tls_noclient', "nocert\n"), '', 'no client certificate: nothing relayed');
ok(wait_new_line($clog, $before, qr/^handshake-failed$/), 'no client certificate: the backend refused it');

# Audit: the expired backend is relayed to, and reported.
$mark = log_mark();
is(echo('stream_tls_audit', "audit\n"), "audit\n", 'audit: an expired backend still relays');
ok(wait_log($mark, qr/\[proxy_reencrypt:warn\].*PRE1010: would refuse stream backend .*reason=expired/),
   'audit: "would refuse" with reason=expired');

# Behind mod_ssl: the client's TLS ends at the front.
my $s = IO::Socket::SSL->new(PeerAddr => '127.0.0.1', PeerPort => vhost_port('stream_tls_term'),
                             SSL_verify_mode => IO::Socket::SSL::SSL_VERIFY_PEER(),
                             SSL_ca_file => pki() . '/root.crt', SSL_hostname => 'localhost',
                             SSL_verifycn_name => 'localhost', SSL_verifycn_scheme => 'http',
                             Timeout => 10);
ok($s, 'TLS client to a tls-mode vhost with SSLEngine on') or diag($IO::Socket::SSL::SSL_ERROR);
my $got = '';
if ($s) {
    print $s "over tls\n";
    $got = <$s> // '';
    close $s;
}
is($got, "over tls\n", 'the line came back through mod_ssl and the backend');

# The status page has the stream backends' rows, with their verdicts.
my $res = fetch('stream_status', '/reencrypt-status?json');
like($res->decoded_content, qr/tls:\/\/127\.0\.0\.1:\Q$p1\E/, 'the status page lists a stream backend');

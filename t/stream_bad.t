# Bad input on a passthrough vhost: garbage, no ClientHello, an oversize
# hello, no SNI without a default route. Each is closed with one log line
# and never holds the worker longer than the connect timeout (2 s here).
# A well-formed hello that arrives in 5 TCP segments is read whole and
# relayed untouched.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use IO::Socket::INET ();
use IO::Select ();
use Socket qw(IPPROTO_TCP TCP_NODELAY);
use Time::HiRes qw(sleep time);
use lib 't/lib';
use MPR::Test;
use MPR::Stream;

plan skip_all => 'nginx backends not running' unless have_nginx();
plan tests => 16;

# Garbage (an HTTP request): closed at once, logged as not TLS.
my $mark = log_mark();
my $t = closed_within('stream_pt', "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n", 5);
ok(defined $t && $t < 1, 'garbage: closed at once') or diag($t // 'still open');
ok(wait_log($mark, qr/PRE2001: stream \(vhost [^)]*\): closed: bad ClientHello: not-tls/),
   'garbage: one log line (not-tls)');

# No ClientHello at all: closed after the connect timeout, not later.
$mark = log_mark();
$t = closed_within('stream_pt', undef, 8);
ok(defined $t && $t >= 1.5 && $t < 4, 'no hello: closed after the 2 s timeout')
    or diag($t // 'still open after 8 s');
ok(wait_log($mark, qr/PRE2001: .*closed: no whole ClientHello within 2s \(0 bytes\)/),
   'no hello: one log line');

# Half a hello, then silence: the same, with the bytes it had.
$mark = log_mark();
$t = closed_within('stream_pt', "\x16\x03\x01\x01\x00\x01\x00\x00\xfc\x03\x03", 8);
ok(defined $t && $t >= 1.5 && $t < 4, 'a truncated hello: closed after the timeout')
    or diag($t // 'still open');
ok(wait_log($mark, qr/PRE2001: .*no whole ClientHello within 2s \(11 bytes\)/),
   'a truncated hello: logged with the bytes received');

# Oversize: a record announcing a 32 KB ClientHello.
$mark = log_mark();
$t = closed_within('stream_pt', "\x16\x03\x01\x40\x00\x01\x00\x80\x00" . ("\0" x 100), 5);
ok(defined $t && $t < 1, 'oversize hello: closed at once') or diag($t // 'still open');
ok(wait_log($mark, qr/PRE2001: .*bad ClientHello: too-big/), 'oversize hello: logged (too-big)');

# A hello split over 5 TCP segments: a relay in this test cuts the
# client's first flight into 5 writes 150 ms apart.
my $lsn = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1,
                                ReuseAddr => 1) or die "listen: $!";
my $rport = $lsn->sockport;
my $pid = fork;
die "fork: $!" unless defined $pid;
if (!$pid) {
    my $c = $lsn->accept or exit 1;
    my $f = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => vhost_port('stream_pt'))
        or exit 1;
    setsockopt($f, IPPROTO_TCP, TCP_NODELAY, 1);
    my $hello = '';
    sysread($c, $hello, 65536);
    my $n = length $hello;
    my @cuts = (1, 4, int($n / 3), int(2 * $n / 3), $n);
    my $prev = 0;
    for my $cut (@cuts) {
        syswrite($f, substr($hello, $prev, $cut - $prev));
        $prev = $cut;
        sleep 0.15;
    }
    my $sel = IO::Select->new($c, $f);
    my $buf;
    OUTER: while (1) {
        for my $h ($sel->can_read(5)) {
            my $r = sysread($h, $buf, 65536);
            last OUTER unless $r;
            syswrite($h == $c ? $f : $c, $buf);
        }
    }
    exit 0;
}
close $lsn;
my $t0 = time;
my $r = tls_get('stream_pt', 'b.test', verify => 'b.test', port => $rport);
waitpid($pid, 0);
like($r->{body} // '', qr/^backend=b pp=127\.0\.0\.1:\d+$/,
     'a hello in 5 segments: read whole, routed by its SNI, relayed')
    or diag($r->{error});
ok(time - $t0 >= 0.6, 'the segments really were apart');

# After all that, the front still serves.
$r = tls_get('stream_pt', 'a.test', verify => 'a.test');
like($r->{body}, qr/^backend=a /, 'the front still serves after bad input');

# The passthrough vhost is not HTTP: an HTTP request gets no HTTP answer.
my $s = MPR::Stream::plain('stream_pt');
print $s "GET / HTTP/1.0\r\n\r\n";
my $got = join '', <$s>;
is($got, '', 'the stream port answers no HTTP');

# Each close was counted, in mod_status's section (shared by every child).
my $auto = fetch('stream_status', '/server-status?auto')->decoded_content;
my $pport = vhost_port('stream_pt');
my ($st) = $auto =~ /^ProxyReencryptStream\d+: (vhost=\S+:$pport mode=passthrough .*)$/m;
ok($st, 'mod_status ?auto has the passthrough vhost\'s counters') or diag($auto);
my %c = ($st // '') =~ /(\w+)=(\d+)/g;
ok(($c{closed_bad_hello} // 0) >= 2, "counted: garbage (closed_bad_hello=" . ($c{closed_bad_hello} // '-') . ")");
ok(($c{closed_no_hello} // 0) >= 2, "counted: no hello and truncated (closed_no_hello=" . ($c{closed_no_hello} // '-') . ")");
ok(($c{closed_too_big} // 0) >= 1 && ($c{open} // -1) == 0,
   "counted: oversize (closed_too_big=" . ($c{closed_too_big} // '-') . "), none open now");

#!/usr/bin/perl
# build/stream_echo.pl -- a TLS echo server for the stream tests (t/stream_*.t).
#
#   stream_echo.pl PORT CERT KEY LOG [CLIENT_CA]
#
# Listens on 127.0.0.1:PORT only; every connection (a forked child) gets
# the TLS handshake with CERT/KEY (and, with CLIENT_CA, a required client
# certificate), then every byte read is written back until the client
# ends its writes; then the server closes. One line per connection in
# LOG: "resumed=0|1 client=SUBJECT|- bytes=N". The SSL context is made
# before forking, so session tickets issued by one child are accepted by
# the next (resumption works across connections).
use strict;
use warnings;
use IO::Socket::INET;
use IO::Socket::SSL;
use POSIX ();

my ($port, $cert, $key, $log, $ca) = @ARGV;
die "usage: $0 PORT CERT KEY LOG [CLIENT_CA]\n" unless $log;

my $ctx = IO::Socket::SSL::SSL_Context->new(
    SSL_server => 1,
    SSL_cert_file => $cert,
    SSL_key_file => $key,
    ($ca ? (SSL_verify_mode => SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
            SSL_ca_file => $ca)
         : (SSL_verify_mode => SSL_VERIFY_NONE)),
) or die "context: $SSL_ERROR\n";
my $srv = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port,
                                Listen => 256, ReuseAddr => 1) or die "listen $port: $!\n";
$SIG{CHLD} = 'IGNORE';
$SIG{TERM} = sub { exit 0 };
while (1) {
    my $c = $srv->accept or next;
    my $pid = fork;
    if (!defined $pid) { close $c; next }
    if ($pid) { close $c; next }
    close $srv;
    $SIG{TERM} = 'DEFAULT';
    my $s = IO::Socket::SSL->start_SSL($c, SSL_server => 1, SSL_reuse_ctx => $ctx,
                                       Timeout => 10);
    if (!$s) {
        open my $lf, '>>', $log; print $lf "handshake-failed\n"; close $lf;
        POSIX::_exit(0);
    }
    my $reused = Net::SSLeay::session_reused($s->_get_ssl_object) ? 1 : 0;
    my $subj = $s->peer_certificate('subject') // '-';
    my ($buf, $n, $total) = ('', 0, 0);
    while (($n = sysread($s, $buf, 16384)) ) {
        my $off = 0;
        while ($off < $n) {
            my $w = syswrite($s, $buf, $n - $off, $off);
            last unless defined $w && $w > 0;
            $off += $w;
        }
        $total += $n;
    }
    open my $lf, '>>', $log;
    print $lf "resumed=$reused client=$subj bytes=$total\n";
    close $lf;
    $s->close(SSL_fast_shutdown => 1);
    POSIX::_exit(0);
}

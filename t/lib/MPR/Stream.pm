package MPR::Stream;
# Helpers for the stream tests (t/stream_*.t).
#
#   my $r = tls_get('stream_pt', 'a.test', verify => 'a.test');
#       # {body, port (the client's own), subject (the peer's), error}
#   my $s = plain('stream_tls');               # a connected plain socket
#   my $got = echo('stream_tls', "line\n");    # what came back until EOF
#   my ($lines) = new_lines($file, $before);   # lines appended since
use strict;
use warnings;

use Exporter 'import';
use IO::Socket::INET ();
use IO::Socket::SSL ();
use IO::Select ();
use Time::HiRes qw(time sleep);
use Apache::Test ();

our @EXPORT = qw(tls_get plain echo lines_of new_lines wait_new_line pki closed_within);

sub pki { Apache::Test::vars('pki') }

sub port_of { Apache::Test::vars("$_[0]_port") or die "no port for vhost $_[0]" }

# A TLS client through the front: SNI $sni (undef: none), verifying the
# peer against the test root and, with verify => NAME, its name; port =>
# N connects there instead of the vhost's port.
sub tls_get {
    my ($vhost, $sni, %o) = @_;
    my %ssl = (SSL_ca_file => pki() . '/root.crt');
    if ($o{verify}) {
        %ssl = (%ssl, SSL_verify_mode => IO::Socket::SSL::SSL_VERIFY_PEER(),
                SSL_verifycn_name => $o{verify}, SSL_verifycn_scheme => 'http');
    }
    else {
        $ssl{SSL_verify_mode} = IO::Socket::SSL::SSL_VERIFY_NONE();
    }
    my $s = IO::Socket::SSL->new(PeerAddr => '127.0.0.1', PeerPort => $o{port} || port_of($vhost),
                                 Timeout => 10, SSL_hostname => $sni // '', %ssl);
    return { error => "connect: " . ($IO::Socket::SSL::SSL_ERROR || $!) } unless $s;
    my %r = (port => $s->sockport, subject => $s->peer_certificate('subject'));
    print $s "GET / HTTP/1.0\r\nHost: " . ($sni // 'localhost') . "\r\n\r\n";
    local $/;
    my $all = <$s> // '';
    close $s;
    ($r{body}) = $all =~ /\r\n\r\n(.*)\z/s;
    $r{body} //= '';
    return \%r;
}

sub plain {
    my ($vhost) = @_;
    return IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => port_of($vhost),
                                 Timeout => 10);
}

# Send $data, end our writes, read until the front closes (or 10 s).
sub echo {
    my ($vhost, $data) = @_;
    my $s = plain($vhost) or return undef;
    print $s $data;
    shutdown($s, 1);
    my ($got, $buf) = ('', '');
    my $sel = IO::Select->new($s);
    my $deadline = time + 10;
    while (time < $deadline && $sel->can_read($deadline - time)) {
        my $n = sysread($s, $buf, 65536);
        last unless $n;
        $got .= $buf;
    }
    close $s;
    return $got;
}

# How long until the front closes a connection that got $send (undef:
# nothing); the seconds, or undef if it stayed open for $max seconds.
sub closed_within {
    my ($vhost, $send, $max) = @_;
    my $s = plain($vhost) or return undef;
    my $t0 = time;
    syswrite($s, $send) if defined $send;
    my $sel = IO::Select->new($s);
    my $buf;
    while (time - $t0 < $max) {
        next unless $sel->can_read($max - (time - $t0));
        my $n = sysread($s, $buf, 4096);
        if (!$n) { close $s; return time - $t0 }
    }
    close $s;
    return undef;
}

sub lines_of {
    my $f = shift;
    open my $fh, '<', $f or return ();
    return <$fh>;
}

sub new_lines {
    my ($f, $before) = @_;
    my @l = lines_of($f);
    return @l[$before .. $#l];
}

# The first line appended to $f after $before lines that matches $re,
# waiting up to $secs (default 3).
sub wait_new_line {
    my ($f, $before, $re, $secs) = @_;
    my $deadline = time + ($secs || 3);
    while (1) {
        for my $l (new_lines($f, $before)) {
            return $l if $l =~ $re;
        }
        return undef if time > $deadline;
        sleep 0.05;
    }
}

1;

# IPv4-mapped IPv6 peers, end to end (issue 10).
#
# What a real deployment sees: Debian's httpd is built with IPv4-mapped
# addresses enabled, so a listener on an IPv6 socket ("Listen 80" on a dual-
# stack host, "Listen [::]:80") accepts IPv4 clients as ::ffff:a.b.c.d: the
# connection's apr_sockaddr_t is AF_INET6 (APR prints it as a.b.c.d). Here the
# listener is "Listen [::ffff:127.0.0.1]:P": an AF_INET6 socket bound to the
# mapped loopback address only (it shows in /proc/net/tcp6, not in
# /proc/net/tcp), so the test client's 127.0.0.1 connection arrives as the
# peer ::ffff:127.0.0.1 -- and nothing but loopback is listened on. Apache::Test
# has its own 127.0.0.1 listener on every vhost port, which clashes with a
# mapped one on the same port, so these servers are our own (MPR::Run).
#
# The trust decision both ways:
#  * ProxyReencryptTrustedProxy 127.0.0.1/32 trusts the mapped peer
#    ::ffff:127.0.0.1 (and ::1/128 does not);
#  * ProxyReencryptTrustedProxy ::ffff:127.0.0.1 (or ::ffff:127.0.0.0/104)
#    is accepted and trusts the IPv4 peer 127.0.0.1 and the mapped one.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use IO::Socket::IP;
use MPR::Test;
use MPR::Run;

my $echo = vhost_port('fwd_echo');
my $HOST = 'www.example.test';

# a listener of /proc/net/tcp6 on ::ffff:127.0.0.1:PORT (state 0A = LISTEN)
sub mapped_listener {
    my $port = shift;
    my $want = sprintf '0000000000000000FFFF00000100007F:%04X', $port;
    open my $fh, '<', '/proc/net/tcp6' or return 0;
    return scalar grep { /^\s*\d+:\s+\Q$want\E\s+\S+\s+0A\s/i } <$fh>;
}

sub v4_listener {
    my $port = shift;
    my $want = sprintf '0100007F:%04X', $port;
    open my $fh, '<', '/proc/net/tcp' or return 0;
    return scalar grep { /^\s*\d+:\s+\Q$want\E\s+\S+\s+0A\s/i } <$fh>;
}

# one HTTP/1.0 request to 127.0.0.1:PORT; the header lines the echo got
sub get {
    my ($port, @headers) = @_;
    my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => $port, Timeout => 30)
        or return { code => 0, error => "connect: $@" };
    print {$s} "GET / HTTP/1.0\r\nHost: $HOST\r\n", map({ "$_->[0]: $_->[1]\r\n" } @headers), "\r\n";
    my $raw = '';
    while (sysread($s, my $buf, 65536)) { $raw .= $buf }
    my ($head, $body) = split /\r\n\r\n/, $raw, 2;
    my ($code) = ($head // '') =~ /^HTTP\S+ (\d{3})/;
    my %r = (code => $code // 0, raw => $raw);
    $body //= '';
    if ($body =~ s/\Aecho=fwd\n//) {
        $r{h}{lc $_->[0]} = $_->[1] for map { [ split /\t/, $_, 2 ] } split /\n/, $body;
    }
    return \%r;
}

# the forwarded headers the backend got: trusted (the proxy's chain walked)
# or not (stripped, this hop's own)
sub trusted_ok {
    my ($port, $what) = @_;
    my $r = get($port, [ 'X-Forwarded-For', '203.0.113.7' ], [ 'True-Client-IP', '203.0.113.8' ]);
    is($r->{code}, 200, "$what: 200 from the echo backend") or diag($r->{error} // $r->{raw});
    is($r->{h}{'x-real-ip'} // '', '203.0.113.7', "$what: trusted: X-Real-IP is the proxy's client");
    is($r->{h}{'x-forwarded-for'} // '', '203.0.113.7, 127.0.0.1',
       "$what: trusted: X-Forwarded-For appended with the peer, written as IPv4");
    is($r->{h}{'true-client-ip'} // '', '203.0.113.8', "$what: trusted: its True-Client-IP kept");
}

sub untrusted_ok {
    my ($port, $what) = @_;
    my $r = get($port, [ 'X-Forwarded-For', '203.0.113.7' ], [ 'True-Client-IP', '203.0.113.8' ]);
    is($r->{code}, 200, "$what: 200 from the echo backend") or diag($r->{error} // $r->{raw});
    is($r->{h}{'x-real-ip'} // '', '127.0.0.1', "$what: untrusted: X-Real-IP is the peer");
    is($r->{h}{'x-forwarded-for'} // '', '127.0.0.1', "$what: untrusted: X-Forwarded-For is the peer");
    ok(!exists $r->{h}{'true-client-ip'}, "$what: untrusted: True-Client-IP stripped");
}

sub front {
    my ($listen, $trusted) = @_;
    return <<"EOC";
<VirtualHost $listen>
    ServerName mapped-test
    SSLProxyEngine on
    ProxyReencryptPolicy enforce
    ProxyReencryptCACertificateFile \@pki\@/root.crt
    ProxyReencryptTrustedProxy $trusted
    ProxyPass / https://localhost:$echo/
</VirtualHost>
EOC
}

# --- the IPv4 block trusts the mapped peer (and an IPv6 one does not)
{
    my ($qa, $qd) = (MPR::Run::free_port(), MPR::Run::free_port());
    my $h = MPR::Run->start(join '',
        "Listen [::ffff:127.0.0.1]:$qa\nListen [::ffff:127.0.0.1]:$qd\n",
        front("*:$qa", '127.0.0.1/32'), front("*:$qd", '::1/128'),
        front('*:@port@', '127.0.0.1/32'));
    ok($h, 'server with IPv4-mapped listeners starts') or diag($MPR::Run::error);
    SKIP: {
        skip 'no server', 14 unless $h;
        ok(mapped_listener($qa) && !v4_listener($qa),
           "listener $qa is an IPv6 socket on ::ffff:127.0.0.1 (tcp6), not an IPv4 one");
        trusted_ok($qa, 'mapped peer, TrustedProxy 127.0.0.1/32');
        untrusted_ok($qd, 'mapped peer, TrustedProxy ::1/128');
        ok(v4_listener($h->{port}), "listener $h->{port} is IPv4 (tcp)");
        trusted_ok($h->{port}, 'IPv4 peer, TrustedProxy 127.0.0.1/32');
    }
}

# --- a mapped block trusts both (it used to be a start-up error: APR's
# apr_ipsubnet_create refuses ::ffff:a.b.c.d)
{
    my $qb = MPR::Run::free_port();
    my $h = MPR::Run->start(join '',
        "Listen [::ffff:127.0.0.1]:$qb\n",
        front("*:$qb", '::ffff:127.0.0.1'),
        front('*:@port@', '::ffff:127.0.0.0/104'));
    ok($h, 'ProxyReencryptTrustedProxy ::ffff:127.0.0.1 and ::ffff:127.0.0.0/104 accepted')
        or diag($MPR::Run::error);
    SKIP: {
        skip 'no server', 8 unless $h;
        trusted_ok($qb, 'mapped peer, TrustedProxy ::ffff:127.0.0.1');
        trusted_ok($h->{port}, 'IPv4 peer, TrustedProxy ::ffff:127.0.0.0/104');
    }
}

done_testing();

# Forwarded headers from an untrusted client (no ProxyReencryptTrustedProxy):
# spoofed X-Forwarded-*, X-Real-IP and Forwarded in every spelling and
# repeated never reach the backend; it gets exactly one line of each header,
# with the values this hop vouches for.  Plain front with ProxyAddHeaders
# default / On / Off, a TLS front, an IPv6 front.  The backend (fwd_echo,
# t/conf/forwarded.conf.in) reports every header line it received.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use MPR::Fwd;

my $HOST = 'www.example.test';

# --- plain front, ProxyAddHeaders default (On): mod_proxy adds its own
# X-Forwarded-Server, the module's values replace its XFF / XFH
for my $case (['fwd_plain', 'fwd-plain'], ['fwd_addon', 'fwd-addon']) {
    my ($vh, $sn) = @$case;
    my $r = fwd_get($vh, host => $HOST, headers => spoof_headers());
    family_is($r, {
        'X-Forwarded-For'    => '127.0.0.1',
        'X-Real-IP'          => '127.0.0.1',
        'X-Forwarded-Proto'  => 'http',
        'X-Forwarded-Host'   => $HOST,
        'X-Forwarded-Port'   => $r->{port},
        'X-Forwarded-Server' => $sn,           # mod_proxy's, ProxyAddHeaders On
    }, "$vh spoofed");
    no_spoof_ok($r, "$vh spoofed");

    # no incoming forwarded header at all: the same values
    $r = fwd_get($vh, host => $HOST);
    family_is($r, {
        'X-Forwarded-For'    => '127.0.0.1',
        'X-Real-IP'          => '127.0.0.1',
        'X-Forwarded-Proto'  => 'http',
        'X-Forwarded-Host'   => $HOST,
        'X-Forwarded-Port'   => $r->{port},
        'X-Forwarded-Server' => $sn,
    }, "$vh clean request");
}

# the default Host (127.0.0.1:PORT) is passed through as X-Forwarded-Host
{
    my $r = fwd_get('fwd_plain', headers => spoof_headers());
    # (lines_named is empty for a request that did not reach the echo
    # backend at all: say which, as family_is does)
    is_deeply(lines_named($r, 'X-Forwarded-Host'), ["127.0.0.1:$r->{port}"],
              'fwd_plain: X-Forwarded-Host is the Host the client sent (with port)')
        or diag('status: ' . ($r->{error} || $r->{status} || '(no answer)'));
}

# --- ProxyAddHeaders Off: see t/forwarded_audit.t (nothing set, still stripped)

# --- TLS front (ProxyReencryptForwarded both): proto https, the TLS port
{
    my $r = fwd_get('fwd_tls', tls => 1, host => $HOST, headers => spoof_headers());
    family_is($r, {
        'X-Forwarded-For'    => '127.0.0.1',
        'X-Real-IP'          => '127.0.0.1',
        'X-Forwarded-Proto'  => 'https',
        'X-Forwarded-Host'   => $HOST,
        'X-Forwarded-Port'   => $r->{port},
        'X-Forwarded-Server' => 'fwd-tls',
        'Forwarded'          => "for=127.0.0.1;proto=https;host=$HOST",
    }, 'fwd_tls spoofed');
    no_spoof_ok($r, 'fwd_tls spoofed');
}

# --- IPv6 client: a front also listening on [::1] (ProxyReencryptForwarded both)
SKIP: {
    skip 'no IPv6 loopback on this host', 3 unless have_ipv6();
    my $r = fwd_get('fwd_v6', v6 => 1, host => $HOST, headers => spoof_headers());
    family_is($r, {
        'X-Forwarded-For'    => '::1',
        'X-Real-IP'          => '::1',
        'X-Forwarded-Proto'  => 'http',
        'X-Forwarded-Host'   => $HOST,
        'X-Forwarded-Port'   => $r->{port},
        'X-Forwarded-Server' => 'fwd-v6',
        'Forwarded'          => qq{for="[::1]";proto=http;host=$HOST},
    }, 'fwd_v6 over [::1] spoofed');
    no_spoof_ok($r, 'fwd_v6 over [::1] spoofed');
}

done_testing();

# ProxyReencryptForwarded rfc7239 / both / off, and ProxyReencryptPolicy off
# (the module leaves the headers alone).  Untrusted client sending spoofed
# headers in every spelling (MPR::Fwd::spoof_headers).
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use MPR::Fwd;

my $HOST = 'www.example.test';

# --- rfc7239: Forwarded only; mod_proxy's X-Forwarded-For/-Host/-Server go
{
    my $r = fwd_get('fwd_rfc', host => $HOST, headers => spoof_headers());
    family_is($r, {
        'Forwarded' => "for=127.0.0.1;proto=http;host=$HOST",
    }, 'fwd_rfc spoofed');
    no_spoof_ok($r, 'fwd_rfc spoofed');

    # a Host with a port is quoted
    $r = fwd_get('fwd_rfc');
    family_is($r, {
        'Forwarded' => qq{for=127.0.0.1;proto=http;host="127.0.0.1:$r->{port}"},
    }, 'fwd_rfc Host with port');
}

# --- both
{
    my $r = fwd_get('fwd_both', host => $HOST, headers => spoof_headers());
    family_is($r, {
        'X-Forwarded-For'    => '127.0.0.1',
        'X-Real-IP'          => '127.0.0.1',
        'X-Forwarded-Proto'  => 'http',
        'X-Forwarded-Host'   => $HOST,
        'X-Forwarded-Port'   => $r->{port},
        'X-Forwarded-Server' => 'fwd-both',
        'Forwarded'          => "for=127.0.0.1;proto=http;host=$HOST",
    }, 'fwd_both spoofed');
    no_spoof_ok($r, 'fwd_both spoofed');
}

# --- off: the module sets nothing, but still strips what an untrusted
# client wrote; mod_proxy's own (ProxyAddHeaders On) arrive clean
{
    my $r = fwd_get('fwd_off', host => $HOST, headers => spoof_headers());
    family_is($r, {
        'X-Forwarded-For'    => '127.0.0.1',
        'X-Forwarded-Host'   => $HOST,
        'X-Forwarded-Server' => 'fwd-off',
    }, 'fwd_off spoofed: only mod_proxy\'s own, clean');
    no_spoof_ok($r, 'fwd_off spoofed');
}

# --- ProxyReencryptPolicy off: stock behaviour, the spoofed XFF passes and
# mod_proxy appends to it
{
    my $r = fwd_get('fwd_poloff', host => $HOST, headers => [
        [ 'X-Forwarded-For', '6.6.6.1' ],
        [ 'X-Real-IP',       '6.6.6.5' ],
    ]);
    family_is($r, {
        'X-Forwarded-For'    => '6.6.6.1, 127.0.0.1',
        'X-Real-IP'          => '6.6.6.5',
        'X-Forwarded-Host'   => $HOST,
        'X-Forwarded-Server' => 'fwd-poloff',
    }, 'fwd_poloff: headers left alone (stock mod_proxy)');
}

done_testing();

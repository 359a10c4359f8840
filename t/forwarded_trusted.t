# ProxyReencryptTrustedProxy: a trusted peer's forwarded headers are kept and
# appended to; a list from it whose rightmost element is malformed gives
# this hop's values only (t/forwarded_chain.t has the rest of the walk); mod_remoteip's client
# (r->useragent_ip) is the module's client.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use MPR::Fwd;

my $HOST = 'www.example.test';

# --- one trusted hop (127.0.0.1/32): the test client is the trusted proxy
{
    my $r = fwd_get('fwd_trusted', host => $HOST,
                    headers => [[ 'X-Forwarded-For', '203.0.113.7' ]]);
    family_is($r, {
        'X-Forwarded-For'    => '203.0.113.7, 127.0.0.1',
        'X-Real-IP'          => '203.0.113.7',
        'X-Forwarded-Proto'  => 'http',
        'X-Forwarded-Host'   => $HOST,
        'X-Forwarded-Port'   => $r->{port},
        'X-Forwarded-Server' => 'fwd-trusted',
    }, 'fwd_trusted XFF 203.0.113.7');
}

# a trusted proxy's X-Forwarded-Proto/-Host/-Port are kept (one value each,
# its first), and its X-Real-IP when it sent no X-Forwarded-For
{
    my $r = fwd_get('fwd_trusted', host => $HOST, headers => [
        [ 'X-Forwarded-For',   '203.0.113.7' ],
        [ 'X-Forwarded-Proto', 'https' ],
        [ 'X-Forwarded-Host',  'public.example' ],
        [ 'X-Forwarded-Port',  '443' ],
    ]);
    my $what = "fwd_trusted keeps the proxy's";
    is_deeply(lines_named($r, 'X-Forwarded-Proto'), ['https'], "$what X-Forwarded-Proto https");
    is_deeply(lines_named($r, 'X-Forwarded-Host'), ['public.example'], "$what X-Forwarded-Host public.example");
    is_deeply(lines_named($r, 'X-Forwarded-Port'), ['443'], "$what X-Forwarded-Port 443");
    is_deeply(lines_named($r, 'X-Forwarded-For'), ['203.0.113.7, 127.0.0.1'], "$what X-Forwarded-For, appended");

    $r = fwd_get('fwd_trusted', host => $HOST, headers => [[ 'X-Real-IP', '203.0.113.8' ]]);
    is_deeply(lines_named($r, 'X-Real-IP'), ['203.0.113.8'],
              "$what X-Real-IP when it sent no X-Forwarded-For");
    is_deeply(lines_named($r, 'X-Forwarded-For'), ['127.0.0.1'],
              "fwd_trusted X-Real-IP only: X-Forwarded-For is this hop's");
}

# underscore spellings are dropped even from a trusted proxy
{
    my $r = fwd_get('fwd_trusted', host => $HOST, headers => [
        [ 'X-Forwarded-For', '203.0.113.7' ],
        [ 'X_Forwarded_For', '6.6.6.1' ],
        [ 'X_Real_IP',       '6.6.6.2' ],
    ]);
    family_is($r, {
        'X-Forwarded-For'    => '203.0.113.7, 127.0.0.1',
        'X-Real-IP'          => '203.0.113.7',
        'X-Forwarded-Proto'  => 'http',
        'X-Forwarded-Host'   => $HOST,
        'X-Forwarded-Port'   => $r->{port},
        'X-Forwarded-Server' => 'fwd-trusted',
    }, 'fwd_trusted drops underscore spellings');
    no_spoof_ok($r, 'fwd_trusted underscore spellings');
}

# --- a chain where some hops are trusted (127.0.0.1 10.0.0.0/8)
{
    my $r = fwd_get('fwd_chain', host => $HOST,
                    headers => [[ 'X-Forwarded-For', '198.51.100.1, 10.1.2.3' ]]);
    family_is($r, {
        'X-Forwarded-For'    => '198.51.100.1, 10.1.2.3, 127.0.0.1',
        'X-Real-IP'          => '198.51.100.1',
        'X-Forwarded-Proto'  => 'http',
        'X-Forwarded-Host'   => $HOST,
        'X-Forwarded-Port'   => $r->{port},
        'X-Forwarded-Server' => 'fwd-chain',
    }, 'fwd_chain XFF 198.51.100.1, 10.1.2.3');

    # the same chain in two header lines is one list; what is left of the
    # client is the client's own writing and is not forwarded
    $r = fwd_get('fwd_chain', host => $HOST, headers => [
        [ 'X-Forwarded-For', '192.0.2.5, 198.51.100.1' ],
        [ 'X-Forwarded-For', '10.9.9.9' ],
    ]);
    family_is($r, {
        'X-Forwarded-For'    => '198.51.100.1, 10.9.9.9, 127.0.0.1',
        'X-Real-IP'          => '198.51.100.1',
        'X-Forwarded-Proto'  => 'http',
        'X-Forwarded-Host'   => $HOST,
        'X-Forwarded-Port'   => $r->{port},
        'X-Forwarded-Server' => 'fwd-chain',
    }, 'fwd_chain XFF over two lines, rightmost untrusted is the client');
}

# --- malformed lists from a trusted proxy: served, dropped whole
{
    my $mark = log_mark();
    my $r = fwd_get('fwd_trusted', host => $HOST,
                    headers => [[ 'X-Forwarded-For', '1.2.3.4, garbage' ]]);
    family_is($r, {
        'X-Forwarded-For'    => '127.0.0.1',
        'X-Real-IP'          => '127.0.0.1',
        'X-Forwarded-Proto'  => 'http',
        'X-Forwarded-Host'   => $HOST,
        'X-Forwarded-Port'   => $r->{port},
        'X-Forwarded-Server' => 'fwd-trusted',
    }, 'fwd_trusted malformed XFF dropped whole');

    $r = fwd_get('fwd_trusted_both', host => $HOST, headers => [
        [ 'Forwarded',       'for=' ],
        [ 'X-Forwarded-For', '1.2.3.4, garbage' ],
    ]);
    family_is($r, {
        'X-Forwarded-For'    => '127.0.0.1',
        'X-Real-IP'          => '127.0.0.1',
        'X-Forwarded-Proto'  => 'http',
        'X-Forwarded-Host'   => $HOST,
        'X-Forwarded-Port'   => $r->{port},
        'X-Forwarded-Server' => 'fwd-trusted-both',
        'Forwarded'          => "for=127.0.0.1;proto=http;host=$HOST",
    }, 'fwd_trusted_both malformed Forwarded and XFF dropped whole');

    # and a well-formed Forwarded from it is kept and appended to
    $r = fwd_get('fwd_trusted_both', host => $HOST, headers => [
        [ 'Forwarded',       'for=203.0.113.7;proto=https' ],
        [ 'X-Forwarded-For', '203.0.113.7' ],
    ]);
    family_is($r, {
        'X-Forwarded-For'    => '203.0.113.7, 127.0.0.1',
        'X-Real-IP'          => '203.0.113.7',
        'X-Forwarded-Proto'  => 'http',
        'X-Forwarded-Host'   => $HOST,
        'X-Forwarded-Port'   => $r->{port},
        'X-Forwarded-Server' => 'fwd-trusted-both',
        'Forwarded'          => "for=203.0.113.7;proto=https, for=127.0.0.1;proto=http;host=$HOST",
    }, 'fwd_trusted_both well-formed Forwarded appended to');
}

# --- mod_remoteip: the client is r->useragent_ip
{
    my $r = fwd_get('fwd_remoteip', host => $HOST, headers => [[ 'X-Client-IP', '198.51.100.9' ]]);
    family_is($r, {
        'X-Forwarded-For'    => '198.51.100.9',
        'X-Real-IP'          => '198.51.100.9',
        'X-Forwarded-Proto'  => 'http',
        'X-Forwarded-Host'   => $HOST,
        'X-Forwarded-Port'   => $r->{port},
        'X-Forwarded-Server' => 'fwd-remoteip',
    }, 'fwd_remoteip X-Client-IP 198.51.100.9');

    # spoofed XFF next to it is still stripped (127.0.0.1 is not a trusted proxy
    # of this module)
    $r = fwd_get('fwd_remoteip', host => $HOST, headers => [
        [ 'X-Client-IP', '198.51.100.9' ], @{ spoof_headers() } ]);
    family_is($r, {
        'X-Forwarded-For'    => '198.51.100.9',
        'X-Real-IP'          => '198.51.100.9',
        'X-Forwarded-Proto'  => 'http',
        'X-Forwarded-Host'   => $HOST,
        'X-Forwarded-Port'   => $r->{port},
        'X-Forwarded-Server' => 'fwd-remoteip',
    }, 'fwd_remoteip with spoofed headers');
    no_spoof_ok($r, 'fwd_remoteip with spoofed headers');
}

done_testing();

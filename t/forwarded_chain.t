# The trust chain (issue 10, H1 and M1; IPv6 and IPv4-mapped addresses):
# the client is found by walking X-Forwarded-For (or Forwarded) from the
# right past trusted proxies; a malformed or overlong client-written left
# part never makes the trusted proxy the client, and never reaches the
# backend; with mod_remoteip, its %a is the client and the chain it
# consumed is rebuilt, not the remainder it left.  The test client is the
# trusted proxy (127.0.0.1); the backend (fwd_echo) reports every line.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use MPR::Fwd;

my $HOST = 'www.example.test';
my $C = '203.0.113.9';          # the true client, appended by the LB

sub xff_family {
    my ($r, $xff, $real, $server) = @_;
    return {
        'X-Forwarded-For'    => $xff,
        'X-Real-IP'          => $real,
        'X-Forwarded-Proto'  => 'http',
        'X-Forwarded-Host'   => $HOST,
        'X-Forwarded-Port'   => $r->{port},
        'X-Forwarded-Server' => $server,
    };
}

# --- H1: mod_remoteip and the module trust the LB; the client typed the left part
{
    my $r = fwd_get('fwd_h1', host => $HOST,
                    headers => [[ 'X-Forwarded-For', "6.6.6.6, $C" ]]);
    family_is($r, xff_family($r, "$C, 127.0.0.1", $C, 'fwd-h1'),
              'H1 mod_remoteip (trusted proxy): X-Real-IP is %a, the chain it consumed');
    no_spoof_ok($r, 'H1 mod_remoteip');

    $r = fwd_get('fwd_h1i', host => $HOST,
                 headers => [[ 'X-Forwarded-For', "6.6.6.6, $C" ]]);
    family_is($r, xff_family($r, $C, $C, 'fwd-h1i'),
              'H1 mod_remoteip (internal proxy): X-Real-IP is %a, never the remainder');
    no_spoof_ok($r, 'H1 mod_remoteip internal');
}

# --- M1: X-Forwarded-For from a trusted proxy, malformed left part
my @seventy = map { "6.6.6." . ($_ % 250) } 1 .. 70;
for my $case (
    [ "unknown, $C",        'unknown' ],
    [ "foo, $C",            'foo' ],
    [ "1.1.1.1:99999, $C",  'port over 65535' ],
    [ join(', ', @seventy, $C), '70 elements before the client' ],
    [ join(', ', 'x' x 7000, $C), 'a 7 KB element before the client' ],
    [ "\"6.6.6.6, $C",      'a quote' ],
) {
    my ($xff, $what) = @$case;
    my $r = fwd_get('fwd_trusted', host => $HOST, headers => [[ 'X-Forwarded-For', $xff ]]);
    family_is($r, xff_family($r, "$C, 127.0.0.1", $C, 'fwd-trusted'),
              "M1 XFF $what: the true client, never the proxy");
    no_spoof_ok($r, "M1 XFF $what");
}

# past trusted hops (127.0.0.1 10.0.0.0/8), the scan capped at 64
# trusted elements: the leftmost examined is the client, not the proxy
{
    my $r = fwd_get('fwd_chain', host => $HOST,
                    headers => [[ 'X-Forwarded-For', "unknown, $C, 10.1.2.3, 10.4.5.6" ]]);
    family_is($r, xff_family($r, "$C, 10.1.2.3, 10.4.5.6, 127.0.0.1", $C, 'fwd-chain'),
              'M1 XFF past trusted hops');
    my @hops = map { "10.0.0.$_" } 1 .. 70;
    $r = fwd_get('fwd_chain', host => $HOST,
                 headers => [[ 'X-Forwarded-For', join(', ', $C, @hops) ]]);
    is_deeply(lines_named($r, 'X-Real-IP'), ['10.0.0.7'],
              'M1 XFF 70 trusted hops: the scan stops after 64, at the leftmost examined');
    # the rightmost element itself malformed: the last good address is the peer
    $r = fwd_get('fwd_trusted', host => $HOST,
                 headers => [[ 'X-Forwarded-For', "$C, unknown" ]]);
    family_is($r, xff_family($r, '127.0.0.1', '127.0.0.1', 'fwd-trusted'),
              'M1 XFF malformed rightmost: the peer');
}

# --- M1 over Forwarded (rfc7239 only; and both, without X-Forwarded-For)
for my $case (
    [ "for=unknown, for=$C",          'for=unknown' ],
    [ "for=_hidden, for=$C",          'obfuscated' ],
    [ "foo, for=$C",                  'foo' ],
    [ "for=\"1.1.1.1:99999\", for=$C", 'port over 65535' ],
    [ "for=\"6.6.6.6, for=$C",        'unterminated quote' ],
    [ join(', ', (map { "for=$_" } @seventy), "for=$C"), '70 elements' ],
) {
    my ($fwd, $what) = @$case;
    my $r = fwd_get('fwd_trusted_rfc', host => $HOST, headers => [[ 'Forwarded', $fwd ]]);
    family_is($r, { 'Forwarded' => "for=$C, for=127.0.0.1;proto=http;host=$HOST" },
              "M1 Forwarded $what: the true client, never the proxy");
    $r = fwd_get('fwd_trusted_both', host => $HOST, headers => [[ 'Forwarded', $fwd ]]);
    family_is($r, {
        %{ xff_family($r, "$C, 127.0.0.1", $C, 'fwd-trusted-both') },
        'Forwarded' => "for=$C, for=127.0.0.1;proto=http;host=$HOST",
    }, "M1 Forwarded (both) $what: X-Real-IP is the true client");
}

# --- IPv4-mapped addresses in the chain are the IPv4 client
{
    my $r = fwd_get('fwd_chain', host => $HOST,
                    headers => [[ 'X-Forwarded-For', "6.6.6.6, ::ffff:$C, ::FFFF:10.1.2.3" ]]);
    family_is($r, xff_family($r, "$C, 10.1.2.3, 127.0.0.1", $C, 'fwd-chain'),
              'IPv4-mapped hops: trusted by their IPv4 block, the client as IPv4');
}

# --- a trusted IPv6 peer (::1) and an IPv6 client
SKIP: {
    skip 'no IPv6 loopback on this host', 4 unless have_ipv6();
    my $r = fwd_get('fwd_v6_trusted', v6 => 1, host => $HOST, headers => [
        [ 'X-Forwarded-For', "unknown, 2001:db8:5::9" ],
        [ 'Forwarded', 'for=unknown, for="[2001:db8:5::9]:4711"' ],
    ]);
    family_is($r, {
        %{ xff_family($r, '2001:db8:5::9, ::1', '2001:db8:5::9', 'fwd-v6-trusted') },
        'Forwarded' => qq{for="[2001:db8:5::9]:4711", for="[::1]";proto=http;host=$HOST},
    }, 'trusted IPv6 peer, IPv6 client');
    no_spoof_ok($r, 'trusted IPv6 peer');
}

done_testing();

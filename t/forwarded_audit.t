# Modes (SPEC "Modes", issue 9's header part and issue 10): under audit,
# the default, the module changes no header: with ProxyAddHeaders On or
# Off the backend gets exactly what stock mod_proxy sends (the twin vhost
# with ProxyReencryptPolicy off), spoofed headers included; the module
# only logs (debug) what it would remove or set.  Under enforce,
# ProxyAddHeaders Off without ProxyReencryptForwarded sets nothing and
# still strips.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use MPR::Fwd;

my $HOST = 'www.example.test';

sub all_lines { [ map { "$_->[0]: $_->[1]" } @{ $_[0]{lines} || [] } ] }

for my $pair (['fwd_audit_on', 'fwd_stock_on', 'On'], ['fwd_audit_off', 'fwd_stock_off', 'Off']) {
    my ($audit, $stock, $add) = @$pair;
    for my $case ([ 'clean', [] ], [ 'spoofed', spoof_headers() ]) {
        my ($what, $hdrs) = @$case;
        my $mark = log_mark();
        my $a = fwd_get($audit, host => $HOST, headers => $hdrs);
        my $s = fwd_get($stock, host => $HOST, headers => $hdrs);
        ok($a->{code} == 200 && $s->{code} == 200, "ProxyAddHeaders $add, $what: both served");
        is_deeply(all_lines($a), all_lines($s),
                  "ProxyAddHeaders $add, $what: audit backend got exactly stock's header lines");
        if ($what eq 'spoofed') {
            ok(wait_log($mark, qr/PRE1032: .*audit: would remove .*X_Forwarded_For/),
               "ProxyAddHeaders $add, $what: audit logs what it would remove");
        }
    }
    # the Apache test suite's case: ProxyAddHeaders Off, nothing forwarded
    if ($add eq 'Off') {
        my $r = fwd_get($audit, host => $HOST);
        family_is($r, {}, 'audit, ProxyAddHeaders Off: no X-Forwarded-*, no X-Real-IP');
    }
    else {
        my $r = fwd_get($audit, host => $HOST, headers => [[ 'X-Forwarded-For', '6.6.6.1' ]]);
        family_is($r, {
            'X-Forwarded-For'    => '6.6.6.1, 127.0.0.1',
            'X-Forwarded-Host'   => $HOST,
            'X-Forwarded-Server' => 'fwd-modes',
        }, 'audit, ProxyAddHeaders On: mod_proxy\'s own, the client\'s passed through');
    }
}

# enforce, ProxyAddHeaders Off, no ProxyReencryptForwarded: nothing set, still stripped
{
    my $r = fwd_get('fwd_addoff', host => $HOST, headers => spoof_headers());
    family_is($r, {}, 'enforce, ProxyAddHeaders Off: nothing set');
    no_spoof_ok($r, 'enforce, ProxyAddHeaders Off: still stripped');

    $r = fwd_get('fwd_addoff_xff', host => $HOST, headers => spoof_headers());
    family_is($r, {
        'X-Forwarded-For'   => '127.0.0.1',
        'X-Real-IP'         => '127.0.0.1',
        'X-Forwarded-Proto' => 'http',
        'X-Forwarded-Host'  => $HOST,
        'X-Forwarded-Port'  => $r->{port},
    }, 'enforce, ProxyAddHeaders Off, ProxyReencryptForwarded xff: the module\'s five');
    no_spoof_ok($r, 'enforce, ProxyAddHeaders Off, xff');
}

done_testing();

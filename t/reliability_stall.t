# A backend that accepts TCP and never answers the ClientHello (issue 12),
# with ProxyReencryptHandshakeTimeout 2 and the worker's timeout=30:
#  * one request is answered 502 after about 2 s, not 30, and the log line
#    says reason=handshake detail="timeout";
#  * in a balancer with a good member, the stalled member is put in error:
#    the request that met it gets 502, every other one 200, and the stalled
#    member is not connected to again;
#  * a health-checked stalled member is found by the checks (bounded by the
#    same limit) and taken out before any request meets it.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use Time::HiRes qw(time sleep);
use Time::Local ();

plan skip_all => 'nginx backends not running' unless have_nginx();

sub accepts {
    my $f = nginx_log(shift);
    open my $fh, '<', $f or return ();
    return map { /^accept \d+ at ([\d.]+)/ ? $1 : () } <$fh>;
}

# ---- a single backend
{
    my $port = nginx_port('rel_stall');
    my $mark = log_mark();
    my $t0 = time;
    my $res = fetch('rel_front', '/stall/');
    my $took = time - $t0;
    is($res->code, 502, 'stalled handshake: 502');
    ok($took >= 1.5 && $took < 6, sprintf('answered after the 2 s handshake limit, not the '
                                          . 'worker\'s 30 s (%.1f s)', $took));
    like(wait_log($mark, qr/PRE1010: refused backend https:\/\/localhost:$port\b/) // '',
         qr/reason=handshake; no peer certificate; detail="timeout"/,
         'logged: reason=handshake, detail="timeout"');
    # the connection is not left open: the next request is bounded too
    $t0 = time;
    is(fetch('rel_front', '/stall/')->code, 502, 'a second request: 502 as well');
    ok(time - $t0 < 6, 'bounded as well');
}

# ---- audit with the limit written down: applied, stock's answer (500)
{
    my $port = nginx_port('rel_stall');
    my $mark = log_mark();
    my $t0 = time;
    my $code = fetch('rel_audit_limit', '/stall/')->code;
    my $took = time - $t0;
    is($code, 500, 'audit, limit written down: the handshake failure is stock\'s (500)');
    ok($took >= 1.5 && $took < 6, sprintf('bounded by the written-down limit (%.1f s)', $took));
    like(wait_log($mark, qr/PRE1010: .*backend https:\/\/localhost:$port\b/) // '',
         qr/refused by mod_ssl .*reason=handshake.*detail="timeout"/,
         'logged as refused by mod_ssl, detail="timeout"');
}

# ---- a balancer: the stalled member is put in error, the good one serves
{
    my $port = nginx_port('rel_stall2');
    my $before = () = accepts('rel_stall2');
    my $mark = log_mark();
    my (@codes, @took);
    for (1 .. 8) {
        my $t0 = time;
        push @codes, fetch('rel_front', '/bal/')->code;
        push @took, time - $t0;
    }
    note("codes: @codes; seconds: " . join(' ', map { sprintf '%.1f', $_ } @took));
    my @bad = grep { $codes[$_] != 200 } 0 .. $#codes;
    is(scalar(@bad), 1, 'exactly one request (the one that met the stalled member) fails');
    is(@bad ? $codes[$bad[0]] : 0, 502, 'that request: 502');
    ok(@bad && $took[$bad[0]] < 6, 'within the handshake limit');
    ok(!grep({ $took[$_] > 1.5 } grep { $codes[$_] == 200 } 0 .. $#codes),
       'the others were served at once');
    my $after = () = accepts('rel_stall2');
    is($after - $before, 1, 'the member in error is not connected to again (retry=60)');
    like(wait_log($mark, qr/PRE1010: refused backend https:\/\/localhost:$port\b/) // '',
         qr/reason=handshake.*detail="timeout"/, 'the member\'s refusal: detail="timeout"');
}

# ---- health checks: bounded by the same limit, the member taken out
{
    my $port = nginx_port('rel_stall_hc');
    my $line = wait_log(0, qr/PRE1010: refused backend https:\/\/localhost:$port\b.*health check/, 15);
    like($line // '', qr/reason=handshake.*detail="timeout"/,
         'the health check of the stalled member is refused: detail="timeout"');
    my ($first) = accepts('rel_stall_hc');
    my %mon = (Jan => 0, Feb => 1, Mar => 2, Apr => 3, May => 4, Jun => 5, Jul => 6,
               Aug => 7, Sep => 8, Oct => 9, Nov => 10, Dec => 11);
    my $logged;
    if (($line // '') =~ /^\[\w+ (\w+) (\d+) (\d+):(\d+):(\d+)(\.\d+)? (\d+)\]/) {
        # the error log is in local time; so is the arithmetic below
        $logged = Time::Local::timelocal($5, $4, $3, $2, $mon{$1}, $7) + ($6 || 0);
    }
    ok(defined $first && defined $logged && $logged - $first >= 1.5 && $logged - $first < 6,
       sprintf('the stalled check ended about the limit after it began (%.1f s)',
               defined $first && defined $logged ? $logged - $first : -1));
    sleep 1;
    my (@codes, $slow);
    for (1 .. 6) {
        my $t0 = time;
        push @codes, fetch('rel_front', '/hc/')->code;
        $slow++ if time - $t0 > 1.5;
    }
    note("codes: @codes");
    is(scalar(grep { $_ == 200 } @codes), 6, 'every request served by the good member');
    ok(!$slow, 'none waited on the stalled member');
}
done_testing();

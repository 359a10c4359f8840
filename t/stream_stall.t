# tls mode (ProxyReencryptStream tls) and a backend that accepts TCP and
# never answers the ClientHello (build/hostile_backend.pl stall, nginx.sh
# rel_stall_st). The backend handshake is bounded by
# ProxyReencryptHandshakeTimeout (2 s here) as for HTTP, not by the
# stream's own timeouts (connect 20, idle 600):
#  * the client is closed after about 2 s, not 20; the log line says
#    reason=handshake detail="timeout"; the backend's status row counts a
#    refusal (handshake), the stream's counters a skipped backend;
#  * a good backend after the stalled one serves the client;
#  * audit with the limit written down: bounded the same way;
#  * audit without it: the SPEC's default does not apply (as for HTTP), the
#    stream's connect timeout (3 s) bounds the handshake as before.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use JSON::PP ();
use lib 't/lib';
use MPR::Test;
use MPR::Stream;
use Time::HiRes qw(time sleep);

plan skip_all => 'nginx backends not running' unless have_nginx();

my $port = nginx_port('rel_stall_st');

sub accepts {
    open my $fh, '<', nginx_log('rel_stall_st') or return 0;
    return scalar grep { /^accept \d+ at / } <$fh>;
}

# The module's status row of the stalled backend for a stream vhost.
sub row {
    my ($vhost) = @_;
    my $res = fetch('stream_status', '/reencrypt-status?json');
    my $doc = eval { JSON::PP->new->decode($res->decoded_content) } || {};
    my $vp = vhost_port($vhost);
    my ($r) = grep { $_->{backend} eq "tls://127.0.0.1:$port" && $_->{vhost} =~ /:$vp$/ }
              @{ $doc->{backends} || [] };
    return $r;
}

# mod_status's stream counters of a vhost: (vhost counters, backend 0 of route 0).
sub auto {
    my ($vhost) = @_;
    my $vp = vhost_port($vhost);
    my $auto = fetch('stream_status', '/server-status?auto')->decoded_content // '';
    my ($n, $st) = $auto =~ /^ProxyReencryptStream(\d+): (vhost=\S+:$vp mode=tls .*)$/m;
    my ($be) = defined $n ? $auto =~ /^ProxyReencryptStream${n}Route0Backend0: (.*)$/m : ();
    return ({ ($st // '') =~ /(\w+)=(\d+)/g }, { ($be // '') =~ /(\w+)=(\d+)/g });
}

# ---- enforce: the client is closed once the limit has passed
{
    my ($v0, $b0) = auto('stream_stall');
    my $before = accepts();
    my $mark = log_mark();
    my $took = closed_within('stream_stall', "line\n", 15);
    ok(defined $took && $took >= 1.5 && $took < 8,
       sprintf('closed after the 2 s handshake limit, not the 20 s connect timeout (%s s)',
               defined $took ? sprintf('%.1f', $took) : 'still open after 15'));
    is(accepts() - $before, 1, 'the backend was connected to: the handshake stalled, not the connect');
    my $line = wait_log($mark, qr/PRE1010: .*stream backend tls:\/\/127\.0\.0\.1:$port\b/, 5);
    like($line // '', qr/PRE1010: refused\b.* stream backend .*reason=handshake; no peer certificate; detail="timeout"/,
         'logged: refused, reason=handshake, detail="timeout"');
    my $r = row('stream_stall');
    ok($r && $r->{handshakes}{refused}{handshake} >= 1 && $r->{handshakes}{refused_total} >= 1
       && $r->{last}{verdict} eq 'refused' && $r->{last}{reason} eq 'handshake',
       'the status row counts the refusal (handshake)')
        or diag(explain($r));
    my ($v1, $b1) = auto('stream_stall');
    is(($b1->{skipped} // 0) - ($b0->{skipped} // 0), 1, 'mod_status: the backend skipped once');
    is(($v1->{closed_no_backend} // 0) - ($v0->{closed_no_backend} // 0), 1,
       'mod_status: the stream closed with no backend left');
}

# ---- a good backend after the stalled one
{
    my $elog = nginx_log('st_echo');
    my $before = line_count($elog);
    my $t0 = time;
    is(echo('stream_stall_failover', "after the stall\n"), "after the stall\n",
       'failover: the next backend serves the client');
    my $took = time - $t0;
    ok($took >= 1.5 && $took < 8, sprintf('... once the 2 s limit has passed (%.1f s)', $took));
    ok(wait_new_line($elog, $before, qr/bytes=16$/), 'the good backend received the bytes');
}

# ---- audit, the limit written down: applied
{
    my $mark = log_mark();
    my $took = closed_within('stream_stall_audit', "line\n", 15);
    ok(defined $took && $took >= 1.5 && $took < 8,
       sprintf('audit, limit written down: closed after about 2 s (%s s)',
               defined $took ? sprintf('%.1f', $took) : 'still open after 15'));
    like(wait_log($mark, qr/PRE1010: .*stream backend tls:\/\/127\.0\.0\.1:$port\b/, 5) // '',
         qr/reason=handshake;.*detail="timeout"/, 'audit: logged, reason=handshake, detail="timeout"');
    my $r = row('stream_stall_audit');
    ok($r && $r->{handshakes}{refused}{handshake} >= 1, 'audit: the status row counts the refusal')
        or diag(explain($r));
}

# ---- audit, not written down: the default does not apply; connect (3 s) does
{
    my $mark = log_mark();
    my $took = closed_within('stream_stall_audit_default', "line\n", 15);
    ok(defined $took && $took >= 2.5 && $took < 9,
       sprintf('audit, no limit written: bounded by the stream\'s connect timeout, 3 s (%s s)',
               defined $took ? sprintf('%.1f', $took) : 'still open after 15'));
    like(wait_log($mark, qr/PRE1010: .*stream backend tls:\/\/127\.0\.0\.1:$port\b/, 5) // '',
         qr/reason=handshake;.*detail="timeout"/, 'logged: detail="timeout"');
}

done_testing();

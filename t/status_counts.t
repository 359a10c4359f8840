# The status handler's counts are shared by every child and survive a
# graceful restart (issue 5).  The st_count front (t/conf/status.conf.in)
# proxies /good/ and /expired/ with disablereuse=On, so every request is one
# TLS handshake; requests are sent from several concurrent clients without
# keep-alive so that they spread over several children of the event MPM.
# The JSON (JSON::PP) and Prometheus (a strict parser of the text format
# below, and `promtool check metrics` when installed) must give exactly the
# number of requests sent; so must mod_status's section (?auto).
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use MPR::Status;

my $N = 40;             # requests to each backend
my $MORE = 10;          # after the graceful restart
my $WORKERS = 10;       # concurrent clients

my $good_port = vhost_port('st_good');
my $exp_port  = vhost_port('st_expired');
my $vport     = vhost_port('st_count');
my $good_re   = qr{^https://localhost:$good_port/?$};
my $exp_re    = qr{^https://localhost:$exp_port/?$};
my $vhost_re  = qr{^st-count:$vport$};
my $plabels_good = { backend => $good_re, vhost => $vhost_re };
my $plabels_exp  = { backend => $exp_re, vhost => $vhost_re };
my $front_log = Apache::Test::vars('t_logs') . '/st_count.log';

# ---------------------------------------------------------------- before
my $j0 = status_json('st_count');
my ($g0) = backend_entry($j0, $good_re, $vhost_re);
my ($e0) = backend_entry($j0, $exp_re, $vhost_re);
ok($g0 && $e0, 'both st_count backends are listed before any traffic (static backends)')
    or diag(explain([map { "$_->{backend} $_->{vhost}" } @{ $j0->{backends} }]));
is(($g0 // {})->{handshakes}{ok}, 0, 'good backend: no handshake yet');
is(($e0 // {})->{handshakes}{refused_total}, 0, 'refused backend: no handshake yet');
is(($g0 // {})->{last}, undef, 'good backend: "last" is null before any handshake');

# ---------------------------------------------------------------- traffic
my $flines = line_count($front_log);
my $glines = line_count(Apache::Test::vars('t_logs') . '/st_good.log');
my @gc = parallel_fetch('st_count', '/good/', $N, $WORKERS);
my @ec = parallel_fetch('st_count', '/expired/', $N, $WORKERS);
is(scalar(grep { $_ == 200 } @gc), $N, "$N requests to the good backend: all 200")
    or diag("@gc");
is(scalar(grep { $_ == 502 } @ec), $N, "$N requests to the expired backend: all 502")
    or diag("@ec");
wait_lines($front_log, $flines + 2 * $N, 5);
my %pids;
if (open my $fh, '<', $front_log) {
    my @l = <$fh>;
    $pids{$_}++ for map { /pid=(\d+)/ ? $1 : () } @l[$flines .. $#l];
}
cmp_ok(scalar(keys %pids), '>=', 2, 'the requests were served by several children')
    or diag(explain(\%pids));
diag(sprintf '%d requests over %d children: %s', 2 * $N, scalar(keys %pids),
     join ', ', map { "pid $_: $pids{$_}" } sort keys %pids);
is(wait_lines(Apache::Test::vars('t_logs') . '/st_good.log', $glines + $N, 5), $glines + $N,
   'the good backend application was reached once per request');

# counts_ok(LABEL, OK, EXPIRED): JSON, Prometheus and mod_status agree
sub counts_ok {
    my ($what, $ok, $expired) = @_;
    my $j = status_json('st_count');
    my @g = backend_entry($j, $good_re, $vhost_re);
    my @e = backend_entry($j, $exp_re, $vhost_re);
    is(scalar(@g) . ' ' . scalar(@e), '1 1', "$what: JSON: one entry per backend");
    my ($g, $e) = ($g[0] // {}, $e[0] // {});
    is($g->{handshakes}{ok}, $ok, "$what: JSON: good backend ok = $ok");
    is($g->{handshakes}{refused_total} + $g->{handshakes}{audit_total}, 0,
       "$what: JSON: good backend never refused");
    is($e->{handshakes}{refused}{expired}, $expired, "$what: JSON: refused{expired} = $expired");
    is($e->{handshakes}{refused_total}, $expired, "$what: JSON: refused_total = $expired (no other reason)");
    is($e->{handshakes}{ok}, 0, "$what: JSON: expired backend ok = 0");

    my ($text, $res) = status_text('st_count', '?prometheus');
    my $p = prom_parse($text);
    is(prom_value($p, 'proxy_reencrypt_handshakes_total',
                  { %$plabels_good, result => 'ok', reason => 'none' }),
       $ok, "$what: Prometheus: good backend result=ok = $ok");
    is(prom_value($p, 'proxy_reencrypt_handshakes_total',
                  { %$plabels_exp, result => 'refused', reason => 'expired' }),
       $expired, "$what: Prometheus: expired backend result=refused,reason=expired = $expired");
    my $other = 0;
    $other += $_ for prom_value($p, 'proxy_reencrypt_handshakes_total',
                                { %$plabels_exp, result => qr/^(?:refused|audit)$/,
                                  reason => qr/^(?!expired$)/ });
    is($other, 0, "$what: Prometheus: no other reason counted for the expired backend");

    my ($auto) = status_text('st_count', '?auto', '/st-server-status');
    my ($line_g) = $auto =~ m{^(ProxyReencryptBackend\d+: backend=https://localhost:$good_port/? vhost=st-count:$vport .*)$}m;
    my ($line_e) = $auto =~ m{^(ProxyReencryptBackend\d+: backend=https://localhost:$exp_port/? vhost=st-count:$vport .*)$}m;
    like($line_g // '', qr/ ok=$ok refused=0 audit=0 /, "$what: mod_status ?auto: good backend ok=$ok")
        or diag($line_g // $auto);
    like($line_e // '', qr/ ok=0 refused=$expired audit=0 .*last=refused reason=expired/,
         "$what: mod_status ?auto: expired backend refused=$expired, last refused: expired")
        or diag($line_e // $auto);
    return $j;
}

my $j1 = counts_ok('after traffic', $N, $N);

# ---------------------------------------------------------------- JSON structure
{
    my $j = $j1;
    like($j->{now}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'JSON: now is an ISO 8601 UTC time');
    ok($j->{now_unix} =~ /^\d+$/ && abs($j->{now_unix} - time) < 60, 'JSON: now_unix is now');
    ok($j->{since_unix} =~ /^\d+$/ && $j->{since_unix} <= $j->{now_unix}, 'JSON: since_unix <= now_unix');
    ok($j->{slots} =~ /^\d+$/ && $j->{slots} >= @{ $j->{backends} }, 'JSON: slots >= backends');
    is($j->{dropped}, 0, 'JSON: nothing dropped');
    my $reasons = join ' ', sort qw(plaintext untrusted expired not-yet-valid expiring
                                    name-mismatch depth pin-mismatch revoked ocsp protocol
                                    no-certificate handshake);
    my @bad;
    for my $b (@{ $j->{backends} }) {
        my $w = "$b->{backend} ($b->{vhost})";
        push @bad, "$w: keys" unless join(' ', sort keys %$b) eq
            'backend configured handshakes last peer policy resumed vhost';
        push @bad, "$w: policy $b->{policy}" unless $b->{policy} =~ /^(off|audit|enforce)$/;
        push @bad, "$w: configured" unless JSON::PP::is_bool($b->{configured});
        for my $kind (qw(refused audit)) {
            push @bad, "$w: $kind reasons" unless join(' ', sort keys %{ $b->{handshakes}{$kind} }) eq $reasons;
        }
        if (defined $b->{last}) {
            push @bad, "$w: last.verdict" unless $b->{last}{verdict} =~ /^(ok|refused|audit)$/;
            push @bad, "$w: last.time_unix" unless $b->{last}{time_unix} =~ /^\d+$/;
        }
        if (defined $b->{peer}) {
            push @bad, "$w: peer keys" unless join(' ', sort keys %{ $b->{peer} }) eq
                'chain_not_after chain_not_after_unix days_left expiring fingerprint_sha256 issuer '
                . 'not_after not_after_unix pin sans seen serial subject';
        }
    }
    is("@bad", '', 'JSON: every backend has the documented structure');
    my ($g) = backend_entry($j, $good_re, $vhost_re);
    my ($e) = backend_entry($j, $exp_re, $vhost_re);
    ok($g->{configured} && $g->{policy} eq 'enforce', 'JSON: good backend: static, enforce');
    is($g->{last}{verdict}, 'ok', 'JSON: good backend: last verdict ok');
    is($g->{last}{reason}, undef, 'JSON: good backend: last reason null');
    like($g->{last}{protocol} // '', qr/^TLSv1\.[23]$/, 'JSON: good backend: protocol');
    ok(($g->{last}{cipher} // '') ne '', 'JSON: good backend: cipher');
    like($g->{peer}{subject} // '', qr/CN\s*=\s*good/, 'JSON: good backend: peer subject');
    like($g->{peer}{sans} // '', qr/localhost/, 'JSON: good backend: SANs name localhost');
    like($g->{peer}{pin} // '', qr/^\S+$/, 'JSON: good backend: SPKI pin');
    ok(($g->{peer}{days_left} // 0) >= 362 && $g->{peer}{days_left} <= 365,
       "JSON: good backend: days_left ~363 ($g->{peer}{days_left})");
    ok(!$g->{peer}{expiring}, 'JSON: good backend: not expiring');
    is($e->{last}{verdict}, 'refused', 'JSON: expired backend: last verdict refused');
    is($e->{last}{reason}, 'expired', 'JSON: expired backend: last reason expired');
    is($e->{peer}{days_left}, -35, 'JSON: expired backend: days_left -35');
    my $ago = ($j->{now_unix} - ($e->{peer}{not_after_unix} // 0)) / 86400;
    ok($ago > 34 && $ago < 36, "JSON: expired backend: not_after is 35 days ago ($e->{peer}{not_after})");
    like($e->{peer}{pin} // '', qr/^\S+$/, 'JSON: expired backend: SPKI pin of the refused certificate');
    like($e->{peer}{sans} // '', qr/localhost/, 'JSON: expired backend: SANs of the refused certificate');
    ok($e->{peer}{expiring}, 'JSON: expired backend: flagged (expiring or expired)');
    # the default page shows st-count's backends only (issue 9): look at
    # every vhost's through ProxyReencryptStatusScope all
    my ($atext) = status_text('st_count', '?json', '/st-status-all');
    my $all = JSON::PP->new->decode($atext);
    my ($gall) = backend_entry($all, $good_re, $vhost_re);
    is(($gall // {})->{handshakes}{ok}, $N, 'JSON (scope all): the same count for st-count');
    my ($gbad) = grep { $_->{backend} =~ $good_re && $_->{vhost} !~ $vhost_re
                        && $_->{vhost} =~ /^st-/ && $_->{handshakes}{ok} } @{ $all->{backends} };
    ok(!$gbad, 'JSON (scope all): counts are per front vhost (other st_ fronts unaffected)');
}

# ---------------------------------------------------------------- Prometheus
{
    my ($text, $res) = status_text('st_count', '?prometheus');
    like($res->header('Content-Type') // '', qr{^text/plain; version=0\.0\.4}, 'Prometheus: content type');
    my $p = prom_parse($text);
    is(join("\n", @{ $p->{errors} }), '', 'Prometheus: every line matches the exposition grammar, HELP and TYPE for every metric');
    cmp_ok(scalar(@{ $p->{samples} }), '>', 10, 'Prometheus: samples parsed');
    my %types = %{ $p->{type} };
    is($types{proxy_reencrypt_handshakes_total}, 'counter', 'Prometheus: handshakes_total is a counter');
    is($types{proxy_reencrypt_resumed_total}, 'counter', 'Prometheus: resumed_total is a counter');
    my $rem = prom_value($p, 'proxy_reencrypt_peer_cert_remaining_seconds', $plabels_exp);
    ok(defined $rem && $rem < -34 * 86400 && $rem > -37 * 86400,
       'Prometheus: expired backend remaining_seconds ~ -35 days') or diag($rem);
    is(prom_value($p, 'proxy_reencrypt_backend_info', { %$plabels_good, policy => 'enforce', kind => 'static' }),
       1, 'Prometheus: backend_info of the good backend');

    # label values: the parser undoes exactly \\ \" \n
    my $q = prom_parse(qq{# HELP m h\n# TYPE m gauge\nm{a="x\\"y\\\\z\\n"} 1\n});
    is($q->{samples}[0]{labels}{a}, qq{x"y\\z\n}, 'Prometheus parser: unescapes label values');
    my $bad = prom_parse(qq{# HELP m h\n# TYPE m gauge\nm{a="x"y"} 1\nn 2\nm{a="\\t"} 1\n});
    my $errs = join "\n", @{ $bad->{errors} };
    ok($errs =~ /line 3: not a sample/ && $errs =~ /line 4: n has no HELP/
       && $errs =~ /line 4: n has no TYPE/ && $errs =~ /line 5: not a sample/,
       'Prometheus parser: refuses bad quoting, a metric without HELP/TYPE, a bad escape')
        or diag($errs);

  SKIP: {
        my $promtool = (grep { -x "$_/promtool" } split /:/, $ENV{PATH} // '')[0];
        skip 'promtool not installed (Debian package "prometheus"; build/deps.sh should install it)', 1
            unless $promtool;
        my $f = Apache::Test::vars('t_logs') . '/st_metrics.prom';
        open my $fh, '>', $f or die "$f: $!";
        print $fh $text;
        close $fh;
        my $out = `$promtool/promtool check metrics < $f 2>&1`;
        is($? >> 8, 0, 'promtool check metrics: no error, no lint problem') or diag($out);
    }
}

# ---------------------------------------------------------------- mod_status
{
    my ($html, $res) = status_text('st_count', '', '/st-server-status');
    ok($res->is_success && $html =~ /Proxy re-encryption \(mod_proxy_reencrypt\)/,
       '/server-status (HTML) has the module section');
    my ($auto) = status_text('st_count', '?auto', '/st-server-status');
    my ($n) = $auto =~ /^ProxyReencryptBackends: (\d+)$/m;
    my @lines = $auto =~ /^(ProxyReencryptBackend\d+: .*)$/mg;
    ok(defined $n && $n == @lines && $n == @{ $j1->{backends} },
       '/server-status?auto: ProxyReencryptBackends: N, then N backend lines (as many as in JSON)')
        or diag($auto);
}

# ---------------------------------------------------------------- graceful restart
my ($old, $new) = eval { graceful_restart('st_count') };
ok($new, 'graceful restart (SIGUSR1): the server answers again, with new children')
    or diag($@);
diag(sprintf 'children before: %s; after: %s', "@{ $old || [] }", "@{ $new || [] }");

my $j2 = counts_ok('after a graceful restart', $N, $N);
is($j2->{since_unix}, $j1->{since_unix}, 'after a graceful restart: "since" is unchanged');

@gc = parallel_fetch('st_count', '/good/', $MORE, 5);
@ec = parallel_fetch('st_count', '/expired/', $MORE, 5);
is(join(' ', @gc, @ec), join(' ', (200) x $MORE, (502) x $MORE),
   "after the restart: $MORE more to each backend, 200 and 502");
counts_ok("after the restart + $MORE", $N + $MORE, $N + $MORE);

done_testing();

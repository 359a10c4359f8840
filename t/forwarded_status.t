# Per-vhost counters of forwarded headers (issue 10), on the status page
# (HTML, ?json, ?prometheus), from the fws_* fronts of
# t/conf/forwarded_status.conf.in:
#  * fws_enforce: spoofed family headers from an untrusted client are
#    stripped and counted per header family (result "stripped");
#  * fws_audit: the same under audit are counted as "would strip" (result
#    "audit") and reach the backend unchanged;
#  * fws_trusted: malformed X-Forwarded-For / Forwarded lists from a trusted
#    proxy (the walk stopped at a malformed element) and X-Forwarded-Proto/
#    -Host/-Port values that failed validation are counted; nothing of a
#    trusted proxy counts as stripped;
#  * fws_other (clean requests only) never moves, nor does any vhost for
#    another's traffic; the exact deltas are asserted per vhost and label;
#  * the counters survive a graceful restart.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use MPR::Fwd;
use MPR::Status qw(status_text status_json prom_parse prom_value graceful_restart);

my $HOST = 'www.example.test';
my @FRONTS = qw(fws_enforce fws_audit fws_trusted fws_other);
# (not map: the first Apache::Test::vars call reads its config through $_,
# which map would alias to @FRONTS)
my %VH;
for my $n (@FRONTS) {
    (my $s = $n) =~ tr/_/-/;
    $VH{$n} = "$s:" . vhost_port($n);
}

my @HEADERS = qw(x-forwarded-for x-forwarded-proto x-forwarded-host x-forwarded-port
                 x-forwarded-server x-forwarded-other forwarded x-real-ip x-client-ip
                 client-ip true-client-ip x-cluster-client-ip cf-connecting-ip
                 fastly-client-ip x-original-forwarded-for front-end-https x-url-scheme
                 strip-header);
my @LISTS  = qw(x-forwarded-for forwarded);
my @VALUES = qw(x-forwarded-proto x-forwarded-host x-forwarded-port x-real-ip);

# Every counter of every front, from the scope-all page of fws_other (JSON)
# and from Prometheus: {front => {"stripped/LABEL" | "audit/LABEL" |
# "malformed/LABEL" | "invalid/LABEL" => n}}; absent counters are 0.
sub counters_json {
    my $j = eval { status_json('fws_other') } || {};
    my %c;
    for my $f (@FRONTS) {
        my ($e) = grep { $_->{vhost} eq $VH{$f} } @{ $j->{forwarded} || [] };
        for my $k (qw(stripped audit malformed invalid)) {
            $c{$f}{"$k/$_"} = $e->{$k}{$_} for keys %{ ($e && $e->{$k}) || {} };
        }
    }
    return \%c;
}

sub counters_prom {
    my ($text) = status_text('fws_other', '?prometheus');
    my $p = prom_parse($text);
    my %c;
    for my $s (@{ $p->{samples} }) {
        my ($f) = grep { $VH{$_} eq ($s->{labels}{vhost} // '') } @FRONTS or next;
        my $h = $s->{labels}{header} // '';
        if ($s->{name} eq 'proxy_reencrypt_forwarded_untrusted_headers_total') {
            $c{$f}{"$s->{labels}{result}/$h"} += $s->{value};
        }
        elsif ($s->{name} eq 'proxy_reencrypt_forwarded_malformed_total') {
            $c{$f}{"malformed/$h"} += $s->{value};
        }
        elsif ($s->{name} eq 'proxy_reencrypt_forwarded_invalid_total') {
            $c{$f}{"invalid/$h"} += $s->{value};
        }
    }
    return (\%c, $p, $text);
}

# deltas_is(BEFORE, AFTER, {front => {key => n}}, LABEL): every counter of
# every front moved by exactly the given amount (0 when not given)
sub deltas_is {
    my ($b, $a, $want, $what) = @_;
    my @bad;
    for my $f (@FRONTS) {
        my %keys = map { $_ => 1 } keys %{ $b->{$f} || {} }, keys %{ $a->{$f} || {} },
                   keys %{ $want->{$f} || {} };
        for my $k (sort keys %keys) {
            my $d = ($a->{$f}{$k} // 0) - ($b->{$f}{$k} // 0);
            my $w = $want->{$f}{$k} // 0;
            push @bad, "$f $k: moved by $d, want $w" if $d != $w;
        }
    }
    is(join("\n", @bad), '', $what);
}

# the spoofed headers of one request, and what each counts as (httpd merges
# lines of one name case-insensitively: X-Forwarded-For and x-forwarded-for
# are one header; the underscore spelling is another)
my @SPOOF = (
    [ 'X-Forwarded-For',    '6.6.6.1' ],
    [ 'x-forwarded-for',    '6.6.6.2' ],
    [ 'X_Forwarded_For',    '6.6.6.3' ],
    [ 'X-Real-IP',          '6.6.6.4' ],
    [ 'True-Client-IP',     '6.6.6.5' ],
    [ 'Forwarded',          'for=6.6.6.6' ],
    [ 'X-Forwarded-Prefix', '/spoof' ],
    [ 'X-Forwarded',        'for=6.6.6.7' ],
    [ 'X-Forwarded-Server', 'spoof-server' ],
    [ 'X-Auth-User',        'spoof-admin' ],
);
my %PER_REQ = ('x-forwarded-for' => 2, 'x-real-ip' => 1, 'true-client-ip' => 1,
               'forwarded' => 1, 'x-forwarded-other' => 2, 'x-forwarded-server' => 1,
               'strip-header' => 1);

sub times_per_req {
    my ($kind, $n) = @_;
    return { map { ("$kind/$_" => $n * $PER_REQ{$_}) } keys %PER_REQ };
}

my $N = 3;      # spoofed requests to fws_enforce
my $M = 2;      # spoofed requests to fws_audit

my $bj = counters_json();
my ($bp) = counters_prom();

# --- untrusted, enforce: stripped
for my $i (1 .. $N) {
    my $r = fwd_get('fws_enforce', host => $HOST, headers => \@SPOOF);
    is($r->{code}, 200, "fws_enforce spoofed request $i: 200 from the echo backend");
    no_spoof_ok($r, "fws_enforce spoofed request $i");
}
# clean requests count nothing
is(fwd_get('fws_enforce', host => $HOST)->{code}, 200, 'fws_enforce clean request: 200');

# --- untrusted, audit: would strip; the backend gets them as sent
for my $i (1 .. $M) {
    my $r = fwd_get('fws_audit', host => $HOST, headers => \@SPOOF);
    is($r->{code}, 200, "fws_audit spoofed request $i: 200");
    is_deeply(lines_named($r, 'X-Real-IP'), ['6.6.6.4'],
              "fws_audit spoofed request $i: audit changes nothing (X-Real-IP as sent)");
}

# --- trusted proxy: malformed lists, invalid values
my @TRUSTED = (
    # [headers, what it counts]
    [ [[ 'X-Forwarded-For', 'unknown, 10.1.1.1' ]], { 'malformed/x-forwarded-for' => 1 } ],
    [ [[ 'X-Forwarded-For', '1.2.3.4:99999, 10.1.1.1' ]], { 'malformed/x-forwarded-for' => 1 } ],
    [ [[ 'Forwarded', 'for=_hidden, for=10.1.1.1' ]], { 'malformed/forwarded' => 1 } ],
    [ [[ 'X-Forwarded-For', '1.2.3.4, garbage' ], [ 'Forwarded', 'for=' ]],
      { 'malformed/x-forwarded-for' => 1, 'malformed/forwarded' => 1 } ],
    [ [[ 'X-Forwarded-For', '203.0.113.7' ], [ 'X-Forwarded-Proto', 'ht tp' ],
       [ 'X-Forwarded-Host', 'bad host/x' ], [ 'X-Forwarded-Port', '99999' ]],
      { 'invalid/x-forwarded-proto' => 1, 'invalid/x-forwarded-host' => 1,
        'invalid/x-forwarded-port' => 1 } ],
    [ [[ 'X-Forwarded-Port', '0' ]], { 'invalid/x-forwarded-port' => 1 } ],
    # the nearest hop's value is the one validated (the last element)
    [ [[ 'X-Forwarded-Proto', 'https, bad proto' ]], { 'invalid/x-forwarded-proto' => 1 } ],
    [ [[ 'X-Forwarded-Proto', 'bad proto, https' ]], {} ],
    # good lists and values, and family members a trusted proxy may send
    [ [[ 'X-Forwarded-For', '203.0.113.7, 10.1.1.1' ], [ 'X-Forwarded-Proto', 'https' ],
       [ 'X-Forwarded-Host', 'public.example' ], [ 'X-Forwarded-Port', '443' ],
       [ 'True-Client-IP', '203.0.113.7' ], [ 'Forwarded', 'for=203.0.113.7' ]], {} ],
);
my %want_trusted;
for my $t (@TRUSTED) {
    my $r = fwd_get('fws_trusted', host => $HOST, headers => $t->[0]);
    is($r->{code}, 200, 'fws_trusted ' . join('; ', map { "$_->[0]: $_->[1]" } @{ $t->[0] }) . ': 200');
    $want_trusted{$_} += $t->[1]{$_} for keys %{ $t->[1] };
}

# --- the neighbour: clean requests only
is(fwd_get('fws_other', host => $HOST)->{code}, 200, 'fws_other clean request 1: 200');
is(fwd_get('fws_other', host => $HOST)->{code}, 200, 'fws_other clean request 2: 200');

my %want = (
    fws_enforce => times_per_req('stripped', $N),
    fws_audit   => times_per_req('audit', $M),
    fws_trusted => \%want_trusted,
);
my $aj = counters_json();
deltas_is($bj, $aj, \%want, 'JSON: exact deltas per vhost and header; the others did not move');
my ($ap, $parsed, $text) = counters_prom();
deltas_is($bp, $ap, \%want, 'Prometheus: exact deltas per vhost and header; the others did not move');
is(join("\n", @{ $parsed->{errors} }), '', 'Prometheus: exposition grammar');
is($parsed->{type}{$_}, 'counter', "Prometheus: $_ is a counter")
    for qw(proxy_reencrypt_forwarded_untrusted_headers_total
           proxy_reencrypt_forwarded_malformed_total proxy_reencrypt_forwarded_invalid_total);
ok(!grep({ ($_->{labels}{vhost} // '') eq $VH{fws_other} && $_->{name} =~ /^proxy_reencrypt_forwarded_/ }
         @{ $parsed->{samples} }),
   'Prometheus: a vhost that counted nothing has no forwarded series');

# JSON: every front of the scope-all page has every key, zeros included
{
    my $j = status_json('fws_other');
    my @bad;
    for my $f (@FRONTS) {
        my ($e) = grep { $_->{vhost} eq $VH{$f} } @{ $j->{forwarded} || [] };
        unless ($e) { push @bad, "$f: no entry"; next }
        push @bad, "$f: stripped keys" unless join(' ', sort keys %{ $e->{stripped} }) eq join(' ', sort @HEADERS);
        push @bad, "$f: audit keys" unless join(' ', sort keys %{ $e->{audit} }) eq join(' ', sort @HEADERS);
        push @bad, "$f: malformed keys" unless join(' ', sort keys %{ $e->{malformed} }) eq join(' ', sort @LISTS);
        push @bad, "$f: invalid keys" unless join(' ', sort keys %{ $e->{invalid} }) eq join(' ', sort @VALUES);
    }
    is("@bad", '', 'JSON (scope all): every front, every header, list and value key');
    # scope vhost: a front's own page shows its own vhost only
    my $own = eval { status_json('fws_enforce') } || {};
    is(join(' ', map { $_->{vhost} } @{ $own->{forwarded} || [] }), $VH{fws_enforce},
       "JSON (scope vhost): fws_enforce's page shows its own vhost only");
    my ($ptext) = status_text('fws_enforce', '?prometheus');
    my @vh = map { $_->{labels}{vhost} } grep { $_->{name} =~ /^proxy_reencrypt_forwarded_/ }
             @{ prom_parse($ptext)->{samples} };
    ok(@vh && !grep({ $_ ne $VH{fws_enforce} } @vh),
       "Prometheus (scope vhost): fws_enforce's page has its own vhost's series only");
}

# HTML
{
    my ($html, $res) = status_text('fws_enforce', '');
    ok($res->is_success && $html =~ /<h2>Forwarded headers<\/h2>/, 'HTML: a "Forwarded headers" section');
    my $n = $N * 2;
    like($html, qr{<td>\Q$VH{fws_enforce}\E</td><td[^>]*>[^<]*(?:<br>[^<]*)*\bx-forwarded-for: $n\b},
         "HTML: fws_enforce row shows x-forwarded-for: $n stripped") or diag($html);
    ($html) = status_text('fws_trusted', '');
    like($html, qr{<td>\Q$VH{fws_trusted}\E</td>.*x-forwarded-port: 2}s,
         'HTML: fws_trusted row shows 2 invalid X-Forwarded-Port') or diag($html);
}

# promtool's own check of the page
SKIP: {
    my $promtool = (grep { -x "$_/promtool" } split /:/, $ENV{PATH} // '')[0];
    skip 'promtool not installed', 1 unless $promtool;
    my $f = Apache::Test::vars('t_logs') . '/fws_metrics.prom';
    open my $fh, '>', $f or die "$f: $!";
    print $fh $text;
    close $fh;
    my $out = `$promtool/promtool check metrics < $f 2>&1`;
    is($? >> 8, 0, 'promtool check metrics: no error, no lint problem') or diag($out);
}

# --- a graceful restart keeps them
{
    my ($old, $new) = eval { graceful_restart('fws_other') };
    ok($new, 'graceful restart') or diag($@);
    my $cj = counters_json();
    deltas_is($aj, $cj, {}, 'after a graceful restart: every counter kept');
    my $r = fwd_get('fws_enforce', host => $HOST, headers => [[ 'X-Real-IP', '6.6.6.9' ]]);
    is($r->{code}, 200, 'after the restart: one more spoofed X-Real-IP');
    deltas_is($cj, counters_json(), { fws_enforce => { 'stripped/x-real-ip' => 1 } },
              'after the restart: counting goes on in the same counters');
}

done_testing();

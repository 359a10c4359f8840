# ?prometheus in the exporters' shape, and series that scale:
#  * reason series only once they counted (the good backend has none, the
#    expired one only reason="expired"), every reason in the per-vhost totals;
#  * an idle backend costs at most 5 series and 1 KB;
#  * proxy_reencrypt_ssl_earliest_cert_expiry is the earliest notAfter of
#    leaf and chain; proxy_reencrypt_ssl_last_chain_info carries the leaf's
#    SHA-256 fingerprint, SPKI pin, subject, issuer and serial (as openssl
#    prints them); JSON has them too; build_info has the version;
#  * promtool check metrics passes;
#  * fleet drift: two instances reach one backend (an nginx choosing its
#    certificate by SNI, as nodes of a load balancer mid-rotation would) and
#    the shipped ProxyReencryptFleetDrift rule fires on their two scrapes
#    (promtool test rules); the same certificate on both does not fire it.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use File::Temp qw(tempdir);
use JSON::PP;
use LWP::UserAgent;
use MPR::Run;
use MPR::MiniNginx;
use MPR::Status qw(prom_parse prom_value);

my $pki = Apache::Test::vars('pki');
my $top = Apache::Test::vars('top_dir');
my $exp_port = Apache::Test::vars('nginx_expired_port');
my $promtool = (grep { -x "$_/promtool" } split /:/, $ENV{PATH} // '')[0];
my $ua = LWP::UserAgent->new(timeout => 20, keep_alive => 0);

my $ngx = MPR::MiniNginx->new;
plan skip_all => 'no nginx' unless $ngx;
ok($ngx->start([
    { name => 'a.test', cert => "$pki/good-chain.crt",  key => "$pki/good.key",  body => 'node-a' },
    { name => 'b.test', cert => "$pki/good2-chain.crt", key => "$pki/good2.key", body => 'node-b' },
]), 'nginx with two certificates chosen by SNI');
my $P = $ngx->{port};
my $NIDLE = 50;

sub instance {
    my ($sni) = @_;
    my $idle = join '', map { "    ProxyPass /idle$_/ https://idle$_.invalid:443/\n" } 1 .. $NIDLE;
    return MPR::Run->start(<<"EOC");
<VirtualHost 127.0.0.1:\@port\@>
    ServerName front-$sni
    SSLProxyEngine on
    ProxyReencryptPolicy enforce
    ProxyReencryptCACertificateFile $pki/root.crt
    <Location /st>
        SetHandler proxy-reencrypt-status
    </Location>
    ProxyPass /x/ https://localhost:$P/ disablereuse=On
    <Proxy https://localhost:$P/>
        ProxyReencryptSNI $sni
    </Proxy>
    ProxyPass /exp/ https://localhost:$exp_port/ disablereuse=On retry=0
$idle</VirtualHost>
EOC
}

sub get { my ($h, $path) = @_; return $ua->get("http://127.0.0.1:$h->{port}$path") }

my $A = instance('a.test');
ok($A, 'instance A starts') or diag($MPR::Run::error);
my $B = instance('b.test');
ok($B, 'instance B starts') or diag($MPR::Run::error);
BAIL_OUT('no instance') unless $A && $B;

my @codes = map { get($A, '/x/')->code } 1 .. 3;
is("@codes", '200 200 200', 'A: good backend 200 x3');
@codes = map { get($A, '/exp/')->code } 1 .. 2;
is("@codes", '502 502', 'A: expired backend 502 x2');
is(get($B, '/x/')->code, 200, 'B: good backend 200');

my $textA = get($A, '/st?prometheus')->content;
my $p = prom_parse($textA);
is(join("\n", @{ $p->{errors} }), '', 'A: exposition grammar, HELP and TYPE for every metric');

my $good = qr{^https://localhost:$P/?$};
my $expb = qr{^https://localhost:$exp_port/?$};
my @s = @{ $p->{samples} };
my @g = grep { ($_->{labels}{backend} // '') =~ $good } @s;
is(prom_value($p, 'proxy_reencrypt_handshakes_total', { backend => $good, result => 'ok' }), 3,
   'good backend: result=ok 3');
is(scalar(grep { $_->{name} eq 'proxy_reencrypt_handshakes_total' && $_->{labels}{result} ne 'ok' } @g), 0,
   'good backend: no refused/audit reason series (none counted)');
my @e = grep { ($_->{labels}{backend} // '') =~ $expb && $_->{name} eq 'proxy_reencrypt_handshakes_total'
               && $_->{labels}{result} ne 'ok' } @s;
is(join(',', map { "$_->{labels}{result}/$_->{labels}{reason}=$_->{value}" } @e), 'refused/expired=2',
   'expired backend: only the reason that counted');

my @vt = grep { $_->{name} eq 'proxy_reencrypt_vhost_handshakes_total' } @s;
my $jr = decode_json(get($A, '/st?json')->content);
my @reasons = sort keys %{ $jr->{backends}[0]{handshakes}{refused} // {} };
is(join(' ', sort map { "$_->{labels}{result}/$_->{labels}{reason}" } @vt),
   join(' ', sort('ok/none', map { ("refused/$_", "audit/$_") } @reasons)),
   'per-vhost totals: ok + refused and audit for every reason (' . scalar(@reasons) . ')');
is(prom_value($p, 'proxy_reencrypt_vhost_handshakes_total', { result => 'refused', reason => 'expired' }), 2,
   '... refused/expired = 2');
is(prom_value($p, 'proxy_reencrypt_vhost_handshakes_total', { result => 'ok' }), 3, '... ok = 3');

# idle backends
my %per;
for my $line (split /\n/, $textA) {
    next unless $line =~ /backend="https:\/\/idle(\d+)\.invalid/;
    $per{$1}{series}++;
    $per{$1}{bytes} += length($line) + 1;
}
is(scalar(keys %per), $NIDLE, "$NIDLE idle backends listed");
my ($maxs, $maxb) = (0, 0);
for (values %per) { $maxs = $_->{series} if $_->{series} > $maxs; $maxb = $_->{bytes} if $_->{bytes} > $maxb }
cmp_ok($maxs, '<=', 5, "an idle backend: at most 5 series ($maxs)");
cmp_ok($maxb, '<=', 1024, "an idle backend: at most 1 KB ($maxb bytes)");

# certificate facts against openssl
sub cli { my $o = `openssl x509 -in $_[0] -noout $_[1]`; chomp $o; $o =~ s/^[^=]*=//; return $o }
sub epoch { my $d = cli($_[0], '-enddate'); my $t = `date -d "$d" +%s`; chomp $t; return $t }
my ($leaf_na, $inter_na) = (epoch("$pki/good.crt"), epoch("$pki/inter.crt"));
my $earliest = $leaf_na < $inter_na ? $leaf_na : $inter_na;
is(prom_value($p, 'proxy_reencrypt_ssl_earliest_cert_expiry', { backend => $good }), $earliest,
   'earliest_cert_expiry: the earliest notAfter of leaf and chain');
my ($ci) = grep { $_->{name} eq 'proxy_reencrypt_ssl_last_chain_info' && $_->{labels}{backend} =~ $good } @s;
(my $fp = lc cli("$pki/good.crt", '-fingerprint -sha256')) =~ s/://g;
(my $serial = lc cli("$pki/good.crt", '-serial'));
open my $pf, '<', "$pki/good.pin" or die $!;
chomp(my $pin = <$pf>);
$pin =~ s{^sha256//}{};
is($ci->{labels}{fingerprint_sha256}, $fp, 'last_chain_info: fingerprint_sha256 as openssl');
is($ci->{labels}{spki_sha256}, $pin, 'last_chain_info: spki_sha256 is the pin');
is($ci->{labels}{serial}, $serial, 'last_chain_info: serial');
like($ci->{labels}{subject} // '', qr/CN=good/, 'last_chain_info: subject');
like($ci->{labels}{issuer} // '', qr/Intermediate/, 'last_chain_info: issuer');
is($ci->{value}, 1, '... value 1');
my ($bi) = grep { $_->{name} eq 'proxy_reencrypt_build_info' } @s;
like($bi->{labels}{version} // '', qr/^\d+\.\d+\.\d+$/, 'build_info: version');

my $j = decode_json(get($A, '/st?json')->content);
my ($jg) = grep { $_->{backend} =~ $good } @{ $j->{backends} };
is($jg->{peer}{fingerprint_sha256}, $fp, 'JSON: peer.fingerprint_sha256');
is($jg->{peer}{chain_not_after_unix}, $earliest, 'JSON: peer.chain_not_after_unix');
is($j->{version}, $bi->{labels}{version}, 'JSON: version');

SKIP: {
    skip 'promtool not installed (Debian package "prometheus")', 4 unless $promtool;
    my $dir = tempdir('mpr-prom-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    open my $fh, '>', "$dir/a.prom" or die $!;
    print $fh $textA;
    close $fh;
    my $out = `$promtool/promtool check metrics < $dir/a.prom 2>&1`;
    is($? >> 8, 0, 'promtool check metrics: no error, no lint problem') or diag($out);

    # fleet drift from the two live scrapes
    my $textB = get($B, '/st?prometheus')->content;
    my $q = prom_parse($textB);
    my ($cb) = grep { $_->{name} eq 'proxy_reencrypt_ssl_last_chain_info' && $_->{labels}{backend} =~ $good }
               @{ $q->{samples} };
    isnt($cb->{labels}{fingerprint_sha256}, $ci->{labels}{fingerprint_sha256},
         'B sees another certificate for the same backend');
    my $series = sub {
        my ($inst, $smp) = @_;
        my %l = (%{ $smp->{labels} }, instance => $inst);
        my $ls = join ',', map { my $v = $l{$_}; $v =~ s/(["\\])/\\$1/g; qq{$_="$v"} } sort keys %l;
        return "      - series: '$smp->{name}\{$ls\}'\n        values: '1x30'\n";
    };
    my $rules = "$top/conf/prometheus/proxy_reencrypt.rules.yml";
    my $write = sub {
        my ($file, $sa, $sb, $expect) = @_;
        open my $t, '>', $file or die $!;
        print $t "rule_files:\n  - $rules\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n",
                 $series->('a', $sa), $series->('b', $sb),
                 "    alert_rule_test:\n      - eval_time: 20m\n        alertname: ProxyReencryptFleetDrift\n",
                 $expect
                   ? "        exp_alerts:\n          - exp_labels:\n              severity: warning\n"
                     . "              backend: \"$ci->{labels}{backend}\"\n"
                     . "            exp_annotations:\n              summary: \"Backend $ci->{labels}{backend} "
                     . "presents 2 different certificates across instances "
                     . "(proxy_reencrypt_ssl_last_chain_info).\"\n"
                   : "        exp_alerts: []\n";
        close $t;
    };
    $write->("$dir/drift.yml", $ci, $cb, 1);
    $out = `$promtool/promtool test rules $dir/drift.yml 2>&1`;
    is($? >> 8, 0, 'two instances, two fingerprints: ProxyReencryptFleetDrift fires') or diag($out);
    $write->("$dir/same.yml", $ci, $ci, 0);
    $out = `$promtool/promtool test rules $dir/same.yml 2>&1`;
    is($? >> 8, 0, 'two instances, one fingerprint: it does not fire') or diag($out);
}

$A->stop;
$B->stop;
$ngx->stop;
done_testing();

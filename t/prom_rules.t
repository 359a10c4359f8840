# The shipped alerting rules: promtool check rules, and their unit tests
# (conf/prometheus/proxy_reencrypt.rules.test.yml: expiry window, refusal
# rate, audit would-refuse, fleet drift, a trusted proxy's invalid forwarded
# values; each firing and staying silent).
use strict;
use warnings;
use Apache::Test qw(-withtestmore);

my $top = Apache::Test::vars('top_dir');
my $promtool = (grep { -x "$_/promtool" } split /:/, $ENV{PATH} // '')[0];
plan skip_all => 'promtool not installed (Debian package "prometheus")' unless $promtool;

my $dir = "$top/conf/prometheus";
my $out = `cd $dir && $promtool/promtool check rules proxy_reencrypt.rules.yml 2>&1`;
is($? >> 8, 0, 'promtool check rules') or diag($out);
like($out, qr/SUCCESS: 5 rules found/, '... five rules');
$out = `cd $dir && $promtool/promtool test rules proxy_reencrypt.rules.test.yml 2>&1`;
is($? >> 8, 0, 'promtool test rules: every alert fires when it should and only then') or diag($out);
for my $a (qw(ProxyReencryptCertificateExpiring ProxyReencryptRefusing
              ProxyReencryptAuditWouldRefuse ProxyReencryptFleetDrift
              ProxyReencryptTrustedProxyInvalid)) {
    my $t = do { local (@ARGV, $/) = "$dir/proxy_reencrypt.rules.test.yml"; <> };
    like($t, qr/alertname: $a\n\s+exp_alerts:\n\s+- exp_labels/, "$a has a firing test case");
}
done_testing();

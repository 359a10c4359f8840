# CRL freshness: a CRL past its nextUpdate counts as missing (fail closed):
# the backend is refused (reason=revoked, as OpenSSL's CRL_HAS_EXPIRED is a
# revocation failure) and the log line says the CRL is stale. The same
# backend with a fresh CRL is served; one inside its last day is served
# with a warning.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;

plan skip_all => 'nginx backends not running' unless have_nginx();

my %e = (vhost => 'rev_front', vhost_name => 'rev-front', stack => 'nginx');

served_ok(%e, path => '/crl/fresh/', backend => 'good');
my $l = refused_ok(%e, path => '/crl/stale/', backend => 'good', reason => 'revoked');
like($l // '', qr/CRL is stale \(past its nextUpdate\)/, 'stale CRL: the line says so');


# inside the last day before nextUpdate: served, and a warning
my $mark = log_mark();
served_ok(%e, path => '/crl/soon/', backend => 'good');
my $w = wait_log($mark, qr/PRE1051: CRL file \S*crl-soon\.pem: a CRL reaches its nextUpdate in \d+ minutes/);
ok($w && $w =~ /\[proxy_reencrypt:warn\]/, 'CRL inside its last day: a warning')
    or diag($w // '(no line)');

done_testing();

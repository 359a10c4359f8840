# CRL freshness: a CRL past its nextUpdate counts as missing (fail closed):
# the backend is refused (reason=revoked, as OpenSSL's CRL_HAS_EXPIRED is a
# revocation failure) and the log line says the CRL is stale. The same
# backend with a fresh CRL is served.
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

done_testing();

# Revocation scopes beyond t/revoked.t (front id_front):
#  * CRL file set but ProxyReencryptCARevocationCheck none: revoked 200;
#  * leaf with inter.crl only (the leaf's CRL): revoked 502 reason=revoked,
#    a good leaf 200 (httpd and nginx);
#  * chain with crl-chain.pem: a good chain 200;
#  * chain with inter.crl only: no CRL for the intermediate (the root's is
#    missing) -> fail closed, 502 reason=revoked.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;

my %e = (vhost => 'id_front', vhost_name => 'id-front');

served_ok(%e, path => '/crl/none/', backend => 'revoked');
refused_ok(%e, path => '/crl/leaf/revoked/', backend => 'revoked', reason => 'revoked');
served_ok(%e, path => '/crl/leaf/good/', backend => 'good2');
served_ok(%e, path => '/crl/chain/good/', backend => 'good2');
refused_ok(%e, path => '/crl/chainnoroot/good/', backend => 'good2', reason => 'revoked');
SKIP: {
    skip 'nginx backends not running', 4 unless have_nginx();
    refused_ok(%e, path => '/crl/nleaf/revoked/', stack => 'nginx', backend => 'revoked',
               reason => 'revoked');
}
done_testing();

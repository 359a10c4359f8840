# reason=revoked: with ProxyReencryptCARevocationFile (crl-chain.pem: CRLs
# of the intermediate and the root; check defaults to chain), the revoked
# certificate is refused.  httpd and nginx backends.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;

my %e = (vhost => 'front_enforce', vhost_name => 'front-enforce', reason => 'revoked', backend => 'revoked');
refused_ok(%e, path => '/h/revoked/');
SKIP: {
    skip 'nginx backends not running', 4 unless have_nginx();
    refused_ok(%e, path => '/n/revoked/', stack => 'nginx');
}
done_testing();

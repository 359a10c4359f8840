# ProxyReencryptCARevocationCheck with mod_ssl's CRLs as the only source
# (SSLProxyCARevocationFile, mod_ssl's trust store): start-up accepts it as
# a CRL source, so the check must really use them: a revoked backend is
# refused with reason=revoked, a good one served.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;

refused_ok(vhost => 'rev_modssl', path => '/revoked/', backend => 'revoked',
           reason => 'revoked', vhost_name => 'rev-modssl');
served_ok(vhost => 'rev_modssl', path => '/good/', backend => 'good');
done_testing();

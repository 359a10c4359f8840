# Pin mode with a CRL check (issue 9): trust comes from the pin, and a
# configured revocation check still applies.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;

refused_ok(vhost => 'pol_pincrl', path => '/revoked/', backend => 'revoked',
           reason => 'revoked', vhost_name => 'pol-pincrl');
served_ok(vhost => 'pol_pincrl', path => '/good/', backend => 'good');
done_testing();

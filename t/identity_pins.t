# Pins beyond t/pin.t (t/conf/identity.conf.in, front id_front):
#  * chain mode, key rotation: good and good2 have the same names and
#    different keys, both verify to root.crt. Pins of both leaves: both 200.
#    good's pin only: good 200, good2 (the "switched" key) 502 pin-mismatch.
#  * chain mode with a CA pinned (inter, root): 200; a pin of a CA outside
#    the chain (foreign-root): 502 pin-mismatch.
#  * pin mode with two pins: both self-signed keys 200; nginx self-signed
#    backend with its own pin 200, with the other self-signed key's pin 502.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;

my %e = (vhost => 'id_front', vhost_name => 'id-front');

# chain + pins, key rotation
served_ok(%e, path => '/pin/both/good/', backend => 'good');
served_ok(%e, path => '/pin/both/good2/', backend => 'good2');
served_ok(%e, path => '/pin/one/good/', backend => 'good');
refused_ok(%e, path => '/pin/one/good2/', backend => 'good2', reason => 'pin-mismatch');

# chain + CA pins
served_ok(%e, path => '/pin/inter/', backend => 'good2');
served_ok(%e, path => '/pin/root/', backend => 'good2');
refused_ok(%e, path => '/pin/foreign/', backend => 'good2', reason => 'pin-mismatch');

# pin mode, two pins
served_ok(%e, path => '/pinmode/two/ss/', backend => 'selfsigned');
served_ok(%e, path => '/pinmode/two/ss2/', backend => 'selfsigned2');

SKIP: {
    skip 'nginx backends not running', 8 unless have_nginx();
    served_ok(%e, path => '/pin/ninter/', stack => 'nginx', backend => 'good');
    served_ok(%e, path => '/pinmode/nss/ok/', stack => 'nginx', backend => 'selfsigned');
    refused_ok(%e, path => '/pinmode/nss/other/', stack => 'nginx', backend => 'selfsigned',
               reason => 'pin-mismatch');
}
done_testing();

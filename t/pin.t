# ProxyReencryptVerify pin: a self-signed backend is trusted by its SPKI pin
# alone; another self-signed key (selfsigned2) is refused with
# reason=pin-mismatch.  Without a pin, the self-signed certificate is untrusted.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;

my %e = (vhost => 'front_enforce', vhost_name => 'front-enforce');
served_ok(vhost => 'front_enforce', path => '/pin/ok/', backend => 'selfsigned');
refused_ok(%e, path => '/pin/bad/', backend => 'selfsigned2', reason => 'pin-mismatch');
refused_ok(%e, path => '/h/selfsigned/', backend => 'selfsigned', reason => 'untrusted');
SKIP: {
    skip 'nginx backends not running', 4 unless have_nginx();
    refused_ok(%e, path => '/n/selfsigned/', stack => 'nginx', backend => 'selfsigned', reason => 'untrusted');
}
done_testing();

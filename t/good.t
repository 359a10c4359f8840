# Control: compliant backends are served under enforce, through both TLS
# stacks, and the backend access logs do record a request (so the "not
# reached" assertions elsewhere mean something).
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;

served_ok(vhost => 'front_enforce', path => '/h/good/', backend => 'good');
served_ok(vhost => 'front_enforce', path => '/h/deep4/', backend => 'deep4');
SKIP: {
    skip 'nginx backends not running', 2 unless have_nginx();
    served_ok(vhost => 'front_enforce', path => '/n/good/', stack => 'nginx', backend => 'good');
}
done_testing();

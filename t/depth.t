# reason=depth: ProxyReencryptVerifyDepth (default 4 intermediates).
#  * deep (5 intermediates) under the default: refused; audit: would refuse
#  * deep4 (4 intermediates) under the default: served
#  * deep4 under ProxyReencryptVerifyDepth 3 (front_depth3): refused; audit twin
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;

my %e = (vhost => 'front_enforce', vhost_name => 'front-enforce', reason => 'depth');
my %a = (vhost => 'front_audit',   vhost_name => 'front-audit',   reason => 'depth');

refused_ok(%e, path => '/h/deep/', backend => 'deep');
audit_ok(%a, path => '/h/deep/', backend => 'deep');
served_ok(vhost => 'front_enforce', path => '/h/deep4/', backend => 'deep4');
refused_ok(vhost => 'front_depth3', vhost_name => 'front-depth3', reason => 'depth',
           path => '/h/deep4/', backend => 'deep4');
audit_ok(vhost => 'front_audit_depth3', vhost_name => 'front-audit-depth3', reason => 'depth',
         path => '/h/deep4/', backend => 'deep4');
served_ok(vhost => 'front_depth3', path => '/h/good/', backend => 'good');   # control
SKIP: {
    skip 'nginx backends not running', 7 unless have_nginx();
    refused_ok(%e, path => '/n/deep/', stack => 'nginx', backend => 'deep');
    audit_ok(%a, path => '/n/deep/', stack => 'nginx', backend => 'deep');
}
done_testing();

# reason=name-mismatch: the "wrongname" certificate (SAN wrong.example)
# reached as localhost, and the good certificate (DNS SANs only) reached
# as https://127.0.0.1:PORT/.  Enforce refuses, audit serves + logs.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;

my %e = (vhost => 'front_enforce', vhost_name => 'front-enforce', reason => 'name-mismatch');
my %a = (vhost => 'front_audit',   vhost_name => 'front-audit',   reason => 'name-mismatch');

refused_ok(%e, path => '/h/wrongname/', backend => 'wrongname');
audit_ok(%a, path => '/h/wrongname/', backend => 'wrongname');
refused_ok(%e, path => '/ip/good/', backend => 'good', host => '127.0.0.1');
audit_ok(%a, path => '/ip/good/', backend => 'good', host => '127.0.0.1');
SKIP: {
    skip 'nginx backends not running', 14 unless have_nginx();
    refused_ok(%e, path => '/n/wrongname/', stack => 'nginx', backend => 'wrongname');
    audit_ok(%a, path => '/n/wrongname/', stack => 'nginx', backend => 'wrongname');
    refused_ok(%e, path => '/nip/good/', stack => 'nginx', backend => 'good', host => '127.0.0.1');
    audit_ok(%a, path => '/nip/good/', stack => 'nginx', backend => 'good', host => '127.0.0.1');
}
done_testing();

# reason=untrusted: a certificate from another CA (foreign) under enforce is
# refused (502, backend never reached, PRE1010 line); the audit twin serves
# it and logs "would refuse".  httpd and nginx backends.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;

my %e = (vhost => 'front_enforce', vhost_name => 'front-enforce', reason => 'untrusted', backend => 'foreign');
my %a = (vhost => 'front_audit',   vhost_name => 'front-audit',   reason => 'untrusted', backend => 'foreign');

refused_ok(%e, path => '/h/foreign/');
audit_ok(%a, path => '/h/foreign/');
SKIP: {
    skip 'nginx backends not running', 7 unless have_nginx();
    refused_ok(%e, path => '/n/foreign/', stack => 'nginx');
    audit_ok(%a, path => '/n/foreign/', stack => 'nginx');
}
done_testing();

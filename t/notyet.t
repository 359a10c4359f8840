# reason=not-yet-valid: the "notyet" certificate under enforce is refused (502, backend
# never reached, PRE1010 line with subject/issuer/days_left); the audit twin
# serves it and logs "would refuse".  httpd and nginx backends.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;

my %e = (vhost => 'front_enforce', vhost_name => 'front-enforce', reason => 'not-yet-valid', backend => 'notyet');
my %a = (vhost => 'front_audit',   vhost_name => 'front-audit',   reason => 'not-yet-valid', backend => 'notyet');

refused_ok(%e, path => '/h/notyet/');
audit_ok(%a, path => '/h/notyet/');
SKIP: {
    skip 'nginx backends not running', 7 unless have_nginx();
    refused_ok(%e, path => '/n/notyet/', stack => 'nginx');
    audit_ok(%a, path => '/n/notyet/', stack => 'nginx');
}
done_testing();

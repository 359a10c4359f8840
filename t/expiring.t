# reason=expiring: the "expiring" certificate has 3 days left.
#  * ProxyReencryptExpiry 30 7 (front_expiry): refused, reason=expiring;
#    audit twin (front_audit_expiry): served + "would refuse".
#  * default 30 0 (front_enforce): served, with a warning "expires in".
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;

my %e = (vhost => 'front_expiry', vhost_name => 'front-expiry', reason => 'expiring', backend => 'expiring');
my %a = (vhost => 'front_audit_expiry', vhost_name => 'front-audit-expiry', reason => 'expiring', backend => 'expiring');

refused_ok(%e, path => '/h/expiring/');
audit_ok(%a, path => '/h/expiring/');
served_ok(vhost => 'front_expiry', path => '/h/good/', backend => 'good');   # control

sub warned_ok {
    my ($stack, $path, $port) = @_;
    my $mark = log_mark();
    served_ok(vhost => 'front_enforce', path => $path, stack => $stack, backend => 'expiring');
    my $line = wait_log($mark, qr/localhost:\Q$port\E.*expires in \d+ days/);
    ok($line && $line =~ /\[proxy_reencrypt:warn\]/ && $line =~ /front-enforce:\d+/,
       "$stack expiring under default Expiry 30 0: warning 'expires in'")
        or diag($line // '(no line)');
    my $refused = wait_log($mark, qr/refuse.*localhost:\Q$port\E/, 0.1);
    ok(!$refused, "$stack expiring under default Expiry 30 0: not refused");
}

warned_ok('httpd', '/h/expiring/', vhost_port('backend_expiring'));
SKIP: {
    skip 'nginx backends not running', 11 unless have_nginx();
    refused_ok(%e, path => '/n/expiring/', stack => 'nginx');
    audit_ok(%a, path => '/n/expiring/', stack => 'nginx');
    warned_ok('nginx', '/n/expiring/', nginx_port('expiring'));
}
done_testing();

# IP-addressed backends are verifiable:
#  * https://127.0.0.1:PORT/ with the iponly certificate (iPAddress SAN
#    127.0.0.1 only) is served under enforce (httpd and nginx);
#  * ProxyReencryptExpectName backend.test makes the good2 certificate
#    (DNS SANs only) acceptable when reached by IP.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;

sub no_refusal_ok {
    my ($mark, $port, $what) = @_;
    ok(!wait_log($mark, qr/refuse.*127\.0\.0\.1:\Q$port\E/, 0.2), "$what: no refusal logged");
}

my $mark = log_mark();
served_ok(vhost => 'front_enforce', path => '/ip/iponly/', backend => 'iponly');
no_refusal_ok($mark, vhost_port('backend_iponly'), 'httpd iponly by IP');

$mark = log_mark();
served_ok(vhost => 'front_enforce', path => '/expect/', backend => 'good2');
no_refusal_ok($mark, vhost_port('backend_good2'), 'ExpectName backend.test, good2 by IP');

SKIP: {
    skip 'nginx backends not running', 3 unless have_nginx();
    $mark = log_mark();
    served_ok(vhost => 'front_enforce', path => '/nip/iponly/', stack => 'nginx', backend => 'iponly');
    no_refusal_ok($mark, nginx_port('iponly'), 'nginx iponly by IP');
}
done_testing();

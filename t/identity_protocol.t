# ProxyReencryptMinProtocol against nginx id_tls12 (ssl_protocols TLSv1.2):
#  * TLSv1.3 floor: 502 reason=protocol, nginx never reached;
#  * default and explicit TLSv1.2: 200, REENCRYPT_PROTOCOL TLSv1.2;
#  * TLSv1.3 floor against a TLSv1.3 backend (id_ws): 200, TLSv1.3;
#  * audit + TLSv1.3 floor: 200 and "would refuse ... reason=protocol".
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use MPR::Identity;

plan skip_all => 'nginx backends not running' unless have_nginx();

my %e = (vhost => 'id_front', vhost_name => 'id-front', stack => 'nginx');

# The handshake stops at version negotiation, before the backend sent its
# certificate: the line cannot carry the peer's subject (it says so).
{
    my $log = nginx_log('id_tls12');
    my $before = line_count($log);
    my $mark = log_mark();
    my $fmark = file_mark(front_log());
    my $port = nginx_port('id_tls12');
    my $res = fetch('id_front', '/proto/tls13/');
    is($res->code, 502, 'TLSv1.3 floor vs TLSv1.2-only backend: 502')
        or diag($res->status_line . "\n" . $res->decoded_content);
    my $line = wait_log($mark, qr/PRE1010: refused backend \S*localhost:$port\S* .*reason=protocol\b/);
    ok($line && $line =~ /\[proxy_reencrypt:error\]/ && $line =~ /\(vhost id-front:\d+\)/,
       'TLSv1.3 floor: error_log names backend, vhost, reason=protocol')
        or diag('line: ' . ($line // '(none)'));
    like($line // '', qr/reason=protocol; (?:no peer certificate|subject=)/,
         'TLSv1.3 floor: the line says what it knows of the peer');
    is(line_count($log), $before, 'TLSv1.3 floor: backend application not reached');
    my ($fl) = wait_file_lines(front_log(), $fmark, qr/"GET \/proto\/tls13\/ .* 502 verdict=refused reason=protocol/, 1);
    ok($fl, 'TLSv1.3 floor: front log REENCRYPT_VERDICT refused, REENCRYPT_REASON protocol');
}

my %proto = ('/proto/default/' => ['id_tls12', 'TLSv1.2'],
             '/proto/tls12/' => ['id_tls12', 'TLSv1.2'],
             '/proto/capable13/' => ['id_ws', 'TLSv1.3']);
for my $path (sort keys %proto) {
    my ($b, $p) = @{ $proto{$path} };
    my $mark = file_mark(front_log());
    served_ok(%e, path => $path, backend => $b);
    my ($l) = wait_file_lines(front_log(), $mark, qr/"GET \Q$path\E /, 1);
    like($l // '', qr/verdict=ok .*proto=\Q$p\E/, "$path: front log REENCRYPT_VERDICT ok, REENCRYPT_PROTOCOL $p");
}

audit_ok(vhost => 'id_audit', vhost_name => 'id-audit', stack => 'nginx',
         path => '/proto/tls13/', backend => 'id_tls12', reason => 'protocol');
done_testing();

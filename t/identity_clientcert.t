# ProxyReencryptClientCertificate against nginx id_client (ssl_verify_client
# on, ssl_client_certificate client-ca.crt; answers "client=SUBJECT"):
#  * with the directive in the backend's <Proxy>: 200, nginx saw
#    CN=mpr-front-client;
#  * the same backend from a scope without it: not served (nginx answers
#    400 "No required SSL certificate was sent", relayed by the front);
#  * start-up (apache2 -t): a key that does not match the certificate, and
#    an expired client certificate, are configuration errors.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use MPR::Conf;

SKIP: {
    skip 'nginx backends not running', 5 unless have_nginx();
    my $log = nginx_log('id_client');

    my $before = line_count($log);
    my $res = fetch('id_front', '/cc/with/');
    is($res->code, 200, 'client certificate: 200') or diag($res->status_line . "\n" . $res->decoded_content);
    like($res->decoded_content, qr/^client=.*\bCN=mpr-front-client\b/m,
         'client certificate: nginx saw CN=mpr-front-client') or diag($res->decoded_content);
    is(wait_lines($log, $before + 1), $before + 1, 'client certificate: backend reached once');

    $res = fetch('id_front', '/cc/without/');
    my $code = $res->code;
    my $body = $res->decoded_content // '';
    ok($code != 200 && $body !~ /client=/,
       "no client certificate: not served (status $code)")
        or diag($res->status_line . "\n" . $body);
    # what happens today: nginx completes the handshake and answers 400
    # "No required SSL certificate was sent", which the front relays
    ok(($code == 400 && $body =~ /No required SSL certificate was sent/) || $code == 502,
       "no client certificate: nginx 400 'No required SSL certificate' relayed, or 502 (got $code)")
        or diag($body);
}

my $head = <<'EOT';
    ProxyReencryptPolicy enforce
    ProxyReencryptCACertificateFile @pki@/root.crt
    ProxyPass /cc/ https://localhost:9443/
    <Proxy https://localhost:9443>
EOT
my $tail = "    </Proxy>\n";

my ($rc, $out) = config_test($head
    . "        ProxyReencryptClientCertificate \@pki\@/client-chain.crt \@pki\@/client.key\n" . $tail);
is($rc, 0, 'client-chain.crt + client.key: apache2 -t passes') or diag($out);

($rc, $out) = config_test($head
    . "        ProxyReencryptClientCertificate \@pki\@/client-chain.crt \@pki\@/client-otherkey.key\n" . $tail);
isnt($rc, 0, 'client-chain.crt + client-otherkey.key: start-up fails');
like($out, qr/ProxyReencryptClientCertificate.*does not match|does not match.*ProxyReencryptClientCertificate/s,
     'key mismatch: message names the directive and the mismatch') or diag($out);
like($out, qr/client-otherkey\.key/, 'key mismatch: message names the key file') or diag($out);

($rc, $out) = config_test($head
    . "        ProxyReencryptClientCertificate \@pki\@/client-expired.crt \@pki\@/client-expired.key\n" . $tail);
isnt($rc, 0, 'client-expired: start-up fails');
like($out, qr/ProxyReencryptClientCertificate.*client-expired\.crt.*expired/s,
     'client-expired: message names the directive, the file and "expired"') or diag($out);

# the same check without enforce (default audit): the file is still checked
($rc, $out) = config_test(
      "    ProxyPass /cc/ https://localhost:9443/\n    <Proxy https://localhost:9443>\n"
    . "        ProxyReencryptClientCertificate \@pki\@/client-chain.crt \@pki\@/client-otherkey.key\n" . $tail);
isnt($rc, 0, 'audit (default): key mismatch still fails start-up') or diag($out);

done_testing();

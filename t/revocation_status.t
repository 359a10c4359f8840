# The status page shows what the last staple said (and its responder) and when the CRLs in
# force reach their nextUpdate: per backend in ?json ("ocsp" and
# "crl_next_update" of the last handshake), and as Prometheus gauges
# (proxy_reencrypt_ocsp_next_update_timestamp_seconds with the status,
# proxy_reencrypt_crl_next_update_timestamp_seconds).
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;

plan skip_all => 'nginx backends not running' unless have_nginx();

is(fetch('rev_front', '/ocsp/require/good/')->code, 200, 'a good staple: 200');
is(fetch('rev_front', '/ocsp/staple/none/')->code, 200, 'no staple under staple: 200');
is(fetch('rev_front', '/crl/soon/')->code, 200, 'a CRL inside its last day: 200');

my $json = fetch('rev_front', '/rev-status?json')->decoded_content;
my $good = nginx_port('ocsp_good');
my $none = nginx_port('good');
like($json, qr#"backend": "https://localhost:\Q$good\E/rq-good/"(?:(?!"backend":).)*?"ocsp": \{"status": "good", "next_update": "[^"]+", "responder": "byName: CN=mpr Test OCSP Responder"\}#s,
     'json: the good staple, its nextUpdate and responder (the delegated responder, by name)');
like($json, qr#"backend": "https://localhost:\Q$none\E/st-none/"(?:(?!"backend":).)*?"ocsp": \{"status": "none", "next_update": null, "responder": null\}#s,
     'json: no staple');
like($json, qr#"backend": "https://localhost:\Q$none\E/crl-soon/"(?:(?!"backend":).)*?"crl_next_update": "[^"]+"#s,
     'json: the CRL nextUpdate');

like(fetch('rev_front', '/rev-status')->decoded_content,
     qr#good, nextUpdate [^<]*; responder byName: CN=mpr Test OCSP Responder#,
     'html: the OCSP column names the responder');

my $prom = fetch('rev_front', '/rev-status?prometheus')->decoded_content;
my ($t) = $prom =~ /^proxy_reencrypt_ocsp_next_update_timestamp_seconds\{[^}]*rq-good[^}]*status="good",responder="byName: CN=mpr Test OCSP Responder"\} (\d+)$/m;
ok($t && $t > time + 6 * 86400 && $t < time + 8 * 86400,
   'prometheus: the staple\'s nextUpdate (7 days ahead)') or diag($t // '(none)');
my ($c) = $prom =~ /^proxy_reencrypt_crl_next_update_timestamp_seconds\{[^}]*crl-soon[^}]*\} (\d+)$/m;
ok($c && $c > time && $c < time + 86400, 'prometheus: the CRL nextUpdate (within a day)')
    or diag($c // '(none)');

done_testing();

# Stapled OCSP responses from real nginx backends (ssl_stapling_file),
# ProxyReencryptOCSP staple|require under enforce, and under audit:
#  * a good staple: 200 (TLS 1.3 and TLS 1.2, where the staple comes in
#    CertificateStatus after the certificate);
#  * a revoked staple: 502 reason=revoked, under require and staple;
#  * no staple: 502 reason=ocsp under require (TLS 1.2 and 1.3), 200 under
#    staple;
#  * an expired response (nextUpdate two days ago): 502 reason=ocsp;
#  * a response signed by a responder of another CA: 502 reason=ocsp;
#  * OCSP off: a revoked staple is not looked at (200);
#  * audit: 200 and a "would refuse" line.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;

plan skip_all => 'nginx backends not running' unless have_nginx();

my %e = (vhost => 'rev_front', vhost_name => 'rev-front', stack => 'nginx');

# require
served_ok(%e, path => '/ocsp/require/good/', backend => 'ocsp_good');
served_ok(%e, path => '/ocsp/require/good12/', backend => 'ocsp_good12');
my $l = refused_ok(%e, path => '/ocsp/require/revoked/', backend => 'ocsp_revoked',
                   reason => 'revoked');
like($l // '', qr/OCSP response: revoked/, 'require revoked: the line says the staple was revoked');
refused_ok(%e, path => '/ocsp/require/revoked12/', backend => 'ocsp_revoked12', reason => 'revoked');
$l = refused_ok(%e, path => '/ocsp/require/none/', backend => 'good', reason => 'ocsp');
like($l // '', qr/no stapled OCSP response/, 'require none: the line says no staple');
refused_ok(%e, path => '/ocsp/require/none13/', backend => 'id_ws', reason => 'ocsp');
$l = refused_ok(%e, path => '/ocsp/require/expired/', backend => 'ocsp_expired', reason => 'ocsp');
like($l // '', qr/expired \(nextUpdate in the past\)/, 'require expired: the line says expired');
$l = refused_ok(%e, path => '/ocsp/require/wrongkey/', backend => 'ocsp_wrongkey', reason => 'ocsp');
like($l // '', qr/not verified/, 'require wrong key: the line says not verified');

# staple
served_ok(%e, path => '/ocsp/staple/good/', backend => 'ocsp_good');
refused_ok(%e, path => '/ocsp/staple/revoked/', backend => 'ocsp_revoked', reason => 'revoked');
refused_ok(%e, path => '/ocsp/staple/revoked12/', backend => 'ocsp_revoked12', reason => 'revoked');
served_ok(%e, path => '/ocsp/staple/none/', backend => 'good');
refused_ok(%e, path => '/ocsp/staple/expired/', backend => 'ocsp_expired', reason => 'ocsp');
refused_ok(%e, path => '/ocsp/staple/wrongkey/', backend => 'ocsp_wrongkey', reason => 'ocsp');

# off
served_ok(%e, path => '/ocsp/off/revoked/', backend => 'ocsp_revoked');

# audit: the client sees stock Apache, the log says what enforce would do
my %a = (vhost => 'rev_audit', vhost_name => 'rev-audit', stack => 'nginx');
audit_ok(%a, path => '/ocsp/revoked/', backend => 'ocsp_revoked', reason => 'revoked');
audit_ok(%a, path => '/ocsp/none/', backend => 'good', reason => 'ocsp');

done_testing();

# Audit is stock Apache (issue 9, SPEC "Modes"): with mod_ssl's own checks
# on, what mod_ssl refuses is refused with stock's status (500), logged and
# counted as refused (by mod_ssl), never "would refuse"; an identity written
# down (ProxyReencryptExpectName / ProxyReencryptSNI) is enforced as mod_ssl
# enforces its own name check, never weaker.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;

# what stock mod_ssl answers (policy off): the reference
my $stock_name = fetch('pol_stock', '/wrongname/plain/')->code;
my $stock_exp  = fetch('pol_stock', '/expired/')->code;
is($stock_name, 500, 'stock: mod_ssl refuses a wrong-name backend with 500');
is($stock_exp, 500, 'stock: mod_ssl refuses an expired backend with 500');

my $blog = backend_log('wrongname');
my $before = line_count($blog);
my $mark = log_mark();
is(fetch('pol_audit', '/wrongname/plain/')->code, $stock_name,
   'audit, mod_ssl name check: the same status as stock');
my $l = wait_log($mark, qr/PRE1010: .*backend https:\/\/localhost:\d+\/? \(vhost pol-audit/);
like($l // '', qr/\[proxy_reencrypt:error\] .*PRE1010: refused by mod_ssl backend .*reason=name-mismatch/,
     'audit, mod_ssl refused: logged as refused by mod_ssl with the reason, not "would refuse"')
    or diag($l // 'no line');

$mark = log_mark();
is(fetch('pol_audit', '/wrongname/expect/')->code, $stock_name,
   'audit + ExpectName, wrong-name backend: refused as mod_ssl would (stock status)');
ok(wait_log($mark, qr/PRE1010: refused \(as mod_ssl would\) backend .*reason=name-mismatch/),
   'audit + ExpectName: logged refused, reason=name-mismatch');
is(line_count($blog), $before, 'audit + ExpectName: the wrong-name backend was never reached');

if (have_nginx()) {
    my $nlog = nginx_log('wrongname');
    my $nb = line_count($nlog);
    is(fetch('pol_audit', '/wrongname/sni/')->code, $stock_name,
       'audit + ProxyReencryptSNI, wrong-name backend: refused as mod_ssl would');
    is(line_count($nlog), $nb, 'audit + SNI: the backend application was not reached');
}
else {
    ok(0, 'nginx backends are running') for 1 .. 2;
}

my $res = fetch('pol_audit', '/good/expect/');
is($res->code, 200, 'audit + ExpectName that matches (IP URL): served');

$mark = log_mark();
is(fetch('pol_audit', '/expired/')->code, $stock_exp,
   'audit, mod_ssl refuses an expired backend: the same status as stock');
$l = wait_log($mark, qr/PRE1010: .* \(vhost pol-audit/);
like($l // '', qr/refused by mod_ssl backend .*reason=expired/,
     'audit, expired: logged refused by mod_ssl, reason=expired') or diag($l // 'no line');
unlike($l // '', qr/would refuse/, 'audit, expired: not "would refuse"');
done_testing();

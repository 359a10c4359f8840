# ProxyReencryptRequireTLS on a dynamic target: a RewriteRule [P] to
# http://127.0.0.1:PORT/ is judged per request.  enforce: 502, reason=plaintext,
# the plaintext backend is not reached; audit: served, "would refuse".
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;

my $port = vhost_port('backend_plain');
my $log = backend_log('plain');

my $before = line_count($log);
my $mark = log_mark();
my $res = fetch('front_enforce', '/dyn/x');
is($res->code, 502, 'enforce: plaintext dynamic target -> 502');
my $line = wait_log($mark, qr/refused backend \S*127\.0\.0\.1:$port\S* .*reason=plaintext/);
ok($line && $line =~ /\[proxy_reencrypt:error\]/ && $line =~ /front-enforce:\d+/,
   'enforce: error line names backend, vhost and reason=plaintext') or diag($line // '(none)');
is(line_count($log), $before, 'enforce: plaintext backend not reached');

$before = line_count($log);
$mark = log_mark();
$res = fetch('front_audit', '/dyn/x');
ok($res->code == 200 && $res->decoded_content =~ /^backend=plain$/m, 'audit: served (200)')
    or diag($res->status_line);
$line = wait_log($mark, qr/would refuse backend \S*127\.0\.0\.1:$port\S* .*reason=plaintext/);
ok($line && $line =~ /\[proxy_reencrypt:warn\]/ && $line =~ /front-audit:\d+/,
   'audit: warn line would refuse reason=plaintext') or diag($line // '(none)');
is(wait_lines($log, $before + 1), $before + 1, 'audit: plaintext backend reached once');
done_testing();

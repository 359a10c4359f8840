# ProxyReencryptSNI, observed by nginx servers that answer "sni=<SNI>":
#  * auto, DNS host (https://localhost:P/)   -> sni=localhost
#  * auto, IP host (https://127.0.0.1:P/)    -> no SNI (never an IP literal)
#  * backend.test, IP host                   -> sni=backend.test, while the
#    expected name stays the URL host (iponly cert, IP SAN) -> still 200
#  * off, DNS host                           -> no SNI, name still checked
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;

plan skip_all => 'nginx backends not running' unless have_nginx();

my @cases = (
    ['/auto/',   'sni',   'localhost',    'auto with a DNS host sends that host'],
    ['/autoip/', 'sniip', '',             'auto with an IP host sends no SNI'],
    ['/named/',  'sniip', 'backend.test', 'ProxyReencryptSNI backend.test sends backend.test'],
    ['/off/',    'sni',   '',             'ProxyReencryptSNI off sends no SNI'],
);
for my $c (@cases) {
    my ($path, $server, $sni, $what) = @$c;
    my $log = nginx_log($server);
    my $before = line_count($log);
    my $res = fetch('front_sni', $path);
    is($res->code, 200, "$what: 200") or diag($res->status_line . "\n" . $res->decoded_content);
    is(($res->decoded_content =~ /^sni=(.*)$/m)[0], $sni, "$what: backend saw sni='$sni'");
    is(wait_lines($log, $before + 1), $before + 1, "$what: backend reached once");
}
done_testing();

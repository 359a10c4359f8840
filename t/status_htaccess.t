# The status handler cannot be switched on from .htaccess (issue 9,
# item 7): a tenant with AllowOverride FileInfo writes "SetHandler
# proxy-reencrypt-status" (tenant/), or the same inside <If> (tenant_if/);
# the request is refused with 403 and one error_log line.  The operator's
# <Location> under the same directory is served.  ProxyReencryptStatusScope
# in .htaccess is refused like any directive not allowed there.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;

for my $dir (qw(tenant tenant_if)) {
    my $mark = log_mark();
    my $res = fetch('st_tenant', "/$dir/");
    is($res->code, 403, "$dir/.htaccess: SetHandler proxy-reencrypt-status refused (403)");
    unlike($res->decoded_content // '', qr/Proxy re-encryption status|backends/,
           "$dir/: no status data in the answer");
    my $line = wait_log($mark, qr/PRE0106: .*\.htaccess/);
    ok($line && $line =~ m{/$dir} && $line =~ /\[proxy_reencrypt:error\]/,
       "$dir/: one error line naming the .htaccess directory") or diag($line // '(none)');
}

# ProxyReencryptStatusScope is not an .htaccess directive either
my $mark = log_mark();
is(fetch('st_tenant', '/tenant_scope/index.txt')->code, 500,
   'ProxyReencryptStatusScope in .htaccess: an error (500), as any directive not allowed there');
ok(wait_log($mark, qr/ProxyReencryptStatusScope not allowed here/),
   'ProxyReencryptStatusScope in .htaccess: "not allowed here" in the error log');

my $res = fetch('st_tenant', '/tenant/served');
is($res->code, 200, '<Location> SetHandler proxy-reencrypt-status: served (200)');
like($res->decoded_content // '', qr{<title>Proxy re-encryption status</title>},
     '<Location>: the status page');
done_testing();

# Memory per request on a pooled backend connection shared by scopes (issue
# 9): 2,000 requests alternating two <Proxy> scopes with six pins each, over
# one keep-alive client connection, through a prefork server with exactly
# one child.  The child's resident memory grows by less than 1 MB.
# (Before the policy engine each request copied its scope and built a
# fingerprint in the backend connection's pool: ~46 KB per request.)
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use MPR::Conf;
use MPR::Identity qw(keepalive_ua);
use MPR::Status qw(child_pids);
use File::Temp qw(tempdir);
use IO::Socket::INET;
use Time::HiRes qw(sleep);

# Memory figures mean nothing under AddressSanitizer (its quarantine holds
# freed memory back): build/run-tests.sh MPR_ASAN=1 sets MPR_ASAN for tests.
plan skip_all => 'memory figures under AddressSanitizer' if $ENV{MPR_ASAN};

my $dir = tempdir('mpr-mem-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $pki = Apache::Test::vars('pki');
my $port = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1', LocalPort => 0)->sockport;
# nginx keeps a backend connection for 1,000 requests (keepalive_requests)
my $be = nginx_port('good') or BAIL_OUT('no nginx backends');
my $pins = join ' ', map { Apache::Test::vars("pin_$_") } qw(root inter good good2 expired);
my $pin_a = Apache::Test::vars('pin_revoked');
my $pin_b = Apache::Test::vars('pin_notyet');
my @load = MPR::Conf::load_lines();
my $mods = join '', grep { !/mpm_/ } @load;
my ($prefork) = grep { /mpm_event/ } @load;
$prefork =~ s/mpm_event/mpm_prefork/g;
my $conf = <<"EOF";
ServerRoot $dir
PidFile $dir/httpd.pid
ErrorLog $dir/error_log
LogLevel warn
DefaultRuntimeDir $dir
ServerName localhost
TypesConfig /etc/mime.types
Listen 127.0.0.1:$port
$prefork$mods
StartServers 1
MinSpareServers 1
MaxSpareServers 1
ServerLimit 1
MaxRequestWorkers 1
MaxConnectionsPerChild 0
KeepAlive On
MaxKeepAliveRequests 0
<VirtualHost 127.0.0.1:$port>
    ServerName mem
    SSLProxyEngine on
    ProxyReencryptPolicy enforce
    ProxyReencryptCACertificateFile $pki/root.crt
    ProxyPass /w/ https://localhost:$be/
    ProxyPass /a/ https://localhost:$be/pins-a/
    ProxyPass /b/ https://localhost:$be/pins-b/
    <Proxy https://localhost:$be/pins-a/>
        ProxyReencryptPin $pins $pin_a
    </Proxy>
    <Proxy https://localhost:$be/pins-b/>
        ProxyReencryptPin $pins $pin_b
    </Proxy>
</VirtualHost>
EOF
open my $fh, '>', "$dir/httpd.conf" or die;
print $fh $conf;
close $fh;

my $httpd = Apache::Test::vars('httpd') || '/usr/sbin/apache2';
my $out = `$httpd -f $dir/httpd.conf -k start 2>&1`;
my $pid;
for (1 .. 100) {
    if (open my $p, '<', "$dir/httpd.pid") { $pid = <$p>; last if $pid }
    sleep 0.1;
}
chomp($pid //= '');
my @kids;
for (1 .. 50) { @kids = $pid ? child_pids($pid) : (); last if @kids; sleep 0.1 }
my $child = $kids[0];
ok($pid && $child && @kids == 1, 'a prefork server with one child started')
    or diag($out . (`tail -5 $dir/error_log 2>&1` // ''));
unless ($child) { done_testing(); exit 0 }

sub rss_kb {
    open my $s, '<', "/proc/$child/status" or return -1;
    while (<$s>) { return $1 if /^VmRSS:\s+(\d+)/ }
    return -1;
}
my $ua = keepalive_ua();
my $base = "http://127.0.0.1:$port";
my $ok = 0;
for my $i (1 .. 5) {            # warm up: connections, caches, sessions
    $ok++ if $ua->get("$base/a/?w=$i")->code == 200;
    $ok++ if $ua->get("$base/b/?w=$i")->code == 200;
}
is($ok, 10, 'warm-up: 10 requests served');
my $rss0 = rss_kb();
$ok = 0;
for my $i (1 .. 1000) {
    $ok++ if $ua->get("$base/a/?m=$i")->code == 200;
    $ok++ if $ua->get("$base/b/?m=$i")->code == 200;
}
my $rss1 = rss_kb();
is($ok, 2000, '2,000 requests alternating two six-pin scopes: all served');
is(join(',', child_pids($pid)), $child, 'the same child served them all');
note("child RSS: $rss0 kB -> $rss1 kB");
cmp_ok($rss1 - $rss0, '<', 1024, 'the child\'s RSS grew by less than 1 MB');
kill TERM => $pid if $pid;
for (1 .. 50) { last unless kill 0 => $pid; sleep 0.1 }
done_testing();

# ?prometheus with 10,000 configured (idle) backends: at most 5 series and
# 1 KB per backend, and the page costs under 100 ms: the CPU time the
# module reports for it (proxy_reencrypt_scrape_cpu_seconds; the wall time
# on this shared, loaded test machine is printed, and only bounded loosely).
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use LWP::UserAgent;
use Time::HiRes qw(time);
use MPR::Run;

my $N = 10_000;
my $pki = Apache::Test::vars('pki');
my $pp = join '', map { "    ProxyPass /b$_/ https://b$_.invalid:8443/\n" } 1 .. $N;
my $h = MPR::Run->start(<<"EOC"
<VirtualHost 127.0.0.1:\@port\@>
    ServerName scale.test
    SSLProxyEngine on
    ProxyReencryptPolicy enforce
    ProxyReencryptCACertificateFile $pki/root.crt
    <Location /st>
        SetHandler proxy-reencrypt-status
    </Location>
$pp</VirtualHost>
EOC
, wait => 120);
ok($h, "httpd starts with $N backends") or diag($MPR::Run::error);
unless ($h) { done_testing(); exit }
my $ua = LWP::UserAgent->new(timeout => 60, keep_alive => 1);
my ($best, $text) = (1e9, '');
for (1 .. 3) {
    my $t0 = time;
    my $res = $ua->get("http://127.0.0.1:$h->{port}/st?prometheus");
    my $dt = time - $t0;
    $best = $dt if $dt < $best;
    $text = $res->content;
}
my @lines = grep { /^proxy_reencrypt_\w+\{backend="https:\/\/b\d+\.invalid/ } split /\n/, $text;
my $bytes = 0;
$bytes += length($_) + 1 for @lines;
my %b = map { /backend="https:\/\/b(\d+)\./ ? ($1 => 1) : () } @lines;
is(scalar(keys %b), $N, "all $N backends listed");
cmp_ok(@lines / $N, '<=', 5, sprintf('series per idle backend: %.1f', @lines / $N));
cmp_ok($bytes / $N, '<=', 1024, sprintf('bytes per idle backend: %.0f', $bytes / $N));
my ($cpu) = $text =~ /^proxy_reencrypt_scrape_cpu_seconds ([\d.]+)$/m;
ok(defined $cpu, 'the page reports its CPU time');
cmp_ok(($cpu // 1) * 1000, '<', 100, sprintf('scrape of %d backends: %.1f ms CPU', $N, ($cpu // 1) * 1000));
cmp_ok($best, '<', 2, sprintf('... and %.1f ms wall time, best of 3 (loose bound: shared machine)', $best * 1000));
$h->stop if $h;
done_testing();

# Log hygiene (issue 12): one line per refusal, rate-limited.
#
# A private front (event MPM, exactly one child, so that per-child figures
# are exact; its own error log, so that every line in it belongs to this
# test) proxies to the suite's nginx backends under enforce.
#
# 1. One refusal of each common kind (untrusted, name-mismatch,
#    pin-mismatch, expired, a handshake mod_ssl itself fails, a handshake
#    failure, a plaintext dynamic backend) gives exactly ONE error line from
#    the module, with the reason. mod_proxy's own AH01084/AH01097 follow-ups
#    stay; `LogLevel proxy:crit proxy_http:crit` silences them (README).
# 2. 100 refusals of one backend within about a second, from 8 concurrent
#    clients: at most a couple of PRE1010 lines (one a second per child); a
#    line written a second later carries "(suppressed N similar since ...)"
#    and lines written + suppressed counts = every refusal, exactly. The
#    status counters count all of them.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use MPR::Private;
use JSON::PP;
use LWP::UserAgent;
use POSIX ();
use Time::HiRes qw(sleep time);

plan skip_all => 'nginx backends not running' unless have_nginx();

my $pki = Apache::Test::vars('pki');
my %np = map { $_ => nginx_port($_) } qw(good foreign wrongname expired);
my $pin_other = Apache::Test::vars('pin_selfsigned');
my $bport = vhost_port('backend_foreign');       # httpd backends of the suite
my $qport = vhost_port('backend_selfsigned');

my $s = MPR::Private::httpd(mpm => 'event', threads => 16, ports => 2, body => <<"EOC");
<VirtualHost 127.0.0.1:\@port\@>
    ServerName rel-log
    SSLProxyEngine on
    ProxyReencryptPolicy enforce
    ProxyReencryptCACertificateFile $pki/root.crt
    ProxyPass /untrusted/ https://localhost:$np{foreign}/
    ProxyPass /name/ https://localhost:$np{wrongname}/
    ProxyPass /pin/ https://localhost:$np{good}/pin/
    <Proxy https://localhost:$np{good}/pin/>
        ProxyReencryptPin $pin_other
    </Proxy>
    ProxyPass /expired/ https://localhost:$np{expired}/
    # mod_ssl's own check fails the handshake (audit: stock's refusal)
    ProxyPass /modssl/ https://localhost:$np{expired}/modssl/
    <Proxy https://localhost:$np{expired}/modssl/>
        ProxyReencryptPolicy audit
    </Proxy>
    # TLS to a plain HTTP port: the handshake itself fails
    ProxyPass /handshake/ https://localhost:\@port1\@/
    # a dynamic plaintext target
    RewriteEngine On
    RewriteRule ^/plain/(.*)\$ http://127.0.0.1:\@port1\@/\$1 [P]
    <Location /quiet/>
        ProxyPass https://localhost:$qport/
        LogLevel proxy:crit proxy_http:crit
    </Location>
    ProxyPass /burst/ https://localhost:$bport/
    <Location /st-status>
        SetHandler proxy-reencrypt-status
    </Location>
    ProxyPass /st-status !
</VirtualHost>
<VirtualHost 127.0.0.1:\@port1\@>
    ServerName rel-log-plain
</VirtualHost>
EOC

ok($s->{pid} && $s->{child} && @{ $s->{children} } == 1, 'a private front with one child started')
    or do { diag($s->{out}); diag(`tail -5 ${\ $s->error_log } 2>&1`); done_testing(); exit 0 };

my $ua = LWP::UserAgent->new(timeout => 30, keep_alive => 0);

sub mark { -s $s->error_log || 0 }

sub lines_since {
    my ($mark) = @_;
    open my $fh, '<', $s->error_log or return ();
    seek $fh, $mark, 0;
    return <$fh>;
}

# one request; the error lines it caused (after they settle)
sub refusal_lines {
    my ($path) = @_;
    my $m = mark();
    my $code = $ua->get($s->url($path))->code;
    my @l;
    my $deadline = time + 2;
    do { sleep 0.2; @l = lines_since($m) } until (grep { /\[proxy_reencrypt:/ } @l) || time > $deadline;
    sleep 0.2;
    @l = lines_since($m);
    return ($code, grep { /:(?:error|crit|alert|emerg)\]/ } @l);
}

my @cases = (
    ['/untrusted/', 502, 'untrusted'],
    ['/name/', 502, 'name-mismatch'],
    ['/pin/', 502, 'pin-mismatch'],
    ['/expired/', 502, 'expired'],
    ['/modssl/', 500, 'expired', 'refused by mod_ssl'],
    ['/handshake/', 502, 'handshake'],
    ['/plain/x', 502, 'plaintext'],
);
for my $c (@cases) {
    my ($path, $status, $reason, $word) = @$c;
    my ($code, @err) = refusal_lines($path);
    my @mine = grep { /\[proxy_reencrypt:error\]/ } @err;
    is($code, $status, "$path: $status");
    is(scalar(@mine), 1, "$path: exactly one error line from the module")
        or diag(join '', @err);
    my $w = $word // 'refused';
    like($mine[0] // '', qr/PRE10\d\d: \Q$w\E .*reason=\Q$reason\E\b/,
         "$path: it carries reason=$reason");
}

# mod_proxy's follow-ups stay at their level; LogLevel silences them
{
    my ($code, @err) = refusal_lines('/untrusted/?again');
    ok((grep { /AH01084|AH01097/ } @err), 'mod_proxy\'s own follow-up lines are still there (not patched)')
        or diag(join '', @err);
    ($code, @err) = refusal_lines('/quiet/');
    is($code, 502, '/quiet/: 502');
    is(scalar(@err), 1, 'LogLevel proxy:crit proxy_http:crit: the module\'s line is the only error line')
        or diag(join '', @err);
    like($err[0] // '', qr/PRE1010: refused backend .*reason=untrusted/, '... and it is the PRE1010 line');
}

# ---------------------------------------------------------------- the burst
sub status_refused {
    my $res = $ua->get($s->url('/st-status?json'));
    return -1 unless $res->is_success;
    my $j = JSON::PP->new->decode($res->decoded_content);
    my ($e) = grep { $_->{backend} =~ m{^https://localhost:$bport/?$} } @{ $j->{backends} };
    return $e ? $e->{handshakes}{refused_total} : 0;
}

sleep 1.1;                      # every earlier key's interval is over
my $refused0 = status_refused();
my $m = mark();
my $N = 100;
my $W = 8;
my $t0 = time;
my @kids;
for my $w (0 .. $W - 1) {
    my $count = int($N / $W) + ($w < $N % $W ? 1 : 0);
    pipe my $r, my $wr or die "pipe: $!";
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        close $r;
        my $u = LWP::UserAgent->new(timeout => 30, keep_alive => 1);
        my @c = map { $u->get($s->url("/burst/?w=$w&i=$_"))->code } 1 .. $count;
        print $wr "@c\n";
        close $wr;
        POSIX::_exit(0);
    }
    close $wr;
    push @kids, [$pid, $r];
}
my @codes;
for my $k (@kids) {
    my $fh = $k->[1];
    push @codes, split ' ', (<$fh> // '');
    waitpid $k->[0], 0;
}
my $took = time - $t0;
note(sprintf '%d requests in %.2f s', scalar(@codes), $took);
is(scalar(grep { $_ == 502 } @codes), $N, "$N refused requests to one backend: all 502");
sleep 0.3;
my $burst_re = qr{PRE1010: refused backend https://localhost:$bport/ };
my @burst = grep { /$burst_re/ } lines_since($m);
my $bound = 1 + int($took);     # one line a second (the child is one)
cmp_ok(scalar(@burst), '<=', $bound, sprintf('%d refusals in %.1f s: at most %d PRE1010 lines', $N, $took, $bound))
    or diag(scalar(@burst) . " lines");
cmp_ok(scalar(@burst), '>=', 1, 'and at least one')
    or diag((grep { /PRE1010/ } lines_since($m))[0 .. 1]);

sleep 1.1;
my $m2 = mark();
is($ua->get($s->url('/burst/?after'))->code, 502, 'a refusal a second later: 502');
sleep 0.3;
my @after = grep { /$burst_re/ } lines_since($m2);
is(scalar(@after), 1, 'it is logged');
like($after[0] // '', qr/\(suppressed \d+ similar since \w{3} \w{3} \d\d \d\d:\d\d:\d\d\.\d{6} \d{4}\)$/,
     'with "(suppressed N similar since TIME)" at the end');
my $suppressed = 0;
$suppressed += $_ for map { /\(suppressed (\d+) similar/ ? $1 : () } @burst, @after;
is(scalar(@burst) + scalar(@after) + $suppressed, $N + 1,
   'lines written + suppressed counts = every refusal (' . ($N + 1) . ')')
    or diag("lines: " . (scalar(@burst) + scalar(@after)) . ", suppressed: $suppressed");
is(status_refused() - $refused0, $N + 1, 'the status page counted every refusal');
is(scalar(grep { /AH01084/ } lines_since($m)), $N + 1,
   'mod_proxy\'s own AH01084 follow-ups are not limited (its lines, its level)');

$s->stop;

# ---------------------------------------------------------------- the suite's own front
# The Apache::Test server runs up to three event children: 100 refusals
# from 10 clients at once give at most one line a second per child (plus
# the second in which the burst starts), never one per refusal.
{
    use MPR::Status qw(parallel_fetch);
    my $port = vhost_port('backend_foreign');
    my $elog = Apache::Test::vars('t_logs') . '/error_log';
    sleep 1.1;
    my $mk = -s $elog || 0;
    my $t = time;
    my @c = parallel_fetch('front_enforce', '/h/foreign/', 100, 10);
    my $dt = time - $t;
    is(scalar(grep { $_ == 502 } @c), 100, 'suite front: 100 refused requests, all 502');
    sleep 0.3;
    my @l = do { open my $fh, '<', $elog; seek $fh, $mk, 0;
                 grep { m{PRE1010: refused backend https://localhost:$port/ \(vhost front-enforce} } <$fh> };
    my %per;
    $per{$_}++ for map { /\[pid (\d+)/ ? $1 : () } @l;
    my $max = (sort { $b <=> $a } values %per)[0] // 0;
    my $each = 1 + int($dt + 0.999);
    cmp_ok($max, '<=', $each, sprintf('suite front: at most %d lines per child in %.1f s', $each, $dt))
        or diag(explain(\%per));
    cmp_ok(scalar(@l), '<=', 3 * $each, 'suite front: ' . scalar(@l) . ' lines from '
           . scalar(keys %per) . ' children, not one per refusal');
}
done_testing();

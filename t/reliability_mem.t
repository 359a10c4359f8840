# Hostile big certificates (issue 12): a backend certificate with thousands
# of DNS SANs must not blow up the child's memory.
#
# Certificates (build/pki.sh): many-sans-4000 (about 88 KB, under OpenSSL's
# default 100 KB limit for the Certificate message: the module's name
# check, SAN text for the status page and the log line all see its 4,000
# names) and many-sans-8000 (about 176 KB: OpenSSL refuses the message
# before any certificate code runs; refused with reason=handshake). Both
# are issued by the test intermediate with DNS:localhost first, served by a
# private nginx.
#
# A private front (event MPM, exactly one child) under enforce reaches them
# trusted (passes), with a name that is not in the certificate
# (name-mismatch), against another CA (untrusted), and under audit (mod_ssl's
# own name check over the 4,000 SANs). The child's peak memory (VmHWM) may
# grow by less than 5 MB for one request of each kind, and by less than
# 20 MB for 1,000 pooled requests and for 400 refused handshakes (4 clients
# at once). (The issue's sans_of(), one apr_pstrcat per SAN on the
# connection pool, took one request to an 8,000-SAN certificate from
# 6.4 MB to 433 MB.)
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

my $pki = Apache::Test::vars('pki');
# Memory figures mean nothing under AddressSanitizer (its quarantine holds
# freed memory back): build/run-tests.sh MPR_ASAN=1 sets MPR_ASAN for tests.
plan skip_all => 'memory figures under AddressSanitizer' if $ENV{MPR_ASAN};
plan skip_all => 'no many-sans certificates (build/pki.sh)' unless -e "$pki/many-sans-4000-chain.crt";
my $ngx = MPR::Private::nginx(servers => [
    ['m4000', "$pki/many-sans-4000-chain.crt", "$pki/many-sans-4000.key"],
    ['m8000', "$pki/many-sans-8000-chain.crt", "$pki/many-sans-8000.key"],
    ['small', "$pki/good-chain.crt", "$pki/good.key"],
]);
plan skip_all => 'nginx not installed' unless $ngx;
my ($p4, $p8, $ps) = @{ $ngx->{port} }{qw(m4000 m8000 small)};

my $s = MPR::Private::httpd(mpm => 'event', threads => 8, body => <<"EOC");
<VirtualHost 127.0.0.1:\@port\@>
    ServerName rel-mem
    SSLProxyEngine on
    ProxyReencryptPolicy enforce
    ProxyReencryptCACertificateFile $pki/root.crt
    ProxyPass /small/ https://localhost:$ps/
    ProxyPass /ok/ https://localhost:$p4/
    ProxyPass /name/ https://localhost:$p4/name/
    <Proxy https://localhost:$p4/name/>
        ProxyReencryptExpectName not-in-the-certificate.test
    </Proxy>
    ProxyPass /untrusted/ https://localhost:$p4/untrusted/
    <Proxy https://localhost:$p4/untrusted/>
        ProxyReencryptCACertificateFile $pki/foreign-root.crt
    </Proxy>
    ProxyPass /audit/ https://localhost:$p4/audit/
    <Proxy https://localhost:$p4/audit/>
        ProxyReencryptPolicy audit
    </Proxy>
    ProxyPass /big-ok/ https://localhost:$p8/
    ProxyPass /big-name/ https://localhost:$p8/name/
    <Proxy https://localhost:$p8/name/>
        ProxyReencryptExpectName not-in-the-certificate.test
    </Proxy>
    <Location /st-status>
        SetHandler proxy-reencrypt-status
    </Location>
    ProxyPass /st-status !
</VirtualHost>
SSLProxyCACertificateFile $pki/root.crt
EOC
ok($s->{pid} && $s->{child} && @{ $s->{children} } == 1, 'a private front with one child started')
    or do { diag($s->{out}); diag(`tail -5 ${\ $s->error_log } 2>&1`); done_testing(); exit 0 };

my $ua = LWP::UserAgent->new(timeout => 60, keep_alive => 4);
my $MB = 1024;                  # kB
sub hwm { $s->proc_kb('VmHWM') }

# warm up the child (TLS, pools, status store) on an ordinary backend
my $warm = 0;
$warm += $ua->get($s->url("/small/?w=$_"))->code == 200 for 1 .. 20;
is($warm, 20, 'warm-up: 20 requests to an ordinary backend served');
$ua->get($s->url('/st-status?json'));

my $mark = -s $s->error_log || 0;
my @one = (
    ['/ok/', 200, 'trusted 4,000-SAN certificate: served'],
    ['/name/', 502, '4,000 SANs, none the expected name: refused'],
    ['/untrusted/', 502, '4,000 SANs from another CA: refused'],
    ['/audit/', 200, '4,000 SANs under audit (mod_ssl\'s own name check): served'],
    ['/big-ok/', 502, 'trusted 8,000-SAN certificate (176 KB): refused'],
    ['/big-name/', 502, '8,000 SANs, none the expected name: refused'],
);
for my $c (@one) {
    my ($path, $want, $what) = @$c;
    my $h0 = hwm();
    my $fresh = LWP::UserAgent->new(timeout => 60, keep_alive => 0);
    my $code = $fresh->get($s->url($path))->code;
    my $h1 = hwm();
    is($code, $want, "$path: $what ($want)");
    cmp_ok($h1 - $h0, '<', 5 * $MB, "$path: one request grows the child's peak memory by < 5 MB")
        or diag("VmHWM $h0 kB -> $h1 kB");
    note("$path: VmHWM $h0 kB -> $h1 kB");
}

# what the log and the status page say about them
my @log = do { open my $fh, '<', $s->error_log; seek $fh, $mark, 0; <$fh> };
ok((grep { m{PRE1010: refused backend https://localhost:$p4/\S* .*reason=name-mismatch; subject="CN=many-sans-4000"} } @log),
   '4,000 SANs: the refusal names reason=name-mismatch and the subject');
ok((grep { m{PRE1010: refused backend https://localhost:$p4/\S* .*reason=untrusted; subject="CN=many-sans-4000"} } @log),
   '4,000 SANs from another CA: reason=untrusted');
ok((grep { m{PRE1010: refused backend https://localhost:$p8/\S* .*reason=handshake} } @log),
   '8,000 SANs: refused with reason=handshake (the Certificate message is over OpenSSL\'s limit)')
    or diag(grep { /PRE10/ } @log);
my $res = $ua->get($s->url('/st-status?json'));
my $j = eval { JSON::PP->new->decode($res->decoded_content) } || {};
my ($ok_entry) = grep { $_->{backend} =~ m{^https://localhost:$p4/?$} } @{ $j->{backends} || [] };
my $sans = $ok_entry ? ($ok_entry->{peer}{sans} // $ok_entry->{sans} // '') : '';
$sans = join ', ', @$sans if ref $sans eq 'ARRAY';
like($sans, qr/^DNS:localhost, DNS:h0001\.many-sans\.test/, 'status page: the SANs of the 4,000-SAN backend, in order')
    or diag(substr(JSON::PP->new->canonical->encode($ok_entry // {}), 0, 600));
cmp_ok(length $sans, '<=', 512, 'status page: the SAN text is bounded (' . length($sans) . ' bytes)');

# 1,000 pooled requests to the trusted 4,000-SAN backend
{
    my $h0 = hwm();
    my $r0 = $s->proc_kb('VmRSS');
    my $n = 0;
    $n += $ua->get($s->url("/ok/?p=$_"))->code == 200 for 1 .. 1000;
    my $h1 = hwm();
    is($n, 1000, '1,000 pooled requests to the trusted 4,000-SAN backend: all served');
    cmp_ok($h1 - $h0, '<', 20 * $MB, '1,000 pooled requests: peak memory grows by < 20 MB')
        or diag("VmHWM $h0 kB -> $h1 kB");
    note("pooled: VmHWM $h0 kB -> $h1 kB, VmRSS $r0 kB -> " . $s->proc_kb('VmRSS') . ' kB');
    my @conns = do { open my $fh, '<', $ngx->log_file('m4000'); <$fh> };
    note(scalar(@conns) . ' requests in the backend log');
}

# 400 refused handshakes, 4 clients at once (each one a full handshake
# with the 88 KB certificate: refusals are never pooled)
{
    my $h0 = hwm();
    my @kids;
    for my $w (1 .. 4) {
        pipe my $r, my $wr or die "pipe: $!";
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            close $r;
            my $u = LWP::UserAgent->new(timeout => 60, keep_alive => 1);
            my $c = 0;
            for my $i (1 .. 100) {
                $c += $u->get($s->url($i % 2 ? "/name/?$w-$i" : "/untrusted/?$w-$i"))->code == 502;
            }
            print $wr "$c\n";
            close $wr;
            POSIX::_exit(0);
        }
        close $wr;
        push @kids, [$pid, $r];
    }
    my $refused = 0;
    for my $k (@kids) {
        my $fh = $k->[1];
        $refused += (<$fh> // 0);
        waitpid $k->[0], 0;
    }
    my $h1 = hwm();
    is($refused, 400, '400 requests to the refused 4,000-SAN backends (4 at once): all 502');
    cmp_ok($h1 - $h0, '<', 20 * $MB, '400 refused handshakes: peak memory grows by < 20 MB')
        or diag("VmHWM $h0 kB -> $h1 kB");
    note("refused: VmHWM $h0 kB -> $h1 kB");
}
is(scalar(@{ [ MPR::Status::child_pids($s->{pid}) ] }), 1, 'still the one child');

$s->stop;
$ngx->stop;
done_testing();

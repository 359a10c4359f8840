# A refused h2:// backend (mod_proxy_http2) answers 502 under enforce, as
# https:// does (SPEC: "A refused backend: the client gets 502 Bad Gateway").
# mod_proxy_http2 maps any failed backend connection to 503 itself; the
# module turns that 503 into 502 only when this request's backend was
# refused by its policy under enforce.  A 503 for another reason (backend
# down) stays 503, a balancer still fails over to a healthy member, and
# under audit the status is stock Apache's (measured on a server without
# the module).  (From the review finding t/review_h2_status.t.)
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use MPR::Private;
use IO::Socket::INET;
use LWP::UserAgent;

my $pki = Apache::Test::vars('pki');
my ($closed) = MPR::Private::free_ports(1);     # nothing listens there

# port1: an h2 backend with a certificate of another root; port2: a good one
my $backends = <<"EOB";
<VirtualHost 127.0.0.1:\@port1\@>
    ServerName h2-untrusted
    SSLEngine on
    SSLCertificateFile $pki/foreign-chain.crt
    SSLCertificateKeyFile $pki/foreign.key
    Protocols h2 http/1.1
    RewriteEngine on
    RewriteRule ^ - [R=204]
</VirtualHost>
<VirtualHost 127.0.0.1:\@port2\@>
    ServerName h2-good
    SSLEngine on
    SSLCertificateFile $pki/good-chain.crt
    SSLCertificateKeyFile $pki/good.key
    Protocols h2 http/1.1
    RewriteEngine on
    RewriteRule ^ - [R=204]
</VirtualHost>
EOB

my $s = MPR::Private::httpd(mpm => 'event', threads => 8, ports => 3, body => $backends . <<"EOC");
<VirtualHost 127.0.0.1:\@port\@>
    ServerName h2-front
    SSLProxyEngine on
    ProxyReencryptPolicy enforce
    ProxyReencryptCACertificateFile $pki/root.crt
    ProxyPass /h1/ https://localhost:\@port1\@/h1/
    ProxyPass /h2/ h2://localhost:\@port1\@/h2/
    ProxyPass /h2good/ h2://localhost:\@port2\@/h2good/
    ProxyPass /h2down/ h2://localhost:$closed/h2down/
    <Proxy balancer://h2pool>
        BalancerMember h2://localhost:\@port1\@ retry=60
        BalancerMember h2://localhost:\@port2\@ retry=60
        ProxySet lbmethod=byrequests
    </Proxy>
    ProxyPass /pool/ balancer://h2pool/
    # lbset orders the attempts: refused then down, down then refused
    <Proxy balancer://refused-down>
        BalancerMember h2://localhost:\@port1\@ retry=60 lbset=0
        BalancerMember h2://localhost:$closed retry=60 lbset=1
    </Proxy>
    ProxyPass /refused-down/ balancer://refused-down/
    <Proxy balancer://down-refused>
        BalancerMember h2://localhost:$closed retry=60 lbset=0
        BalancerMember h2://localhost:\@port1\@ retry=60 lbset=1
    </Proxy>
    ProxyPass /down-refused/ balancer://down-refused/
</VirtualHost>
EOC
ok($s->{pid}, 'a private front and h2 backends started') or do { diag($s->{out}); done_testing(); exit 0 };

my $ua = LWP::UserAgent->new(timeout => 30, keep_alive => 0);
is($ua->get($s->url('/h1/'))->code, 502, 'https:// untrusted backend: 502 (control)');
is($ua->get($s->url('/h2good/'))->code, 204, 'h2:// trusted backend: served (control)');
is($ua->get($s->url('/h2/'))->code, 502, 'h2:// untrusted backend: 502, as for https://');
is($ua->get($s->url('/h2/'))->code, 502, 'h2:// untrusted backend, again: 502');
{
    # one response on the wire: the 502 and its page, nothing of a 503
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $s->{port}, Timeout => 30)
        or die "connect: $!";
    print $sock "GET /h2/raw HTTP/1.1\r\nHost: h2-front\r\nConnection: close\r\n\r\n";
    local $/;
    my $raw = <$sock> // '';
    my @lines = $raw =~ m{^(HTTP/1\.\d \d\d\d[^\r\n]*)}mg;
    ok(@lines == 1 && $lines[0] =~ / 502 / && $raw =~ /Bad Gateway/ && $raw !~ /Service Unavailable|\b503\b/,
       'h2:// untrusted backend: one clean 502 response (status line and page)')
        or diag($raw);
}
is($ua->get($s->url('/h2down/'))->code, 503, 'h2:// backend down (nothing listens): still 503');
my @pool = map { $ua->get($s->url("/pool/$_"))->code } 1 .. 4;
is("@pool", '204 204 204 204',
   'balancer of h2 members, one refused: every request served by the other (failover)');
is($ua->get($s->url('/refused-down/'))->code, 503,
   'balancer: a refused member, then a member that is down: the last attempt\'s 503 stays');
is($ua->get($s->url('/down-refused/'))->code, 502,
   'balancer: a member that is down, then a refused member: the last attempt\'s 502');

open my $fh, '<', $s->error_log or die $!;
my @l = grep { /PRE1010: refused backend h2:/ } <$fh>;
ok(scalar(@l), 'h2:// refusal logged (PRE1010)') or diag(`tail -5 ${\ $s->error_log }`);
$s->stop;

# audit (the default) equals stock: mod_ssl itself refuses the untrusted
# backend (SSLProxyVerify require); whatever mod_proxy_http2 answers then,
# the module does not change it.
my $front = <<"EOC";
<VirtualHost 127.0.0.1:\@port\@>
    ServerName h2-front-audit
    SSLProxyEngine on
    SSLProxyVerify require
    SSLProxyCACertificateFile $pki/root.crt
    ProxyPass /h2/ h2://localhost:\@port1\@/h2/
    ProxyPass /h2down/ h2://localhost:$closed/h2down/
</VirtualHost>
EOC
my %code;
for my $stock (1, 0) {
    my $a = MPR::Private::httpd(mpm => 'event', threads => 8, ports => 3, stock => $stock,
                                body => $backends . $front);
    ok($a->{pid}, ($stock ? 'stock' : 'audit') . ' front started') or diag($a->{out});
    $code{$stock} = join ' ', map { $ua->get($a->url($_))->code } '/h2/', '/h2/', '/h2down/';
    $a->stop;
}
like($code{1}, qr/^5\d\d 5\d\d 5\d\d$/, "stock: the refused and the down h2 backend fail ($code{1})");
is($code{0}, $code{1}, 'audit: the same statuses as stock');
done_testing();

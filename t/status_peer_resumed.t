# The status page shows the same peer after a resumed handshake as after
# the full one, for each of two backends with different certificates in
# one child: subject, issuer, SANs, notAfter, pin, SHA-256 fingerprint,
# serial and the chain's earliest notAfter (what is shown of a leaf is
# kept per certificate, pr_tls_certs.c; a resumed session shows the
# notAfter its full handshake read).
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use JSON::PP;
use LWP::UserAgent;
use MPR::Run;
use MPR::MiniNginx;

my $pki = Apache::Test::vars('pki');
my $ua = LWP::UserAgent->new(timeout => 20, keep_alive => 0);

my $na = MPR::MiniNginx->new;
my $nb = MPR::MiniNginx->new;
plan skip_all => 'no nginx' unless $na && $nb;
ok($na->start([{ name => 'localhost', cert => "$pki/good-chain.crt", key => "$pki/good.key", body => 'a' }]),
   'nginx A (good)');
ok($nb->start([{ name => 'localhost', cert => "$pki/good2-chain.crt", key => "$pki/good2.key", body => 'b' }]),
   'nginx B (good2)');
my ($PA, $PB) = ($na->{port}, $nb->{port});

my $h = MPR::Run->start(<<"EOC");
<VirtualHost 127.0.0.1:\@port\@>
    ServerName front-peer
    SSLProxyEngine on
    ProxyReencryptPolicy enforce
    ProxyReencryptCACertificateFile $pki/root.crt
    ProxyReencryptSessionCache on
    <Location /st>
        SetHandler proxy-reencrypt-status
    </Location>
    ProxyPass /a/ https://localhost:$PA/ disablereuse=On
    ProxyPass /b/ https://localhost:$PB/ disablereuse=On
</VirtualHost>
EOC
ok($h, 'front starts') or diag($MPR::Run::error);
BAIL_OUT('no front') unless $h;

sub get { return $ua->get("http://127.0.0.1:$h->{port}$_[0]") }
sub backends {
    my $j = decode_json(get('/st?json')->content);
    my %by;
    for my $b (@{ $j->{backends} }) {
        $by{a} = $b if $b->{backend} =~ m{^https://localhost:$PA/?$};
        $by{b} = $b if $b->{backend} =~ m{^https://localhost:$PB/?$};
    }
    return \%by;
}
sub shown {                                 # the peer without its time of sight
    my %p = %{ $_[0]{peer} // {} };
    delete $p{seen};
    return \%p;
}
sub cli { my $o = `openssl x509 -in $_[0] -noout $_[1]`; chomp $o; $o =~ s/^[^=]*=//; $o =~ s/://g; return lc $o }

is(join(' ', map { get("/$_/")->code } qw(a b)), '200 200', 'one request to each: full handshakes');
my $full = backends();
is(($full->{a}{resumed} // 0) + ($full->{b}{resumed} // 0), 0, 'nothing resumed yet');
is($full->{a}{peer}{fingerprint_sha256}, cli("$pki/good.crt", '-fingerprint -sha256'),
   'A: the fingerprint of good.crt');
is($full->{b}{peer}{fingerprint_sha256}, cli("$pki/good2.crt", '-fingerprint -sha256'),
   'B: the fingerprint of good2.crt');

is(join(' ', map { get("/$_/")->code } qw(a b a b)), '200 200 200 200', 'two more to each, alternating');
my $res = backends();
is($res->{a}{resumed}, 2, 'A: both resumed');
is($res->{b}{resumed}, 2, 'B: both resumed');
for my $k (qw(a b)) {
    my ($f, $r) = (shown($full->{$k}), shown($res->{$k}));
    ok(keys(%$f) >= 10, "\U$k\E: the full handshake shows a peer (" . scalar(keys %$f) . ' fields)');
    is_deeply($r, $f, "\U$k\E: a resumed handshake shows the same peer as the full one");
}
isnt($res->{a}{peer}{serial}, $res->{b}{peer}{serial}, 'two certificates, two serials');

$h->stop;
$na->stop;
$nb->stop;
done_testing();

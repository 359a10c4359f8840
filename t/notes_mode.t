# ProxyReencryptNotes: the REENCRYPT_* request notes are set when the
# configuration reads them (auto, the default: a directive mentions one),
# always (on) or never (off); a bad value or a vhost context stops start-up.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use MPR::Conf;
use MPR::Private;
use LWP::UserAgent;

my $pki = Apache::Test::vars('pki');
my $good = vhost_port('backend_good');
my $ua = LWP::UserAgent->new(timeout => 30, keep_alive => 1);

sub front {
    my ($global) = @_;
    return <<"EOV";
$global
<VirtualHost 127.0.0.1:\@port\@>
    ServerName notes-mode
    SSLProxyEngine on
    ProxyReencryptPolicy enforce
    ProxyReencryptCACertificateFile $pki/root.crt
    CustomLog \@dir\@/notes.log "%U %>s verdict=%{REENCRYPT_VERDICT}n resumed=%{REENCRYPT_RESUMED}n"
    ProxyPass /good/ https://localhost:$good/good/
</VirtualHost>
EOV
}

# what the access log says of two requests (the second over the pooled connection)
sub logged {
    my ($s) = @_;
    my @codes = map { $ua->get($s->url('/good/x'))->code } 1 .. 2;
    my $f = "$s->{dir}/notes.log";
    for (1 .. 50) { last if -s $f && (() = do { open my $h, '<', $f; <$h> }) >= 2; select(undef, undef, undef, 0.1) }
    open my $h, '<', $f or return ("@codes", '');
    my @l = <$h>;
    chomp @l;
    return ("@codes", join(' | ', @l));
}

for my $case (['', 'auto (a CustomLog mentions them)', qr/verdict=ok resumed=\d.*verdict=ok resumed=\d/],
              ['ProxyReencryptNotes on', 'on', qr/verdict=ok resumed=\d.*verdict=ok resumed=\d/],
              ['ProxyReencryptNotes off', 'off', qr/verdict=- resumed=-.*verdict=- resumed=-/]) {
    my ($global, $name, $want) = @$case;
    my $s = MPR::Private::httpd(mpm => 'event', threads => 4, body => front($global));
    ok($s->{pid}, "$name: started") or diag($s->{out});
    my ($codes, $lines) = logged($s);
    is($codes, '200 200', "$name: served");
    like($lines, $want, "$name: the notes in the access log") or diag($lines);
    $s->stop;
}

my ($rc, $out) = config_test('', main => "ProxyReencryptNotes maybe\n");
isnt($rc, 0, 'a bad value stops start-up');
like($out, qr/ProxyReencryptNotes: 'maybe' is not one of on, off, auto/, '... with the reason') or diag($out);
($rc, $out) = config_test("ProxyReencryptNotes on\n");
isnt($rc, 0, 'in a <VirtualHost>: start-up stops');
like($out, qr/ProxyReencryptNotes.*cannot occur within/s, '... saying where it may be') or diag($out);
done_testing();

# The "would refuse" view (?audit, ?json&audit): under audit, every backend
# that an enforce switch would refuse is listed with its reason, count and
# a suggested fix (a pin line for a self-signed backend, an ExpectName for
# an IP URL, the days for an expired certificate); a good backend is not.
# (Under stock mod_ssl defaults mod_ssl refuses a wrong name or an expired
# certificate itself, audit or not: the front turns those checks off, as
# the "verify off" setups being migrated do.)
# The suggested lines, pasted into an enforce vhost, serve 200.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use JSON::PP;
use LWP::UserAgent;
use MPR::Run;

my $pki = Apache::Test::vars('pki');
my %port = map { $_ => Apache::Test::vars("nginx_${_}_port") } qw(good selfsigned expired);
my $ua = LWP::UserAgent->new(timeout => 20, keep_alive => 0);

my $h = MPR::Run->start(<<"EOC");
<VirtualHost 127.0.0.1:\@port\@>
    ServerName audit-front
    SSLProxyEngine on
    # the "verify off" setup: mod_ssl itself lets the name and the dates
    # pass, so the module's audit is what sees them
    SSLProxyCheckPeerName off
    SSLProxyCheckPeerExpire off
    ProxyReencryptPolicy audit
    ProxyReencryptCACertificateFile $pki/root.crt
    <Location /st>
        SetHandler proxy-reencrypt-status
    </Location>
    ProxyPass /good/ https://localhost:$port{good}/
    ProxyPass /self/ https://localhost:$port{selfsigned}/
    ProxyPass /exp/ https://localhost:$port{expired}/
    ProxyPass /ip/ https://127.0.0.1:$port{good}/
</VirtualHost>
EOC
ok($h, 'audit front starts') or diag($MPR::Run::error);
unless ($h) { done_testing(); exit }
my %code = map { $_ => $ua->get("http://127.0.0.1:$h->{port}/$_/")->code } qw(good self exp ip);
is(join(' ', map { "$_=$code{$_}" } sort keys %code), 'exp=200 good=200 ip=200 self=200',
   'audit: every backend served');

my $res = $ua->get("http://127.0.0.1:$h->{port}/st?json&audit");
is($res->code, 200, '?json&audit: 200');
my $j = eval { decode_json($res->content) } || {};
ok(ref $j->{would_refuse} eq 'ARRAY', '... a would_refuse list') or diag($res->content);
my %by = map { ($_->{backend} =~ m{://([^/]+)} ? $1 : '') => $_ } @{ $j->{would_refuse} // [] };
is($j->{count}, scalar(@{ $j->{would_refuse} // [] }), '... and its count');
ok(!$by{"localhost:$port{good}"}, 'the good backend is not listed');

open my $pf, '<', "$pki/selfsigned.pin" or die $!;
chomp(my $sspin = <$pf>);
my $ss = $by{"localhost:$port{selfsigned}"} // {};
is($ss->{reason}, 'untrusted', 'self-signed backend: reason untrusted');
like($ss->{fix} // '', qr/ProxyReencryptVerify pin and ProxyReencryptPin \Q$sspin\E/,
     '... fix: pin mode with its pin') or diag($ss->{fix});
cmp_ok($ss->{count} // 0, '>=', 1, '... counted');
like($ss->{last} // '', qr/^\d{4}-\d\d-\d\dT/, '... last time');

my $ex = $by{"localhost:$port{expired}"} // {};
is($ex->{reason}, 'expired', 'expired backend: reason expired');
like($ex->{fix} // '', qr/certificate expired \d+ days ago/, '... fix says how long ago') or diag($ex->{fix});

my $ip = $by{"127.0.0.1:$port{good}"} // {};
is($ip->{reason}, 'name-mismatch', 'IP URL: reason name-mismatch') or diag(explain($ip));
like($ip->{fix} // '', qr/ProxyReencryptExpectName localhost /, '... fix: ExpectName a name of the certificate')
    or diag($ip->{fix});

my $html = $ua->get("http://127.0.0.1:$h->{port}/st?audit")->content;
like($html, qr/<h1>Would refuse under enforce<\/h1>/, 'HTML view');
like($html, qr{<td>https://localhost:$port{selfsigned}/?</td>.*?<td>untrusted</td>.*?ProxyReencryptPin \Q$sspin\E}s,
     '... the self-signed row with its fix');
unlike($html, qr{<td>https://localhost:$port{good}/?</td>}, '... no good backend row');
like($ua->get("http://127.0.0.1:$h->{port}/st")->content, qr/href="\?audit"/, 'the status page links to it');
$h->stop;

# the suggestions, applied under enforce
my ($ssfix) = ($ss->{fix} // '') =~ /(ProxyReencryptPin \S+)/;
my ($ipfix) = ($ip->{fix} // '') =~ /(ProxyReencryptExpectName \S+)/;
my $e = MPR::Run->start(<<"EOC");
<VirtualHost 127.0.0.1:\@port\@>
    ServerName enforce-front
    SSLProxyEngine on
    ProxyReencryptPolicy enforce
    ProxyReencryptCACertificateFile $pki/root.crt
    ProxyPass /self/ https://localhost:$port{selfsigned}/
    ProxyPass /ip/ https://127.0.0.1:$port{good}/
    <Proxy https://localhost:$port{selfsigned}/>
        ProxyReencryptVerify pin
        ${\ ($ssfix // '')}
    </Proxy>
    <Proxy https://127.0.0.1:$port{good}/>
        ${\ ($ipfix // '')}
    </Proxy>
</VirtualHost>
EOC
ok($e, 'enforce front with the suggested lines starts') or diag($MPR::Run::error);
if ($e) {
    is($ua->get("http://127.0.0.1:$e->{port}/self/")->code, 200, 'self-signed backend with the suggested pin: 200');
    is($ua->get("http://127.0.0.1:$e->{port}/ip/")->code, 200, 'IP backend with the suggested ExpectName: 200')
        or diag($e->error_log);
    $e->stop;
}
done_testing();

# A TLS backend opened anew for every request (disablereuse=On) without
# addressttl has its name resolved by mod_proxy for every connection
# (issue 11): a start-up note (PRE0017) says so, and
# apache2 -t -D DUMP_REENCRYPT shows how each such backend's address is had.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use MPR::Status qw(dump_reencrypt);

my ($rc, $out) = dump_reencrypt(<<'CONF');
<VirtualHost 127.0.0.1:9>
    ServerName st-addr
    SSLProxyEngine on
    ProxyReencryptPolicy enforce
    ProxyReencryptCACertificateFile @pki@/root.crt
    ProxyPass /each/ https://localhost:9451/ disablereuse=On
    ProxyPass /ttl/ https://localhost:9452/ disablereuse=On addressttl=60
    ProxyPass /pool/ https://localhost:9453/
    ProxyPass /ip/ https://127.0.0.1:9454/ disablereuse=On
    ProxyPass /plain/ http://localhost:9455/ disablereuse=On
    ProxyReencryptRequireTLS off
</VirtualHost>
CONF
is($rc, 0, 'the configuration is accepted (a note, not an error)') or diag($out);

my @notes = $out =~ /^.*PRE0017: backend (\S+) .*$/mg;
is("@notes", 'https://localhost:9451/',
   'PRE0017 for the TLS backend with disablereuse=On and no addressttl, and for it alone')
    or diag($out);
like($out, qr/PRE0017: .*add addressttl=SECONDS/, 'the note says what to do');

# backend -> its backend-address line
my (%addr, $cur);
for my $l (split /\n/, $out) {
    if ($l =~ /^    (\S+)\s*$/) { $cur = $1 }
    elsif ($cur && $l =~ /^        backend-address\s+(.*)$/) { $addr{$cur} = $1 }
}
like($addr{'https://localhost:9451/'} // '', qr/resolved for every connection .*PRE0017/,
     'dump: 9451 resolved for every connection');
like($addr{'https://localhost:9452/'} // '', qr/kept 60 s \(addressttl\)/, 'dump: 9452 kept 60 s');
ok(!exists $addr{'https://localhost:9453/'}, 'dump: a pooled backend has no address line');
ok(!exists $addr{'https://127.0.0.1:9454/'}, 'dump: an IP literal has no address line')
    or diag($out);
done_testing();

# ProxyReencryptHandshakeTimeout in the resolved policy (issue 12): its
# value and origin in `apache2 -t -D DUMP_REENCRYPT`, field by field like
# the others, and whether it applies (under audit only when written down).
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Status;

my $conf = <<'EOF_CONF';
<VirtualHost 127.0.0.1:9>
    ServerName rel-dump
    SSLProxyEngine on
    ProxyReencryptPolicy enforce
    ProxyReencryptCACertificateFile @pki@/root.crt
    ProxyReencryptHandshakeTimeout 5
    ProxyPass /a/ https://localhost:9443/
    ProxyPass /b/ https://localhost:9444/
    ProxyPass /c/ https://localhost:9445/
    ProxyPass /d/ https://localhost:9446/
    <Proxy https://localhost:9444/>
        ProxyReencryptHandshakeTimeout 7
    </Proxy>
    <Proxy https://localhost:9445/>
        ProxyReencryptPolicy audit
    </Proxy>
</VirtualHost>
<VirtualHost 127.0.0.1:9>
    ServerName rel-dump-audit
    SSLProxyEngine on
    ProxyPass /e/ https://localhost:9447/
</VirtualHost>
EOF_CONF

my ($rc, $out) = dump_reencrypt($conf);
is($rc, 0, 'apache2 -t -D DUMP_REENCRYPT exits 0') or diag($out);
my (%v, $cur);
for my $l (split /\n/, $out) {
    if ($l =~ /^    (\S+?)\/?\s*$/) { $cur = $1 }
    elsif ($cur && $l =~ /^        handshake-timeout\s+(.*)$/) { $v{$cur} = $1 }
}
my ($at5) = ($v{'https://localhost:9443'} // '') =~ /\(set at (\S+:\d+)\)$/;
like($v{'https://localhost:9443'} // '', qr/^5 s \(set at \S+:\d+\)$/, 'the vhost\'s value, with its file:line');
like($v{'https://localhost:9444'} // '', qr/^7 s \(set at \S+:\d+\)$/, 'a <Proxy> section\'s own value wins');
isnt(($v{'https://localhost:9444'} // '') =~ /\(set at (\S+:\d+)\)$/ ? $1 : '', $at5 // 'x',
     '... naming its own line');
like($v{'https://localhost:9445'} // '', qr/^5 s \(set at \S+:\d+\)$/,
     'audit, value written down (inherited from the vhost): applies');
like($v{'https://localhost:9447'} // '',
     qr/^10 s \(not applied under audit: mod_proxy's timeout\) \(default\)$/,
     'audit, the default alone: 10, not applied');
done_testing();

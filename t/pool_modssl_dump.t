# apache2 -t -D DUMP_REENCRYPT shows, per backend, the identity of the mod_ssl
# proxy configuration (SSLProxy* directives) that applies to it: the part of
# the pooled-connection key that mod_ssl's own settings make.  Equal when
# written alike (vhosts, <Proxy> sections), different otherwise, "none"
# without any SSLProxy* directive; a section setting only SSLProxy*
# directives is a scope of its own.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Status;

my $conf = <<'EOF';
ProxyPass /shared/ https://localhost:9443/shared/
<VirtualHost 127.0.0.1:9>
    ServerName md-a
    SSLProxyEngine on
    SSLProxyCACertificateFile @pki@/foreign-root.crt
</VirtualHost>
<VirtualHost 127.0.0.1:9>
    ServerName md-a2
    SSLProxyEngine on
    SSLProxyCACertificateFile @pki@/foreign-root.crt
</VirtualHost>
<VirtualHost 127.0.0.1:9>
    ServerName md-b
    SSLProxyEngine on
    SSLProxyCACertificateFile @pki@/root.crt
</VirtualHost>
<VirtualHost 127.0.0.1:9>
    ServerName md-none
</VirtualHost>
<VirtualHost 127.0.0.1:9>
    ServerName md-sections
    SSLProxyEngine on
    ProxyPass /x/ https://localhost:9444/x/
    ProxyPass /y/ https://localhost:9445/y/
    ProxyPass /z/ https://localhost:9446/z/
    <Proxy https://localhost:9444/x/>
        SSLProxyCACertificateFile @pki@/root.crt
    </Proxy>
    <Proxy https://localhost:9445/y/>
        SSLProxyCACertificateFile @pki@/root.crt
    </Proxy>
    <Proxy https://localhost:9446/z/>
        SSLProxyCACertificateFile @pki@/foreign-root.crt
    </Proxy>
</VirtualHost>
EOF

my ($rc, $out) = dump_reencrypt($conf);
is($rc, 0, 'apache2 -t -D DUMP_REENCRYPT exits 0') or diag($out);

# "vhost backend" -> mod_ssl-proxy value
my (%id, $vhost, $backend);
for my $l (split /\n/, $out) {
    if ($l =~ /^(\S+?)(?::\d+)? \(/) { $vhost = $1 }
    elsif ($l =~ /^    (\S+)/) { $backend = $1 }
    elsif ($l =~ /^        mod_ssl-proxy\s+(\S+)/) { $id{"$vhost $backend"} = $1 }
}
my $get = sub {
    my ($v, $port) = @_;
    my ($k) = grep { /^\Q$v\E https:\/\/localhost:$port\b/ } keys %id;
    return $k ? $id{$k} : 'missing';
};
my ($a, $a2, $b, $none) = map { $get->($_, 9443) } qw(md-a md-a2 md-b md-none);
my ($x, $y, $z) = ($get->('md-sections', 9444), $get->('md-sections', 9445),
                   $get->('md-sections', 9446));
note(join ', ', map { "$_=$id{$_}" } sort keys %id);
like($a, qr/^[0-9a-f]{12}$/, 'vhost with SSLProxy* directives: a short hex identity') or diag($out);
is($a2, $a, 'two vhosts written alike: the same identity');
isnt($b, $a, 'another SSLProxyCACertificateFile: another identity');
is($none, 'none', 'a vhost without any SSLProxy* directive: none') or diag($out);
like($x, qr/^[0-9a-f]{12}$/, 'a section with only SSLProxy* directives: an identity') or diag($out);
is($y, $x, 'two sections written alike: the same identity');
isnt($z, $x, 'a section with other anchors: another identity');
isnt($x, $get->('md-sections', 9443) // '', 'a section\'s identity is not its vhost\'s');
done_testing();

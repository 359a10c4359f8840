# The start-up check "under enforce with chain, a backend with no trust
# anchor at all is a start-up error" counts mod_ssl's SSLProxyCACertificate*
# (and, for the CRL check, SSLProxyCARevocation*) only where mod_ssl applies
# them to that backend: the main server, the vhost itself, and the <Proxy>/
# <ProxyMatch> sections that match the backend's URL or its balancer's.  One
# in a <Proxy> section for another backend (in the vhost, at top level, or
# inside <IfModule>) satisfies nothing.  (From the review finding
# t/review_anchor_check.t.)
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use MPR::Conf;

my $pki = Apache::Test::vars('pki');
sub conf_test {                 # config_test with @pki@ in main too
    my ($body, %opt) = @_;
    $opt{main} =~ s/\@pki\@/$pki/g if defined $opt{main};
    return config_test($body, %opt);
}

my $base = <<'EOB';
    ProxyReencryptPolicy enforce
    ProxyPass /mine/ https://localhost:7001/
EOB
my $pre14 = qr{PRE0014: backend https://localhost:7001/ .*no trust anchor};
my $other = <<'EOB';
    ProxyPass /other/ https://localhost:7002/
    <Proxy https://localhost:7002/>
        SSLProxyCACertificateFile @pki@/foreign-root.crt
    </Proxy>
EOB

my ($rc, $out) = conf_test($base);
isnt($rc, 0, 'control: no anchor anywhere: start-up refused');
like($out, $pre14, 'control: PRE0014 names it');

($rc, $out) = conf_test($base . $other);
isnt($rc, 0, 'an SSLProxyCACertificateFile for another backend\'s <Proxy>: start-up still refused')
    or diag($out);
like($out, $pre14, '... PRE0014 names the backend without anchor');

($rc, $out) = conf_test($base . <<'EOB');
    <IfModule ssl_module>
        <ProxyMatch ^https://localhost:7002/>
            SSLProxyCACertificateFile @pki@/foreign-root.crt
        </ProxyMatch>
    </IfModule>
EOB
isnt($rc, 0, 'a <ProxyMatch> (inside <IfModule>) that matches another backend: refused') or diag($out);
like($out, $pre14, '... PRE0014 names it');

($rc, $out) = conf_test($base, main => <<'EOB');
<IfModule ssl_module>
    <Proxy https://localhost:7002/>
        SSLProxyCACertificateFile @pki@/foreign-root.crt
    </Proxy>
</IfModule>
EOB
isnt($rc, 0, 'a top-level <Proxy> (inside <IfModule>) for another backend: refused') or diag($out);
like($out, $pre14, '... PRE0014 names it');

# Where mod_ssl does apply them, they still count.
my %ok = (
    'the vhost itself' => [$base . "    SSLProxyCACertificateFile \@pki\@/root.crt\n"],
    'the main server' => [$base, "SSLProxyCACertificateFile \@pki\@/root.crt\n"],
    'the backend\'s own <Proxy>' => [$base . $other . <<'EOB'],
    <Proxy https://localhost:7001/>
        SSLProxyCACertificatePath @pki@
    </Proxy>
EOB
    'a <Proxy> prefix of the backend URL' => [$base . <<'EOB'],
    <Proxy https://localhost:7001>
        SSLProxyCACertificateFile @pki@/root.crt
    </Proxy>
EOB
    '<Proxy *>' => [$base . $other . <<'EOB'],
    <Proxy *>
        SSLProxyCACertificateFile @pki@/root.crt
    </Proxy>
EOB
    'a matching <ProxyMatch>' => [$base . <<'EOB'],
    <ProxyMatch "^https://localhost:700[1-9]/">
        SSLProxyCACertificateFile @pki@/root.crt
    </ProxyMatch>
EOB
    'a top-level <Proxy> of the backend' => [$base, <<'EOB'],
<Proxy https://localhost:7001/>
    SSLProxyCACertificateFile @pki@/root.crt
</Proxy>
EOB
    'the balancer\'s <Proxy>, for a member' => [<<'EOB'],
    ProxyReencryptPolicy enforce
    <Proxy balancer://pool>
        BalancerMember https://localhost:7001
        SSLProxyCACertificateFile @pki@/root.crt
    </Proxy>
    ProxyPass /pool/ balancer://pool/
EOB
);
for my $where (sort keys %ok) {
    my ($body, $main) = @{ $ok{$where} };
    ($rc, $out) = conf_test($body, main => $main);
    is($rc, 0, "an SSLProxyCACertificate* in $where: start-up accepted") or diag($out);
}

# The CRL check the same way: CRLs of another backend's <Proxy> are not
# this backend's CRL source.
my $crl = <<'EOB';
    ProxyReencryptPolicy enforce
    SSLProxyCACertificateFile @pki@/root.crt
    ProxyReencryptCARevocationCheck chain
    ProxyPass /mine/ https://localhost:7001/
EOB
($rc, $out) = conf_test($crl . <<'EOB');
    <Proxy https://localhost:7002/>
        SSLProxyCARevocationFile @pki@/crl-chain.pem
    </Proxy>
EOB
isnt($rc, 0, 'an SSLProxyCARevocationFile for another backend\'s <Proxy>: refused') or diag($out);
like($out, qr{PRE0015: backend https://localhost:7001/ .*no CRL source}, '... PRE0015 names it');
($rc, $out) = conf_test($crl . <<'EOB');
    <Proxy https://localhost:7001/>
        SSLProxyCARevocationFile @pki@/crl-chain.pem
    </Proxy>
EOB
is($rc, 0, 'an SSLProxyCARevocationFile in the backend\'s own <Proxy>: accepted') or diag($out);
done_testing();

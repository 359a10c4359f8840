# One bad value per directive: `apache2 -t` fails with
# "Syntax error on line N of FILE" (N = the directive's line) and a message
# naming the directive.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Conf;

my @bad = (
    ['ProxyReencryptPolicy',            'maybe'],
    ['ProxyReencryptRequireTLS',        'sometimes'],
    ['ProxyReencryptVerify',            'x'],
    ['ProxyReencryptCACertificateFile', '/nonexistent'],
    ['ProxyReencryptCACertificatePath', '/nonexistent'],
    ['ProxyReencryptVerifyDepth',       '-1'],
    ['ProxyReencryptExpectName',        '"bad name!"'],
    ['ProxyReencryptSNI',               '127.0.0.1'],
    ['ProxyReencryptExpiry',            'abc'],
    ['ProxyReencryptExpiry',            '5 10'],
    ['ProxyReencryptPin',               'sha256//short'],
    ['ProxyReencryptCARevocationFile',  '/nonexistent'],
    ['ProxyReencryptCARevocationCheck', 'sometimes'],
    ['ProxyReencryptForwarded',         'x'],
    ['ProxyReencryptTrustedProxy',      'not-an-ip'],
    ['ProxyReencryptTrustedProxy',      '10.0.0.0/33'],
    ['ProxyReencryptStripHeader',       'X-Auth:User'],
    ['ProxyReencryptClientCertificate', '/nonexistent'],
    ['ProxyReencryptMinProtocol',       'TLSv1.1'],
    ['ProxyReencryptSessionCache',      'maybe'],
    ['ProxyReencryptProxyProtocol',     'v3'],
    ['ProxyReencryptOCSP',              'sometimes'],
    ['ProxyReencryptStatusScope',       'global'],
);

for my $b (@bad) {
    my ($directive, $value) = @$b;
    my ($rc, $out, $line_of, $file) = config_test(<<EOF2);
    ProxyPass / https://localhost:9/
    $directive $value
EOF2
    my $n = $line_of->{$directive};
    my $what = "$directive $value";
    isnt($rc, 0, "$what: apache2 -t fails");
    like($out, qr/Syntax error on line $n of \Q$file\E/, "$what: Syntax error on line $n")
        or diag($out);
    like($out, qr/\Q$directive\E/, "$what: message names the directive") or diag($out);
}

# control: the same directives with good values pass
my ($rc, $out) = config_test(<<'EOF2');
    ProxyPass / https://localhost:9/
    ProxyReencryptPolicy audit
    ProxyReencryptRequireTLS on
    ProxyReencryptVerify chain
    ProxyReencryptCACertificateFile @pki@/root.crt
    ProxyReencryptVerifyDepth 4
    ProxyReencryptExpectName backend.test 127.0.0.1
    ProxyReencryptSNI backend.test
    ProxyReencryptExpiry 30 7
    ProxyReencryptCARevocationFile @pki@/crl-chain.pem
    ProxyReencryptCARevocationCheck leaf
    ProxyReencryptOCSP require
    ProxyReencryptForwarded both
    ProxyReencryptTrustedProxy 127.0.0.1/32 ::1
EOF2
is($rc, 0, 'control: good values pass apache2 -t') or diag($out);
done_testing();

# Start-up checks (apache2 -t on generated configs loading the build output):
# under enforce a static plaintext backend stops the server, naming the
# backend and the vhost; exempting it with <Proxy> ProxyReencryptPolicy off,
# or running under audit, passes.  BalancerMembers are static backends too.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Conf;

my ($rc, $out);

($rc, $out) = config_test(<<'EOF2');
    ProxyReencryptPolicy enforce
    ProxyPass / http://127.0.0.1:9/
EOF2
isnt($rc, 0, 'enforce + ProxyPass http://: apache2 -t fails');
like($out, qr{http://127\.0\.0\.1:9}, '... and names the backend') or diag($out);
like($out, qr{startup-test}, '... and the vhost') or diag($out);
unlike($out, qr/Syntax OK/, '... no Syntax OK');

($rc, $out) = config_test(<<'EOF2');
    ProxyReencryptPolicy enforce
    ProxyPass / http://127.0.0.1:9/
    <Proxy http://127.0.0.1:9/>
        ProxyReencryptPolicy off
    </Proxy>
EOF2
is($rc, 0, 'enforce + plaintext backend exempted by <Proxy> ProxyReencryptPolicy off: exit 0') or diag($out);
like($out, qr/Syntax OK/, '... Syntax OK');

($rc, $out) = config_test(<<'EOF2');
    ProxyReencryptPolicy audit
    ProxyPass / http://127.0.0.1:9/
EOF2
is($rc, 0, 'audit + ProxyPass http://: exit 0') or diag($out);
like($out, qr/Syntax OK/, '... Syntax OK');

($rc, $out) = config_test(<<'EOF2');
    ProxyReencryptPolicy enforce
    ProxyReencryptCACertificateFile @pki@/root.crt
    <Proxy balancer://pool>
        BalancerMember https://localhost:9
        BalancerMember http://127.0.0.1:9
    </Proxy>
    ProxyPass / balancer://pool/
EOF2
isnt($rc, 0, 'enforce + BalancerMember http://: apache2 -t fails');
like($out, qr{http://127\.0\.0\.1:9}, '... and names the member') or diag($out);
like($out, qr{startup-test}, '... and the vhost') or diag($out);

($rc, $out) = config_test(<<'EOF2');
    ProxyReencryptPolicy enforce
    ProxyReencryptCACertificateFile @pki@/root.crt
    ProxyPass / https://localhost:9/
EOF2
is($rc, 0, 'control: enforce + https:// backend with a CA: exit 0') or diag($out);
like($out, qr/Syntax OK/, '... Syntax OK');

($rc, $out) = config_test(<<'EOF2');
    ProxyReencryptPolicy enforce
    ProxyReencryptVerify off
    ProxyReencryptCACertificateFile @pki@/root.crt
    ProxyPass / https://localhost:9/
EOF2
isnt($rc, 0, 'enforce + ProxyReencryptVerify off: apache2 -t fails');
like($out, qr{https://localhost:9}, '... naming the backend') or diag($out);

($rc, $out) = config_test(<<'EOF2');
    ProxyReencryptPolicy enforce
    ProxyReencryptVerify pin
    ProxyPass / https://localhost:9/
EOF2
isnt($rc, 0, 'ProxyReencryptVerify pin without a pin: apache2 -t fails');
like($out, qr{ProxyReencryptPin}, '... saying a pin is needed') or diag($out);

($rc, $out) = config_test(<<'EOF2');
    ProxyReencryptPolicy enforce
    ProxyPass / https://localhost:9/
EOF2
isnt($rc, 0, 'enforce + chain with no trust anchor at all: apache2 -t fails');
like($out, qr{https://localhost:9}, '... naming the backend') or diag($out);

done_testing();

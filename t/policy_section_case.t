# Review finding: a <Proxy> section written with the very URL of its
# ProxyPass, when that URL's host has upper-case letters, is applied by
# mod_proxy (its Require denies) but ignored by the module: the policy it
# sets (enforce, trust anchors, pins) is silently not in force, and an
# untrusted backend is served.
#
# SPEC "Which section decides": each field comes from "URL-prefix sections
# matching the member's or backend's own URL".  The section below matches
# the backend's URL exactly as written.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use MPR::Private;
use MPR::Conf;
use LWP::UserAgent;

my $pki = Apache::Test::vars('pki');
my $foreign = vhost_port('backend_foreign');    # a certificate of another root
my $good = vhost_port('backend_good');

my $s = MPR::Private::httpd(mpm => 'event', threads => 8, body => <<"EOC");
<VirtualHost 127.0.0.1:\@port\@>
    ServerName review-case
    SSLProxyEngine on
    # the vhost: audit (the default); the section: enforce, own anchors
    ProxyPass /lower/ https://localhost:$foreign/lower/
    <Proxy https://localhost:$foreign/lower/>
        ProxyReencryptPolicy enforce
        ProxyReencryptCACertificateFile $pki/root.crt
    </Proxy>
    ProxyPass /mixed/ https://LocalHost:$foreign/mixed/
    <Proxy https://LocalHost:$foreign/mixed/>
        ProxyReencryptPolicy enforce
        ProxyReencryptCACertificateFile $pki/root.crt
    </Proxy>
    # a balancer whose name has upper-case letters (mod_proxy lower-cases
    # balancer names; the section is written as in the ProxyPass)
    <Proxy balancer://MyPool>
        BalancerMember https://localhost:$foreign/pool/
        ProxyReencryptPolicy enforce
        ProxyReencryptCACertificateFile $pki/root.crt
    </Proxy>
    ProxyPass /pool/ balancer://MyPool/
    # control: mod_proxy itself applies a mixed-case section
    ProxyPass /deny/ https://LocalHost:$good/deny/
    <Proxy https://LocalHost:$good/deny/>
        Require all denied
    </Proxy>
</VirtualHost>
EOC

ok($s->{pid}, 'a private front started') or do { diag($s->{out}); done_testing(); exit 0 };
my $ua = LWP::UserAgent->new(timeout => 30, keep_alive => 0);

is($ua->get($s->url('/deny/'))->code, 403,
   'control: mod_proxy applies <Proxy https://LocalHost:P/deny/> to its ProxyPass (403)');
is($ua->get($s->url('/lower/'))->code, 502,
   'lower-case host: the section\'s enforce refuses the untrusted backend (502)');
is($ua->get($s->url('/mixed/'))->code, 502,
   'mixed-case host: the section written with the ProxyPass URL also refuses it (502)');

is($ua->get($s->url('/pool/'))->code, 502,
   '<Proxy balancer://MyPool> enforce: its untrusted member is refused (502)');

my $dump = `${\ (Apache::Test::vars('httpd') || '/usr/sbin/apache2') } -t -D DUMP_REENCRYPT -f $s->{dir}/httpd.conf 2>&1`;
my ($mixed) = $dump =~ m{(https://localhost:$foreign/mixed/.*?)(?=\n    \S|\z)}is;
like($mixed // '', qr/policy\s+enforce/, 'DUMP_REENCRYPT: the mixed-case backend is under enforce')
    or diag($mixed // $dump);
$s->stop;

# start-up: a plaintext member of <Proxy balancer://MyPool> under enforce
my ($rc, $out) = config_test(<<'EOB');
    <Proxy balancer://MyPool>
        BalancerMember http://127.0.0.1:9
        ProxyReencryptPolicy enforce
    </Proxy>
    ProxyPass /p/ balancer://MyPool/
EOB
isnt($rc, 0, 'start-up: a plaintext member of <Proxy balancer://MyPool> under enforce stops httpd')
    or diag($out);
done_testing();

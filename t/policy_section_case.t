# policy_section_case.t (the review's t/review_section_case.t, extended):
# the module applies the <Proxy> sections mod_proxy applies, whatever the
# case of the names in them.
#
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
    # health checks of a member of such a balancer obey its section too
    <Proxy balancer://HcPool>
        BalancerMember https://localhost:$foreign/hc/ hcmethod=GET hcinterval=1 hcuri=/ retry=1
        ProxyReencryptPolicy enforce
        ProxyReencryptCACertificateFile $pki/root.crt
    </Proxy>
    ProxyPass /hc/ balancer://HcPool/
    # control: mod_proxy itself applies a mixed-case section
    ProxyPass /deny/ https://LocalHost:$good/deny/
    <Proxy https://LocalHost:$good/deny/>
        Require all denied
    </Proxy>
    # patterns: mod_proxy matches <ProxyMatch> and wildcard sections, case
    # and all, with the URL as ProxyPass wrote it (not the worker's name)
    ProxyPass /rx/ https://LocalHost:$foreign/rx/
    <ProxyMatch "^https://LocalHost:$foreign/rx/">
        ProxyReencryptPolicy enforce
        ProxyReencryptCACertificateFile $pki/root.crt
    </ProxyMatch>
    ProxyPass /glob/ https://LocalHost:$foreign/glob/
    <Proxy "https://LocalHost:*/glob/*">
        ProxyReencryptPolicy enforce
        ProxyReencryptCACertificateFile $pki/root.crt
    </Proxy>
    # a case-sensitive regex that the written URL does not match: mod_proxy
    # does not apply it (control: its Require), so neither does the module
    ProxyPass /rxlow/ https://LocalHost:$foreign/rxlow/
    <ProxyMatch "^https://localhost:$foreign/rxlow/">
        ProxyReencryptPolicy enforce
        ProxyReencryptCACertificateFile $pki/root.crt
    </ProxyMatch>
    ProxyPass /rxdeny/ https://LocalHost:$good/rxdeny/
    <ProxyMatch "^https://LocalHost:$good/rxdeny/">
        Require all denied
    </ProxyMatch>
    ProxyPass /rxnodeny/ https://LocalHost:$good/rxnodeny/
    <ProxyMatch "^https://localhost:$good/rxnodeny/">
        Require all denied
    </ProxyMatch>
    # a default port written in the section: one backend with the port-less
    # worker name mod_proxy gives it (no listener needed: the test reads the dump)
    ProxyPass /dflt/ https://127.0.0.1:443/dflt/
    <Proxy https://127.0.0.1:443/dflt/>
        ProxyReencryptPolicy enforce
        ProxyReencryptCACertificateFile $pki/root.crt
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

is($ua->get($s->url('/rxdeny/'))->code, 403,
   'control: mod_proxy applies <ProxyMatch ^https://LocalHost:P/rxdeny/> (403)');
is($ua->get($s->url('/rxnodeny/'))->code, 200,
   'control: mod_proxy does not apply <ProxyMatch ^https://localhost:P/rxnodeny/> to LocalHost (200)');
is($ua->get($s->url('/rx/'))->code, 502,
   '<ProxyMatch ^https://LocalHost:P/rx/> enforce: the untrusted backend is refused (502)');
is($ua->get($s->url('/glob/'))->code, 502,
   '<Proxy https://LocalHost:*/glob/*> enforce: the untrusted backend is refused (502)');
is($ua->get($s->url('/rxlow/'))->code, 200,
   '<ProxyMatch ^https://localhost:P/rxlow/>, not applied by mod_proxy: audit, served as stock (200)');

my $hc_refused = 0;
for (1 .. 40) {
    open my $el, '<', $s->error_log or last;
    $hc_refused = grep { /PRE1010: refused backend https:\/\/localhost:$foreign\/hc\/ .*health check/ } <$el>;
    last if $hc_refused;
    select(undef, undef, undef, 0.25);
}
ok($hc_refused, '<Proxy balancer://HcPool> enforce: the health check of its untrusted member is refused')
    or diag(`tail -20 ${\ $s->error_log}`);

my $dump = `${\ (Apache::Test::vars('httpd') || '/usr/sbin/apache2') } -t -D DUMP_REENCRYPT -f $s->{dir}/httpd.conf 2>&1`;
my ($mixed) = $dump =~ m{(https://localhost:$foreign/mixed/.*?)(?=\n    \S|\z)}is;
like($mixed // '', qr/policy\s+enforce/, 'DUMP_REENCRYPT: the mixed-case backend is under enforce')
    or diag($mixed // $dump);
my ($dflt) = $dump =~ m{(https://127\.0\.0\.1/dflt/.*?)(?=\n    \S|\z)}s;
like($dflt // '', qr/policy\s+enforce/,
     'DUMP_REENCRYPT: <Proxy https://127.0.0.1:443/dflt/> applies to the worker https://127.0.0.1/dflt/')
    or diag($dflt // $dump);
# requests through ProxyPass https://LocalHost:P/rx/ are under the regex's
# enforce (the worker's own name, lower-case, does not match it)
my ($rx) = $dump =~ m{(https://localhost:$foreign/rx/ via ProxyPass https://LocalHost:$foreign/rx/\n.*?)(?=\n    \S|\z)}s;
like($rx // '', qr/policy\s+enforce/,
     'DUMP_REENCRYPT: requests via ProxyPass https://LocalHost:P/rx/ are under the <ProxyMatch> enforce')
    or diag($rx // $dump);
my ($rxlow) = $dump =~ m{(https://localhost:$foreign/rxlow/ via ProxyPass https://LocalHost:$foreign/rxlow/\n.*?)(?=\n    \S|\z)}s;
like($rxlow // '', qr/policy\s+audit/,
     'DUMP_REENCRYPT: requests via ProxyPass https://LocalHost:P/rxlow/ are not under the lower-case regex')
    or diag($rxlow // $dump);
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
like($out, qr/PRE\d+: backend http:\/\/127\.0\.0\.1:9 of balancer:\/\/mypool .*ProxyReencryptPolicy enforce/i,
     'start-up: the refusal names the member, its balancer and the enforce');

# start-up: a plaintext backend under enforce from sections written with
# the ProxyPass URL's case: a prefix section, and a regex
for my $case (['prefix', "<Proxy http://LocalHost:9/a/>"],
              ['regex', '<ProxyMatch "^http://LocalHost:9/a/">']) {
    my ($what, $open) = @$case;
    (my $close = $open) =~ s/^<(\w+).*/<\/$1>/;
    my ($rc2, $out2) = config_test(<<"EOB");
    ProxyPass /a/ http://LocalHost:9/a/
    $open
        ProxyReencryptPolicy enforce
    $close
EOB
    isnt($rc2, 0, "start-up: plaintext http://LocalHost:9/a/ under a $what section's enforce stops httpd")
        or diag($out2);
}
# start-up: the lower-case regex mod_proxy does not apply refuses nothing
my ($rc3, $out3) = config_test(<<'EOB');
    ProxyPass /a/ http://LocalHost:9/a/
    <ProxyMatch "^http://localhost:9/b/">
        ProxyReencryptPolicy enforce
    </ProxyMatch>
EOB
is($rc3, 0, 'start-up: a section naming another path refuses nothing') or diag($out3);
done_testing();

# Start-up findings under audit reach the ERROR LOG of a running server
# (not only the console): one line per backend, however many vhosts copy a
# main-server backend, naming the balancer and every vhost that uses it;
# then the summary "N backends checked, M would be refused (reason=M)";
# and the version line.  Under `apachectl -t` the same report goes to the
# console.  A real httpd of our own (MPR::Run), read from its error_log.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Conf;
use MPR::Run;

my $body = <<'EOF2';
ProxyReencryptPolicy audit
ProxyPass /plain http://127.0.0.1:9/
<Proxy balancer://pool>
    BalancerMember http://127.0.0.1:10
    BalancerMember https://localhost:11
</Proxy>
ProxyPass /pool balancer://pool/
<VirtualHost 127.0.0.1:@port@>
    ServerName one.test
</VirtualHost>
<VirtualHost 127.0.0.1:@port@>
    ServerName two.test
    ProxyPass /own http://127.0.0.1:12/
</VirtualHost>
<VirtualHost 127.0.0.1:@port@>
    ServerName three.test
    <Proxy http://127.0.0.1:9/>
        ProxyReencryptPolicy off
    </Proxy>
</VirtualHost>
EOF2

my $h = MPR::Run->start($body);
ok($h, 'httpd starts under audit with plaintext backends') or diag($MPR::Run::error);
my $log = $h ? $h->error_log : '';
$h->stop if $h;
unlike($h ? $h->{start_output} : '', qr/PRE0013/,
       'the findings are not (only) printed to the console at start-up');

my @plain = grep { m{PRE0013: backend http://127\.0\.0\.1:9/? } } split /\n/, $log;
is(scalar @plain, 1, 'main-server backend copied into 3 vhosts: one error-log line') or diag($log);
my ($vh) = ($plain[0] // '') =~ /\(vhosts ([^)]*)\)/;
is(join(' ', sort map { s/:\d+$//r } split /, /, $vh // ''), 'localhost one.test two.test',
   '... naming every vhost that uses it, not the one that exempts it') or diag($plain[0]);
like($plain[0] // '', qr/would be refused: reason=plaintext/, '... with the reason');

my @member = grep { m{PRE0013: backend http://127\.0\.0\.1:10 } } split /\n/, $log;
is(scalar @member, 1, 'balancer member: one line') or diag($log);
like($member[0] // '', qr{of balancer://pool }, '... naming its balancer') or diag($member[0]);

my @own = grep { m{PRE0013: backend http://127\.0\.0\.1:12/? } } split /\n/, $log;
like($own[0] // '', qr{\(vhost two\.test:\d+\)}, "a vhost's own backend names that vhost")
    or diag($log);

# backends: :9, :10, https :11, :12 = 4; would refuse: :9, :10, :12
like($log, qr/PRE0016: start-up check: 4 backends checked, 3 would be refused \(plaintext=3\)/,
     'summary line with the count by reason') or diag($log);
my @summary = ($log =~ /PRE0016/g);
is(scalar @summary, 1, '... once');
like($log, qr{PRE0001: mod_proxy_reencrypt/\d+\.\d+\.\d+ \(OpenSSL [^)]*\) configured},
     'the version line is in the error log');

(my $tbody = $body) =~ s/\@port\@/9/g;
$tbody =~ s/^<VirtualHost.*?<\/VirtualHost>\n//gms;   # config_test adds its own vhost
my ($rc, $out) = config_test('', main => $tbody);
is($rc, 0, 'apache2 -t under audit: exit 0') or diag($out);
my @t = ($out =~ m{(PRE0013: backend http://127\.0\.0\.1:9/? )}g);
is(scalar @t, 1, 'apache2 -t: the report on the console, one line per backend') or diag($out);
like($out, qr/PRE0016: start-up check: 3 backends checked, 2 would be refused/,
     'apache2 -t: the summary on the console') or diag($out);

done_testing();

# (Review finding) The policy set in <Proxy> sections was ignored whenever a
# virtual host that sets no ProxyReencrypt* directive of its own (a plain
# :80 redirect vhost, Debian's 000-default) is defined before the vhost.
#
# Vhosts that set none of the module's directives share the main server's
# per-directory configuration (httpd hands them the base vector), and
# pr_resolve_server() writes the shortcut `alone` ("no section of ours:
# the vhost's own policy") into that shared structure, once per vhost.  The
# last vhost processed (the first defined) wins, and every vhost sharing the
# structure then answers with the defaults (audit), whatever its <Proxy>
# sections say.
#
# SPEC "Which section decides": each field comes from the most specific
# scope that sets it; "Static ProxyPass/BalancerMember targets are checked
# at start-up: under enforce the server refuses to start".
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use MPR::Conf;
use MPR::Private;
use LWP::UserAgent;

my $pki = Apache::Test::vars('pki');
my $foreign = vhost_port('backend_foreign');    # a certificate of another root
my $echo = vhost_port('fwd_echo');              # reports the request headers it got

my $front = <<"EOV";
<VirtualHost 127.0.0.1:\@port\@>
    ServerName review-sections
    SSLProxyEngine on
    ProxyPass /x/ https://localhost:$foreign/x/
    <Proxy https://localhost:$foreign/x/>
        ProxyReencryptPolicy enforce
        ProxyReencryptCACertificateFile $pki/root.crt
    </Proxy>
    ProxyPass /echo/ https://localhost:$echo/echo/
    <Proxy https://localhost:$echo/echo/>
        ProxyReencryptPolicy enforce
        ProxyReencryptCACertificateFile $pki/root.crt
    </Proxy>
</VirtualHost>
EOV
my $plain_vhost = <<"EOV";
<VirtualHost 127.0.0.1:\@port1\@>
    ServerName review-first
</VirtualHost>
EOV

my $ua = LWP::UserAgent->new(timeout => 30, keep_alive => 0);

# what the echo backend saw of a client-forged X-Forwarded-For / X-Real-IP
sub forged_seen {
    my ($s) = @_;
    my $r = $ua->get($s->url('/echo/'), 'X-Forwarded-For' => '6.6.6.6', 'X-Real-IP' => '6.6.6.6');
    return ($r->code, scalar grep { /6\.6\.6\.6/ } split /\n/, $r->decoded_content);
}

# control: the front alone
{
    my $s = MPR::Private::httpd(mpm => 'event', threads => 8, ports => 2, body => $front);
    ok($s->{pid}, 'control front started') or diag($s->{out});
    is($ua->get($s->url('/x/'))->code, 502, 'control (no other vhost): the section\'s enforce refuses the untrusted backend (502)');
    my ($code, $n) = forged_seen($s);
    ok($code == 200 && $n == 0, "control: the section's enforce strips a forged X-Forwarded-For/X-Real-IP ($code, $n lines)");
    $s->stop;
}
# the same front, with a plain vhost defined before it
{
    my $s = MPR::Private::httpd(mpm => 'event', threads => 8, ports => 2, body => $plain_vhost . $front);
    ok($s->{pid}, 'front with a plain vhost before it started') or diag($s->{out});
    is($ua->get($s->url('/x/'))->code, 502, 'a plain vhost defined first: the section\'s enforce still refuses the untrusted backend (502)');
    my ($code, $n) = forged_seen($s);
    ok($code == 200 && $n == 0, "a plain vhost defined first: a forged X-Forwarded-For/X-Real-IP is still stripped ($code, $n lines)");
    my $httpd = Apache::Test::vars('httpd') || '/usr/sbin/apache2';
    my $dump = `$httpd -t -D DUMP_REENCRYPT -f $s->{dir}/httpd.conf 2>&1`;
    my ($b) = $dump =~ m{(https://localhost:$foreign/x/.*?)(?=\n    \S|\z)}s;
    like($b // '', qr/policy\s+enforce/, 'a plain vhost defined first: DUMP_REENCRYPT shows the section\'s enforce')
        or diag($b // $dump);
    $s->stop;
}

# start-up (held on the current main: check_config judges each vhost's
# backends right after resolving it, before a later vhost overwrites the
# shared shortcut; the request path and -D DUMP_REENCRYPT come later)
# start-up: a plaintext member of a balancer whose section says enforce
my $bal = <<'EOB';
    <Proxy balancer://review>
        BalancerMember http://127.0.0.1:9
        ProxyReencryptPolicy enforce
    </Proxy>
    ProxyPass /p/ balancer://review/
EOB
my ($rc, $out) = config_test($bal);
isnt($rc, 0, 'control: enforce balancer with a plaintext member: start-up refused') or diag($out);
($rc, $out) = config_test($bal, main => "<VirtualHost 127.0.0.1:9>\n    ServerName review-first\n</VirtualHost>\n");
isnt($rc, 0, 'with a plain vhost defined first: start-up still refused') or diag($out);
like($out, qr/PRE0012: backend http:\/\/127\.0\.0\.1:9/, '... naming the plaintext member (PRE0012)');
done_testing();

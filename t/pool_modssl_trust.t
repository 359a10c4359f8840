# (review finding) a pooled backend connection verified under one vhost's
# trust anchors serves a request of another vhost whose anchors refuse that
# backend.
#
# Both vhosts are under enforce with the SPEC's default trust anchors
# ("ProxyReencryptCACertificateFile: mod_ssl's SSLProxyCACertificate* for
# that scope"), which differ: A trusts the foreign root, B only the test
# root.  They share a backend worker (a ProxyPass of the main server, which
# every vhost inherits).  The connection key that decides pooled reuse
# (pr_conn_key: the policy's fingerprint, SNI, names) does not hold the
# trust store actually used (mod_ssl's, per vhost / <Proxy>), so after A
# has opened a connection, B is served over it.  With disablereuse=on, or
# when B comes first, B is refused as it should be.
#
# SPEC: "A pooled backend connection opened for another scope (other SNI,
# client certificate, PROXY header or policy) is never used for this one";
# README: a pooled keep-alive connection serves only requests of the scope
# it was opened for.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use MPR::Private;
use LWP::UserAgent;

my $pki = Apache::Test::vars('pki');
my $foreign = vhost_port('backend_foreign');    # leaf of the foreign root

my $s = MPR::Private::httpd(mpm => 'event', threads => 8, ports => 2, body => <<"EOC");
SSLProxyEngine on
ProxyPass /shared/ https://localhost:$foreign/shared/
<VirtualHost 127.0.0.1:\@port\@>
    ServerName review-pool-a
    SSLProxyEngine on
    ProxyReencryptPolicy enforce
    SSLProxyCACertificateFile $pki/foreign-root.crt
</VirtualHost>
<VirtualHost 127.0.0.1:\@port1\@>
    ServerName review-pool-b
    SSLProxyEngine on
    ProxyReencryptPolicy enforce
    SSLProxyCACertificateFile $pki/root.crt
</VirtualHost>
EOC
ok($s->{pid} && @{ $s->{children} || [] } == 1, 'a private server with one child started')
    or do { diag($s->{out}); done_testing(); exit 0 };

my $ua = LWP::UserAgent->new(timeout => 30, keep_alive => 0);
my $a = $s->url('/shared/');
my $b = "http://127.0.0.1:$s->{ports}[1]/shared/";

is($ua->get($b)->code, 502, 'B first: B\'s anchors refuse the foreign backend (502)');
is($ua->get($a)->code, 200, 'A: A\'s anchors accept it (200), the connection is pooled');
is($ua->get($b)->code, 502, 'B after A: still refused, never served over A\'s pooled connection');
is($ua->get($b)->code, 502, 'B again: refused');
$s->stop;

# the same inside one vhost: two <Proxy> sections of one worker with their
# own mod_ssl anchors (SSLProxyCACertificateFile in <Proxy>, mod_ssl 2.4.30+)
$s = MPR::Private::httpd(mpm => 'event', threads => 8, body => <<"EOC");
<VirtualHost 127.0.0.1:\@port\@>
    ServerName review-pool-sections
    SSLProxyEngine on
    # the /w/ worker needs anchors of its own under enforce (PRE0014); the sections override them
    SSLProxyCACertificateFile $pki/root.crt
    ProxyReencryptPolicy enforce
    ProxyPass /w/ https://localhost:$foreign/
    ProxyPass /a/ https://localhost:$foreign/a/
    ProxyPass /b/ https://localhost:$foreign/b/
    <Proxy https://localhost:$foreign/a/>
        SSLProxyCACertificateFile $pki/foreign-root.crt
    </Proxy>
    <Proxy https://localhost:$foreign/b/>
        SSLProxyCACertificateFile $pki/root.crt
    </Proxy>
</VirtualHost>
EOC
ok($s->{pid}, 'sections: a private server started') or diag($s->{out});
is($ua->get($s->url('/b/'))->code, 502, 'sections: /b/ first: refused (502)');
isnt($ua->get($s->url('/a/'))->code, 502, 'sections: /a/: its anchors accept the backend (reached)');
is($ua->get($s->url('/b/'))->code, 502, 'sections: /b/ after /a/: still refused, not served over /a/\'s connection');
$s->stop;
done_testing();

# mod_ssl's proxy configuration is part of a pooled connection's identity
# (pr_modssl_scope.c), and only as written:
# - scopes whose SSLProxy* directives read alike (two vhosts, two <Proxy>
#   sections) keep sharing one backend connection;
# - a scope whose mod_ssl anchors differ, yet accept the backend too, gets a
#   fresh connection (200, never a 502 nor a ride on the other's connection).
# The backend's own connection serial (nginx $connection) tells them apart.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use MPR::Private;
use LWP::UserAgent;
use File::Temp ();

my $pki = Apache::Test::vars('pki');
my $ngx = MPR::Private::nginx(conn_log => 1, servers => [
    ['foreign', "$pki/foreign-chain.crt", "$pki/foreign.key"],
]);
plan skip_all => 'nginx not installed' unless $ngx;
my $F = $ngx->{port}{foreign};
my $log = $ngx->log_file('foreign');

# other anchors that accept the backend too: both roots in one file
my $tmp = File::Temp::tempdir('mpr-both-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $both = "$tmp/both-roots.crt";
{
    open my $o, '>', $both or die "$both: $!";
    for my $f ("$pki/foreign-root.crt", "$pki/root.crt") {
        open my $i, '<', $f or die "$f: $!";
        print {$o} <$i>;
    }
}
chmod 0755, $tmp;
chmod 0644, $both;

# [path, expected status] in order -> { path => [conn serials] }
sub run {
    my ($ua, $seq) = @_;
    my $before = line_count($log);
    my @codes = map { $ua->get($_->[0])->code } @$seq;
    is("@codes", join(' ', map { $_->[1] } @$seq), 'statuses: ' . join(' ', @codes));
    wait_lines($log, $before + scalar(grep { $_->[1] == 200 } @$seq));
    my @lines = do { open my $fh, '<', $log or die "$log: $!"; <$fh> };
    return map { m{"GET (\S+) [^"]*" 200 conn=(\d+)} ? [$1, $2] : () } @lines[$before .. $#lines];
}

my $ua = LWP::UserAgent->new(timeout => 30, keep_alive => 0);

# vhosts: a and a2 written alike, c with other anchors that accept it too
my $s = MPR::Private::httpd(mpm => 'event', threads => 8, ports => 3, body => <<"EOC");
SSLProxyEngine on
ProxyPass /shared/ https://localhost:$F/shared/
<VirtualHost 127.0.0.1:\@port\@>
    ServerName share-a
    ProxyReencryptPolicy enforce
    SSLProxyCACertificateFile $pki/foreign-root.crt
</VirtualHost>
<VirtualHost 127.0.0.1:\@port1\@>
    ServerName share-a2
    ProxyReencryptPolicy enforce
    SSLProxyCACertificateFile $pki/foreign-root.crt
</VirtualHost>
<VirtualHost 127.0.0.1:\@port2\@>
    ServerName share-c
    ProxyReencryptPolicy enforce
    SSLProxyCACertificateFile $both
</VirtualHost>
EOC
ok($s->{pid}, 'vhosts: a private server started') or diag($s->{out});
my @u = map { "http://127.0.0.1:$_/shared/" } @{ $s->{ports} };
my @seen = run($ua, [[$u[0], 200], [$u[1], 200], [$u[0], 200], [$u[2], 200], [$u[2], 200]]);
is(scalar(@seen), 5, 'vhosts: the backend saw the 5 requests');
my ($a1, $a2, $a3, $c1, $c2) = map { $_->[1] } @seen;
ok(defined $a3 && $a1 == $a2 && $a2 == $a3,
   'vhosts: SSLProxy* written alike: a, a2, a over one backend connection')
    or diag(join ', ', map { "$_->[0] conn $_->[1]" } @seen);
ok(defined $c2 && $c1 != $a1, 'vhosts: other mod_ssl anchors: a fresh connection, not a\'s')
    or diag(join ', ', map { "$_->[0] conn $_->[1]" } @seen);
ok(defined $c2 && $c1 == $c2, 'vhosts: ... which it then keeps')
    or diag(join ', ', map { "$_->[0] conn $_->[1]" } @seen);
$s->stop;

# the same with <Proxy> sections of one vhost and one worker
$s = MPR::Private::httpd(mpm => 'event', threads => 8, body => <<"EOC");
<VirtualHost 127.0.0.1:\@port\@>
    ServerName share-sections
    SSLProxyEngine on
    # the /w/ worker needs anchors of its own under enforce (PRE0014); the sections override them
    SSLProxyCACertificateFile $both
    ProxyReencryptPolicy enforce
    ProxyPass /w/ https://localhost:$F/
    ProxyPass /a/ https://localhost:$F/a/
    ProxyPass /a2/ https://localhost:$F/a2/
    ProxyPass /c/ https://localhost:$F/c/
    <Proxy https://localhost:$F/a/>
        SSLProxyCACertificateFile $pki/foreign-root.crt
    </Proxy>
    <Proxy https://localhost:$F/a2/>
        SSLProxyCACertificateFile $pki/foreign-root.crt
    </Proxy>
    <Proxy https://localhost:$F/c/>
        SSLProxyCACertificateFile $both
    </Proxy>
</VirtualHost>
EOC
ok($s->{pid}, 'sections: a private server started') or diag($s->{out});
@seen = run($ua, [map { [$s->url($_), 200] } qw(/a/ /a2/ /a/ /c/ /c/)]);
is(scalar(@seen), 5, 'sections: the backend saw the 5 requests');
($a1, $a2, $a3, $c1, $c2) = map { $_->[1] } @seen;
ok(defined $a3 && $a1 == $a2 && $a2 == $a3,
   'sections: SSLProxy* written alike: /a/, /a2/, /a/ over one backend connection')
    or diag(join ', ', map { "$_->[0] conn $_->[1]" } @seen);
ok(defined $c2 && $c1 != $a1, 'sections: other mod_ssl anchors: a fresh connection')
    or diag(join ', ', map { "$_->[0] conn $_->[1]" } @seen);
ok(defined $c2 && $c1 == $c2, 'sections: ... which it then keeps')
    or diag(join ', ', map { "$_->[0] conn $_->[1]" } @seen);
$s->stop;
done_testing();

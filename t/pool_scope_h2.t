# Pooled h2:// backend connections across <Proxy> scopes sharing one worker
# (issue 9 item 4): mod_proxy_http2 keeps its HTTP/2 session on the pooled
# connection; a request of one scope must never ride a connection (its SNI,
# client certificate, verified name, policy) opened for another scope, and
# a mismatch costs the client nothing: every request is served (200), over
# a fresh connection.  Seen from the backend (t/conf/pool_h2.conf.in): its
# access log names each request's connection, protocol, SNI and client
# certificate serial.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use MPR::Identity;

# Debian's apache2 always ships mod_proxy_http2: a missing h2 vhost there is
# a configuration that did not load, a failure, never a skip.
my $h2_vhost = eval { vhost_port('ph2_front') };
plan skip_all => 'mod_proxy_http2 not installed'
    unless $h2_vhost || !-e '/usr/lib/apache2/modules/mod_proxy_http2.so';
if (!$h2_vhost) { plan tests => 1; fail('mod_proxy_http2 is installed: the h2 test vhost must be configured'); exit 0; }

my $ua = keepalive_ua();
my $base = sprintf 'http://127.0.0.1:%d', vhost_port('ph2_front');
my $blog = Apache::Test::vars('t_logs') . '/ph2_be.log';

sub serial_of {
    my $f = Apache::Test::vars('pki') . "/$_[0].crt";
    my $s = `openssl x509 -in '$f' -noout -serial`;
    $s =~ s/^serial=//;
    chomp $s;
    return $s;
}
my %serial = (one => serial_of('client'), two => serial_of('client2'));

# front path => [scope, backend path, SNI expected, client certificate serial expected]
# (/w/ and /cc/none/ have no section of their own: one scope, "base")
my %scope = (
    '/w/'       => ['base', '/',         'localhost',  '-'],
    '/cc/none/' => ['base', '/cc-none/', 'localhost',  '-'],
    '/sni/a/'   => ['sni-a', '/sni-a/',  'alpha.test', '-'],
    '/sni/b/'   => ['sni-b', '/sni-b/',  'beta.test',  '-'],
    '/cc/one/'  => ['cc-one', '/cc-one/', 'localhost', $serial{one}],
    '/cc/two/'  => ['cc-two', '/cc-two/', 'localhost', $serial{two}],
    '/name/'    => ['name',  '/name/',   undef,        '-'],
    '/off/'     => ['off',   '/off/',    'localhost',  '-'],
);

# Each round: runs of the same scope (a pooled connection is reused), then
# switches between scopes in both directions, the off scope right after a
# client-certificate connection and an enforce scope right after the off one.
my @round = qw(/w/ /w/ /sni/a/ /sni/a/ /sni/b/ /sni/a/ /cc/one/ /cc/one/ /off/
               /cc/one/ /off/ /off/ /cc/two/ /cc/one/ /cc/none/ /name/ /name/
               /w/ /off/ /sni/b/ /cc/two/ /off/ /name/ /cc/none/);
my $port = vhost_port('ph2_be');

# check(WHAT, BEFORE, [PATH, QUERY, STATUS]...): every request served, and
# from the backend's log: over HTTP/2, with its scope's SNI and client
# certificate, on a connection that carried no other scope.  Returns how
# many connections served more than one request.
sub check {
    my ($what, $before, @sent) = @_;
    my @bad = map { "$_->[0]?$_->[1]: $_->[2]" } grep { $_->[2] !~ /^200\b/ } @sent;
    is(scalar(@bad), 0, "$what: every request served (200, never 502)") or diag(join "\n", @bad);

    wait_lines($blog, $before + @sent, 5);
    my @lines = do { open my $fh, '<', $blog or die "$blog: $!"; <$fh> };
    @lines = @lines[$before .. $#lines];
    my %line_of;
    for (@lines) {
        $line_of{$1} = $_ if m{"GET \S+\?(i=[\w.]+) HTTP/};
    }
    my (%conn_scopes, %conn_uses, @wrong);
    for my $s (@sent) {
        my ($p, $q) = @$s;
        my ($scope, $bpath, $sni, $serial) = @{$scope{$p}};
        my $l = $line_of{$q};
        unless ($l) { push @wrong, "$p?$q: not in the backend's log"; next }
        chomp $l;
        my ($conn) = $l =~ /^conn=(\d+) /;
        push @wrong, "$p?$q: $l (not this path over HTTP/2)"
            unless $l =~ m{"GET \Q${bpath}\Ex\?\Q$q\E HTTP/2\.0" 200 HTTP/2\.0 };
        push @wrong, "$p?$q: $l (SNI is not $sni)" if defined $sni && $l !~ / sni=\Q$sni\E /;
        push @wrong, "$p?$q: $l (client certificate serial is not $serial)"
            unless $l =~ / serial=\Q$serial\E$/;
        $conn_scopes{$conn}{$scope}++;
        $conn_uses{$conn}++;
    }
    is(scalar(@wrong), 0, "$what: each request reached the backend over HTTP/2 with its own scope's SNI and client certificate")
        or diag(join "\n", @wrong);
    my @shared = map { "connection $_: " . join(', ', sort keys %{$conn_scopes{$_}}) }
                 grep { keys %{$conn_scopes{$_}} > 1 } sort keys %conn_scopes;
    is(scalar(@shared), 0, "$what: no backend connection carried requests of two scopes")
        or diag(join "\n", @shared);
    return scalar grep { $_ > 1 } values %conn_uses;
}

# One client connection, the rounds in sequence.
my $before = line_count($blog);
my $mark = log_mark();
my @sent;
for my $i (1 .. 3) {
    for my $k (0 .. $#round) {
        my $p = $round[$k];
        my $q = "i=$i.$k";
        push @sent, [$p, $q, $ua->get("$base${p}x?$q")->status_line];
    }
}
my $reused = check('interleaved scopes on one h2 worker', $before, @sent);

# The check that kept them apart: mod_proxy's speculative read of the
# pooled connection, answered by the module (PRE1012), before any write.
ok(wait_log($mark, qr/PRE1012: .*localhost:$port\b/),
   'the mismatching pooled connections were set aside by the reuse check (PRE1012: a fresh one is used)');

# Without reuse the test above would prove nothing.
ok($reused >= 5, "pooled h2 connections were reused within a scope ($reused connections served more than one request)");

# Four clients at once, each going through the rounds from another place:
# connections of several scopes pooled side by side, taken by the threads
# of the same front process.
$before = line_count($blog);
my @kids;
for my $c (1 .. 4) {
    my $pid = open my $fh, '-|';
    die "fork: $!" unless defined $pid;
    if (!$pid) {
        my $ua = keepalive_ua();
        for my $i (0 .. 2 * @round - 1) {
            my $k = ($i + 6 * $c) % @round;
            my $p = $round[$k];
            my $q = "i=c$c.$i";
            print "$p $q ", $ua->get("$base${p}x?$q")->status_line, "\n";
        }
        exit 0;
    }
    push @kids, $fh;
}
@sent = ();
for my $fh (@kids) {
    while (<$fh>) {
        chomp;
        push @sent, [split / /, $_, 3];
    }
    close $fh;
}
is(scalar(@sent), 4 * 2 * @round, 'concurrent clients: every client made all its requests');
note('concurrent clients: ' . check('four concurrent clients', $before, @sent)
     . ' connections served more than one request');

done_testing();

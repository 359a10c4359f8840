# A resumed session keeps its full handshake's verdict, but the checks
# that time changes are redone on every resumption (issue 11): a backend
# whose certificate entered the expiry window, or expired, since the full
# handshake is refused on a resumed connection.
#
# How time moves, honestly: no clock is faked. The test issues the
# backend's certificate itself (signed by the test PKI's intermediate CA,
# with `openssl ca` for a to-the-second notAfter) so that it leaves the
# window a few seconds after the first, full handshake, serves it with
# `openssl s_server -www` (which reports "New" or "Reused" for each
# connection), and waits those seconds out:
#   /w/  ProxyReencryptExpiry 30 1, notAfter = now + 1 day + S: the full
#        handshake has 1 day left (served); S seconds later 0 (refused,
#        reason=expiring);
#   /v/  default window, notAfter = now + S: served, then expired.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use POSIX qw(strftime);
use Time::HiRes qw(time sleep);

my $S   = 12;                     # seconds of margin before the boundary
my $pki = vars_of('pki');
my $dir = tempdir(CLEANUP => 1);

sub gtime { strftime('%Y%m%d%H%M%SZ', gmtime($_[0])) }

# issue NAME NOT_AFTER: a leaf for localhost signed by the intermediate CA
sub issue {
    my ($name, $not_after) = @_;
    my $ca = "$dir/ca-$name";
    mkdir "$ca"; mkdir "$ca/certs";
    open my $fh, '>', "$ca/index.txt" or die; close $fh;
    open $fh, '>', "$ca/ca.cnf" or die;
    print $fh <<"CNF";
[ca]
default_ca = d
[d]
dir = $ca
database = \$dir/index.txt
new_certs_dir = \$dir/certs
certificate = $pki/inter.crt
private_key = $pki/inter.key
rand_serial = yes
default_md = sha256
policy = p
unique_subject = no
copy_extensions = none
[p]
commonName = optional
[ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost
CNF
    close $fh;
    my $q = "2>>$dir/openssl.err >/dev/null";
    system("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $dir/$name.key $q") == 0
        and system("openssl req -new -key $dir/$name.key -subj /CN=$name -out $dir/$name.csr $q") == 0
        and system("openssl ca -config $ca/ca.cnf -batch -notext -startdate " . gtime(time - 3600)
                   . " -enddate " . gtime($not_after) . " -extensions ext -extfile $ca/ca.cnf"
                   . " -in $dir/$name.csr -out $dir/$name.crt $q") == 0
        or die "cannot issue $name: " . `cat $dir/openssl.err`;
}

sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1)
        or die "bind: $!";
    my $p = $s->sockport;
    close $s;
    return $p;
}

sub s_server {
    my ($name, $port) = @_;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        POSIX::close($_) for 3 .. 63;      # no lock or pipe of the runner
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', "$dir/$name.out";
        open STDERR, '>&', \*STDOUT;
        { exec 'openssl', 's_server', '-accept', "127.0.0.1:$port", '-www',
             '-cert', "$dir/$name.crt", '-key', "$dir/$name.key", '-cert_chain', "$pki/inter.crt" };
        POSIX::_exit(127);
    }
    for (1 .. 100) {
        last if IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port");
        sleep 0.05;
    }
    return $pid;
}

my $t0 = time;
my %case = (
    w => { vhost => 'sess_exp', name => 'front-session-expiry',   not_after => int($t0) + 86400 + $S, reason => 'expiring' },
    v => { vhost => 'sess_valid', name => 'front-session-validity', not_after => int($t0) + $S,         reason => 'expired' },
);
my @pids;
END { kill TERM => @pids if @pids }
for my $k (sort keys %case) {
    issue($k, $case{$k}{not_after});
    $case{$k}{port} = free_port();
    push @pids, s_server($k, $case{$k}{port});
}

sub get {
    my ($k, $n) = @_;
    my $c = $case{$k};
    my $res = fetch($c->{vhost}, "/$k/$c->{port}/$n");
    my ($how) = ($res->content // '') =~ /^(New|Reused), TLS/m;
    return ($res->code, $how // '-');
}

# Sessions live per front child and a request may land on any child: N
# requests each side of the boundary, so that children hold sessions.
my $N = 10;

# before the boundary: full handshakes, then resumed ones, all served
for my $k (sort keys %case) {
    my @r = map { join ' ', get($k, $_) } 1 .. $N;
    is(scalar(grep { /^200 / } @r), $N, "/$k/: $N connections served") or diag("@r");
    is((split ' ', $r[0])[1], 'New', "/$k/: the first is a full handshake");
    cmp_ok(scalar(grep { /^200 Reused/ } @r), '>', 0, "/$k/: later ones resume the session")
        or diag("@r");
}
cmp_ok(time, '<', $t0 + $S - 1, 'all served before the boundary (the box was quick enough)');

# after the boundary: resumed connections are judged again, and refused
my $wait = $t0 + $S + 1.5 - time;
sleep $wait if $wait > 0;
for my $k (sort keys %case) {
    my $c = $case{$k};
    my $mark = log_mark();
    my @codes = map { (get($k, 100 + $_))[0] } 1 .. $N;
    is(scalar(grep { $_ == 502 } @codes), $N, "/$k/: after the boundary every connection is refused")
        or diag("@codes");
    wait_log($mark, qr/PRE1010: refused .*vhost \Q$c->{name}\E:.*\(resumed session\)/);
    my @lines = grep { /PRE1010: refused .*vhost \Q$c->{name}\E:/ } lines_after($mark);
    is(scalar(grep { !/reason=\Q$c->{reason}\E;/ } @lines), 0, "/$k/: every refusal says reason=$c->{reason}")
        or diag(@lines);
    cmp_ok(scalar(grep { /\(resumed session\)/ } @lines), '>', 0,
           "/$k/: refused on resumed sessions (the time-dependent check redone)") or diag(@lines);
}

sub lines_after {
    my ($mark) = @_;
    open my $fh, '<', MPR::Test::error_log() or return ();
    seek $fh, $mark, 0;
    return <$fh>;
}

kill TERM => @pids;
waitpid $_, 0 for @pids;
@pids = ();
done_testing();

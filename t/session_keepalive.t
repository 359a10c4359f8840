# A backend that closes pooled connections (nginx keepalive_requests 5)
# must not cost the session: every backend connection a front child opens
# after its first resumes the session of the one before, on TLS 1.2 and
# TLS 1.3 (nginx's own $ssl_session_reused says so, not the module).
#
# mod_proxy drops a closed backend connection without a close_notify, and
# OpenSSL then marks the session of that connection not resumable: a
# cache holding the live session lost it (issue 11).
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;

plan skip_all => 'nginx backends not running' unless have_nginx();

my $N = 30;     # requests per backend: 6 backend connections at least

sub lines_of {
    my ($file) = @_;
    open my $fh, '<', $file or return ();
    return <$fh>;
}

for my $case (['ka12', 'ka5_12', 'TLSv1.2'], ['ka13', 'ka5_13', 'TLSv1.3']) {
    my ($path, $backend, $proto) = @$case;
    my @codes = map { fetch('sess_front', "/$path/$_")->code } 1 .. $N;
    is(scalar(grep { $_ == 200 } @codes), $N, "/$path/: $N requests served") or diag("@codes");

    # front: request number -> child pid
    my %pid;
    for (lines_of(vars_of('t_logs') . '/front_session.log')) {
        $pid{$2} = $1 if m{^pid=(\d+) /\Q$path\E/(\d+) 200};
    }
    # backend: request number -> connection serial, reused flag of that connection
    my (%conn, %first, @order);
    for (lines_of(nginx_log($backend))) {
        next unless m{^/\Q$path\E/(\d+) conn=(\d+) reused=(\S) proto=(\S+)};
        my ($req, $conn, $reused, $p) = ($1, $2, $3, $4);
        next unless $req =~ /^\d+$/ && $req <= $N;
        $conn{$req} = $conn;
        unless (exists $first{$conn}) {
            $first{$conn} = { reused => $reused, req => $req, proto => $p };
            push @order, $conn;
        }
    }
    is(scalar(keys %conn), $N, "/$path/: the backend saw the $N requests");
    cmp_ok(scalar(@order), '>=', int($N / 5), "/$path/: the backend closed its connections (keepalive_requests 5)");

    # per front child, its backend connections in order: all but the first resume
    my (%seen_child, @full_after_first, $resumed, $later);
    for my $conn (@order) {
        my $f = $first{$conn};
        my $child = $pid{ $f->{req} } // 'unknown';
        fail("/$path/: connection $conn speaks $f->{proto}, not $proto") if $f->{proto} ne $proto;
        if ($seen_child{$child}++) {
            ++$later;
            if ($f->{reused} eq 'r') { ++$resumed }
            else { push @full_after_first, "conn $conn (request $f->{req}, child $child)" }
        }
    }
    note("/$path/: " . scalar(@order) . " backend connections over " . scalar(keys %seen_child)
         . " front children; $resumed of $later later connections resumed");
    cmp_ok($later, '>', 0, "/$path/: some front child opened more than one backend connection");
    is(scalar(@full_after_first), 0,
       "/$path/ ($proto): every later backend connection of a child resumed its session")
        or diag("full handshakes: @full_after_first");
}
done_testing();

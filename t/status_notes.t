# The request notes REENCRYPT_BACKEND, _VERDICT, _REASON, _DAYS_LEFT,
# _RESUMED and _PROTOCOL in an access log (%{...}n), issue 5: for a good
# backend, a refused one (enforce), an audit violation, and a request that
# rides on a pooled keep-alive backend connection (judged once, at its
# handshake; the notes must still be set on every request).
# Fronts st_notes and st_notes_audit of t/conf/status.conf.in log
#   BACKEND VERDICT REASON DAYS_LEFT RESUMED PROTOCOL STATUS "REQUEST" pid=P conn=ID
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use LWP::UserAgent ();

my $logs = Apache::Test::vars('t_logs');
my $good_port = vhost_port('st_good');
my $exp_port  = vhost_port('st_expired');

sub new_lines {
    my ($f, $from) = @_;
    open my $fh, '<', $f or return ();
    my @l = <$fh>;
    chomp @l;
    return @l[$from .. $#l];
}

# one request, its access-log line split into fields
sub noted {
    my ($vhost, $path, $log) = @_;
    my $f = "$logs/$log.log";
    my $before = line_count($f);
    my $res = fetch($vhost, $path);
    wait_lines($f, $before + 1);
    my ($line) = new_lines($f, $before);
    my %n;
    @n{qw(backend verdict reason days resumed protocol status)} = split ' ', $line // '';
    return ($res, \%n, $line // '(no log line)');
}

# ---------------------------------------------------------------- good
{
    my ($res, $n, $line) = noted('st_notes', '/good/', 'st_notes');
    is($res->code, 200, 'good: 200');
    like($n->{backend}, qr{^https://localhost:$good_port/}, 'good: REENCRYPT_BACKEND is the backend URL') or diag($line);
    is($n->{verdict}, 'ok', 'good: REENCRYPT_VERDICT ok') or diag($line);
    is($n->{reason}, '-', 'good: REENCRYPT_REASON -') or diag($line);
    ok(($n->{days} // '') =~ /^\d+$/ && $n->{days} >= 362 && $n->{days} <= 364,
       'good: REENCRYPT_DAYS_LEFT ~363') or diag($line);
    like($n->{resumed}, qr/^[01]$/, 'good: REENCRYPT_RESUMED 0 or 1') or diag($line);
    is($n->{protocol}, 'TLSv1.3', 'good: REENCRYPT_PROTOCOL TLSv1.3') or diag($line);
}

# ---------------------------------------------------------------- refused
{
    my ($res, $n, $line) = noted('st_notes', '/expired/', 'st_notes');
    is($res->code, 502, 'refused: 502');
    like($n->{backend}, qr{^https://localhost:$exp_port/}, 'refused: REENCRYPT_BACKEND') or diag($line);
    is($n->{verdict}, 'refused', 'refused: REENCRYPT_VERDICT refused') or diag($line);
    is($n->{reason}, 'expired', 'refused: REENCRYPT_REASON expired') or diag($line);
    is($n->{days}, -35, 'refused: REENCRYPT_DAYS_LEFT -35') or diag($line);
    is($n->{resumed}, '0', 'refused: REENCRYPT_RESUMED 0') or diag($line);
    like($n->{protocol}, qr/^(TLSv1\.[23]|-)$/, 'refused: REENCRYPT_PROTOCOL a version or -') or diag($line);
}

# ---------------------------------------------------------------- audit
{
    my $blog = "$logs/st_expired.log";
    my $before = line_count($blog);
    my ($res, $n, $line) = noted('st_notes_audit', '/expired/', 'st_notes_audit');
    is($res->code, 200, 'audit: 200 (served)');
    is(wait_lines($blog, $before + 1), $before + 1, 'audit: the backend was reached');
    like($n->{backend}, qr{^https://localhost:$exp_port/}, 'audit: REENCRYPT_BACKEND') or diag($line);
    is($n->{verdict}, 'audit', 'audit: REENCRYPT_VERDICT audit') or diag($line);
    is($n->{reason}, 'expired', 'audit: REENCRYPT_REASON expired') or diag($line);
    is($n->{days}, -35, 'audit: REENCRYPT_DAYS_LEFT -35') or diag($line);
    like($n->{protocol}, qr/^TLSv1\.[23]$/, 'audit: REENCRYPT_PROTOCOL') or diag($line);
}

# ---------------------------------------------------------------- pooled connection
# Two requests on one client keep-alive connection: the same front child
# serves both, and the second takes the backend connection the first put
# back in mod_proxy's pool (the backend logs one client port for both).
{
    my $f = "$logs/st_notes.log";
    my $blog = "$logs/st_good.log";
    my $before = line_count($f);
    my $bbefore = line_count($blog);
    my $ua = LWP::UserAgent->new(timeout => 30, keep_alive => 1);
    my $url = sprintf 'http://127.0.0.1:%d', vhost_port('st_notes');
    my @codes = map { $ua->get("$url/pool/$_")->code } qw(first second);
    is("@codes", '200 200', 'pooled: both requests 200');
    wait_lines($f, $before + 2);
    wait_lines($blog, $bbefore + 2);
    my @l = new_lines($f, $before);
    my @b = grep { m{"GET /pool/} } new_lines($blog, $bbefore);
    my @conn = map { /conn=(\S+)/ ? $1 : '?' } @l;
    ok(@conn == 2 && $conn[0] eq $conn[1], 'pooled: one client connection for both requests')
        or diag(join "\n", @l);
    my @ports = map { /^(\d+) / ? $1 : '?' } @b;
    ok(@ports == 2 && $ports[0] eq $ports[1], 'pooled: the second request reused the backend connection (same source port)')
        or diag(join "\n", @b);
    for my $i (0, 1) {
        my %n;
        @n{qw(backend verdict reason days resumed protocol status)} = split ' ', $l[$i] // '';
        my $which = $i ? 'second (reused connection)' : 'first';
        ok(($n{backend} // '') =~ m{^https://localhost:$good_port/}
           && ($n{verdict} // '') eq 'ok' && ($n{reason} // '') eq '-'
           && ($n{days} // '') =~ /^36[234]$/ && ($n{resumed} // '') =~ /^[01]$/
           && ($n{protocol} // '') eq 'TLSv1.3',
           "pooled: $which request: every note set (ok, -, ~363, TLSv1.3)")
            or diag($l[$i] // '(no line)');
    }
}

done_testing();

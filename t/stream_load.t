# Long streams: 100 concurrent streams of 1 MB each way through a tls-mode
# vhost to a TLS echo backend; every byte comes back identical (MD5 of
# what was sent against what came back), and once they closed, mod_status
# shows the busy workers back at their baseline (no worker leak). Then
# the idle timeout: a silent stream is closed after it.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use Digest::MD5 qw(md5_hex);
use IO::Select ();
use POSIX ();
use Time::HiRes qw(sleep time);
use lib 't/lib';
use MPR::Test;
use MPR::Stream;

plan skip_all => 'nginx backends not running' unless have_nginx();
plan tests => 8;

my $N = 100;
my $SIZE = 1 << 20;

sub busy {
    my $res = fetch('stream_status', '/server-status?auto');
    return $res->decoded_content =~ /^BusyWorkers: (\d+)/m ? $1 : undef;
}

my $baseline = busy();
ok(defined $baseline, "mod_status answers (busy workers: " . ($baseline // '?') . ")");

# One stream: connect, make the data, say "ready" and wait for the go
# (so that all of them are open at once), then send $SIZE bytes while
# reading what comes back; exit 0 if the MD5 of both match.
sub one_stream {
    my ($i, $ready, $go) = @_;
    my $s = MPR::Stream::plain('stream_load') or return 2;
    my $data = '';
    my $seed = md5_hex("stream $i");
    $data .= md5_hex($seed . length $data) while length $data < $SIZE;
    substr($data, $SIZE) = '';
    syswrite($ready, "r");
    my $x;
    sysread($go, $x, 1);            # EOF when the parent lets go
    $s->blocking(0);
    my ($off, $got, $buf) = (0, '', '');
    my $sel_r = IO::Select->new($s);
    my $sel_w = IO::Select->new($s);
    my $deadline = time + 120;
    my $shut = 0;
    while (time < $deadline) {
        my ($r, $w) = IO::Select::select($sel_r, $off < $SIZE ? $sel_w : undef, undef, 5);
        if ($w && @$w) {
            my $n = syswrite($s, $data, 65536, $off);
            $off += $n if $n;
        }
        if ($off >= $SIZE && !$shut) {
            shutdown($s, 1);
            $shut = 1;
        }
        if ($r && @$r) {
            my $n = sysread($s, $buf, 65536);
            last if defined $n && $n == 0;
            $got .= $buf if $n;
        }
    }
    close $s;
    return md5_hex($got) eq md5_hex($data) && length($got) == $SIZE ? 0 : 1;
}

pipe(my $ready_r, my $ready_w) or die "pipe: $!";
pipe(my $go_r, my $go_w) or die "pipe: $!";
my %kids;
for my $i (1 .. $N) {
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if (!$pid) {
        close $ready_r;
        close $go_w;
        POSIX::_exit(one_stream($i, $ready_w, $go_r));
    }
    $kids{$pid} = $i;
}
close $ready_w;
close $go_r;
my ($nready, $x) = (0);
my $until = time + 60;
$nready++ while $nready < $N && time < $until && sysread($ready_r, $x, 1);
sleep 1;                        # the front accepts what it has threads for
my $open = busy() // 0;
my $t0 = time;
close $go_w;                    # go: every stream sends at once
my ($good, @bad) = (0);
while (%kids) {
    my $pid = waitpid(-1, 0);
    last if $pid <= 0;
    my $i = delete $kids{$pid};
    if ($? == 0) { $good++ } else { push @bad, "$i:" . ($? >> 8) }
}
my $secs = time - $t0;
is($good, $N, "$N concurrent streams of 1 MB each way: all bytes identical (MD5)")
    or diag("failed streams (index:code): @bad");
diag(sprintf "%d streams x 1 MB each way in %.1f s (%.1f MB/s each way); %d busy workers "
     . "when all were connected (one thread per accepted stream)", $N, $secs, $N / $secs, $open);
ok($open - $baseline >= 50, "the streams were open at once: " . ($open - $baseline)
   . " workers held by them before the first byte");

# Ten streams held open: ten more busy workers (one thread per stream),
# and back once they close.
my @held;
for my $i (1 .. 10) {
    my $h = MPR::Stream::plain('stream_load') or last;
    print $h "held $i\n";
    my $echo = <$h>;
    push @held, $h if defined $echo && $echo eq "held $i\n";
}
my $holding = busy();
ok(@held == 10 && defined $holding && $holding >= $baseline + 10,
   "10 open streams hold 10 workers (busy $holding, baseline $baseline)")
    or diag("held " . scalar(@held));
close $_ for @held;

# No worker leak: the busy workers come back to the baseline.
my $after;
for (1 .. 100) {
    $after = busy();
    last if defined $after && $after <= $baseline;
    sleep 0.1;
}
ok(defined $after && $after <= $baseline, "busy workers back to the baseline ($after <= $baseline)");

# The idle timeout (1 s on stream_idle): a silent stream is closed.
my $mark = log_mark();
my $s = MPR::Stream::plain('stream_idle');
print $s "ping\n";
my $line = <$s>;
is($line, "ping\n", 'idle vhost: echo');
my $t = time;
my $rest = join '', <$s>;       # until the front closes
$t = time - $t;
ok($t >= 0.8 && $t < 4, sprintf('a silent stream is closed after the 1 s idle timeout (%.1f s)', $t));
ok(wait_log($mark, qr/PRE2007: stream \(vhost [^)]*\): backend \S+: idle for 1s, closed/),
   'the idle close is logged');

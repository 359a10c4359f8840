# Client-side TLS session resumption (ProxyReencryptSessionCache, default
# on): with disablereuse=On every request is a new TLS connection, and the
# backend reports whether each handshake resumed a session. Sessions are
# per child process, so each child's first connection is a full handshake.
# A's sessions are never offered to B (B shares A's ticket keys and would
# accept them), never to a scope with another policy, and a scope whose
# pin does not match is refused although A resumes fine for the other one.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;

sub resumed_lines {
    my ($log, $from) = @_;
    open my $fh, '<', $log or return ();
    my @l = <$fh>;
    return @l[$from .. $#l];
}

my $log_a = backend_log('res_a');
my $log_b = backend_log('res_b');
my $n = 12;

# A: in every front child, the first new connection is a full handshake
# and every later one resumes; the backend's own report says the same.
my $flog = Apache::Test::vars('t_logs') . '/front_resume.log';
my $fbefore = line_count($flog);
my $before = line_count($log_a);
my @codes = map { fetch('res_front', '/a/')->code } 1 .. $n;
is(scalar(grep { $_ == 200 } @codes), $n, "A: $n new connections, all 200") or diag("@codes");
wait_lines($log_a, $before + $n);
wait_lines($flog, $fbefore + $n);
my @a = resumed_lines($log_a, $before);
my @f = resumed_lines($flog, $fbefore);
is(scalar(@a), $n, "A: the backend saw $n requests");
my (%seen, @expect);
for my $l (@f) {
    my ($pid) = $l =~ /pid=(\d+)/;
    push @expect, $seen{$pid}++ ? 'Resumed' : 'Initial';
}
my @got = map { /resumed=(\w+)/ ? $1 : '?' } @a;
is("@got", "@expect", 'A: per front child, first connection full, every later one resumed (backend report)')
    or diag(join '', @f);
my @notes = map { /note=(\S+)/ ? $1 : '?' } @f;
is("@notes", join(' ', map { $_ eq 'Resumed' ? 1 : 0 } @expect),
   'A: the REENCRYPT_RESUMED note agrees');
cmp_ok(scalar(grep { $_ eq 'Resumed' } @got), '>', 0, 'A: some connections resumed');

# B, after A's sessions are cached: no session is offered to B's first
# connection (the module says at debug level what it offers), and B's
# backend reports a full handshake.
$before = line_count($log_b);
my $bmark = log_mark();
my $bport = vhost_port('res_b');
@codes = map { fetch('res_front', '/b/')->code } 1 .. 1;
is("@codes", '200', 'B: served');
wait_lines($log_b, $before + 1);
my @b = resumed_lines($log_b, $before);
like($b[0] // '', qr/resumed=Initial/, 'B: first connection is a full handshake')
    or diag(join '', @b);
my $offer = wait_log($bmark, qr/PRE1040: backend \S+:$bport\S*: (offering|no cached)/);
like($offer // '', qr/no cached session/, "B: no session (of A's) offered to B") or diag($offer);

# ProxyReencryptSessionCache off: never resumed.
$before = line_count($log_b);
@codes = map { fetch('res_front', '/off/')->code } 1 .. 6;
is(scalar(grep { $_ == 200 } @codes), 6, 'cache off: served');
wait_lines($log_b, $before + 6);
my @off = resumed_lines($log_b, $before);
is(scalar(grep { /resumed=Resumed/ } @off), 0, 'cache off: no handshake resumed')
    or diag(join '', @off);

# The pin scope on A's address: refused, with a full handshake each time.
$before = line_count($log_a);
my $mark = log_mark();
@codes = map { fetch('res_front', '/apin/')->code } 1 .. 3;
is("@codes", '502 502 502', 'pin scope: every request refused with 502');
like(wait_log($mark, qr/PRE1010: refused backend \S+:@{[vhost_port('res_a')]}\S* .*reason=pin-mismatch/) // '',
     qr/pin-mismatch/, 'pin scope: reason=pin-mismatch logged');
is(line_count($log_a), $before, 'pin scope: the backend application was not reached');

done_testing();

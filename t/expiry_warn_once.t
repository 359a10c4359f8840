# An expiring backend certificate is logged once per child per backend per
# day, not once per handshake: many new connections, each child at most
# one PRE1011 line for this backend, and at least one line in all.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;

my $port = vhost_port('backend_expiring');
my @codes = map { fetch('warn_front', "/w/$_")->code } 1 .. 20;
is(scalar(grep { $_ == 200 } @codes), 20, '20 new connections to the expiring backend, all served');
wait_log(0, qr/PRE1011: backend https:\/\/localhost:$port\/w\//);
my %per_pid;
if (open my $fh, '<', Apache::Test::vars('t_logs') . '/error_log') {
    while (<$fh>) {
        $per_pid{$1}++ if m{\[pid (\d+):tid \d+\].*PRE1011: backend https://localhost:$port/w/ };
    }
}
cmp_ok(scalar(keys %per_pid), '>=', 1, 'the expiry warning was logged');
is(scalar(grep { $_ > 1 } values %per_pid), 0, 'no child logged it twice')
    or diag(join ', ', map { "pid $_: $per_pid{$_}" } keys %per_pid);
done_testing();

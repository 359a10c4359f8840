# A TLS connection opened under ProxyReencryptPolicy off (verified by
# nobody) is pooled per worker; an enforce scope sharing that worker must
# judge the peer before using it: every /admin/ request is refused and the
# expired backend never sees one, while the exempt scope keeps working.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;

my $log = backend_log('expired');
my $port = vhost_port('backend_expired');
my (@open, @admin);
my $mark = log_mark();
for (1 .. 5) {
    push @open, fetch('pool_off_front', '/open/')->code;
    push @admin, fetch('pool_off_front', '/admin/x')->code;
}
is("@open", '200 200 200 200 200', 'exempt scope: served');
is("@admin", '502 502 502 502 502', 'enforce scope on the same worker: refused every time');
my @lines = do { open my $fh, '<', $log or die $!; grep { m{/admin/} } <$fh> };
is(scalar(@lines), 0, 'the backend application never saw an /admin/ request') or diag(@lines);
like(wait_log($mark, qr/PRE1010: refused backend \S+:$port\S* .*reason=expired/) // '',
     qr/reason=expired/, 'refusal logged with reason=expired');
done_testing();

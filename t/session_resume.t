# Session resumption must not turn a compliant backend into a refused one:
# with disablereuse=on every request is a new TLS connection (resuming the
# cached session where the module resumes), and every one must be served,
# for a chain-verified backend and for a pinned self-signed one.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;

for my $case (['/r/chain/', 'good2'], ['/r/pin/', 'selfsigned']) {
    my ($path, $backend) = @$case;
    my $mark = log_mark();
    my @codes = map { fetch('front_resume', $path)->code } 1 .. 8;
    note("$path: @codes");
    is(scalar(grep { $_ == 200 } @codes), 8, "$path ($backend): 8 new TLS connections, all served");
    my $line = wait_log($mark, qr/PRE1010: refused backend \S*:\Q@{[vhost_port("backend_$backend")]}\E/, 0.2);
    ok(!$line, "$path ($backend): no refusal logged") or diag($line);
}
done_testing();

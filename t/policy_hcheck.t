# Health checks of two balancers with a member at the same host:port
# (issue 9): each check is judged by the policy of the balancer being
# checked.  polhc1 accepts the backend, polhc2 pins another key: polhc1's
# member stays in service, polhc2's is taken out.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use Time::HiRes qw(sleep);

# the checks run from start-up (hcinterval=1): the strict balancer's refuse
ok(wait_log(0, qr/PRE1010: refused backend https:\/\/localhost:\d+ \(vhost pol-hc:\d+\): reason=pin-mismatch.*health check/, 8),
   'the strict balancer\'s health check refuses the member (pin-mismatch)');
sleep 2.5;
my (@c1, @c2);
for (1 .. 6) {
    push @c1, fetch('pol_hc', '/hc1/')->code;
    push @c2, fetch('pol_hc', '/hc2/')->code;
}
note("polhc1: @c1; polhc2: @c2");
is(scalar(grep { $_ == 200 } @c1), 6, 'polhc1 (accepts the backend): its member stays in service, 6 of 6 served');
is(scalar(grep { $_ == 200 } @c2), 0, 'polhc2 (pins another key): its member never serves');
done_testing();

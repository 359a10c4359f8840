# A balancer (byrequests, retry=60) with a refused member (expired cert) and
# a good one (good2): at most the first request meets the refusal (502); the
# refused member is put in error and every later request is served by the
# good member.  The refused member's application is never reached.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;

my $bad  = backend_log('expired');
my $good = backend_log('good2');
my $bad_before  = line_count($bad);
my $good_before = line_count($good);
my $mark = log_mark();

my @codes;
my @bodies;
for (1 .. 10) {
    my $res = fetch('front_lb', '/mix/');
    push @codes, $res->code;
    push @bodies, $res->decoded_content;
}
note("codes: @codes");
ok($codes[0] == 502 || $codes[0] == 200, "first request: 502 (refusal met) or 200, got $codes[0]");
is(scalar(grep { $_ == 502 } @codes), ($codes[0] == 502 ? 1 : 0), 'at most the first request gets 502');
is_deeply([@codes[1 .. 9]], [(200) x 9], 'every later request: 200');
is(scalar(grep { /^backend=good2$/m } @bodies[1 .. 9]), 9, 'every later request served by the good member');
is(line_count($bad), $bad_before, 'refused member (expired) never reached');
my $served = grep { $_ == 200 } @codes;
is(wait_lines($good, $good_before + $served), $good_before + $served, "good member logged $served requests");
my $port = vhost_port('backend_expired');
like(wait_log($mark, qr/PRE1010: refused backend \S*localhost:$port\S* .*reason=expired/) // '',
     qr/vhost front-lb:\d+/, 'refusal of the balancer member logged with reason=expired');
done_testing();

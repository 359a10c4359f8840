# Policy scopes vs. connection pooling (front_pool): /pool/pin/ (Verify pin,
# pinned self-signed backend) and /pool/chain/ (Verify chain: the same
# self-signed backend is untrusted) share one mod_proxy worker and hence its
# keep-alive backend connections.  Every /pool/chain/ request must be refused
# (502), whether or not a connection accepted under the pin scope is pooled.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;

my (@pin, @chain);
for (1 .. 6) {
    push @pin,   fetch('front_pool', '/pool/pin/')->code;
    push @chain, fetch('front_pool', '/pool/chain/')->code;
}
note("pin scope: @pin; chain scope: @chain");
is(scalar(grep { $_ == 200 } @pin), 6, 'pin scope: pinned self-signed backend served (6/6)');
is(scalar(grep { $_ != 502 } @chain), 0,
   'chain scope: self-signed backend refused every time (no pooled connection from the pin scope reused)');
done_testing();

# Pooled backend connections across <Proxy> scopes sharing one worker
# (issue 9): a connection opened for one scope is never used for another;
# the request gets a fresh connection, never an error, and nothing per
# request accumulates in the connection's memory.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use MPR::Identity;

my $ua = keepalive_ua();
my $base = sprintf 'http://127.0.0.1:%d', vhost_port('pol_pool');
my $blog = backend_log('good');

# scopes that differ in SNI, interleaved
my $before = line_count($blog);
my @codes;
for my $i (1 .. 10) {
    push @codes, $ua->get("$base/sni/a/?i=$i")->code, $ua->get("$base/sni/b/?i=$i")->code;
}
is(scalar(grep { $_ == 200 } @codes), 20, 'alternating scopes with different SNI: 20 of 20 served')
    or diag("@codes");
wait_lines($blog, $before + 20);
my @lines = do { open my $fh, '<', $blog or die; <$fh> };
@lines = @lines[$before .. $#lines];
my $a_ok = grep { m{GET /sni-a/\?i=\d+ .* sni=alpha\.test$} } @lines;
my $b_ok = grep { m{GET /sni-b/\?i=\d+ .* sni=beta\.test$} } @lines;
is($a_ok, 10, 'every /sni/a/ request reached the backend over a connection with SNI alpha.test');
is($b_ok, 10, 'every /sni/b/ request reached the backend over a connection with SNI beta.test');

# a policy-off scope never rides a connection opened for another scope
$before = line_count($blog);
for my $i (1 .. 5) {
    $ua->get("$base/sni/a/?j=$i");
    is($ua->get("$base/off/?j=$i")->code, 200, "policy off after an alpha.test connection ($i): 200");
}
wait_lines($blog, $before + 10);
@lines = do { open my $fh, '<', $blog or die; <$fh> };
@lines = @lines[$before .. $#lines];
my @off = grep { m{GET /off/} } @lines;
is(scalar(grep { !/sni=alpha\.test$/ } @off), 5,
   "the policy-off scope's requests never went over the alpha.test connection")
    or diag(join '', @off);

done_testing();

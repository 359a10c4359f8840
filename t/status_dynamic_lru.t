# Dynamic status slots (issue 9, item 7): a dynamic backend (here a
# plaintext RewriteRule [P] target refused before any connection) takes a
# slot of the shared segment; when none is free the least recently used
# dynamic slot is reused, and graceful restarts never grow the segment
# because of dynamic backends.  200 distinct dynamic backends over 3
# graceful restarts: the slot count stays what the configuration sized.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use MPR::Status;

my $vport = vhost_port('st_dyn');
my $j0 = status_json('st_dyn');
my $slots = $j0->{slots};
ok($slots && $slots =~ /^\d+$/, "JSON: slots = $slots") or diag(explain($j0));
ok(defined $j0->{slots_used} && $j0->{slots_used} <= $slots, 'JSON: slots_used <= slots')
    or diag(explain([$j0->{slots_used}, $slots]));

my $mark = log_mark();
my @ports = map { 21000 + $_ } 0 .. 199;
my @rounds = ([@ports[0 .. 66]], [@ports[67 .. 133]], [@ports[134 .. 199]]);
my $r = 0;
for my $round (@rounds) {
    $r++;
    my @codes = map { fetch('st_dyn', "/dyn/$_")->code } @$round;
    is(scalar(grep { $_ == 502 } @codes), scalar(@$round),
       "round $r: " . scalar(@$round) . ' distinct dynamic backends, all refused (502)');
    my ($old, $new) = eval { graceful_restart('st_dyn') };
    ok($new, "round $r: graceful restart") or diag($@);
    my $j = status_json('st_dyn');
    is($j->{slots}, $slots, "round $r: the segment did not grow ($slots slots)");
}

my $j = status_json('st_dyn');
ok($j->{slots_used} <= $j->{slots}, "slots in use ($j->{slots_used}) <= slots ($j->{slots})");
my %seen = map { $_->{backend} => $_ } grep { !$_->{configured} } @{ $j->{backends} };
my @recent = map { "http://127.0.0.1:$_" } @ports[190 .. 199];
my @missing = grep { !$seen{$_} } @recent;
is("@missing", '', 'the 10 most recently used dynamic backends have their slots');
is(scalar(grep { ($seen{$_}{handshakes}{refused}{plaintext} // 0) == 1 } @recent), 10,
   'each of them counts its one refusal (plaintext)');
ok(!$seen{"http://127.0.0.1:$ports[0]"}, 'the least recently used ones were aged out')
    or diag(explain($seen{"http://127.0.0.1:$ports[0]"}));
is($j->{dropped}, 0, 'no handshake dropped for want of a slot');
ok(!wait_log($mark, qr/no slot left|restart makes room/, 0.5),
   'no "no slot left ... a restart makes room" warning');
done_testing();

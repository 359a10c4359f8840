# The test servers listen on loopback only: Apache::Test 1.43 writes
# "Listen 0.0.0.0:PORT"; t/TEST.PL rewrites it.  Check every generated conf.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;

my $conf_dir = Apache::Test::vars('t_conf');
my @listen;
for my $f (glob "$conf_dir/*.conf") {
    open my $fh, '<', $f or die "$f: $!";
    while (<$fh>) {
        push @listen, [$f, $1] if /^\s*Listen\s+(.*?)\s*$/i;
    }
}
ok(@listen >= 10, scalar(@listen) . " Listen lines generated");
my @bad = grep { $_->[1] !~ /^(?:127\.\d+\.\d+\.\d+|\[::1\]):\d+$/ } @listen;
is(scalar @bad, 0, 'every Listen line binds loopback only')
    or diag(join "\n", map { "$_->[0]: Listen $_->[1]" } @bad);

# and the server really is up, fronts answer
my $res = fetch('front_enforce', '/h/good/');
is($res->code, 200, 'front_enforce answers');
done_testing();

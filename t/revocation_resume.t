# A resumed session carries no staple: what the full handshake's staple
# said is kept with the session. Under ProxyReencryptOCSP require, with a
# good staple, connections that resume (TLS 1.3 tickets, TLS 1.2 tickets)
# are served (200, REENCRYPT_RESUMED=1), not refused for a missing staple.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;

plan skip_all => 'nginx backends not running' unless have_nginx();

my $log = Apache::Test::vars('t_logs') . '/rev_resume.log';

for my $path ('/good/', '/good12/') {
    my $before = line_count($log);
    my @codes = map { fetch('rev_resume', $path)->code } 1 .. 8;
    is_deeply(\@codes, [(200) x 8], "$path: 8 requests under require, all 200");
    wait_lines($log, $before + 8);
    open my $fh, '<', $log or die "$log: $!";
    my @lines = grep { defined } (<$fh>)[$before .. $before + 7];
    my $resumed = grep { /resumed=1/ } @lines;
    ok($resumed >= 1, "$path: some connections resumed a session ($resumed of 8)")
        or diag(join '', @lines);
    ok(!grep({ !/ 200 resumed=[01] reason=-$/ } @lines), "$path: none was refused")
        or diag(join '', @lines);
}

done_testing();

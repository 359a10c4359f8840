# A name the client chose (ProxyPreserveHost On, Host: evil.example)
# (issue 9): 502 for that request, the members stay in service.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use LWP::UserAgent;

my $ua = LWP::UserAgent->new(timeout => 30, keep_alive => 0);
my $url = sprintf 'http://127.0.0.1:%d/bal/', vhost_port('pol_host');
my $mark = log_mark();
for my $i (1 .. 2) {
    my $res = $ua->get($url, Host => 'evil.example');
    is($res->code, 502, "Host: evil.example ($i): 502");
}
my $l = wait_log($mark, qr/PRE1010: refused backend .*reason=name-mismatch/);
like($l // '', qr/chosen by the client/, 'logged as a name the client chose');
my $standby = Apache::Test::vars('t_logs') . '/pol_be_resume.log';
my $before = line_count($standby);
my @codes = map { $ua->get($url, Host => 'localhost')->code } 1 .. 4;
is(scalar(grep { $_ == 200 } @codes), 4, 'Host: localhost afterwards: 4 of 4 served')
    or diag("@codes");
is(line_count($standby), $before, 'no member was put in error: the hot standby got nothing');
done_testing();

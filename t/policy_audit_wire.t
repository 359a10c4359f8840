# Under audit (the default) the module changes nothing a backend sees on the
# wire (issue 9): stock mod_ssl never resumes a backend session, so neither
# does the module unless ProxyReencryptSessionCache is written down.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;

my $log = Apache::Test::vars('t_logs') . '/pol_be_resume.log';
for my $path (qw(default on)) {
    my $before = line_count($log);
    my @codes = map { fetch('pol_audit_resume', "/$path/?i=$_")->code } 1 .. 8;
    is(scalar(grep { $_ == 200 } @codes), 8, "audit, cache $path: 8 of 8 served");
    wait_lines($log, $before + 8);
    open my $fh, '<', $log or die "$log: $!";
    my @l = (<$fh>)[$before .. $before + 7];
    my $resumed = grep { defined && /^Resumed / } @l;
    if ($path eq 'default') {
        is($resumed, 0, 'audit by default: the backend never sees a resumed session (as stock)');
    }
    else {
        cmp_ok($resumed, '>=', 4, 'audit with ProxyReencryptSessionCache on: sessions resumed')
            or diag(join '', map { $_ // '' } @l);
    }
}
done_testing();

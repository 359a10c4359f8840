# ProxyReencryptReload: a CA bundle replaced by garbage while the server
# runs. The trust store loaded before stays in force (requests still 200,
# each a full handshake), the failure is logged exactly once (not at every
# check, not once per child), and the status page says "reload failed"
# with the file and why (HTML, JSON, Prometheus). Restoring the file
# clears it.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use File::Copy qw(copy);
use Time::HiRes qw(sleep time);

plan skip_all => 'nginx backends not running' unless have_nginx();

my $dir = vars_of('reload_dir');
my $pki = vars_of('pki');
my $ca = "$dir/ca.pem";

sub put_text {
    my ($text) = @_;
    open my $fh, '>', "$ca.tmp" or die "$ca.tmp: $!";
    print $fh $text;
    close $fh;
    rename "$ca.tmp", $ca or die "$ca: $!";
}
sub restore { copy("$pki/root.crt", "$ca.tmp") or die $!; rename "$ca.tmp", $ca or die $! }
END { restore() if -e "$pki/root.crt" }

sub status_json { fetch('rl_front', '/rl-status?json')->decoded_content }
sub ca_entry {
    my ($j) = @_;
    return $j =~ m#(\{"kind": "ca", "file": "\Q$ca\E"[^}]*\})# ? $1 : '';
}
sub errors_since {
    my ($mark) = @_;
    open my $fh, '<', Apache::Test::vars('t_logs') . '/error_log' or return 0;
    seek $fh, $mark, 0;
    return scalar grep { /PRE1060: .*\Q$ca\E/ } <$fh>;
}

is(fetch('rl_front', '/ca/')->code, 200, 'before: served');
like(ca_entry(status_json()), qr/"state": "loaded"/, 'status: the CA file is loaded');

my $mark = log_mark();
put_text("this is not a certificate\n" x 20);

# Requests go on for 3 s (checks every second in every child that serves
# them): every one a new handshake, verified with the old store.
my @codes;
my $t0 = time;
while (time - $t0 < 3) {
    push @codes, fetch('rl_front', '/ca/')->code;
    sleep 0.25;
}
is_deeply([grep { $_ != 200 } @codes], [], 'garbage CA bundle: the old store stays, requests 200')
    or diag("@codes");
my $e;
$t0 = time;
until (($e = ca_entry(status_json())) =~ /reload failed/ or time - $t0 > 3) { sleep 0.25 }
like($e, qr/"state": "reload failed", "error": "[^"]*cannot load CA certificates from '\Q$ca\E'[^"]*"/,
     'json: "reload failed", with the file and why');
like(fetch('rl_front', '/rl-status')->decoded_content, qr/reload failed/, 'html: "reload failed"');
like(fetch('rl_front', '/rl-status?prometheus')->decoded_content,
     qr/^proxy_reencrypt_trust_file_reload_failed\{kind="ca",file="\Q$ca\E"\} 1$/m,
     'prometheus: reload_failed 1');
is(errors_since($mark), 1, 'exactly one error line');
my $line = wait_log($mark, qr/PRE1060: /);
like($line // '', qr/\[proxy_reencrypt:error\].*CA \Q$ca\E no longer loads: .*trust store loaded before stays in force/,
     'the line names the file, why, and that the old store stays');
# Two more seconds of checks: still one line.
for (1 .. 8) { fetch('rl_front', '/ca/'); sleep 0.25 }
is(errors_since($mark), 1, 'still one error line after more checks');

# Restored: the failure clears.
restore();
$t0 = time;
until (($e = ca_entry(status_json())) =~ /"state": "loaded"/ or time - $t0 > 3) {
    fetch('rl_front', '/ca/');
    sleep 0.25;
}
like($e, qr/"state": "loaded", "error": null/, 'restored: the failure is cleared');
unlike(fetch('rl_front', '/rl-status')->decoded_content, qr/reload failed/,
       'html: no "reload failed" any more');
is(fetch('rl_front', '/ca/')->code, 200, 'restored: served');

done_testing();

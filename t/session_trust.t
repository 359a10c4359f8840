# A changed trust store never resumes an old verdict (issue 11). Sessions
# are resumed with the verdict of their full handshake; the trust store is
# a file, read at start-up: after it is replaced and the server restarted
# gracefully, a backend it no longer trusts is refused on a full handshake
# (reason=untrusted, never "(resumed session)"), however many sessions the
# earlier generation had.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use MPR::Status qw(server_pid child_pids);
use File::Copy qw(copy);
use Time::HiRes qw(sleep time);

plan skip_all => 'nginx backends not running' unless have_nginx();

my $pki  = vars_of('pki');
my $swap = "$pki/trust-swap.crt";
my $N    = 8;

sub restart {
    my $pid = server_pid() or die "no httpd.pid\n";
    my %old = map { $_ => 1 } child_pids($pid);
    kill USR1 => $pid or die "kill USR1 $pid: $!\n";
    my $deadline = time + 30;
    while (time < $deadline) {
        sleep 0.2;
        my @now = child_pids($pid);
        next unless @now && !grep { $old{$_} } @now;
        return 1 if fetch('sess_trust', '/nothing-here')->code == 404;
    }
    return 0;
}

sub codes { join ' ', map { fetch('sess_trust', "/t/$_[0]$_")->code } 1 .. $N }

sub notes_after {
    my ($mark) = @_;
    open my $fh, '<', vars_of('t_logs') . '/front_trust.log' or return ();
    seek $fh, $mark, 0;
    return map { /note=(\S+)/ ? $1 : () } <$fh>;
}

sub lines_after {
    my ($mark) = @_;
    open my $fh, '<', MPR::Test::error_log() or return ();
    seek $fh, $mark, 0;
    return grep { /PRE1010: .*vhost front-session-trust:/ } <$fh>;
}

END { copy("$pki/root.crt", $swap) if -e "$pki/root.crt" }

# the first generation trusts the backend's root and resumes its sessions
my $flog = vars_of('t_logs') . '/front_trust.log';
my $fmark = -s $flog || 0;
is(codes('a'), join(' ', (200) x $N), "trusted: $N new connections served");
my @notes = notes_after($fmark);
cmp_ok(scalar(grep { $_ eq '1' } @notes), '>', 0, 'trusted: sessions were resumed') or diag("@notes");

# another trust store, a graceful restart: no old verdict is resumed
copy("$pki/client-ca.crt", $swap) or die "copy: $!";
ok(restart(), 'graceful restart with another trust store');
my $mark = log_mark();
is(codes('b'), join(' ', (502) x $N), "untrusted now: all $N connections refused");
wait_log($mark, qr/PRE1010: refused .*vhost front-session-trust:/);
my @lines = lines_after($mark);
cmp_ok(scalar(@lines), '>', 0, 'the refusals are logged');
is(scalar(grep { !/reason=untrusted;/ } @lines), 0, 'every refusal says reason=untrusted') or diag(@lines);
is(scalar(grep { /\(resumed session\)/ } @lines), 0, 'no refusal on a resumed session: full handshakes')
    or diag(@lines);
my @seen = grep { m{^/trust/b} } do { open my $fh, '<', nginx_log('ka5_13') or die; <$fh> };
is(scalar(@seen), 0, 'the backend application never saw a request of the new generation');

# the old trust store back, another restart: served again
copy("$pki/root.crt", $swap) or die "copy: $!";
ok(restart(), 'graceful restart with the first trust store');
is(codes('c'), join(' ', (200) x $N), "trusted again: all $N served");
done_testing();

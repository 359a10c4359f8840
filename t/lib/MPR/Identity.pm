package MPR::Identity;
# Helpers for t/identity_*.t (the identity/transport suite).
#
#   my $ua  = keepalive_ua();                        # one client connection
#   my $res = fetch_with($ua, 'id_front', '/pp/v1/', %headers);
#   my $mark = file_mark($file);                     # byte offset
#   my @l = wait_file_lines($file, $mark, qr/.../, N);  # N matching new lines
use strict;
use warnings;

use Exporter 'import';
use Apache::Test ();
use LWP::UserAgent ();
use Time::HiRes qw(sleep time);
use MPR::Test ();

our @EXPORT = qw(keepalive_ua fetch_with file_mark wait_file_lines front_log
                 error_log_path);

sub keepalive_ua { LWP::UserAgent->new(timeout => 30, keep_alive => 4) }

sub fetch_with {
    my ($ua, $vhost, $path, @headers) = @_;
    $ua ||= LWP::UserAgent->new(timeout => 30, keep_alive => 0);
    my $url = sprintf 'http://127.0.0.1:%d%s', MPR::Test::vhost_port($vhost), $path;
    return $ua->get($url, @headers);
}

sub front_log { Apache::Test::vars('t_logs') . '/id_front.log' }
sub error_log_path { Apache::Test::vars('t_logs') . '/error_log' }

sub file_mark { -s $_[0] || 0 }

# wait_file_lines(FILE, MARK, REGEX, N [, SECONDS]): the lines written after
# MARK that match REGEX, polling until there are N of them (default 2 s).
sub wait_file_lines {
    my ($file, $mark, $re, $n, $secs) = @_;
    my $deadline = time + ($secs || 2);
    my @m;
    while (1) {
        @m = ();
        if (open my $fh, '<', $file) {
            seek $fh, $mark, 0;
            while (my $l = <$fh>) {
                push @m, $l if $l =~ $re;
            }
        }
        return @m if @m >= $n or time > $deadline;
        sleep 0.05;
    }
}

1;

package MPR::Run;
# A real httpd of our own, started for one test from a generated
# configuration that loads the module under test (the LoadModule lines of
# t/setup/inherit.conf), on a free loopback port, and stopped again: for
# what only a running server shows (the error log written after start-up,
# a configuration pasted from a tool's output).
#
#   my $h = MPR::Run->start($body, %opt);   # $body: top-level config text;
#                                           # %opt: wait (s), loglevel, port
#                                           # @port@ is replaced by the port
#   $h->{port}, $h->{dir}, $h->error_log, $h->{start_output}
#   $h->stop;                               # also on destruction
# Returns undef (and sets $MPR::Run::error) when the server did not start.
use strict;
use warnings;

use Apache::Test ();
use File::Temp qw(tempdir);
use IO::Socket::INET;
use Time::HiRes qw(sleep);
use MPR::Conf ();

our $error;

sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Proto => 'tcp', Listen => 1) or die "bind: $!";
    my $p = $s->sockport;
    close $s;
    return $p;
}

sub start {
    my ($class, $body, %opt) = @_;
    my $dir = tempdir('mpr-run-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    my $port = $opt{port} || free_port();
    my $pki = Apache::Test::vars('pki');
    $body =~ s/\@pki\@/$pki/g;
    $body =~ s/\@port\@/$port/g;
    my $conf = join '',
        "ServerRoot $dir\n",
        "PidFile $dir/httpd.pid\n",
        "ErrorLog $dir/error_log\n",
        "DefaultRuntimeDir $dir\n",
        "TypesConfig /dev/null\n",
        "ServerName localhost\n",
        "Listen 127.0.0.1:$port\n",
        "LogLevel " . ($opt{loglevel} || 'warn') . "\n",
        "StartServers 1\nServerLimit 1\nThreadsPerChild 5\nMaxRequestWorkers 5\n",
        MPR::Conf::load_lines(),
        $body;
    my $file = "$dir/httpd.conf";
    open my $fh, '>', $file or die "$file: $!";
    print $fh $conf;
    close $fh;
    my $httpd = Apache::Test::vars('httpd') || '/usr/sbin/apache2';
    my $self = bless { dir => $dir, port => $port, conf => $file, httpd => $httpd }, $class;
    $self->{start_output} = `$httpd -f $file -k start 2>&1`;
    my $tries = 20 * ($opt{wait} || 10);      # seconds to wait for start-up
    for (1 .. $tries) {
        last if -s "$dir/httpd.pid";
        sleep 0.05;
    }
    unless (-s "$dir/httpd.pid") {
        $error = "httpd did not start: $self->{start_output}\n" . ($self->error_log // '');
        return undef;
    }
    # wait until it answers on the port
    for (1 .. $tries) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp');
        if ($s) { close $s; last }
        sleep 0.05;
    }
    return $self;
}

sub error_log {
    my $self = shift;
    open my $fh, '<', "$self->{dir}/error_log" or return undef;
    local $/;
    return <$fh>;
}

sub stop {
    my $self = shift;
    return unless $self->{conf} && -s "$self->{dir}/httpd.pid";
    open my $fh, '<', "$self->{dir}/httpd.pid" or return;
    chomp(my $pid = <$fh> // '');
    close $fh;
    system($self->{httpd}, '-f', $self->{conf}, '-k', 'stop');
    for (1 .. 100) {
        last unless $pid && kill 0, $pid;
        sleep 0.05;
    }
    delete $self->{conf};
}

sub DESTROY { $_[0]->stop }

1;

package MPR::MiniNginx;
# An nginx of a test's own (not build/nginx.sh's shared one), for tests
# that change a backend's certificate or need servers chosen by SNI:
#
#   my $n = MPR::MiniNginx->new;                 # undef without nginx
#   $n->start(\@servers);  # [{name => 'a.test', cert => F, key => F, body => 'x'}, ...]
#   $n->{port}; $n->{dir}; $n->stop;              # one loopback port, servers by SNI
use strict;
use warnings;

use File::Temp qw(tempdir);
use IO::Socket::INET;
use Time::HiRes qw(sleep);
use MPR::Run ();

sub new {
    my ($class, %opt) = @_;
    my $nginx = -x '/usr/sbin/nginx' ? '/usr/sbin/nginx' : `command -v nginx`;
    chomp $nginx;
    return undef unless $nginx && -x $nginx;
    my $dir = tempdir('mpr-ngx-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    mkdir "$dir/$_" for qw(logs tmp);
    return bless { nginx => $nginx, dir => $dir, port => $opt{port} || MPR::Run::free_port() }, $class;
}

sub pid {
    my $self = shift;
    open my $fh, '<', "$self->{dir}/nginx.pid" or return;
    chomp(my $p = <$fh> // '');
    return $p;
}

sub start {
    my ($self, $servers) = @_;
    my ($dir, $port) = @$self{qw(dir port)};
    my $conf = join '',
        "worker_processes 1;\ndaemon on;\npid $dir/nginx.pid;\n",
        "error_log $dir/logs/error.log;\nevents { worker_connections 64; }\nhttp {\n",
        (map { "  ${_}_temp_path $dir/tmp/$_;\n" } qw(client_body proxy fastcgi uwsgi scgi)),
        "  access_log off;\n";
    my $first = 1;
    for my $s (@$servers) {
        $conf .= "  server {\n    listen 127.0.0.1:$port ssl" . ($first ? ' default_server' : '') . ";\n"
              .  "    server_name $s->{name};\n    ssl_certificate $s->{cert};\n"
              .  "    ssl_certificate_key $s->{key};\n"
              .  "    location / { return 200 \"$s->{body}\\n\"; }\n  }\n";
        $first = 0;
    }
    $conf .= "}\n";
    open my $fh, '>', "$dir/nginx.conf" or die $!;
    print $fh $conf;
    close $fh;
    system($self->{nginx}, '-p', $dir, '-e', "$dir/logs/error.log", '-c', "$dir/nginx.conf");
    for (1 .. 100) { last if $self->pid; sleep 0.05 }
    for (1 .. 100) {
        my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port);
        if ($c) { close $c; return 1 }
        sleep 0.05;
    }
    return 0;
}

sub stop {
    my $self = shift;
    my $p = $self->pid or return;
    kill 'QUIT', $p;
    for (1 .. 100) { last unless kill 0, $p; sleep 0.05 }
    unlink "$self->{dir}/nginx.pid";
}

sub DESTROY { $_[0]->stop }

1;

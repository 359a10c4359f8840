package MPR::Private;
# A private httpd (and nginx) started by one test file, apart from the
# Apache::Test server: its own error log (every line in it belongs to the
# test), its own MPM settings (one child, so that per-child figures are
# exact), on 127.0.0.1 only.
#
#   my $s = MPR::Private::httpd(mpm => 'event', body => $vhosts, ports => 1);
#   $s->{port}, $s->{ports}[i], $s->{dir}, $s->{pid}, $s->{child}, $s->error_log
#   $s->proc_kb('VmHWM'); $s->stop;
#   my $n = MPR::Private::nginx(servers => [[name, cert_chain, key], ...]);
#   $n->{port}{name}; $n->stop;
use strict;
our @LIVE;                      # servers started (stopped at END)
use warnings;

use Apache::Test ();
use File::Temp qw(tempdir);
use IO::Socket::INET;
use Time::HiRes qw(sleep);
use MPR::Conf ();
use MPR::Status qw(child_pids);

sub free_ports {
    my $n = shift;
    my @s = map { IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1', LocalPort => 0)
                      or die "bind: $!" } 1 .. $n;
    return map { $_->sockport } @s;
}

# httpd(mpm => 'event'|'prefork', body => TEXT, ports => N, threads => T,
#       loglevel => 'warn', stock => 1): one child; @port@, @portN@ and
# @dir@ in body are replaced.
sub httpd {
    my %a = @_;
    my $dir = tempdir('mpr-priv-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    my @ports = free_ports($a{ports} || 1);
    my @load = MPR::Conf::load_lines();
    # stock => 1: without mod_proxy_reencrypt (what stock Apache answers)
    my $mods = join '', grep { !/mpm_/ && !($a{stock} && /proxy_reencrypt/) } @load;
    my ($mpm) = grep { /mpm_event/ } @load;
    my $threads = $a{threads} || 16;
    my $mpm_conf;
    if (($a{mpm} || 'event') eq 'prefork') {
        $mpm =~ s/mpm_event/mpm_prefork/g;
        $mpm_conf = "StartServers 1\nMinSpareServers 1\nMaxSpareServers 1\n"
                  . "ServerLimit 1\nMaxRequestWorkers 1\n";
    }
    else {
        $mpm_conf = "StartServers 1\nServerLimit 1\nThreadLimit $threads\n"
                  . "ThreadsPerChild $threads\nMinSpareThreads 1\n"
                  . "MaxSpareThreads $threads\nMaxRequestWorkers $threads\n";
    }
    my $body = $a{body};
    $body =~ s/\@port(\d+)\@/$ports[$1]/g;
    $body =~ s/\@port\@/$ports[0]/g;
    $body =~ s/\@dir\@/$dir/g;
    my $listen = join '', map { "Listen 127.0.0.1:$_\n" } @ports;
    my $conf = join '',
        "ServerRoot $dir\n",
        "PidFile $dir/httpd.pid\n",
        "ErrorLog $dir/error_log\n",
        "LogLevel ", ($a{loglevel} || 'warn'), "\n",
        "DefaultRuntimeDir $dir\n",
        "ServerName localhost\n",
        "TypesConfig /etc/mime.types\n",
        "DocumentRoot $dir\n",
        $listen, $mpm, $mods, $mpm_conf,
        "MaxConnectionsPerChild 0\n",
        "KeepAlive On\n",
        "MaxKeepAliveRequests 0\n",
        $body, "\n";
    open my $fh, '>', "$dir/httpd.conf" or die "$dir/httpd.conf: $!";
    print $fh $conf;
    close $fh;
    my $httpd = Apache::Test::vars('httpd') || '/usr/sbin/apache2';
    my $out = `$httpd -f $dir/httpd.conf -k start 2>&1`;
    my $self = bless { dir => $dir, port => $ports[0], ports => \@ports, out => $out }, __PACKAGE__;
    push @LIVE, $self;
    for (1 .. 100) {
        if (open my $p, '<', "$dir/httpd.pid") {
            my $l = <$p>;
            if ($l) { chomp $l; $self->{pid} = $l; last }
        }
        sleep 0.1;
    }
    for (1 .. 50) {
        my @k = $self->{pid} ? child_pids($self->{pid}) : ();
        if (@k) { $self->{child} = $k[0]; $self->{children} = \@k; last }
        sleep 0.1;
    }
    for (1 .. 50) {
        last if IO::Socket::INET->new("127.0.0.1:$ports[0]");
        sleep 0.1;
    }
    return $self;
}

sub error_log { "$_[0]{dir}/error_log" }

sub url { my ($self, $path) = @_; return "http://127.0.0.1:$self->{port}$path" }

sub conf_text {
    my $self = shift;
    open my $fh, '<', "$self->{dir}/httpd.conf" or return '';
    local $/;
    return <$fh>;
}

# proc_kb(FIELD): a field of /proc/<child>/status in kB (VmHWM, VmRSS)
sub proc_kb {
    my ($self, $field) = @_;
    open my $s, '<', "/proc/$self->{child}/status" or return -1;
    while (<$s>) { return $1 if /^\Q$field\E:\s+(\d+)/ }
    return -1;
}

sub stop {
    my $self = shift;
    my $pid = $self->{pid} or return;
    kill TERM => $pid;
    for (1 .. 50) { last unless kill 0 => $pid; sleep 0.1 }
    delete $self->{pid};
}

sub DESTROY { $_[0]->stop if $_[0]{pid} }

# nginx(servers => [[NAME, CHAIN, KEY], ...], conn_log => 0|1): one TLS
# server per entry on a free loopback port, answering 200
# "nginx-backend=NAME", access log DIR/logs/NAME.log (conn_log: lines
# '"GET /x HTTP/1.1" 200 conn=N', N nginx's connection serial).  undef when
# nginx is not installed.
sub nginx {
    my %a = @_;
    my $bin = -x '/usr/sbin/nginx' ? '/usr/sbin/nginx' : `command -v nginx`;
    chomp $bin;
    return undef unless $bin && -x $bin;
    my $dir = tempdir('mpr-ngx-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    mkdir "$dir/logs";
    mkdir "$dir/tmp";
    my @servers = @{ $a{servers} };
    my @ports = free_ports(scalar @servers);
    my %port;
    my $conf = "worker_processes 1;\ndaemon on;\npid $dir/nginx.pid;\n"
             . "error_log $dir/logs/error.log warn;\nevents { worker_connections 256; }\nhttp {\n"
             . join('', map { "  ${_}_temp_path $dir/tmp/$_;\n" } qw(client_body proxy fastcgi uwsgi scgi))
             . "  default_type text/plain;\n  access_log off;\n  keepalive_requests 100000;\n"
             . "  log_format mpr_conn '\"\$request\" \$status conn=\$connection';\n";
    for my $i (0 .. $#servers) {
        my ($name, $chain, $key) = @{ $servers[$i] };
        $port{$name} = $ports[$i];
        $conf .= "  server {\n    listen 127.0.0.1:$ports[$i] ssl;\n    server_name localhost;\n"
               . "    ssl_certificate $chain;\n    ssl_certificate_key $key;\n"
               . "    ssl_protocols TLSv1.2 TLSv1.3;\n"
               . "    access_log $dir/logs/$name.log" . ($a{conn_log} ? ' mpr_conn' : '') . ";\n"
               . "    location / { return 200 \"nginx-backend=$name\\n\"; }\n  }\n";
    }
    $conf .= "}\n";
    open my $fh, '>', "$dir/nginx.conf" or die "$dir/nginx.conf: $!";
    print $fh $conf;
    close $fh;
    my $out = `$bin -p $dir -e $dir/logs/error.log -c $dir/nginx.conf 2>&1`;
    for (1 .. 50) { last if -s "$dir/nginx.pid"; sleep 0.1 }
    for my $p (values %port) {
        for (1 .. 50) { last if IO::Socket::INET->new("127.0.0.1:$p"); sleep 0.1 }
    }
    my $ngx = bless { dir => $dir, port => \%port, out => $out }, 'MPR::Private::Nginx';
    push @LIVE, $ngx;
    return $ngx;
}

# Servers started here are stopped when the test ends, also when it dies
# (DESTROY alone is not reliable in global destruction): a server left
# behind would keep its ports and the run's lock.
END { local $?; $_->stop for grep { defined } @LIVE }

package MPR::Private::Nginx;

sub log_file { "$_[0]{dir}/logs/$_[1].log" }

sub stop {
    my $self = shift;
    my $pidf = "$self->{dir}/nginx.pid";
    return unless -s $pidf;
    open my $p, '<', $pidf or return;
    chomp(my $pid = <$p> // '');
    close $p;
    return unless $pid;
    kill QUIT => $pid;
    for (1 .. 50) { last unless kill 0 => $pid; Time::HiRes::sleep(0.1) }
    kill TERM => $pid if kill 0 => $pid;
    unlink $pidf;
}

sub DESTROY { $_[0]->stop }

1;

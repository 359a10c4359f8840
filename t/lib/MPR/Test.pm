package MPR::Test;
# Helpers for the mod_proxy_reencrypt Apache::Test suite.
#
#   my $res = fetch('front_enforce', '/h/expired/');   # HTTP::Response
#   my $mark = log_mark();                              # error_log offset
#   my $line = wait_log($mark, qr/.../);                # poll up to ~2 s
#   backend_log('good'), nginx_log('good')              # access log paths
#   refused_ok(...), audit_ok(...), served_ok(...)      # the common checks
use strict;
use warnings;

use Exporter 'import';
use Apache::Test ();
use Test::More ();
use LWP::UserAgent ();
use Time::HiRes qw(sleep time);

our @EXPORT = qw(fetch log_mark wait_log backend_log nginx_log have_nginx
                 line_count wait_lines vhost_port refused_ok audit_ok served_ok
                 vars_of nginx_port);

sub vars_of { Apache::Test::vars(@_) }

sub vhost_port { Apache::Test::vars("$_[0]_port") or die "no port for vhost $_[0]" }
sub nginx_port { Apache::Test::vars("nginx_$_[0]_port") }

sub have_nginx { my $d = Apache::Test::vars('nginx_dir'); return $d && -d $d }

my $ua = LWP::UserAgent->new(timeout => 30, keep_alive => 0);

sub fetch {
    my ($vhost, $path) = @_;
    my $url = sprintf 'http://127.0.0.1:%d%s', vhost_port($vhost), $path;
    return $ua->get($url);
}

sub error_log { Apache::Test::vars('t_logs') . '/error_log' }

sub log_mark { -s error_log() || 0 }

# wait_log(MARK, REGEX [, SECONDS]): the first error_log line written after
# MARK that matches REGEX, polling up to SECONDS (default 2); undef if none.
sub wait_log {
    my ($mark, $re, $secs) = @_;
    my $deadline = time + ($secs || 2);
    while (1) {
        if (open my $fh, '<', error_log()) {
            seek $fh, $mark, 0;
            while (my $l = <$fh>) {
                return $l if $l =~ $re;
            }
        }
        return undef if time > $deadline;
        sleep 0.05;
    }
}

sub backend_log { Apache::Test::vars('t_logs') . "/backend_$_[0].log" }
sub nginx_log   { Apache::Test::vars('nginx_dir') . "/logs/$_[0].log" }

sub line_count {
    my $f = shift;
    open my $fh, '<', $f or return 0;
    my $n = 0;
    $n++ while <$fh>;
    return $n;
}

# wait_lines(FILE, N): poll until FILE has at least N lines (up to 2 s);
# access logs are written after the response went out.
sub wait_lines {
    my ($f, $n, $secs) = @_;
    my $deadline = time + ($secs || 2);
    my $c;
    until (($c = line_count($f)) >= $n or time > $deadline) { sleep 0.05 }
    return $c;
}

sub _log_of {
    my ($stack, $name) = @_;
    return $stack eq 'nginx' ? nginx_log($name) : backend_log($name);
}

sub _port_of {
    my ($stack, $name) = @_;
    return $stack eq 'nginx' ? nginx_port($name) : vhost_port("backend_$name");
}

# refused_ok(vhost => 'front_enforce', path => '/h/expired/', stack => 'httpd',
#            backend => 'expired', reason => 'expired', host => 'localhost',
#            vhost_name => 'front-enforce')
# 4 assertions: 502, backend log untouched, the PRE1010 line with backend,
# vhost and reason, and the peer certificate details on it.
sub refused_ok {
    my %a = @_;
    my $stack = $a{stack} || 'httpd';
    my $host  = $a{host} || 'localhost';
    my $port  = _port_of($stack, $a{backend});
    my $what  = "$stack $a{backend} via $a{vhost}$a{path}";
    my $blog  = _log_of($stack, $a{backend});
    my $before = line_count($blog);
    my $mark = log_mark();

    my $res = fetch($a{vhost}, $a{path});
    Test::More::is($res->code, 502, "$what: 502 Bad Gateway")
        or Test::More::diag($res->status_line . "\n" . $res->decoded_content);

    my $line = wait_log($mark, qr/PRE1010: refused backend \S*\Q$host:$port\E\S* .*reason=\Q$a{reason}\E\b/);
    Test::More::ok($line && $line =~ /\[proxy_reencrypt:error\]/
                   && $line =~ /\(vhost \Q$a{vhost_name}\E:\d+\)/,
                   "$what: error_log names backend, vhost, reason=$a{reason}")
        or Test::More::diag("line: " . ($line // '(none)'));
    Test::More::like($line // '', qr/subject="[^"]*"; issuer="[^"]*"; days_left=-?\d+/,
                     "$what: log line has subject, issuer, days_left");
    Test::More::is(line_count($blog), $before, "$what: backend application not reached");
    return $line;
}

# audit_ok(...same keys...): 200 from the backend, which was reached, and a
# [proxy_reencrypt:warn] "would refuse" line with the reason.  3 assertions.
sub audit_ok {
    my %a = @_;
    my $stack = $a{stack} || 'httpd';
    my $host  = $a{host} || 'localhost';
    my $port  = _port_of($stack, $a{backend});
    my $what  = "audit: $stack $a{backend} via $a{vhost}$a{path}";
    my $blog  = _log_of($stack, $a{backend});
    my $before = line_count($blog);
    my $mark = log_mark();

    my $res = fetch($a{vhost}, $a{path});
    my $body = $stack eq 'nginx' ? "nginx-backend=$a{backend}" : "backend=$a{backend}";
    Test::More::ok($res->code == 200 && $res->decoded_content =~ /^\Q$body\E$/m,
                   "$what: 200 served by the backend")
        or Test::More::diag($res->status_line . "\n" . $res->decoded_content);
    my $line = wait_log($mark, qr/would refuse backend \S*\Q$host:$port\E\S* .*reason=\Q$a{reason}\E\b/);
    Test::More::ok($line && $line =~ /\[proxy_reencrypt:warn\]/
                   && $line =~ /\(vhost \Q$a{vhost_name}\E:\d+\)/,
                   "$what: warn line 'would refuse' reason=$a{reason}")
        or Test::More::diag("line: " . ($line // '(none)'));
    Test::More::is(wait_lines($blog, $before + 1), $before + 1, "$what: backend reached once");
    return $line;
}

# served_ok(vhost, path, stack, backend [, body]): 200, right body, backend
# log +1.  2 assertions.
sub served_ok {
    my %a = @_;
    my $stack = $a{stack} || 'httpd';
    my $what  = "$stack $a{backend} via $a{vhost}$a{path}";
    my $blog  = _log_of($stack, $a{backend});
    my $before = line_count($blog);
    my $res = fetch($a{vhost}, $a{path});
    my $body = $a{body} // ($stack eq 'nginx' ? "nginx-backend=$a{backend}" : "backend=$a{backend}");
    Test::More::ok($res->code == 200 && $res->decoded_content =~ /^\Q$body\E$/m,
                   "$what: 200 '$body'")
        or Test::More::diag($res->status_line . "\n" . $res->decoded_content);
    Test::More::is(wait_lines($blog, $before + 1), $before + 1, "$what: backend reached once");
    return $res;
}

1;

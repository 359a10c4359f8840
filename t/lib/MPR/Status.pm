package MPR::Status;
# Helpers for the visibility tests (t/status_*.t): the status handler's
# JSON and Prometheus output, a parser of the Prometheus text exposition
# format, a graceful restart of the test server, apache2 -t -D DUMP_REENCRYPT
# on a generated configuration, and screenshots with headless Chromium.
#
#   my $json = status_json('st_count');            # decoded ?json (JSON::PP)
#   my ($text, $res) = status_text('st_count', '?prometheus');
#   my $p = prom_parse($text);                     # {errors, samples, help, type}
#   prom_value($p, 'proxy_reencrypt_handshakes_total', {result => 'ok', ...})
#   my @pids = graceful_restart();                 # SIGUSR1, wait for new children
#   my ($rc, $out, $file) = dump_reencrypt($main_conf_text);
use strict;
use warnings;

use Exporter 'import';
use Apache::Test ();
use JSON::PP ();
use LWP::UserAgent ();
use File::Temp qw(tempdir);
use POSIX ();
use Time::HiRes qw(sleep time);
use MPR::Test qw(vhost_port);
use MPR::Conf ();

our @EXPORT = qw(status_url status_text status_json prom_parse prom_value
                 backend_entry server_pid child_pids graceful_restart
                 dump_reencrypt parallel_fetch chromium screenshot);

my $ua = LWP::UserAgent->new(timeout => 30, keep_alive => 0);

sub status_url {
    my ($vhost, $path) = @_;
    return sprintf 'http://127.0.0.1:%d%s', vhost_port($vhost), $path // '/st-status';
}

# status_text(VHOST [, QUERY [, PATH]]): (body, HTTP::Response)
sub status_text {
    my ($vhost, $query, $path) = @_;
    my $res = $ua->get(status_url($vhost, $path) . ($query // ''));
    return ($res->decoded_content // '', $res);
}

# status_json(VHOST): the decoded ?json document; dies if it does not parse
sub status_json {
    my ($text, $res) = status_text($_[0], '?json');
    die "GET ?json: " . $res->status_line . "\n" unless $res->is_success;
    return JSON::PP->new->decode($text);
}

# the entry of one backend (URL prefix) of one front vhost
sub backend_entry {
    my ($json, $backend_re, $vhost_re) = @_;
    my @m = grep { $_->{backend} =~ $backend_re && $_->{vhost} =~ $vhost_re }
            @{ $json->{backends} || [] };
    return wantarray ? @m : $m[0];
}

# ---------------------------------------------------------------- Prometheus
# The text exposition format 0.0.4, strictly:
#   # HELP name docstring        (docstring escapes: \\ and \n)
#   # TYPE name counter|gauge|histogram|summary|untyped
#   name{label="value",...} value [timestamp]
# label values escape exactly \\, \" and \n.  Every sample's family must
# have had its HELP and TYPE before its first sample, each family appears
# as one group, and no series (name + label set) repeats.
my $NAME  = qr/[a-zA-Z_:][a-zA-Z0-9_:]*/;
my $LNAME = qr/[a-zA-Z_][a-zA-Z0-9_]*/;
my $LVAL  = qr/"(?:[^"\\\n]|\\[\\"n])*"/;
my $NUM   = qr/[+-]?(?:\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|Inf|NaN)/;

sub prom_parse {
    my $text = shift;
    my (%help, %type, @samples, @errors, %series, %closed);
    my $current = '';
    my $n = 0;
    push @errors, 'output does not end with a newline' if length $text && $text !~ /\n\z/;
    for my $line (split /\n/, $text) {
        $n++;
        if (my ($m, $doc) = $line =~ /^#\s*HELP\s+($NAME)\s(.*)$/) {
            push @errors, "line $n: second HELP for $m" if exists $help{$m};
            push @errors, "line $n: bad escape in HELP of $m" if $doc =~ /\\(?![\\n])/;
            $help{$m} = $doc;
            next;
        }
        if (my ($m, $t) = $line =~ /^#\s*TYPE\s+($NAME)\s+(\S+)\s*$/) {
            push @errors, "line $n: second TYPE for $m" if exists $type{$m};
            push @errors, "line $n: TYPE of $m after its samples" if grep { $_->{name} eq $m } @samples;
            push @errors, "line $n: unknown type $t"
                unless $t =~ /^(counter|gauge|histogram|summary|untyped)$/;
            $type{$m} = $t;
            next;
        }
        next if $line =~ /^#/;
        if ($line =~ /^\s*$/) {
            next;
        }
        unless ($line =~ /^($NAME)(?:\{((?:$LNAME=$LVAL(?:,$LNAME=$LVAL)*)?,?)\})?[ \t]+($NUM)(?:[ \t]+(-?\d+))?[ \t]*$/) {
            push @errors, "line $n: not a sample: $line";
            next;
        }
        my ($name, $lab, $value) = ($1, $2 // '', $3);
        my %labels;
        while ($lab =~ /($LNAME)=($LVAL)/g) {
            my ($k, $v) = ($1, substr($2, 1, -1));
            push @errors, "line $n: label $k twice" if exists $labels{$k};
            $v =~ s/\\(.)/$1 eq 'n' ? "\n" : $1/ge;
            $labels{$k} = $v;
        }
        my $family = $name;
        $family =~ s/_(bucket|sum|count)$// unless exists $type{$name};
        push @errors, "line $n: $name has no HELP" unless exists $help{$family};
        push @errors, "line $n: $name has no TYPE" unless exists $type{$family};
        push @errors, "line $n: counter $name is negative" if ($type{$family} // '') eq 'counter' && $value < 0;
        if ($family ne $current) {
            push @errors, "line $n: family $family is split in two groups" if $closed{$family};
            $closed{$current} = 1 if $current;
            $current = $family;
        }
        my $key = join "\0", $name, map { "$_=$labels{$_}" } sort keys %labels;
        push @errors, "line $n: series repeated: $line" if $series{$key}++;
        push @samples, { name => $name, labels => \%labels, value => $value + 0 };
    }
    for my $f (keys %type) {
        push @errors, "TYPE $f without HELP" unless exists $help{$f};
    }
    return { errors => \@errors, samples => \@samples, help => \%help, type => \%type };
}

# prom_value(PARSED, NAME, {LABEL => VALUE or qr//, ...}): the values of
# matching samples (list), or the one value (scalar; undef unless exactly one)
sub prom_value {
    my ($p, $name, $want) = @_;
    my @v;
    SAMPLE: for my $s (@{ $p->{samples} }) {
        next unless $s->{name} eq $name;
        for my $k (keys %{ $want || {} }) {
            my $v = $s->{labels}{$k};
            next SAMPLE unless defined $v;
            my $w = $want->{$k};
            next SAMPLE unless ref $w ? $v =~ $w : $v eq $w;
        }
        push @v, $s->{value};
    }
    return @v if wantarray;
    return @v == 1 ? $v[0] : undef;
}

# ---------------------------------------------------------------- processes
sub server_pid {
    my $f = Apache::Test::vars('t_logs') . '/httpd.pid';
    open my $fh, '<', $f or return;
    chomp(my $pid = <$fh> // '');
    return $pid =~ /^\d+$/ ? $pid : undef;
}

# the children of PID, from /proc
sub child_pids {
    my $ppid = shift;
    my @kids;
    for my $stat (glob '/proc/[0-9]*/stat') {
        open my $fh, '<', $stat or next;
        my $l = <$fh> // next;
        # pid (comm) state ppid ...
        push @kids, $1 if $l =~ /^(\d+) \(.*\) \S+ (\d+) / && $2 == $ppid;
    }
    return sort { $a <=> $b } @kids;
}

# graceful_restart(VHOST): SIGUSR1 to the parent, then poll until it
# answers on VHOST again and every child it has is of the new generation
# (none of the children it had before).  Returns (old children, new children)
# or dies after 30 s.
sub graceful_restart {
    my $vhost = shift;
    my $pid = server_pid() or die "no httpd.pid\n";
    my @old = child_pids($pid);
    my %old = map { $_ => 1 } @old;
    my $url = status_url($vhost, '/st-status') . '?json';
    kill USR1 => $pid or die "kill USR1 $pid: $!\n";
    my $deadline = time + 30;
    while (time < $deadline) {
        sleep 0.2;
        my @now = child_pids($pid);
        next unless @now && !grep { $old{$_} } @now;
        my $res = $ua->get($url);
        return (\@old, \@now) if $res->is_success;
    }
    die "the server did not come back with new children within 30 s\n";
}

# parallel_fetch(VHOST, PATH, N, WORKERS): N GETs over WORKERS concurrent
# processes, each request on its own connection; the status codes (list)
sub parallel_fetch {
    my ($vhost, $path, $n, $workers) = @_;
    my $url = sprintf 'http://127.0.0.1:%d%s', vhost_port($vhost), $path;
    my @kids;
    my @codes;
    for my $w (0 .. $workers - 1) {
        my $count = int($n / $workers) + ($w < $n % $workers ? 1 : 0);
        next unless $count;
        pipe my $r, my $wr or die "pipe: $!";
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            close $r;
            my $u = LWP::UserAgent->new(timeout => 30, keep_alive => 0);
            my @c = map { $u->get($url)->code } 1 .. $count;
            print $wr "@c\n";
            close $wr;
            POSIX::_exit(0);
        }
        close $wr;
        push @kids, [$pid, $r];
    }
    for my $k (@kids) {
        my $fh = $k->[1];
        my $l = <$fh> // '';
        push @codes, split ' ', $l;
        waitpid $k->[0], 0;
    }
    return @codes;
}

# ---------------------------------------------------------------- DUMP_REENCRYPT
# dump_reencrypt(CONF): apache2 -t -D DUMP_REENCRYPT on a configuration made
# of the LoadModule lines of t/setup/inherit.conf (the module under test),
# the basics of a server and CONF (@pki@ and @pin_NAME@ substituted).
# Returns (exit code, stdout+stderr, file).
sub dump_reencrypt {
    my $body = shift;
    my $dir = tempdir('mpr-dump-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    my $pki = Apache::Test::vars('pki');
    $body =~ s/\@pki\@/$pki/g;
    $body =~ s/\@(pin_\w+)\@/Apache::Test::vars($1) \/\/ die "no $1\n"/ge;
    my $conf = join '',
        "ServerRoot $dir\n",
        "PidFile $dir/httpd.pid\n",
        "ErrorLog $dir/error_log\n",
        "DefaultRuntimeDir $dir\n",
        "ServerName localhost\n",
        "Listen 127.0.0.1:9\n",
        MPR::Conf::load_lines(),
        $body;
    my $file = "$dir/httpd.conf";
    open my $fh, '>', $file or die "$file: $!";
    print $fh $conf;
    close $fh;
    my $httpd = Apache::Test::vars('httpd') || '/usr/sbin/apache2';
    my $out = `$httpd -t -D DUMP_REENCRYPT -f $file 2>&1`;
    return ($? >> 8, $out, $file);
}

# ---------------------------------------------------------------- Chromium
sub chromium {
    for my $c (qw(chromium chromium-browser google-chrome)) {
        for my $d (split /:/, $ENV{PATH} // '') {
            return "$d/$c" if -x "$d/$c";
        }
    }
    return;
}

# screenshot(URL, PNG): build/screenshot.sh; true if the PNG was written
sub screenshot {
    my ($url, $png) = @_;
    my $script = Apache::Test::vars('top_dir') . '/build/screenshot.sh';
    my $out = `bash $script '$url' '$png' 2>&1`;
    return ($? == 0 && -s $png, $out);
}

1;

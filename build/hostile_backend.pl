#!/usr/bin/perl
# build/hostile_backend.pl MODE PORT LOG -- a backend that is not a TLS
# server, for t/reliability_*.t (started by build/nginx.sh, 127.0.0.1 only).
#
#   stall    accepts TCP, reads whatever comes (the ClientHello) and never
#            answers; connections stay open until the peer closes them
#   garbage  answers the first bytes of every connection with
#            "HTTP/1.1 400 Bad Request" (a plain HTTP server on a TLS port),
#            then closes
#
# LOG gets a "listening" line, then one line per accepted connection
# ("accept N at EPOCH-SECONDS"), flushed at once, so that a test can tell
# whether and when the front connected.
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;
use IO::Handle;
use Time::HiRes ();

my ($mode, $port, $log) = @ARGV;
die "usage: $0 stall|garbage PORT LOG\n"
    unless $mode && $mode =~ /^(stall|garbage)$/ && $port && $log;

my $srv = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port,
                                Proto => 'tcp', Listen => 128, ReuseAddr => 1)
    or die "listen 127.0.0.1:$port: $!\n";
open my $lfh, '>>', $log or die "$log: $!\n";
$lfh->autoflush(1);
print $lfh "listening on 127.0.0.1:$port\n";     # build/nginx.sh waits for it
$SIG{TERM} = sub { exit 0 };
$SIG{PIPE} = 'IGNORE';

my $sel = IO::Select->new($srv);
my $n = 0;
while (1) {
    for my $fh ($sel->can_read) {
        if ($fh == $srv) {
            my $c = $srv->accept or next;
            printf $lfh "accept %d at %.3f\n", ++$n, Time::HiRes::time();
            $sel->add($c);
            next;
        }
        my $got = sysread($fh, my $buf, 65536);
        if (!$got) {
            $sel->remove($fh);
            close $fh;
            next;
        }
        next if $mode eq 'stall';
        syswrite($fh, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        $sel->remove($fh);
        close $fh;
    }
}

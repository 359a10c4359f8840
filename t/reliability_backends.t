# Broken backends are refused with ONE module line that says why (issue 12):
# the OpenSSL reason mod_ssl logs only at `info` is the line's detail.
#  * a garbage-speaking backend (plain "HTTP/1.1 400" on a TLS port);
#  * a TLS 1.0-only backend (openssl s_server -tls1);
#  * a chain of 12 intermediates (13 certificates): refused before any
#    verification work, detail "chain of 13 certificates exceeds 10";
#    under audit: served as stock serves it, "would refuse" with the detail;
#  * a Certificate message over 100 KB (8000 SANs): refused by OpenSSL's
#    limit, detail "excessive message size".
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use Time::HiRes qw(sleep);

plan skip_all => 'nginx backends not running' unless have_nginx();

# the module's lines about one backend written after MARK (after a pause,
# so that a second line would have been written)
sub lines_about {
    my ($mark, $port) = @_;
    sleep 0.5;
    open my $fh, '<', Apache::Test::vars('t_logs') . '/error_log' or return ();
    seek $fh, $mark, 0;
    return grep { /PRE1010: .*backend https:\/\/localhost:$port\b/ } <$fh>;
}

sub one_line_ok {
    my ($what, $vhost, $path, $backend, $status, $re) = @_;
    my $port = nginx_port($backend);
    my $mark = log_mark();
    is(fetch($vhost, $path)->code, $status, "$what: $status");
    wait_log($mark, qr/PRE1010: .*backend https:\/\/localhost:$port\b/);
    my @l = lines_about($mark, $port);
    is(scalar(@l), 1, "$what: one module line") or diag(@l);
    like($l[0] // '', $re, "$what: the line says why");
    note($l[0] // '(none)');
}

one_line_ok('garbage-speaking backend', 'rel_front', '/garbage/', 'rel_garbage', 502,
            qr/refused .*reason=handshake; no peer certificate; detail="(wrong version number|packet length too long|record layer failure|unexpected eof while reading)"/);
one_line_ok('TLS 1.0-only backend', 'rel_front', '/tls10/', 'rel_tls10', 502,
            qr/refused .*reason=protocol; no peer certificate; detail="[^"]*(protocol version|unsupported protocol|wrong version number)[^"]*"/);

my $blog = nginx_log('long12');
my $before = line_count($blog);
one_line_ok('a chain of 13 certificates', 'rel_front', '/long/', 'long12', 502,
            qr/refused .*reason=handshake; subject="[^"]+".*detail="chain of 13 certificates exceeds 10"/);
is(line_count($blog), $before, 'the long-chain backend\'s application is never reached');

# bytes: the Certificate message over 100 KB (OpenSSL's max_cert_list)
$blog = nginx_log('bigcert');
$before = line_count($blog);
one_line_ok('a Certificate message over 100 KB', 'rel_front', '/big/', 'bigcert', 502,
            qr/refused .*reason=handshake; no peer certificate; detail="excessive message size"/);
is(line_count($blog), $before, 'the big certificate\'s application is never reached');

# audit: stock's answer (SSLProxyVerify none: served), the module reports
one_line_ok('a chain of 13 certificates under audit', 'rel_audit', '/long/', 'long12', 200,
            qr/would refuse .*reason=handshake.*detail="chain of 13 certificates exceeds 10"/);
one_line_ok('garbage-speaking backend under audit', 'rel_audit', '/garbage/', 'rel_garbage', 500,
            qr/refused by mod_ssl .*reason=handshake; no peer certificate; detail="[^"]+"/);
done_testing();

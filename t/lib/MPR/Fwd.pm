package MPR::Fwd;
# Helpers for t/forwarded*.t: raw HTTP requests (exact header spellings,
# repeated lines, IPv6, TLS) to the fwd_* fronts of t/conf/forwarded.conf.in,
# and the header lines the fwd_echo backend reports (MPR::EchoHeaders).
#
#   my $r = fwd_get('fwd_plain', headers => [[ 'X_Forwarded_For', '6.6.6.6' ]],
#                   host => 'www.example.test', tls => 0, v6 => 0);
#   $r->{code}, $r->{lines} ([[name, value], ...] as the backend got them)
#   family_is($r, { 'x-forwarded-for' => '127.0.0.1', ... }, 'label');
use strict;
use warnings;

use Exporter 'import';
use Apache::Test ();
use Test::More ();
use IO::Socket::IP ();
use IO::Socket::SSL ();
use MPR::Test qw(vhost_port);

our @EXPORT = qw(fwd_get family_of family_is spoof_headers no_spoof_ok
                 lines_named have_ipv6 FAMILY_RE FAMILY spellings);

# the forwarded family of the SPEC, in every spelling (any case, '_' for '-')
use constant FAMILY_RE => qr/^(?:x[-_]forwarded(?:[-_].+)?|forwarded|x[-_]real[-_]ip
    |x[-_]client[-_]ip|client[-_]ip|true[-_]client[-_]ip|x[-_]cluster[-_]client[-_]ip
    |cf[-_]connecting[-_]ip|fastly[-_]client[-_]ip|x[-_]original[-_]forwarded[-_]for
    |front[-_]end[-_]https|x[-_]url[-_]scheme)$/ix;

# the family, canonical spelling (X-Forwarded-* by a few of its members)
use constant FAMILY => qw(
    X-Forwarded-For X-Forwarded-Proto X-Forwarded-Host X-Forwarded-Port
    X-Forwarded-Server X-Forwarded-Scheme X-Forwarded-Ssl X-Forwarded-Prefix
    X-Forwarded-Uri X-Forwarded X-Real-IP X-Client-IP Client-IP True-Client-IP
    X-Cluster-Client-IP CF-Connecting-IP Fastly-Client-IP
    X-Original-Forwarded-For Front-End-Https X-Url-Scheme Forwarded
);

# three spellings backends fold together: as written, upper case, '_' for '-'
sub spellings {
    my $n = shift;
    (my $u = lc $n) =~ tr/-/_/;
    return ($n, uc $n, $u);
}

sub have_ipv6 {
    my $s = IO::Socket::IP->new(Listen => 1, LocalHost => '::1', LocalPort => 0);
    return $s ? 1 : 0;
}

# fwd_get(VHOST, headers => [[NAME, VALUE], ...], host => HOST, path => PATH,
#         tls => 0|1, v6 => 0|1)
# One HTTP/1.0 request written byte for byte as given (no header name
# normalisation, repeated names allowed). Returns a hash: code, status,
# body, lines (the backend's [name, value] list, undef unless the body is
# the echo), port, error.
sub fwd_get {
    my ($vhost, %o) = @_;
    my $port = vhost_port($vhost);
    my $addr = $o{v6} ? '::1' : '127.0.0.1';
    my $pki  = Apache::Test::vars('pki');
    my %res = (port => $port);
    my $sock;
    if ($o{tls}) {
        $sock = IO::Socket::SSL->new(
            PeerHost => $addr, PeerPort => $port, Timeout => 30,
            SSL_ca_file => "$pki/root.crt",
            SSL_verify_mode => IO::Socket::SSL::SSL_VERIFY_PEER(),
            SSL_verifycn_scheme => 'http', SSL_verifycn_name => $addr,
        ) or return { %res, code => 0, error => "TLS connect $addr:$port: $IO::Socket::SSL::SSL_ERROR $!" };
    }
    else {
        $sock = IO::Socket::IP->new(PeerHost => $addr, PeerPort => $port, Timeout => 30)
            or return { %res, code => 0, error => "connect [$addr]:$port: $@" };
    }
    my $host = $o{host} // ($o{v6} ? "[::1]:$port" : "127.0.0.1:$port");
    my $req = sprintf "GET %s HTTP/1.0\r\nHost: %s\r\n", $o{path} || '/', $host;
    $req .= "$_->[0]: $_->[1]\r\n" for @{ $o{headers} || [] };
    $req .= "\r\n";
    print {$sock} $req;
    my $raw = '';
    while (1) {
        my $n = sysread($sock, my $buf, 65536);
        last unless $n;
        $raw .= $buf;
    }
    close $sock;
    my ($head, $body) = split /\r\n\r\n/, $raw, 2;
    $res{raw} = $raw;
    $res{body} = $body // '';
    ($res{status}) = ($head // '') =~ /^(HTTP\S+ .*?)\r?$/m;
    ($res{code}) = ($res{status} // '') =~ /^HTTP\S+ (\d{3})/;
    $res{code} ||= 0;
    if ($res{body} =~ s/\Aecho=fwd\n//) {
        $res{lines} = [ map { [ split /\t/, $_, 2 ] } split /\n/, $res{body} ];
    }
    return \%res;
}

# the backend's lines of the forwarded family: sorted "lc(name): value"
sub family_of {
    my $r = shift;
    return [ sort map { lc($_->[0]) . ": $_->[1]" }
             grep { $_->[0] =~ FAMILY_RE } @{ $r->{lines} || [] } ];
}

# [values] of the backend's lines whose name is NAME (case-insensitive,
# exact spelling otherwise)
sub lines_named {
    my ($r, $name) = @_;
    return [ map { $_->[1] } grep { lc $_->[0] eq lc $name } @{ $r->{lines} || [] } ];
}

# family_is(RES, {lc-name => value}, LABEL): 2 assertions. The request was
# served by the echo backend; and the forwarded-family lines the backend
# got are exactly these: one line per name, exactly this value (so no
# extra comma-joined value), no other spelling or member of the family.
sub family_is {
    my ($r, $want, $what) = @_;
    my $ok = Test::More::ok($r->{code} == 200 && $r->{lines}, "$what: 200 from the echo backend");
    Test::More::diag(($r->{error} || $r->{status} || '(no status)') . "\n" . ($r->{raw} // ''))
        unless $ok;
    my @want = sort map { lc($_) . ": $want->{$_}" } keys %$want;
    Test::More::is_deeply(family_of($r), \@want,
                          "$what: backend got exactly one line of each, true values")
        or Test::More::diag("backend got:\n" . join("\n",
               map { "  $_->[0]: $_->[1]" } @{ $r->{lines} || [] }));
}

# Spoofed values in every member of the family, in several spellings and
# repeated; every value carries a marker no true value has.
sub spoof_headers {
    return [
        [ 'X-Forwarded-For',    '6.6.6.1' ],
        [ 'x-forwarded-for',    '6.6.6.2' ],
        [ 'X_Forwarded_For',    '6.6.6.3' ],
        [ 'x_forwarded_for',    '6.6.6.4' ],
        [ 'X-FORWARDED-PROTO',  'spoofproto' ],
        [ 'X-Forwarded-Proto',  'https' ],
        [ 'x_forwarded_proto',  'spoofproto' ],
        [ 'X-Forwarded-Host',   'spoof1.example' ],
        [ 'X-Forwarded-Host',   'spoof2.example' ],
        [ 'X_FORWARDED_HOST',   'spoof3.example' ],
        [ 'X-Forwarded-Port',   '6661' ],
        [ 'x-forwarded-port',   '6662' ],
        [ 'X_Forwarded_Port',   '6663' ],
        [ 'X-Forwarded-Server', 'spoof-server' ],
        [ 'X_Forwarded_Server', 'spoof-server2' ],
        [ 'X-Real-IP',          '6.6.6.5' ],
        [ 'x-real-ip',          '6.6.6.6' ],
        [ 'X_Real_IP',          '6.6.6.7' ],
        [ 'Forwarded',          'for=6.6.6.8;proto=https;host=spoof4.example' ],
        [ 'forwarded',          'for="[2001:db8::6]"' ],
        [ 'FORWARDED',          'for=6.6.6.9' ],
    ];
}

# no_spoof_ok(RES, LABEL): 1 assertion: no spoofed value (see spoof_headers)
# reached the backend in any header.
sub no_spoof_ok {
    my ($r, $what) = @_;
    my @bad = grep { $_->[1] =~ /6\.6\.6\.|2001:db8::6|spoof|666\d/ } @{ $r->{lines} || [] };
    Test::More::ok($r->{lines} && !@bad, "$what: no spoofed value reached the backend")
        or Test::More::diag(join "\n", map { "  $_->[0]: $_->[1]" } @bad);
}

1;

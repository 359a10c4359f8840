# Pooled keep-alive (issue 9's benchmark path): the requests of one client
# keep-alive connection, all of one scope, ride ONE backend connection
# (nginx's $connection serial says so, not the module), under the default
# Forwarded mode and under `ProxyReencryptForwarded off`; every request,
# the first (handshake) and the pooled ones, gets the REENCRYPT_* notes.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use MPR::Identity;

plan skip_all => 'nginx backends not running' unless have_nginx();

my $N = 20;
my $blog = nginx_log('id_ws');
my $flog = vars_of('t_logs') . '/front_pool_ka.log';
my $base = sprintf 'http://127.0.0.1:%d', vhost_port('pool_ka');

for my $case (['ka', 'poolka'], ['nofwd', 'poolka-nofwd']) {
    my ($path, $bpath) = @$case;
    my $ua = keepalive_ua();
    my ($before, $fbefore) = (line_count($blog), line_count($flog));
    my @codes = map { $ua->get("$base/$path/?i=$_")->code } 1 .. $N;
    is(scalar(grep { $_ == 200 } @codes), $N, "/$path/: $N keep-alive requests served") or diag("@codes");

    wait_lines($blog, $before + $N);
    my @lines = do { open my $fh, '<', $blog or die "$blog: $!"; <$fh> };
    my %conn;
    for (@lines[$before .. $#lines]) {
        $conn{$1}++ if m{"GET /\Q$bpath\E/\?i=\d+ [^"]*" 200 conn=(\d+)};
    }
    is(eval { my $n = 0; $n += $_ for values %conn; $n }, $N, "/$path/: the backend saw the $N requests");
    is(scalar(keys %conn), 1, "/$path/: all of them over one backend connection")
        or diag(join ', ', map { "conn $_: $conn{$_} requests" } sort keys %conn);

    wait_lines($flog, $fbefore + $N);
    my @f = do { open my $fh, '<', $flog or die "$flog: $!"; <$fh> };
    @f = grep { m{^/\Q$path\E/ } } @f[$fbefore .. $#f];
    is(scalar(grep { m{ 200 verdict=ok backend=https://localhost:\d+/\Q$bpath\E/? resumed=[01]$} } @f), $N,
       "/$path/: every request has its notes (verdict=ok, the backend)") or diag(join '', @f);
}
done_testing();

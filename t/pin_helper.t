# tools/proxy-reencrypt-pin against a real nginx "snakeoil" backend (a
# self-signed certificate made here, as make-ssl-cert does): the <Proxy>
# block it prints, pasted into an enforce vhost of a real httpd, serves 200;
# after the backend's key is regenerated the same block gives 502 with
# reason=pin-mismatch.  Error cases: unreachable port, a non-TLS port, an
# unreadable file, a file without a certificate.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use File::Temp qw(tempdir);
use LWP::UserAgent;
use Time::HiRes qw(sleep);
use MPR::Run;

my $top = Apache::Test::vars('top_dir');
my $tool = "$top/tools/proxy-reencrypt-pin";
my $nginx = -x '/usr/sbin/nginx' ? '/usr/sbin/nginx' : `command -v nginx`;
chomp $nginx;
plan skip_all => 'no nginx' unless $nginx && -x $nginx;

my $dir = tempdir('mpr-pin-XXXXXX', TMPDIR => 1, CLEANUP => 1);
mkdir "$dir/$_" for qw(logs tmp);
my $nport = MPR::Run::free_port();

sub snakeoil {
    my $out = `openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=localhost \\
               -addext subjectAltName=DNS:localhost -keyout $dir/snakeoil.key \\
               -out $dir/snakeoil.pem 2>&1`;
    die "openssl req: $out" if $?;
}

sub nginx_conf {
    open my $fh, '>', "$dir/nginx.conf" or die $!;
    print $fh <<EOC;
worker_processes 1;
daemon on;
pid $dir/nginx.pid;
error_log $dir/logs/error.log;
events { worker_connections 64; }
http {
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  access_log off;
  server {
    listen 127.0.0.1:$nport ssl;
    server_name localhost;
    ssl_certificate $dir/snakeoil.pem;
    ssl_certificate_key $dir/snakeoil.key;
    location / { return 200 "snakeoil-backend\\n"; }
  }
}
EOC
    close $fh;
}

sub nginx_pid {
    open my $fh, '<', "$dir/nginx.pid" or return;
    chomp(my $p = <$fh> // '');
    return $p;
}

sub nginx_start {
    system($nginx, '-p', $dir, '-e', "$dir/logs/error.log", '-c', "$dir/nginx.conf");
    for (1 .. 100) { last if nginx_pid(); sleep 0.05 }
    for (1 .. 100) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $nport);
        if ($s) { close $s; return 1 }
        sleep 0.05;
    }
    return 0;
}

sub nginx_stop {
    my $p = nginx_pid() or return;
    kill 'QUIT', $p;
    for (1 .. 100) { last unless kill 0, $p; sleep 0.05 }
    unlink "$dir/nginx.pid";
}

snakeoil();
nginx_conf();
ok(nginx_start(), 'nginx snakeoil backend up') or diag(`tail $dir/logs/error.log`);

my $out = `$tool https://localhost:$nport 2>&1`;
is($? >> 8, 0, 'pin helper against the backend: exit 0') or diag($out);
my ($block) = $out =~ /^(<Proxy .*?^<\/Proxy>)$/ms;
ok($block, '... prints a <Proxy> block') or diag($out);
like($block // '', qr/ProxyReencryptVerify pin/, '... in pin mode (self-signed leaf)');
my $want = `openssl x509 -in $dir/snakeoil.pem -pubkey -noout | openssl pkey -pubin -outform DER | openssl dgst -sha256 -binary | openssl base64 -A`;
like($block // '', qr/ProxyReencryptPin sha256\/\/\Q$want\E$/m, '... with the leaf SPKI pin');
like($out, qr/subject:\s+CN=localhost/, '... and the subject');
like($out, qr/SANs:\s+DNS:localhost/, '... and the SANs');
like($out, qr/notAfter:\s+\w{3} +\d+ [\d:]+ \d{4} GMT/, '... and notAfter');

my $front = <<"EOC";
<VirtualHost 127.0.0.1:\@port\@>
    ServerName front.test
    SSLProxyEngine on
    ProxyReencryptPolicy enforce
    ProxyPass / https://localhost:$nport/
$block
</VirtualHost>
EOC
my $h = MPR::Run->start($front);
ok($h, 'httpd starts with the pasted block under enforce') or diag($MPR::Run::error);
my $ua = LWP::UserAgent->new(timeout => 10);
my $res = $h ? $ua->get("http://127.0.0.1:$h->{port}/") : undef;
is($res ? $res->code : 0, 200, 'pasted block, enforce: 200') or diag($res ? $res->as_string : '', $h ? $h->error_log : '');
like($res ? $res->content : '', qr/snakeoil-backend/, '... from the snakeoil backend');

# the backend's key is regenerated (same name): the pin no longer matches
nginx_stop();
snakeoil();
ok(nginx_start(), 'nginx restarted with a regenerated key');
$res = $h ? $ua->get("http://127.0.0.1:$h->{port}/") : undef;
is($res ? $res->code : 0, 502, 'regenerated key: 502');
like($h ? $h->error_log : '', qr/PRE1010: refused backend \S*localhost:$nport.*reason=pin-mismatch/,
     '... logged as reason=pin-mismatch') or diag($h ? $h->error_log : '');

# error cases
my $closed = MPR::Run::free_port();
$out = `$tool https://127.0.0.1:$closed 2>&1`;
is($? >> 8, 1, 'unreachable port: exit 1');
like($out, qr/cannot connect to 127\.0\.0\.1:$closed/, '... saying it cannot connect') or diag($out);
unlike($out, qr/<Proxy/, '... and no block');

$out = $h ? `$tool https://127.0.0.1:$h->{port} 2>&1` : '';
is($? >> 8, 1, 'a plain-HTTP port: exit 1');
like($out, qr/127\.0\.0\.1:\d+ does not speak TLS/, '... saying it does not speak TLS') or diag($out);
$h->stop if $h;

open my $fh, '>', "$dir/secret.pem" or die $!;
print $fh `cat $dir/snakeoil.pem`;
close $fh;
chmod 0, "$dir/secret.pem";
SKIP: {
    skip 'running as root: every file is readable', 2 if $> == 0;
    $out = `$tool $dir/secret.pem 2>&1`;
    is($? >> 8, 1, 'unreadable file: exit 1');
    like($out, qr/cannot read \Q$dir\E\/secret\.pem: permission denied/, '... saying so') or diag($out);
}
$out = `$tool $dir/nope.pem 2>&1`;
like($out, qr/cannot read \Q$dir\E\/nope\.pem: no such file/, 'missing file: said so') or diag($out);
$out = `$tool $dir/nginx.conf 2>&1`;
is($? >> 8, 1, 'a file with no certificate: exit 1');
like($out, qr/holds no PEM certificate/, '... saying so') or diag($out);

# a PEM file: the block is the same as from the live backend
$out = `$tool --url https://localhost:$nport/ $dir/snakeoil.pem 2>&1`;
my $want2 = `openssl x509 -in $dir/snakeoil.pem -pubkey -noout | openssl pkey -pubin -outform DER | openssl dgst -sha256 -binary | openssl base64 -A`;
like($out, qr/ProxyReencryptPin sha256\/\/\Q$want2\E$/m, 'from a PEM file: the pin of its key');

nginx_stop();
done_testing();

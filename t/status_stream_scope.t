# The streams section of mod_status's /server-status obeys
# ProxyReencryptStatusScope like the backend rows of the module's section:
# by default the vhost serving the page sees no other vhost's stream routes
# (SNI names) or backend addresses, in HTML or ?auto; "all" shows every
# stream vhost.  (From the review finding t/review_status_scope_leak.t, the
# stream part.)
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use MPR::Private;
use LWP::UserAgent;

my $pki = Apache::Test::vars('pki');
my $good = vhost_port('backend_good');

my $s = MPR::Private::httpd(mpm => 'event', threads => 8, ports => 2, body => <<"EOC");
<VirtualHost 127.0.0.1:\@port\@>
    ServerName tenant-a
    SSLProxyEngine on
    ProxyReencryptPolicy enforce
    ProxyReencryptCACertificateFile $pki/root.crt
    ProxyPass /a/ https://localhost:$good/a/
    <Location /ss>
        SetHandler server-status
    </Location>
    <Location /ss-all>
        SetHandler server-status
        ProxyReencryptStatusScope all
    </Location>
    ProxyPass /ss !
    ProxyPass /ss-all !
</VirtualHost>
<VirtualHost 127.0.0.1:\@port1\@>
    ServerName tenant-c-stream
    ProxyReencryptStream passthrough
    ProxyReencryptRoute secret-c.internal 127.0.0.1:$good
</VirtualHost>
EOC
ok($s->{pid}, 'a private server with an HTTP and a stream tenant started')
    or do { diag($s->{out}); done_testing(); exit 0 };

my $ua = LWP::UserAgent->new(timeout => 30, keep_alive => 0);
is($ua->get($s->url('/a/'))->code, 200, 'tenant-a: its backend answers');

my $auto = $ua->get($s->url('/ss?auto'))->decoded_content;
like($auto, qr/ProxyReencryptBackend\d+: .*vhost=tenant-a/, 'tenant-a /server-status?auto: its own section');
unlike($auto, qr/tenant-c-stream|secret-c\.internal|ProxyReencryptStream/,
       'tenant-a /server-status?auto: no stream vhost, route or backend of tenant-c');
my $html = $ua->get($s->url('/ss'))->decoded_content;
like($html, qr/tenant-a/, 'tenant-a /server-status: its own section');
unlike($html, qr/tenant-c-stream|secret-c\.internal/,
       'tenant-a /server-status (HTML): no stream vhost, route or backend of tenant-c');

# ProxyReencryptStatusScope all: the operator's global view has them
$auto = $ua->get($s->url('/ss-all?auto'))->decoded_content;
like($auto, qr/^ProxyReencryptStream\d+: vhost=tenant-c-stream:\d+ mode=passthrough /m,
     'scope all, ?auto: the stream vhost');
like($auto, qr/^ProxyReencryptStream\d+Route0: match=secret-c\.internal /m,
     'scope all, ?auto: its route');
like($auto, qr/^ProxyReencryptStream\d+Route0Backend0: backend=127\.0\.0\.1:$good /m,
     'scope all, ?auto: its backend');
$html = $ua->get($s->url('/ss-all'))->decoded_content;
like($html, qr/tenant-c-stream.*secret-c\.internal/s, 'scope all, HTML: the stream vhost and its route');
$s->stop;
done_testing();

# h2:// backends: mod_proxy_http2 builds its request itself (no proxy
# fixups) and appends X-Forwarded-For/-Host/-Server with ProxyAddHeaders;
# the backend must still get exactly one true value of each.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use MPR::Fwd;

# Debian's apache2 always ships mod_proxy_http2: a missing h2 vhost there is
# a configuration that did not load, a failure, never a skip.
my $h2_vhost = eval { vhost_port('fwd_h2') };
plan skip_all => 'mod_proxy_http2 not installed'
    unless $h2_vhost || !-e '/usr/lib/apache2/modules/mod_proxy_http2.so';
if (!$h2_vhost) { plan tests => 1; fail('mod_proxy_http2 is installed: the h2 test vhost must be configured'); exit 0; }

my $HOST = 'www.example.test';
my $r = fwd_get('fwd_h2', host => $HOST, headers => spoof_headers());
family_is($r, {
    'X-Forwarded-For'    => '127.0.0.1',
    'X-Real-IP'          => '127.0.0.1',
    'X-Forwarded-Proto'  => 'http',
    'X-Forwarded-Host'   => $HOST,
    'X-Forwarded-Port'   => $r->{port},
    'X-Forwarded-Server' => 'fwd-h2',
}, 'h2 backend, spoofed request');
no_spoof_ok($r, 'h2 backend, spoofed request');
done_testing();

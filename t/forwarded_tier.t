# M2 (issue 10): a real stock mod_proxy tier (fwd_tier, the module off) in
# front of fwd_trusted, which trusts it.  The tier appends X-Forwarded-For,
# -Host, -Server and (mod_headers, the usual recipe) -Proto and -Port to
# what the client sent.  The backend must get the nearest trusted hop's
# values (the last element), never the client's.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use MPR::Fwd;

my $HOST = 'www.example.test';
my $tier = vhost_port('fwd_tier');

my $r = fwd_get('fwd_tier', host => $HOST, headers => [
    [ 'X-Forwarded-Host',  'evil.example' ],
    [ 'X-Forwarded-Proto', 'https' ],
    [ 'X-Forwarded-Port',  '443' ],
]);
is($r->{code}, 200, 'served through the tier');
is_deeply(lines_named($r, 'X-Forwarded-Host'),  [$HOST],  'X-Forwarded-Host: the tier\'s (last element)');
is_deeply(lines_named($r, 'X-Forwarded-Proto'), ['http'], 'X-Forwarded-Proto: the tier\'s (last element)');
is_deeply(lines_named($r, 'X-Forwarded-Port'),  [$tier],  'X-Forwarded-Port: the tier\'s (last element)');
is_deeply(lines_named($r, 'X-Forwarded-For'), ['127.0.0.1, 127.0.0.1'], 'X-Forwarded-For: the client as the tier saw it, then the tier');

# invalid last values from the trusted proxy: this hop's own
$r = fwd_get('fwd_trusted', host => $HOST, headers => [
    [ 'X-Forwarded-Host',  'good.example, bad host' ],
    [ 'X-Forwarded-Proto', 'https, ht tp' ],
    [ 'X-Forwarded-Port',  '443, 99999' ],
]);
is_deeply(lines_named($r, 'X-Forwarded-Host'),  [$HOST],     'invalid last X-Forwarded-Host: this hop\'s');
is_deeply(lines_named($r, 'X-Forwarded-Proto'), ['http'],    'invalid last X-Forwarded-Proto: this hop\'s');
is_deeply(lines_named($r, 'X-Forwarded-Port'),  [$r->{port}], 'invalid last X-Forwarded-Port: this hop\'s');

# valid single values from a trusted proxy are kept
$r = fwd_get('fwd_trusted', host => $HOST, headers => [
    [ 'X-Forwarded-Host',  'public.example' ],
    [ 'X-Forwarded-Proto', 'https' ],
    [ 'X-Forwarded-Port',  '8443' ],
]);
is_deeply(lines_named($r, 'X-Forwarded-Host'),  ['public.example'], 'single X-Forwarded-Host kept');
is_deeply(lines_named($r, 'X-Forwarded-Proto'), ['https'],          'single X-Forwarded-Proto kept');
is_deeply(lines_named($r, 'X-Forwarded-Port'),  ['8443'],           'single X-Forwarded-Port kept');

done_testing();

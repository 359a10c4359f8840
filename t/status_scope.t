# The status page's scope (issue 9, item 7): by default the handler shows
# the backends of the vhost it is served from; ProxyReencryptStatusScope all
# (in a <Location> or a <Directory>) shows every vhost's.  mod_status's
# section follows the same rule.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use MPR::Status;

my $vport = vhost_port('st_scope');
my $gport = vhost_port('backend_good');
my $me = "st-scope:$vport";

is(fetch('st_scope', '/good/')->code, 200, 'st_scope: its backend answers (200)');
# some traffic in another vhost, so that "all" has something else to show
is(fetch('st_dyn', '/dyn/20999')->code, 502, 'st_dyn: a dynamic backend refused (502)');

my $j = status_json('st_scope');
my @vhosts = sort keys %{ { map { $_->{vhost} => 1 } @{ $j->{backends} } } };
is("@vhosts", $me, 'default scope: only the backends of the vhost serving the page')
    or diag(explain(\@vhosts));
my ($g) = backend_entry($j, qr{^https://localhost:$gport/}, qr/^\Q$me\E$/);
is(($g // {})->{handshakes}{ok}, 1, 'default scope: its backend, with its one handshake');

my ($html) = status_text('st_scope', '');
ok($html =~ /st-scope:$vport/ && $html !~ /st-dyn:/, 'default scope: the HTML page shows this vhost only');

my ($auto) = status_text('st_scope', '?auto', '/st-server-status');
my @lines = $auto =~ /^(ProxyReencryptBackend\d+: .*)$/mg;
ok(@lines && !grep({ !/ vhost=\Q$me\E / } @lines),
   'default scope: mod_status\'s section lists this vhost only') or diag($auto);

for my $path ('/st-status-all', '/all/') {
    my ($text, $res) = status_text('st_scope', '?json', $path);
    my $all = eval { JSON::PP->new->decode($text) } || {};
    my %v = map { $_->{vhost} => 1 } @{ $all->{backends} || [] };
    ok($res->is_success && $v{$me} && grep({ /^st-dyn:/ } keys %v),
       "ProxyReencryptStatusScope all ($path): every vhost's backends")
        or diag($res->status_line . ' ' . join(' ', sort keys %v));
}
done_testing();

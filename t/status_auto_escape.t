# mod_status ?auto (issue 9, item 7): every value the module prints there
# is escaped.  A plaintext dynamic target whose host the client chooses
# (st_dyn: RewriteRule ^/inj/(.*)$ http://$1/ [P]) puts a line feed and
# "busyworkers 0" into a backend name, or a space and "ok=999"; the ?auto
# page must show neither an extra line nor an extra field.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use MPR::Status;

my $vport = vhost_port('st_dyn');

# the host part decodes to "inj\nbusyworkers 0.x" (mod_rewrite matches the
# decoded path); mod_proxy lowercases it
is(fetch('st_dyn', '/inj/inj%0Abusyworkers%200.x:9')->code, 502,
   'a plaintext dynamic target with a line feed in its host: refused (502)');
is(fetch('st_dyn', '/inj/inj%20ok=999.x:9')->code, 502,
   'a plaintext dynamic target with a space in its host: refused (502)');

my ($auto, $res) = status_text('st_dyn', '?auto', '/st-server-status');
ok($res->is_success, '/server-status?auto answers') or diag($res->status_line);
my @busy = $auto =~ /^(busyworkers.*)$/mgi;
is(scalar(@busy), 1, '?auto: one BusyWorkers line (mod_status\'s own)') or diag(join "\n", @busy);
like($busy[0] // '', qr/^BusyWorkers: \d+$/, '?auto: the BusyWorkers line is mod_status\'s');

my @ours = $auto =~ /^(ProxyReencryptBackend\d+: .*)$/mg;
my ($nl) = grep { /backend=\S*inj/ && /busyworkers/ } @ours;
ok($nl, '?auto: the injected backend is listed on one line') or diag($auto);
like($nl // '', qr{backend=http://inj\\x0abusyworkers\\x200\.x:9 vhost=st-dyn:$vport },
     '?auto: line feed and space in the backend name are escaped (\\xHH)');
my ($sp) = grep { /backend=\S*inj\\x20ok=999/ } @ours;
ok($sp, '?auto: the backend with a space in its name is listed') or diag($auto);
my @oks = ($sp // '') =~ / ok=/g;
is(scalar(@oks), 1, '?auto: a space in a value adds no field (one " ok=")') or diag($sp);
like($sp // '', qr/ ok=0 refused=1 /, '?auto: its counts are the real ones');

my ($n) = $auto =~ /^ProxyReencryptBackends: (\d+)$/m;
is($n, scalar(@ours), '?auto: ProxyReencryptBackends: N, then N lines');

# the HTML section: the names are escaped text, no markup from a backend
my ($html) = status_text('st_dyn', '', '/st-server-status');
like($html, qr{<td>http://inj\s?busyworkers 0\.x:9 <i>\(dynamic\)</i></td>}s,
     'HTML section: the name is shown as text');
done_testing();

# The HTML status page (issue 5) of the st_page front: a good backend, a
# refused one (expired) and an expiring one (3 days left, warned), each
# row showing what the module saw; rendered by headless Chromium
# (build/screenshot.sh) when it is installed.  The PNG is kept as
# t/logs/st_status.png.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use MPR::Status;

# (not map: Apache::Test::vars modifies $_)
my %port;
for my $n (qw(good expired expiring)) { $port{$n} = vhost_port("st_$n") }
my $vport = vhost_port('st_page');

is(fetch('st_page', '/good/')->code, 200, 'good backend: 200');
is(fetch('st_page', '/expired/')->code, 502, 'expired backend: 502');
is(fetch('st_page', '/expiring/')->code, 200, 'expiring backend: 200 (3 days left, warned only)');

my ($html, $res) = status_text('st_page', '');
is($res->code, 200, 'status page: 200');
like($res->header('Content-Type') // '', qr{^text/html}, 'status page: text/html');
like($html, qr/<title>Proxy re-encryption status<\/title>/, 'status page: title');
like($html, qr{href="\?json"} , 'status page: links to ?json');
like($html, qr{href="\?prometheus"}, 'status page: links to ?prometheus');

# the row of one backend of the st_page front
sub row {
    my $p = shift;
    my ($r) = $html =~ m{(<tr[^>]*><td>https://localhost:$p/?</td><td>st-page:$vport</td>.*?</tr>)}s;
    return $r // '';
}
my ($good, $exp, $expiring) = (row($port{good}), row($port{expired}), row($port{expiring}));
ok($good && $exp && $expiring, 'status page: a row for each of the three backends') or diag($html);
like($good, qr{<td>enforce</td><td>1</td><td>0</td><td>0</td>}, 'good row: enforce, 1 ok, 0 refused, 0 audit');
like($good, qr{<td>ok<br>}, 'good row: last verdict ok');
like($good, qr{<td>CN=good</td>}, 'good row: peer subject');
like($good, qr{<td>36[234]</td>}, 'good row: days left ~363');
like($good, qr{<td>TLSv1\.3</td>}, 'good row: protocol');
unlike($good, qr{class="(refused|expiring|expired)"}, 'good row: not highlighted');
like($exp, qr{^<tr class="refused">}, 'expired row: highlighted as refused');
like($exp, qr{<td class="bad">expired: 1</td>}, 'expired row: refused, expired: 1');
like($exp, qr{<td>refused: expired<br>}, 'expired row: last verdict refused: expired');
like($exp, qr{<td class="expired">-35</td>}, 'expired row: days left -35, marked expired');
like($expiring, qr{<td class="expiring">3</td>}, 'expiring row: days left 3, marked expiring');
like($expiring, qr{<td>ok<br>}, 'expiring row: last verdict ok');

SKIP: {
    skip 'chromium not installed (Debian package "chromium"): no screenshot', 3 unless chromium();
    my $png = Apache::Test::vars('t_logs') . '/st_status.png';
    my ($ok, $out) = screenshot(status_url('st_page'), $png);
    ok($ok, 'build/screenshot.sh wrote a PNG') or diag($out);
    my $head = '';
    if (open my $fh, '<:raw', $png) { read $fh, $head, 24 }
    is(substr($head, 0, 8), "\x89PNG\r\n\x1a\n", 'the file is a PNG');
    my ($w, $h) = length $head == 24 ? unpack('NN', substr($head, 16, 8)) : (0, 0);
    ok((-s $png // 0) > 20_000 && $w == 1400 && $h == 900,
       sprintf('the PNG is 1400x900 and non-trivial (%d bytes, %dx%d)', -s $png // 0, $w, $h));
}

done_testing();

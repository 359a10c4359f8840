# ProxyReencryptReload: a CRL file replaced while the server runs, by one
# that revokes the backend, refuses it within 3 s, without a restart --
# pooled connections and cached sessions of the earlier trust generation
# included (the backend keeps connections alive and the session cache is
# on: either would let the revoked backend through). Restoring the file
# serves it again. A truncated CRL file is a failed reload (the CRLs in
# force stay), not a shorter list. The status page shows the CRL file's nextUpdate and
# issuer (HTML, JSON, Prometheus).
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use File::Copy qw(copy);
use Time::HiRes qw(sleep time);

plan skip_all => 'nginx backends not running' unless have_nginx();

my $dir = vars_of('reload_dir');
my $pki = vars_of('pki');
my $crl = "$dir/crl.pem";
my $port = nginx_port('revoked');

# Replace the file the way an operator's tooling does (a new file renamed
# over the old one), so no reader ever sees half of it.
sub put {
    my ($from) = @_;
    copy($from, "$crl.tmp") or die "$from: $!";
    rename "$crl.tmp", $crl or die "$crl: $!";
}

# Poll every 250 ms for up to 3 s until a request gets $want.
sub poll_for {
    my ($want) = @_;
    my $t0 = time;
    while (time - $t0 < 3) {
        my $code = fetch('rl_front', '/crl/')->code;
        return time - $t0 if $code == $want;
        sleep 0.25;
    }
    return undef;
}

END { put("$pki/crl-before-revocation.pem") if -e "$pki/crl-before-revocation.pem" }

# First a truncated file: the CRLs revoking the backend, cut inside the
# second CRL. The first one parses, but a file that no longer parses is
# not a shorter list: the CRLs in force (the configuration's, in every
# child) stay, and the status says why. Then the file as it was.
{
    open my $in, '<', "$pki/crl-chain.pem" or die $!;
    local $/;
    my $pem = <$in>;
    my $second = index($pem, '-----BEGIN X509 CRL-----', 1);
    open my $out, '>', "$crl.tmp" or die $!;
    print $out substr($pem, 0, $second + 100);
    close $out;
    rename "$crl.tmp", $crl or die $!;
}
my ($e, $t0) = ('', time);
until ($e =~ /reload failed/ or time - $t0 > 3) {
    fetch('rl_front', '/crl/');
    ($e) = fetch('rl_front', '/rl-status?json')->decoded_content =~ m#(\{"kind": "crl", "file": "\Q$crl\E"[^}]*\})#;
    $e //= '';
    sleep 0.25;
}
like($e, qr/"state": "reload failed", "error": "[^"]*holds a CRL that does not parse/,
     'truncated CRL file: "reload failed", it does not parse');
my @codes = map { fetch('rl_front', '/crl/')->code } 1 .. 8;
is_deeply(\@codes, [(200) x 8], 'truncated CRL file: the CRLs in force stay (served)')
    or diag("@codes");
put("$pki/crl-before-revocation.pem");
sleep 1.2;

# Several requests: pooled connections and sessions exist in the children.
for (1 .. 6) {
    my $r = fetch('rl_front', '/crl/');
    is($r->code, 200, "before the swap: the backend is not revoked yet ($_)")
        or diag($r->status_line);
}

my $mark = log_mark();
put("$pki/crl-chain.pem");
my $took = poll_for(502);
ok(defined $took, 'the new CRL revokes the backend within 3 s, no restart')
    or diag('still served after 3 s');
my $l = wait_log($mark, qr/PRE1010: refused backend \S*:\Q$port\E\S* .*reason=revoked\b/);
ok($l, 'the refusal says reason=revoked') or diag($l // '(no line)');
ok(wait_log($mark, qr/PRE1061: ProxyReencryptReload: CRL file \Q$crl\E changed and was reloaded/),
   'the reload is logged');
# Every child checks on its own, at most once a second: a second later
# every child has seen the new CRL, and none may serve the backend from a
# pooled connection or a session of the earlier generation (the children
# that served the requests above keep such connections).
sleep 1.2;
my $pooled = log_mark();
my @after = map { fetch('rl_front', '/crl/')->code } 1 .. 12;
is_deeply(\@after, [(502) x 12], 'every later request is refused (no pooled connection or '
          . 'session of the earlier trust files is reused)') or diag("@after");
ok(wait_log($pooled, qr/PRE1012: the pooled connection to \S*:\Q$port\E\S* was opened for another scope .*trust files reloaded since/),
   'a pooled connection of the earlier generation was there, and was not reused');

# The status page: this CRL file, its nextUpdate (30 days) and issuer.
my $json = fetch('rl_front', '/rl-status?json')->decoded_content;
like($json, qr#\{"kind": "crl", "file": "\Q$crl\E", "reload": 1, "state": "loaded"[^}]*"next_update": "[^"]+", "next_update_unix": \d+, "issuer": "[^"]*mpr[^"]*"#,
     'json: the CRL file, its nextUpdate and issuer') or diag($json =~ /("trust_files".*)/s);
my $prom = fetch('rl_front', '/rl-status?prometheus')->decoded_content;
my ($nu) = $prom =~ /^proxy_reencrypt_crl_file_next_update_timestamp_seconds\{file="\Q$crl\E"\} (\d+)$/m;
ok($nu && $nu > time + 29 * 86400 && $nu < time + 31 * 86400,
   'prometheus: the CRL file\'s nextUpdate (30 days ahead)') or diag($nu // '(none)');
my $html = fetch('rl_front', '/rl-status')->decoded_content;
like($html, qr#<td>crl</td><td>\Q$crl\E</td>#, 'html: the CRL file in the trust file table');

# Restored: served again.
put("$pki/crl-before-revocation.pem");
ok(defined poll_for(200), 'the earlier CRL back: served again within 3 s');

put("$pki/crl-before-revocation.pem");

done_testing();

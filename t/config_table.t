# Every directive of the README's directive reference, with at least five
# bad values each: `apache2 -t` refuses each configuration with the file,
# the line of the offending directive, the directive's name and the reason.
#
# The list of directives comes from the README ("## Directive reference",
# one "### Name" per directive) and from the module's command table
# (AP_INIT_* in mod_proxy_reencrypt/pr_config.c): a directive added to
# either without cases here, or documented but not implemented, fails.
#
# A case is [lines, reason-regex] or [lines, reason-regex, 'startup' | 'main']
# ('main': the lines go in the main server, outside the <VirtualHost>):
#   lines   the vhost body after "ProxyPass / https://localhost:9/"; the
#           offending directive is the last line naming the directive;
#   syntax  "Syntax error on line N of FILE:" then the directive's message;
#   startup a start-up finding (check_config): the message names the
#           directive with FILE:N.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Conf;
use File::Temp qw(tempdir);

my $top = Apache::Test::vars('top_dir');
my $pki = Apache::Test::vars('pki');

# ---- the directive list ------------------------------------------------
sub readme_directives {
    open my $fh, '<', "$top/README.md" or die "README.md: $!";
    my ($in, @d) = (0);
    while (<$fh>) {
        if (/^## /) { $in = /^## Directive reference/; next }
        push @d, $1 if $in && /^### (ProxyReencrypt\w+)\s*$/;
    }
    return @d;
}
sub source_directives {
    my @d;
    for my $f (glob "$top/mod_proxy_reencrypt/*.c") {
        open my $fh, '<', $f or die "$f: $!";
        local $/;
        my $src = <$fh>;
        push @d, $src =~ /AP_INIT_\w+\(\s*"(ProxyReencrypt\w+)"/g;
    }
    return @d;
}

# ---- scratch files -----------------------------------------------------
my $tmp = tempdir('mpr-table-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $tmp;
sub put { my ($name, $text) = @_; open my $fh, '>', "$tmp/$name" or die $!; print $fh $text; close $fh; "$tmp/$name" }
my $empty   = put('empty.pem', '');
my $garbage = put('garbage.pem', "this is not PEM\n\x00\x01\x02 at all\n");
mkdir "$tmp/emptydir";
mkdir "$tmp/garbagedir";
put('garbagedir/0badc0de.0', "not a certificate\n");
put('garbagedir/readme.txt', "hello\n");
mkdir "$tmp/unhashed";
{
    open my $in, '<', "$pki/root.crt" or die $!;
    local $/;
    put('unhashed/root.pem', <$in>);
}
mkdir "$tmp/crlonlydir";
{
    open my $in, '<', "$pki/root.crl" or die $!;
    local $/;
    put('crlonlydir/771cc33a.r0', <$in>);
}
mkdir "$tmp/noaccess";
put('noaccess/771cc33a.0', "x\n");
chmod 0000, "$tmp/noaccess";
my $can_deny = !opendir(my $dh, "$tmp/noaccess");   # root reads anyway

my $PIN = 'sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';
my $notone = qr/is not one of/;
my $one_arg = qr/takes one argument/;
my $conflict = qr/conflicts with .* set at \S+:\d+ in the same scope/;

my %cases = (
    ProxyReencryptPolicy => [
        ['ProxyReencryptPolicy maybe', $notone],
        ['ProxyReencryptPolicy on', $notone],
        ['ProxyReencryptPolicy enforced', $notone],
        ['ProxyReencryptPolicy ""', $one_arg],
        ['ProxyReencryptPolicy enforce audit', $one_arg],
        ["ProxyReencryptPolicy enforce\nProxyReencryptPolicy audit", $conflict],
        # cross-field findings caused by the policy name its line
        ['ProxyReencryptPolicy enforce', qr/PRE0014.*has no trust anchor/, 'startup'],
        ["ProxyPass /p/ http://127.0.0.1:9/\nProxyReencryptPolicy enforce",
         qr/PRE0012.*is plaintext/, 'startup'],
    ],
    ProxyReencryptRequireTLS => [
        ['ProxyReencryptRequireTLS sometimes', $notone],
        ['ProxyReencryptRequireTLS yes', $notone],
        ['ProxyReencryptRequireTLS 1', $notone],
        ['ProxyReencryptRequireTLS ""', $one_arg],
        ['ProxyReencryptRequireTLS on off', $one_arg],
        ["ProxyReencryptRequireTLS on\nProxyReencryptRequireTLS off", $conflict],
    ],
    ProxyReencryptVerify => [
        ['ProxyReencryptVerify x', $notone],
        ['ProxyReencryptVerify none', $notone],
        ['ProxyReencryptVerify chains', $notone],
        ['ProxyReencryptVerify ""', $one_arg],
        ["ProxyReencryptVerify chain\nProxyReencryptVerify pin", $conflict],
        # cross-field findings name the directive they are about
        ["ProxyReencryptPolicy enforce\nProxyReencryptVerify pin",
         qr/PRE0010.*needs at least one ProxyReencryptPin/, 'startup'],
        ["ProxyReencryptPolicy enforce\nProxyReencryptVerify off",
         qr/PRE0011.*not allowed under ProxyReencryptPolicy enforce/, 'startup'],
    ],
    ProxyReencryptCACertificateFile => [
        ['ProxyReencryptCACertificateFile /nonexistent', qr/not a readable file/],
        ["ProxyReencryptCACertificateFile $pki", qr/not a readable file/],
        ["ProxyReencryptCACertificateFile $pki/root.crl", qr/no CA certificate/],
        ["ProxyReencryptCACertificateFile $empty", qr/cannot load CA certificates|no CA certificate/],
        ["ProxyReencryptCACertificateFile $garbage", qr/cannot load CA certificates|no CA certificate/],
        ["ProxyReencryptCACertificateFile $pki/root.key", qr/cannot load CA certificates|no CA certificate/],
        ["ProxyReencryptCACertificateFile $pki/root.crt\nProxyReencryptCACertificateFile $pki/all-roots.crt",
         $conflict],
    ],
    ProxyReencryptCACertificatePath => [
        ['ProxyReencryptCACertificatePath /nonexistent', qr/not a readable directory/],
        ["ProxyReencryptCACertificatePath $pki/root.crt", qr/not a readable directory/],
        ["ProxyReencryptCACertificatePath $tmp/emptydir", qr/no hashed CA certificate/],
        ["ProxyReencryptCACertificatePath $tmp/garbagedir", qr/no hashed CA certificate/],
        ["ProxyReencryptCACertificatePath $tmp/unhashed", qr/no hashed CA certificate/],
        ["ProxyReencryptCACertificatePath $tmp/crlonlydir", qr/no hashed CA certificate/],
        ($can_deny ? (["ProxyReencryptCACertificatePath $tmp/noaccess", qr/cannot read/]) : ()),
        ["ProxyReencryptCACertificatePath $pki/capath\nProxyReencryptCACertificatePath $tmp/unhashed",
         $conflict],
    ],
    ProxyReencryptVerifyDepth => [
        ['ProxyReencryptVerifyDepth -1', qr/not a number of CA certificates from 0 to 100/],
        ['ProxyReencryptVerifyDepth 101', qr/from 0 to 100/],
        ['ProxyReencryptVerifyDepth abc', qr/from 0 to 100/],
        ['ProxyReencryptVerifyDepth 4.5', qr/from 0 to 100/],
        ['ProxyReencryptVerifyDepth 99999999999', qr/from 0 to 100/],
        ["ProxyReencryptVerifyDepth 4\nProxyReencryptVerifyDepth 5", $conflict],
    ],
    ProxyReencryptExpectName => [
        ['ProxyReencryptExpectName "bad name!"', qr/neither a DNS name nor an IP address/],
        ['ProxyReencryptExpectName 256.1.1.1', qr/'256\.1\.1\.1' is neither a DNS name nor an IP address/],
        ['ProxyReencryptExpectName 10.0.0', qr/'10\.0\.0' is neither a DNS name nor an IP address/],
        ['ProxyReencryptExpectName 1.2.3.4.5', qr/neither a DNS name nor an IP address/],
        ['ProxyReencryptExpectName backend.test a..b', qr/'a\.\.b' is neither/],
        ['ProxyReencryptExpectName on', qr/'on' is a keyword, not a name/],
        ['ProxyReencryptExpectName none', qr/'none' is a keyword, not a name/],
    ],
    ProxyReencryptSNI => [
        ['ProxyReencryptSNI 127.0.0.1', qr/is an IP address; RFC 6066/],
        ['ProxyReencryptSNI on', qr/'on' is a keyword, not a name/],
        ['ProxyReencryptSNI yes', qr/'yes' is a keyword, not a name/],
        ['ProxyReencryptSNI none', qr/'none' is a keyword, not a name/],
        ['ProxyReencryptSNI default', qr/'default' is a keyword, not a name/],
        ['ProxyReencryptSNI 256.1.1.1', qr/not auto, off or a DNS name/],
        ['ProxyReencryptSNI "bad name"', qr/not auto, off or a DNS name/],
        ["ProxyReencryptSNI a.test\nProxyReencryptSNI b.test", $conflict],
    ],
    ProxyReencryptExpiry => [
        ['ProxyReencryptExpiry abc', qr/warn-days 'abc' is not a number of days/],
        ['ProxyReencryptExpiry 5 10', qr/refuse-days \(10\) must not exceed warn-days \(5\)/],
        ['ProxyReencryptExpiry -1', qr/warn-days '-1'/],
        ['ProxyReencryptExpiry 36501', qr/warn-days '36501'/],
        ['ProxyReencryptExpiry 30 x', qr/refuse-days 'x'/],
        ['ProxyReencryptExpiry 30 1 2', qr/takes one or two arguments|takes 1-2 arguments/i],
        ["ProxyReencryptExpiry 30 0\nProxyReencryptExpiry 20 0", $conflict],
    ],
    ProxyReencryptPin => [
        ['ProxyReencryptPin sha256//short', qr/must encode exactly 32 bytes/],
        ['ProxyReencryptPin sha1//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=', qr/must start with sha256/],
        ['ProxyReencryptPin sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV=', qr/not canonical base64/],
        ['ProxyReencryptPin sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hS*FU=', qr/not valid base64/],
        ["ProxyReencryptPin $PIN 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", qr/must start with sha256/],
        ['ProxyReencryptPin sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuF==', qr/32 bytes/],
    ],
    ProxyReencryptCARevocationFile => [
        ['ProxyReencryptCARevocationFile /nonexistent', qr/cannot read/],
        ["ProxyReencryptCARevocationFile $pki/root.crt", qr/contains no PEM CRL/],
        ["ProxyReencryptCARevocationFile $empty", qr/contains no PEM CRL/],
        ["ProxyReencryptCARevocationFile $garbage", qr/contains no PEM CRL/],
        ["ProxyReencryptCARevocationFile $pki", qr/cannot read|contains no PEM CRL/],
        ["ProxyReencryptCARevocationFile $pki/crl-chain.pem\nProxyReencryptCARevocationFile $pki/root.crl",
         $conflict],
    ],
    ProxyReencryptCARevocationCheck => [
        ['ProxyReencryptCARevocationCheck sometimes', $notone],
        ['ProxyReencryptCARevocationCheck all', $notone],
        ['ProxyReencryptCARevocationCheck on', $notone],
        ['ProxyReencryptCARevocationCheck ""', $one_arg],
        ["ProxyReencryptCARevocationCheck leaf\nProxyReencryptCARevocationCheck chain", $conflict],
        # fail closed: a check with no CRL to check against
        ["ProxyReencryptPolicy enforce\nProxyReencryptCACertificateFile $pki/root.crt\n"
         . "ProxyReencryptCARevocationCheck chain", qr/PRE0015.*no CRL/, 'startup'],
        ["ProxyReencryptPolicy enforce\nProxyReencryptCACertificateFile $pki/root.crt\n"
         . "ProxyReencryptCARevocationCheck leaf", qr/PRE0015.*no CRL/, 'startup'],
    ],
    ProxyReencryptForwarded => [
        ['ProxyReencryptForwarded x', $notone],
        ['ProxyReencryptForwarded on', $notone],
        ['ProxyReencryptForwarded xff,rfc7239', $notone],
        ['ProxyReencryptForwarded ""', $one_arg],
        ['ProxyReencryptForwarded xff both', $one_arg],
        ["ProxyReencryptForwarded xff\nProxyReencryptForwarded both", $conflict],
    ],
    ProxyReencryptTrustedProxy => [
        ['ProxyReencryptTrustedProxy not-an-ip', qr/'not-an-ip' is not an IP address or CIDR block/],
        ['ProxyReencryptTrustedProxy 10.0.0.0/33', qr/prefix length that is not a number from 0 to 32/],
        ['ProxyReencryptTrustedProxy 10.0.0.1/8', qr/'10\.0\.0\.1\/8' has host bits set/],
        ['ProxyReencryptTrustedProxy 10.0.0.0/255.0.255.0', qr/non-contiguous netmask/],
        ['ProxyReencryptTrustedProxy 0.0.0.0/0', qr/covers every address: trusting every peer/],
        ['ProxyReencryptTrustedProxy 127.0.0.1 ::/0', qr/'::\/0' covers every address/],
        ['ProxyReencryptTrustedProxy 2001:db8::1/32', qr/host bits set/],
    ],
    ProxyReencryptStripHeader => [
        ['ProxyReencryptStripHeader "X Auth"', qr/'X Auth' is not a header field name/],
        ['ProxyReencryptStripHeader X-Auth:', qr/'X-Auth:' is not a header field name/],
        ['ProxyReencryptStripHeader X-Ok (x)', qr/'\(x\)' is not a header field name/],
        ['ProxyReencryptStripHeader a/b', qr/'a\/b' is not a header field name/],
        ['ProxyReencryptStripHeader X-Auth"', qr/is not a header field name/],
        ["ProxyReencryptStripHeader X-T\xc3\xa9nant", qr/is not a header field name/],
    ],
    ProxyReencryptClientCertificate => [
        ['ProxyReencryptClientCertificate /nonexistent', qr/cannot read certificate file/],
        ["ProxyReencryptClientCertificate $pki/good.crt $pki/good.key",
         qr/not usable for TLS client authentication.*extended key usage/],
        ["ProxyReencryptClientCertificate $pki/root.crt $pki/root.key", qr/is a CA certificate/],
        ["ProxyReencryptClientCertificate $pki/client.crt $pki/client-otherkey.key", qr/does not match/],
        ["ProxyReencryptClientCertificate $pki/client-expired.crt $pki/client-expired.key", qr/has expired/],
        ["ProxyReencryptClientCertificate $pki/client.crt $empty", qr/no \(unencrypted\) PEM private key/],
        ["ProxyReencryptClientCertificate $pki/client.crt $pki/client.key\n"
         . "ProxyReencryptClientCertificate $pki/client-expiring.crt $pki/client-expiring.key", $conflict],
    ],
    ProxyReencryptMinProtocol => [
        ['ProxyReencryptMinProtocol TLSv1.1', $notone],
        ['ProxyReencryptMinProtocol TLSv1', $notone],
        ['ProxyReencryptMinProtocol SSLv3', $notone],
        ['ProxyReencryptMinProtocol 1.2', $notone],
        ['ProxyReencryptMinProtocol ""', $one_arg],
        ["ProxyReencryptMinProtocol TLSv1.2\nProxyReencryptMinProtocol TLSv1.3", $conflict],
    ],
    ProxyReencryptSessionCache => [
        ['ProxyReencryptSessionCache maybe', $notone],
        ['ProxyReencryptSessionCache yes', $notone],
        ['ProxyReencryptSessionCache 1', $notone],
        ['ProxyReencryptSessionCache ""', $one_arg],
        ["ProxyReencryptSessionCache on\nProxyReencryptSessionCache off", $conflict],
    ],
    ProxyReencryptProxyProtocol => [
        ['ProxyReencryptProxyProtocol v3', $notone],
        ['ProxyReencryptProxyProtocol on', $notone],
        ['ProxyReencryptProxyProtocol 1', $notone],
        ['ProxyReencryptProxyProtocol ""', $one_arg],
        ["ProxyReencryptProxyProtocol v1\nProxyReencryptProxyProtocol v2", $conflict],
    ],
    ProxyReencryptOCSP => [
        ['ProxyReencryptOCSP maybe', $notone],
        ['ProxyReencryptOCSP on', $notone],
        ['ProxyReencryptOCSP must-staple', $notone],
        ['ProxyReencryptOCSP ""', $one_arg],
        ["ProxyReencryptOCSP staple\nProxyReencryptOCSP require", $conflict],
    ],
    ProxyReencryptHandshakeTimeout => [
        ['ProxyReencryptHandshakeTimeout 0', qr/'0' is not a number of seconds from 1 to 3600/],
        ['ProxyReencryptHandshakeTimeout -1', qr/'-1' is not a number of seconds/],
        ['ProxyReencryptHandshakeTimeout 3601', qr/'3601' is not a number of seconds/],
        ['ProxyReencryptHandshakeTimeout 1.5', qr/'1\.5' is not a number of seconds/],
        ['ProxyReencryptHandshakeTimeout 10s', qr/'10s' is not a number of seconds/],
        ['ProxyReencryptHandshakeTimeout abc', qr/'abc' is not a number of seconds/],
        ['ProxyReencryptHandshakeTimeout 99999999999', qr/is not a number of seconds/],
        ['ProxyReencryptHandshakeTimeout ""', $one_arg],
        ['ProxyReencryptHandshakeTimeout 5 10', $one_arg],
        ["ProxyReencryptHandshakeTimeout 5\nProxyReencryptHandshakeTimeout 10", $conflict],
    ],
    ProxyReencryptReload => [
        ['ProxyReencryptReload -1', qr/is not a number of seconds from 0 \(off\) to 86400/],
        ['ProxyReencryptReload 86401', qr/is not a number of seconds from 0 \(off\) to 86400/],
        ['ProxyReencryptReload on', qr/is not a number of seconds/],
        ['ProxyReencryptReload 1.5', qr/is not a number of seconds/],
        ['ProxyReencryptReload 10s', qr/is not a number of seconds/],
        ['ProxyReencryptReload ""', $one_arg],
        ["ProxyReencryptReload 5\nProxyReencryptReload 10", $conflict],
    ],
    ProxyReencryptStream => [
        ['ProxyReencryptStream maybe', $notone],
        ['ProxyReencryptStream on', $notone],
        ['ProxyReencryptStream tcp', $notone],
        ['ProxyReencryptStream ""', $one_arg],
        ["ProxyReencryptStream tls\nProxyReencryptStream passthrough", $conflict],
    ],
    ProxyReencryptRoute => [
        ['ProxyReencryptRoute a.test', qr/needs a match/],
        ['ProxyReencryptRoute bad_name! 127.0.0.1:1', qr/is not a DNS name, \*\.domain or default/],
        ['ProxyReencryptRoute a.*.test 127.0.0.1:1', qr/is not a DNS name, \*\.domain or default/],
        ['ProxyReencryptRoute a.test nohostport', qr/is not host:port/],
        ["ProxyReencryptRoute a.test 127.0.0.1:1\nProxyReencryptRoute a.test 127.0.0.1:2", qr/exists already/],
    ],
    ProxyReencryptStreamTimeout => [
        ['ProxyReencryptStreamTimeout 0', qr/wants seconds/],
        ['ProxyReencryptStreamTimeout abc', qr/wants seconds/],
        ['ProxyReencryptStreamTimeout 5 0', qr/wants seconds/],
        ['ProxyReencryptStreamTimeout 100000', qr/wants seconds/],
        ['ProxyReencryptStreamTimeout 5 9999999', qr/wants seconds/],
    ],
    # main server only: the cases go outside the <VirtualHost> (kind "main")
    ProxyReencryptNotes => [
        ['ProxyReencryptNotes maybe', $notone, 'main'],
        ['ProxyReencryptNotes 1', $notone, 'main'],
        ['ProxyReencryptNotes yes', $notone, 'main'],
        ['ProxyReencryptNotes ""', $one_arg, 'main'],
        ["ProxyReencryptNotes on\nProxyReencryptNotes off", $conflict, 'main'],
        ['ProxyReencryptNotes on', qr/cannot occur within <VirtualHost> section/],
    ],
    ProxyReencryptStatusScope => [
        ['ProxyReencryptStatusScope global', $notone],
        ['ProxyReencryptStatusScope server', $notone],
        ['ProxyReencryptStatusScope on', $notone],
        ['ProxyReencryptStatusScope ""', $one_arg],
        ["ProxyReencryptStatusScope vhost\nProxyReencryptStatusScope all", $conflict],
    ],
);

# ---- every directive has its cases -------------------------------------
my @readme = readme_directives();
my %in_readme = map { $_ => 1 } @readme;
my %in_source = map { $_ => 1 } source_directives();
ok(@readme >= 19, 'the README documents the directives (' . scalar(@readme) . ')');
for my $d (@readme) {
    ok($in_source{$d}, "$d (README) is a directive of the module");
    ok(($cases{$d} ? scalar @{ $cases{$d} } : 0) >= 5, "$d has at least 5 bad values");
}
for my $d (sort keys %in_source) {
    ok($in_readme{$d}, "$d (module) is in the README directive reference");
}
for my $d (sort keys %cases) {
    ok($in_readme{$d}, "$d (table) is in the README directive reference");
}

# ---- each case is refused with file, line, directive and reason --------
for my $d (@readme) {
    for my $c (@{ $cases{$d} || [] }) {
        my ($lines, $reason, $kind) = @$c;
        my $body = "    ProxyPass / https://localhost:9/\n"
                 . (($kind // '') eq 'main' ? '' : join('', map { "    $_\n" } split /\n/, $lines));
        my ($rc, $out, undef, $file) = ($kind // '') eq 'main'
            ? config_test($body, main => join('', map { "$_\n" } split /\n/, $lines))
            : config_test($body);
        my $n = 0;
        {
            open my $fh, '<', $file or die "$file: $!";
            my $i = 0;
            while (<$fh>) { $i++; $n = $i if /^\s*\Q$d\E\b/ }
        }
        (my $what = $lines) =~ s/\n/ + /g;
        $what =~ s/\Q$pki\E/PKI/g;
        $what =~ s/\Q$tmp\E/TMP/g;
        isnt($rc, 0, "$what: apache2 -t fails") or diag($out);
        if (($kind // 'syntax') eq 'startup') {
            like($out, qr/\Q$d\E[^\n]*\Q$file\E:$n\b/, "$what: names $d at its file:line $n")
                or diag($out);
        }
        else {
            like($out, qr/Syntax error on line $n of \Q$file\E:\n[^\n]*\Q$d\E/,
                 "$what: syntax error on line $n, naming $d") or diag($out);
        }
        like($out, $reason, "$what: the reason") or diag($out);
    }
}

# ---- what stays accepted -----------------------------------------------
my @good = (
    ['list directives accumulate',
     "ProxyReencryptExpectName a.test\nProxyReencryptExpectName b.test 127.0.0.1\n"
     . "ProxyReencryptPin $PIN\nProxyReencryptPin $PIN\n"
     . "ProxyReencryptTrustedProxy 10.0.0.0/8\nProxyReencryptTrustedProxy ::1 192.168.0.0/255.255.0.0\n"
     . "ProxyReencryptStripHeader X-Auth-User\nProxyReencryptStripHeader X-Tenant-Id X-Auth-User"],
    ['the same value twice is no conflict',
     "ProxyReencryptPolicy audit\nProxyReencryptPolicy AUDIT\nProxyReencryptVerifyDepth 4\n"
     . "ProxyReencryptVerifyDepth 4"],
    ['one value per scope: vhost and <Proxy> differ',
     "ProxyReencryptPolicy audit\n<Proxy https://localhost:9/>\nProxyReencryptPolicy enforce\n"
     . "ProxyReencryptCACertificateFile $pki/root.crt\n</Proxy>"],
    ['revocation check with a CRL file, under enforce',
     "ProxyReencryptPolicy enforce\nProxyReencryptCACertificateFile $pki/root.crt\n"
     . "ProxyReencryptCARevocationFile $pki/crl-chain.pem\nProxyReencryptCARevocationCheck leaf"],
    ['revocation check with mod_ssl CRLs and trust store, under enforce',
     "ProxyReencryptPolicy enforce\nSSLProxyCACertificateFile $pki/root.crt\n"
     . "SSLProxyCARevocationFile $pki/crl-chain.pem\nProxyReencryptCARevocationCheck chain"],
    ['a hashed CA directory', "ProxyReencryptCACertificatePath $pki/capath"],
    ['a client certificate for client auth',
     "ProxyReencryptClientCertificate $pki/client.crt $pki/client.key"],
    ['SNI and names that look numeric inside', "ProxyReencryptSNI 1.backend.test\n"
     . "ProxyReencryptExpectName 10.backend.test localhost"],
);
for my $g (@good) {
    my ($what, $lines) = @$g;
    my ($rc, $out) = config_test("    ProxyPass / https://localhost:9/\n"
                                 . join('', map { "    $_\n" } split /\n/, $lines));
    is($rc, 0, "accepted: $what") or diag($out);
}

# audit: a revocation check without CRLs is a warning, not an error
{
    my ($rc, $out, undef, $file) = config_test("    ProxyPass / https://localhost:9/\n"
        . "    ProxyReencryptPolicy audit\n    ProxyReencryptCARevocationCheck chain\n");
    is($rc, 0, 'audit: revocation check without a CRL source passes apache2 -t') or diag($out);
    like($out, qr/PRE0015.*ProxyReencryptCARevocationCheck[^\n]*\Q$file\E:\d+/,
         'audit: ... with a PRE0015 warning naming the directive') or diag($out);
}
done_testing();

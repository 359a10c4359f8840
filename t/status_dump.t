# apache2 -t -D DUMP_REENCRYPT (issue 5): every backend with its effective
# policy, vhost defaults overridden field by field by <Proxy> sections (a
# balancer member's own section over its balancer's), defaults marked.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Status;

my $conf = <<'EOF';
<VirtualHost 127.0.0.1:9>
    ServerName st-dump
    SSLProxyEngine on
    ProxyReencryptPolicy enforce
    ProxyReencryptVerifyDepth 2
    ProxyReencryptExpiry 20 5
    ProxyReencryptCACertificateFile @pki@/root.crt
    ProxyPass /plain/ https://localhost:9443/
    ProxyPass /over/ https://localhost:9444/
    <Proxy https://localhost:9444/>
        ProxyReencryptPolicy audit
        ProxyReencryptPin @pin_good@
    </Proxy>
    <Proxy balancer://stpool>
        BalancerMember https://localhost:9445
        BalancerMember https://localhost:9446
        ProxyReencryptVerifyDepth 3
    </Proxy>
    <Proxy https://localhost:9446>
        ProxyReencryptExpiry 40 10
        ProxyReencryptMinProtocol TLSv1.3
    </Proxy>
    ProxyPass /pool/ balancer://stpool/
</VirtualHost>
EOF

my ($rc, $out, $dumpfile) = dump_reencrypt($conf);
is($rc, 0, 'apache2 -t -D DUMP_REENCRYPT exits 0') or diag($out);
like($out, qr/^Syntax OK$/m, 'then says Syntax OK');
like($out, qr/^st-dump:\d+ \(\S+:\d+\)$/m, 'the vhost is named, with its file and line') or diag($out);

# backend line (4 spaces) -> { field => [value, is_default] }
my (%b, $cur);
for my $l (split /\n/, $out) {
    if ($l =~ /^    (\S+)(?: member of (\S+))?\s*$/) {
        $cur = $1;
        $b{$cur} = { _balancer => $2 };
    }
    elsif ($cur && $l =~ /^        (\S+)\s+(.*?) \((default|set at (\S+):(\d+))\)$/) {
        $b{$cur}{$1} = [$2, $3 eq 'default' ? 1 : 0, $5];
    }
}
my ($plain) = grep { m{^https://localhost:9443/?$} } keys %b;
my ($over)  = grep { m{^https://localhost:9444/?$} } keys %b;
my ($m5)    = grep { m{^https://localhost:9445/?$} } keys %b;
my ($m6)    = grep { m{^https://localhost:9446/?$} } keys %b;
ok($plain && $over && $m5 && $m6, 'every backend is printed: two ProxyPass, two balancer members')
    or diag($out);
$_ //= 'none' for $plain, $over, $m5, $m6;
like($b{$m5}{_balancer} // '', qr{^balancer://stpool}, 'member 9445 is printed as a member of its balancer');
like($b{$m6}{_balancer} // '', qr{^balancer://stpool}, 'member 9446 is printed as a member of its balancer');

# field_is(BACKEND, FIELD, VALUE_RE, DEFAULT?, what)
sub field_is {
    my ($be, $field, $re, $dflt, $what) = @_;
    my $v = $b{$be}{$field};
    ok($v && $v->[0] =~ $re && $v->[1] == $dflt,
       "$what: $field " . ($dflt ? '(default)' : '(set)'))
        or diag("$be $field: " . ($v ? "'$v->[0]' default=$v->[1]" : 'missing') . "\n$out");
}

# the plain backend: the vhost's values, not marked as defaults
field_is($plain, 'policy', qr/^enforce$/, 0, '9443 (vhost values)');
field_is($plain, 'verify-depth', qr/^2$/, 0, '9443 (vhost values)');
field_is($plain, 'expiry', qr/^warn 20 days, refuse 5 days$/, 0, '9443 (vhost values)');
field_is($plain, 'pins', qr/^0$/, 1, '9443 (vhost values)');
field_is($plain, 'verify', qr/^chain$/, 1, '9443 (vhost values)');
field_is($plain, 'min-protocol', qr/^TLSv1\.2$/, 1, '9443 (vhost values)');
field_is($plain, 'ca-file', qr{/root\.crt$}, 0, '9443 (vhost values)');

# <Proxy https://localhost:9444/>: policy audit and a pin, the rest inherited
field_is($over, 'policy', qr/^audit$/, 0, '9444 (<Proxy> override)');
field_is($over, 'pins', qr/^1$/, 0, '9444 (<Proxy> override)');
field_is($over, 'verify-depth', qr/^2$/, 0, '9444 (<Proxy> override)');
field_is($over, 'expiry', qr/^warn 20 days, refuse 5 days$/, 0, '9444 (<Proxy> override)');

# the balancer's section (depth 3) for both members; 9446's own section on top
field_is($m5, 'verify-depth', qr/^3$/, 0, '9445 (balancer section)');
field_is($m5, 'expiry', qr/^warn 20 days, refuse 5 days$/, 0, '9445 (balancer section)');
field_is($m5, 'policy', qr/^enforce$/, 0, '9445 (balancer section)');
field_is($m5, 'min-protocol', qr/^TLSv1\.2$/, 1, '9445 (balancer section)');
field_is($m6, 'verify-depth', qr/^3$/, 0, '9446 (balancer + member section)');
field_is($m6, 'expiry', qr/^warn 40 days, refuse 10 days$/, 0, '9446 (balancer + member section)');
field_is($m6, 'min-protocol', qr/^TLSv1\.3$/, 0, '9446 (balancer + member section)');
field_is($m6, 'policy', qr/^enforce$/, 0, '9446 (balancer + member section)');

# every field set says where: the file and line of its directive
sub line_of {
    my ($file, $re, $nth) = @_;
    open my $fh, '<', $file or return 0;
    my $n = 0;
    while (my $l = <$fh>) { return $. if $l =~ $re && ++$n == ($nth || 1) }
    return 0;
}
is($b{$over}{pins}[2], line_of($dumpfile, qr/ProxyReencryptPin/),
   '9444: pins set at the line of its ProxyReencryptPin');
is($b{$over}{policy}[2], line_of($dumpfile, qr/ProxyReencryptPolicy audit/),
   '9444: policy set at the line of its <Proxy> ProxyReencryptPolicy');
is($b{$m6}{'min-protocol'}[2], line_of($dumpfile, qr/ProxyReencryptMinProtocol/),
   '9446: min-protocol set at the line in the member\'s own section');
is($b{$m6}{'verify-depth'}[2], line_of($dumpfile, qr/ProxyReencryptVerifyDepth 3/),
   '9446: verify-depth from the balancer\'s section');

# defaults are marked as such
my @dflt = grep { $b{$plain}{$_}[1] } grep { !/^_/ } keys %{ $b{$plain} || {} };
cmp_ok(scalar(@dflt), '>=', 5, 'the output marks the fields left at their defaults')
    or diag($out);

# without the define: no dump
my $httpd = Apache::Test::vars('httpd') || '/usr/sbin/apache2';
my (undef, undef, $file) = dump_reencrypt($conf);
my $plain_out = `$httpd -t -f $file 2>&1`;
unlike($plain_out, qr/ProxyReencrypt backends/, 'without -D DUMP_REENCRYPT nothing is printed');

done_testing();

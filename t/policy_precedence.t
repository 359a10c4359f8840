# Which section decides (issue 9): <Proxy *> with ProxyReencryptPolicy audit
# written before and after <Proxy balancer://pool> with enforce and a pin the
# member does not match.  The balancer's section is more specific: the member
# is enforced either way, in the dump (value and file:line) and in traffic.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use MPR::Status;

for my $order (qw(before after)) {
    my $wild = "    <Proxy *>\n        ProxyReencryptPolicy audit\n    </Proxy>\n";
    my $bal = "    <Proxy balancer://prec>\n"
            . "        BalancerMember https://localhost:9443\n"
            . "        ProxyReencryptPolicy enforce\n"
            . "        ProxyReencryptPin \@pin_selfsigned\@\n"
            . "    </Proxy>\n";
    my $conf = "<VirtualHost 127.0.0.1:9>\n    ServerName prec-$order\n    SSLProxyEngine on\n"
             . "    ProxyReencryptCACertificateFile \@pki\@/root.crt\n"
             . ($order eq 'before' ? $wild . $bal : $bal . $wild)
             . "    ProxyPass /p/ balancer://prec/\n</VirtualHost>\n";
    my ($rc, $out, $file) = dump_reencrypt($conf);
    is($rc, 0, "dump ($order): apache2 -t exits 0") or diag($out);
    my ($policy) = $out =~ m{^    https://localhost:9443 member of balancer://prec\n(?:        .*\n)*?        policy\s+(\S+ \([^)]*\))$}m;
    like($policy // '', qr/^enforce \(set at \Q$file\E:\d+\)$/,
         "dump ($order): the member is enforced, set in the balancer's section") or diag($out);
    my ($pins) = $out =~ m{member of balancer://prec\n(?:        .*\n)*?        pins\s+(\S+ \([^)]*\))$}m;
    like($pins // '', qr/^1 \(set at /, "dump ($order): the balancer's pin applies") or diag($out);
}

# live traffic: the good backend does not match the pin: refused either way
my $blog = backend_log('good');
for my $v (qw(pol_prec_before pol_prec_after)) {
    my $before = line_count($blog);
    my $mark = log_mark();
    my $res = fetch($v, '/prec/');
    is($res->code, 502, "$v: the member is refused (502), not served under <Proxy *>'s audit");
    ok(wait_log($mark, qr/PRE1010: refused backend .*reason=pin-mismatch/),
       "$v: logged refused, reason=pin-mismatch");
    is(line_count($blog), $before, "$v: the backend application was not reached");
}
done_testing();

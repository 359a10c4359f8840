# The status page shows the protocol and cipher of a backend reached by full
# handshakes only (issue 14): a fresh front with the session cache off.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use MPR::Status;

is(fetch('pol_proto', '/p/')->code, 200, 'a full handshake: served');
my $port = vhost_port('pol_be_hc');
my $e = backend_entry(status_json('pol_proto'), qr{^https://localhost:$port}, qr/^pol-proto:/);
ok($e, 'the backend has a row') or diag(explain(status_json('pol_proto')));
is($e->{resumed} // 0, 0, 'no session was resumed');
like($e->{last}{protocol} // $e->{protocol} // '', qr/^TLSv1\.[23]$/, 'the protocol of the full handshake is shown')
    or diag(explain($e));
like($e->{last}{cipher} // $e->{cipher} // '', qr/^(TLS_|ECDHE)/, 'its cipher too') or diag(explain($e));

# TLS 1.2: the cipher is known only once the handshake is over
is(fetch('pol_proto', '/p12/')->code, 200, 'TLS 1.2 backend, a full handshake: served');
my $p12 = nginx_port('id_tls12');
my $e12 = backend_entry(status_json('pol_proto'), qr{^https://localhost:$p12}, qr/^pol-proto:/);
is($e12->{last}{protocol} // '', 'TLSv1.2', 'TLS 1.2: the protocol is shown') or diag(explain($e12));
like($e12->{last}{cipher} // '', qr/^ECDHE/, 'TLS 1.2: its cipher is shown') or diag(explain($e12));
done_testing();

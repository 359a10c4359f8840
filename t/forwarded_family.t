# The family of the SPEC (issue 10, I2), in three spellings each (as
# written, upper case, '_' for '-'), is removed from an untrusted client;
# from a trusted proxy the dash spellings of the members this hop does not
# set are kept.  ProxyReencryptStripHeader adds names (vhost and <Proxy>).
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use MPR::Fwd;

my $HOST = 'www.example.test';
my @names = FAMILY;
my $i = 0;
my @spoof = map { my $n = $_; map { [ $_, 'spoof' . $i++ ] } spellings($n) } @names;

# untrusted client: the backend gets exactly this hop's five and mod_proxy's
# X-Forwarded-Server, nothing the client wrote
for my $vh (['fwd_plain', 'fwd-plain'], ['fwd_strip', 'fwd-strip']) {
    my ($v, $sn) = @$vh;
    my $r = fwd_get($v, host => $HOST, headers => \@spoof);
    family_is($r, {
        'X-Forwarded-For'    => '127.0.0.1',
        'X-Real-IP'          => '127.0.0.1',
        'X-Forwarded-Proto'  => 'http',
        'X-Forwarded-Host'   => $HOST,
        'X-Forwarded-Port'   => $r->{port},
        'X-Forwarded-Server' => $sn,
    }, "$v: the whole family in three spellings from an untrusted client");
    my @left = grep { $_->[1] =~ /spoof/ } @{ $r->{lines} || [] };
    ok(!@left, "$v: none of the " . scalar(@spoof) . ' spoofed lines reached the backend')
        or diag(join "\n", map { "  $_->[0]: $_->[1]" } @left);
}

# ProxyReencryptStripHeader, from the vhost and from the <Proxy> section
{
    my @extra = map { [ $_, 'leak' ] } spellings('X-Auth-User'), spellings('X-Tenant-Id');
    my $r = fwd_get('fwd_strip', host => $HOST, headers => [ @extra, [ 'X-Other', 'kept' ] ]);
    is($r->{code}, 200, 'fwd_strip: served');
    my @left = grep { $_->[1] eq 'leak' } @{ $r->{lines} || [] };
    ok(!@left, 'fwd_strip: X-Auth-User (vhost) and X-Tenant-Id (<Proxy>) gone in every spelling')
        or diag(join "\n", map { "  $_->[0]: $_->[1]" } @left);
    is_deeply(lines_named($r, 'X-Other'), ['kept'], 'fwd_strip: other headers pass');

    # without the directive they pass (stock behaviour for unknown names)
    $r = fwd_get('fwd_plain', host => $HOST, headers => [[ 'X-Auth-User', 'leak' ]]);
    is_deeply(lines_named($r, 'X-Auth-User'), ['leak'], 'fwd_plain: X-Auth-User is not in the family');
}

# trusted proxy: members this hop does not set are kept in the dash
# spelling, underscore spellings never; the ones it sets are its own
{
    my $r = fwd_get('fwd_strip_trusted', host => $HOST, headers => [
        [ 'X-Forwarded-For',    '198.51.100.7' ],
        [ 'X-Client-IP',        '198.51.100.7' ],
        [ 'True-Client-IP',     '198.51.100.7' ],
        [ 'X-Forwarded-Prefix', '/app' ],
        [ 'X_Client_IP',        'spoof-u1' ],
        [ 'X_Forwarded_Prefix', 'spoof-u2' ],
        [ 'X-Auth-User',        'alice' ],
        [ 'X_Auth_User',        'spoof-u3' ],
    ]);
    family_is($r, {
        'X-Forwarded-For'    => '198.51.100.7, 127.0.0.1',
        'X-Real-IP'          => '198.51.100.7',
        'X-Forwarded-Proto'  => 'http',
        'X-Forwarded-Host'   => $HOST,
        'X-Forwarded-Port'   => $r->{port},
        'X-Forwarded-Server' => 'fwd-strip-trusted',
        'X-Client-IP'        => '198.51.100.7',
        'True-Client-IP'     => '198.51.100.7',
        'X-Forwarded-Prefix' => '/app',
    }, 'trusted proxy: its other family members kept, underscore spellings dropped');
    is_deeply(lines_named($r, 'X-Auth-User'), ['alice'],
              'trusted proxy: a ProxyReencryptStripHeader name is kept from it');
    no_spoof_ok($r, 'trusted proxy underscore spellings');
}

done_testing();

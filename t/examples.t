# Every annotated example in conf/examples/ is a configuration that loads:
# `apache2 -t` passes with it, the module loaded from the build output and
# the test PKI standing in for the operator's files.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use File::Temp qw(tempdir);
use lib 't/lib';
use MPR::Conf ();

my $top = Apache::Test::vars('top_dir');
my $pki = Apache::Test::vars('pki');
my @examples = sort glob("$top/conf/examples/*.conf");
plan tests => 1 + 2 * @examples;

ok(scalar(@examples) >= 4, 'at least four examples') or diag("found: @examples");

sub pin_of {
    open my $fh, '<', "$pki/$_[0].pin" or die "$pki/$_[0].pin: $!";
    my $p = <$fh>;
    chomp $p;
    return $p;
}

my $httpd = Apache::Test::vars('httpd') || '/usr/sbin/apache2';
for my $ex (@examples) {
    my $dir = tempdir('mpr-ex-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    my $conf = join '',
        "ServerRoot $dir\n",
        "PidFile $dir/httpd.pid\n",
        "ErrorLog $dir/error_log\n",
        "DefaultRuntimeDir $dir\n",
        "ServerName localhost\n",
        MPR::Conf::load_lines(),
        "Define MPR_PKI $pki\n",
        "Define MPR_PIN_SELFSIGNED " . pin_of('selfsigned') . "\n",
        "Define MPR_PIN_SELFSIGNED2 " . pin_of('selfsigned2') . "\n",
        "Listen 127.0.0.1:8080\nListen 127.0.0.1:8443\n",
        "Include $ex\n";
    open my $fh, '>', "$dir/httpd.conf" or die $!;
    print $fh $conf;
    close $fh;
    my $out = `$httpd -t -f $dir/httpd.conf 2>&1`;
    my $name = (split m{/}, $ex)[-1];
    is($? >> 8, 0, "$name: apache2 -t exits 0") or diag($out);
    like($out, qr/Syntax OK/, "$name: Syntax OK");
}

package MPR::Conf;
# Run `apache2 -t -f CONF` on a small generated configuration that loads the
# module under test (the LoadModule lines of t/setup/inherit.conf, i.e. the
# build output), for the start-up and config-error tests.
#
#   my ($rc, $out, $line_of) = config_test($vhost_body, %opt);
#   $line_of->{MARK} is the line number of the first line containing MARK.
use strict;
use warnings;

use Exporter 'import';
use Apache::Test ();
use File::Temp qw(tempdir);

our @EXPORT = qw(config_test);

sub load_lines {
    my $inherit = Apache::Test::vars('top_dir') . '/t/setup/inherit.conf';
    open my $fh, '<', $inherit or die "$inherit: $!";
    my @l = grep { /^\s*LoadModule\s/ && !/perl_module/ } <$fh>;
    return @l;
}

sub config_test {
    my ($body, %opt) = @_;
    my $dir = tempdir('mpr-conf-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    my $pki = Apache::Test::vars('pki');
    $body =~ s/\@pki\@/$pki/g;
    my $conf = join '',
        "ServerRoot $dir\n",
        "PidFile $dir/httpd.pid\n",
        "ErrorLog $dir/error_log\n",
        "DefaultRuntimeDir $dir\n",
        "ServerName localhost\n",
        "Listen 127.0.0.1:9\n",
        load_lines(),
        ($opt{main} // ''),
        "<VirtualHost 127.0.0.1:9>\n",
        "    ServerName startup-test\n",
        "    SSLProxyEngine on\n",
        $body,
        "</VirtualHost>\n";
    my $file = "$dir/httpd.conf";
    open my $fh, '>', $file or die "$file: $!";
    print $fh $conf;
    close $fh;

    my %line_of;
    my $n = 0;
    for my $l (split /\n/, $conf) {
        $n++;
        while ($l =~ /(ProxyReencrypt\w+|ProxyPass|BalancerMember)/g) {
            $line_of{$1} //= $n;
        }
    }
    my $httpd = Apache::Test::vars('httpd') || '/usr/sbin/apache2';
    my $out = `$httpd -t -f $file 2>&1`;
    my $rc = $? >> 8;
    return ($rc, $out, \%line_of, $file);
}

1;

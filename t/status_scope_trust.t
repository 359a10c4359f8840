# The trust-file table and ProxyReencryptStatusScope (issue 9, item 7): by
# default a vhost's status page lists only the CA and CRL files of its own
# policies (its own settings and its <Proxy> sections'), never another
# vhost's paths, in HTML, ?json and ?prometheus; with
# ProxyReencryptStatusScope all, every vhost's.
#
# st_trust_a: CA file in the vhost, CRL file in a <Proxy> section;
# st_trust_b: CRL file in the vhost, CA file in a <Proxy> section
# (t/conf/status_scope.conf.in; the files are copies made by build/pki.sh).
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use MPR::Test;
use MPR::Status;

my $pki = vars_of('pki');
my %own = map { $_ => ["$pki/scope-$_-ca.pem", "$pki/scope-$_-crl.pem"] } qw(a b);
my %other = (a => 'b', b => 'a');

# The files a page names, per format.
sub json_files {
    my ($text) = @_;
    my $j = eval { JSON::PP->new->decode($text) } || {};
    return map { $_->{file} } @{ $j->{trust_files} || [] };
}

sub prom_files {
    my ($text) = @_;
    my %f;
    $f{$1} = 1 while $text =~ /^proxy_reencrypt_(?:trust_file_reload_failed|crl_file_next_update_timestamp_seconds)\{[^}\n]*file="([^"\n]*)"/mg;
    return keys %f;
}

sub html_files {
    my ($text) = @_;
    my ($table) = $text =~ m{<h2>Trust files</h2>(.*?)</table>}s;
    my @f;
    push @f, $1 while ($table // '') =~ m{<tr><td>(?:ca|crl)</td><td>([^<]*)</td>}g;
    return @f;
}

my %parse = (html => [\&html_files, ''], json => [\&json_files, '?json'],
             prometheus => [\&prom_files, '?prometheus']);

sub files_of {
    my ($vhost, $fmt, $path) = @_;
    my ($text, $res) = status_text($vhost, $parse{$fmt}[1], $path);
    die "$vhost $fmt: " . $res->status_line . "\n" unless $res->is_success;
    return { map { $_ => 1 } $parse{$fmt}[0]->($text) };
}

for my $v (qw(a b)) {
    my $vhost = "st_trust_$v";
    for my $fmt (qw(html json prometheus)) {
        my $seen = files_of($vhost, $fmt);
        my @mine = grep { $seen->{$_} } @{ $own{$v} };
        my @leak = grep { $seen->{$_} } @{ $own{ $other{$v} } };
        is(scalar(@mine), 2, "default scope, $vhost $fmt: its own CA and CRL files")
            or diag(join ' ', sort keys %$seen);
        is("@leak", '', "default scope, $vhost $fmt: not st_trust_$other{$v}'s files")
            or diag(join ' ', sort keys %$seen);
    }
}

# ProxyReencryptStatusScope all: every vhost's trust files.
for my $fmt (qw(html json prometheus)) {
    my $seen = files_of('st_trust_a', $fmt, '/st-status-all');
    my @missing = grep { !$seen->{$_} } @{ $own{a} }, @{ $own{b} };
    is("@missing", '', "ProxyReencryptStatusScope all, $fmt: both vhosts' CA and CRL files")
        or diag(join ' ', sort keys %$seen);
}

done_testing();

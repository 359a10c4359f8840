package MPR::EchoHeaders;
# mod_perl response handler of the fwd_echo backend (t/conf/forwarded.conf.in):
# reports every request header line it received, exactly, one per line as
#   NAME<TAB>VALUE
# after a first line "echo=fwd".  $r->headers_in->do() walks the table
# entry by entry, so repeated header names and underscore spellings
# ("X_Forwarded_For") show up as separate lines, unlike a server variable
# that shows the first occurrence only.  (httpd's own request reading merges
# repeated lines of one name, case-insensitively, into "a, b": a test that
# wants "one value" counts lines *and* commas.)
use strict;
use warnings;

use Apache2::RequestRec ();
use Apache2::RequestIO ();
use APR::Table ();
use Apache2::Const -compile => qw(OK);

sub handler {
    my $r = shift;
    my @lines;
    $r->headers_in->do(sub {
        my ($k, $v) = @_;
        push @lines, "$k\t" . (defined $v ? $v : '');
        return 1;
    });
    $r->content_type('text/plain');
    $r->print("echo=fwd\n");
    $r->print("$_\n") for @lines;
    return Apache2::Const::OK;
}

1;

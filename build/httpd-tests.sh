#!/usr/bin/env bash
# build/httpd-tests.sh -- Apache's own test suite (apache/httpd-tests) as an
# outside check: the same files run against stock Apache and against stock
# Apache plus mod_proxy_reencrypt under its default (audit).  The two tables
# must be identical.
#
#   bash build/httpd-tests.sh /path/to/httpd-tests      (or HTTPD_TESTS=...)
#   make httpd-tests HTTPD_TESTS=/path/to/httpd-tests
#
# The suite is fetched by hand and never committed; this script only reads
# it.  Run by hand, not by `make test`.  Steps:
#   1. make                      (the module under test: this checkout's build)
#   2. two scratch copies of the suite, owned by an unprivileged user
#      (Apache::Test refuses root): stock/ and module/
#   3. inherited httpd.conf: every module in `apxs -q LIBEXECDIR` except
#      mod_heartbeat/mod_heartmonitor (multicast), the MPMs but one,
#      mod_cgi under a threaded MPM (mod_cgid serves CGI there) and mod_perl
#      (libapache2-mod-perl2, not apache2-bin: none of these files needs it,
#      and under event its request-pool cleanup segfaults children of stock
#      Apache mid-request, which fails t/ssl/proxy.t subtests at random);
#      module/ adds
#      `LoadModule proxy_reencrypt_module <build>` and nothing else
#   4. a driver (t/TEST.mpr) that runs the suite's own generated t/TEST with
#      Apache::TestConfig::generate_httpd_conf wrapped: every generated
#      `Listen` is rewritten to 127.0.0.1 before the server starts
#      (Apache::Test 1.43 hard-codes 0.0.0.0); the run stops if one is left
#   5. a stub FCGI.pm that dies, first on PERL5LIB, so that
#      t/modules/proxy_fcgi.t never starts its FCGI backend on 0.0.0.0
#   6. `ss -ltnp` sampled during both runs: any wildcard listener
#      (0.0.0.0, [::], *) of a process of the suite fails the run
#   7. per test file "file ok/total" for both runs, then a diff; a last row
#      counts httpd children that died of a signal (error_log AH00051)
# Exit status: 0 tables identical; 1 tables differ; 2 a run did not happen
# (setup, server start, no TAP) or something of the suite bound a wildcard.
#
# Environment:
#   HTTPD_TESTS  the extracted suite (if no argument is given)
#   HT_FILES     test files/dirs, relative to the suite (default below)
#   HT_USER      unprivileged user when run as root (default nobody)
#   HT_MPM       event | worker | prefork (default event)
#   HT_ONLY      stock | module: run one variant only (no diff)
#   HT_KEEP=1    keep the scratch dir
# Output (tables, TAP per file, error_log, ss samples): build/out/httpd-tests/.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SUITE=${1:-${HTTPD_TESTS:-}}
FILES=${HT_FILES:-t/ssl t/modules/proxy.t t/modules/proxy_balancer.t t/modules/remoteip.t t/modules/rewrite.t}
TEST_USER=${HT_USER:-nobody}
MPM=${HT_MPM:-event}
OUT=$ROOT/build/out/httpd-tests

die() { echo "httpd-tests: $*" >&2; exit 2; }

[ -n "$SUITE" ] || die "usage: $0 /path/to/httpd-tests (extracted apache/httpd-tests)"
SUITE=$(cd "$SUITE" 2>/dev/null && pwd) || die "no directory $SUITE"
[ -f "$SUITE/Makefile.PL" ] && [ -d "$SUITE/t" ] || die "$SUITE does not look like httpd-tests"
for f in $FILES; do
    [ -e "$SUITE/$f" ] || die "no $f in $SUITE"
done
case $MPM in event|worker|prefork) ;; *) die "HT_MPM: event, worker or prefork" ;; esac
APXS=$(command -v apxs || command -v apxs2) || die "no apxs (apache2-dev)"
HTTPD=$("$APXS" -q SBINDIR)/$("$APXS" -q TARGET)
[ -x "$HTTPD" ] || die "no httpd at $HTTPD"
LIBEXEC=$("$APXS" -q LIBEXECDIR)
command -v ss >/dev/null || die "no ss (iproute2)"
perl -MApache::TestRun -e1 2>/dev/null || die "no Apache::Test (libapache-test-perl)"

# ---------------------------------------------------------------- 1. build
echo "== build"
mkdir -p "$ROOT/build/out"
make -C "$ROOT" >"$ROOT/build/out/httpd-tests-make.log" 2>&1 || {
    tail -30 "$ROOT/build/out/httpd-tests-make.log"; die "make failed"; }
SO_BUILD=$ROOT/mod_proxy_reencrypt/.libs/mod_proxy_reencrypt.so

# ---------------------------------------------------------------- 2. scratch
WORK=$(mktemp -d /tmp/mpr-httpd-tests.XXXXXX)
chmod 755 "$WORK"
SAMPLER=
cleanup() {
    [ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null
    if [ "${HT_KEEP:-0}" = 1 ]; then
        echo "(scratch dir kept: $WORK)"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT

# a private copy of the .so: someone rebuilding the checkout meanwhile does
# not change what the second run loads
cp "$SO_BUILD" "$WORK/mod_proxy_reencrypt.so" || die "no $SO_BUILD"
nm -D "$WORK/mod_proxy_reencrypt.so" | grep -q ' D proxy_reencrypt_module' \
    || die "$SO_BUILD has no proxy_reencrypt_module (half-built?)"
SO=$WORK/mod_proxy_reencrypt.so

# FCGI stub: proxy_fcgi.t does need('FCGI') and would otherwise fork a
# FCGI::OpenSocket(":port") daemon, which binds 0.0.0.0
mkdir -p "$WORK/perl5"
cat >"$WORK/perl5/FCGI.pm" <<'EOF'
# stub written by build/httpd-tests.sh: keeps t/modules/proxy_fcgi.t from
# starting its FCGI backend (FCGI::OpenSocket binds 0.0.0.0)
die "FCGI disabled by build/httpd-tests.sh (the backend would bind 0.0.0.0)\n";
EOF

# inherited config: module load order respects Debian's "# Depends:" lines
inherit_conf() {   # inherit_conf FILE [extra LoadModule line]
    local out=$1 extra=${2:-} first m name so
    first="authn_core authz_core mime setenvif env filter alias socache_shmcb
           slotmem_shm dbd ldap session cache dav xml2enc http2 proxy
           proxy_balancer"
    {
        echo "# generated by build/httpd-tests.sh: Debian's modules from $LIBEXEC"
        echo "LoadModule mpm_${MPM}_module $LIBEXEC/mod_mpm_${MPM}.so"
        for m in $first; do
            [ -e "$LIBEXEC/mod_$m.so" ] && echo "LoadModule ${m}_module $LIBEXEC/mod_$m.so"
        done
        for so in "$LIBEXEC"/mod_*.so; do
            name=$(basename "$so" .so); name=${name#mod_}
            case " $(echo $first) " in *" $name "*) continue ;; esac
            case $name in
                heartbeat|heartmonitor) continue ;;          # multicast
                perl) continue ;;      # crashes children under event (above)
                mpm_*) continue ;;                           # one MPM only
                cgi) [ "$MPM" = prefork ] || continue ;;     # cgid instead
                cgid) [ "$MPM" = prefork ] && continue ;;
            esac
            # the module record is not always mod_NAME: ask the .so
            sym=$(nm -D --defined-only "$so" 2>/dev/null \
                  | awk '$2=="D" && $3 ~ /_module$/ {print $3; exit}')
            [ -n "$sym" ] || sym=${name}_module
            echo "LoadModule $sym $so"
        done
        [ -n "$extra" ] && echo "$extra"
    } >"$out"
}

# driver: the suite's own t/TEST, with every generated Listen on 127.0.0.1
write_driver() {
    cat >"$1" <<'EOF'
#!/usr/bin/perl
# t/TEST.mpr -- written by mod_proxy_reencrypt's build/httpd-tests.sh.
# Runs the suite's generated t/TEST with every Listen that Apache::Test
# writes into t/conf (0.0.0.0:PORT in Apache::Test 1.43) rewritten to
# 127.0.0.1:PORT right after the configuration is generated, before any
# server starts.  Dies if a non-loopback Listen is left.
use strict;
use warnings;
use FindBin;
use File::Find ();
use Apache::TestConfig ();

sub loopback_listen {
    my $dir = shift;
    my (@files, @bad);
    File::Find::find(sub { push @files, $File::Find::name if /\.conf$/ }, $dir);
    for my $f (@files) {
        open my $fh, '<', $f or next;
        my @l = <$fh>;
        close $fh;
        my $n = 0;
        for (@l) {
            $n++ if s/^(\s*)Listen\s+(?:0\.0\.0\.0:|\*:|\[::\]:)?(\d+)(\s+\S+)?\s*$/
                      "${1}Listen 127.0.0.1:$2" . (defined $3 ? $3 : '') . "\n"/e;
            push @bad, "$f: $_" if /^\s*Listen\s/ && !/^\s*Listen\s+127\.0\.0\.1:\d+/;
        }
        if ($n) {
            open $fh, '>', $f or die "$f: $!";
            print $fh @l;
            close $fh;
        }
    }
    die "non-loopback Listen left:\n@bad" if @bad;
}

{
    no warnings 'redefine';
    my $orig = \&Apache::TestConfig::generate_httpd_conf;
    *Apache::TestConfig::generate_httpd_conf = sub {
        my $self = shift;
        my @r = $orig->($self, @_);
        loopback_listen($self->{vars}->{t_conf});
        return @r;
    };
}

my $test = "$FindBin::Bin/TEST";
do $test;
die $@ if $@;
EOF
}

if [ "$(id -u)" = 0 ]; then
    id "$TEST_USER" >/dev/null 2>&1 || die "no user $TEST_USER"
    AS=(runuser -u "$TEST_USER" --)
else
    AS=()
fi

VARIANTS="stock module"
[ -n "${HT_ONLY:-}" ] && VARIANTS=$HT_ONLY
for v in $VARIANTS; do
    mkdir -p "$WORK/$v/.home"
    tar -C "$SUITE" --exclude=./.git -cf - . | tar -C "$WORK/$v" -xf - \
        || die "copying the suite failed"
    if [ "$v" = module ]; then
        inherit_conf "$WORK/$v/inherit.conf" "LoadModule proxy_reencrypt_module $SO"
    else
        inherit_conf "$WORK/$v/inherit.conf"
    fi
    write_driver "$WORK/$v/t/TEST.mpr"
done
chmod -R a+rX "$WORK/perl5" "$WORK/mod_proxy_reencrypt.so"
[ ${#AS[@]} -gt 0 ] && for v in $VARIANTS; do chown -R "$TEST_USER:" "$WORK/$v"; done

# ---------------------------------------------------------------- ss sampler
# records every wildcard TCP listener of a process whose command line or cwd
# lies in the scratch dir (the suite's httpd, its test scripts and children)
sample_ss() {
    local seen=$WORK/ss-suite.txt bad=$WORK/ss-wildcard.txt
    : >"$seen"; : >"$bad"
    while :; do
        ss -ltnpH 2>/dev/null | while read -r _ _ _ local _ procs; do
            for pid in $(echo "$procs" | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u); do
                # the process may be gone already
                cmd=$( { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null)
                cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null)
                case "$cmd $cwd" in *"$WORK"*) ;; *) continue ;; esac
                echo "$local" >>"$seen"
                case $local in
                    0.0.0.0:*|\[::\]:*|\*:*) echo "$(date +%T) $local pid=$pid $cmd" >>"$bad" ;;
                esac
            done
        done
        sleep 0.3
    done
}
sample_ss &
SAMPLER=$!

# ---------------------------------------------------------------- runs
mkdir -p "$OUT"
rm -rf "${OUT:?}"/*
RUN_OK=1
for v in $VARIANTS; do
    echo "== $v: $FILES"
    d=$WORK/$v
    started=$(date +%s)
    # shellcheck disable=SC2086
    "${AS[@]}" env -i PATH="$PATH" HOME="$d/.home" LANG=C.UTF-8 \
        PERL5LIB="$WORK/perl5" APACHE_TEST_NO_STICKY_PREFERENCES=1 \
        PERL_TEST_HARNESS_DUMP_TAP="$d/tap" APXS="$APXS" HTTPD="$HTTPD" \
        bash -c 'cd "$1" || exit 2; shift
                 perl Makefile.PL -apxs "$APXS" -httpd "$HTTPD" \
                     -httpd_conf "$PWD/inherit.conf" >makefile-pl.log 2>&1 \
                   || { cat makefile-pl.log; exit 2; }
                 perl t/TEST.mpr -clean >/dev/null 2>&1
                 perl t/TEST.mpr -port select -verbose "$@"' \
        _ "$d" $FILES >"$OUT/$v.log" 2>&1
    rc=$?
    echo "   t/TEST exit $rc, $(( $(date +%s) - started ))s, log build/out/httpd-tests/$v.log"
    mkdir -p "$OUT/$v"
    cp -r "$d/t/logs" "$OUT/$v/logs" 2>/dev/null
    cp -r "$d/tap" "$OUT/$v/tap" 2>/dev/null
    cp "$d/inherit.conf" "$OUT/$v/" 2>/dev/null
    cp -r "$d/t/conf" "$OUT/$v/conf" 2>/dev/null
    if [ ! -d "$d/tap" ]; then
        echo "   no TAP from the $v run:"; tail -30 "$OUT/$v.log"
        RUN_OK=0
    fi
done
sleep 0.5
kill "$SAMPLER" 2>/dev/null; wait "$SAMPLER" 2>/dev/null; SAMPLER=
cp "$WORK/ss-suite.txt" "$WORK/ss-wildcard.txt" "$OUT/" 2>/dev/null

# ---------------------------------------------------------------- tables
# one line per test file: "file ok/total", failed subtests and skips after it
table() {   # table VARIANT
    local tapdir=$WORK/$1/tap f rel plan ok notok skip fails
    for f in $(cd "$tapdir" 2>/dev/null && find . -name '*.t' | sed 's|^\./||' | sort); do
        rel=$f
        plan=$(grep -m1 -E '^1\.\.[0-9]+' "$tapdir/$f")
        if [ -z "$plan" ]; then
            echo "$rel 0/? (no plan: died)"
            continue
        fi
        case $plan in
            1..0*) echo "$rel skipped (${plan#1..0 })"; continue ;;
        esac
        total=${plan#1..}; total=${total%% *}
        ok=$(grep -cE '^ok [0-9]+' "$tapdir/$f")
        notok=$(grep -cE '^not ok [0-9]+' "$tapdir/$f")
        skip=$(grep -ciE '^ok [0-9]+[^#]*# *skip' "$tapdir/$f")
        fails=$(grep -E '^not ok [0-9]+' "$tapdir/$f" | grep -viE '# *todo' \
                | awk '{printf "%s%s", sep, $3; sep=","}')
        line="$rel $ok/$total"
        [ -n "$fails" ] && line="$line (not ok: $fails)"
        [ $((ok + notok)) -ne "$total" ] && line="$line (ran $((ok + notok)) of $total)"
        [ "$skip" -gt 0 ] && line="$line (skipped $skip)"
        echo "$line"
    done
    echo "httpd children killed by a signal: $(grep -c 'AH00051' "$WORK/$1/t/logs/error_log" 2>/dev/null)"
}

status=0
for v in $VARIANTS; do
    table "$v" >"$OUT/$v.table"
    echo
    echo "== $v ($( [ "$v" = module ] && echo "stock + LoadModule proxy_reencrypt_module, audit" || echo "Debian's modules, no mod_proxy_reencrypt"))"
    sed 's/^/  /' "$OUT/$v.table"
    awk '/^t\// {split($2,a,"/"); if (a[2] ~ /^[0-9]+$/) {ok+=a[1]; t+=a[2]}}
         END {printf "  total %d/%d subtests ok\n", ok, t}' "$OUT/$v.table"
    [ -s "$OUT/$v.table" ] || RUN_OK=0
done

echo
echo "== loopback check (ss -ltnp sampled every 0.3 s during the runs)"
echo "  suite listeners seen: $(sort -u "$WORK/ss-suite.txt" | tr '\n' ' ')"
if [ -s "$WORK/ss-wildcard.txt" ]; then
    echo "  WILDCARD LISTENERS of the suite:"
    sort -u "$WORK/ss-wildcard.txt" | sed 's/^/    /'
    status=2
elif [ ! -s "$WORK/ss-suite.txt" ]; then
    echo "  no listener of the suite was seen: the check saw nothing"
    status=2
else
    echo "  nothing of the suite bound 0.0.0.0, [::] or *"
fi

if [ "$RUN_OK" != 1 ]; then
    echo "a run produced no results: see build/out/httpd-tests/*.log"
    exit 2
fi
if [ "$VARIANTS" = "stock module" ]; then
    echo
    echo "== diff stock module"
    if diff -u "$OUT/stock.table" "$OUT/module.table" >"$OUT/diff.txt"; then
        echo "  tables identical"
    else
        sed 's/^/  /' "$OUT/diff.txt"
        [ $status -eq 0 ] && status=1
    fi
fi
exit $status

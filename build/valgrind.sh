#!/usr/bin/env bash
# build/valgrind.sh [t/FILE.t ...] -- the Apache::Test suite's server under
# valgrind memcheck (`make valgrind`). Run by hand, never by CI; as root.
#
# The server Apache::Test starts (front and httpd backends in one httpd,
# event MPM, mod_perl for the test handlers) and the servers the tests start
# themselves (MPR::Run) run as `valgrind --tool=memcheck` through a wrapper
# given to Apache::Test with -httpd; `apache2 -V/-l/-t/...` calls go to
# apache2 directly. Every process (the daemon, each child, a graceful
# restart's new children) writes its own XML report. By default a subset of
# t/*.t that goes through every path of the module (list below); arguments
# replace it. Apache::Test runs on base port VG_PORT (default 33000).
#
# Fails (exit 1) on any memcheck error (invalid read/write, use of
# uninitialised values, invalid free, overlap, ...) in any process, or any
# definitely or indirectly lost block whose allocation stack has a frame of
# mod_proxy_reencrypt.so (or a pr_* function). Leaks without a module frame
# (httpd, APR, mod_perl, OpenSSL at exit) are counted and listed, not
# failed on. Suppressions: build/valgrind.supp (each one justified there).
# Test failures under valgrind (timing: everything runs ~20x slower) are
# shown, not failed on. The reports are kept in the work dir printed at the
# end (/tmp/mpr-vg.XXXXXX).
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
APACHE2=$(command -v apache2 || echo /usr/sbin/apache2)
command -v valgrind >/dev/null || { echo "valgrind.sh: valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "valgrind.sh: run as root (build/run-tests.sh runs Apache::Test as nobody)" >&2; exit 1; }

# One file per path of the module:
#  refusals by reason: expired, not-yet-valid, expiring, untrusted,
#    name-mismatch, depth, pin-mismatch, revoked, protocol, plaintext,
#    no-certificate/handshake (identity_protocol), client certificate;
#  audit; pins; names and SNI; sessions and resumption; forwarded headers;
#  status page (HTML, JSON, Prometheus, ?auto) and its counts across a
#  graceful restart; streams (passthrough, tls, bad input); OCSP and CRLs;
#  health checks; pooled connections of other scopes; balancer.
TESTS=${*:-t/expired.t t/notyet.t t/expiring.t t/untrusted.t t/name_mismatch.t t/depth.t
  t/pin.t t/revoked.t t/identity_protocol.t t/identity_clientcert.t t/identity_proxyproto.t
  t/plaintext_dynamic.t t/good.t t/policy_audit.t t/policy_audit_wire.t t/identity_pins.t
  t/sni.t t/ip_backend.t t/session_resume.t t/session_keepalive.t t/forwarded.t
  t/forwarded_modes.t t/forwarded_trusted.t t/status_page.t t/status_prom.t
  t/status_auto_escape.t t/status_counts.t t/stream_passthrough.t t/stream_tls.t
  t/stream_bad.t t/revocation_ocsp.t t/revocation_crl.t t/policy_hcheck.t t/policy_pool.t
  t/balancer.t}
TESTS=$(echo $TESTS)

VG=$(mktemp -d /tmp/mpr-vg.XXXXXX)
mkdir -p "$VG/xml"
chmod 777 "$VG" "$VG/xml"
cat >"$VG/apache2-vg" <<WRAP
#!/bin/sh
# apache2 under memcheck, but for the calls that only print or test the
# configuration (Apache::Test and the tests run those with -V, -l, -t, ...)
for a in "\$@"; do
    case "\$a" in -V|-v|-l|-L|-M|-S|-t|-T|-h) exec $APACHE2 "\$@" ;; esac
done
exec valgrind --tool=memcheck --error-limit=no --num-callers=40 \\
    --keep-debuginfo=yes --leak-check=full --show-leak-kinds=definite,indirect \\
    --errors-for-leak-kinds=definite,indirect --track-origins=no \\
    --suppressions=$HERE/build/valgrind.supp \\
    --xml=yes --xml-file=$VG/xml/vg.%p.xml --log-file=$VG/xml/vg.%p.log \\
    $APACHE2 "\$@"
WRAP
chmod 755 "$VG/apache2-vg"

echo "valgrind.sh: work dir $VG; tests: $TESTS" >&2
export APACHE_TEST_STARTUP_TIMEOUT=900
MPR_DEB=0 MPR_AT_ARGS="-port ${VG_PORT:-33000} -httpd $VG/apache2-vg $TESTS" \
    bash "$HERE/build/run-tests.sh" >"$VG/run-tests.log" 2>&1
test_rc=$?
# the processes write their reports (leak check) as they exit: wait for them
for _ in $(seq 600); do
    pgrep -f "xml-file=$VG/" >/dev/null || break
    sleep 1
done
grep -E '^(not ok|ok|1\.\.)|passed, .* failed|^t/.*\.t \.\.' "$VG/run-tests.log" | grep -vE '^\s*ok ' >"$VG/tests-summary.txt"
echo "== Apache::Test under valgrind (exit $test_rc): $(tail -1 "$VG/run-tests.log")"
grep -E '^not ok|Failed|Dubious' "$VG/run-tests.log" | head -30
python3 "$HERE/build/soak/vgreport.py" "$VG/xml"
rc=$?
cp "$VG/run-tests.log" /tmp/mpr-valgrind-run-tests.log 2>/dev/null
echo "valgrind.sh: reports in $VG/xml, Apache::Test output in $VG/run-tests.log"
exit $rc

#!/usr/bin/env bash
# build/valgrind.sh [t/FILE.t ...] -- the Apache::Test suite's server under
# valgrind memcheck (`make valgrind`). Run by hand, never by CI; as root.
#
# The server Apache::Test starts (front and httpd backends in one httpd,
# event MPM, mod_perl for the test handlers) runs as `valgrind
# --tool=memcheck apache2 -X` (one process, all threads) through a wrapper
# given to Apache::Test with -httpd; `apache2 -V/-l/-t/...` calls and the
# servers some tests start themselves with `-k start` (MPR::Run) go to
# apache2 directly. A single process ignores SIGUSR1, so graceful restarts
# are covered by a second step: a small server of its own (front + two TLS
# backend vhosts), children under memcheck, traffic around two graceful
# restarts, then graceful-stop. Every valgrind process writes vg.PID.log.
# By default a subset of t/*.t that goes through every path of the module
# (list below); arguments replace it. Apache::Test runs on base port VG_PORT
# (default 33400; build/soak.sh uses 33000-33065), the graceful server on VG_PORT+150..152.
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
. "$HERE/build/lib/conf.sh"
APACHE2=$(command -v apache2 || echo /usr/sbin/apache2)
command -v valgrind >/dev/null || { echo "valgrind.sh: valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "valgrind.sh: run as root (build/run-tests.sh runs Apache::Test as nobody)" >&2; exit 1; }

# One file per path of the module:
#  refusals by reason: expired, not-yet-valid, expiring, untrusted,
#    name-mismatch, depth, pin-mismatch, revoked, protocol, plaintext,
#    no-certificate/handshake (identity_protocol), client certificate;
#  audit; pins; names and SNI; sessions and resumption; forwarded headers;
#  status page (HTML, JSON, Prometheus, ?auto, DUMP_REENCRYPT); streams
#  (passthrough, tls, bad input); OCSP and CRLs;
#  health checks; pooled connections of other scopes; balancer; issue 12:
#    broken backends (reason detail), handshake timeout on a stalled
#    backend, log rate limit, certificate chain bounds (many SANs), the
#    handshake timeout in the dump, CRL and CA reload.
TESTS=${*:-t/expired.t t/notyet.t t/expiring.t t/untrusted.t t/name_mismatch.t t/depth.t
  t/pin.t t/revoked.t t/identity_protocol.t t/identity_clientcert.t t/identity_proxyproto.t
  t/plaintext_dynamic.t t/good.t t/policy_audit.t t/policy_audit_wire.t t/identity_pins.t
  t/sni.t t/ip_backend.t t/session_resume.t t/session_keepalive.t t/forwarded.t
  t/forwarded_modes.t t/forwarded_trusted.t t/status_page.t t/status_prom.t
  t/status_auto_escape.t t/status_dump.t t/stream_passthrough.t t/stream_tls.t
  t/stream_bad.t t/revocation_ocsp.t t/revocation_crl.t t/policy_hcheck.t t/policy_pool.t
  t/balancer.t t/reliability_backends.t t/reliability_stall.t t/reliability_log.t
  t/reliability_mem.t t/reliability_dump.t t/revocation_reload.t t/revocation_reload_ca.t}
TESTS=$(echo $TESTS)

VG=$(mktemp -d /tmp/mpr-vg.XXXXXX)
mkdir -p "$VG/logs"
chmod 777 "$VG" "$VG/logs"
cat >"$VG/apache2-vg" <<WRAP
#!/bin/sh
# apache2 under memcheck as one process (-X: no children, which httpd would
# SIGKILL at shutdown before their leak check ends), but for the calls that
# only print or test the configuration (-V, -l, -t, ...) and for the
# servers the tests start themselves with -k (MPR::Run): plain apache2.
for a in "\$@"; do
    case "\$a" in -V|-v|-l|-L|-M|-S|-t|-T|-h|-k) exec $APACHE2 "\$@" ;; esac
done
exec valgrind --tool=memcheck --error-limit=no --num-callers=40 \\
    --keep-debuginfo=yes --leak-check=full --show-leak-kinds=definite,indirect \\
    --errors-for-leak-kinds=definite,indirect --track-origins=no \\
    --suppressions=$HERE/build/valgrind.supp \\
    --log-file=$VG/logs/vg.%p.log \\
    $APACHE2 -X "\$@"
WRAP
chmod 755 "$VG/apache2-vg"

echo "valgrind.sh: work dir $VG; tests: $TESTS" >&2
export APACHE_TEST_STARTUP_TIMEOUT=900
MPR_DEB=0 MPR_AT_ARGS="-port ${VG_PORT:-33400} -httpd $VG/apache2-vg $TESTS" \
    bash "$HERE/build/run-tests.sh" >"$VG/run-tests.log" 2>&1
test_rc=$?
# the processes write their reports (leak check) as they exit: wait for them
for _ in $(seq 600); do
    pgrep -f "log-file=$VG/" >/dev/null || break
    sleep 1
done
grep -E '^(not ok|ok|1\.\.)|passed, .* failed|^t/.*\.t \.\.' "$VG/run-tests.log" | grep -vE '^\s*ok ' >"$VG/tests-summary.txt"
echo "== Apache::Test under valgrind (exit $test_rc): $(tail -1 "$VG/run-tests.log")"
grep -E '^not ok|Failed|Dubious' "$VG/run-tests.log" | head -30
# ---- graceful restarts, with children: -X above never restarts (a single
# process ignores SIGUSR1), so a small server of its own (front + two TLS
# backend vhosts, ports VG_PORT+150..152), children under memcheck, two
# graceful restarts with traffic around them, then graceful-stop, which lets
# every child exit by itself (SIGTERM would SIGKILL them after 3 s, before
# their leak check).
G=$VG/graceful
GP=$(( ${VG_PORT:-33400} + 150 ))
MODDIR=$(apxs -q LIBEXECDIR)
PKI=$HERE/t/pki
mkdir -p "$G/htdocs" && echo "backend" >"$G/htdocs/index.html" && chmod -R a+rX "$G"
{ httpd_head "$G" "$G" "$G/error.log" mpm_event authz_core slotmem_shm proxy proxy_http \
    proxy_balancer lbmethod_byrequests ssl \
    "LoadModule proxy_reencrypt_module $HERE/mod_proxy_reencrypt/.libs/mod_proxy_reencrypt.so"
cat <<CONF
StartServers 1
ServerLimit 4
ThreadLimit 8
ThreadsPerChild 8
MaxRequestWorkers 16
MinSpareThreads 1
MaxSpareThreads 16
GracefulShutdownTimeout 600
Timeout 120
Listen 127.0.0.1:$GP
Listen 127.0.0.1:$((GP + 1))
Listen 127.0.0.1:$((GP + 2))
DocumentRoot $G/htdocs
<VirtualHost 127.0.0.1:$((GP + 1))>
  SSLEngine on
  SSLCertificateFile $PKI/good-chain.crt
  SSLCertificateKeyFile $PKI/good.key
</VirtualHost>
<VirtualHost 127.0.0.1:$((GP + 2))>
  SSLEngine on
  SSLCertificateFile $PKI/expired-chain.crt
  SSLCertificateKeyFile $PKI/expired.key
</VirtualHost>
<VirtualHost 127.0.0.1:$GP>
  SSLProxyEngine on
  ProxyReencryptPolicy enforce
  ProxyReencryptCACertificateFile $PKI/root.crt
  ProxyReencryptExpectName localhost
  <Proxy balancer://pool>
    BalancerMember https://127.0.0.1:$((GP + 1))
    BalancerMember https://127.0.0.1:$((GP + 2))
  </Proxy>
  ProxyPass /pool/ balancer://pool/
  ProxyPass /good/ https://127.0.0.1:$((GP + 1))/
  ProxyPass /expired/ https://127.0.0.1:$((GP + 2))/
  <Location /st>
    SetHandler proxy-reencrypt-status
  </Location>
</VirtualHost>
CONF
} >"$G/httpd.conf"
valgrind --tool=memcheck --error-limit=no --num-callers=40 --keep-debuginfo=yes \
    --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
    --suppressions="$HERE/build/valgrind.supp" --log-file="$VG/logs/vg.%p.log" \
    "$APACHE2" -f "$G/httpd.conf" -k start
traffic() {
    local i q
    for _ in $(seq 60); do curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$GP/st" && break; sleep 2; done
    for i in $(seq 10); do
        curl -s -o /dev/null -w '%{http_code} ' --max-time 120 "http://127.0.0.1:$GP/good/index.html"
        curl -s -o /dev/null -w '%{http_code} ' --max-time 120 "http://127.0.0.1:$GP/pool/index.html"
    done
    curl -s -o /dev/null -w '%{http_code} ' --max-time 120 "http://127.0.0.1:$GP/expired/index.html"
    for q in "" "?json" "?prometheus" "?auto"; do
        curl -s -o /dev/null -w '%{http_code} ' --max-time 120 "http://127.0.0.1:$GP/st$q"
    done
}
echo "== graceful restarts under memcheck (children); statuses: good and pool x10, expired, status x4"
{
    echo "before: $(traffic)"
    "$APACHE2" -f "$G/httpd.conf" -k graceful; sleep 20
    echo "after the 1st graceful restart: $(traffic)"
    "$APACHE2" -f "$G/httpd.conf" -k graceful; sleep 20
    echo "after the 2nd graceful restart: $(traffic)"
} | tee "$VG/graceful.txt"
"$APACHE2" -f "$G/httpd.conf" -k graceful-stop
for _ in $(seq 600); do
    pgrep -f "log-file=$VG/" >/dev/null || break
    sleep 1
done
pgrep -f "log-file=$VG/" >/dev/null && echo "valgrind.sh: memcheck processes still running: their reports are incomplete"
grep -E 'AH00052|exit signal' "$G/error.log" && echo "valgrind.sh: a child crashed"

python3 "$HERE/build/soak/vgreport.py" "$VG/logs"
rc=$?
# No figures without the run: a server that never started (a port taken,
# say) leaves nothing for memcheck to report, which is not a pass.
at_pass=$(awk '$1 == "apache-test" { n = $2 } END { print n + 0 }' "$VG/run-tests.log")
if [ "$at_pass" -lt 1 ]; then
    echo "valgrind.sh: FAIL: the Apache::Test run under valgrind passed no test (did its server start? see $VG/run-tests.log)"
    rc=1
fi
cp "$VG/run-tests.log" /tmp/mpr-valgrind-run-tests.log 2>/dev/null
echo "valgrind.sh: reports in $VG/logs, Apache::Test output in $VG/run-tests.log"
exit $rc

#!/usr/bin/env bash
# build/soak.sh -- soak of mod_proxy_reencrypt with faults on a timer.
# Run by hand (`make soak`, SOAK_SECONDS=600 by default), never by CI; as
# root on Debian 12, everything on 127.0.0.1 ports SOAK_PORT..SOAK_PORT+99
# (default 33000). RELIABILITY.md describes the method and the last figures.
#
# What runs (in a scratch dir /tmp/mpr-soak.XXXXXX, kept with SOAK_KEEP=1):
#  - the front: the system apache2 (the httpd of the tests) with the module of
#    this tree (copied, so a `make` during the run cannot change it), event
#    MPM, 3 children of 16 threads, policy enforce, CA root.crt, expected name
#    localhost; `ProxyPass /b/ balancer://pool/` over five members and
#    `ProxyPass /slow/` to one more backend; the pool is pinned to the good
#    certificate's key (ProxyReencryptPin in <Proxy balancer://pool>);
#  - the backends: one nginx per member (so that a kill hits one member),
#    each logging every request with the certificate its configuration
#    serves ("cert=NAME" is a literal of the log format: a worker of an old
#    configuration keeps logging its old certificate until it exits);
#  - the load: build/soak/load.py, 16 keep-alive connections to /b/ for the
#    whole run, every request timed and its outcome written down; during
#    the slow window 4 more connections to /slow/.
# Faults (times for 600 s; scaled with SOAK_SECONDS), see RELIABILITY.md:
#   kill      member "kill": nginx killed with SIGKILL (master and worker),
#             restarted 15 s later (at 45 s and 430 s)
#   rotate    member "rot": reloaded with an unpinned certificate (good2,
#             same CA and names, other key) for 60 s, then back (90 s, 460 s)
#   expired   member "exp": reloaded with an expired certificate for 60 s,
#             then back (170 s, 510 s)
#   stall     member "stall" (build/soak/stall.py, a relay in front of its
#             nginx) cuts its connections and accepts TCP without ever
#             answering, for 70 s (260 s; again 550 s - 590 s)
#   slow      /slow/: a backend that dribbles a 24 KB body at 8 KB/s,
#             4 clients for 70 s (350 s)
#   graceful  `apache2 -k graceful` every 120 s
# SOAK_GRACEFUL=0 leaves the graceful restarts out: the children then live
# the whole run, which shows whether their RSS levels off (a high-water
# mark) or keeps growing (a leak); only such a run judges the RSS target
# (after warm-up, see RELIABILITY.md). SOAK_CONF: extra lines for the
# front's configuration (an A/B, e.g. "MaxMemFree 32"). SOAK_MASSIF=1
# (implies SOAK_GRACEFUL=0) runs the front as one process (-X) under
# valgrind massif: $W/massif/massif.out (ms_print) shows whether the heap
# itself grows. Afterwards build/soak/analyze.py prints the figures and the
# targets; the exit status is non-zero when one is missed.
set -euo pipefail

SECS=${SOAK_SECONDS:-600}
[ "${SOAK_MASSIF:-0}" = 1 ] && SOAK_GRACEFUL=0
BASE=${SOAK_PORT:-33000}
CONNS=${SOAK_CONNS:-16}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$HERE/build/lib/conf.sh"
APACHE2=$(command -v apache2 || echo /usr/sbin/apache2)
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
MODDIR=$(apxs -q LIBEXECDIR)
[ "$(id -u)" = 0 ] || { echo "soak.sh: run as root (the servers switch to nobody)" >&2; exit 1; }
[ "$SECS" -ge 30 ] || { echo "soak.sh: SOAK_SECONDS must be at least 30" >&2; exit 2; }
for t in python3 curl; do command -v $t >/dev/null || { echo "soak.sh: $t missing" >&2; exit 1; }; done

W=$(mktemp -d /tmp/mpr-soak.XXXXXX)
chmod 755 "$W"
PIDS=()        # pids of our helper processes (load, sampler, stall listener)
NGX=()         # nginx dirs we started
cleanup() {
    set +e
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    [ -s "$W/front/httpd.pid" ] && kill -TERM "$(cat "$W/front/httpd.pid")" 2>/dev/null
    for d in "${NGX[@]}"; do ngx_stop "$d"; done
    [ -s "$W/stall.pid" ] && kill "$(cat "$W/stall.pid")" 2>/dev/null
    sleep 1
    if [ "${SOAK_KEEP:-0}" = 1 ]; then echo "soak.sh: work dir kept: $W" >&2; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { echo "soak.sh: [$(date -u +%H:%M:%S)] $*" >&2; }
now_ms() { date +%s%3N; }
event() { echo "$(now_ms) $*" >>"$W/events.log"; log "event: $*"; }

# ------------------------------------------------------------ module, PKI
log "building the module, copying it to $W"
make -s -C "$HERE" >/dev/null
SO=$W/mod_proxy_reencrypt.so
cp "$HERE/mod_proxy_reencrypt/.libs/mod_proxy_reencrypt.so" "$SO"
REV=$(cd "$HERE" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
log "generating the PKI"
bash "$HERE/build/pki.sh" "$W/pki" >"$W/pki.log" 2>&1 || { cat "$W/pki.log"; exit 1; }
PKI=$W/pki
chmod -R a+rX "$W"

# ------------------------------------------------------------ ports
P_FRONT=$((BASE + 1)) P_STABLE=$((BASE + 11)) P_KILL=$((BASE + 12)) P_ROT=$((BASE + 13))
P_EXP=$((BASE + 14)) P_STALL=$((BASE + 15)) P_SLOW=$((BASE + 16)) P_STABLE2=$((BASE + 17))
P_STALL_NGX=$((BASE + 65))
for p in $P_FRONT $P_STABLE $P_STABLE2 $P_KILL $P_ROT $P_EXP $P_STALL $P_STALL_NGX $P_SLOW; do
    python3 -c 'import socket,sys; s=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1])))' "$p" 2>/dev/null \
        || { echo "soak.sh: port $p is in use (SOAK_PORT=$BASE)" >&2; exit 1; }
done

# ------------------------------------------------------------ backends
# ngx_conf NAME PORT CERT: (re)write the configuration of member NAME
ngx_conf() {
    local n=$1 port=$2 cert=$3 d=$W/ngx-$1 loc
    mkdir -p "$d/logs" "$d/tmp" "$d/html"
    loc="location / { return 200 \"member=$n cert=$cert\\n\"; }"
    if [ "$n" = slow ]; then
        head -c 24576 /dev/zero | tr '\0' 'x' >"$d/html/index.html"
        loc="location / { root $d/html; try_files /index.html =404; limit_rate 8k; }"
    fi
    { ngx_head "$d" 1024; cat <<EOF; } >"$d/nginx.conf.new"
  default_type text/plain;
  log_format soak '\$msec member=$n cert=$cert \$status \$request_uri reused=\$ssl_session_reused conn=\$connection';
  access_log $d/logs/access.log soak;
  keepalive_requests 10000;
  keepalive_timeout 30;
  server {
    listen 127.0.0.1:$port ssl;
    server_name localhost;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_certificate $PKI/$cert-chain.crt;
    ssl_certificate_key $PKI/$cert.key;
    $loc
  }
}
EOF
    mv "$d/nginx.conf.new" "$d/nginx.conf"
}
ngx_start() {  # NAME
    local d=$W/ngx-$1
    rm -f "$d/nginx.pid"
    "$NGINX" -p "$d" -e "$d/logs/error.log" -c "$d/nginx.conf"
    for _ in $(seq 50); do [ -s "$d/nginx.pid" ] && return 0; sleep 0.1; done
    log "nginx $1 did not start"; cat "$d/logs/error.log" >&2; return 1
}
ngx_reload() { "$NGINX" -p "$W/ngx-$1" -e "$W/ngx-$1/logs/error.log" -c "$W/ngx-$1/nginx.conf" -s reload; }
ngx_stop() {   # DIR
    local pid
    [ -s "$1/nginx.pid" ] || return 0
    pid=$(cat "$1/nginx.pid")
    kill -QUIT "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null
    rm -f "$1/nginx.pid"
}
ngx_kill9() {  # NAME: SIGKILL to the master and its workers, by pid
    local d=$W/ngx-$1 pid kids
    pid=$(cat "$d/nginx.pid")
    kids=$(pgrep -P "$pid" | tr '\n' ' ')
    kill -KILL "$pid" $kids 2>/dev/null || true
    rm -f "$d/nginx.pid"
}
for m in stable:$P_STABLE stable2:$P_STABLE2 kill:$P_KILL rot:$P_ROT exp:$P_EXP stall:$P_STALL_NGX slow:$P_SLOW; do
    ngx_conf "${m%%:*}" "${m#*:}" good
    ngx_start "${m%%:*}"
    NGX+=("$W/ngx-${m%%:*}")
done
# the stall member: a relay to its nginx that can switch to a stalled handshake
setsid python3 "$HERE/build/soak/stall.py" "$P_STALL" "$P_STALL_NGX" </dev/null >>"$W/stall.err" 2>&1 &
echo $! >"$W/stall.pid"
for _ in $(seq 50); do
    python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' \
        "$P_STALL" 2>/dev/null && break
    sleep 0.1
done

# ------------------------------------------------------------ front
# ProxyReencryptHandshakeTimeout exists on some branches only: probe it.
F=$W/front
mkdir -p "$F/logs"
HT_LINE="" HT=""
cat >"$W/probe.conf" <<EOF
ServerRoot $W
LoadModule mpm_event_module $MODDIR/mod_mpm_event.so
LoadModule proxy_module $MODDIR/mod_proxy.so
LoadModule ssl_module $MODDIR/mod_ssl.so
LoadModule proxy_reencrypt_module $SO
ErrorLog /dev/null
ProxyReencryptHandshakeTimeout 3
EOF
if "$APACHE2" -t -f "$W/probe.conf" >"$W/probe.out" 2>&1; then
    HT=3 HT_LINE="ProxyReencryptHandshakeTimeout 3"
    MEMBER_TIMEOUT=    # mod_proxy's own: the members inherit Timeout (60 s)
    log "ProxyReencryptHandshakeTimeout exists: 3 s; members with mod_proxy's timeout (Timeout 60)"
else
    MEMBER_TIMEOUT=5
    log "no ProxyReencryptHandshakeTimeout in this build: the stall is bounded by the members' timeout=$MEMBER_TIMEOUT"
fi
RETRY=30
MT=${MEMBER_TIMEOUT:+ timeout=$MEMBER_TIMEOUT}
PIN=$(cat "$PKI/good.pin")
{ httpd_head "$F" "$F/logs" "$F/logs/error.log" mpm_event authz_core authz_host slotmem_shm \
    proxy proxy_http proxy_balancer lbmethod_byrequests ssl "LoadModule proxy_reencrypt_module $SO"
cat <<EOF
Listen 127.0.0.1:$P_FRONT
ServerLimit 6
StartServers 3
ThreadLimit 16
ThreadsPerChild 16
MaxRequestWorkers 48
MinSpareThreads 1
MaxSpareThreads 48
MaxConnectionsPerChild 0
Timeout 60
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 5
LogFormat "%{begin:msec}t %{end:msec}t %P %>s %{BALANCER_WORKER_NAME}e %U %B" soak
CustomLog $F/logs/access.log soak
SSLProxyEngine on
ProxyReencryptPolicy enforce
ProxyReencryptCACertificateFile $PKI/root.crt
ProxyReencryptExpectName localhost
$HT_LINE
${SOAK_CONF:-}
<Proxy balancer://pool>
  BalancerMember https://127.0.0.1:$P_STABLE retry=$RETRY$MT
  BalancerMember https://127.0.0.1:$P_STABLE2 retry=$RETRY$MT
  BalancerMember https://127.0.0.1:$P_KILL retry=$RETRY$MT
  BalancerMember https://127.0.0.1:$P_ROT retry=$RETRY$MT
  BalancerMember https://127.0.0.1:$P_EXP retry=$RETRY$MT
  BalancerMember https://127.0.0.1:$P_STALL retry=$RETRY$MT
  ProxySet lbmethod=byrequests
  ProxyReencryptPin $PIN
</Proxy>
ProxyPass /b/ balancer://pool/
ProxyPass /slow/ https://127.0.0.1:$P_SLOW/$MT
<Location /reencrypt-status>
  SetHandler proxy-reencrypt-status
  Require local
</Location>
EOF
} >"$F/httpd.conf"
"$APACHE2" -t -f "$F/httpd.conf" >"$W/configtest.out" 2>&1 || { cat "$W/configtest.out"; exit 1; }
if [ "${SOAK_MASSIF:-0}" = 1 ]; then
    # one process (-X: all 16 threads, no children) under valgrind massif:
    # the heap (malloc'd bytes, APR pools included) over the run, apart
    # from what the allocator keeps; see RELIABILITY.md, the RSS question
    mkdir -p "$W/massif" && chmod 777 "$W/massif"     # written as nobody
    setsid valgrind --tool=massif --time-unit=ms --max-snapshots=200 \
        --massif-out-file="$W/massif/massif.out" "$APACHE2" -X -f "$F/httpd.conf" \
        </dev/null >"$W/massif.err" 2>&1 &
    WAIT_UP=1200
else
    "$APACHE2" -f "$F/httpd.conf" -k start
    WAIT_UP=100
fi
for _ in $(seq $WAIT_UP); do [ -s "$F/httpd.pid" ] || { sleep 0.1; continue; }; curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$P_FRONT/reencrypt-status" && break; sleep 0.1; done
FRONT_PID=$(cat "$F/httpd.pid")
log "front up (pid $FRONT_PID, port $P_FRONT), module at $REV"
prom() { curl -s --max-time 10 "http://127.0.0.1:$P_FRONT/reencrypt-status?prometheus" >"$W/prom-$1.txt" || true; }

# ------------------------------------------------------------ RSS sampler
# every 2 s: time, pid, ppid, VmRSS kB of the parent and of each child
(
    while kill -0 "$FRONT_PID" 2>/dev/null; do
        t=$(now_ms)
        for p in $FRONT_PID $(pgrep -P "$FRONT_PID"); do
            r=$(awk '/^VmRSS:/{print $2}' /proc/$p/status 2>/dev/null) || continue
            [ -n "$r" ] && echo "$t $p $([ "$p" = "$FRONT_PID" ] && echo parent || echo child) $r"
        done
        sleep 2
    done
) >>"$W/rss.log" 2>/dev/null &
PIDS+=($!)

# ------------------------------------------------------------ schedule
# at SECONDS-of-600 ACTION...: scaled to SOAK_SECONDS
SCHED=$W/schedule
{
    echo "45 kill_start"; echo "60 kill_end"
    echo "90 rot_start"; echo "150 rot_end"
    echo "170 exp_start"; echo "230 exp_end"
    echo "260 stall_start"; echo "330 stall_end"
    echo "350 slow_start"
    echo "430 kill_start"; echo "445 kill_end"
    echo "460 rot_start"; echo "500 rot_end"
    echo "510 exp_start"; echo "540 exp_end"
    echo "550 stall_start"; echo "590 stall_end"
    [ "${SOAK_GRACEFUL:-1}" = 0 ] || for g in 120 240 360 480; do echo "$g graceful"; done
} | awk -v s="$SECS" '{printf "%d %s\n", $1 * s * 1000 / 600, $2}' | sort -n >"$SCHED"
SLOW_SECS=$((70 * SECS / 600))

do_action() {
    case $1 in
    kill_start)  event "kill_start kill $P_KILL"; ngx_kill9 kill ;;
    kill_end)    ngx_start kill; event "kill_end kill $P_KILL" ;;
    rot_start)   ngx_conf rot "$P_ROT" good2; ngx_reload rot; event "rot_start rot $P_ROT" ;;
    rot_end)     ngx_conf rot "$P_ROT" good; ngx_reload rot; event "rot_end rot $P_ROT" ;;
    exp_start)   ngx_conf exp "$P_EXP" expired; ngx_reload exp; event "exp_start exp $P_EXP" ;;
    exp_end)     ngx_conf exp "$P_EXP" good; ngx_reload exp; event "exp_end exp $P_EXP" ;;
    stall_start) kill -USR1 "$(cat "$W/stall.pid")"; event "stall_start stall $P_STALL" ;;
    stall_end)   kill -USR2 "$(cat "$W/stall.pid")"; event "stall_end stall $P_STALL" ;;
    slow_start)
        event "slow_start slow $P_SLOW"
        python3 "$HERE/build/soak/load.py" "$P_FRONT" /slow/x 4 "$SLOW_SECS" "$W/client-slow.log" 24576 &
        SLOWPID=$! ;;
    graceful)
        prom "before-graceful-$(now_ms)"
        event "graceful front $P_FRONT"
        "$APACHE2" -f "$F/httpd.conf" -k graceful ;;
    esac
}

# ------------------------------------------------------------ run
log "load: $CONNS connections to /b/ for $SECS s; faults: $(tr '\n' ' ' <"$SCHED")"
prom start
T0=$(now_ms)
echo "$T0 start - -" >>"$W/events.log"
python3 "$HERE/build/soak/load.py" "$P_FRONT" /b/x "$CONNS" "$SECS" "$W/client.log" &
LOADPID=$!
SLOWPID=
while read -r at action; do
    while [ $(( $(now_ms) - T0 )) -lt "$at" ]; do sleep 0.05; done
    do_action "$action"
done <"$SCHED"
wait "$LOADPID"
[ -z "$SLOWPID" ] || wait "$SLOWPID"
echo "$(now_ms) end - -" >>"$W/events.log"
sleep 2
prom end
# state of the front at the end: every child alive, no crash
# (-X under massif: SIGTERM, the process writes its profile as it exits)
"$APACHE2" -f "$F/httpd.conf" -k "$([ "${SOAK_MASSIF:-0}" = 1 ] && echo stop || echo graceful-stop)"
for _ in $(seq 150); do kill -0 "$FRONT_PID" 2>/dev/null || break; sleep 0.2; done
for d in "${NGX[@]}"; do ngx_stop "$d"; done
[ -s "$W/stall.pid" ] && kill "$(cat "$W/stall.pid")" 2>/dev/null
cat "$W"/ngx-*/logs/access.log >"$W/backends.log" 2>/dev/null || true

# ------------------------------------------------------------ figures
rc=0
python3 "$HERE/build/soak/analyze.py" "$W" --seconds "$SECS" --retry "$RETRY" \
    --stall-bound "${HT:-$MEMBER_TIMEOUT}" --stall-kind "$([ -n "$HT" ] && echo ProxyReencryptHandshakeTimeout || echo "worker timeout=")" \
    --rev "$REV" --ports "stable=$P_STABLE,stable2=$P_STABLE2,kill=$P_KILL,rot=$P_ROT,exp=$P_EXP,stall=$P_STALL,slow=$P_SLOW" \
    | tee "$W/summary.txt" || rc=$?
cp "$W/summary.txt" /tmp/mpr-soak-summary.txt 2>/dev/null || true
exit $rc

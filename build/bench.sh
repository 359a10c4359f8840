#!/usr/bin/env bash
# build/bench.sh [--quick] [--write|--no-write] -- benchmark of mod_proxy_reencrypt
# against stock Apache (mod_ssl), nginx and HAProxy as re-encrypting fronts.
# Run by hand, never by CI. As root on Debian 12; everything on 127.0.0.1.
#
#   --quick      every timed run lasts 2 s (default 10 s), callgrind N=20
#                (default 200), start-up measured once (default 3 times);
#                results are printed and kept in the work dir, BENCHMARKS.md
#                is left alone unless --write is given.
#   --write      write the results section of BENCHMARKS.md (default for a
#                full run); --no-write: never.
#   --keep       keep the work dir (/tmp/mpr-bench.XXXXXX) for inspection.
#
# What it does (see BENCHMARKS.md for the method and the latest results):
#  - installs wrk, h2load, haproxy, nginx, valgrind if missing (apt-get);
#  - builds the module from a copy of the sources in the work dir (so a
#    concurrent `make` in the tree cannot change the .so under the run);
#  - generates the test PKI (build/pki.sh) into the work dir;
#  - starts one nginx TLS backend (good cert) with three listeners:
#      ka  TLSv1.3, used by the fronts with pooled backend connections,
#      n13 TLSv1.3, used with a new backend connection per request,
#      n12 TLSv1.2, the same forced to TLS 1.2,
#    each logging "$ssl_session_reused $ssl_protocol $status" per request;
#  - starts five plain-HTTP fronts: stock Apache (mod_ssl, SSLProxyVerify
#    require), Apache+module audit, Apache+module enforce, nginx, HAProxy,
#    each with /ka/, /n13/ and /n12/ proxied to the backend, verifying the
#    chain against root.crt and the name localhost;
#  - wrk against each front and path; the backend's log gives the share of
#    resumed handshakes; callgrind instruction counts per backend handshake;
#    start-up time and RSS with 1,000 <Proxy> sections.
# Client (wrk, curl) runs on CPU 0, every server on CPU 1 (taskset), when
# the machine has at least 2 CPUs.
set -euo pipefail

QUICK=0 WRITE= KEEP=0
for a in "$@"; do
  case $a in
    --quick) QUICK=1 ;;
    --write) WRITE=1 ;;
    --no-write) WRITE=0 ;;
    --keep) KEEP=1 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--quick] [--write|--no-write] [--keep]" >&2; exit 2 ;;
  esac
done
[ -n "$WRITE" ] || { [ $QUICK = 1 ] && WRITE=0 || WRITE=1; }
if [ $QUICK = 1 ]; then DUR=2 CG_N=20 SU_REPS=1; else DUR=8 CG_N=200 SU_REPS=3; fi
CONNS=32 THREADS=1
ROUNDS=${BENCH_ROUNDS:-3}     # load runs: fronts alternate (A B C D A B C D ...), ROUNDS rounds
[ -z "${BENCH_CG_N:-}" ] || CG_N=$BENCH_CG_N
# BENCH_CG_BASE=M (development, default 0): the base run serves M requests
# instead of none, Ir/request = (total(N) - total(M)) / (N - M): what a
# request costs once every worker thread has served one (per-thread first
# use -- OpenSSL's per-thread state, APR allocators -- cancels out).
CG_BASE=${BENCH_CG_BASE:-0}
PHASES=" ${BENCH_PHASES:-load k5x4 cg startup} "   # development: BENCH_PHASES="cg" etc.
# A partial run prints its tables but never replaces the full results.
[ -z "${BENCH_PHASES:-}" ] || [ "$WRITE" = 1 -a -n "${BENCH_FORCE_WRITE:-}" ] || WRITE=0
[ -z "${BENCH_CG_SET:-}${BENCH_FRONTS:-}${BENCH_PATHS:-}" ] || WRITE=0
has() { [[ $PHASES == *" $1 "* ]]; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$HERE/build/lib/conf.sh"
CMDLINE="build/bench.sh $*"
[ "$(id -u)" = 0 ] || { echo "bench.sh: run as root (apt-get, User nobody)" >&2; exit 1; }

# ------------------------------------------------------------ dependencies
need=()
for p in wrk:wrk h2load:nghttp2-client haproxy:haproxy nginx:nginx valgrind:valgrind \
         apache2:apache2 apxs:apache2-dev curl:curl python3:python3; do
  command -v "${p%%:*}" >/dev/null 2>&1 || [ -x "/usr/sbin/${p%%:*}" ] || need+=("${p#*:}")
done
dpkg-query -W -f='${Status}' apache2-ssl-dev 2>/dev/null | grep -q 'ok installed' || need+=(apache2-ssl-dev)
dpkg-query -W -f='${Status}' libssl-dev 2>/dev/null | grep -q 'ok installed' || need+=(libssl-dev)
if [ ${#need[@]} -gt 0 ]; then
  echo "bench.sh: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # keep the system nginx/haproxy/apache2 services down
  rm_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; rm_policy=1
  fi
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  [ $rm_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
fi
command -v perf >/dev/null 2>&1 || echo "bench.sh: (optional) linux-perf not installed; not used"
APACHE2=$(command -v apache2 || echo /usr/sbin/apache2)
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)
MODDIR=$(apxs -q LIBEXECDIR)

if [ "$(nproc)" -ge 2 ]; then
  CLI=(taskset -c 0) SRV=(taskset -c 1)
  PINNING="client (wrk, curl) pinned to CPU 0 with taskset -c 0; every server (backend nginx, fronts, valgrind) to CPU 1 with taskset -c 1"
else
  CLI=() SRV=()
  PINNING="no pinning (fewer than 2 CPUs)"
fi

# ------------------------------------------------------------ work dir, cleanup
W=$(mktemp -d /tmp/mpr-bench.XXXXXX)
chmod 755 "$W"
PIDFILES=()   # pidfiles of servers we started
VGPID=
cleanup() {
  set +e
  [ -n "$VGPID" ] && kill "$VGPID" 2>/dev/null && wait "$VGPID" 2>/dev/null
  [ -s "$W/vgpid" ] && kill "$(cat "$W/vgpid")" 2>/dev/null
  for pf in "${PIDFILES[@]}"; do
    [ -s "$pf" ] || continue
    pid=$(cat "$pf")
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  done
  if [ $KEEP = 1 ]; then echo "bench.sh: work dir kept: $W" >&2; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "bench.sh: $*" >&2; }

# ------------------------------------------------------------ build, PKI
log "building the module (copy of the sources in $W/src)"
mkdir -p "$W/src"
cp -a "$HERE/Makefile" "$HERE/mod_proxy_reencrypt" "$W/src/"
rm -rf "$W/src/mod_proxy_reencrypt/.libs" "$W/src/mod_proxy_reencrypt"/*.{la,lo,slo,o} 2>/dev/null || true
make -s -C "$W/src" >/dev/null
SO=$W/src/mod_proxy_reencrypt/.libs/mod_proxy_reencrypt.so
[ -f "$SO" ] || { log "build failed"; exit 1; }
REV=$(cd "$HERE" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(cd "$HERE" && git status --porcelain -- mod_proxy_reencrypt 2>/dev/null | wc -l)
log "generating the PKI"
bash "$HERE/build/pki.sh" "$W/pki" >/dev/null
PKI=$W/pki
chmod -R a+rX "$W"

# ------------------------------------------------------------ ports
ports() { python3 - "$1" <<'PY'
import socket, sys
s=[socket.socket() for _ in range(int(sys.argv[1]))]
for x in s: x.bind(("127.0.0.1",0))
print(*[x.getsockname()[1] for x in s])
PY
}
read -r P_KA P_N13 P_N12 P_STOCK P_AUDIT P_ENF P_NGX P_HAP P_CG P_SU P_K5 P_K52 P_X4 < <(ports 13)

wait_port() {  # port [tries]: until an HTTP answer (any status) comes back
  local i
  for i in $(seq "${2:-100}"); do
    curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$1/" && return 0
    sleep 0.1
  done
  return 1
}

# ------------------------------------------------------------ backend nginx
B=$W/backend
mkdir -p "$B/logs" "$B/tmp"
{ ngx_head "$B" 4096; cat <<EOF; } >"$B/nginx.conf"
  default_type text/plain;
  log_format reuse '\$ssl_session_reused \$ssl_protocol \$status \$request_uri xfp=\$http_x_forwarded_proto xfport=\$http_x_forwarded_port xri=\$http_x_real_ip xff=\$http_x_forwarded_for xfh=\$http_x_forwarded_host \$connection';
  keepalive_timeout 65;
  keepalive_requests 1000000;
  ssl_certificate $PKI/good-chain.crt;
  ssl_certificate_key $PKI/good.key;
  ssl_session_cache shared:S:10m;
  ssl_session_tickets on;
  ssl_session_timeout 1h;
EOF
# k5/k52: pooled backend connections closed by the backend every 5 requests
for l in ka:$P_KA:TLSv1.3 n13:$P_N13:TLSv1.3 n12:$P_N12:TLSv1.2 k5:$P_K5:TLSv1.3:5 k52:$P_K52:TLSv1.2:5; do
  IFS=: read -r name port proto kar <<<"$l"
  cat >>"$B/nginx.conf" <<EOF
  server {
    listen 127.0.0.1:$port ssl;
    server_name localhost;
    ssl_protocols $proto;
    ${kar:+keepalive_requests $kar;}
    # a stapled OCSP response, sent only to clients that ask for one
    # (status_request: the module under ProxyReencryptOCSP staple, cg mode
    # enforce-staple); the other fronts never ask
    ssl_stapling on;
    ssl_stapling_file $PKI/ocsp-good.der;
    access_log $B/logs/$name.log reuse;
    location / { return 200 "hello from the backend\n"; }
  }
EOF
done
echo "}" >>"$B/nginx.conf"
"${SRV[@]}" "$NGINX" -c "$B/nginx.conf" -p "$B"
PIDFILES+=("$B/nginx.pid")

# ------------------------------------------------------------ Apache fronts
# apache_conf DIR PORT KIND [extra lines...]; KIND = stock|audit|enforce|cg-stock|cg-enforce
MPM_SETTINGS="StartServers 2
MinSpareThreads 25
MaxSpareThreads 75
ThreadLimit 64
ThreadsPerChild 25
MaxRequestWorkers 150
MaxConnectionsPerChild 0"
# issue 11, resumption across children: exactly 4 children of 16 threads, c=64
MPM_X4="ServerLimit 4
StartServers 4
ThreadLimit 16
ThreadsPerChild 16
MinSpareThreads 1
MaxSpareThreads 64
MaxRequestWorkers 64
MaxConnectionsPerChild 0"
apache_conf() {
  # addressttl: mod_proxy would resolve "localhost" for every new connection
  # otherwise (the module's start-up note PRE0015); the same for both fronts.
  local d=$1 port=$2 kind=$3 mod= ssl= reuse_n=" disablereuse=On addressttl=300"
  mkdir -p "$d/logs"
  case $kind in
    stock|cg-stock|cg-stock-hdr)
      ssl="SSLProxyEngine on
  SSLProxyVerify require
  SSLProxyVerifyDepth 4
  SSLProxyCACertificateFile $PKI/root.crt" ;;
    audit)
      mod="LoadModule proxy_reencrypt_module $SO"
      ssl="SSLProxyEngine on
  SSLProxyVerify require
  SSLProxyVerifyDepth 4
  SSLProxyCACertificateFile $PKI/root.crt
  ProxyReencryptPolicy audit" ;;
    enforce|cg-enforce*|enforce-x4)
      mod="LoadModule proxy_reencrypt_module $SO"
      ssl="SSLProxyEngine on
  ProxyReencryptPolicy enforce
  ProxyReencryptCACertificateFile $PKI/root.crt" ;;
  esac
  case $kind in
    cg-enforce-full) ssl="$ssl
  ProxyReencryptSessionCache off" ;;
    cg-enforce-nofwd) ssl="$ssl
  ProxyReencryptForwarded off" ;;
    cg-stock-hdr)
      # issue 10's fair row: stock sending the module's xff header set
      # (ProxyAddHeaders gives X-Forwarded-For/-Host/-Server; mod_headers
      # the other three, with the values the module sends on this plain-HTTP
      # front: proto http, the front's port, the client address)
      mod="LoadModule headers_module $MODDIR/mod_headers.so"
      ssl="$ssl
  RequestHeader set X-Forwarded-Proto http
  RequestHeader set X-Forwarded-Port $port
  RequestHeader set X-Real-IP \"%{REMOTE_ADDR}s\"" ;;
    cg-enforce-staple) ssl="$ssl
  ProxyReencryptOCSP staple" ;;
    cg-enforce-staple-full) ssl="$ssl
  ProxyReencryptOCSP staple
  ProxyReencryptSessionCache off" ;;
  esac
  local mpm=$MPM_SETTINGS
  [ "$kind" = enforce-x4 ] && mpm=$MPM_X4
  { httpd_head "$d" "$d/logs" "$d/logs/error.log" mpm_event authz_core proxy proxy_http ssl "$mod"
  cat <<EOF
Listen 127.0.0.1:$port
$mpm
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 5
<VirtualHost 127.0.0.1:$port>
  $ssl
  ProxyPass /ka/  https://localhost:$P_KA/ka/
  ProxyPass /n13/ https://localhost:$P_N13/n13/$reuse_n
  ProxyPass /n12/ https://localhost:$P_N12/n12/$reuse_n
  ProxyPass /k5/  https://localhost:$P_K5/k5/
  ProxyPass /k52/ https://localhost:$P_K52/k52/
</VirtualHost>
EOF
  } >"$d/httpd.conf"
  chmod -R a+rX "$d"
}
apache_start() {  # dir port
  "${SRV[@]}" "$APACHE2" -f "$1/httpd.conf" -k start
  PIDFILES+=("$1/httpd.pid")
  wait_port "$2" || { log "apache in $1 did not start"; cat "$1/logs/error.log" >&2; exit 1; }
}
apache_stop() {  # dir
  local pid
  [ -s "$1/httpd.pid" ] || return 0
  pid=$(cat "$1/httpd.pid")
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
}

for f in stock:$P_STOCK enforce:$P_ENF; do
  apache_conf "$W/${f%%:*}" "${f#*:}" "${f%%:*}"
  apache_start "$W/${f%%:*}" "${f#*:}"
done

# ------------------------------------------------------------ nginx front
N=$W/nginxfront
mkdir -p "$N/logs" "$N/tmp"
{ ngx_head "$N" 4096; cat <<EOF; } >"$N/nginx.conf"
  access_log off;
  keepalive_requests 1000000;
  upstream b_ka  { server 127.0.0.1:$P_KA; keepalive 64; keepalive_requests 1000000; }
  upstream b_n13 { server 127.0.0.1:$P_N13; }
  upstream b_n12 { server 127.0.0.1:$P_N12; }
  upstream b_k5  { server 127.0.0.1:$P_K5; keepalive 64; }
  upstream b_k52 { server 127.0.0.1:$P_K52; keepalive 64; }
  server {
    listen 127.0.0.1:$P_NGX;
    proxy_ssl_verify on;
    proxy_ssl_protocols TLSv1.2 TLSv1.3;
    proxy_ssl_verify_depth 4;
    proxy_ssl_trusted_certificate $PKI/root.crt;
    proxy_ssl_session_reuse on;
    proxy_ssl_name localhost;
    proxy_ssl_server_name on;
    location /ka/  { proxy_pass https://b_ka; proxy_http_version 1.1; proxy_set_header Connection ""; }
    location /n13/ { proxy_pass https://b_n13; }
    location /n12/ { proxy_pass https://b_n12; }
    location /k5/  { proxy_pass https://b_k5; proxy_http_version 1.1; proxy_set_header Connection ""; }
    location /k52/ { proxy_pass https://b_k52; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
EOF
chmod -R a+rX "$N"
"${SRV[@]}" "$NGINX" -c "$N/nginx.conf" -p "$N"
PIDFILES+=("$N/nginx.pid")

# ------------------------------------------------------------ HAProxy front
H=$W/haproxy
mkdir -p "$H"
srv="127.0.0.1:PORT ssl verify required ca-file $PKI/root.crt sni str(localhost) verifyhost localhost"
cat >"$H/haproxy.cfg" <<EOF
global
  maxconn 4096
  nbthread 1
  pidfile $H/haproxy.pid
  daemon
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  timeout http-keep-alive 5s
frontend f
  bind 127.0.0.1:$P_HAP
  use_backend n13 if { path_beg /n13/ }
  use_backend n12 if { path_beg /n12/ }
  use_backend k5 if { path_beg /k5/ }
  use_backend k52 if { path_beg /k52/ }
  default_backend ka
backend ka
  http-reuse safe
  server b ${srv/PORT/$P_KA}
backend n13
  http-reuse never
  option http-server-close
  server b ${srv/PORT/$P_N13}
backend n12
  http-reuse never
  option http-server-close
  server b ${srv/PORT/$P_N12}
backend k5
  http-reuse safe
  server b ${srv/PORT/$P_K5}
backend k52
  http-reuse safe
  server b ${srv/PORT/$P_K52}
EOF
"${SRV[@]}" "$HAPROXY" -q -f "$H/haproxy.cfg"
PIDFILES+=("$H/haproxy.pid")

for p in "$P_STOCK" "$P_ENF" "$P_NGX" "$P_HAP"; do
  wait_port "$p" || { log "front on $p did not come up"; exit 1; }
done

FRONTS=${BENCH_FRONTS:-"stock enforce nginx haproxy"}   # development: BENCH_FRONTS="enforce"
PATHS=${BENCH_PATHS:-"ka n13 n12 k5 k52"}   # development: BENCH_PATHS="n13"
declare -A FPORT=([stock]=$P_STOCK [audit]=$P_AUDIT [enforce]=$P_ENF [nginx]=$P_NGX [haproxy]=$P_HAP)
declare -A FNAME=([stock]="Apache stock (mod_ssl)" [audit]="Apache + module, audit"
                  [enforce]="Apache + module, enforce" [nginx]="nginx" [haproxy]="HAProxy")
declare -A FERR=([stock]=$W/stock/logs/error.log [audit]=$W/audit/logs/error.log
                 [enforce]=$W/enforce/logs/error.log [nginx]=$N/logs/error.log [haproxy]=/dev/null)

# sanity: every front answers 200 with the backend's body on every path
for f in $FRONTS; do
  for path in $PATHS; do
    body=$(curl -s --max-time 5 -w ' %{http_code}' "http://127.0.0.1:${FPORT[$f]}/$path/x")
    case $body in "hello from the backend"*" 200") ;;
      *) log "sanity check failed: $f /$path/ -> $body"; cat "${FERR[$f]}" >&2; exit 1 ;; esac
  done
done
log "all fronts answer; runs of ${DUR}s, wrk -t$THREADS -c$CONNS"

# ------------------------------------------------------------ load runs
# Every (front, path) is run ROUNDS times; within a path the fronts alternate
# (stock enforce nginx haproxy stock enforce ...), so that a drift of the
# machine (another job, thermal) hits every front alike. Reported: median of
# the rounds, with min-max. Resumed shares are summed over the rounds.
declare -A RPS P50 P99 NON2XX SOCKERR RES TOT ERRLINES RPS_ALL
ms() {  # wrk latency "1.23ms" / "850.00us" / "1.02s" -> ms
  awk -v v="$1" 'BEGIN{ n=v; sub(/[a-z]+$/,"",n); u=v; sub(/^[0-9.]+/,"",u);
    f=(u=="us")?0.001:(u=="ms")?1:(u=="s")?1000:(u=="m")?60000:1; printf "%.2f", n*f }'
}
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
ERRDIR=$W/errlines; mkdir -p "$ERRDIR"
run_one() {  # front path round [port conns]
  local f=$1 path=$2 rnd=$3 port=${4:-${FPORT[$1]}} conns=${5:-$CONNS} out blog before after elb ela k=$1.$2
  blog=$B/logs/$path.log
  sleep 1
  before=$(wc -l <"$blog"); elb=$(wc -l <"${FERR[$f]}" 2>/dev/null || echo 0)
  out=$("${CLI[@]}" wrk -t$THREADS -c$conns -d${DUR}s --timeout 5s --latency \
        "http://127.0.0.1:$port/$path/x" 2>&1) || true
  echo "$out" >"$W/wrk.$f.$path.$rnd.txt"
  sleep 0.5
  after=$(wc -l <"$blog"); ela=$(wc -l <"${FERR[$f]}" 2>/dev/null || echo 0)
  local rps p50 p99 n2 se tot res
  rps=$(awk '/^Requests\/sec:/{printf "%.0f", $2}' <<<"$out")
  p50=$(ms "$(awk '$1=="50%"{print $2}' <<<"$out")")
  p99=$(ms "$(awk '$1=="99%"{print $2}' <<<"$out")")
  n2=$(awk '/Non-2xx/{print $NF}' <<<"$out"); n2=${n2:-0}
  se=$(awk '/Socket errors/{gsub(/,/,""); print $4+$6+$8+$10}' <<<"$out"); se=${se:-0}
  # resumed share: the first request of each backend connection is its handshake
  # (new-connection paths: every request; k5: every 5th); $ssl_session_reused
  # is per connection, so count the handshakes by the requests that started one
  tot=$(tail -n +"$((before + 1))" "$blog" | head -n "$((after - before))" | wc -l)
  res=$(tail -n +"$((before + 1))" "$blog" | head -n "$((after - before))" | awk '$1=="r"' | wc -l)
  # backend connections the run used (nginx $connection, the last field)
  local bconns
  bconns=$(tail -n +"$((before + 1))" "$blog" | head -n "$((after - before))" | awk '{print $NF}' | sort -u | wc -l)
  RPS_ALL[$k]="${RPS_ALL[$k]:-} $rps"
  P50[$k]="${P50[$k]:-} $p50"; P99[$k]="${P99[$k]:-} $p99"
  NON2XX[$k]=$(( ${NON2XX[$k]:-0} + n2 )); SOCKERR[$k]=$(( ${SOCKERR[$k]:-0} + se ))
  TOT[$k]=$(( ${TOT[$k]:-0} + tot )); RES[$k]=$(( ${RES[$k]:-0} + res ))
  ERRLINES[$k]=$(( ${ERRLINES[$k]:-0} + ela - elb ))
  if [ "$ela" -gt "$elb" ]; then
    tail -n +"$((elb + 1))" "${FERR[$f]}" >>"$ERRDIR/$f.$path.log"
  fi
  log "$(printf 'round %s %-8s /%-4s %8s req/s  p50 %6s ms  p99 %7s ms  non-2xx %s  sockerr %s  backend: %s/%s resumed, %s connections  error_log +%s' \
    "$rnd" "$f" "$path" "$rps" "$p50" "$p99" "$n2" "$se" "$res" "$tot" "$bconns" "$((ela - elb))")"
}
# "median (min-max)" of a list
mmm() { local l; l=$(tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -n);
  [ -n "$l" ] || { echo "n/a"; return; }
  echo "$(median <<<"$l") ($(head -1 <<<"$l")–$(tail -1 <<<"$l"))"; }
med() { tr ' ' '\n' <<<"$1" | grep -v '^$' | median; }
UPTIME_BEFORE=$(uptime)
if has load; then
for path in $PATHS; do
  for rnd in $(seq "$ROUNDS"); do
    for f in $FRONTS; do run_one "$f" "$path" "$rnd"; done
  done
  for f in $FRONTS; do RPS[$f.$path]=$(med "${RPS_ALL[$f.$path]}"); done
done
fi
UPTIME_AFTER_LOAD=$(uptime)

# Error log lines of the Apache fronts over the whole load phase (not only runs)
for f in stock enforce; do
  grep -v -e 'AH00489' -e 'AH00094' -e 'resuming normal operations' -e 'AH01873' "${FERR[$f]}" \
    >"$ERRDIR/$f.all.log" 2>/dev/null || true
done

for f in stock enforce; do apache_stop "$W/$f"; done
kill -QUIT "$(cat "$N/nginx.pid")" 2>/dev/null || true
kill -USR1 "$(cat "$H/haproxy.pid")" 2>/dev/null || true

# ------------------------------------------------------------ k5 across 4 children
# Resumption with per-child session caches: an enforce front with exactly 4
# children (16 threads each), wrk -c64, the backend closing every pooled
# connection after 5 requests (k5: TLS 1.3, k52: TLS 1.2).
declare -A X4_RES X4_TOT X4_RPS
if has k5x4; then
  apache_conf "$W/x4" "$P_X4" enforce-x4
  apache_start "$W/x4" "$P_X4"
  FERR[x4]=$W/x4/logs/error.log
  for path in k5 k52; do
    # warm-up: every child and thread opens its first connections (all at
    # once: full handshakes, whatever the cache), then the measured run
    "${CLI[@]}" wrk -t$THREADS -c64 -d2s "http://127.0.0.1:$P_X4/$path/warmup" >/dev/null 2>&1 || true
    RPS_ALL[x4.$path]= RES[x4.$path]=0 TOT[x4.$path]=0
    run_one x4 "$path" 1 "$P_X4" 64
    X4_RES[$path]=${RES[x4.$path]} X4_TOT[$path]=${TOT[x4.$path]} X4_RPS[$path]=$(med "${RPS_ALL[x4.$path]}")
  done
  X4_CHILDREN=$(pgrep -P "$(cat "$W/x4/httpd.pid")" | wc -l)
  apache_stop "$W/x4"
fi

# ------------------------------------------------------------ callgrind
# Each front as a single process under callgrind with the default
# --collect-atstart=yes: the whole process is counted, start-up included.
# Each (front, mode) is run twice, with N requests and with 0 requests
# (both after the same readiness probe and one warm-up proxied request, which
# also leaves a session to resume), and the difference of the two totals is
# divided by N: start-up, the warm-up and shutdown cancel out. The N requests
# go over one client keep-alive connection (curl URL globbing).
#   full13: /n13/, a new backend connection per request, no resumption
#           (module: ProxyReencryptSessionCache off; nginx:
#           proxy_ssl_session_reuse off; HAProxy: no-ssl-reuse);
#   res13 / res12: /n13/ / /n12/ with resumption on (stock never resumes);
#   ka:     /ka/, pooled backend connections (the module also with
#           ProxyReencryptForwarded off: the issue 9 figure).
# Apache: `apache2 -X`; nginx: `master_process off; daemon off`; HAProxy:
# `-db`, nbthread 1. Every server process runs as nobody (callgrind writes its
# file at exit, after httpd's setuid).
declare -A CG_IR CG_CODES
cg_server() {  # front mode dir -> starts it under valgrind (VGPID)
  local f=$1 mode=$2 d=$3 kind
  case $f in
    stock|enforce)
      kind=cg-$f
      [ "$f" = enforce ] && [ "$mode" = full13 ] && kind=cg-enforce-full
      apache_conf "$d" "$P_CG" "$kind"
      chown -R nobody:nogroup "$d"
      "${SRV[@]}" setpriv --reuid=nobody --regid=nogroup --clear-groups \
        valgrind --tool=callgrind --vgdb=no ${BENCH_VG_OPTS:-} --callgrind-out-file="$d/cg.out" \
          "$APACHE2" -X -f "$d/httpd.conf" >"$d/valgrind.log" 2>&1 & ;;
    enforce-nofwd|enforce-staple|stock-hdr)
      kind=cg-$f
      [ "$f" = enforce-staple ] && [ "$mode" = full13 ] && kind=cg-enforce-staple-full
      apache_conf "$d" "$P_CG" "$kind"
      chown -R nobody:nogroup "$d"
      "${SRV[@]}" setpriv --reuid=nobody --regid=nogroup --clear-groups \
        valgrind --tool=callgrind --vgdb=no ${BENCH_VG_OPTS:-} --callgrind-out-file="$d/cg.out" \
          "$APACHE2" -X -f "$d/httpd.conf" >"$d/valgrind.log" 2>&1 & ;;
    nginx)
      mkdir -p "$d/logs" "$d/tmp"
      sed -e "s|^user .*||; s|^daemon on;|daemon off;\nmaster_process off;|; s|^pid .*|pid $d/nginx.pid;|" \
          -e "s|error_log $N/logs/error.log|error_log $d/logs/error.log|; s|$N/tmp|$d/tmp|g" \
          -e "s|listen 127.0.0.1:$P_NGX;|listen 127.0.0.1:$P_CG;|" "$N/nginx.conf" >"$d/nginx.conf"
      [ "$mode" = full13 ] && sed -i 's|proxy_ssl_session_reuse on;|proxy_ssl_session_reuse off;|' "$d/nginx.conf"
      chown -R nobody:nogroup "$d"
      "${SRV[@]}" setpriv --reuid=nobody --regid=nogroup --clear-groups \
        valgrind --tool=callgrind --vgdb=no ${BENCH_VG_OPTS:-} --callgrind-out-file="$d/cg.out" \
          "$NGINX" -e "$d/logs/error.log" -c "$d/nginx.conf" -p "$d" >"$d/valgrind.log" 2>&1 & ;;
    haproxy)
      mkdir -p "$d"
      sed -e "s|bind 127.0.0.1:$P_HAP|bind 127.0.0.1:$P_CG|; s|^  daemon$||; s|pidfile .*|pidfile $d/haproxy.pid|" \
          "$H/haproxy.cfg" >"$d/haproxy.cfg"
      [ "$mode" = full13 ] && sed -i 's|verifyhost localhost|verifyhost localhost no-ssl-reuse|' "$d/haproxy.cfg"
      chown -R nobody:nogroup "$d"
      "${SRV[@]}" setpriv --reuid=nobody --regid=nogroup --clear-groups \
        valgrind --tool=callgrind --vgdb=no ${BENCH_VG_OPTS:-} --callgrind-out-file="$d/cg.out" \
          "$HAPROXY" -db -f "$d/haproxy.cfg" >"$d/valgrind.log" 2>&1 & ;;
  esac
  VGPID=$!
  echo "$VGPID" >"$W/vgpid"   # cg_one runs in $(...): the cleanup trap reads it here
}
cg_one() {  # front mode n -> prints total Ir
  local f=$1 mode=$2 n=$3 d=$W/cg-$1-$2-$3 codes= t path
  case $mode in full13|res13) path=n13 ;; res12) path=n12 ;; ka) path=ka ;; esac
  rm -rf "$d"; mkdir -p "$d"
  cg_server "$f" "$mode" "$d"
  wait_port "$P_CG" 1200 || { log "$f under callgrind did not start"; cat "$d/valgrind.log" >&2; exit 1; }
  curl -s -o /dev/null --max-time 60 "http://127.0.0.1:$P_CG/$path/warmup"
  if [ "$n" -gt 0 ]; then
    codes=$("${CLI[@]}" curl -s -o /dev/null --max-time 1800 -w '%{http_code}\n' \
              "http://127.0.0.1:$P_CG/$path/[1-$n]" | sort | uniq -c | awk '{printf "%s×%s ", $1, $2}')
  fi
  echo "$codes" >"$d/codes"
  kill -TERM "$VGPID" 2>/dev/null || true
  for t in $(seq 600); do kill -0 "$VGPID" 2>/dev/null || break; sleep 0.1; done
  wait "$VGPID" 2>/dev/null || true
  VGPID=
  awk '/^(totals|summary):/{print $2; exit}' "$d/cg.out"
}
CG_SET="stock:full13 stock:ka enforce:full13 enforce:res13 enforce:res12 enforce:ka enforce-nofwd:ka
        nginx:full13 nginx:res13 nginx:res12 nginx:ka haproxy:full13 haproxy:res13 haproxy:res12 haproxy:ka"
# BENCH_VG_OPTS="--dump-instr=yes": extra valgrind options (development).
# BENCH_CG_SET="enforce:full13 enforce-staple:full13 ...": only these (a
# partial run; enforce-staple = enforce + ProxyReencryptOCSP staple, the
# backend stapling a good response: BENCHMARKS.md "OCSP staple cost";
# stock-hdr = stock + mod_headers sending the module's xff header set:
# BENCHMARKS.md "Pooled keep-alive, issues 9 and 10")
CG_SET=${BENCH_CG_SET:-$CG_SET}
has cg && for fm in $CG_SET; do
  f=${fm%%:*} mode=${fm#*:}
  full=$(cg_one "$f" "$mode" "$CG_N"); zero=$(cg_one "$f" "$mode" "$CG_BASE")
  CG_IR[$f.$mode]=$(( (full - zero) / (CG_N - CG_BASE) ))
  CG_CODES[$f.$mode]=$(cat "$W/cg-$f-$mode-$CG_N/codes")
  log "callgrind $f $mode: $full Ir with $CG_N requests (${CG_CODES[$f.$mode]}), $zero Ir with $CG_BASE: ${CG_IR[$f.$mode]} Ir/request"
  case $f in stock*|enforce*)
    callgrind_annotate --inclusive=yes "$W/cg-$f-$mode-$CG_N/cg.out" 2>/dev/null \
      | grep -E ' (pr_|proxy_reencrypt|ssl_hook|X509_verify_cert|SSL_do_handshake|ssl_io|EVP_PKEY_keygen)' \
      | head -30 >"$W/cg-$f-$mode.top.txt" || true ;;
  esac
done

# ------------------------------------------------------------ 1,000 backends
# Start-up time (launch of `apache2 -k start` until the port answers) and the
# summed RSS of the parent and its children once up, median of SU_REPS runs.
declare -A SU_MS SU_RSS SU_T
su_conf() {  # dir kind
  local d=$1 kind=$2 i sect
  apache_conf "$d" "$P_SU" stock
  case $kind in
    module) sed -i "s|^LoadModule ssl_module.*|&\nLoadModule proxy_reencrypt_module $SO|" "$d/httpd.conf"
            sed -i "s|^  SSLProxyEngine on|&\n  ProxyReencryptPolicy enforce\n  ProxyReencryptCACertificateFile $PKI/root.crt|" "$d/httpd.conf" ;;
  esac
  sed -i '/^<\/VirtualHost>/d' "$d/httpd.conf"
  for i in $(seq 1 1000); do
    case $kind in
      stock)    sect="  ProxySet timeout=30" ;;
      stockssl) sect="  ProxySet timeout=30
  SSLProxyCheckPeerName on" ;;
      module)   sect="  ProxySet timeout=30
  ProxyReencryptExpectName backend$i.test" ;;
    esac
    printf '  ProxyPass /b%d/ https://backend%d.test:8443/\n  <Proxy https://backend%d.test:8443>\n%s\n  </Proxy>\n' "$i" "$i" "$i" "$sect"
  done >>"$d/httpd.conf"
  echo "</VirtualHost>" >>"$d/httpd.conf"
}
has startup && for kind in stock module stockssl; do
  d=$W/su-$kind
  su_conf "$d" "$kind"
  t0=$(date +%s%N); "$APACHE2" -t -f "$d/httpd.conf" >"$d/configtest.txt" 2>&1 || { log "configtest $kind failed"; cat "$d/configtest.txt" >&2; exit 1; }
  SU_T[$kind]=$(( ($(date +%s%N) - t0) / 1000000 ))
  : >"$d/ms"; : >"$d/rss"
  for r in $(seq $SU_REPS); do
    t0=$(date +%s%N)
    "${SRV[@]}" "$APACHE2" -f "$d/httpd.conf" -k start
    PIDFILES+=("$d/httpd.pid")
    for _ in $(seq 3000); do curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$P_SU/" && break; sleep 0.01; done
    echo $(( ($(date +%s%N) - t0) / 1000000 )) >>"$d/ms"
    sleep 2   # let the children finish their init
    ppid_=$(cat "$d/httpd.pid")
    ps -o rss= -p "$ppid_" $(pgrep -P "$ppid_" | sed 's/^/-p /') | awk '{s+=$1} END{print s}' >>"$d/rss"
    apache_stop "$d"
    sleep 0.5
  done
  SU_MS[$kind]=$(median <"$d/ms"); SU_RSS[$kind]=$(median <"$d/rss")
  log "1000 backends, $kind: configtest ${SU_T[$kind]} ms, start-to-ready ${SU_MS[$kind]} ms, RSS ${SU_RSS[$kind]} kB"
done
UPTIME_END=$(uptime)

# ------------------------------------------------------------ report
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b+0==0) print "n/a"; else printf "%.2f×", a/b }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b+0==0) print "n/a"; else printf "%.1f%%", 100*a/b }'; }
R=$W/results.md
set +u
{
  echo "Run of $(date -u '+%Y-%m-%d %H:%M UTC')$([ $QUICK = 1 ] && echo ' (**--quick**: 2 s runs, not for comparison)'): \`$CMDLINE\`,"
  echo "module at commit $REV$([ "$DIRTY" -gt 0 ] && echo " plus $DIRTY uncommitted changed file(s) in mod_proxy_reencrypt/")."
  echo
  echo "### Machine and versions"
  echo
  echo "- nproc: $(nproc); CPU: $(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)"
  echo "- load: before the load runs \`$UPTIME_BEFORE\`; after them \`$UPTIME_AFTER_LOAD\`; at the end \`$UPTIME_END\`"
  echo "- $("$APACHE2" -v | head -1 | sed 's/^Server version: //'); $("$NGINX" -v 2>&1 | sed 's/^nginx version: //'); $("$HAPROXY" -v | head -1 | awk '{print "HAProxy "$3}'); $(openssl version); $(wrk -v 2>&1 | head -1 | awk '{print "wrk "$2}'); $(valgrind --version)"
  echo "- pinning: $PINNING"
  echo "- client: \`wrk -t$THREADS -c$CONNS -d${DUR}s --timeout 5s --latency http://127.0.0.1:PORT/PATH/x\`, per path the fronts alternate, $ROUNDS rounds"
  echo "- Apache fronts: event MPM, $(echo "$MPM_SETTINGS" | tr '\n' ',' | sed 's/,$//; s/,/, /g'), KeepAlive On, MaxKeepAliveRequests 0; nginx front and backend: worker_processes 1; HAProxy: nbthread 1"
  echo
  echo "### 1. Targets of issue 11 (this run)"
  # ratios and shares judged as printed: enough digits that rounding never turns a miss into "met"
  echo
  cgr() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b+0==0) print "n/a"; else printf "%.4f", a/b }'; }
  met() { awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN{ if (v=="n/a"||v=="") {print "n/a"; exit}
          ok = (op=="<=") ? (v+0 <= t+0) : (v+0 >= t+0); print ok ? "**met**" : "not met" }'; }
  share() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b+0==0) print "n/a"; else printf "%.2f", 100*a/b }'; }
  echo "| target | measured | met? |"
  echo "|---|---:|---|"
  v=$(cgr "${CG_IR[enforce.res13]}" "${CG_IR[nginx.res13]}"); echo "| callgrind resumed TLS 1.3, module enforce ≤ 1.10× nginx | ${v}× | $(met "$v" "<=" 1.10) |"
  v=$(cgr "${CG_IR[enforce.res12]}" "${CG_IR[nginx.res12]}"); echo "| callgrind resumed TLS 1.2, module enforce ≤ 0.60× nginx | ${v}× | $(met "$v" "<=" 0.60) |"
  v=$(cgr "${CG_IR[enforce.full13]}" "${CG_IR[stock.full13]}"); echo "| callgrind full TLS 1.3 handshake, module enforce ≤ 1.01× stock | ${v}× | $(met "$v" "<=" 1.01) |"
  v=$(cgr "${CG_IR[enforce-nofwd.ka]}" "${CG_IR[stock.ka]}"); echo "| issue 9: callgrind pooled keep-alive, enforce + \`ProxyReencryptForwarded off\` ≤ 1.02× stock \`SSLProxyVerify require\` | ${v}× | $(met "$v" "<=" 1.02) |"
  for pth in n13 n12; do
    v=$(share "${RES[enforce.$pth]}" "${TOT[enforce.$pth]}"); echo "| resumed share, new connection per request, TLS 1.${pth#n1}, module enforce ≥ 98 % | ${v} % (${RES[enforce.$pth]}/${TOT[enforce.$pth]}) | $(met "$v" ">=" 98) |"
  done
  for pth in k5 k52; do
    v=$(share "${RES[enforce.$pth]}" "${TOT[enforce.$pth]}"); t=$([ $pth = k5 ] && echo 1.3 || echo 1.2)
    echo "| resumed share of backend connections, backend closing every 5 requests, TLS $t, module enforce ≥ 95 % | ${v} % (${RES[enforce.$pth]}/${TOT[enforce.$pth]} requests resumed) | $(met "$v" ">=" 95) |"
    v=$(share "${X4_RES[$pth]}" "${X4_TOT[$pth]}")
    echo "| the same with 4 children, c=64 ≥ 95 % | ${v} % (${X4_RES[$pth]}/${X4_TOT[$pth]}) | $(met "$v" ">=" 95) |"
  done
  v=$(cgr "${RPS[enforce.n13]}" "${RPS[stock.n13]}"); echo "| wall clock, new connection per request, TLS 1.3, median: module enforce ≥ 1.9× stock | ${v}× | $(met "$v" ">=" 1.9) |"
  v=$(cgr "${RPS[enforce.n12]}" "${RPS[stock.n12]}"); echo "| wall clock, new connection per request, TLS 1.2, median: module enforce ≥ 2.5× stock | ${v}× | $(met "$v" ">=" 2.5) |"
  v=$(cgr "${RPS[enforce.ka]}" "${RPS[stock.ka]}"); echo "| wall clock, pooled keep-alive, median: module enforce ≥ 0.98× stock | ${v}× | $(met "$v" ">=" 0.98) |"
  echo
  echo "### 2. Wall clock: req/s, median of $ROUNDS alternating rounds (min–max)"
  echo
  echo "Paths: \`ka\` pooled backend connections (TLS 1.3); \`n13\`/\`n12\` a new backend connection per request (Apache \`disablereuse=On addressttl=300\`; nginx no upstream keepalive; HAProxy \`http-reuse never\` + \`option http-server-close\`), backend TLS 1.3 / 1.2 only; \`k5\`/\`k52\` pooled, but the backend closes every connection after 5 requests (nginx \`keepalive_requests 5\`), TLS 1.3 / 1.2. Resumed: backend \`\$ssl_session_reused\` \"r\" over the requests it logged in all rounds (on k5/k52 the flag is per connection, so the share of requests is the share of connections)."
  echo
  echo "| path | front | req/s | vs stock | p50 ms | p99 ms | non-2xx | socket errors | resumed |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
  for pth in $PATHS; do
    for f in $FRONTS; do
      k=$f.$pth
      echo "| $pth | ${FNAME[$f]} | $(mmm "${RPS_ALL[$k]}") | $(ratio "${RPS[$k]}" "${RPS[stock.$pth]}") | $(med "${P50[$k]}") | $(med "${P99[$k]}") | ${NON2XX[$k]} | ${SOCKERR[$k]} | $([ "$pth" = ka ] && echo "pooled" || echo "$(pct "${RES[$k]}" "${TOT[$k]}") (${RES[$k]}/${TOT[$k]})") |"
    done
  done
  echo
  echo "Across children: module enforce, event MPM with exactly 4 children of 16 threads (running: ${X4_CHILDREN:-n/a}), \`wrk -c64 -d${DUR}s\`: k5 ${X4_RPS[k5]} req/s, resumed $(pct "${X4_RES[k5]}" "${X4_TOT[k5]}") (${X4_RES[k5]}/${X4_TOT[k5]}); k52 ${X4_RPS[k52]} req/s, resumed $(pct "${X4_RES[k52]}" "${X4_TOT[k52]}") (${X4_RES[k52]}/${X4_TOT[k52]})."
  echo
  echo "### 3. Instructions per proxied request (callgrind, Ir/request)"
  echo
  echo "Each front as one process under \`valgrind --tool=callgrind\` (Apache \`-X\`, nginx \`master_process off\`, HAProxy \`-db\` nbthread 1), N=$CG_N requests on one client keep-alive connection after one warm-up request; each configuration run with N and with M=$CG_BASE requests, Ir/request = (total(N) − total(M)) / (N − M), so start-up, warm-up and shutdown cancel out (and with M > 0 each worker thread's first request too). The front's whole work per request (the backend's is not counted). full TLS 1.3: resumption off (module \`ProxyReencryptSessionCache off\`, nginx \`proxy_ssl_session_reuse off\`, HAProxy \`no-ssl-reuse\`); resumed: on. Module: enforce, default \`ProxyReencryptForwarded xff\`; the last row \`ProxyReencryptForwarded off\`."
  echo
  echo "| front | full TLS 1.3 | resumed TLS 1.3 | resumed TLS 1.2 | pooled keep-alive |"
  echo "|---|---:|---:|---:|---:|"
  cgc() { [ -n "${CG_IR[$1]:-}" ] && printf "%'d" "${CG_IR[$1]}" || echo "$2"; }
  echo "| Apache stock (mod_ssl) | $(cgc stock.full13 n/a) | never resumes | never resumes | $(cgc stock.ka n/a) |"
  echo "| Apache + module enforce | $(cgc enforce.full13 n/a) | $(cgc enforce.res13 n/a) | $(cgc enforce.res12 n/a) | $(cgc enforce.ka n/a) |"
  echo "| Apache + module enforce, \`ProxyReencryptForwarded off\` | | | | $(cgc enforce-nofwd.ka n/a) |"
  echo "| nginx | $(cgc nginx.full13 n/a) | $(cgc nginx.res13 n/a) | $(cgc nginx.res12 n/a) | $(cgc nginx.ka n/a) |"
  echo "| HAProxy | $(cgc haproxy.full13 n/a) | $(cgc haproxy.res13 n/a) | $(cgc haproxy.res12 n/a) | $(cgc haproxy.ka n/a) |"
  echo
  echo "Statuses of the N requests: $(for k in "${!CG_CODES[@]}"; do printf '%s: %s; ' "$k" "${CG_CODES[$k]}"; done | tr -s ' ')"
  echo
  echo "### 4. 1,000 \`<Proxy https://backendN.test:8443>\` sections, one CA bundle"
  echo
  echo "Each section: a vhost-level \`ProxyPass /bN/ https://backendN.test:8443/\`, and in the section \`ProxySet timeout=30\`; module: plus \`ProxyReencryptExpectName backendN.test\` (enforce, \`ProxyReencryptCACertificateFile root.crt\` at vhost level); \"stock + SSLProxy\" adds \`SSLProxyCheckPeerName on\` to every section (mod_ssl then builds a proxy SSL context per section). Start-up: from launching \`apache2 -k start\` until the port answers; RSS: sum over the parent and its children 2 s later; median of $SU_REPS."
  echo
  echo "| config | \`apache2 -t\` ms | start-to-ready ms | vs stock | RSS total kB | vs stock |"
  echo "|---|---:|---:|---:|---:|---:|"
  for kind in stock module stockssl; do
    case $kind in stock) n="stock (mod_ssl)";; module) n="module enforce";; stockssl) n="stock + SSLProxyCheckPeerName per section";; esac
    echo "| $n | ${SU_T[$kind]} | ${SU_MS[$kind]} | $(ratio "${SU_MS[$kind]}" "${SU_MS[stock]}") | ${SU_RSS[$kind]} | $(ratio "${SU_RSS[$kind]}" "${SU_RSS[stock]}") |"
  done
  echo
  echo "### Error logs of the fronts during the load runs"
  echo
  any=0
  for f in stock enforce; do
    if [ -s "$ERRDIR/$f.all.log" ]; then
      any=1
      echo "${FNAME[$f]}: $(wc -l <"$ERRDIR/$f.all.log") line(s); first ones:"
      echo
      echo '```'
      head -8 "$ERRDIR/$f.all.log" | cut -c1-400
      echo '```'
      echo
    fi
  done
  grep -v 'index.html" is not found' "$N/logs/error.log" >"$ERRDIR/nginx.all.log" || true
  [ -s "$ERRDIR/nginx.all.log" ] && { any=1; echo "nginx front: $(wc -l <"$ERRDIR/nginx.all.log") line(s):"; echo; echo '```'; head -5 "$ERRDIR/nginx.all.log" | cut -c1-300; echo '```'; }
  [ $any = 0 ] && echo "None: no line at warn or above in any Apache front's error_log (apart from mod_ssl's start-up AH01873 \"Session Cache is not configured\", the same in both), nothing in the nginx front's (apart from 404s of the readiness probe)."
} >"$R"

echo
cat "$R"
if [ "$WRITE" = 1 ]; then
  BM=$HERE/BENCHMARKS.md
  begin='<!-- bench.sh results: begin -->' end='<!-- bench.sh results: end -->'
  if [ -f "$BM" ] && grep -qF "$begin" "$BM" && grep -qF "$end" "$BM"; then
    awk -v b="$begin" -v e="$end" -v r="$R" '
      $0==b {print; while ((getline l < r) > 0) print l; skip=1; next}
      $0==e {skip=0} !skip {print}' "$BM" >"$W/BENCHMARKS.md.new"
  else
    { echo "# Benchmarks"; echo; echo "## Results"; echo; echo "$begin"; cat "$R"; echo "$end"; } >"$W/BENCHMARKS.md.new"
  fi
  cp "$W/BENCHMARKS.md.new" "$BM"
  log "results written to $BM"
else
  cp "$R" "/tmp/mpr-bench-results.md"
  log "results not written to BENCHMARKS.md (--quick); copy in /tmp/mpr-bench-results.md"
fi

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
if [ $QUICK = 1 ]; then DUR=2 CG_N=20 SU_REPS=1; else DUR=10 CG_N=200 SU_REPS=3; fi
CONNS=32 THREADS=1
PHASES=" ${BENCH_PHASES:-load cg startup} "   # development: BENCH_PHASES="cg" etc.
# A partial run prints its tables but never replaces the full results.
[ -z "${BENCH_PHASES:-}" ] || [ "$WRITE" = 1 -a -n "${BENCH_FORCE_WRITE:-}" ] || WRITE=0
has() { [[ $PHASES == *" $1 "* ]]; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
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
read -r P_KA P_N13 P_N12 P_STOCK P_AUDIT P_ENF P_NGX P_HAP P_CG P_SU < <(ports 10)

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
cat >"$B/nginx.conf" <<EOF
user nobody nogroup;
worker_processes 1;
daemon on;
pid $B/nginx.pid;
error_log $B/logs/error.log warn;
events { worker_connections 4096; }
http {
  client_body_temp_path $B/tmp/body; proxy_temp_path $B/tmp/proxy;
  fastcgi_temp_path $B/tmp/fcgi; uwsgi_temp_path $B/tmp/uwsgi; scgi_temp_path $B/tmp/scgi;
  default_type text/plain;
  log_format reuse '\$ssl_session_reused \$ssl_protocol \$status \$request_uri';
  keepalive_timeout 65;
  keepalive_requests 1000000;
  ssl_certificate $PKI/good-chain.crt;
  ssl_certificate_key $PKI/good.key;
  ssl_session_cache shared:S:10m;
  ssl_session_tickets on;
  ssl_session_timeout 1h;
EOF
for l in ka:$P_KA:TLSv1.3 n13:$P_N13:TLSv1.3 n12:$P_N12:TLSv1.2; do
  IFS=: read -r name port proto <<<"$l"
  cat >>"$B/nginx.conf" <<EOF
  server {
    listen 127.0.0.1:$port ssl;
    server_name localhost;
    ssl_protocols $proto;
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
apache_conf() {
  local d=$1 port=$2 kind=$3 mod= ssl= reuse_n=" disablereuse=On"
  mkdir -p "$d/logs"
  case $kind in
    stock|cg-stock)
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
    enforce|cg-enforce)
      mod="LoadModule proxy_reencrypt_module $SO"
      ssl="SSLProxyEngine on
  ProxyReencryptPolicy enforce
  ProxyReencryptCACertificateFile $PKI/root.crt" ;;
  esac
  [ "$kind" = cg-enforce ] && ssl="$ssl
  ProxyReencryptSessionCache off"
  cat >"$d/httpd.conf" <<EOF
ServerRoot $d
PidFile $d/httpd.pid
DefaultRuntimeDir $d/logs
ErrorLog $d/logs/error.log
LogLevel warn
LoadModule mpm_event_module $MODDIR/mod_mpm_event.so
LoadModule authz_core_module $MODDIR/mod_authz_core.so
LoadModule proxy_module $MODDIR/mod_proxy.so
LoadModule proxy_http_module $MODDIR/mod_proxy_http.so
LoadModule ssl_module $MODDIR/mod_ssl.so
$mod
User nobody
Group nogroup
ServerName localhost
Listen 127.0.0.1:$port
$MPM_SETTINGS
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 5
<VirtualHost 127.0.0.1:$port>
  $ssl
  ProxyPass /ka/  https://localhost:$P_KA/ka/
  ProxyPass /n13/ https://localhost:$P_N13/n13/$reuse_n
  ProxyPass /n12/ https://localhost:$P_N12/n12/$reuse_n
</VirtualHost>
EOF
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

for f in stock:$P_STOCK audit:$P_AUDIT enforce:$P_ENF; do
  apache_conf "$W/${f%%:*}" "${f#*:}" "${f%%:*}"
  apache_start "$W/${f%%:*}" "${f#*:}"
done

# ------------------------------------------------------------ nginx front
N=$W/nginxfront
mkdir -p "$N/logs" "$N/tmp"
cat >"$N/nginx.conf" <<EOF
user nobody nogroup;
worker_processes 1;
daemon on;
pid $N/nginx.pid;
error_log $N/logs/error.log warn;
events { worker_connections 4096; }
http {
  client_body_temp_path $N/tmp/body; proxy_temp_path $N/tmp/proxy;
  fastcgi_temp_path $N/tmp/fcgi; uwsgi_temp_path $N/tmp/uwsgi; scgi_temp_path $N/tmp/scgi;
  access_log off;
  keepalive_requests 1000000;
  upstream b_ka  { server 127.0.0.1:$P_KA; keepalive 64; keepalive_requests 1000000; }
  upstream b_n13 { server 127.0.0.1:$P_N13; }
  upstream b_n12 { server 127.0.0.1:$P_N12; }
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
EOF
"${SRV[@]}" "$HAPROXY" -q -f "$H/haproxy.cfg"
PIDFILES+=("$H/haproxy.pid")

for p in "$P_STOCK" "$P_AUDIT" "$P_ENF" "$P_NGX" "$P_HAP"; do
  wait_port "$p" || { log "front on $p did not come up"; exit 1; }
done

FRONTS="stock audit enforce nginx haproxy"
declare -A FPORT=([stock]=$P_STOCK [audit]=$P_AUDIT [enforce]=$P_ENF [nginx]=$P_NGX [haproxy]=$P_HAP)
declare -A FNAME=([stock]="Apache stock (mod_ssl)" [audit]="Apache + module, audit"
                  [enforce]="Apache + module, enforce" [nginx]="nginx" [haproxy]="HAProxy")
declare -A FERR=([stock]=$W/stock/logs/error.log [audit]=$W/audit/logs/error.log
                 [enforce]=$W/enforce/logs/error.log [nginx]=$N/logs/error.log [haproxy]=/dev/null)

# sanity: every front answers 200 with the backend's body on every path
for f in $FRONTS; do
  for path in ka n13 n12; do
    body=$(curl -s --max-time 5 -w ' %{http_code}' "http://127.0.0.1:${FPORT[$f]}/$path/x")
    case $body in "hello from the backend"*" 200") ;;
      *) log "sanity check failed: $f /$path/ -> $body"; cat "${FERR[$f]}" >&2; exit 1 ;; esac
  done
done
log "all fronts answer; runs of ${DUR}s, wrk -t$THREADS -c$CONNS"

# ------------------------------------------------------------ load runs
declare -A RPS P50 P99 NON2XX SOCKERR RES TOT ERRLINES
ms() {  # wrk latency "1.23ms" / "850.00us" / "1.02s" -> ms
  awk -v v="$1" 'BEGIN{ n=v; sub(/[a-z]+$/,"",n); u=v; sub(/^[0-9.]+/,"",u);
    f=(u=="us")?0.001:(u=="ms")?1:(u=="s")?1000:(u=="m")?60000:1; printf "%.2f", n*f }'
}
ERRDIR=$W/errlines; mkdir -p "$ERRDIR"
run_one() {  # front path
  local f=$1 path=$2 out blog before after elb ela
  blog=$B/logs/$path.log
  sleep 1
  before=$(wc -l <"$blog"); elb=$(wc -l <"${FERR[$f]}" 2>/dev/null || echo 0)
  out=$("${CLI[@]}" wrk -t$THREADS -c$CONNS -d${DUR}s --timeout 5s --latency \
        "http://127.0.0.1:${FPORT[$f]}/$path/x" 2>&1) || true
  echo "$out" >"$W/wrk.$f.$path.txt"
  sleep 0.5
  after=$(wc -l <"$blog"); ela=$(wc -l <"${FERR[$f]}" 2>/dev/null || echo 0)
  RPS[$f.$path]=$(awk '/^Requests\/sec:/{printf "%.0f", $2}' <<<"$out")
  P50[$f.$path]=$(ms "$(awk '$1=="50%"{print $2}' <<<"$out")")
  P99[$f.$path]=$(ms "$(awk '$1=="99%"{print $2}' <<<"$out")")
  NON2XX[$f.$path]=$(awk '/Non-2xx/{print $NF}' <<<"$out"); NON2XX[$f.$path]=${NON2XX[$f.$path]:-0}
  SOCKERR[$f.$path]=$(awk '/Socket errors/{gsub(/,/,""); print $4+$6+$8+$10}' <<<"$out"); SOCKERR[$f.$path]=${SOCKERR[$f.$path]:-0}
  TOT[$f.$path]=$(tail -n +"$((before + 1))" "$blog" | head -n "$((after - before))" | wc -l)
  RES[$f.$path]=$(tail -n +"$((before + 1))" "$blog" | head -n "$((after - before))" | awk '$1=="r"' | wc -l)
  ERRLINES[$f.$path]=$((ela - elb))
  if [ "$ela" -gt "$elb" ]; then
    tail -n +"$((elb + 1))" "${FERR[$f]}" >"$ERRDIR/$f.$path.log"
  fi
  log "$(printf '%-8s /%-4s %8s req/s  p50 %6s ms  p99 %7s ms  non-2xx %s  sockerr %s  backend: %s/%s resumed  error_log +%s' \
    "$f" "$path" "${RPS[$f.$path]}" "${P50[$f.$path]}" "${P99[$f.$path]}" "${NON2XX[$f.$path]}" \
    "${SOCKERR[$f.$path]}" "${RES[$f.$path]}" "${TOT[$f.$path]}" "${ERRLINES[$f.$path]}")"
}
UPTIME_BEFORE=$(uptime)
if has load; then
for path in ka n13 n12; do
  for f in $FRONTS; do run_one "$f" "$path"; done
done
fi
UPTIME_AFTER_LOAD=$(uptime)

# Error log lines of the Apache fronts over the whole load phase (not only runs)
for f in stock audit enforce; do
  grep -v -e 'AH00489' -e 'AH00094' -e 'resuming normal operations' -e 'AH01873' "${FERR[$f]}" \
    >"$ERRDIR/$f.all.log" 2>/dev/null || true
done

for f in stock audit enforce; do apache_stop "$W/$f"; done
kill -QUIT "$(cat "$N/nginx.pid")" 2>/dev/null || true
kill -USR1 "$(cat "$H/haproxy.pid")" 2>/dev/null || true

# ------------------------------------------------------------ callgrind
# Single-process `apache2 -X` under callgrind with the default
# --collect-atstart=yes: the whole process is counted, start-up included.
# Each configuration is run twice, with N requests and with 0 requests
# (both after the same readiness probe and one warm-up proxied request), and
# the difference of the two totals is divided by N: start-up, the warm-up
# and shutdown cancel out. The N requests go over one client keep-alive
# connection (curl URL globbing); each opens a new backend connection
# (disablereuse=On; module: ProxyReencryptSessionCache off), so each is a
# full TLS handshake. (callgrind_control -z/-d would avoid the second run,
# but vgdb could not attach to httpd -X here; httpd -X and valgrind run as nobody,
# so that callgrind can write its output file at exit.)
declare -A CG_IR CG_CODES
cg_one() {  # kind path n -> prints total Ir
  local kind=$1 path=$2 n=$3 d=$W/cg-$1-$2-$3 codes= t
  apache_conf "$d" "$P_CG" "cg-${kind}"
  chown -R nobody:nogroup "$d"   # run as nobody: callgrind must write its file after httpd's setuid
  "${SRV[@]}" setpriv --reuid=nobody --regid=nogroup --clear-groups \
    valgrind --tool=callgrind --vgdb=no --callgrind-out-file="$d/cg.out" \
      "$APACHE2" -X -f "$d/httpd.conf" >"$d/valgrind.log" 2>&1 &
  VGPID=$!
  wait_port "$P_CG" 1200 || { log "httpd -X under callgrind did not start"; cat "$d/valgrind.log" "$d/logs/error.log" >&2; exit 1; }
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
has cg && for path in n13 n12; do
  for kind in stock enforce; do
    full=$(cg_one "$kind" "$path" "$CG_N"); zero=$(cg_one "$kind" "$path" 0)
    CG_IR[$kind.$path]=$(( (full - zero) / CG_N ))
    CG_CODES[$kind.$path]=$(cat "$W/cg-$kind-$path-$CG_N/codes")
    log "callgrind $kind /$path: $full Ir with $CG_N requests (${CG_CODES[$kind.$path]}), $zero Ir with 0: ${CG_IR[$kind.$path]} Ir/request"
    callgrind_annotate --inclusive=yes "$W/cg-$kind-$path-$CG_N/cg.out" 2>/dev/null \
      | grep -E ' (pr_|proxy_reencrypt|ssl_hook|X509_verify_cert|SSL_do_handshake|ssl_io)' | head -20 >"$W/cg-$kind-$path.top.txt" || true
  done
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
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
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
  echo "- client: \`wrk -t$THREADS -c$CONNS -d${DUR}s --timeout 5s --latency http://127.0.0.1:PORT/PATH/x\`, one run per front and path, fronts in turn"
  echo "- Apache fronts: event MPM, $(echo "$MPM_SETTINGS" | tr '\n' ',' | sed 's/,$//; s/,/, /g'), KeepAlive On, MaxKeepAliveRequests 0; nginx front and backend: worker_processes 1; HAProxy: nbthread 1"
  echo
  echo "### 1. Keep-alive: client keep-alive, backend connections pooled (TLSv1.3)"
  echo
  echo "| front | req/s | vs stock | p50 ms | p99 ms | non-2xx | socket errors | backend handshakes resumed |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  for f in $FRONTS; do
    k=$f.ka
    echo "| ${FNAME[$f]} | ${RPS[$k]} | $(ratio "${RPS[$k]}" "${RPS[stock.ka]}") | ${P50[$k]} | ${P99[$k]} | ${NON2XX[$k]} | ${SOCKERR[$k]} | n/a (pooled; ${TOT[$k]} requests) |"
  done
  for v in 13 12; do
    echo
    echo "### 2. New backend connection per request, backend TLSv1.${v#1} only"
    echo
    echo "Apache \`ProxyPass ... disablereuse=On\`; nginx without upstream keepalive; HAProxy \`http-reuse never\` + \`option http-server-close\`. Resumed = backend log \`\$ssl_session_reused\` \"r\" over requests logged during the run."
    echo
    echo "| front | req/s | vs stock | p50 ms | p99 ms | non-2xx | socket errors | resumed / requests | resumed |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    for f in $FRONTS; do
      k=$f.n$v
      echo "| ${FNAME[$f]} | ${RPS[$k]} | $(ratio "${RPS[$k]}" "${RPS[stock.n$v]}") | ${P50[$k]} | ${P99[$k]} | ${NON2XX[$k]} | ${SOCKERR[$k]} | ${RES[$k]} / ${TOT[$k]} | $(pct "${RES[$k]}" "${TOT[$k]}") |"
    done
  done
  echo
  echo "### 3. Instructions per proxied request with a full backend handshake (callgrind)"
  echo
  echo "\`valgrind --tool=callgrind apache2 -X\`, N=$CG_N requests on one client connection, each opening a new backend connection (\`disablereuse=On\`; module: \`ProxyReencryptPolicy enforce\`, \`ProxyReencryptSessionCache off\`). Whole-process totals (\`--collect-atstart=yes\`), each configuration run with N and with 0 requests after the same start-up and warm-up request; Ir/request = (total(N) − total(0)) / N, so start-up and shutdown cancel out. It is the front's whole work per request: client request, backend TCP connect and full TLS handshake, verification, proxying, teardown (the backend's work is not counted)."
  echo
  echo "| backend | stock Ir/request | module enforce Ir/request | added | ratio | statuses (stock / module) |"
  echo "|---|---:|---:|---:|---:|---|"
  for path in n13 n12; do
    a=${CG_IR[stock.$path]} b=${CG_IR[enforce.$path]}
    echo "| TLSv1.${path#n1} | $a | $b | $((b - a)) ($(awk -v a="$a" -v b="$b" 'BEGIN{printf "%+.1f%%", 100*(b-a)/a}')) | $(ratio "$b" "$a") | ${CG_CODES[stock.$path]} / ${CG_CODES[enforce.$path]} |"
  done
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
  for f in stock audit enforce; do
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
  [ $any = 0 ] && echo "None: no line at warn or above in any Apache front's error_log (apart from mod_ssl's start-up AH01873 \"Session Cache is not configured\", the same in all three), nothing in the nginx front's (apart from 404s of the readiness probe)."
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

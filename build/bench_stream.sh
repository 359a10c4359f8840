#!/usr/bin/env bash
# build/bench_stream.sh -- TLS passthrough by SNI: Apache (mod_proxy_reencrypt,
# ProxyReencryptStream passthrough) against nginx `stream` with ssl_preread,
# same box, same run, same backend. By hand, not in CI (results: BENCHMARKS.md).
#
#   bash build/bench_stream.sh            (as root: installs libnginx-mod-stream)
#
# Backend: nginx https on loopback (certificate st-a of build/pki.sh) serving a
# 64 MB file and a 2-byte answer. Fronts: Apache (event MPM, 4 x 25 threads)
# and nginx (2 workers), both routing a.test to that backend by SNI.
# Measures, alternating the fronts, ROUNDS times each:
#   bulk  PAR parallel downloads of the 64 MB file (curl): MB/s in total
#   rate  PAR processes opening TLS connections one after another for SECS
#         seconds (full handshake + 2-byte GET each): connections/s
# Prints medians and the Apache/nginx ratios. Everything listens on 127.0.0.1.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROUNDS=${ROUNDS:-3} PAR=${PAR:-4} SECS=${SECS:-5}
W=$(mktemp -d /tmp/mpr-bench-stream.XXXXXX)
chmod 755 "$W"
PKI=$HERE/t/pki
bash "$HERE/build/pki.sh" "$PKI"
if [ ! -e /usr/lib/nginx/modules/ngx_stream_module.so ]; then
    apt-get install -y -q libnginx-mod-stream >/dev/null
fi
make -C "$HERE" >/dev/null
SO=$HERE/mod_proxy_reencrypt/.libs/mod_proxy_reencrypt.so
MODS=$(apxs -q LIBEXECDIR)

ports=$(perl -MIO::Socket::INET -e 'my @s = map { IO::Socket::INET->new(LocalAddr => "127.0.0.1",
    LocalPort => 0, Listen => 1) or die } 1..3; print join(" ", map { $_->sockport } @s)')
set -- $ports
BACK=$1 NGX=$2 APA=$3
head -c $((64 << 20)) /dev/urandom >"$W/big"
chmod 644 "$W/big"

cleanup() {
    [ -s "$W/nginx.pid" ] && kill "$(cat "$W/nginx.pid")" 2>/dev/null || true
    [ -s "$W/httpd.pid" ] && kill "$(cat "$W/httpd.pid")" 2>/dev/null || true
    sleep 1
    rm -rf "$W"
}
trap cleanup EXIT

cat >"$W/nginx.conf" <<NGX
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
$( [ "$(id -u)" = 0 ] && echo "user nobody nogroup;" )
worker_processes 2;
pid $W/nginx.pid;
error_log $W/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $W/tmp;
  server {
    listen 127.0.0.1:$BACK ssl;
    ssl_certificate $PKI/st-a-chain.crt;
    ssl_certificate_key $PKI/st-a.key;
    location = /big { alias $W/big; }
    location = /small { return 200 "ok"; }
  }
}
stream {
  map \$ssl_preread_server_name \$up { a.test backend; default backend; }
  upstream backend { server 127.0.0.1:$BACK; }
  server { listen 127.0.0.1:$NGX; ssl_preread on; proxy_pass \$up; }
}
NGX
nginx -p "$W" -c "$W/nginx.conf" -e "$W/nginx-error.log"

cat >"$W/httpd.conf" <<APA
ServerRoot $W
PidFile $W/httpd.pid
ErrorLog $W/httpd-error.log
DefaultRuntimeDir $W
ServerName localhost
LogLevel warn
$( [ "$(id -u)" = 0 ] && printf 'User nobody\nGroup nogroup\n' )
LoadModule mpm_event_module $MODS/mod_mpm_event.so
LoadModule authz_core_module $MODS/mod_authz_core.so
LoadModule proxy_module $MODS/mod_proxy.so
LoadModule proxy_http_module $MODS/mod_proxy_http.so
LoadModule ssl_module $MODS/mod_ssl.so
LoadModule proxy_reencrypt_module $SO
ServerLimit 4
ThreadsPerChild 25
MaxRequestWorkers 100
StartServers 4
MinSpareThreads 100
Listen 127.0.0.1:$APA
<VirtualHost 127.0.0.1:$APA>
    ProxyReencryptStream passthrough
    ProxyReencryptRoute a.test 127.0.0.1:$BACK
    ProxyReencryptRoute default 127.0.0.1:$BACK
</VirtualHost>
APA
apache2 -f "$W/httpd.conf" -k start
sleep 2

bulk() {    # PORT -> total MB/s of PAR parallel downloads
    local port=$1 i
    for i in $(seq "$PAR"); do
        curl -sk --resolve "a.test:$port:127.0.0.1" "https://a.test:$port/big" -o /dev/null \
             -w '%{speed_download}\n' &
    done | awk '{ s += $1 } END { printf "%.1f\n", s / 1048576 }'
    wait
}

rate() {    # PORT -> connections per second
    python3 - "$1" "$PAR" "$SECS" <<'PY'
import multiprocessing as mp, socket, ssl, sys, time
port, par, secs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
def run(q):
    ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
    n, end = 0, time.time() + secs
    while time.time() < end:
        s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="a.test")
        s.sendall(b"GET /small HTTP/1.0\r\nHost: a.test\r\n\r\n")
        while s.recv(4096): pass
        s.close(); n += 1
    q.put(n)
q = mp.Queue(); ps = [mp.Process(target=run, args=(q,)) for _ in range(par)]
t = time.time(); [p.start() for p in ps]; [p.join() for p in ps]
print("%.0f" % (sum(q.get() for _ in ps) / (time.time() - t)))
PY
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

: >"$W/res"
for r in $(seq "$ROUNDS"); do
    for f in apache nginx; do
        port=$APA; [ $f = nginx ] && port=$NGX
        echo "$f bulk $(bulk $port)" >>"$W/res"
        echo "$f rate $(rate $port)" >>"$W/res"
    done
done
echo "rounds=$ROUNDS parallel=$PAR rate-seconds=$SECS (file 64 MB; $(nproc) cores)"
for m in bulk rate; do
    a=$(awk -v m=$m '$1=="apache" && $2==m { print $3 }' "$W/res" | median)
    n=$(awk -v m=$m '$1=="nginx" && $2==m { print $3 }' "$W/res" | median)
    unit="MB/s"; [ $m = rate ] && unit="conn/s"
    printf '%-5s apache %8s %-6s nginx %8s %-6s ratio %.2f\n' "$m" "$a" "$unit" "$n" "$unit" \
        "$(echo "$a $n" | awk '{ print ($2 > 0) ? $1 / $2 : 0 }')"
done
echo "all samples:"; cat "$W/res"

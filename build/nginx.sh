#!/usr/bin/env bash
# build/nginx.sh start|stop [DIR] [PKIDIR]
#
# A second TLS stack for the Apache::Test suite: nginx serving the same
# test certificates as the httpd backend vhosts, one server per
# certificate, each answering 200 "nginx-backend=NAME" and logging to its
# own access log (DIR/logs/NAME.log), so that a test can show the backend
# application was never reached.  Two extra servers report the SNI they
# received: "sni" (good cert) and "sniip" (iponly cert).
#
# Everything lives under DIR (default $MPR_NGINX_DIR or /tmp/mpr-nginx):
# nginx.conf, pid, error log, temp dirs.  Free loopback ports are picked
# at start and written to DIR/ports, one "name=port" per line; t/TEST.PL
# reads that file (path in $MPR_NGINX_PORTS, default DIR/ports) and
# turns each line into an @nginx_NAME_port@ token.
#
# Servers of the identity/transport suite (t/identity_*.t, names id_*), each
# logging with format mpr_id (connection serial, protocol, PROXY address):
#   id_client  good cert, requires a client certificate from client-ca.crt,
#              answers "client=SUBJECT"
#   id_tls12   good cert, TLSv1.2 only
#   id_pp      good cert, expects a PROXY protocol header (v1 or v2) before
#              TLS, answers "proxy=ADDR:PORT"
#   id_h2      good cert, HTTP/2 (ALPN h2) and HTTP/1.1
#   id_h2exp   expired cert, HTTP/2 and HTTP/1.1
#   id_ws      good cert, answers 200 "nginx-backend=id_ws" (WebSocket path)
# All id_* servers but id_tls12 speak TLSv1.2 and TLSv1.3.
#
# Servers of the revocation suite (t/revocation_*.t), each stapling a
# fixed OCSP response made by build/pki.sh (ssl_stapling_file):
#   ocsp_good      good cert, a good response from the delegated responder
#   ocsp_revoked   revoked cert, a revoked response
#   ocsp_expired   good cert, a good response whose nextUpdate is past
#   ocsp_wrongkey  good cert, a good response signed by a responder of
#                  the foreign root
#   ocsp_good12, ocsp_revoked12   the same as good / revoked, TLSv1.2 only
#                  (the staple comes in CertificateStatus, not in the
#                  TLS 1.3 Certificate message)
# Servers of the session suite (t/session_*.t), good cert, closing every
# pooled connection after 5 requests (keepalive_requests 5), each logging
# with format mpr_sess (request URI, connection serial, $ssl_session_reused
# "r" or ".", protocol):
#   ka5_12     TLSv1.2 only
#   ka5_13     TLSv1.3 only
# Stream suite (t/stream_*.t):
#   st_a, st_b  certs st-a (a.test, *.w.test) and st-b (b.test), expect a
#               PROXY header (v1 or v2), answer "backend=a|b pp=ADDR:PORT"
#               and log it (format mpr_st)
#   st_echo*    TLS echo servers (build/stream_echo.pl, not nginx): st_echo
#               and st_echo2 (good, good2), st_echo_expired, _wrongname,
#               _foreign (untrusted), _client (requires a client
#               certificate from client-ca.crt); logs DIR/logs/NAME.log
# Reliability suite (t/reliability_*.t):
#   long12      nginx, a chain of 12 intermediates (build/pki.sh long12)
#   bigcert     nginx, a leaf with 8000 SANs (pki.sh many-sans-8000): a Certificate
#               message over 100 KB
#   rel_stall, rel_stall2, rel_stall_hc, rel_stall_st (t/stream_stall.t)
#               accept TCP and never answer the ClientHello
#               (build/hostile_backend.pl stall); one per test, so that
#               each test can count its own connections in DIR/logs/NAME.log
#   rel_garbage answers any bytes with a plain "HTTP/1.1 400" (hostile_backend.pl)
#   rel_tls10   openssl s_server speaking TLS 1.0 only (SECLEVEL=0)
set -euo pipefail

cmd=${1:-}
DIR=${2:-${MPR_NGINX_DIR:-/tmp/mpr-nginx}}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PKI=${3:-${MPR_PKI:-$HERE/t/pki}}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}

NAMES="good expired notyet expiring wrongname iponly foreign deep selfsigned revoked long12 bigcert"
ID_NAMES="id_client id_tls12 id_pp id_h2 id_h2exp id_ws"
OCSP_NAMES="ocsp_good ocsp_revoked ocsp_expired ocsp_wrongkey ocsp_good12 ocsp_revoked12"
SESS_NAMES="ka5_12 ka5_13"
ST_NAMES="st_a st_b"
ST_ECHO="st_echo st_echo2 st_echo_expired st_echo_wrongname st_echo_foreign st_echo_client"
REL_NAMES="rel_stall rel_stall2 rel_stall_hc rel_stall_st rel_garbage rel_tls10"

stop() {
    for f in "$DIR"/echo-*.pid; do
        [ -s "$f" ] && kill -TERM "$(cat "$f")" 2>/dev/null
        rm -f "$f"
    done
    if [ -s "$DIR/nginx.pid" ]; then
        pid=$(cat "$DIR/nginx.pid")
        if kill -0 "$pid" 2>/dev/null; then
            kill -QUIT "$pid" 2>/dev/null || true
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null || true
        fi
        rm -f "$DIR/nginx.pid"
    fi
}

case "$cmd" in
start)
    [ -x "$NGINX" ] || { echo "nginx.sh: nginx not found" >&2; exit 1; }
    [ -e "$PKI/good-chain.crt" ] || { echo "nginx.sh: no PKI in $PKI (run build/pki.sh)" >&2; exit 1; }
    stop
    mkdir -p "$DIR/logs" "$DIR/tmp"
    chmod 755 "$DIR" "$DIR/logs"
    all="$NAMES sni sniip $ID_NAMES $OCSP_NAMES $SESS_NAMES $ST_NAMES"
    # Pick one free loopback port per server (all held open at once).
    ports=$(perl -MIO::Socket::INET -e '
        my @s = map { IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 0,
                      Proto => "tcp", Listen => 1, ReuseAddr => 0) or die "bind: $!" } 1..$ARGV[0];
        print join(" ", map { $_->sockport } @s), "\n";' "$(echo $all $ST_ECHO $REL_NAMES | wc -w)")
    set -- $ports
    : >"$DIR/ports.new"
    {
        echo "# generated by build/nginx.sh"
        [ "$(id -u)" = 0 ] && echo "user nobody nogroup;"
        echo "worker_processes 1;"
        echo "daemon on;"
        echo "pid $DIR/nginx.pid;"
        echo "error_log $DIR/logs/error.log info;"
        echo "events { worker_connections 256; }"
        echo "http {"
        echo "  client_body_temp_path $DIR/tmp/body;"
        echo "  proxy_temp_path $DIR/tmp/proxy;"
        echo "  fastcgi_temp_path $DIR/tmp/fastcgi;"
        echo "  uwsgi_temp_path $DIR/tmp/uwsgi;"
        echo "  scgi_temp_path $DIR/tmp/scgi;"
        echo "  default_type text/plain;"
        echo "  log_format mpr '\$remote_addr \"\$request\" \$status sni=\$ssl_server_name';"
        echo "  access_log off;"
        echo "  log_format mpr_sess '\$request_uri conn=\$connection reused=\$ssl_session_reused proto=\$ssl_protocol';"
        echo "  log_format mpr_st '\$remote_addr \$status sni=\$ssl_server_name pp=\$proxy_protocol_addr:\$proxy_protocol_port';"
        echo "  log_format mpr_id '\$remote_addr \"\$request\" \$status conn=\$connection proto=\$server_protocol pp=\$proxy_protocol_addr:\$proxy_protocol_port sni=\$ssl_server_name';"
        for n in $all; do
            port=$1; shift
            echo "$n=$port" >>"$DIR/ports.new"
            cert=$n
            case $n in sni) cert=good ;; sniip) cert=iponly ;; id_h2exp) cert=expired ;; id_*|ka5_*) cert=good ;;
                 ocsp_revoked*) cert=revoked ;; ocsp_*) cert=good ;;
                 st_a) cert=st-a ;; st_b) cert=st-b ;; bigcert) cert=many-sans-8000 ;; esac
            listen=ssl
            case $n in id_pp|st_*) listen="ssl proxy_protocol" ;; id_h2|id_h2exp) listen="ssl http2" ;; esac
            fmt=mpr
            case $n in id_*) fmt=mpr_id ;; ka5_*) fmt=mpr_sess ;; st_*) fmt=mpr_st ;; esac
            echo "  server {"
            echo "    listen 127.0.0.1:$port $listen;"
            echo "    server_name localhost;"
            echo "    ssl_certificate $PKI/$cert-chain.crt;"
            echo "    ssl_certificate_key $PKI/$cert.key;"
            echo "    access_log $DIR/logs/$n.log $fmt;"
            case $n in
            id_client)
                echo "    ssl_verify_client on;"
                echo "    ssl_client_certificate $PKI/client-ca.crt;" ;;
            id_tls12)
                echo "    ssl_protocols TLSv1.2;" ;;
            ka5_12)
                echo "    ssl_protocols TLSv1.2;"
                echo "    keepalive_requests 5;" ;;
            ka5_13)
                echo "    ssl_protocols TLSv1.3;"
                echo "    keepalive_requests 5;" ;;
            id_*)
                # nginx < 1.23.4 leaves TLSv1.3 out by default
                echo "    ssl_protocols TLSv1.2 TLSv1.3;" ;;
            ocsp_*)
                staple=${n#ocsp_}; staple=ocsp-${staple%12}.der
                case $n in *12) echo "    ssl_protocols TLSv1.2;" ;;
                           *)   echo "    ssl_protocols TLSv1.2 TLSv1.3;" ;; esac
                echo "    ssl_stapling on;"
                echo "    ssl_stapling_file $PKI/$staple;" ;;
            esac
            case $n in
            sni|sniip) echo "    location / { return 200 \"sni=\$ssl_server_name\\n\"; }" ;;
            id_client) echo "    location / { return 200 \"client=\$ssl_client_s_dn\\n\"; }" ;;
            id_pp)     echo "    location / { return 200 \"proxy=\$proxy_protocol_addr:\$proxy_protocol_port\\n\"; }" ;;
            st_*)      echo "    location / { return 200 \"backend=${n#st_} pp=\$proxy_protocol_addr:\$proxy_protocol_port\\n\"; }" ;;
            *)         echo "    location / { return 200 \"nginx-backend=$n\\n\"; }" ;;
            esac
            echo "  }"
        done
        echo "}"
    } >"$DIR/nginx.conf"
    "$NGINX" -t -q -p "$DIR" -e "$DIR/logs/error.log" -c "$DIR/nginx.conf"
    "$NGINX" -p "$DIR" -e "$DIR/logs/error.log" -c "$DIR/nginx.conf"
    for _ in $(seq 50); do [ -s "$DIR/nginx.pid" ] && break; sleep 0.1; done
    [ -s "$DIR/nginx.pid" ] || { echo "nginx.sh: nginx did not start" >&2; tail "$DIR/logs/error.log" >&2; exit 1; }
    for n in $all; do touch "$DIR/logs/$n.log"; done
    # the TLS echo servers of the stream suite, on the remaining ports
    for n in $ST_ECHO; do
        port=$1; shift
        echo "$n=$port" >>"$DIR/ports.new"
        cert=good ca=
        case $n in st_echo2) cert=good2 ;; st_echo_expired) cert=expired ;;
                   st_echo_wrongname) cert=wrongname ;; st_echo_foreign) cert=foreign ;;
                   st_echo_client) ca=$PKI/client-ca.crt ;; esac
        : >"$DIR/logs/$n.log"
        chmod 666 "$DIR/logs/$n.log"
        setsid perl "$HERE/build/stream_echo.pl" "$port" "$PKI/$cert-chain.crt" "$PKI/$cert.key" \
            "$DIR/logs/$n.log" $ca </dev/null >>"$DIR/logs/echo.err" 2>&1 &
        echo $! >"$DIR/echo-$n.pid"
    done
    # the reliability suite's backends that are not TLS servers (or barely)
    for n in $REL_NAMES; do
        port=$1; shift
        echo "$n=$port" >>"$DIR/ports.new"
        : >"$DIR/logs/$n.log"
        chmod 666 "$DIR/logs/$n.log"
        case $n in
        rel_tls10)
            setsid openssl s_server -tls1 -cipher 'DEFAULT:@SECLEVEL=0' -quiet -www \
                -accept "127.0.0.1:$port" -cert "$PKI/good.crt" -key "$PKI/good.key" \
                </dev/null >>"$DIR/logs/$n.log" 2>&1 & ;;
        rel_garbage)
            setsid perl "$HERE/build/hostile_backend.pl" garbage "$port" "$DIR/logs/$n.log" \
                </dev/null >>"$DIR/logs/echo.err" 2>&1 & ;;
        *)
            setsid perl "$HERE/build/hostile_backend.pl" stall "$port" "$DIR/logs/$n.log" \
                </dev/null >>"$DIR/logs/echo.err" 2>&1 & ;;
        esac
        echo $! >"$DIR/echo-$n.pid"
    done
    for n in $ST_ECHO $REL_NAMES; do
        p=$(sed -n "s/^$n=//p" "$DIR/ports.new")
        for _ in $(seq 50); do
            # no probe connection: the tests count the connections made
            case $n in rel_stall*|rel_garbage)
                grep -q '^listening' "$DIR/logs/$n.log" && break; sleep 0.1; continue ;; esac
            perl -MIO::Socket::INET -e 'exit(IO::Socket::INET->new("127.0.0.1:$ARGV[0]") ? 0 : 1)' "$p" && break
            sleep 0.1
        done
    done
    chmod 644 "$DIR"/logs/*.log
    mv "$DIR/ports.new" "$DIR/ports"
    echo "nginx started (pid $(cat "$DIR/nginx.pid")), ports in $DIR/ports"
    ;;
stop)
    stop
    ;;
*)
    echo "usage: $0 start|stop [DIR] [PKIDIR]" >&2
    exit 2
    ;;
esac

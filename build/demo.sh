#!/usr/bin/env bash
# make demo: a throwaway Apache (own ServerRoot in a temp dir, loopback
# ports only) in front of a good and a bad local TLS backend, showing the
# policy at work in audit and in enforce. Cleans up after itself.
set -euo pipefail
cd "$(dirname "$0")/.."
make -s >/dev/null

demo=$(mktemp -d /tmp/mpr-demo.XXXXXX)
chmod 755 "$demo"
apache2=$(command -v apache2 || echo /usr/sbin/apache2)
modules=$(apxs -q LIBEXECDIR)
so=$PWD/mod_proxy_reencrypt/.libs/mod_proxy_reencrypt.so
cleanup() {
  if [ -f "$demo/httpd.pid" ]; then
    kill "$(cat "$demo/httpd.pid")" 2>/dev/null || true
    for _ in $(seq 25); do [ -f "$demo/httpd.pid" ] || break; sleep 0.2; done
  fi
  rm -rf "$demo"
}
trap cleanup EXIT

bash build/pki.sh "$demo/pki" >/dev/null

# Four free loopback ports.
read -r p_front_audit p_front_enforce p_good p_bad < <(python3 - <<'PY'
import socket
socks=[socket.socket() for _ in range(4)]
for s in socks: s.bind(("127.0.0.1",0))
print(*[s.getsockname()[1] for s in socks])
PY
)

mkdir -p "$demo/logs" "$demo/good" "$demo/bad"
echo "hello from the good backend" > "$demo/good/index.html"
echo "hello from the bad backend" > "$demo/bad/index.html"
cat > "$demo/httpd.conf" <<CONF
ServerRoot $demo
PidFile $demo/httpd.pid
ErrorLog $demo/logs/error.log
LogLevel warn
LoadModule mpm_event_module $modules/mod_mpm_event.so
LoadModule authz_core_module $modules/mod_authz_core.so
LoadModule mime_module $modules/mod_mime.so
LoadModule dir_module $modules/mod_dir.so
LoadModule proxy_module $modules/mod_proxy.so
LoadModule proxy_http_module $modules/mod_proxy_http.so
LoadModule ssl_module $modules/mod_ssl.so
LoadModule proxy_reencrypt_module $so
TypesConfig /etc/mime.types
DirectoryIndex index.html
User nobody
Group nogroup
ServerName localhost
Listen 127.0.0.1:$p_front_audit
Listen 127.0.0.1:$p_front_enforce
Listen 127.0.0.1:$p_good
Listen 127.0.0.1:$p_bad
LogFormat "%h \"%r\" %>s" short
<Directory $demo>
  Require all granted
</Directory>

# Backends: real TLS servers. "good" has a certificate from the test CA;
# "bad" has one that expired 35 days ago.
<VirtualHost 127.0.0.1:$p_good>
  DocumentRoot $demo/good
  SSLEngine on
  SSLCertificateFile $demo/pki/good-chain.crt
  SSLCertificateKeyFile $demo/pki/good.key
  CustomLog $demo/logs/good_access.log short
</VirtualHost>
<VirtualHost 127.0.0.1:$p_bad>
  DocumentRoot $demo/bad
  SSLEngine on
  SSLCertificateFile $demo/pki/expired-chain.crt
  SSLCertificateKeyFile $demo/pki/expired.key
  CustomLog $demo/logs/bad_access.log short
</VirtualHost>

# The stock "working" setup (verifies nothing), with the module auditing.
<VirtualHost 127.0.0.1:$p_front_audit>
  ServerName front-audit
  SSLProxyEngine on
  SSLProxyCheckPeerExpire off
  ProxyReencryptPolicy audit
  ProxyReencryptCACertificateFile $demo/pki/root.crt
  ProxyPass /good/ https://localhost:$p_good/
  ProxyPass /bad/ https://localhost:$p_bad/
</VirtualHost>

# The same fronts under enforce.
<VirtualHost 127.0.0.1:$p_front_enforce>
  ServerName front-enforce
  SSLProxyEngine on
  ProxyReencryptPolicy enforce
  ProxyReencryptCACertificateFile $demo/pki/root.crt
  ProxyPass /good/ https://localhost:$p_good/
  ProxyPass /bad/ https://localhost:$p_bad/
</VirtualHost>
CONF
chmod -R a+rX "$demo"

"$apache2" -f "$demo/httpd.conf" -t 2>&1 | sed 's/^/  /'
"$apache2" -f "$demo/httpd.conf" -k start
for _ in $(seq 50); do
  curl -s -o /dev/null "http://127.0.0.1:$p_front_enforce/" && break
  sleep 0.1
done

show() {  # mode port path
  local out code body lines
  out=$(curl -s -w '\n%{http_code}' "http://127.0.0.1:$2$3")
  code=${out##*$'\n'}
  body=${out%$'\n'*}
  case $code in 200) body=$(printf '%s' "$body" | head -1) ;; *) body=$(printf '%s' "$body" | grep -o '<title>[^<]*' | sed 's/<title>//') ;; esac
  printf '  %-8s GET %-7s -> %s  %s\n' "$1" "$3" "$code" "$body"
}

echo
echo "== audit: everything is checked, nothing is blocked"
show audit "$p_front_audit" /good/
show audit "$p_front_audit" /bad/
sleep 0.3
grep 'proxy_reencrypt' "$demo/logs/error.log" | sed 's/^.*\] PRE/  log: PRE/'
: > "$demo/logs/error.log.mark"
lines=$(wc -l < "$demo/logs/error.log")

echo
echo "== enforce: the bad backend is refused with 502, before it sees the request"
before=$(wc -l < "$demo/logs/bad_access.log")
show enforce "$p_front_enforce" /good/
show enforce "$p_front_enforce" /bad/
sleep 0.3
tail -n +"$((lines + 1))" "$demo/logs/error.log" | grep 'proxy_reencrypt' | sed 's/^.*\] PRE/  log: PRE/'
after=$(wc -l < "$demo/logs/bad_access.log")
echo "  requests the bad backend's application received under enforce: $((after - before))"

echo
echo "== start-up check: a plaintext backend under enforce"
echo "  (adding 'ProxyPass /plain/ http://localhost:$p_bad/' to both fronts)"
sed -i "s|ProxyPass /bad/ https://localhost:$p_bad/|&\n  ProxyPass /plain/ http://localhost:$p_bad/|" "$demo/httpd.conf"
"$apache2" -f "$demo/httpd.conf" -t 2>&1 | grep -v '^AH00016' | sed 's/^.*PRE/  PRE/' || true
echo
echo "demo done; the throwaway server is stopped and $demo removed."

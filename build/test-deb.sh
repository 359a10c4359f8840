#!/usr/bin/env bash
# build/test-deb.sh -- the Debian package as an operator meets it (TAP).
#
# In a scratch copy of the tree: `make deb`; lintian prints no E: or W:
# line; `apt-get install ./libapache2-mod-proxy-reencrypt_*.deb` installs
# it without enabling it; `a2enmod proxy_reencrypt` and `apache2ctl
# configtest` succeed; `apt-get purge` leaves no file behind.
#
# This installs into the machine that runs it: root only, one run at a time
# (flock), and never when the package is already installed (an operator's
# copy is left alone: those steps are skipped). Modules that a2enmod pulled
# in (proxy, proxy_http, ssl) are disabled again unless they were enabled
# before. DEB_BUILD_OPTIONS=nocheck: the unit tests run elsewhere in the
# suite.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PKG=libapache2-mod-proxy-reencrypt
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else nok "$what"; fi; }
skip() { n=$((n + 1)); echo "ok $n # skip $*"; }
finish() { echo "1..$n"; [ "$fails" -eq 0 ]; exit; }

if [ "$(id -u)" != 0 ] || ! command -v dpkg-buildpackage >/dev/null || ! command -v lintian >/dev/null; then
    skip "needs root, dpkg-buildpackage and lintian"
    finish
fi
exec 8>/tmp/mpr-deb.lock
flock -w 900 8 || { nok "lock /tmp/mpr-deb.lock"; finish; }

WORK=$(mktemp -d /tmp/mpr-deb.XXXXXX)
POLICY_RC_ADDED=0
cleanup() {
    [ "$POLICY_RC_ADDED" = 1 ] && rm -f /usr/sbin/policy-rc.d
    rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$WORK/src"
tar -C "$ROOT" --exclude=./.git --exclude=./build/out --exclude=./t/logs --exclude=./t/pki \
    --exclude='./libapache2-mod-proxy-reencrypt*' -cf - . | tar -C "$WORK/src" -xf -

# 1. make deb
if (cd "$WORK/src" && make clean >/dev/null 2>&1 && DEB_BUILD_OPTIONS=nocheck make deb) >"$WORK/deb.log" 2>&1; then
    ok "make deb"
else
    nok "make deb"; tail -30 "$WORK/deb.log" | sed 's/^/# /'
    finish
fi
debs=("$WORK"/src/${PKG}_*_*.deb)
deb=${debs[0]}
check "make deb leaves ${PKG}_<version>_<arch>.deb in the tree" test -e "$deb"
version=$(sed -n 's/^#define PR_VERSION "\(.*\)"/\1/p' "$ROOT/mod_proxy_reencrypt/pr_version.h")
check "the package version is pr_version.h's ($version)" \
    test "$(dpkg-deb -f "$deb" Version)" = "$version"
ls "$WORK/src/.." | grep -q "^${PKG}_" && nok "nothing left in the parent directory" \
    || ok "nothing left in the parent directory"

# 2. lintian, as an unprivileged user if there is one
LINT=(lintian)
id nobody >/dev/null 2>&1 && chmod 755 "$WORK" "$WORK/src" && LINT=(runuser -u nobody -- lintian)
"${LINT[@]}" "$deb" >"$WORK/lintian.log" 2>&1
if grep -qE '^[EW]: ' "$WORK/lintian.log"; then
    nok "lintian: no E: or W: line"; grep -E '^[EW]: ' "$WORK/lintian.log" | sed 's/^/# /'
else
    ok "lintian: no E: or W: line"
fi

# 3. install, enable, configtest, purge
if dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -q "installed"; then
    skip "$PKG is installed on this machine already: install and purge not tested"
    finish
fi
if ! command -v apache2ctl >/dev/null; then
    skip "no apache2 installed: install and purge not tested"
    finish
fi
# the system apache2 must not be started or reloaded by maintainer scripts
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    POLICY_RC_ADDED=1
fi
before=$(ls /etc/apache2/mods-enabled/ 2>/dev/null)
export DEBIAN_FRONTEND=noninteractive
APT=(apt-get -y -q -o DPkg::Lock::Timeout=300)
if "${APT[@]}" install "$deb" >"$WORK/install.log" 2>&1; then
    ok "apt-get install ./$(basename "$deb")"
else
    nok "apt-get install ./$(basename "$deb")"; tail -20 "$WORK/install.log" | sed 's/^/# /'
    finish
fi
check "installed: the module" test -e /usr/lib/apache2/modules/mod_proxy_reencrypt.so
check "installed: proxy_reencrypt.load and .conf" \
    test -e /etc/apache2/mods-available/proxy_reencrypt.load -a -e /etc/apache2/mods-available/proxy_reencrypt.conf
check "installed: the pin helper on PATH" test -x /usr/bin/proxy-reencrypt-pin
check "installed: its man page" test -e /usr/share/man/man1/proxy-reencrypt-pin.1.gz
check "installed: the README" test -e /usr/share/doc/$PKG/README.md.gz
check "not enabled by installing" test ! -e /etc/apache2/mods-enabled/proxy_reencrypt.load
files=$(dpkg -L "$PKG" | grep -v '^/\.$')

if a2enmod proxy_reencrypt >"$WORK/a2enmod.log" 2>&1; then
    ok "a2enmod proxy_reencrypt"
else
    nok "a2enmod proxy_reencrypt"; sed 's/^/# /' "$WORK/a2enmod.log"
fi
check "... enables it" test -L /etc/apache2/mods-enabled/proxy_reencrypt.load
out=$(apache2ctl configtest 2>&1)
if [ $? = 0 ] && grep -q "Syntax OK" <<<"$out"; then
    ok "apache2ctl configtest"
else
    nok "apache2ctl configtest"; sed 's/^/# /' <<<"$out"
fi
out=$(apache2ctl -t -D DUMP_REENCRYPT 2>&1)
if grep -q "mod_proxy_reencrypt/$version" <<<"$out"; then
    ok "the installed module reports version $version"
else
    nok "the installed module reports version $version"; sed 's/^/# /' <<<"$out" | head
fi

if "${APT[@]}" purge "$PKG" >"$WORK/purge.log" 2>&1; then
    ok "apt-get purge $PKG"
else
    nok "apt-get purge $PKG"; tail -20 "$WORK/purge.log" | sed 's/^/# /'
fi
# what a2enmod pulled in goes again
for m in $(ls /etc/apache2/mods-enabled/ 2>/dev/null); do
    grep -qx "$m" <<<"$before" || { a2dismod -q -f "${m%.*}" >/dev/null 2>&1 || rm -f "/etc/apache2/mods-enabled/$m"; }
done
left=""
for f in $files; do
    [ -d "$f" ] && continue
    [ -e "$f" ] && left="$left $f"
done
found=$(find /etc /usr /var/lib/apache2 /var/lib/dpkg/info \
        \( -name '*proxy_reencrypt*' -o -name '*proxy-reencrypt*' \) 2>/dev/null)
left="$left $found"
if [ -z "${left// /}" ]; then
    ok "apt-get purge leaves no file behind"
else
    nok "apt-get purge leaves no file behind"; for f in $left; do echo "# left: $f"; done
fi
finish

#!/usr/bin/env bash
# Installs what building, testing and the demo need on Debian 12, as root.
# Quick when everything is already there: only missing packages are fetched.
set -euo pipefail

pkgs=(
  apache2 apache2-dev apache2-ssl-dev libssl-dev libapr1-dev libaprutil1-dev
  libapache2-mod-perl2 libwww-perl libio-socket-ssl-perl liblwp-protocol-https-perl
  nginx openssl curl gcc make clang libclang-rt-14-dev util-linux
  prometheus chromium
  debhelper dpkg-dev lintian fakeroot
)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "build/deps.sh: missing packages (${missing[*]}); run as root to install them" >&2
  exit 1
fi
echo "build/deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Debian's apache2 and nginx postinst try to start services; the test and
# demo servers are our own, so keep the system ones down.
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d.mpr
if [ ! -e /usr/sbin/policy-rc.d ]; then
  cp /usr/sbin/policy-rc.d.mpr /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
rm -f /usr/sbin/policy-rc.d.mpr
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

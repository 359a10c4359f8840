#!/usr/bin/env bash
# build/screenshot.sh URL OUT.png -- a PNG of URL rendered by headless
# Chromium (Debian package "chromium"), 1400x900, with a throwaway profile
# and nothing that talks to the network but the page itself.
# Exit status: 0 when OUT.png was written, 2 when chromium is absent.
set -u
if [ $# -ne 2 ]; then
    echo "usage: $0 URL OUT.png" >&2
    exit 64
fi
URL=$1
OUT=$2
CHROME=
for c in chromium chromium-browser google-chrome; do
    if command -v "$c" >/dev/null 2>&1; then CHROME=$(command -v "$c"); break; fi
done
if [ -z "$CHROME" ]; then
    echo "$0: no chromium on PATH (apt-get install -y chromium)" >&2
    exit 2
fi
case $OUT in /*) ;; *) OUT=$PWD/$OUT ;; esac
PROFILE=$(mktemp -d "${TMPDIR:-/tmp}/mpr-chromium.XXXXXX")
trap 'rm -rf "$PROFILE"' EXIT
rm -f "$OUT"
# chromium wants a writable HOME (crash reports, fontconfig cache)
HOME=${HOME:-$PROFILE}
[ -w "$HOME" ] || HOME=$PROFILE
export HOME
# not under the test run's ASan preload (MPR_ASAN=1): chromium is no httpd
unset LD_PRELOAD ASAN_OPTIONS
timeout 60 "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$PROFILE" --screenshot="$OUT" --window-size=1400,900 "$URL" 2>&1 \
    | grep -v -e 'dbus' -e 'Fontconfig' -e 'unexpected operator' -e '^$' >&2
[ -s "$OUT" ] || { echo "$0: no screenshot written to $OUT" >&2; exit 1; }
exit 0
